"""The Plate: one image of a shot, as the nodes see it.

A :class:`Plate` is an immutable container for the pixels of one part of an image file
plus everything needed to write it back unchanged:

* ``pixels``: a C-contiguous ``float32`` array of shape ``H×W×C`` covering the **data
  window** (overscan is real data), one plane per channel, in ``channel_names`` order;
* ``channel_names``: the names as they are in the file (``R``, ``G``, ``B``, ``A``, ``Z``,
  ``diffuse.R``, ``left.R`` ...);
* ``data_window`` and ``display_window``: ``(xmin, ymin, xmax, ymax)``, inclusive, as in
  EXR. The two are kept apart and never merged;
* ``pixel_aspect``, ``header`` (every other header attribute, custom ones too),
  ``pixel_types`` (the source type of each channel: ``"half"``, ``"float"``, ``"uint"``,
  or ``"uint8"``/``"uint16"`` for raster files) and ``colorspace`` (an OCIO colourspace
  or role name, or ``None`` when the file does not say).

Plates are never changed in place: the pixel array is made read-only, and every
operation returns a new Plate (:meth:`Plate.replace`, :meth:`Plate.with_channels`).

``uint`` channels (EXR's 32-bit unsigned integers, used for IDs) cannot all be held
exactly in float32; their exact values ride along in ``exact`` (name → ``uint32`` array)
so that a read → write round trip is bit-for-bit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .errors import ChannelNotFoundError, PlateError, close_matches

__all__ = ["RGB_NAMES", "Plate", "Window"]

Window = tuple[int, int, int, int]
"""``(xmin, ymin, xmax, ymax)``, inclusive, in EXR's pixel coordinates."""

RGB_NAMES = ("R", "G", "B")

# Nuke and OpenEXR spell layer channels "layer.R"; some renderers write lower case.
_CHANNEL_ALIASES = {"R": ("R", "r", "red"), "G": ("G", "g", "green"), "B": ("B", "b", "blue"),
                    "A": ("A", "a", "alpha")}


def _window(value: Sequence[int], what: str) -> Window:
    try:
        xmin, ymin, xmax, ymax = (int(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise PlateError(f"{what} must be (xmin, ymin, xmax, ymax), got {value!r}") from exc
    if xmax < xmin or ymax < ymin:
        raise PlateError(f"{what} {value!r} is empty: xmax must be ≥ xmin and ymax ≥ ymin")
    return (xmin, ymin, xmax, ymax)


@dataclasses.dataclass(frozen=True, eq=False)
class Plate:
    """An immutable image with named channels, data and display windows and a header.

    Args:
        pixels: ``H×W×C`` array over the data window; converted to C-contiguous float32
            (without a copy when it already is) and made read-only.
        channel_names: one name per plane of ``pixels``.
        data_window: the pixels' window; defaults to ``(0, 0, W-1, H-1)``.
        display_window: the frame's window; defaults to the data window.
        pixel_aspect: pixel aspect ratio (EXR ``pixelAspectRatio``).
        header: every other attribute of the source, passed through on write.
        pixel_types: source pixel type per channel; defaults to ``"float"``.
        colorspace: OCIO colourspace (or role) of the colour channels, ``None`` if unknown.
        exact: exact values of channels float32 cannot hold (``uint`` channels).
        source: the path the plate was read from, for messages.

    Shape:
        ``pixels``: ``(H, W, C)`` with ``H = ymax - ymin + 1`` and ``W = xmax - xmin + 1``
        of the data window.

    Example:
        >>> p = Plate(np.zeros((2, 3, 4), np.float32), ("R", "G", "B", "A"))
        >>> p.data_window, p.channel("A").shape
        ((0, 0, 2, 1), (2, 3))
    """

    pixels: np.ndarray
    channel_names: tuple[str, ...]
    data_window: Window = None  # type: ignore[assignment]
    display_window: Window = None  # type: ignore[assignment]
    pixel_aspect: float = 1.0
    header: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    pixel_types: tuple[str, ...] = None  # type: ignore[assignment]
    colorspace: str | None = None
    exact: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        px = np.asarray(self.pixels)
        if px.ndim == 2:
            px = px[:, :, None]
        if px.ndim != 3:
            raise PlateError(f"plate pixels must be H×W×C, got shape {px.shape}")
        px = np.ascontiguousarray(px, dtype=np.float32)
        # A read-only *view*: the caller's own array keeps its flags (we never change an
        # input), and nobody can write through the plate.  The plate does not copy, so the
        # caller must not modify an array after handing it over.
        px = px.view()
        px.flags.writeable = False
        names = tuple(str(n) for n in self.channel_names)
        if len(names) != px.shape[2]:
            raise PlateError(
                f"plate has {px.shape[2]} pixel planes but {len(names)} channel names {names}")
        if len(set(names)) != len(names):
            raise PlateError(f"channel names must be unique, got {names}")
        h, w = px.shape[:2]
        dw = (0, 0, w - 1, h - 1) if self.data_window is None else _window(self.data_window, "data window")
        if (dw[2] - dw[0] + 1, dw[3] - dw[1] + 1) != (w, h):
            raise PlateError(
                f"data window {dw} is {dw[2] - dw[0] + 1}×{dw[3] - dw[1] + 1} but the pixels are {w}×{h}")
        disp = dw if self.display_window is None else _window(self.display_window, "display window")
        types = ("float",) * len(names) if self.pixel_types is None else tuple(self.pixel_types)
        if len(types) != len(names):
            raise PlateError(f"{len(types)} pixel types given for {len(names)} channels")
        if not (np.isfinite(self.pixel_aspect) and self.pixel_aspect > 0):
            raise PlateError(f"pixel aspect must be a positive number, got {self.pixel_aspect}")
        exact = {}
        for name, arr in dict(self.exact).items():
            if name not in names:
                raise PlateError(f"exact values given for {name!r}, which is not a channel")
            a = np.array(arr, copy=True)
            a.flags.writeable = False
            exact[name] = a
        set_ = object.__setattr__
        set_(self, "pixels", px)
        set_(self, "channel_names", names)
        set_(self, "data_window", dw)
        set_(self, "display_window", disp)
        set_(self, "pixel_types", types)
        set_(self, "pixel_aspect", float(self.pixel_aspect))
        set_(self, "header", dict(self.header))
        set_(self, "exact", exact)

    # --- geometry ---------------------------------------------------------------------

    @property
    def width(self) -> int:
        """Width of the data window in pixels."""
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        """Height of the data window in pixels."""
        return int(self.pixels.shape[0])

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(H, W, C)`` of the pixel array."""
        return tuple(self.pixels.shape)  # type: ignore[return-value]

    @property
    def display_size(self) -> tuple[int, int]:
        """``(width, height)`` of the display window."""
        x0, y0, x1, y1 = self.display_window
        return (x1 - x0 + 1, y1 - y0 + 1)

    # --- channels ---------------------------------------------------------------------

    def index(self, name: str) -> int:
        """Index of channel ``name``; raises :class:`ChannelNotFoundError` listing close names."""
        try:
            return self.channel_names.index(name)
        except ValueError:
            raise ChannelNotFoundError(
                f"channel {name!r} is not in plate{self._from()}: "
                f"{close_matches(name, self.channel_names)}") from None

    def has_channel(self, name: str) -> bool:
        """Whether the plate has a channel called ``name``."""
        return name in self.channel_names

    def channel(self, name: str) -> np.ndarray:
        """The ``H×W`` float32 (read-only) plane of channel ``name`` over the data window."""
        return self.pixels[:, :, self.index(name)]

    def channels(self, names: Iterable[str]) -> np.ndarray:
        """A new ``H×W×k`` float32 array of the named channels, in the order given."""
        idx = [self.index(n) for n in names]
        if idx and idx == list(range(idx[0], idx[0] + len(idx))):  # a run (R, G, B): a slice copies 2× faster
            return np.ascontiguousarray(self.pixels[:, :, idx[0]:idx[0] + len(idx)])
        return np.ascontiguousarray(self.pixels[:, :, idx])

    @property
    def layers(self) -> tuple[str, ...]:
        """Layer prefixes present, ``""`` for the unprefixed (main) layer, file order."""
        seen: dict[str, None] = {}
        for n in self.channel_names:
            seen.setdefault(n.rsplit(".", 1)[0] if "." in n else "", None)
        return tuple(seen)

    def layer_channel(self, layer: str, component: str) -> str | None:
        """Full name of ``component`` (``R``/``G``/``B``/``A``) in ``layer``, or ``None``."""
        prefix = f"{layer}." if layer else ""
        for alias in _CHANNEL_ALIASES.get(component, (component,)):
            if prefix + alias in self.channel_names:
                return prefix + alias
        return None

    def rgb_names(self, layer: str = "") -> tuple[str, str, str]:
        """Names of the R, G and B channels of ``layer`` (``""`` = the main layer).

        Raises:
            ChannelNotFoundError: the layer lacks one of R, G, B (the message lists the
                layers that have all three).
        """
        names = tuple(self.layer_channel(layer, c) for c in RGB_NAMES)
        if any(n is None for n in names):
            valid = [lay or "(main)" for lay in self.layers
                     if all(self.layer_channel(lay, c) for c in RGB_NAMES)]
            raise ChannelNotFoundError(
                f"layer {layer or '(main)'!r} of plate{self._from()} has no R, G and B channels; "
                f"layers with RGB: {', '.join(valid) or 'none'}")
        return names  # type: ignore[return-value]

    def alpha_name(self, layer: str = "") -> str | None:
        """Name of the alpha channel of ``layer``, falling back to the main ``A``."""
        return self.layer_channel(layer, "A") or (self.layer_channel("", "A") if layer else None)

    # --- new plates -------------------------------------------------------------------

    def replace(self, **changes: Any) -> Plate:
        """A new Plate with the given fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def with_channels(self, values: Mapping[str, np.ndarray], pixel_type: str | None = None) -> Plate:
        """A new Plate with the named channels replaced (or appended, in the order given).

        Args:
            values: channel name → ``H×W`` array over this plate's data window.
            pixel_type: source type recorded for appended channels (default: ``"float"``
                or, for a replaced channel, its existing type).
        """
        names = list(self.channel_names)
        if values and all(n in names for n in values):
            return self._replaced(values)
        types = list(self.pixel_types)
        planes = [self.pixels[:, :, i] for i in range(len(names))]
        exact = dict(self.exact)
        for name, arr in values.items():
            a = self._plane(name, arr)
            exact.pop(name, None)
            if name in names:
                planes[names.index(name)] = a
            else:
                names.append(name)
                types.append(pixel_type or "float")
                planes.append(a)
        stacked = np.stack(planes, axis=-1) if planes else np.zeros((self.height, self.width, 0), np.float32)
        return self.replace(pixels=stacked, channel_names=tuple(names), pixel_types=tuple(types), exact=exact)

    def _replaced(self, values: Mapping[str, np.ndarray]) -> Plate:
        """:meth:`with_channels` when every channel exists: one copy of the pixels with the
        planes written in (a frame-sized restack per call cost a styled 1080p frame ~40 ms)."""
        pixels = self.pixels.copy()
        exact = dict(self.exact)
        for name, arr in values.items():
            pixels[:, :, self.index(name)] = self._plane(name, arr)
            exact.pop(name, None)
        return self.replace(pixels=pixels, exact=exact)

    def _plane(self, name: str, arr: np.ndarray) -> np.ndarray:
        """``arr`` as a float32 plane of this plate's size, or a PlateError naming the channel."""
        a = np.asarray(arr, dtype=np.float32)
        if a.shape != (self.height, self.width):
            raise PlateError(f"channel {name!r} must be {self.height}×{self.width} (H×W), got {a.shape}")
        return a

    def without_channels(self, names: Iterable[str]) -> Plate:
        """A new Plate without the named channels."""
        drop = set(names)
        for n in drop:
            self.index(n)
        keep = [i for i, n in enumerate(self.channel_names) if n not in drop]
        return self.replace(
            pixels=self.pixels[:, :, keep],
            channel_names=tuple(self.channel_names[i] for i in keep),
            pixel_types=tuple(self.pixel_types[i] for i in keep),
            exact={k: v for k, v in self.exact.items() if k not in drop},
        )

    def _from(self) -> str:
        return f" {self.source!r}" if self.source else ""

    def __repr__(self) -> str:
        return (f"Plate({self.width}×{self.height}, channels={list(self.channel_names)}, "
                f"data_window={self.data_window}, display_window={self.display_window}, "
                f"colorspace={self.colorspace!r}{', source=' + repr(self.source) if self.source else ''})")

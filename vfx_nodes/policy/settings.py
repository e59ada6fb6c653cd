"""The settings of one frame's render: one typed, immutable object, validated once.

:class:`FrameSettings` is what :func:`vfx_nodes.stylize`, :func:`vfx_nodes.collect_stats`,
:func:`vfx_nodes.render_sequence`, the StyleTransfer node's knobs, ``vfx-style render``'s
flags, statistics files and the Look Lab all read.  Every value is checked (and
normalised: ``""`` and ``"auto"`` become ``None``, numbers given as text become numbers)
when the object is made, so a bad value is one :class:`~vfx_nodes.errors.SettingsError`
naming the setting, before any work — and every room after that trusts it.

One meaning per value, everywhere:

========================  ================================================================
``tile``                  ``None``/``"auto"``: from the device's memory; ``0``: the whole
                          frame as one tile; ``n``: tiles of ``n`` output pixels
``halo``                  ``None``/``"auto"``: the generator's own (tiles exact); ``0``: none
``batch``                 ``None``/``"auto"``: from the device's memory; ``n`` ≥ 1
``scale``                 ``"auto"``: the look's frame height over the plate's; a number
                          from 1/16 to 4
``device``, ``precision`` ``None``/``"auto"``: chosen for the machine
``colorspace``,           ``None``/``""``: the plate's own tag / the look's own space
``working_colorspace``
``mask``                  ``None``/``""``: the look everywhere; a channel name, a Plate or
                          an array: where it applies (``invert_mask`` for ``1 − mask``)
========================  ================================================================

Standard library only (the policy room): the device and precision are checked for their
spelling here and resolved against the machine by :mod:`vfx_nodes.model.device`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ..errors import DeviceError, SettingsError, close_matches

__all__ = ["HIGHLIGHTS", "PRECISION_NAMES", "SCALE_RANGE", "THUMBNAIL", "FrameSettings", "check_through_view",
           "split_view"]

#: Long side of the statistics thumbnail (URST, Chen et al. 2022): large enough that a
#: frame's statistics are those of the frame, small enough to cost one tile.
THUMBNAIL = 512

#: Bounds of an explicit stroke ``scale`` (a 16× smaller network frame is already a
#: thumbnail; above 4× the network paints needlessly fine strokes at 16× the cost).
SCALE_RANGE = (1.0 / 16.0, 4.0)

#: How over-range light meets the network (:mod:`vfx_nodes.recipe.highlights`).
HIGHLIGHTS = ("carry", "paint")

#: Spellings accepted for each precision → its canonical name.
PRECISION_NAMES: dict[str, str] = {
    "fp32": "fp32", "float32": "fp32", "float": "fp32", "32": "fp32", "full": "fp32",
    "fp16": "fp16", "float16": "fp16", "half": "fp16", "16": "fp16",
    "bf16": "bf16", "bfloat16": "bf16",
}


def _auto(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto"))


def _whole(name: str, lowest: int, meaning: str) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        if _auto(value):
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or int(value) < lowest:
            raise SettingsError(f"{name} must be 'auto' or a whole number ≥ {lowest}{meaning}, got {value!r}")
        return int(value)
    return check


def _strength(value: Any) -> float:
    try:
        if isinstance(value, bool):
            raise TypeError
        s = float(value)
    except (TypeError, ValueError):
        s = math.nan
    if not math.isfinite(s) or not 0.0 <= s <= 1.0:
        raise SettingsError(f"strength must be a number from 0 (input unchanged) to 1 (the look), got {value!r}")
    return s


def _scale(value: Any) -> float | str:
    if _auto(value):
        return "auto"
    lo, hi = SCALE_RANGE
    try:
        if isinstance(value, bool):
            raise TypeError
        s = float(value)
    except (TypeError, ValueError):
        s = math.nan
    if not (lo <= s <= hi):
        raise SettingsError(f"scale must be 'auto' or a number from {lo:g} to {hi:g}, got {value!r}")
    return s


def _thumbnail(value: Any) -> int:
    checked = _whole("thumbnail", 1, " (pixels)")(value)
    return THUMBNAIL if checked is None else checked


def _text(name: str, empty_is_none: bool) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None:
            return None if empty_is_none else ""
        if not isinstance(value, str):
            raise SettingsError(f"{name} must be text, got {type(value).__name__}")
        value = value.strip()
        return (value or None) if empty_is_none else value
    return check


def _flag(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{name} must be True or False, got {value!r}")
        return value
    return check


def _highlights(value: Any) -> str:
    if value not in HIGHLIGHTS:
        raise SettingsError(f"highlights must be one of {', '.join(map(repr, HIGHLIGHTS))}, got {value!r}")
    return str(value)


def check_through_view(value: Any) -> str | None:
    """``None``/empty (off), ``"default"`` or ``"DISPLAY:VIEW"`` (checked against the OCIO
    config where the frame is prepared: :func:`split_view`); else :class:`SettingsError`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "default":
            return "default"
        display, sep, view = text.partition(":")
        if sep and display.strip() and view.strip():
            return f"{display.strip()}:{view.strip()}"
    raise SettingsError(f"through_view must be 'DISPLAY:VIEW' (an OCIO display and one of its views, e.g. "
                        f"'sRGB - Display:ACES 2.0 - SDR 100 nits (Rec.709)'), 'default' or empty, got {value!r}")


def split_view(value: str | None) -> tuple[str | None, str | None] | None:
    """A checked ``through_view`` as ``(display, view)`` for the recipe (``None`` = off;
    ``(None, None)`` = the config's default display and its default view)."""
    if value is None:
        return None
    if value == "default":
        return (None, None)
    display, _, view = value.partition(":")
    return (display, view)


def _device(value: Any) -> Any:
    if _auto(value):
        return None
    return value.strip() if isinstance(value, str) else value  # a torch.device: as it is


def _precision(value: Any) -> Any:
    if _auto(value):
        return None
    if not isinstance(value, str):
        return value  # a torch.dtype, checked by model.device.resolve_precision
    key = value.strip().lower()
    if key not in PRECISION_NAMES:
        # a DeviceError, as model.device.resolve_precision raises for the same mistake
        raise DeviceError(f"unknown precision {value!r}; valid: 'auto', 'fp32', 'fp16', 'bf16' "
                          f"({close_matches(key, PRECISION_NAMES)})")
    return PRECISION_NAMES[key]


def _part(value: Any) -> int | str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SettingsError(f"part must be a part number or name, got {value!r}")
    return value


def _config(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _mask(value: Any) -> Any:
    """A channel name (text), or a matte given as data (a Plate, an array: checked against
    the plate by :func:`vfx_nodes.recipe.matte.matte_of`)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (bool, int, float)):
        raise SettingsError(f"mask must be a channel name, a Plate or an H×W array, got {value!r}")
    return value


def _differs(a: Any, b: Any) -> bool:
    if a is b:
        return False
    try:
        return bool(a != b)
    except (TypeError, ValueError):  # an array compares element by element: it differs
        return True


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "strength": _strength,
    "scale": _scale,
    "tile": _whole("tile", 0, " (0 = the whole frame as one tile)"),
    "halo": _whole("halo", 0, " (0 = none)"),
    "batch": _whole("batch", 1, ""),
    "thumbnail": _thumbnail,
    "layer": _text("layer", empty_is_none=False),
    "part": _part,
    "view": _text("view", empty_is_none=True),
    "colorspace": _text("colorspace", empty_is_none=True),
    "working_colorspace": _text("working_colorspace", empty_is_none=True),
    "preserve_alpha": _flag("preserve_alpha"),
    "luminance_only": _flag("luminance_only"),
    "highlights": _highlights,
    "through_view": check_through_view,
    "device": _device,
    "precision": _precision,
    "compile": _flag("compile"),
    "config": _config,
    "mask": _mask,
    "invert_mask": _flag("invert_mask"),
}


@dataclasses.dataclass(frozen=True)
class FrameSettings:
    """How a look is applied to a frame (see the module notes for each value's meaning).

    Attributes:
        strength: 0 (the input) … 1 (the look), mixed in scene-linear.
        scale: stroke scale, ``"auto"`` or 1/16 … 4.
        tile, halo, batch: tiling (``None`` = automatic; ``tile=0`` = one tile).
        thumbnail: long side of the statistics thumbnail.
        layer: the layer whose R, G, B are styled (``""`` = the main one).
        part, view: which part / stereo view of a multi-part frame (render and nodes).
        colorspace: the plate's colourspace (``None`` = its tag).
        working_colorspace: overrides the look's working space.
        preserve_alpha: unpremultiply before, premultiply after.
        luminance_only: keep the plate's colour.
        highlights: ``"paint"`` (default) or ``"carry"``.
        through_view: paint what the compositor sees: ``"DISPLAY:VIEW"`` (an OCIO display
            and view, the show's) or ``"default"`` (the config's); the network sees the
            plate through that view and its result comes back through the inverse view,
            so the look seen through the view is the network's picture (``highlights``
            and ``working_colorspace`` do not apply).  ``None`` = off.
        device, precision: where and how the network runs (``None`` = automatic).
        compile: run the generator through ``torch.compile``.
        config: the OCIO config (object, path, URI; ``None`` = ``$OCIO`` or built in).
        mask: where the look applies (``None`` = everywhere): a channel of the plate by
            name (``"A"``, ``"matte.A"``), or a Plate or ``H×W`` array
            (:mod:`vfx_nodes.recipe.matte`); ``out = in + mask·strength·(styled − in)``.
        invert_mask: use ``1 − mask``.
    """

    strength: float = 1.0
    scale: float | str = "auto"
    tile: int | None = None
    halo: int | None = None
    batch: int | None = None
    thumbnail: int = THUMBNAIL
    layer: str = ""
    part: int | str | None = None
    view: str | None = None
    colorspace: str | None = None
    working_colorspace: str | None = None
    preserve_alpha: bool = True
    luminance_only: bool = False
    highlights: str = "paint"
    through_view: str | None = None
    device: Any = None
    precision: Any = None
    compile: bool = False
    config: Any = None
    mask: Any = None
    invert_mask: bool = False

    #: the settings that change a frame's statistics (a statistics file records and
    #: compares them; the Look Lab keys its shot-statistics cache on them)
    STATS_FIELDS: ClassVar[tuple[str, ...]] = ("colorspace", "working_colorspace", "layer", "part", "view",
                                               "scale", "preserve_alpha", "highlights", "through_view")

    def __post_init__(self) -> None:
        for name, check in _CHECKS.items():
            object.__setattr__(self, name, check(getattr(self, name)))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every setting's name, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def make(cls, settings: FrameSettings | Mapping[str, Any] | None = None, **changes: Any) -> FrameSettings:
        """``settings`` (an object, a mapping of names, or ``None`` for the defaults) with
        ``changes`` applied, validated.

        Raises:
            SettingsError: an unknown name (the message lists the valid ones) or a bad value.
        """
        if settings is not None and not isinstance(settings, (FrameSettings, Mapping)):
            raise SettingsError(f"settings must be FrameSettings or a mapping of names, "
                                f"got {type(settings).__name__}")
        base = dict(settings) if isinstance(settings, Mapping) else {}
        values = {**base, **changes}
        unknown = sorted(k for k in values if k not in cls.names())
        if unknown:
            raise SettingsError(f"unknown setting(s) {', '.join(unknown)}; valid settings are "
                                f"{', '.join(cls.names())}")
        if isinstance(settings, FrameSettings):
            return dataclasses.replace(settings, **values) if values else settings
        return cls(**values)

    def replace(self, **changes: Any) -> FrameSettings:
        """A new FrameSettings with ``changes`` applied (and validated)."""
        return FrameSettings.make(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Every setting by name."""
        return {n: getattr(self, n) for n in self.names()}

    def changed(self) -> dict[str, Any]:
        """The settings that differ from the defaults, by name."""
        default = FrameSettings()
        return {n: v for n, v in self.as_dict().items() if _differs(v, getattr(default, n))}

    def record(self) -> dict[str, str]:
        """The statistics-relevant settings as text (what a statistics file stores)."""
        return {n: str(getattr(self, n)) for n in self.STATS_FIELDS}

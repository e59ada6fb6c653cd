"""The built-in nodes: Read, Write, ColorSpace and StyleTransfer.

Each is a thin declaration around one library function — :func:`vfx_nodes.io.read_plate`,
:func:`vfx_nodes.io.write_plate`, :func:`vfx_nodes.color.convert_plate` and
:func:`vfx_nodes.engine.stylize` — so the node, the Python API and the command line run the
same code and give the same pixels.  The library modules are imported inside
``process`` so that listing the nodes (``vfx-style nodes``, a host's toolbar) does not
import torch or OpenColorIO.

``StyleTransfer``'s knobs map 1:1 onto ``stylize``'s keywords; that mapping lives in one
place, :meth:`StyleTransfer.stylize_kwargs`, which the ``vfx-style render`` command and the
host adapters reuse (see :data:`STYLIZE_KNOBS`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import KnobError, LookNotFoundError, NodeError, SettingsError
from ..plate import Plate
from ..policy.settings import FrameSettings
from .knob import Knob
from .node import Inputs, Node

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Look

__all__ = ["BUILTIN_NODES", "STYLIZE_KNOBS", "TEMPORAL_KNOBS", "ColorSpace", "Read", "StyleTransfer", "Write",
           "frame_path"]

#: OpenEXR compressions offered by Write ("" keeps the source plate's).  The same names as
#: :data:`vfx_nodes.io.exr.COMPRESSIONS` (a test keeps them equal); repeated here so that
#: listing the nodes does not import OpenEXR.
EXR_COMPRESSIONS = ("", "none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab",
                    "htj2k256", "htj2k32", "lj2k", "zstd")


def frame_path(path: str, frame: int | None) -> str:
    """``path`` with its frame token (``####``, ``@@@@``, ``%04d``) replaced by ``frame``.

    A path without a token is returned unchanged (a single image); a token with no frame
    given raises :class:`NodeError`.  The token grammar is the engine's
    (:func:`vfx_nodes.policy.frames.parse_pattern`), so nodes and ``vfx-style render``
    agree on every spelling.
    """
    from ..policy.frames import has_frame_token, parse_pattern

    if not has_frame_token(path):
        return path
    if frame is None:
        raise NodeError(f"{path!r} is a frame pattern; render it with a frame number")
    return parse_pattern(path).path(int(frame))


class Read(Node):
    """Read one frame of an image sequence (EXR, PNG, JPEG, TIFF) as a plate."""

    name = "Read"
    inputs = ()
    host_exposed = False  # a host's own Read node does this
    knobs = (
        Knob("file", "file", "", help="image or sequence; the frame goes where #### (one # per "
             "digit), @@@@ or %04d stands, e.g. plate.####.exr"),
        Knob("part", "str", "", help="EXR part to read, by name or index; empty = the first part"),
        Knob("layer", "str", "", help="keep only this layer's channels (e.g. 'diffuse'); "
             "empty = every channel"),
    )

    def process(self, inputs: Inputs, frame: int | None) -> Plate:
        from ..io import read_plate

        if not self["file"]:
            raise NodeError("Read: the 'file' knob is empty; give an image or a sequence pattern")
        part: str | int | None = self["part"] or None
        if isinstance(part, str) and part.strip().lstrip("-").isdigit():
            part = int(part)
        return read_plate(frame_path(self["file"], frame), part, layer=self["layer"] or None)


class Write(Node):
    """Write the input to an image file (atomic: temporary file, then rename); passes it on."""

    name = "Write"
    inputs = ("input",)
    host_exposed = False  # a host's own Write node does this
    knobs = (
        Knob("file", "file", "", help="output image or sequence pattern (#### / %04d for the frame)"),
        Knob("compression", "choice", "", choices=EXR_COMPRESSIONS,
             help="EXR compression; empty keeps the source plate's"),
        Knob("pixel_type", "choice", "", choices=("", "half", "float"),
             help="EXR pixel type of every channel but uint IDs; empty keeps each channel's source type"),
    )

    def process(self, inputs: Inputs, frame: int | None) -> Plate:
        from ..io import write_plate

        if not self["file"]:
            raise NodeError("Write: the 'file' knob is empty; give an output path")
        options: dict[str, Any] = {}
        if self["compression"]:
            options["compression"] = self["compression"]
        if self["pixel_type"]:
            options["pixel_type"] = self["pixel_type"]
        plate = inputs["input"]
        write_plate(plate, frame_path(self["file"], frame), **options)
        return plate.replace()  # a new Plate over the same read-only pixels


class ColorSpace(Node):
    """Convert the colour of one layer between two OCIO colourspaces."""

    name = "ColorSpace"
    inputs = ("input",)
    knobs = (
        Knob("in_colorspace", "str", "", help="colourspace of the input; empty = the plate's "
             "own tag (the file's colourspace, else scene_linear)"),
        Knob("out_colorspace", "str", "scene_linear", help="colourspace to convert to (OCIO "
             "colourspace or role name)"),
        Knob("layer", "str", "", help="layer whose R, G, B are converted; empty = the main layer"),
        Knob("alpha", "choice", "premultiplied", choices=("premultiplied", "straight"),
             help="premultiplied: unpremultiply by alpha before the conversion and premultiply "
             "after (right for scene-linear plates with alpha); straight: convert as they are"),
        Knob("ocio_config", "file", "", help="OCIO config; empty = $OCIO, else the built-in studio config"),
    )

    def process(self, inputs: Inputs, frame: int | None) -> Plate:
        from ..color import convert_plate

        return convert_plate(inputs["input"], self["out_colorspace"],
                             src=self["in_colorspace"] or None, layer=self["layer"],
                             config=self["ocio_config"] or None, alpha=self["alpha"])


#: StyleTransfer knob → ``stylize`` keyword, and how an "unset" knob value maps to the
#: keyword's default (``None`` = let the engine decide).  Keep in step with
#: :func:`vfx_nodes.engine.stylize`; ``look`` and ``stats_file`` are loaded from their
#: files by the node (and by ``vfx-style render``) and passed as ``look`` / ``stats``.
STYLIZE_KNOBS: dict[str, str] = {
    "strength": "strength",
    "colorspace": "colorspace",
    "working_colorspace": "working_colorspace",
    "layer": "layer",
    "tile": "tile",
    "halo": "halo",
    "device": "device",
    "precision": "precision",
    "preserve_alpha": "preserve_alpha",
    "luminance_only": "luminance_only",
    "highlights": "highlights",
    "through_view": "through_view",
    "scale": "scale",
    "ocio_config": "config",
    "mask": "mask",
    "invert_mask": "invert_mask",
}


#: StyleTransfer knobs that steady a shot: keywords of :func:`vfx_nodes.render_sequence`
#: (a frame depends on the one before), not of ``stylize``.
TEMPORAL_KNOBS = ("temporal", "temporal_weight", "motion_layer")


def _matte_input(matte: Plate, channel: str) -> Plate:
    """The mask input as a one-channel matte plate: ``channel`` of it, else its alpha, else
    its only channel (Nuke's mask input reads the alpha unless told otherwise)."""
    name = channel or ("A" if matte.has_channel("A") else "")
    if not name:
        if len(matte.channel_names) != 1:
            raise NodeError(f"StyleTransfer: the mask input has no alpha; name its matte channel in the "
                            f"'mask' knob ({', '.join(matte.channel_names)})")
        return matte
    if not matte.has_channel(name):
        raise NodeError(f"StyleTransfer: the mask input has no channel {name!r}; its channels are "
                        f"{', '.join(matte.channel_names)}")
    return matte.without_channels([n for n in matte.channel_names if n != name])


class StyleTransfer(Node):
    """Apply a look (neural style transfer) — a look file or a painting — to one layer of the plate."""

    name = "StyleTransfer"
    inputs = ("input", "mask")
    optional_inputs = ("mask",)
    knobs = (
        Knob("look", "file", "", help="look file (.safetensors) written by vfx-style look or train"),
        Knob("style", "file", "", help="a painting (PNG, JPEG, TIFF or EXR) for an instant look "
             "made on the spot (vfx_nodes.look_from_style), used when 'look' is empty"),
        Knob("strength", "float", 1.0, range=(0.0, 1.0),
             help="mix of the styled image over the original: 0 = original, 1 = fully styled"),
        Knob("scale", "str", "auto", help="stroke scale: the look runs at this fraction of the "
             "plate's resolution and its residual is added back at full resolution, so strokes "
             "grow by 1/scale; auto = the frame height the look was made for over the plate's "
             "display height (1 for looks that record none; instant looks add a second, finer pass "
             "for the painting's fine touch); a number from 0.0625 to 4 (one pass)"),
        Knob("colorspace", "str", "", help="colourspace of the input plate; empty = the plate's "
             "own tag (the file's colourspace, else scene_linear)"),
        Knob("working_colorspace", "str", "", help="override the working space the look was "
             "trained in (rarely needed); empty = the look's own"),
        Knob("layer", "str", "", help="layer to stylise (e.g. 'diffuse'); empty = the main "
             "R, G, B. Other channels pass through unchanged. The EXR part is chosen on Read"),
        Knob("tile", "str", "auto", help="tile edge in pixels (halo excluded); auto = from free GPU "
             "memory (on the CPU 1024, 2048 for the slim arbitrary network); 0 = the whole frame as one tile"),
        Knob("halo", "str", "auto", help="context between tiles in pixels (none at the frame's edges); "
             "auto = half the network's receptive field (tiles match exactly); 0 = none"),
        Knob("device", "str", "auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, mps"),
        Knob("precision", "choice", "auto", choices=("auto", "fp32", "fp16", "bf16"),
             help="arithmetic precision; auto = bf16 on a recent CUDA GPU, fp32 elsewhere"),
        Knob("preserve_alpha", "bool", True, help="keep the input's alpha and premultiply the "
             "styled colour by it"),
        Knob("luminance_only", "bool", False, help="transfer only the look's luminance and keep "
             "the plate's own colours"),
        Knob("highlights", "choice", "paint", choices=("paint", "carry"),
             help="light above the look's range: carry = kept exactly, only its in-range part "
             "painted; paint = compressed into the network's range and painted too (a lit "
             "window, a sky), strokes becoming changes of exposure"),
        Knob("through_view", "str", "", help="paint what you see: an OCIO display and view, "
             "'DISPLAY:VIEW' (the show's, e.g. 'sRGB - Display:ACES 2.0 - SDR 100 nits (Rec.709)'), or "
             "'default'; the network sees the plate through it and its result comes back through the "
             "inverse view (highlights and working_colorspace then do not apply); empty = off"),
        Knob("mask", "str", "", help="matte channel: the look applies where it is 1, the input stays "
             "where it is 0 (out = in + mask·strength·(styled − in)); a channel of the mask input when "
             "one is connected (empty = its alpha), else of the input ('A', 'matte.A'); empty and no "
             "mask input = everywhere"),
        Knob("invert_mask", "bool", False, help="use 1 − mask"),
        Knob("temporal", "choice", "off", choices=("off", "vectors", "flow", "auto"),
             help="steady shots: blend each styled frame with the previous one carried along the "
             "motion — the plate's motion vectors, optical flow, or auto (vectors when the plate has "
             "them); frames must be rendered in order (docs/TEMPORAL.md)"),
        Knob("temporal_weight", "float", 0.99, range=(0.0, 0.999),
             help="how much of the carried strokes is kept from one frame to the next: 0 = none, "
             "higher = steadier (0.99: strokes stick to the surfaces they paint)"),
        Knob("motion_layer", "str", "", help="layer of the motion vectors, optionally with its "
             "convention (forward, backward:nuke-backward, Vector:blender); empty = found by name"),
        Knob("stats_file", "file", "", help="shot normalisation statistics (.safetensors) "
             "shared by every frame against flicker; empty = each frame's own statistics"),
        Knob("ocio_config", "file", "", help="OCIO config; empty = $OCIO, else the built-in studio config"),
    )

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        # Loaded looks and statistics per path, kept while the file is unchanged, so a
        # sequence render loads the network once (a host keeps one node per frame range).
        self._looks: dict[str, tuple[tuple[int, int], Any]] = {}
        self._stats: dict[str, tuple[tuple[int, int], Any]] = {}
        # temporal: the steadier and the frame it last steadied (a host renders in order)
        self._steady: Any = None
        self._steady_frame: int | None = None

    @classmethod
    def frame_settings(cls, knob_values: Mapping[str, Any]) -> FrameSettings:
        """The :class:`~vfx_nodes.policy.settings.FrameSettings` these knob values give —
        the one place that maps knobs onto settings, for the node, ``vfx-style render``
        and the Look Lab.  ``look`` and ``stats_file`` are not included (they are files;
        load them with :func:`vfx_nodes.model.load_look` and :meth:`NormStats.load`).

        Args:
            knob_values: knob name → value (missing knobs take their defaults).

        Raises:
            KnobError: an unknown knob or an invalid value.

        Example:
            >>> StyleTransfer.frame_settings({"strength": 0.5, "tile": "0"}).tile
            0
        """
        v = cls.validate_values(knob_values)
        try:
            return FrameSettings.make({kw: v[knob] for knob, kw in STYLIZE_KNOBS.items()})
        except SettingsError as exc:
            raise KnobError(f"StyleTransfer: {exc}") from None

    @classmethod
    def stylize_kwargs(cls, knob_values: Mapping[str, Any]) -> dict[str, Any]:
        """:meth:`frame_settings` as keyword arguments of :func:`vfx_nodes.engine.stylize`:
        one per knob that maps onto a setting (:data:`STYLIZE_KNOBS`), checked and
        normalised (``""`` and ``"auto"`` → ``None``, numbers as numbers).

        Raises:
            KnobError: an unknown knob or an invalid value.
        """
        fs = cls.frame_settings(knob_values)
        return {kw: getattr(fs, kw) for kw in STYLIZE_KNOBS.values()}

    @classmethod
    def temporal_kwargs(cls, knob_values: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments of :func:`vfx_nodes.render_sequence` for the temporal knobs
        (``temporal``, ``temporal_weight``, ``motion_layer``; empty = ``None``) — the one
        place that maps them, for the node, ``vfx-style render`` and the Look Lab.

        Raises:
            KnobError: an unknown knob or an invalid value.
        """
        v = cls.validate_values(knob_values)
        return {k: (v[k] or None) if k == "motion_layer" else v[k] for k in TEMPORAL_KNOBS}

    def look(self) -> Look:
        """The loaded look of the ``look`` knob (cached per path while the file is unchanged)."""
        from ..model import load_look

        path = self["look"]
        if not path and self["style"]:
            from ..train.instant import look_from_style

            # An instant look from the painting, made once per painting file.
            return self._cached(self._looks, "style:" + self["style"],
                                lambda _key: look_from_style([self["style"]]), stamp_path=self["style"])
        if not path:
            raise LookNotFoundError("StyleTransfer: the 'look' knob is empty; give a look file "
                                    "(.safetensors) made by vfx-style train or look, or a painting "
                                    "in the 'style' knob")
        return self._cached(self._looks, path, load_look)

    def stats(self) -> Any:
        """The shot statistics of the ``stats_file`` knob, or ``None`` when it is empty."""
        if not self["stats_file"]:
            return None
        from ..model import NormStats

        return self._cached(self._stats, self["stats_file"], NormStats.load)

    @staticmethod
    def _cached(cache: dict[str, tuple[tuple[int, int], Any]], path: str, load: Any,
                stamp_path: str | None = None) -> Any:
        try:
            st = os.stat(stamp_path or path)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (-1, -1)  # let the loader raise its own, precise error
        hit = cache.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = load(path)
        cache[path] = (stamp, value)
        return value

    def process(self, inputs: Inputs, frame: int | None) -> Plate:
        from ..engine import stylize

        settings = self.frame_settings(self.values)
        if inputs.get("mask") is not None:
            settings = settings.replace(mask=_matte_input(inputs["mask"], self["mask"]))
        styled = stylize(inputs["input"], self.look(), settings, stats=self.stats())
        return self._steadied(inputs["input"], styled, frame, settings.as_dict())

    def _steadied(self, plate: Plate, styled: Plate, frame: int | None, kwargs: Mapping[str, Any]) -> Plate:
        """With the ``temporal`` knob on: ``styled`` blended with the previous frame's result
        when that was frame − 1 (frames rendered in order, as a host's render does);
        otherwise the frame starts the chain on its own (a jump, the first frame)."""
        from ..engine.temporal import Steadier, settings_from

        settings = settings_from(self.temporal_kwargs(self.values))
        if not settings.on or frame is None:
            self._steady, self._steady_frame = None, None
            return styled
        look = self.look()
        if self._steady is None or self._steady.settings != settings or self._steady.look is not look:
            self._steady = Steadier.for_render(settings, kwargs, look)
        if self._steady_frame is None or frame != self._steady_frame + 1:
            self._steady.reset()
        out: Plate = self._steady(plate, styled, frame)
        self._steady_frame = frame
        return out


#: The built-ins, in the order ``vfx-style nodes`` lists them.
BUILTIN_NODES: tuple[type[Node], ...] = (Read, Write, ColorSpace, StyleTransfer)

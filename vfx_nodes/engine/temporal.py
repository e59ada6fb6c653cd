"""Steady shots: each styled frame blended with the previous one, carried along the motion.

A feed-forward look styles every frame on its own; on a moving plate its brushwork is
re-painted each frame and boils. A motion-guided render (Ruder, Dosovitskiy & Brox 2016,
"Artistic style transfer for videos": the previous stylised frame warped along the
motion, trusted where it is not occluded) holds the strokes on the surfaces they paint.
Here, for a feed-forward look:

    D_t  = S_t − P_t                              what the look adds to frame t
    D'_t = D_t + w · c_t · (warp(D'_{t−1}) − D_t)   carried along the motion
    O_t  = P_t + D'_t

with ``S_t`` the styled frame, ``P_t`` the plate, ``c_t`` the motion's confidence
(:mod:`vfx_nodes.engine.motion`: occlusions, disocclusions, the frame edge and pixels
whose warped plate does not match are 0) and ``w`` = ``temporal_weight``. Why the
*change* and not the picture: the plate itself is never warped, so a moving object, a
light change or a wrong vector can never ghost the picture — at worst the strokes there
are this frame's own. Why a weight below 1: each frame still contributes ``1 − w`` of
its own strokes, so what is carried is an exponential average along the motion path and
its resampling blur stays bounded instead of building up over a long shot (with
``w = 0.92`` a frame 30 frames back weighs 0.92³⁰ ≈ 8 %); the warps are bicubic. The finest
grain of the strokes is carried more weakly than the strokes (:func:`carry`).

:class:`Steadier` keeps this state across a shot for every stylised target (each part
and each view of a stereo frame, with that view's own vectors). It works on the plates
the renderer already has: no extra reads, one motion field and two warps per target.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ChannelNotFoundError, SettingsError
from ..plate import Plate
from .motion import MOTION_SOURCES, Motion, motion_between, warp

__all__ = ["DEFAULT_PREROLL", "DEFAULT_TEMPORAL_WEIGHT", "TEMPORAL_MODES", "LeadIn", "Steadier", "TemporalSettings",
           "carry", "checked_settings", "lead_in", "settings_from"]

#: ``temporal=`` values: off (each frame on its own), vectors (the plate's motion
#: vectors), flow (optical flow from the plates), auto (vectors when present, else flow)
TEMPORAL_MODES = ("off", *MOTION_SOURCES)
#: how much of the previous frame's strokes is carried (0 = none, < 1)
DEFAULT_TEMPORAL_WEIGHT = 0.92
#: the finest grain of the strokes (Gaussian sigma, px), and the share of the weight it is
#: carried with where it disagrees with this frame's (see :func:`carry`)
GRAIN_SIGMA = 1.0
GRAIN_FLOOR = 0.22
#: frames a farm chunk renders before its first frame and discards (0.92¹⁶ ≈ 26 % of the
#: pre-roll's first frame is left in the chunk's first frame, and that is steady already;
#: docs/TEMPORAL.md measures the boundaries)
DEFAULT_PREROLL = 16


@dataclasses.dataclass(frozen=True)
class TemporalSettings:
    """How a shot is held steady: ``mode`` (:data:`TEMPORAL_MODES`), ``weight`` (0 ≤ w < 1),
    ``motion_layer`` (``"LAYER"`` / ``"LAYER:CONVENTION"`` or ``None`` to find it) and
    ``preroll`` (frames a chunk renders first and discards)."""

    mode: str = "off"
    weight: float = DEFAULT_TEMPORAL_WEIGHT
    motion_layer: str | None = None
    preroll: int = DEFAULT_PREROLL

    @classmethod
    def make(cls, temporal: str | None = "off", temporal_weight: float | None = None,
             motion_layer: str | None = None, preroll: int | None = None) -> TemporalSettings:
        """Checked settings (``None`` = the default).

        Raises:
            SettingsError: an unknown mode, a weight outside [0, 1), a negative pre-roll.
        """
        mode = str(temporal or "off").strip().lower()
        if mode not in TEMPORAL_MODES:
            raise SettingsError(f"temporal={temporal!r}: choose one of {', '.join(TEMPORAL_MODES)}")
        weight = DEFAULT_TEMPORAL_WEIGHT if temporal_weight is None else float(temporal_weight)
        if not (0.0 <= weight < 1.0) or weight != weight:
            raise SettingsError(f"temporal_weight={temporal_weight!r}: must be ≥ 0 and < 1 (1 would keep the "
                                "first frame's strokes forever)")
        roll = DEFAULT_PREROLL if preroll is None else int(preroll)
        if roll < 0:
            raise SettingsError(f"preroll={preroll!r}: must be ≥ 0")
        layer = (motion_layer or "").strip() or None
        return cls(mode, weight, layer, roll)

    @property
    def on(self) -> bool:
        """Frames depend on the frame before (mode is not ``off`` and the weight > 0)."""
        return self.mode != "off" and self.weight > 0.0

    def record(self) -> dict[str, str]:
        """What a statistics file and a render report record (empty when off)."""
        if not self.on:
            return {}
        out = {"temporal": self.mode, "temporal_weight": f"{self.weight:g}"}
        if self.motion_layer:
            out["motion_layer"] = self.motion_layer
        return out


@dataclasses.dataclass
class _Held:
    """One target's state after a frame: its plate, matching encoding and carried change."""

    plate: Plate
    display: np.ndarray
    delta: np.ndarray


class Steadier:
    """The state of a motion-guided render across a shot.

    Call it on each frame in shot order with the plate and its styled result; it returns
    the steadied result. :meth:`reset` starts again (a cut, a gap in the frames);
    :meth:`seed` starts from a frame already rendered (a resumed render).

    Args:
        settings: the :class:`TemporalSettings` (mode not ``off``).
        colorspace: the plates' colourspace (``None`` = each plate's own tag).
        config: the OCIO config (to make the plates scene-linear for the encoding motion is matched on).
        part, view, layer: what is stylised in a frame (as :func:`stylize_frame` takes them).
    """

    def __init__(self, settings: TemporalSettings, *, colorspace: str | None = None, config: Any = None,
                 part: Any = None, view: Any = None, layer: str | None = None) -> None:
        self.settings = settings
        self._colorspace = colorspace
        self._config = config
        self._select = {"part": part, "view": view, "layer": layer}
        self._held: dict[tuple[int, str], _Held] = {}
        #: the motion used on the last frame, per target (what the blend trusted; for inspection)
        self.last_motion: dict[tuple[int, str], Motion] = {}

    @classmethod
    def for_render(cls, settings: TemporalSettings, stylize_settings: Mapping[str, Any]) -> Steadier:
        """A steadier for what a render with these ``stylize`` settings stylises (their
        ``colorspace``, ``config``, ``part``, ``view``, ``layer``)."""
        kw = stylize_settings
        return cls(settings, colorspace=kw.get("colorspace"), config=kw.get("config"), part=kw.get("part"),
                   view=kw.get("view"), layer=kw.get("layer"))

    def reset(self) -> None:
        """Forget the previous frame: the next frame is styled on its own."""
        self._held.clear()
        self.last_motion.clear()

    @property
    def holding(self) -> bool:
        """A previous frame is held (the next call blends with it)."""
        return bool(self._held)

    def check(self, source: Any) -> None:
        """Fail now, not on the second frame: with ``mode="vectors"`` every target of
        ``source`` must carry motion vectors.

        Raises:
            MotionError: a target without vectors (the message says where they were looked for).
        """
        if self.settings.mode != "vectors":
            return
        from .motion import find_vectors, no_vectors

        for _key, plate, _out, layer in self._targets(source, source):
            if find_vectors(plate, motion_layer=self.settings.motion_layer, layer=layer) is None:
                raise no_vectors(plate, layer)

    def seed(self, source: Any, styled: Any) -> None:
        """Hold an already rendered frame (its plate and its output) as the previous one."""
        self.reset()
        for key, plate, out, layer in self._targets(source, styled):
            names = _rgb(out, layer)
            if names is None:
                continue
            p = _rgb_of(plate, layer, names)
            self._held[key] = _Held(plate, self._display(plate, p), _finite(out.channels(names) - p))

    def __call__(self, source: Any, styled: Any) -> Any:
        """The steadied ``styled`` frame (a Plate or a Frame, as given)."""
        from .parts import Frame

        result = Frame(styled) if isinstance(styled, Frame) else None
        single = styled
        for key, plate, out, layer in self._targets(source, styled):
            new = self._blend(key, plate, out, layer)
            if result is not None:
                result[key[0]] = new
            else:
                single = new
        return result if result is not None else single

    # --- one target -----------------------------------------------------------------------

    def _targets(self, source: Any, styled: Any) -> list[tuple[tuple[int, str], Plate, Plate, str]]:
        from .parts import Frame, frame_targets

        sel = self._select
        if isinstance(source, Frame) or sel["part"] not in (None, "") or sel["view"] not in (None, ""):
            src = source if isinstance(source, Frame) else Frame([source])
            out = styled if isinstance(styled, Frame) else Frame([styled])
            return [((t.part, t.layer), src[t.part], out[t.part], t.layer)
                    for t in frame_targets(src, part=sel["part"], view=sel["view"], layer=sel["layer"])]
        layer = sel["layer"] or ""
        return [((0, layer), source, styled, layer)]

    def _display(self, plate: Plate, rgb: np.ndarray) -> np.ndarray:
        """The signal motion is matched on: the plate made scene-linear by OCIO (any
        encoding, log included), then ``sqrt(x / (1 + x))`` — a cheap display-like
        encoding (0–1, highlights compressed, shadows opened) that is never shown. A full
        display view (ACES 2.0's output transform) would cost ~0.5 s per megapixel on a
        CPU, as much as styling the frame."""
        from ..color import convert_rgb
        from ..color.defaults import DEFAULT_PLATE_SPACE

        src = self._colorspace or plate.colorspace or DEFAULT_PLATE_SPACE
        lin = convert_rgb(_finite(rgb), src, "scene_linear", config=self._config)
        np.nan_to_num(lin, copy=False, posinf=0.0, neginf=0.0)
        np.maximum(lin, 0.0, out=lin)
        enc = lin / (1.0 + lin)
        return np.sqrt(enc, out=enc)

    def _blend(self, key: tuple[int, str], plate: Plate, out: Plate, layer: str) -> Plate:
        names = _rgb(out, layer)
        if names is None:  # nothing RGB to hold (a luminance-only layer): left as styled
            return out
        p = _rgb_of(plate, layer, names)
        s = out.channels(names)
        display = self._display(plate, p)
        delta = s - p
        prev = self._held.get(key)
        trust = _trusted(out, layer, s, p)
        own = _finite(delta)
        if prev is not None and prev.delta.shape[2] == delta.shape[2]:
            motion = motion_between(plate, prev.plate, display, prev.display, source=self.settings.mode,
                                    motion_layer=self.settings.motion_layer, layer=layer)
            self.last_motion[key] = motion
            offset = (float(plate.data_window[0] - prev.plate.data_window[0]),
                      float(plate.data_window[1] - prev.plate.data_window[1]))
            carried, _inside = warp(prev.delta, motion.backward, offset, cubic=True)
            own = carry(own, carried, motion.confidence * trust, self.settings.weight)
        self._held[key] = _Held(plate, display, own)
        # untrusted pixels (alpha ≤ 0, NaN/Inf) keep exactly what stylize gave them
        result = np.where(trust[..., None] > 0, p + own, s).astype(np.float32)
        return out.with_channels({n: result[..., i] for i, n in enumerate(names)})


def _rgb(out: Plate, layer: str) -> tuple[str, str, str] | None:
    try:
        return out.rgb_names(layer)
    except ChannelNotFoundError:
        return None


def _rgb_of(plate: Plate, layer: str, names: tuple[str, str, str]) -> np.ndarray:
    """The plate's RGB of ``layer`` (a luminance-only source gives its grey as RGB)."""
    try:
        return plate.channels(plate.rgb_names(layer))
    except ChannelNotFoundError:
        y = plate.channel(f"{layer}.Y" if layer else "Y")
        return np.repeat(y[..., None], 3, axis=2)


def _finite(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), a, 0.0).astype(np.float32)


def _trusted(out: Plate, layer: str, s: np.ndarray, p: np.ndarray) -> np.ndarray:
    """1 where a pixel may be blended: finite colour and alpha > 0 (pixels with alpha ≤ 0
    keep their own colour bit for bit, as ``stylize`` leaves them)."""
    ok = np.isfinite(_csum(s) + _csum(p))  # NaN or ±Inf in any channel of either
    a_name = out.alpha_name(layer)
    if a_name is not None:
        a = out.channel(a_name)
        ok &= np.isfinite(a) & (a > 0)
    return ok.astype(np.float32)


def _csum(a: np.ndarray) -> np.ndarray:
    """The sum over the 3 channels (numpy's strided ``sum(-1)`` is several times slower)."""
    return a[..., 0] + a[..., 1] + a[..., 2]


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    return np.asarray(cv2.GaussianBlur(a, (0, 0), sigma, borderType=cv2.BORDER_REFLECT), np.float32).reshape(a.shape)


def carry(own: np.ndarray, carried: np.ndarray, trust: np.ndarray, weight: float) -> np.ndarray:
    """This frame's strokes ``own`` pulled toward the ``carried`` ones by ``weight·trust``
    — the strokes at full weight, their finest grain (detail below ``GRAIN_SIGMA`` px) at
    a weight that follows how well the two grains agree.

    Why: a feed-forward look's finest grain (a 2–4 px hatching tied to the network's
    stride-4 grid) is re-drawn at another phase whenever the picture moves by a fraction
    of the stride. Averaging two grains drawn at different phases cancels them and the
    strokes go soft and dull (measured: at weight 0.7 for everything, the style loss of a
    panned shot doubles). So the grain is carried at ``GRAIN_FLOOR`` of the weight where it
    disagrees with this frame's, rising to the full weight where the two are in phase
    (their local correlation ρ, over ``2·GRAIN_SIGMA``… ``3`` px): a slow move keeps its
    grain still, a fast one keeps it crisp. ``benchmarks/bench_temporal.py`` measures both
    sides of the trade (warping error and style loss).
    """
    m = (weight * trust)[..., None]
    strokes = own + m * (carried - own)
    g_own, g_carried = own - _blur(own, GRAIN_SIGMA), carried - _blur(carried, GRAIN_SIGMA)
    cross = _blur(_csum(g_own * g_carried), 3.0)
    norm = np.sqrt(_blur(_csum(g_own * g_own), 3.0) * _blur(_csum(g_carried * g_carried), 3.0)) + 1e-12
    rho = np.clip(cross / norm, 0.0, 1.0)[..., None]
    grain = g_own + m * (GRAIN_FLOOR + (1.0 - GRAIN_FLOOR) * rho) * (g_carried - g_own)
    return (_blur(strokes, GRAIN_SIGMA) + grain).astype(np.float32)


def checked_settings(temporal: Any, weight: Any, motion_layer: Any, preroll: Any) -> TemporalSettings:
    """:meth:`TemporalSettings.make`, with optical flow's library checked before any work.

    Raises:
        SettingsError: bad settings; MotionError: ``temporal="flow"`` without OpenCV.
    """
    settings = TemporalSettings.make(temporal, weight, motion_layer, preroll)
    if settings.mode == "flow" and settings.on:
        from ..errors import MotionError
        from .motion import flow_available

        if not flow_available():
            raise MotionError("temporal='flow' needs OpenCV for optical flow: pip install opencv-python-headless")
    return settings


def lead_in(settings: TemporalSettings, shot: Sequence[int], source: Callable[[int], str],
            output: Callable[[int], str], *, read: Callable[[str], Any], render: Callable[[Any], Any],
            overwrite: bool, stylize_settings: Mapping[str, Any]) -> LeadIn:
    """The renderer's :class:`LeadIn` for a shot: a :class:`Steadier` for what the render
    stylises (``part``, ``view``, ``layer``, ``colorspace``, ``config`` of its settings)."""
    return LeadIn(Steadier.for_render(settings, stylize_settings), shot, source, output, read=read,
                  render=render, overwrite=overwrite)


def settings_from(kwargs: Mapping[str, Any]) -> TemporalSettings:
    """:class:`TemporalSettings` from ``temporal``, ``temporal_weight``, ``motion_layer``
    and ``preroll`` in a keyword mapping (absent = default)."""
    return TemporalSettings.make(kwargs.get("temporal"), kwargs.get("temporal_weight"),
                                 kwargs.get("motion_layer"), kwargs.get("preroll"))


class LeadIn:
    """Keeps a :class:`Steadier` in step with a shot for the renderer, so that a frame is
    steadied against the frame before it however the render was split.

    Before each frame (:meth:`before`): when the previous frame of the shot was the last
    one steadied, nothing to do; when its output already exists (a resumed render, the
    chunk before finished), the steadier is seeded from that output and its plate; else
    (a farm chunk's first frame, a gap) up to ``preroll`` frames before it are read,
    styled and steadied, and thrown away (the pre-roll).

    Args:
        steady: the steadier.
        shot: every frame of the shot, in order.
        source, output: ``frame → path`` of the input and of the output frame.
        read: ``read(path)`` → a Plate or Frame.
        render: ``render(frame_plate)`` → the styled Plate or Frame (same settings as the
            frames written).
        overwrite: outputs on disk are being replaced (so never seed from them).
    """

    def __init__(self, steady: Steadier, shot: Sequence[int], source: Callable[[int], str],
                 output: Callable[[int], str], *, read: Callable[[str], Any], render: Callable[[Any], Any],
                 overwrite: bool = False) -> None:
        self.steady = steady
        self._shot = tuple(shot)
        self._index = {f: i for i, f in enumerate(self._shot)}
        self._source, self._output = source, output
        self._read, self._render = read, render
        self._overwrite = overwrite
        self._last: int | None = None
        #: frames rendered and thrown away to lead into a frame (a chunk's pre-roll)
        self.prerolled: list[int] = []
        #: frames whose output was read to lead into the next one (a resume)
        self.seeded: list[int] = []

    def before(self, frame: int) -> None:
        """Bring the steadier to the frame before ``frame``."""
        import os

        i = self._index[frame]
        prev = self._shot[i - 1] if i > 0 else None
        if prev is not None and prev == self._last:
            return
        self.steady.reset()
        self._last = None
        if prev is None:
            return
        if not self._overwrite and os.path.exists(self._output(prev)) and os.path.exists(self._source(prev)):
            self.steady.seed(self._read(self._source(prev)), self._read(self._output(prev)))
            self.seeded.append(prev)
            return
        roll = self._shot[max(0, i - self.steady.settings.preroll):i]
        for f in roll:
            if not os.path.exists(self._source(f)):
                self.steady.reset()  # a hole in the shot: lead in from after it
                continue
            src = self._read(self._source(f))
            self.steady(src, self._render(src))
            self.prerolled.append(f)

    def __call__(self, frame: int, source: Any, styled: Any) -> Any:
        """The steadied output of ``frame`` (call :meth:`before` first)."""
        out = self.steady(source, styled)
        self._last = frame
        return out

"""Steady shots: each styled frame held to the strokes carried along the motion.

A feed-forward look styles every frame on its own; on a moving plate its brushwork is
re-painted each frame and boils. A motion-guided render (Ruder, Dosovitskiy & Brox 2016,
"Artistic style transfer for videos": the previous stylised frame warped along the
motion, trusted where it is not occluded) holds the strokes on the surfaces they paint.
Here, for a feed-forward look, what is carried is the look's *change* to the plate, in
two layers (j = 0, 1) that each live ``L`` frames (``preroll``), half a life apart:

    D_t   = S_t − P_t                                  what the look adds to frame t
    K^j_t = D_t                                        when layer j starts again at t
    K^j_t = D_t + w · c_t · (warp(K^j_{t−1}) − D_t)    otherwise: carried along the motion
    O_t   = P_t + mix(a_0 · K^0_t, a_1 · K^1_t)        a_j: 0 when layer j starts, 1 at half its life

with ``S_t`` the styled frame, ``P_t`` the plate, ``c_t`` the motion's confidence
(:mod:`vfx_nodes.engine.motion`: occlusions, disocclusions, the frame edge and pixels
whose warped plate does not match are 0) and ``w`` = ``temporal_weight``.

Why each part:

* the *change*, not the picture: the plate itself is never warped, so a moving object, a
  light change or a wrong vector can never ghost the picture;
* ``w`` close to 1 (0.99): strokes that *stick*. Averaging strokes that a look drew at
  different phases of its stride grid cancels them — measured, a carry at w = 0.92 kept
  the steadiness but lost a third of the painting (style ratio 1.31–1.43) — so each layer
  holds one set of strokes and lets this frame's in only where the motion cannot be
  trusted (and 1 % elsewhere);
* Lanczos warps: a layer is resampled every frame; a bicubic warp softens 2–4 px strokes
  within a dozen frames (at w = 0.995 the style ratio went from 0.93 with Lanczos to
  2.8 with bicubic);
* two layers that start again in turn (the advected textures of Neyret 2003, with a
  keyframe's life): a layer renewed regularly cannot accumulate drift, stretch or the
  patchwork of what the shot revealed; the cross-fade between the two is variance
  preserving on the strokes (Heitz & Neyret 2018), so its middle is not a softer
  average of two textures;
* farm-safe by construction: layer j starts again on the frames where
  ``(frame − j·L/2) mod L == 0``, so frame t depends on at most ``L − 1`` frames before
  it, whatever frame the render started from. A farm chunk pre-rolls exactly those
  frames (:class:`LeadIn`) and its frames equal the straight render's.

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
from ..recipe.matte import matte_of
from .motion import MOTION_SOURCES, Motion, motion_between, motion_offset, warp

__all__ = ["DEFAULT_PREROLL", "DEFAULT_TEMPORAL_WEIGHT", "TEMPORAL_MODES", "LeadIn", "Steadier", "TemporalSettings",
           "checked_settings", "layer_ages", "lead_in", "settings_from"]

#: ``temporal=`` values: off (each frame on its own), vectors (the plate's motion
#: vectors), flow (optical flow from the plates), auto (vectors when present, else flow)
TEMPORAL_MODES = ("off", *MOTION_SOURCES)
#: how much of a layer's strokes is carried from one frame to the next (0 = none, < 1)
DEFAULT_TEMPORAL_WEIGHT = 0.99
#: the life of each carried layer in frames (``preroll``): a frame depends on at most
#: this many frames minus one before it, which a farm chunk renders first and discards.
#: 16 against 24 on the 100-frame pan of bench_temporal: warping error 0.085 vs 0.075 of
#: per-frame, style ratio 1.09 vs 1.04, at two thirds of the pre-roll
DEFAULT_PREROLL = 16
#: stroke scales up to which the strokes are carried on the look's grid; above it, at the
#: frame's size (sampling a bilinear upsampling at a factor near 1 cannot give the grid's
#: values back: measured at 480×270, scale 0.95, the grid lost a fifth of the painting)
GRID_BELOW = 0.5
#: how a carried layer is resampled along the motion every frame
LAYER_INTERPOLATION = "lanczos"
#: the strokes whose energy the cross-fade keeps (detail under this Gaussian sigma, px),
#: and the neighbourhood that energy is measured over (sigma, px)
DETAIL_SIGMA = 2.0
ENERGY_SIGMA = 4.0
#: the most the cross-fade lifts the strokes' contrast (√2 is what two unrelated textures
#: lose at an even mix; a little more where they cancel)
MAX_GAIN = 2.0


@dataclasses.dataclass(frozen=True)
class TemporalSettings:
    """How a shot is held steady: ``mode`` (:data:`TEMPORAL_MODES`), ``weight`` (0 ≤ w < 1),
    ``motion_layer`` (``"LAYER"`` / ``"LAYER:CONVENTION"`` or ``None`` to find it) and
    ``preroll`` (the life of each carried layer in frames, ≥ 2: a frame depends on at most
    ``preroll − 1`` frames before it, which a farm chunk renders first and discards)."""

    mode: str = "off"
    weight: float = DEFAULT_TEMPORAL_WEIGHT
    motion_layer: str | None = None
    preroll: int = DEFAULT_PREROLL

    @classmethod
    def make(cls, temporal: str | None = "off", temporal_weight: float | None = None,
             motion_layer: str | None = None, preroll: int | None = None) -> TemporalSettings:
        """Checked settings (``None`` = the default).

        Raises:
            SettingsError: an unknown mode, a weight outside [0, 1), a pre-roll below 2.
        """
        mode = str(temporal or "off").strip().lower()
        if mode not in TEMPORAL_MODES:
            raise SettingsError(f"temporal={temporal!r}: choose one of {', '.join(TEMPORAL_MODES)}")
        weight = DEFAULT_TEMPORAL_WEIGHT if temporal_weight is None else float(temporal_weight)
        if not (0.0 <= weight < 1.0) or weight != weight:
            raise SettingsError(f"temporal_weight={temporal_weight!r}: must be ≥ 0 and < 1 (1 would keep the "
                                "first frame's strokes forever)")
        roll = DEFAULT_PREROLL if preroll is None else int(preroll)
        if roll < 2:
            raise SettingsError(f"preroll={preroll!r}: must be ≥ 2 (the frames each carried layer of strokes "
                                f"lives; default {DEFAULT_PREROLL})")
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
        out = {"temporal": self.mode, "temporal_weight": f"{self.weight:g}", "preroll": str(self.preroll)}
        if self.motion_layer:
            out["motion_layer"] = self.motion_layer
        return out


@dataclasses.dataclass
class _Held:
    """One target's state after a frame: its frame number, plate, matching encoding and
    the two carried layers of the look's change."""

    frame: int
    plate: Plate
    display: np.ndarray
    layers: tuple[np.ndarray, np.ndarray]


def layer_ages(frame: int, life: int) -> tuple[int, int]:
    """How many frames ago each of the two carried layers last started again at ``frame``:
    layer j starts on the frames where ``(frame − j·⌊life/2⌋) mod life == 0``."""
    return frame % life, (frame - life // 2) % life


def _presence(age: int, life: int) -> float:
    """A layer's share of the output at ``age``: 0 when it starts, 1 at half its life, 0
    again at its end (when it starts afresh, unseen)."""
    return 1.0 - abs(2.0 * age / life - 1.0)


class Steadier:
    """The state of a motion-guided render across a shot.

    Call it on each frame in shot order with the plate, its styled result and its frame
    number; it returns the steadied result. A frame depends only on the ``preroll − 1``
    frames before it (see the module), so a render that starts that far before a frame
    gives it exactly what a render from the shot's start gives. :meth:`reset` starts
    again (a cut, a gap in the frames).

    Args:
        settings: the :class:`TemporalSettings` (mode not ``off``).
        colorspace: the plates' colourspace (``None`` = each plate's own tag).
        config: the OCIO config (to make the plates scene-linear for the encoding motion is matched on).
        part, view, layer: what is stylised in a frame (as :func:`stylize_frame` takes them).
        look, scale: the look and the stroke scale the frames are styled with (as
            :func:`stylize` takes them). The strokes are carried at the resolution the
            look painted them (``scale`` × the frame): at 1080p a look made for 540
            lines is carried on a quarter of the pixels. Without a look: at full size.
    """

    def __init__(self, settings: TemporalSettings, *, colorspace: str | None = None, config: Any = None,
                 part: Any = None, view: Any = None, layer: str | None = None, look: Any = None,
                 scale: Any = "auto", mask: Any = None, invert_mask: bool = False) -> None:
        self.settings = settings
        self._colorspace = colorspace
        self._config = config
        self._select = {"part": part, "view": view, "layer": layer}
        #: the look the frames are styled with (its stroke scale sets the carry's grid)
        self.look = look
        self._scale = scale
        # the render's matte: where it is 0 the steadied frame stays the input, as styled
        self._mask = (mask, bool(invert_mask))
        self._held: dict[tuple[int, str], _Held] = {}
        self._frame: int | None = None
        #: the motion used on the last frame, per target (what the blend trusted; for inspection)
        self.last_motion: dict[tuple[int, str], Motion] = {}

    @classmethod
    def for_render(cls, settings: TemporalSettings, stylize_settings: Mapping[str, Any],
                   look: Any = None) -> Steadier:
        """A steadier for what a render of ``look`` with these ``stylize`` settings
        stylises (their ``colorspace``, ``config``, ``part``, ``view``, ``layer``, ``scale``,
        ``mask``, ``invert_mask``)."""
        kw = stylize_settings
        return cls(settings, colorspace=kw.get("colorspace"), config=kw.get("config"), part=kw.get("part"),
                   view=kw.get("view"), layer=kw.get("layer"), look=look, scale=kw.get("scale", "auto"),
                   mask=kw.get("mask"), invert_mask=bool(kw.get("invert_mask", False)))

    def reset(self) -> None:
        """Forget the previous frame: the next frame is styled on its own."""
        self._held.clear()
        self.last_motion.clear()
        self._frame = None

    @property
    def holding(self) -> bool:
        """A previous frame is held (the next call blends with it)."""
        return bool(self._held)

    def lead(self, frame: int) -> int:
        """The first frame a render must start from (at the latest) to give ``frame`` what a
        render from the shot's start gives it: the start of the older of the two layers."""
        return frame - max(layer_ages(frame, self.settings.preroll))

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

    def __call__(self, source: Any, styled: Any, frame: int | None = None) -> Any:
        """The steadied ``styled`` frame (a Plate or a Frame, as given).

        Args:
            source, styled: the frame's plate(s) and what ``stylize`` made of them.
            frame: its frame number (``None``: the frame after the last one, or 0), which
                says when each layer starts again.
        """
        from .parts import Frame

        if frame is None:
            frame = 0 if self._frame is None else self._frame + 1
        result = Frame(styled) if isinstance(styled, Frame) else None
        single = styled
        for key, plate, out, layer in self._targets(source, styled):
            new = self._blend(key, int(frame), plate, out, layer)
            if result is not None:
                result[key[0]] = new
            else:
                single = new
        self._frame = int(frame)
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
        from ..policy.colour import DEFAULT_PLATE_SPACE

        src = self._colorspace or plate.colorspace or DEFAULT_PLATE_SPACE
        lin = convert_rgb(_finite(rgb), src, "scene_linear", config=self._config)
        np.nan_to_num(lin, copy=False, posinf=0.0, neginf=0.0)
        np.maximum(lin, 0.0, out=lin)
        enc = lin / (1.0 + lin)
        return np.sqrt(enc, out=enc)

    def _blend(self, key: tuple[int, str], frame: int, plate: Plate, out: Plate, layer: str) -> Plate:
        names = _rgb(out, layer)
        if names is None:  # nothing RGB to hold (a luminance-only layer): left as styled
            return out
        p = _rgb_of(plate, layer, names)
        s = out.channels(names)
        trust = _trusted(out, layer, s, p)
        own_full = _finite(s - p)
        # everything below runs on the grid the look painted the strokes on
        grid = _Grid(own_full.shape[:2], self._stroke_scale(plate))
        own = grid.down(own_full)
        display = self._display(plate, grid.area(p))
        life = self.settings.preroll
        ages = layer_ages(frame, life)
        prev = self._held.get(key)
        if prev is None or prev.layers[0].shape != own.shape or frame <= prev.frame:
            layers = (own, own)
        else:
            motion = motion_between(plate, prev.plate, display, prev.display, source=self.settings.mode,
                                    motion_layer=self.settings.motion_layer, layer=layer)
            self.last_motion[key] = motion
            hold = (self.settings.weight * motion.confidence * grid.area(trust))[..., None]
            offset = motion_offset(plate, prev.plate, own.shape[:2])
            gap = frame - prev.frame
            layers = tuple(own if age < gap else _carried(own, held, hold, motion.backward, offset)
                           for age, held in zip(ages, prev.layers))  # type: ignore[assignment]
        self._held[key] = _Held(frame, plate, display, layers)
        change = cross_fade(layers, (_presence(ages[0], life), _presence(ages[1], life)))
        # what the carry changed, brought to the frame's size: this frame's own change is
        # kept bit for bit where nothing is carried
        change -= own
        result = grid.up(change)
        result += own_full
        result += p
        # untrusted pixels (alpha ≤ 0, NaN/Inf) keep exactly what stylize gave them, and so
        # do pixels outside the matte (carried strokes must not leak past its edge)
        untrusted = trust <= 0
        matte = matte_of(plate, self._mask[0], invert=self._mask[1], warn_empty=False)
        if matte is not None:
            untrusted |= matte <= 0
        if untrusted.any():
            result[untrusted] = s[untrusted]
        return out.with_channels({n: result[..., i] for i, n in enumerate(names)})

    def _stroke_scale(self, plate: Plate) -> float:
        """The scale the look painted ``plate`` at, at most 1 (1 without a look); with two
        stroke scales the finer one, whose grid holds both passes' strokes."""
        if self.look is None:
            return 1.0
        from .detail import detail_scale
        from .pipeline import resolve_scale

        stroke = min(1.0, resolve_scale(self._scale, self.look, plate))
        return detail_scale(self._scale, self.look, plate, stroke) or stroke


class _Grid:
    """The look's network grid on a frame: ``stylize`` runs the network on the frame
    resampled to ``scale`` × its size and adds its residual back with a bilinear
    upsampling (``engine.pipeline``, half-pixel centres), so the strokes live on that grid.
    :meth:`down` samples a full-size image at the grid's pixel centres (where the
    bilinear upsampling passes through the network's own values), :meth:`up` brings a
    grid image back the way ``stylize`` does. At scale 1 both are the identity."""

    def __init__(self, full: tuple[int, int], scale: float) -> None:
        from .pipeline import network_size

        self.full = full
        self.size = network_size(full[0], full[1], scale) if scale <= GRID_BELOW else full
        self.identity = self.size == full

    def _resize(self, a: np.ndarray, size: tuple[int, int], how: int) -> np.ndarray:
        import cv2

        out = cv2.resize(a, (size[1], size[0]), interpolation=how)
        return np.asarray(out, np.float32).reshape(size + a.shape[2:])

    def down(self, a: np.ndarray) -> np.ndarray:
        import cv2

        return a if self.identity else self._resize(a, self.size, cv2.INTER_LINEAR)

    def area(self, a: np.ndarray) -> np.ndarray:
        """A mask brought to the grid by averaging (so a thin occlusion still counts)."""
        import cv2

        return a if self.identity else self._resize(a, self.size, cv2.INTER_AREA)

    def up(self, a: np.ndarray) -> np.ndarray:
        import cv2

        return a if self.identity else self._resize(a, self.full, cv2.INTER_LINEAR)


def _carried(own: np.ndarray, held: np.ndarray, hold: np.ndarray, backward: np.ndarray,
             offset: tuple[float, float]) -> np.ndarray:
    """A layer carried from the previous frame along the motion (Lanczos), this frame's
    own change taking over by ``1 − hold``."""
    moved, _inside = warp(held, backward, offset, interpolation=LAYER_INTERPOLATION)
    moved -= own
    moved *= hold
    moved += own
    return moved


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


def cross_fade(layers: tuple[np.ndarray, np.ndarray], presence: tuple[float, float]) -> np.ndarray:
    """The two layers mixed by their ``presence`` (normalised to sum to 1), keeping the
    strokes' contrast.

    Why: two layers hold strokes drawn at different times, so at an even mix their finest
    detail partly cancels and the picture goes soft for a few frames. The detail (under
    ``DETAIL_SIGMA`` px) of the mix is lifted to the energy the layers have on their own
    (the variance-preserving blend of Heitz & Neyret 2018, measured locally over
    ``ENERGY_SIGMA`` px and at most ``MAX_GAIN``); where the two agree the lift is 1.
    """
    a0, a1 = presence
    total = a0 + a1
    a0, a1 = a0 / total, a1 / total
    k0, k1 = layers
    if a0 == 0.0 or a1 == 0.0 or k0 is k1:
        return (k0 if a1 == 0.0 else k1).copy()
    mix = a0 * k0 + a1 * k1
    d0, d1 = k0 - _blur(k0, DETAIL_SIGMA), k1 - _blur(k1, DETAIL_SIGMA)
    d_mix = a0 * d0 + a1 * d1
    want = a0 * _blur(_csum(d0 * d0), ENERGY_SIGMA) + a1 * _blur(_csum(d1 * d1), ENERGY_SIGMA)
    have = _blur(_csum(d_mix * d_mix), ENERGY_SIGMA)
    gain = np.clip(np.sqrt((want + 1e-12) / (have + 1e-12)), 1.0, MAX_GAIN) - 1.0
    mix += gain[..., None] * d_mix
    return mix.astype(np.float32, copy=False)


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


def lead_in(settings: TemporalSettings, shot: Sequence[int], source: Callable[[int], str], *,
            read: Callable[[str], Any], render: Callable[[Any], Any], stylize_settings: Mapping[str, Any],
            look: Any = None) -> LeadIn:
    """The renderer's :class:`LeadIn` for a shot: a :class:`Steadier` for what the render
    of ``look`` stylises (``part``, ``view``, ``layer``, ``colorspace``, ``config``,
    ``scale`` of its settings)."""
    return LeadIn(Steadier.for_render(settings, stylize_settings, look), shot, source, read=read, render=render)


def settings_from(kwargs: Mapping[str, Any]) -> TemporalSettings:
    """:class:`TemporalSettings` from ``temporal``, ``temporal_weight``, ``motion_layer``
    and ``preroll`` in a keyword mapping (absent = default)."""
    return TemporalSettings.make(kwargs.get("temporal"), kwargs.get("temporal_weight"),
                                 kwargs.get("motion_layer"), kwargs.get("preroll"))


class LeadIn:
    """Keeps a :class:`Steadier` in step with a shot for the renderer, so that every frame
    gets what a render of the whole shot from its start gives it, however the render was
    split (farm chunks, a resume after a kill, frames skipped because they were done).

    Before each frame (:meth:`before`): when the previous frame of the shot was the last
    one steadied, nothing to do; else the frames of the shot from :meth:`Steadier.lead`
    up to it — at most ``preroll − 1`` — are read, styled and steadied, and thrown away
    (the pre-roll). Nothing is read back from earlier outputs: an output on disk does not
    hold the two carried layers, and a pre-roll gives the frame bit for bit what the
    straight render gave it.

    Args:
        steady: the steadier.
        shot: every frame of the shot, in order.
        source: ``frame → path`` of the input frame.
        read: ``read(path)`` → a Plate or Frame.
        render: ``render(frame_plate)`` → the styled Plate or Frame (same settings as the
            frames written).
    """

    def __init__(self, steady: Steadier, shot: Sequence[int], source: Callable[[int], str], *,
                 read: Callable[[str], Any], render: Callable[[Any], Any]) -> None:
        self.steady = steady
        self._shot = tuple(shot)
        self._index = {f: i for i, f in enumerate(self._shot)}
        self._source = source
        self._read, self._render = read, render
        self._last: int | None = None
        #: frames rendered and thrown away to lead into a frame (a chunk's pre-roll)
        self.prerolled: list[int] = []

    def before(self, frame: int) -> None:
        """Bring the steadier to the frame before ``frame``."""
        import os

        i = self._index[frame]
        prev = self._shot[i - 1] if i > 0 else None
        if prev is not None and prev == self._last:
            return
        self.steady.reset()
        self._last = None
        first = self.steady.lead(frame)
        for f in (f for f in self._shot[:i] if f >= first):
            if not os.path.exists(self._source(f)):
                self.steady.reset()  # a hole in the shot: lead in from after it
                continue
            src = self._read(self._source(f))
            self.steady(src, self._render(src), f)
            self.prerolled.append(f)

    def __call__(self, frame: int, source: Any, styled: Any) -> Any:
        """The steadied output of ``frame`` (call :meth:`before` first)."""
        out = self.steady(source, styled, frame)
        self._last = frame
        return out

"""The frame recipe's colour side: scene-linear plate ⇄ the network's working-space frame.

:func:`prepare` takes one layer's RGB to what a network sees, :func:`finish` takes the
network's result back into a new plate.  Both work in strips of rows, in parallel: a
strip's arrays stay in the CPU's cache through every step (a whole 4K frame per step
streams ~100 MB through memory each time), and OCIO and numpy release the GIL, so a
small thread pool uses every core.  Every strip is computed the same way whatever the
number of threads: the output does not depend on them.

The value treatments (the design notes ask for one for each) are documented in
:mod:`vfx_nodes.engine.pipeline`; in short:

* a pixel with a non-finite R, G or B is fed to the network as black and keeps its
  original values bit for bit in the output;
* RGB is unpremultiplied by the layer's alpha before colour conversion and premultiplied
  after; pixels with alpha ≤ 0 or NaN keep their original RGB bit for bit;
* ``"carry"``: the network sees the working space clipped to 0–1; what the clip removed,
  computed in the scene-linear mixing space, is added back there; ``"paint"``:
  :mod:`vfx_nodes.recipe.highlights`;
* strength mixes in the scene-linear mixing space.

``through_view`` (a display and view of the OCIO config) replaces the working space and
the highlights treatment: the network sees the mixing space through the view — the
picture the compositor judges, display-referred 0–1 — and its result comes back through
the inverse view.  Both are the view baked into OCIO LUTs (:mod:`vfx_nodes.color.baked`,
a tenth of the exact view's cost, within a third of an 8-bit code of it).  What the view
cannot show (light above its peak, colour its gamut compression moved, values below 0)
is the residual, added back scaled by the pixel's change of exposure as a painted
highlight's is, its colour only where the stroke kept the pixel's (:func:`_add_residual`):
added as it is, a lit window the look painted came back white (benchmarks/RESULTS.md,
"The instant look's last gap, measured").  The view's inverse is steep near display
white (ACES 2.0 SDR: 0.90 → 4, 0.99 → 34, 1 → 128 × diffuse white), so a stroke that
brightens a pixel is held (the pixel scaled, its hue kept) to the brighter of
:data:`VIEW_CEILING` and the plate's own brightest channel there: paint near white would
otherwise come back as light sources that bloom in a defocus or a grade.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..errors import SettingsError
from ..plate import Plate
from .highlights import compress_highlights, expand_painted

__all__ = ["CHROMA_HOLD", "LUMA_WEIGHTS", "VIEW_CEILING", "Frame", "area_bins", "finish", "mixing_space", "prepare",
           "spaces", "threads"]

#: NTSC 1953 luma weights (YIQ's Y row), used for ``luminance_only``.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)

#: ``highlights="paint"`` and ``through_view``: below this sum of R, G, B (mixing space,
#: about a third of diffuse white's 3) a pixel's residual is added as it is, above it
#: scaled by the pixel's change of exposure (:func:`_add_residual`).
GAIN_FLOOR = 1.0

#: ``highlights="paint"`` and ``through_view``: the distance in chromaticity (``rgb / Σrgb``,
#: the largest channel's) between a stroke and the pixel's held colour at which half of
#: the residual's colour part is kept (:func:`_add_residual`); 0 apart, all of it.
CHROMA_HOLD = 0.1

#: Below this sum of R, G, B (mixing space, 1/300 of diffuse white's) a pixel has no
#: colour to compare: its residual's colour part is kept.
CHROMA_FLOOR = 0.01

#: ``through_view``: the brightest channel a stroke may give a pixel that was darker, in
#: the mixing space (× diffuse white: 2 stops above it; see the module notes).
VIEW_CEILING = 4.0

#: Pixels per strip of rows: ~1.5 MB per RGB float32 array, so a strip's few arrays stay in
#: the L2/L3 cache through every step.
STRIP_PIXELS = 1 << 17

_pool_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def threads() -> int:
    """Worker threads for the colour strips: ``$VFX_NODES_THREADS``, else the CPUs this
    process may use (at most 16)."""
    env = os.environ.get("VFX_NODES_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        n = os.cpu_count() or 1
    return max(1, min(16, n))


def _map(fn: Callable[[int, int], Any], rows: int, width: int) -> list[Any]:
    """``fn(y0, y1)`` over strips of rows, in parallel; results in strip order."""
    step = max(1, STRIP_PIXELS // max(width, 1))
    return _run(fn, [(y, min(rows, y + step)) for y in range(0, rows, step)])


def _run(fn: Callable[[int, int], Any], spans: list[tuple[int, int]]) -> list[Any]:
    """``fn(a, b)`` for each span, on the recipe's thread pool; results in span order."""
    n = threads()
    if n == 1 or len(spans) <= 1:
        return [fn(a, b) for a, b in spans]
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != n:
            _pool = (n, ThreadPoolExecutor(max_workers=n, thread_name_prefix="vfx_nodes-recipe"))
        pool = _pool[1]
    return list(pool.map(lambda ab: fn(*ab), spans))


@dataclasses.dataclass
class Frame:
    """One plate's layer prepared for the network.

    Attributes:
        plate: the source plate (read again by :func:`finish`, never changed).
        names: its R, G, B channel names.
        alpha: the alpha plane used for (un)premultiplication, or ``None``.
        net_in: the working-space frame the network sees (0–1), float32, at the size
            :func:`prepare` was asked for (the plate's own unless ``size``; see
            :attr:`full`).
        over: sorted flat indices of the pixels with a residual.
        residual: ``len(over)×3`` mixing-space residual (what the network cannot see).
        held: ``highlights="paint"``: mixing-space value the network's input stands for.
        base: ``highlights="paint"``: working-space values ≥ 0, unclipped.
        plate_space, mix_space, working: the three colourspaces, as the config names them.
        config: the OCIO config used.
        matte: ``H×W`` 0–1 where the look applies (:mod:`vfx_nodes.recipe.matte`), or ``None``.
        strips: a streamed frame's way in, strip by strip (else ``None``).
        view: ``through_view``'s ``(display, view)`` (``None`` = the working space).
    """

    plate: Plate
    names: tuple[str, str, str]
    alpha: np.ndarray | None
    net_in: np.ndarray
    over: np.ndarray
    residual: np.ndarray
    held: np.ndarray | None
    base: np.ndarray | None
    plate_space: str
    mix_space: str
    working: str
    config: Any
    matte: np.ndarray | None = None
    strips: _Strips | None = None
    view: tuple[str | None, str | None] | None = None

    @property
    def full(self) -> np.ndarray | None:
        """``net_in`` at the plate's size (H×W×3), or ``None`` for a *streamed* frame (a
        smaller ``size``: :func:`finish` computes each strip's way in again) and once
        :func:`finish` has let it go."""
        return None if self.strips is not None else self.net_in


def spaces(plate: Plate, working_default: str, colorspace: str | None, working_colorspace: str | None,
           config: Any) -> tuple[str, str, str]:
    """``(plate space, mixing space, working space)`` as the config names them: the mixing
    space is the plate's own when OCIO says it is scene-linear, else ``scene_linear``."""
    from ..color import resolve_colorspace
    from ..policy.colour import DEFAULT_PLATE_SPACE

    plate_space = resolve_colorspace(colorspace or plate.colorspace or DEFAULT_PLATE_SPACE, config)
    working = resolve_colorspace(working_colorspace or working_default, config)
    return plate_space, mixing_space(plate_space, config), working


def mixing_space(plate_space: str, config: Any = None) -> str:
    """Where strength mixes and the residual is added back: the plate's own space when OCIO
    says it is scene-linear, else the config's ``scene_linear`` role (its name resolved)."""
    from ..color import is_scene_linear, resolve_colorspace

    space = resolve_colorspace(plate_space, config)
    return space if is_scene_linear(space, config) else resolve_colorspace("scene_linear", config)


def _every(flags: np.ndarray) -> np.ndarray:
    """``flags.all(axis=-1)`` for an ``…×3`` boolean array: numpy reduces along a short
    last axis ~9× slower than two element-wise ANDs (2.9 vs 0.34 ms a 4K strip), and the
    recipe asks this three times a strip."""
    return flags[..., 0] & flags[..., 1] & flags[..., 2]


def _rgb_index(plate: Plate, names: Sequence[str]) -> slice | list[int]:
    idx = [plate.index(n) for n in names]
    return slice(idx[0], idx[0] + 3) if idx == list(range(idx[0], idx[0] + 3)) else idx


def _linear(plate: Plate, idx: Any, alpha: np.ndarray | None, y0: int, y1: int,
            plate_space: str, mix_space: str, config: Any) -> np.ndarray:
    """A strip's straight colour in the mixing space (non-finite pixels as black)."""
    from ..color import convert_rgb, unpremultiply

    rgb = np.array(plate.pixels[y0:y1, :, idx], dtype=np.float32, order="C")
    finite = _every(np.isfinite(rgb))
    if not finite.all():
        rgb[~finite] = 0.0
    if alpha is not None:
        unpremultiply(rgb, alpha[y0:y1], out=rgb)
    if plate_space != mix_space:
        convert_rgb(rgb, plate_space, mix_space, config=config, out=rgb)
    return rgb


class _Strips:
    """One layer's way in for rows ``y0:y1`` (the module notes' treatments): what
    :func:`prepare` runs over the frame, and :func:`finish` again on a streamed frame."""

    def __init__(self, plate: Plate, idx: Any, alpha: np.ndarray | None, plate_space: str, mix_space: str,
                 working: str, config: Any, paint: bool, matte: np.ndarray | None,
                 view: tuple[str | None, str | None] | None = None):
        self.plate, self.idx, self.alpha, self.config = plate, idx, alpha, config
        self.plate_space, self.mix_space, self.working = plate_space, mix_space, working
        self.paint, self.matte, self.view = paint, matte, view
        # flat pixel indices of the residual: 4 bytes each below 2³¹ pixels (a plate with
        # much out-of-gamut colour has a residual on a third of its pixels or more)
        self.index = np.int32 if plate.height * plate.width < 2**31 else np.int64

    def __call__(self, y0: int, y1: int, work: np.ndarray, base: np.ndarray | None,
                 residual: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Fill ``work`` (rows × W × 3: what the network sees) and, painting, ``base``;
        return the residual's flat frame indices, values and (painting) held values —
        empty unless ``residual``."""
        from ..color import convert_rgb

        w = self.plate.width
        lin = _linear(self.plate, self.idx, self.alpha, y0, y1, self.plate_space, self.mix_space, self.config)
        if self.view is not None:
            return self._through_view(y0, lin, work, residual)
        convert_rgb(lin, self.mix_space, self.working, config=self.config, out=work)
        over = np.empty(0, self.index)
        if residual:
            with np.errstate(invalid="ignore"):
                # NaN counts as out of range; with "paint" only what is below 0 rides around
                inside = (work >= 0) if self.paint else ((work >= 0) & (work <= 1))
            out_of_range = ~_every(inside)
            if self.matte is not None:
                out_of_range &= self.matte[y0:y1] > 0  # nothing of the look lands outside the matte
            over = np.flatnonzero(out_of_range).astype(self.index)
        # fmax/fmin take the number over NaN: NaN → 0, +Inf → the top, −Inf → 0
        np.fmax(work, np.float32(0.0), out=work)
        if base is not None:
            np.fmin(work, np.float32(1e6), out=work)
            base[...] = work
            work[...] = compress_highlights(base)
        np.fmin(work, np.float32(1.0), out=work)
        if not over.size:
            return over, np.empty((0, 3), np.float32), None
        clipped = (work if base is None else base).reshape(-1, 3)[over][:, None, :]
        back = convert_rgb(clipped, self.working, self.mix_space, config=self.config)[:, 0, :]
        return over + self.index(y0 * w), lin.reshape(-1, 3)[over] - back, back if self.paint else None

    def _through_view(self, y0: int, lin: np.ndarray, work: np.ndarray,
                      residual: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``through_view``'s way in (the module notes): ``work`` = the strip seen through
        the view (baked: :mod:`vfx_nodes.color.baked`); the residual = ``lin −
        inverse(view(lin))`` where that is beyond the bake's ``ROUND_TRIP_TOLERANCE`` (the
        colours the view cannot show, ~6 % of a photograph's pixels through ACES 2.0 SDR,
        and ~5 % more the bake does not bring back within 0.2 %), held values =
        ``inverse(view(lin))`` (what the network's input stands for)."""
        from ..color.baked import ROUND_TRIP_TOLERANCE, baked_view

        assert self.view is not None
        baked = baked_view(self.mix_space, *self.view, config=self.config)
        np.clip(np.nan_to_num(baked.to_display(lin), nan=0.0), 0.0, 1.0, out=work)
        if not residual:
            return np.empty(0, self.index), np.empty((0, 3), np.float32), None
        back = baked.from_display(work)
        rel, tol = (np.float32(t) for t in ROUND_TRIP_TOLERANCE)
        with np.errstate(invalid="ignore"):
            moved = ~_every(np.abs(lin - back) <= rel * np.abs(lin) + tol)
        if self.matte is not None:
            moved &= self.matte[y0:y0 + lin.shape[0]] > 0
        over = np.flatnonzero(moved).astype(self.index)
        held = back.reshape(-1, 3)[over]
        return over + self.index(y0 * self.plate.width), lin.reshape(-1, 3)[over] - held, held


def prepare(plate: Plate, *, working_default: str, layer: str = "", colorspace: str | None = None,
            working_colorspace: str | None = None, preserve_alpha: bool = True,
            highlights: str = "carry", config: Any = None, matte: np.ndarray | None = None,
            size: tuple[int, int] | None = None,
            through_view: tuple[str | None, str | None] | None = None) -> Frame:
    """One layer of ``plate`` as the network's working-space frame (see the module notes).

    Args:
        plate: the plate (never changed).
        working_default: the look's working colourspace, used unless ``working_colorspace``.
        layer, colorspace, working_colorspace, preserve_alpha, highlights, config: as in
            :func:`vfx_nodes.engine.stylize`.
        matte: where the look will apply (:func:`vfx_nodes.recipe.matte.matte_of`): the
            residual is kept only there (the network still sees the whole frame).
        through_view: ``(display, view)`` to paint through (the module notes; ``None``
            = the working space and ``highlights``; ``(None, None)`` = the config's
            default display and view).
        size: ``(h, w)`` the network runs at (stroke scale).  Smaller than the plate: the
            frame is *streamed* — ``net_in`` is the working-space frame area-averaged to
            ``size`` strip by strip (as ``F.interpolate(mode="area")``), and no frame-sized
            array is kept: :func:`finish` computes each strip's way in again (4K: 101 MB of
            working-space frame and the residual not held, for one more OCIO pass).
            Otherwise ``net_in`` is the frame at the plate's size.

    Raises:
        SettingsError: not a Plate.
        ChannelNotFoundError: the layer has no R, G, B.
        ColorSpaceError: an unknown colourspace.
    """
    if not isinstance(plate, Plate):
        raise SettingsError(f"the frame recipe needs a Plate, got {type(plate).__name__}")
    names = plate.rgb_names(layer)
    alpha_name = plate.alpha_name(layer) if preserve_alpha else None
    alpha = plate.channel(alpha_name) if alpha_name else None
    plate_space, mix_space, working = spaces(plate, working_default, colorspace, working_colorspace, config)
    paint = highlights == "paint" and through_view is None
    strips = _Strips(plate, _rgb_index(plate, names), alpha, plate_space, mix_space, working, config, paint, matte,
                     through_view)
    h, w = plate.height, plate.width
    no_residual = np.empty(0, strips.index), np.empty((0, 3), np.float32)
    if size is not None and tuple(size) != (h, w) and size[0] <= h and size[1] <= w:
        net_in = _area_streamed(strips, h, w, (int(size[0]), int(size[1])))
        return Frame(plate, names, alpha, net_in, *no_residual, None, None, plate_space, mix_space,
                     working, config, matte, strips, through_view)
    full = np.empty((h, w, 3), np.float32)
    base = np.empty((h, w, 3), np.float32) if paint else None
    parts = _map(lambda y0, y1: strips(y0, y1, full[y0:y1], None if base is None else base[y0:y1]), h, w)
    over = np.concatenate([p[0] for p in parts]) if parts else no_residual[0]
    residual = np.concatenate([p[1] for p in parts]) if parts else no_residual[1]
    # held values come with the residual of "paint" and through_view ("carry" has none)
    helds = [p[2] for p in parts if p[2] is not None]
    held = np.concatenate(helds) if helds else None
    return Frame(plate, names, alpha, full, over, residual, held, base, plate_space, mix_space, working,
                 config, matte, view=through_view)


def area_bins(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """``(start, stop)`` of each of ``n_out`` area-averaging bins over ``n_in`` samples, as
    adaptive average pooling (``F.interpolate(mode="area")``) cuts them: bin i covers
    ``[⌊i·n_in/n_out⌋, ⌈(i+1)·n_in/n_out⌉)``."""
    i = np.arange(n_out, dtype=np.int64)
    return (i * n_in) // n_out, ((i + 1) * n_in + n_out - 1) // n_out


def _pool_columns(a: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Rows × W × 3 → rows × len(start) × 3, each bin's mean (bins may share one column
    with the next: ``reduceat`` sums up to the next start, the shared column is added)."""
    sums = np.add.reduceat(a, start, axis=1)
    nxt = np.append(start[1:], a.shape[1])
    shared = stop > nxt
    if shared.any():
        sums[:, shared] += a[:, nxt[shared]]
    sums /= (stop - start).astype(np.float32)[None, :, None]
    return sums


def _area_streamed(strips: _Strips, h: int, w: int, size: tuple[int, int]) -> np.ndarray:
    """The frame's way in area-averaged to ``size``, computed in groups of output rows
    (each group's input rows once, on the thread pool; no frame-sized array)."""
    oh, ow = size
    rs, re_ = area_bins(h, oh)
    cs, ce = area_bins(w, ow)
    out = np.empty((oh, ow, 3), np.float32)
    per_group = max(1, int(STRIP_PIXELS / (w * h / oh)))

    def group(i0: int, i1: int) -> None:
        r0, r1 = int(rs[i0]), int(re_[i1 - 1])
        work = np.empty((r1 - r0, w, 3), np.float32)
        base = np.empty_like(work) if strips.paint else None
        strips(r0, r1, work, base, residual=False)
        cols = _pool_columns(work, cs, ce)
        for i in range(i0, i1):
            out[i] = cols[rs[i] - r0:re_[i] - r0].mean(axis=0)

    _run(group, [(i, min(oh, i + per_group)) for i in range(0, oh, per_group)])
    return out


# --- the way back ------------------------------------------------------------------------


def _bilinear_axis(n_out: int, n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices and weights of a bilinear resize along one axis, as PyTorch computes them
    (``align_corners=False``: source ``(o + ½)·in/out − ½``, clamped at 0)."""
    src = np.maximum((np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5, 0.0)
    i0 = np.minimum(src.astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = (src - i0).astype(np.float32)
    return i0, i1, lam


class _Upsampler:
    """Rows ``y0:y1`` of the low-resolution residual ``low`` resized (bilinear) to H×W."""

    def __init__(self, low: np.ndarray, h: int, w: int):
        self.low = low
        self.rows = _bilinear_axis(h, low.shape[0])
        self.cols = _bilinear_axis(w, low.shape[1])

    def __call__(self, y0: int, y1: int, base: np.ndarray | None = None) -> np.ndarray:
        """The rows ``y0:y1`` resized, plus ``base`` (those rows at full size) if given.

        As ``a + (b − a)·λ``: the differences are taken at the low resolution, so a full
        -size row costs two gathers (``np.take``), a multiply and two adds — 20 % less than
        ``a·(1 − λ) + b·λ`` there; the same value to float32 rounding."""
        r0, r1, ly = (a[y0:y1] for a in self.rows)
        tmp = self.low[r0]
        tmp += (self.low[r1] - tmp) * ly[:, None, None]
        step = np.zeros_like(tmp)
        np.subtract(tmp[:, 1:], tmp[:, :-1], out=step[:, :-1])  # 0 at the last column (c1 == c0)
        c0, _c1, lx = self.cols
        out = np.take(tmp, c0, axis=1)
        if base is not None:
            out += base
        gain = np.take(step, c0, axis=1)
        gain *= lx[None, :, None]
        out += gain
        return out


def _way_in(frame: Frame, y0: int, y1: int) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray,
                                                    np.ndarray, np.ndarray | None]:
    """Rows ``y0:y1`` of the way in: the network's input at full size (``None`` once
    :func:`finish` let it go), ``base`` (painting), and the strip's residual as local flat
    indices, values and held values — kept by :func:`prepare`, or computed again for a
    streamed frame."""
    w = frame.plate.width
    if frame.strips is not None:
        net = np.empty((y1 - y0, w, 3), np.float32)
        base = np.empty_like(net) if frame.strips.paint else None
        over, residual, held = frame.strips(y0, y1, net, base)
        return net, base, over - over.dtype.type(y0 * w), residual, held
    # the bounds in ``over``'s own dtype: a Python int makes numpy convert all of it
    lo, hi = np.searchsorted(frame.over, np.array((y0 * w, y1 * w), frame.over.dtype))
    full = frame.full
    kept = None if full is None else full[y0:y1]
    return (kept, None if frame.base is None else frame.base[y0:y1], frame.over[lo:hi] - y0 * w,
            frame.residual[lo:hi], None if frame.held is None else frame.held[lo:hi])


def _add_residual(st: np.ndarray, at: np.ndarray, residual: np.ndarray, held: np.ndarray | None) -> None:
    """What the network could not see, added back to the strip ``st`` (mixing space)."""
    if not at.size:
        return
    flat = st.reshape(-1, 3)
    if held is None:
        flat[at] += residual
        return
    # What the working space could not hold (a saturated highlight's negative channel
    # there) follows the pixel's change of exposure: added unscaled beside a darkened
    # pixel it would turn the light negative.  Below GAIN_FLOOR the change of exposure
    # is not defined (a pixel all below 0 — grain in a plate's blacks — is held as 0, and
    # any stroke over 0 was a gain of thousands): there the residual is added as it is.
    #
    # The residual is light (its sum: the pixel's exposure the view or the working space
    # could not show) and colour (how it is spread over R, G, B: a saturated colour the
    # gamut took in).  Its colour stays only as far as the stroke kept the pixel's colour
    # (:data:`CHROMA_HOLD`); elsewhere its light lands in the stroke's own colour.  Added
    # whole to a pixel the look painted another colour, a saturated red's excess turned a
    # grey stroke pink (benchmarks/RESULTS.md, "Specks").
    floor, dim = np.float32(GAIN_FLOOR), np.float32(CHROMA_FLOOR)
    now = flat[at]
    s_now, s_held = now.sum(axis=1), held.sum(axis=1)
    gain = np.maximum(s_now, floor) / np.maximum(s_held, floor)
    tint = now / np.maximum(s_now, dim)[:, None]  # the stroke's chromaticity
    along = residual.sum(axis=1)[:, None] * tint  # the residual's light in the stroke's colour
    moved = np.abs(tint - held / np.maximum(s_held, dim)[:, None]).max(axis=1)
    keep = 1.0 / (1.0 + (moved / np.float32(CHROMA_HOLD)) ** 2)
    keep[(s_now <= dim) | (s_held <= dim)] = 1.0  # a colour is not defined at black: kept there
    flat[at] += (along + keep[:, None] * (residual - along)) * gain[:, None]


def _hold_light(st: np.ndarray, lin: np.ndarray) -> None:
    """``through_view``, in place on ``st`` (mixing space): a pixel whose brightest channel
    is above both :data:`VIEW_CEILING` and the plate's own brightest channel (``lin``) is
    scaled down to that (its hue kept)."""
    cap = np.maximum(lin.max(axis=-1), np.float32(VIEW_CEILING))
    top = st.max(axis=-1)
    over = top > cap
    if over.any():
        st[over] *= (cap[over] / top[over])[:, None]


def _back_through_view(frame: Frame, st: np.ndarray, idx: Any, y0: int,
                       y1: int) -> tuple[np.ndarray, np.ndarray]:
    """``through_view``'s way back for rows ``y0:y1``: the network's display-referred
    result (0–1) through the inverse view, its light held (:func:`_hold_light`) against
    the plate's straight colour, which is returned too (the mixing space)."""
    from ..color.baked import baked_view

    assert frame.view is not None
    out = baked_view(frame.mix_space, *frame.view, config=frame.config).from_display(np.clip(st, 0.0, 1.0, out=st))
    lin = _linear(frame.plate, idx, frame.alpha, y0, y1, frame.plate_space, frame.mix_space, frame.config)
    _hold_light(out, lin)
    return out, lin


def finish(frame: Frame, styled: np.ndarray, *, strength: float = 1.0, luminance_only: bool = False,
           low_residual: bool = False, coarse: np.ndarray | None = None) -> Plate:
    """The network's result back into a new plate (see the module notes).

    Args:
        frame: what :func:`prepare` made (its frame-sized arrays are released).
        styled: the network's H×W×3 working-space output (changed in place), or with
            ``low_residual`` its output minus its input at a reduced size (stroke scale
            ≠ 1): that residual is resized (bilinear) and added to the full-size input,
            so edges, highlights and fine detail keep the plate's resolution.
        strength: 0–1, mixed in the scene-linear mixing space.
        luminance_only: keep the plate's colour (YIQ, Gatys et al. 2016).
        coarse: with ``low_residual``, a second residual at its own (smaller) size, resized
            and added the same way (a two-scale look: vfx_nodes/engine/detail.py).

    Returns:
        A new Plate: the layer's R, G, B replaced, every other channel bit-identical.
    """
    from ..color import convert_rgb, premultiply

    plate, alpha, h, w = frame.plate, frame.alpha, frame.plate.height, frame.plate.width
    idx = _rgb_index(plate, frame.names)
    if not low_residual and not luminance_only and frame.base is None:
        # the network's input is not read again: let it go before the new plate exists
        # (4K at stroke scale 1: 101 MB off the peak)
        frame.net_in = None  # type: ignore[assignment]
    # filled strip by strip (the other channels copied in the workers): a frame-sized copy
    # in one call costs the page faults of ~100–200 MB on one core
    pixels = np.empty_like(plate.pixels)
    s = np.float32(strength)
    up = _Upsampler(styled, h, w) if low_residual else None
    up_coarse = _Upsampler(coarse, h, w) if low_residual and coarse is not None else None
    matte = frame.matte

    def strip(y0: int, y1: int) -> None:
        pixels[y0:y1] = plate.pixels[y0:y1]
        m = None if matte is None else matte[y0:y1]
        if m is not None and not m.any():
            return  # the matte is 0 across the strip: the input, and no colour work
        net, base, at, residual, held = _way_in(frame, y0, y1)
        st = up(y0, y1, base=net) if up is not None else styled[y0:y1]
        if up_coarse is not None:
            st += up_coarse(y0, y1)
        if net is not None and luminance_only:
            st = np.ascontiguousarray(net + ((st - net) @ LUMA_WEIGHTS)[..., None])
        if net is not None and base is not None:
            expand_painted(st, base, net)
        lin = None  # the plate's straight colour in the mixing space: read once, if needed
        if frame.view is not None:
            st, lin = _back_through_view(frame, st, idx, y0, y1)
        else:
            st = convert_rgb(st, frame.working, frame.mix_space, config=frame.config, out=st)
        _add_residual(st, at, residual, held)
        if s != 1 or (m is not None and not (m == 1).all()):
            # in + k·(styled − in) in scene-linear, k = strength × matte (Nuke's mask and mix)
            if lin is None:
                lin = _linear(plate, idx, alpha, y0, y1, frame.plate_space, frame.mix_space, frame.config)
            st -= lin
            st *= s if m is None else (s * m)[..., None]
            st += lin
        if frame.mix_space != frame.plate_space:
            convert_rgb(st, frame.mix_space, frame.plate_space, config=frame.config, out=st)
        orig = plate.pixels[y0:y1, :, idx]
        # Pixels kept as they were: any non-finite R, G, B (NaN stays NaN), and — with an
        # alpha — fully transparent ones (alpha ≤ 0 or NaN): there is no surface there for
        # a style to act on, only nothing or additive emission (a glow), and the network's
        # output would add a faint tint over whatever the plate is later merged onto.
        keep = ~_every(np.isfinite(orig))
        if m is not None:
            keep |= m <= 0  # where the matte is 0 the output is the input, bit for bit
        if alpha is not None:
            a = alpha[y0:y1]
            premultiply(st, a, out=st)
            with np.errstate(invalid="ignore"):
                keep |= ~(a > 0)
        if keep.any():
            st[keep] = orig[keep]
        pixels[y0:y1, :, idx] = st

    _map(strip, h, w)
    frame.net_in = frame.base = None  # type: ignore[assignment]
    exact = {k: v for k, v in plate.exact.items() if k not in frame.names}
    return plate.replace(pixels=pixels, exact=exact)

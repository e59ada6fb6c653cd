"""A display/view baked into OCIO LUTs: the view's picture at a tenth of its cost.

``through_view`` (:mod:`vfx_nodes.recipe.frame`) sends every pixel of a frame through the
show's view and back through its inverse, up to four times for a streamed frame.  OCIO's
CPU processor runs ACES 2.0's output transform at ~0.4 µs a pixel each way (a 1080p frame
~0.8 s a pass on one core), more than the whole look.  Baked into a 3D LUT the same view
costs ~0.05 µs a pixel (benchmarks/RESULTS.md, "The view baked").

A bake is OCIO's own transforms, built in memory (nothing is written to disk):

* forward: an ``AllocationTransform`` (``ALLOCATION_LG2``: a log2 shaper, as OCIO's own
  ``Baker`` and the ACES reference LUTs use for scene-linear input) from
  :data:`SHAPER_LOW` to twice the view's white, then a tetrahedral ``Lut3DTransform``
  of :data:`BAKE_SIZE`³ samples of the exact view;
* inverse: a 1D ``Lut1DTransform`` that straightens the view's neutral tone curve (the
  inverse is steep near display white: ACES 2.0 SDR gives 34 × diffuse white at 0.99 and
  128 × at 1, so a plain cube put the whole highlight roll-off in one cell), then a
  ``Lut3DTransform`` whose samples are the exact inverse in the log2 shaper, then the
  shaper's inverse.

What a bake approximates is measured, not assumed (``tests/test_baked_view.py``): on the
OpenEXR sample photographs through ACES 2.0 SDR, the forward differs from the exact view
by a median 1e-4 of the display range (99th percentile 1.3e-3, a third of an 8-bit code),
and the inverse, seen through the exact view again, by 3e-5 (99th percentile 4e-4).  A
view of matrices, curves and LUTs alone is not baked (:func:`baked_view`).  A caller
that needs a value back exactly (``through_view``'s residual) compares the round
trip with :data:`ROUND_TRIP_TOLERANCE` and carries the difference itself.

A bake's processors live in a raw config of their own with OCIO's processor cache off
(:func:`_private`), and one thread bakes a view while any others asking for it wait.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import PyOpenColorIO as ocio

from .config import ConfigLike, get_config
from .convert import OPTIMIZATION, _apply, _as_rgb, get_display_view_processor
from .names import resolve_colorspace, resolve_display_view

__all__ = ["BAKE_SIZE", "ROUND_TRIP_TOLERANCE", "SHAPER_LOW", "BakedView", "baked_view", "bakes_made", "clear_bakes"]

#: Samples per axis of the baked cubes: 129, OCIO's largest ``Lut3DTransform`` grid (about
#: 9 samples a stop over the forward shaper's 14.6 stops for ACES 2.0 SDR).  Each cube is
#: 129³ × 3 float32 = 26 MB; a bake evaluates the exact view on 2.1 M samples each way
#: (~1–3 s, once per process and view).
BAKE_SIZE = 129

#: The forward shaper's lowest scene-linear value: a little below 0, so grain in the
#: blacks stays inside the cube.  Below it the shaper clamps, and a caller's round-trip
#: check (:data:`ROUND_TRIP_TOLERANCE`) finds the pixel.
SHAPER_LOW = -0.01

#: The forward shaper's offset (``log2(x + offset)``): its finest step is at ``SHAPER_LOW``.
SHAPER_OFFSET = 0.02

#: ``(relative, absolute)``: a scene-linear value ``x`` has come back through a baked
#: view and its inverse when ``|x − back| ≤ relative·|x| + absolute``.  2e-3 is 0.003 of a
#: stop, a fifth of the smallest exposure step a viewer tells apart (~1 %: the Weber
#: fraction of luminance, Hecht 1924); 1e-4 is 1/10 000 of diffuse white in the blacks.
ROUND_TRIP_TOLERANCE = (2e-3, 1e-4)

#: Entries of the inverse's 1D tone-curve shaper.
_CURVE_SIZE = 4096

#: The share of a straight line in the inverse's shaper: keeps it strictly increasing where
#: a view's inverse is flat (a clipping view above its white).
_CURVE_LINEAR = 0.1

#: A sample is a spike (:func:`_sample`) when it differs from both its neighbours along an
#: axis by more than this (display values, or the log2 shaper's 0–1), and is taken again
#: at ``× (1 ± _JITTER)``.
_SPIKE = 0.25
_JITTER = 1e-3

_MAX_BAKES = 8
_lock = threading.Lock()
_bakes: OrderedDict[Hashable, BakedView] = OrderedDict()
_building: dict[Hashable, threading.Lock] = {}
_made = 0  # bakes made in this process (bakes_made)


@dataclasses.dataclass(frozen=True)
class BakedView:
    """A display/view and its inverse as two OCIO CPU processors (see the module notes).

    Attributes:
        forward: scene values (the source colourspace) → display values.
        inverse: display values (0–1) → scene values.
        top: the scene-linear value the forward shaper ends at (twice the view's white);
            above it the forward gives the view's white (``inf`` when not baked).
        baked: ``False`` for a view not worth baking (:func:`baked_view`): ``forward``
            and ``inverse`` are then OCIO's exact processors.
    """

    forward: ocio.CPUProcessor
    inverse: ocio.CPUProcessor
    top: float
    baked: bool = True

    def to_display(self, rgb: np.ndarray) -> np.ndarray:
        """``rgb`` (``(..., 3)``, not changed) through the baked view, as a new float32
        array; NaN/Inf channels are kept as they are (as :func:`display_view_rgb`)."""
        return _apply(self.forward, _as_rgb(rgb))

    def from_display(self, rgb: np.ndarray) -> np.ndarray:
        """Display values (``(..., 3)``, not changed) through the baked inverse, as a new
        float32 array (NaN/Inf kept)."""
        return _apply(self.inverse, _as_rgb(rgb))


def bakes_made() -> int:
    """How many views this process has baked (diagnostics: a view asked for by many
    threads at once is baked once)."""
    return _made


def clear_bakes() -> None:
    """Forget every baked view (with :func:`vfx_nodes.color.clear_caches`)."""
    with _lock:
        _bakes.clear()
        _building.clear()


def baked_view(src: str, display: str | None = None, view: str | None = None, *,
               config: ConfigLike = None, size: int = BAKE_SIZE) -> BakedView:
    """The display/view of ``src`` baked into LUTs, cached per config, space and view.

    Only a view whose OCIO processor holds a ``FixedFunctionTransform`` (the ACES output
    transforms, ACES 2.0's ~0.4 µs a pixel; the ACES gamut compressors) is baked; a view
    of matrices, curves and LUTs is already as fast as a bake (sRGB's "Video
    (colorimetric)": 0.12 s at 1080p against the bake's 0.10 s) and is returned exact
    (``baked`` False) — a cube would only round off its clip at display white.

    Args:
        src: the scene-linear colourspace (alias, role) the values are in.
        display, view: as in :func:`vfx_nodes.color.display_view_rgb` (``None`` = the
            config's defaults).
        config: see :func:`~vfx_nodes.color.get_config`.
        size: samples per axis of the cubes (2–129).

    Raises:
        ColorSpaceError: an unknown colourspace, display or view.
        ColorConfigError: OCIO cannot build the view or its inverse.
        ValueError: ``size`` outside 2–129.
    """
    if not 2 <= int(size) <= 129:
        raise ValueError(f"size must be 2-129 (OCIO's 3D LUT grids), got {size!r}")
    cfg = get_config(config)
    s = resolve_colorspace(src, cfg)
    disp, v = resolve_display_view(display, view, src=s, config=cfg)
    key = (cfg.getCacheID(), s, disp, v, int(size))
    with _lock:
        hit = _bakes.get(key)
        if hit is not None:
            _bakes.move_to_end(key)
            return hit
        building = _building.setdefault(key, threading.Lock())
    # One thread bakes a view, the others wait for it: the frame recipe's strip workers
    # all ask at once on a frame's first strips, and a bake uses every core and ~0.3 GB
    # while it runs.  Other views are not held up (the global lock is not held).
    with building:
        with _lock:
            hit = _bakes.get(key)
        if hit is None:
            hit = _build(cfg, s, disp, v, int(size))
            with _lock:
                _bakes[key] = hit
                _building.pop(key, None)
                while len(_bakes) > _MAX_BAKES:
                    _bakes.popitem(last=False)
    return hit


def _build(cfg: ocio.Config, src: str, display: str, view: str, size: int) -> BakedView:
    """The baked view, or the exact processors for a view not worth baking."""
    forward = get_display_view_processor(src, display, view, config=cfg)
    inverse = get_display_view_processor(src, display, view, inverse=True, config=cfg)
    if not _worth_baking(cfg, src, display, view):
        return BakedView(forward, inverse, float("inf"), baked=False)
    global _made
    with _lock:
        _made += 1
    return _bake(forward, inverse, size)


def _worth_baking(cfg: ocio.Config, src: str, display: str, view: str) -> bool:
    """Whether the view's optimised processor evaluates a fixed function (see
    :func:`baked_view`)."""
    proc = cfg.getProcessor(ocio.DisplayViewTransform(src=src, display=display, view=view))
    ops = proc.getOptimizedProcessor(OPTIMIZATION).createGroupTransform()
    return any(isinstance(op, ocio.FixedFunctionTransform) for op in ops)


def _run(cpu: ocio.CPUProcessor, rgb: np.ndarray) -> np.ndarray:
    """``cpu`` on a copy of the N×3 ``rgb``, in chunks over the cores (OCIO releases the
    GIL), non-finite results as 0."""
    out = np.array(rgb, np.float32, order="C", copy=True)
    chunks = np.array_split(out, max(1, min(os.cpu_count() or 1, 16, len(out))))
    with ThreadPoolExecutor(len(chunks)) as pool:
        list(pool.map(cpu.applyRGB, chunks))
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def _spikes(table: np.ndarray, size: int) -> np.ndarray:
    """Flat indices of samples that stand out from both neighbours, the same way, along
    an axis of the cube by more than :data:`_SPIKE`."""
    cube = table.reshape(size, size, size, 3)
    found = np.zeros((size, size, size), bool)
    for axis in range(3):
        mid = [slice(None)] * 4
        mid[axis] = slice(1, -1)
        prev, nxt = list(mid), list(mid)
        prev[axis], nxt[axis] = slice(None, -2), slice(2, None)
        up = (cube[tuple(mid)] - cube[tuple(prev)] > _SPIKE) & (cube[tuple(mid)] - cube[tuple(nxt)] > _SPIKE)
        down = (cube[tuple(prev)] - cube[tuple(mid)] > _SPIKE) & (cube[tuple(nxt)] - cube[tuple(mid)] > _SPIKE)
        found[tuple(mid[:3])] |= (up | down).any(axis=-1)
    return np.flatnonzero(found)


def _sample(cpu: ocio.CPUProcessor, points: np.ndarray, size: int) -> np.ndarray:
    """``cpu`` at the cube's sample ``points``; where a sample is a spike, the median of it
    and the transform a hair either side (:data:`_JITTER`).  OCIO's ACES 2.0 output
    transform has isolated points that come out black — ``(98.8, 159.1, 84.3)`` ACEScg
    through the SDR view gives ``(0, 0, 0)``, its neighbours white — and a LUT would
    spread one over a whole cell of highlights."""
    table = _run(cpu, points)
    at = _spikes(table, size)
    if at.size:
        near = points[at]
        either = [_run(cpu, near * np.float32(1.0 + k)) for k in (_JITTER, -_JITTER)]
        table[at] = np.median(np.stack([table[at], *either]), axis=0)
    return table


def _shaper(top: float, direction: ocio.TransformDirection = ocio.TRANSFORM_DIR_FORWARD) -> ocio.Transform:
    """The log2 shaper from :data:`SHAPER_LOW` to ``top`` (0–1 between them)."""
    lo, hi = np.log2(SHAPER_LOW + SHAPER_OFFSET), np.log2(top + SHAPER_OFFSET)
    return ocio.AllocationTransform(allocation=ocio.ALLOCATION_LG2, vars=[float(lo), float(hi), SHAPER_OFFSET],
                                    direction=direction)


def _cube(values: np.ndarray, size: int) -> ocio.Lut3DTransform:
    """A tetrahedral 3D LUT of ``values`` (``size``³ × 3, red slowest: OCIO's order)."""
    lut = ocio.Lut3DTransform(gridSize=size)
    lut.setInterpolation(ocio.INTERP_TETRAHEDRAL)
    lut.setData(np.ascontiguousarray(values, np.float32).ravel())
    return lut


def _private() -> ocio.Config:
    """A config of its own for a bake's transforms, its processor cache off.  OCIO caches a
    config's processors by the transforms' text, which for an in-memory LUT is its size
    and interpolation, not its values: built in a shared config, the second view baked
    with the same shaper got the first one's processors (a Raw view came back as the
    colorimetric video view baked before it)."""
    raw = ocio.Config.CreateRaw()
    raw.setProcessorCacheFlags(ocio.PROCESSOR_CACHE_OFF)
    return raw


def _processor(cfg: ocio.Config, parts: list[ocio.Transform]) -> ocio.CPUProcessor:
    return cfg.getProcessor(ocio.GroupTransform(parts)).getOptimizedCPUProcessor(
        ocio.BIT_DEPTH_F32, ocio.BIT_DEPTH_F32, OPTIMIZATION)


def _tone_curve(inverse: ocio.CPUProcessor, to_log: ocio.CPUProcessor, x: np.ndarray) -> np.ndarray:
    """The inverse's 1D shaper at display values ``x`` (0–1): the view's neutral inverse in
    the log2 shaper (``to_log``), 0–1, strictly increasing (:data:`_CURVE_LINEAR` of a
    straight line blended in)."""
    neutral = _run(to_log, _run(inverse, np.repeat(x[:, None], 3, axis=1)))[:, 1]
    neutral = np.maximum.accumulate(neutral)
    span = float(neutral[-1] - neutral[0])
    curve = (neutral - neutral[0]) / span if span > 0 and np.isfinite(span) else x
    return ((1.0 - _CURVE_LINEAR) * curve + _CURVE_LINEAR * x).astype(np.float32)


def _bake(forward: ocio.CPUProcessor, inverse: ocio.CPUProcessor, size: int) -> BakedView:
    """Sample the exact view and its inverse into the two LUT chains (the module notes)."""
    cfg = _private()
    white = _run(inverse, np.ones((1, 3), np.float32)).max()
    top = float(np.clip(2.0 * white, 1.0, 65504.0))
    axis = np.linspace(0.0, 1.0, size, dtype=np.float32)
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)
    from_log = cfg.getProcessor(_shaper(top, ocio.TRANSFORM_DIR_INVERSE)).getDefaultCPUProcessor()
    to_log = cfg.getProcessor(_shaper(top)).getDefaultCPUProcessor()
    fwd = _processor(cfg, [_shaper(top), _cube(_sample(forward, _run(from_log, grid), size), size)])
    line = np.linspace(0.0, 1.0, _CURVE_SIZE, dtype=np.float32)
    curve = _tone_curve(inverse, to_log, line)
    shaped = ocio.Lut1DTransform(length=_CURVE_SIZE)
    shaped.setData(np.repeat(curve[:, None], 3, axis=1).ravel())
    display = np.interp(grid, curve, line).astype(np.float32)  # the display value at each sample
    inv = _processor(cfg, [shaped, _cube(_run(to_log, _sample(inverse, display, size)), size),
                           _shaper(top, ocio.TRANSFORM_DIR_INVERSE)])
    return BakedView(fwd, inv, top)

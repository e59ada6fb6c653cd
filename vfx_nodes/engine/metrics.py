"""Measuring a shot's temporal stability: the warping error of Lai et al. (2018).

Kept apart from the renderer (:mod:`vfx_nodes.engine.sequence`): benchmarks and tests
measure flicker; rendering does not.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import SettingsError

__all__ = ["warping_error", "warping_error_along"]


def warping_error(frames: Sequence[Any], shift: tuple[int, int]) -> float:
    """Warping error of a sequence whose motion is a known integer shift per frame.

    Lai et al. (2018), "Learning Blind Video Temporal Consistency" (ECCV), measure
    temporal stability as ``E_warp = 1/(T-1) Σ_t  Σ_p M_t(p) ‖V_t(p) − Ŵ(V_{t-1})(p)‖² /
    Σ_p M_t(p)``: frame t-1 warped to frame t by the motion, compared where the warp is
    valid (here: averaged over channels too). With a synthetic camera move — a crop
    window sliding ``(dx, dy)`` pixels per frame over a still plate, so that
    ``V_t(y, x)`` shows what ``V_{t-1}(y + dy, x + dx)`` showed — the warp is an exact
    shift and the mask ``M_t`` is the overlap of the two windows; no optical flow needed.

    Args:
        frames: ``T ≥ 2`` arrays ``H×W`` or ``H×W×C`` of equal shape.
        shift: ``(dx, dy)``, the window's movement per frame in pixels (integers).

    Returns:
        The mean over frame pairs of the masked mean squared difference.

    Raises:
        SettingsError: fewer than two frames, shapes differ, or no overlap.
    """

    arrs = [np.asarray(f, dtype=np.float64) for f in frames]
    if len(arrs) < 2:
        raise SettingsError(f"warping error needs at least 2 frames, got {len(arrs)}")
    if any(a.shape != arrs[0].shape for a in arrs):
        raise SettingsError(f"warping error: frames differ in shape ({sorted({a.shape for a in arrs})})")
    dx, dy = (int(v) for v in shift)
    h, w = arrs[0].shape[:2]
    if abs(dx) >= w or abs(dy) >= h:
        raise SettingsError(f"warping error: a shift of ({dx}, {dy}) leaves no overlap in a {w}×{h} frame")
    # Overlap in frame t coordinates: 0 ≤ y+dy < h and 0 ≤ x+dx < w.
    ys, xs = slice(max(0, -dy), min(h, h - dy)), slice(max(0, -dx), min(w, w - dx))
    ys_prev, xs_prev = slice(ys.start + dy, ys.stop + dy), slice(xs.start + dx, xs.stop + dx)
    errors = [float(np.mean((cur[ys, xs] - prev[ys_prev, xs_prev]) ** 2))
              for prev, cur in itertools.pairwise(arrs)]
    return float(np.mean(errors))


def warping_error_along(frames: Sequence[Any], backward: Sequence[Any], valid: Sequence[Any]) -> float:
    """Warping error of a sequence along given motion (Lai et al. 2018, as
    :func:`warping_error`): frame t−1 warped to frame t by ``backward[t]`` (``H×W×2``
    displacement to where each pixel of frame t was in frame t−1, y down; bilinear), the
    squared difference averaged over channels and over the pixels where ``valid[t]`` is
    true (visible in both frames: occluded and disoccluded pixels left out).

    Args:
        frames: ``T ≥ 2`` arrays ``H×W×C`` (display-encoded, as a viewer sees them).
        backward: per frame, the motion to the previous frame (``backward[0]`` unused).
        valid: per frame, an ``H×W`` mask (``valid[0]`` unused).

    Raises:
        SettingsError: fewer than two frames, mismatched lengths or shapes, or no valid pixel.
    """
    from .motion import warp

    arrs = [np.asarray(f, dtype=np.float32) for f in frames]
    if len(arrs) < 2 or len(backward) != len(arrs) or len(valid) != len(arrs):
        raise SettingsError(f"warping error needs ≥ 2 frames with one motion field and mask each, got "
                            f"{len(arrs)} frames, {len(backward)} fields, {len(valid)} masks")
    errors = []
    for t in range(1, len(arrs)):
        if arrs[t].shape != arrs[0].shape or np.shape(backward[t])[:2] != arrs[t].shape[:2]:
            raise SettingsError(f"warping error: frame {t} or its motion differs in shape")
        warped, inside = warp(arrs[t - 1], np.asarray(backward[t], np.float32))
        mask = np.asarray(valid[t], bool) & (inside > 0)
        if not mask.any():
            raise SettingsError(f"warping error: frame {t} has no pixel visible in frame {t - 1}")
        errors.append(float(np.mean((warped[mask] - arrs[t][mask]) ** 2)))
    return float(np.mean(errors))

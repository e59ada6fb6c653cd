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

__all__ = ["warping_error"]


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

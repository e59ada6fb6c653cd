"""Two stroke scales in one frame: the painting's large strokes and its fine touch.

A feed-forward look paints strokes of one size in network pixels, so one stroke scale
chooses between the views a compositor judges: at a small scale the whole frame reads as
the painting but 1:1 shows soft, upsampled strokes; at a large one 1:1 is crisp but the
frame reads as the photograph with a painted texture (``benchmarks/RESULTS.md``, "Two
stroke scales").  LapStyle (Lin et al., CVPR 2021) drafts at a low resolution and revises
at a high one; here both passes are the same look, and their *residuals* (network output −
input, the stylisation) are combined as a two-level Laplacian pyramid (Burt & Adelson
1983): the low band from the coarse pass, the band above it from the fine pass,

    R = up(R_fine) + up(R_coarse − down(R_fine))

with ``down`` the area average to the coarse pass's size and ``up`` the bilinear resize to
the plate's; :func:`vfx_nodes.recipe.finish` resizes each term straight from its own pass's
size and adds ``R`` to the full-resolution frame, as for any stroke scale below 1.  Each
pass is normalised by its own thumbnail's statistics (or both by given shot statistics).

A look asks for it by recording ``detail_height`` beside ``frame_height`` in its
metadata (instant looks do): with ``scale="auto"`` the coarse pass runs at
``frame_height`` rows and the fine one at ``detail_height``.  A numeric ``scale`` is one
pass at that scale, as before; so is a plate not taller than ``frame_height``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..plate import Plate

__all__ = ["area_down", "coarse_delta", "detail_scale"]


def detail_scale(scale: Any, look: Any, plate: Plate, stroke: float) -> float | None:
    """The fine pass's stroke scale for ``plate``, or ``None`` for one pass.

    Only ``scale="auto"`` (or ``None``) on a look whose metadata records a
    ``detail_height`` runs two passes, and only where the first pass is below scale 1;
    the fine pass is at most scale 1 (a plate shorter than ``detail_height`` gets its
    fine touch at its own resolution).
    """
    if not (scale is None or (isinstance(scale, str) and scale.strip().lower() in ("", "auto"))):
        return None
    made = (getattr(look, "metadata", None) or {}).get("detail_height")
    if isinstance(made, bool) or not isinstance(made, (int, float)) or not made > 0:
        return None
    height = plate.display_size[1]
    fine = min(1.0, float(made) / height) if height > 0 else 1.0
    return fine if stroke < fine else None


def _nchw(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).permute(2, 0, 1)[None]


def area_down(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """H×W×3 → size[0]×size[1]×3, area-averaged (the coarse pass's input from the fine's)."""
    y = F.adaptive_avg_pool2d(_nchw(frame), size)
    return np.ascontiguousarray(y[0].permute(1, 2, 0).numpy())


def coarse_delta(fine: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """``coarse − down(fine)`` at the coarse pass's size: resized (bilinear) to the plate
    and added with the fine residual, the plate gets the fine pass above the coarse pass's
    band and the coarse pass below it.  Each term is resized straight to the plate (in
    :func:`vfx_nodes.recipe.finish`): resized twice (coarse → fine → plate) the coarse
    strokes came out softer.  Measured against band-limiting the coarse residual to the
    fine pass's band first (``down(up(coarse))``): that read less of the painting at the
    frame's view on six style images of nine (benchmarks/RESULTS.md, "Two stroke scales")."""
    return coarse - area_down(fine, coarse.shape[:2])

"""A look that holds still by itself: the temporal objective of ``vfx-style train --temporal``.

A feed-forward look boils on a moving plate because its strokes are not tied to the
picture: move the plate by a fraction of the network's stride and different strokes come
out. Training can ask for the missing property directly. ReReVST (Wang et al. 2020,
"Consistent Video Style Transfer via Relaxation and Regularization") trains with random
synthetic motion instead of optical flow on video: a crop and the same crop moved by a
small random transform must give outputs that differ by exactly that transform:

    L_temporal = ‖ G(T(x)) − T(G(x)) ‖²   (over the pixels T keeps inside the crop)

ReCoNet (Gao et al. 2018) adds the same kind of output term on flow-warped frame pairs.
The random motion here is what makes a look boil in practice — sub-pixel and
non-stride shifts, a small roll and zoom — so no video, no flow network and no extra
data are needed: the show's frames already used for training are enough.

The term needs a second generator pass on the moved batch (about 1.6× a step's cost).
A look that is steady by itself helps everywhere a frame is styled alone — host exports,
the Look Lab, a farm task without a pre-roll — and the motion-guided render
(:mod:`vfx_nodes.engine.temporal`) removes what is left.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["TEMPORAL_TRAIN_WEIGHT", "random_motion", "temporal_loss"]

#: the weight ``--temporal`` gives the term when none is named: the term of a boiling look
#: is ~3e-2 (working space, 0–1) next to content losses of ~1.3e5 on the Caffe VGG scale.
#: Measured (benchmarks/RESULTS.md, 12 CPU minutes from the instant look, on plates not
#: measured): 2e7 left 0.53–0.57× the instant look's warping error, 6e7 0.37×, with
#: less style loss than the instant look either way
TEMPORAL_TRAIN_WEIGHT = 6e7
#: the largest random shift (px), roll (degrees) and zoom of the synthetic motion
MAX_SHIFT, MAX_ROLL, MAX_ZOOM = 4.0, 1.5, 0.03


def random_motion(n: int, h: int, w: int, generator: Any, device: Any = "cpu") -> Any:
    """``n`` random small motions as ``affine_grid`` sampling grids (``N×H×W×2``):
    shifts up to ``MAX_SHIFT`` px, rolls up to ``MAX_ROLL``°, zooms up to ``MAX_ZOOM``."""
    import torch
    import torch.nn.functional as F

    u = torch.rand(n, 4, generator=generator) * 2 - 1
    angle = u[:, 0] * math.radians(MAX_ROLL)
    zoom = 1 + u[:, 1] * MAX_ZOOM
    tx, ty = u[:, 2] * MAX_SHIFT * 2 / w, u[:, 3] * MAX_SHIFT * 2 / h  # normalised coordinates
    cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
    theta = torch.stack([torch.stack([cos, -sin * h / w, tx], 1), torch.stack([sin * w / h, cos, ty], 1)], 1)
    return F.affine_grid(theta.to(device), [n, 3, h, w], align_corners=False)


def _move(x: Any, grid: Any) -> Any:
    import torch.nn.functional as F

    return F.grid_sample(x, grid.to(x.dtype), mode="bilinear", padding_mode="border", align_corners=False)


def temporal_loss(generator: Any, content: Any, fake: Any, grid: Any, autocast: Any = None) -> Any:
    """``mean ‖G(T(x)) − T(G(x))‖²`` over the interior the motion keeps in the crop.

    Args:
        generator: the generator being trained (called once more, on the moved batch).
        content: the ``N×3×H×W`` batch.
        fake: ``generator(content)`` (already computed by the step; gradients flow
            through both passes).
        grid: :func:`random_motion` grids for the batch.
        autocast: a context-manager factory for the generator pass (the step's precision).
    """
    import contextlib


    moved = _move(content, grid)
    with (autocast() if autocast is not None else contextlib.nullcontext()):
        fake_moved = generator(moved)
    target = _move(fake.float(), grid)
    # pixels whose source lies inside the crop, away from the border the motion drags in
    margin = 2 * MAX_SHIFT + 2
    h, w = content.shape[-2:]
    inside = (grid[..., 0].abs() <= 1 - 2 * margin / w) & (grid[..., 1].abs() <= 1 - 2 * margin / h)
    mask = inside.unsqueeze(1).to(fake_moved.dtype)
    diff = (fake_moved.float() - target) ** 2 * mask
    return diff.sum() / (mask.sum() * 3).clamp_min(1.0)


def held_out_temporal(generator: Any, crops: Any, seed: int = 0, batch: int = 4) -> float:
    """The temporal loss of ``generator`` (eval mode, no grad) on held-out ``crops`` with a
    fixed set of motions: the evaluation score's temporal part."""
    import torch

    g = torch.Generator().manual_seed(seed)
    was = generator.training
    generator.eval()
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for i in range(0, len(crops), batch):
                x = crops[i:i + batch]
                grid = random_motion(len(x), x.shape[-2], x.shape[-1], g, x.device)
                total += float(temporal_loss(generator, x, generator(x), grid)) * len(x)
                count += len(x)
    finally:
        generator.train(was)
    return total / max(count, 1)

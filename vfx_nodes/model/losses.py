"""Losses of feed-forward style transfer with an adversarial term.

Perceptual losses follow Gatys et al. (2016) and Johnson et al. (2016); features ``F``
come from :class:`vfx_nodes.model.vgg.VGG19Features`.  Every loss is computed **per
image** and then averaged over the batch (``reduction="mean"``), or returned per image
(``reduction="none"``), so a batch gives the same value as its images one by one.

Adversarial losses take the raw *logits* of :class:`PatchDiscriminator` and use the
numerically stable forms (softplus rather than log of a sigmoid).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F

from ..errors import ModelError

__all__ = [
    "ADVERSARIAL_MODES",
    "content_loss",
    "discriminator_loss",
    "generator_adversarial_loss",
    "gram_matrix",
    "style_loss",
    "total_loss",
    "total_variation_loss",
]

#: adversarial loss modes
ADVERSARIAL_MODES = ("lsgan", "hinge", "bce")


def _reduce(per_image: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return per_image.mean()
    if reduction == "none":
        return per_image
    raise ModelError(f"reduction {reduction!r} is invalid: use 'mean' or 'none'")


def _check4(name: str, t: torch.Tensor) -> None:
    if not isinstance(t, torch.Tensor) or t.ndim != 4:
        shape = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
        raise ModelError(f"{name} must be an N×C×H×W tensor, got {shape}")


def content_loss(features: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Feature reconstruction loss (Johnson et al. 2016, eq. 2).

    ``L_content(ŷ, y_c) = 1/(C·H·W) · Σ_{c,h,w} (F(ŷ) − F(y_c))²`` per image, then the mean
    over the batch.

    Args:
        features: ``F(ŷ)``, N×C×H×W.
        target: ``F(y_c)``, N×C×H×W, or 1×C×H×W broadcast to every image.
        reduction: ``"mean"`` (scalar) or ``"none"`` (N values).
    """
    _check4("content features", features)
    _check4("content target", target)
    if target.shape[1:] != features.shape[1:] or target.shape[0] not in (1, features.shape[0]):
        raise ModelError(f"content target shape {tuple(target.shape)} does not match features {tuple(features.shape)}")
    per_image = (features - target).pow(2).flatten(1).mean(1)
    return _reduce(per_image, reduction)


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Normalised Gram matrix per image (Gatys et al. 2016; Johnson et al. 2016, eq. 3).

    ``G_ij = 1/(C·H·W) · Σ_k F_ik F_jk`` with ``F`` reshaped to C×(H·W).

    Args:
        features: N×C×H×W.

    Returns:
        N×C×C.
    """
    _check4("Gram features", features)
    n, c, h, w = features.shape
    f = features.reshape(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def style_loss(features: Mapping[str, torch.Tensor], style_grams: Mapping[str, torch.Tensor],
               weights: Mapping[str, float] | None = None, reduction: str = "mean") -> torch.Tensor:
    """Gram-matrix style loss over several layers.

    ``L_style = Σ_l w_l · 1/C_l² · Σ_ij (G_l(ŷ) − G_l(y_s))²_ij`` per image, then the mean
    over the batch (``1/C_l² Σ_ij`` is the mean over the C_l×C_l entries).

    Args:
        features: layer → ``F_l(ŷ)`` (N×C×H×W).
        style_grams: layer → ``G_l(y_s)``: C×C or 1×C×C (one style, broadcast across
            the batch) or N×C×C (one per image).  Only layers present here count.
        weights: layer → ``w_l`` (default 1 for every layer in ``style_grams``).
        reduction: ``"mean"`` or ``"none"``.
    """
    if not style_grams:
        raise ModelError("style_loss needs at least one style Gram matrix")
    weights = dict(weights) if weights is not None else {k: 1.0 for k in style_grams}
    total: torch.Tensor | None = None
    for layer, target in style_grams.items():
        if layer not in features:
            raise ModelError(f"style_loss: no features for layer {layer!r}; have {sorted(features)}")
        if layer not in weights:
            raise ModelError(f"style_loss: no weight for layer {layer!r}; weights given for {sorted(weights)}")
        g = gram_matrix(features[layer])
        t = target if target.ndim == 3 else target.unsqueeze(0)
        if t.shape[1:] != g.shape[1:] or t.shape[0] not in (1, g.shape[0]):
            raise ModelError(f"style Gram for {layer!r} has shape {tuple(target.shape)}, "
                             f"features give {tuple(g.shape)}")
        term = weights[layer] * (g - t).pow(2).flatten(1).mean(1)
        total = term if total is None else total + term
    assert total is not None
    return _reduce(total, reduction)


def total_variation_loss(image: torch.Tensor, normalize: bool = False, reduction: str = "mean") -> torch.Tensor:
    """Squared total variation (Mahendran & Vedaldi 2015; Johnson et al. 2016).

    ``L_tv = Σ_{c,i,j} (ŷ_{c,i+1,j} − ŷ_{c,i,j})² + Σ_{c,i,j} (ŷ_{c,i,j+1} − ŷ_{c,i,j})²``
    per image (each sum over the pairs that exist), then the mean over the batch.  With
    ``normalize=True`` each sum is divided by its number of terms —
    ``C·(H−1)·W`` and ``C·H·(W−1)`` — so the value does not grow with image size.

    Args:
        image: N×C×H×W.
        normalize: size-normalised variant.
        reduction: ``"mean"`` or ``"none"``.
    """
    _check4("TV image", image)
    dv = (image[:, :, 1:, :] - image[:, :, :-1, :]).pow(2).flatten(1)
    dh = (image[:, :, :, 1:] - image[:, :, :, :-1]).pow(2).flatten(1)
    if normalize:
        # An axis of length 1 has no pairs: its term is 0, not 0/0.
        v = dv.mean(1) if dv.shape[1] else dv.sum(1)
        h = dh.mean(1) if dh.shape[1] else dh.sum(1)
        per_image = v + h
    else:
        per_image = dv.sum(1) + dh.sum(1)
    return _reduce(per_image, reduction)


def _check_mode(mode: str) -> None:
    if mode not in ADVERSARIAL_MODES:
        raise ModelError(f"adversarial mode {mode!r} is invalid: use one of {', '.join(ADVERSARIAL_MODES)}")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, mode: str = "lsgan") -> torch.Tensor:
    """Discriminator loss on patch logits ``D(x)`` (real) and ``D(G(z))`` (fake).

    * ``"lsgan"`` (Mao et al. 2017, a=0, b=1): ``½·E[(D(x) − 1)²] + ½·E[D(G)²]``
    * ``"hinge"`` (Lim & Ye 2017; Miyato et al. 2018): ``E[max(0, 1 − D(x))] + E[max(0, 1 + D(G))]``
    * ``"bce"`` (Goodfellow et al. 2014) from logits:
      ``−E[log σ(D(x))] − E[log(1 − σ(D(G)))] = E[softplus(−D(x))] + E[softplus(D(G))]``

    ``E`` is the mean over every patch of every image.  Detach the fake images before
    calling this so the generator gets no gradient from the discriminator's step.
    """
    _check_mode(mode)
    if mode == "lsgan":
        return 0.5 * ((real_logits - 1).pow(2).mean() + fake_logits.pow(2).mean())
    if mode == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_adversarial_loss(fake_logits: torch.Tensor, mode: str = "lsgan") -> torch.Tensor:
    """Generator's adversarial loss on the discriminator's logits for generated images.

    * ``"lsgan"`` (Mao et al. 2017, c=1): ``½·E[(D(G) − 1)²]``
    * ``"hinge"``: ``−E[D(G)]``
    * ``"bce"`` (non-saturating, Goodfellow et al. 2014): ``−E[log σ(D(G))] = E[softplus(−D(G))]``
    """
    _check_mode(mode)
    if mode == "lsgan":
        return 0.5 * (fake_logits - 1).pow(2).mean()
    if mode == "hinge":
        return -fake_logits.mean()
    return F.softplus(-fake_logits).mean()


def total_loss(
    *,
    content: torch.Tensor | None = None,
    style: torch.Tensor | None = None,
    tv: torch.Tensor | None = None,
    adversarial: torch.Tensor | None = None,
    content_weight: float = 1.0,
    style_weight: float = 1.0,
    tv_weight: float = 1.0,
    adversarial_weight: float = 1.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Weighted total ``λ_c·L_content + λ_s·L_style + λ_tv·L_tv + λ_adv·L_adv``.

    Terms given as None are left out.

    Returns:
        ``(total, parts)``: the total (a scalar tensor carrying gradients) and a dict of
        plain floats for logging — the *weighted* terms under ``"content"``, ``"style"``,
        ``"tv"``, ``"adversarial"`` (those given) and ``"total"``.

    Raises:
        ModelError: no term given, or a term that is not a scalar.
    """
    terms = {"content": (content, content_weight), "style": (style, style_weight), "tv": (tv, tv_weight),
             "adversarial": (adversarial, adversarial_weight)}
    total: torch.Tensor | None = None
    parts: dict[str, float] = {}
    for name, (value, weight) in terms.items():
        if value is None:
            continue
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            raise ModelError(f"total_loss: {name} must be a scalar tensor, got {getattr(value, 'shape', value)!r}")
        term = float(weight) * value.reshape(())
        parts[name] = float(term.detach())
        total = term if total is None else total + term
    if total is None:
        raise ModelError("total_loss needs at least one of content, style, tv, adversarial")
    parts["total"] = float(total.detach())
    return total, parts

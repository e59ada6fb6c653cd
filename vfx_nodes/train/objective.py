"""The perceptual objective shared by training, evaluation and ``vfx-style optimize``.

Content, Gram style and total-variation losses through the VGG19 loss network, using
:mod:`vfx_nodes.model.losses` (Gatys et al. 2016; Johnson et al. 2016).  With several
style images the style target of each layer is the mean of their Gram matrices, each
computed at the image's own size (a blend of the styles, as in Dumoulin et al. 2017's
style interpolation at equal weights).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from ..errors import ModelError

__all__ = ["StyleObjective"]


class StyleObjective(nn.Module):
    """Content + style + TV losses of generated images against content and style targets.

    Args:
        loss_network: a :class:`vfx_nodes.model.VGG19Features` (RGB 0–1 input).
        style_images: one or more ``3×H×W`` (or ``1×3×H×W``) working-space tensors.
        content_layer: VGG19 layer of the content loss (default the model's
            ``CONTENT_LAYER``, relu4_2 as in Gatys et al.).
        style_layers: VGG19 layers of the style loss (default the model's
            ``STYLE_LAYERS``, relu1_1 … relu5_1).
        style_layer_weights: layer → weight (default 1 each).
        tv_normalize: size-normalised total variation (the value does not grow with the
            image, so one ``--tv-weight`` suits every training size).

    Calling the objective returns a dict of scalar tensors ``content``, ``style``, ``tv``.
    """

    def __init__(self, loss_network: nn.Module, style_images: Sequence[torch.Tensor], *,
                 content_layer: str | None = None, style_layers: Sequence[str] | None = None,
                 style_layer_weights: Mapping[str, float] | None = None,
                 tv_normalize: bool = True) -> None:
        super().__init__()
        from ..model import CONTENT_LAYER, STYLE_LAYERS
        from ..model import losses as L

        self._L = L
        self.net = loss_network
        self.content_layer = content_layer or CONTENT_LAYER
        self.style_layers = tuple(style_layers or STYLE_LAYERS)
        if not self.style_layers:
            raise ModelError("the style loss needs at least one VGG19 layer")
        self.layer_weights = {k: float((style_layer_weights or {}).get(k, 1.0)) for k in self.style_layers}
        self.tv_normalize = tv_normalize
        if not style_images:
            raise ModelError("the style objective needs at least one style image")
        grams: dict[str, torch.Tensor] = {}
        with torch.no_grad():
            for img in style_images:
                x = img if img.ndim == 4 else img[None]
                feats = self.net(x.float(), self.style_layers)
                for k in self.style_layers:
                    g = L.gram_matrix(feats[k].float())[0]
                    grams[k] = grams[k] + g if k in grams else g
        for k in self.style_layers:
            self.register_buffer(f"gram_{k}", grams[k] / len(style_images), persistent=False)

    @property
    def style_grams(self) -> dict[str, torch.Tensor]:
        """Layer → the C×C style target."""
        return {k: getattr(self, f"gram_{k}") for k in self.style_layers}

    @torch.no_grad()
    def content_targets(self, content: torch.Tensor) -> torch.Tensor:
        """VGG features of the content images at the content layer (no gradient)."""
        return self.net(content, (self.content_layer,))[self.content_layer].float()

    def forward(self, generated: torch.Tensor, content_targets: torch.Tensor,
                reduction: str = "mean") -> dict[str, torch.Tensor]:
        """The three losses of ``generated`` (N×3×H×W) given :meth:`content_targets`."""
        L = self._L
        layers = tuple(dict.fromkeys((*self.style_layers, self.content_layer)))
        feats = self.net(generated, layers)
        feats = {k: v.float() for k, v in feats.items()}
        return {
            "content": L.content_loss(feats[self.content_layer], content_targets, reduction=reduction),
            "style": L.style_loss({k: feats[k] for k in self.style_layers}, self.style_grams,
                                  self.layer_weights, reduction=reduction),
            "tv": L.total_variation_loss(generated.float(), normalize=self.tv_normalize,
                                         reduction=reduction),
        }

    def losses(self, generated: torch.Tensor, content: torch.Tensor) -> dict[str, Any]:
        """Convenience: losses of ``generated`` against the raw ``content`` images."""
        return self(generated, self.content_targets(content))

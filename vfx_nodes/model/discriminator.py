"""PatchGAN discriminator (Isola et al. 2017, pix2pix; Zhu et al. 2017, CycleGAN "basic").

It classifies every overlapping 70×70 patch of an image as real or generated and returns
a map of logits, one per patch: a Markovian discriminator that judges texture and style
rather than layout (Li & Wand 2016), which is what a look is about.  The adversarial
losses on its logits are in :mod:`vfx_nodes.model.losses`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from ..errors import ModelError

__all__ = ["PatchDiscriminator"]

_NORMS = ("instance", "batch", "none")


class PatchDiscriminator(nn.Module):
    """C64-C128-C256-C512 PatchGAN with 4×4 kernels and a 70×70 receptive field.

    Layers (``width`` = 64 by default, Ck = 4×4 conv with k filters, LeakyReLU 0.2):
    C64 (stride 2, no norm) → C128 (stride 2) → C256 (stride 2) → C512 (stride 1) →
    4×4 conv to 1 logit (stride 1); every conv pads by 1.  ``n_layers`` is the number of
    stride-2 convolutions (3 gives the 70×70 receptive field).

    Args:
        in_channels: image channels (3).
        width: filters of the first layer (64; smaller for tests).
        n_layers: stride-2 layers; channel count doubles per layer, capped at 8·width.
        norm: ``"instance"`` (CycleGAN), ``"batch"`` (pix2pix) or ``"none"`` (usual with
            spectral norm).
        spectral_norm: wrap every convolution in spectral normalisation (Miyato et al.
            2018), which bounds the discriminator's Lipschitz constant and steadies
            training.

    Shape:
        input N×in_channels×H×W (H, W ≥ 2**(n_layers+2) or so); output N×1×H'×W' logits
        (about H/2**n_layers − 2); no sigmoid — use the logit-based losses.
    """

    def __init__(self, in_channels: int = 3, width: int = 64, n_layers: int = 3, norm: str = "instance",
                 spectral_norm: bool = False):
        super().__init__()
        for name, value, lo in (("in_channels", in_channels, 1), ("width", width, 1), ("n_layers", n_layers, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise ModelError(f"PatchDiscriminator {name}={value!r} is invalid: use an integer ≥ {lo}")
        if norm not in _NORMS:
            raise ModelError(f"PatchDiscriminator norm={norm!r} is invalid: use one of {', '.join(_NORMS)}")
        self.settings = {"in_channels": in_channels, "width": width, "n_layers": n_layers, "norm": norm,
                         "spectral_norm": bool(spectral_norm)}

        def conv(cin: int, cout: int, stride: int) -> nn.Module:
            c = nn.Conv2d(cin, cout, 4, stride, padding=1, bias=(norm == "none" or cin == in_channels))
            return _spectral_norm(c) if spectral_norm else c

        def normalise(c: int) -> list[nn.Module]:
            if norm == "instance":
                return [nn.InstanceNorm2d(c, affine=True)]
            if norm == "batch":
                return [nn.BatchNorm2d(c)]
            return []

        layers: list[nn.Module] = [conv(in_channels, width, 2), nn.LeakyReLU(0.2, inplace=True)]
        self._convs: list[tuple[int, int]] = [(4, 2)]
        chans = width
        for i in range(1, n_layers + 1):
            nxt = width * min(2**i, 8)
            stride = 2 if i < n_layers else 1
            layers += [conv(chans, nxt, stride), *normalise(nxt), nn.LeakyReLU(0.2, inplace=True)]
            self._convs.append((4, stride))
            chans = nxt
        out = nn.Conv2d(chans, 1, 4, 1, padding=1)
        layers.append(_spectral_norm(out) if spectral_norm else out)
        self._convs.append((4, 1))
        self.model = nn.Sequential(*layers)

    @property
    def receptive_field(self) -> int:
        """Receptive field of one output logit in input pixels (70 for the default).

        Walked from the output back: ``r ← r·s + (k − s)`` per convolution.
        """
        r = 1
        for k, s in reversed(self._convs):
            r = r * s + (k - s)
        return r

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Patch logits (N×1×H'×W') for images ``x`` (N×C×H×W)."""
        if x.ndim != 4 or x.shape[1] != self.settings["in_channels"]:
            raise ModelError(
                f"discriminator input must be N×{self.settings['in_channels']}×H×W, got {tuple(x.shape)}"
            )
        return self.model(x)

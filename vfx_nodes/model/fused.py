"""A generator's inference form: the same function with frozen statistics, cheaper to run.

Rendering a frame always runs the generator with *frozen* normalisation statistics
(the frame's thumbnail statistics or a shot's: :mod:`vfx_nodes.model.norm`).  Frozen,
every instance normalisation is a fixed per-channel affine map, so two rewrites give the
same output (within float32 rounding, ~1e-6 relative) for less work:

* **Normalisation folded into the convolution** (the batch-norm folding every inference
  engine does; Jacob et al. CVPR 2018 §3.2): ``conv(x)·s + t`` is a convolution with
  weights ``W·s`` and bias ``b·s + t``, where ``s = γ/√(σ² + eps)`` (dead channels gated,
  as :func:`~vfx_nodes.model.ops.normalize`) and ``t = β − μ·s``.  The normalisation's
  pass over the activations disappears and oneDNN fuses the ReLU into the convolution.
* **Resize-convolution as a sub-pixel convolution** (Shi et al. CVPR 2016; Odena et al.,
  Distill 2016 show the two are the same function): nearest ×2 upsampling, reflection
  padding by 1 and a 3×3 convolution equal, at the *low* resolution, an edge-replicated
  padding by 1, one 3×3 convolution to 4× the channels and a pixel shuffle.  Along one
  axis, output ``2i`` reads ``w0·x[i−1] + (w1+w2)·x[i]`` and ``2i+1`` reads
  ``(w0+w1)·x[i] + w2·x[i+1]``, and the reflected border of the upsampled image is the
  replicated border of the small one.  The ×2 upsampled activations are never made.
* **No padded copy of the activations**: reflection (or replication) padding as a separate
  op writes every activation map once more before its convolution — 0.10 s of a 0.53 s
  1080p frame (`benchmarks/RESULTS.md`, "The frame recipe").  :func:`padded_conv` lets
  oneDNN zero-pad inside the convolution (no copy) and recomputes only the few border
  rows and columns that read the padding from thin padded bands of the input.

The engine renders through :func:`fused`; training, statistics collection and the host
exports use the generator itself (tests hold the two equal).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import ops

__all__ = ["fused", "padded_conv"]


def _fold(conv: nn.Conv2d, norm: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights and bias of ``norm(conv(x))`` as one convolution (float32)."""
    w = conv.weight.detach().float()
    b = conv.bias.detach().float() if conv.bias is not None else torch.zeros(w.shape[0])
    if norm is None:
        return w, b
    mean = norm.frozen_mean.float().reshape(-1)
    var = norm.frozen_var.float().reshape(-1)
    gate = ops.dead_channel_gate(var).float().reshape(-1)
    scale = norm.weight.detach().float() * torch.rsqrt(var + norm.eps) * gate
    shift = norm.bias.detach().float() - mean * scale
    return w * scale.reshape(-1, 1, 1, 1), b * scale + shift


#: Outputs each border band computes: more than the padding needs, because oneDNN's bf16
#: stride-2 convolutions give wrong pixels on inputs 3–4 px wide (torch 2.13 on an AMX CPU:
#: a 3×3 stride-2 convolution of a 1×4×34×3 bf16 input was off by 20; 5 px wide was right).
_BAND_OUTPUTS = 8


def _band_conv(x: torch.Tensor, conv: nn.Conv2d, pads: tuple[int, int, int, int], mode: str) -> torch.Tensor:
    return F.conv2d(F.pad(x, pads, mode=mode), conv.weight, conv.bias, conv.stride)


def padded_conv(x: torch.Tensor, conv: nn.Conv2d, pad: int, mode: str = "reflect") -> torch.Tensor:
    """``conv(F.pad(x, (pad,) * 4, mode=mode))`` for an unpadded square-kernel ``conv``,
    without the padded copy of ``x``.

    The convolution runs zero-padded (oneDNN pads inside its kernel); output rows and
    columns that read the padding are then computed again from bands of ``x`` just wide
    enough for them, each padded the real way.  Output row ``i`` of a stride-``s``
    convolution reads input rows ``s·i − pad … s·i − pad + k − 1``: the first
    ``⌈pad / s⌉`` rows and those from ``⌊(H − k + pad) / s⌋ + 1`` on reach past the image.
    A band padded on all its outer sides also gets its corners right, so rows and columns
    can be fixed one after the other.  Equal to the padded form within float32 rounding.
    """
    if pad <= 0:
        return conv(x)
    k, s = conv.kernel_size[0], conv.stride[0]
    h, w = x.shape[-2:]
    first = -(-pad // s)                 # outputs that read the top / left padding: ⌈pad / s⌉
    n = max(first, _BAND_OUTPUTS)        # outputs each band computes
    reach = s * (n - 1) - pad + k        # the input rows / columns those read
    if min(h, w) < 2 * reach + 2 * k:    # bands would be most of the image
        return conv(F.pad(x, (pad,) * 4, mode=mode))
    y = F.conv2d(x, conv.weight, conv.bias, s, pad)
    ho, wo = y.shape[-2:]
    y[..., :first, :] = _band_conv(x[..., :reach, :], conv, (pad, pad, pad, 0), mode)[..., :first, :]
    y[..., :, :first] = _band_conv(x[..., :, :reach], conv, (pad, 0, pad, pad), mode)[..., :, :first]
    last_r = (h - k + pad) // s + 1  # the first output that reads the bottom padding
    if last_r < ho:
        j = ho - n
        y[..., last_r:, :] = _band_conv(x[..., s * j - pad:, :], conv, (pad, pad, 0, pad), mode)[..., last_r - j:, :]
    last_c = (w - k + pad) // s + 1
    if last_c < wo:
        j = wo - n
        y[..., :, last_c:] = _band_conv(x[..., :, s * j - pad:], conv, (0, pad, pad, pad), mode)[..., :, last_c - j:]
    return y


class _FusedConv(nn.Module):
    """Reflection padding, a convolution with its normalisation folded in, an optional
    ReLU and an optional sigmoid."""

    def __init__(self, layer: Any, norm: Any, act: bool, sigmoid: bool = False):
        super().__init__()
        w, b = _fold(layer.conv, norm)
        self.conv = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], layer.stride).to(layer.conv.weight.device)
        self.conv.weight = nn.Parameter(w.to(self.conv.weight.device), requires_grad=False)
        self.conv.bias = nn.Parameter(b.to(self.conv.weight.device), requires_grad=False)
        self.pad, self.act, self.sigmoid = layer.pad, act, sigmoid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = padded_conv(x, self.conv, self.pad)
        if self.act:
            y = F.relu(y, inplace=True)
        return torch.sigmoid(y) if self.sigmoid else y


def _subpixel_taps(w: torch.Tensor) -> torch.Tensor:
    """Per output phase (0, 1) along one axis, the 3 taps over ``x[i−1], x[i], x[i+1]``
    that a 3-tap kernel ``w`` (last axis) makes after nearest ×2 upsampling."""
    w0, w1, w2 = w[..., 0], w[..., 1], w[..., 2]
    zero = torch.zeros_like(w0)
    even = torch.stack([w0, w1 + w2, zero], -1)
    odd = torch.stack([zero, w0 + w1, w2], -1)
    return torch.stack([even, odd], 0)  # 2 × ... × 3


class _SubpixelUpConv(nn.Module):
    """:class:`~vfx_nodes.model.generator.UpConv` (3×3) as a sub-pixel convolution."""

    def __init__(self, up: Any):
        super().__init__()
        block = up.block
        w, b = _fold(block.conv.conv, block.norm)  # cout × cin × 3 × 3
        cout, cin = w.shape[:2]
        rows = _subpixel_taps(w.transpose(-1, -2))     # a × cout × cin × kx × ky
        both = _subpixel_taps(rows.transpose(-1, -2))  # b × a × cout × cin × ky × kx
        # pixel_shuffle reads channel c·4 + a·2 + b as output (c, 2i + a, 2j + b)
        kernel = both.permute(2, 1, 0, 3, 4, 5).reshape(cout * 4, cin, 3, 3)
        self.conv = nn.Conv2d(cin, cout * 4, 3).to(w.device)
        self.conv.weight = nn.Parameter(kernel.contiguous(), requires_grad=False)
        self.conv.bias = nn.Parameter(b.repeat_interleave(4), requires_grad=False)
        self.act = bool(block.act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = padded_conv(x, self.conv, 1, mode="replicate")
        if self.act:
            y = F.relu(y, inplace=True)
        return F.pixel_shuffle(y, 2)


def _replace(module: nn.Module) -> nn.Module | None:
    """The fused stand-in for one generator layer, or ``None`` to keep (and recurse into) it."""
    from . import generator as g

    if isinstance(module, g.UpConv) and module.block.conv.kernel == 3 and module.block.conv.stride == 1:
        return _SubpixelUpConv(module)
    if isinstance(module, g.ConvNormAct):
        return _FusedConv(module.conv, module.norm, module.act)
    if isinstance(module, g.NormSigmoidHead):
        return _FusedConv(module.conv, module.norm, act=False, sigmoid=True)
    if isinstance(module, g.ConvLayer):
        return _FusedConv(module, None, act=False)
    return None


def _swap_children(module: nn.Module) -> None:
    for name, child in list(module.named_children()):
        new = _replace(child)
        if new is None:
            _swap_children(child)
        else:
            setattr(module, name, new)


def fused(generator: nn.Module) -> nn.Module:
    """A copy of ``generator`` whose frozen statistics are folded into its convolutions
    and whose resize-convolutions run as sub-pixel convolutions (see the module notes).

    Args:
        generator: a generator whose normalisations all hold frozen statistics
            (:meth:`~vfx_nodes.model.generator.Generator.frozen_stats`).

    Returns:
        A new module with the generator's ``forward`` (padding, head, crop), in eval mode,
        without gradients, on the generator's device; the generator is not changed.

    Raises:
        ValueError: a normalisation without frozen statistics.
    """
    from .norm import StatsInstanceNorm2d

    if any(isinstance(m, StatsInstanceNorm2d) and not m.frozen for m in generator.modules()):
        raise ValueError("fused() needs frozen statistics in every normalisation")
    # Objects that are not the network's state (a caller's lock on the module) are shared,
    # not copied: deep-copying a lock is an error.
    memo: dict[int, Any] = {id(v): v for m in generator.modules() for k, v in vars(m).items()
                            if k.startswith("_vfx")}
    out = copy.deepcopy(generator, memo)
    _swap_children(out)
    setattr(out, "folded", True)  # noqa: B010 - an nn.Module attribute mypy types as a submodule
    out.eval()
    for p in out.parameters():
        p.requires_grad_(False)
    return out

"""The generator's arithmetic and the frame recipe's geometry, each written once.

Three runtimes execute a look: eager PyTorch (training, :func:`vfx_nodes.engine.stylize`),
TorchScript inside Nuke (as old as torch 1.6, Nuke 13) and ONNX inside Flame.  The
layers of :mod:`vfx_nodes.model.generator` and the scriptable host layers of
:mod:`vfx_nodes.export.host` both call the functions below, so there is one definition
of every operation, and it is written in operators all three accept (Foundry's .cat
File Creation Reference; a test compiles the host module and checks the operator list):

* ``aten::reflection_pad2d`` / ``aten::replication_pad2d`` rather than the newer
  generic ``aten::pad`` that :func:`torch.nn.functional.pad` compiles to;
* ``upsample_nearest2d`` with an explicit output size (the overload every TorchScript
  runtime since torch 1.5 has);
* ``reciprocal`` and ``rsqrt`` rather than tensor division, which would raise the
  TorchScript archive's file-format version to 4;
* statistics in float32 for half-precision inputs (sums over a 2K feature map lose
  digits in fp16/bf16).

The second half is the frame recipe's geometry that :func:`vfx_nodes.engine.stylize`
and the exports share: the statistics thumbnail's size (URST, Chen et al. AAAI 2022),
the tile alignment, the mirror extension of a frame's edges and the strength range.

No ``from __future__ import annotations``: TorchScript reads these annotations at run
time and needs real types, not strings.
"""

import math
from typing import Any

import torch

from ..errors import SettingsError
from ..policy.settings import THUMBNAIL as _THUMBNAIL

#: ``torch._C._nn``, where the old-operator overloads live; typed ``Any`` because the
#: type stubs lack them (TorchScript reads "# type:" comments in compiled functions, so a
#: per-line ignore cannot be used) and resolved by TorchScript like the module itself.
_nn: Any = torch._C._nn

__all__ = [
    "DEAD_VAR",
    "THUMBNAIL",
    "channel_stats",
    "check_strength",
    "dead_channel_gate",
    "mirror_index",
    "normalize",
    "pad_to",
    "reflect_pad",
    "round_half_even",
    "thumbnail_size",
    "tile_alignment",
    "upsample2x",
]

# --- the layers' arithmetic (scriptable) ----------------------------------------------

#: A channel whose variance is below this is *dead* (constant) where the statistics were
#: taken; see :func:`dead_channel_gate`.
DEAD_VAR = 1e-12


def reflect_pad(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Mirror ``x`` (N×C×H×W) by ``pad`` pixels on every side, the edge pixel not repeated
    (a convolution's ``kernel // 2`` padding: Johnson et al. 2016 use reflection so the
    borders carry no dark frame)."""
    if pad <= 0:
        return x
    return _nn.reflection_pad2d(x, [pad, pad, pad, pad])


def pad_to(x: torch.Tensor, multiple: int, min_size: int, traced: bool = False) -> torch.Tensor:
    """Pad ``x`` at the bottom and right to a multiple of ``multiple`` (and at least
    ``min_size``): reflection, or edge replication when the pad is not smaller than the
    image (reflection needs pad < size).

    Padding only at the far edges keeps every stride-2 convolution's sampling grid
    anchored at the top-left pixel, which is what makes tiles exact (see
    :mod:`vfx_nodes.model.generator`).  ``traced=True`` is the form
    :func:`torch.onnx.export` traces: it always pads (by zero pixels when aligned, so the
    graph does not depend on the example's size) and has no size branch, which the ONNX
    variant needs; its frames are never smaller than the host's minimum.
    """
    h = x.shape[2]
    w = x.shape[3]
    th = ((h + multiple - 1) // multiple) * multiple
    tw = ((w + multiple - 1) // multiple) * multiple
    if traced:
        return _nn.reflection_pad2d(x, [0, tw - w, 0, th - h])
    th = max(th, min_size)
    tw = max(tw, min_size)
    if th == h and tw == w:
        return x
    if th - h >= h or tw - w >= w:
        return _nn.replication_pad2d(x, [0, tw - w, 0, th - h])
    return _nn.reflection_pad2d(x, [0, tw - w, 0, th - h])


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour ×2 (output pixel ``o`` reads input ``floor(o / 2)``), the first
    half of a resize-convolution (Odena et al., Distill 2016: no checkerboard)."""
    size = [x.shape[2] * 2, x.shape[3] * 2]
    return _nn.upsample_nearest2d(x, size, 2.0, 2.0)


def channel_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image, per-channel ``(mean, var)`` of ``x`` over H×W, N×C×1×1, in float32 at
    least (biased variance, as instance normalisation uses)."""
    xs = x
    if x.dtype == torch.float16 or x.dtype == torch.bfloat16:
        xs = x.float()
    var, mean = torch.var_mean(xs, [2, 3], False, True)
    return mean, var


def dead_channel_gate(var: torch.Tensor) -> torch.Tensor:
    """``var / (var + DEAD_VAR)``, in float32: ≈1 for any channel with real variance
    (1 − 1e-4 at a variance of 1e-8), 0 for a channel that was constant.

    Why: with frozen statistics (a thumbnail's, a shot's) a channel that was constant
    there has ``var ≈ 0``, so the normalisation multiplies whatever the frame differs by —
    padding, rounding — by ``γ/√eps`` (≈316), and a dozen layers of that turn a flat
    plate (a slate, a colour card, black) into Inf.  Per-image instance normalisation maps
    a constant channel to ``β``; the gate makes frozen statistics do the same.  In float32
    because ``1e-12`` underflows in half precision.
    """
    v = var.float()
    return v * torch.reciprocal(v + 1e-12)  # DEAD_VAR: TorchScript cannot read a global float


def normalize(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, mean: torch.Tensor,
              var: torch.Tensor, eps: float) -> torch.Tensor:
    """Affine instance normalisation of ``x`` by given statistics (Ulyanov et al. 2016):
    ``(x − μ) / √(σ² + eps) · γ + β`` with dead channels gated to ``β``.

    Args:
        x: N×C×H×W in any float precision.
        weight, bias: γ and β, ``C`` long.
        mean, var: float32 statistics broadcastable to N×C×1×1 (per image, or frozen).
        eps: added to the variance.

    The normalisation and the affine map are folded into one scale and shift per channel
    and applied in one fused pass (``addcmul``: shift + x·scale) — half the memory
    traffic of normalising and then scaling.
    """
    gate = dead_channel_gate(var).to(x.dtype)
    mean_x = mean.to(x.dtype)
    var_x = var.to(x.dtype)
    scale = weight.to(x.dtype).reshape(1, -1, 1, 1) * torch.rsqrt(var_x + eps) * gate
    shift = bias.to(x.dtype).reshape(1, -1, 1, 1) - mean_x * scale
    return torch.addcmul(shift, x, scale)


# --- the frame recipe's geometry ---------------------------------------------------------

#: Long side of the statistics thumbnail (its one definition: policy/settings.py).
THUMBNAIL = _THUMBNAIL


def round_half_even(num: int, den: int) -> int:
    """``round(num / den)`` as Python rounds (half to even), in integers (exact, and
    scriptable: the host computes the thumbnail size at run time)."""
    q = num // den
    r = num - q * den
    if 2 * r > den or (2 * r == den and q % 2 == 1):
        q = q + 1
    return q


#: Frames with a side shorter than this take their statistics on the frame as its one tile
#: sees it — brought up to a multiple of the tile alignment, mirrored — rather than on the
#: bare frame: a frame of a few pixels is a large part of its alignment padding (the
#: engine's ``_as_seen``, the host module's ``_as_seen``).
SMALL_FRAME = 16


def thumbnail_size(height: int, width: int, size: int) -> tuple[int, int]:
    """The statistics thumbnail's ``(h, w)`` for a ``height×width`` frame: the long side
    scaled to ``size`` (never up), each side at least 1."""
    longest = max(height, width)
    if longest <= size:
        return height, width
    return (max(1, round_half_even(height * size, longest)),
            max(1, round_half_even(width * size, longest)))


def mirror_index(start: int, stop: int, n: int, device: torch.device) -> torch.Tensor:
    """Indices into an axis of length ``n`` for positions ``start … stop-1`` of its
    infinite mirror extension ("reflect": … 2 1 | 0 1 2 … n-1 | n-2 n-3 …).

    Any distance outside the axis works (repeated mirroring), unlike one reflection pad,
    which needs the pad smaller than ``n``: the tiler's halo may exceed a tiny data
    window.
    """
    i = torch.arange(start, stop, device=device)
    if n == 1:
        return torch.zeros_like(i)
    period = 2 * (n - 1)
    m = torch.remainder(i, period)
    return torch.where(m >= n, period - m, m)


def tile_alignment(stride: int) -> int:
    """Where tiles may start: a power of two ≥ the generator's total stride (its
    ``alignment``), so each tile sees the whole frame's sampling grid."""
    return 1 << max(0, (int(stride) - 1).bit_length())


def check_strength(strength: Any) -> float:
    """``strength`` as a float from 0 (the input unchanged) to 1 (the look).

    Raises:
        SettingsError: not a number, not finite, or outside 0–1 (the StyleTransfer node's
            range: beyond 1 the mix extrapolates past the look).
    """
    try:
        s = float(strength)
    except (TypeError, ValueError):
        raise SettingsError(f"strength must be a number from 0 (input unchanged) to 1 (the look), "
                            f"got {strength!r}") from None
    if not math.isfinite(s) or not 0.0 <= s <= 1.0:
        raise SettingsError(f"strength must be from 0 (input unchanged) to 1 (the look), got {strength!r}")
    return s

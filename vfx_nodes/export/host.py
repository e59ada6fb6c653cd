"""The host network: a look's generator and the engine's frame recipe, as one scriptable module.

A host (Nuke's Inference node, Flame's Inference node) runs a network without
vfx_nodes: Nuke loads TorchScript converted to a ``.cat`` by CatFileCreator, Flame loads
ONNX.  The arithmetic of every layer is written once, in :mod:`vfx_nodes.model.ops`, in
operators both accept; the training-side layers and the small host layers below call the
same functions.  What the host layers add is the *plumbing* TorchScript can compile:
the generator passes normalisation statistics through Python state (collect, freeze,
context managers: :mod:`vfx_nodes.model.norm`), which TorchScript cannot compile, so
here each layer has ``run(x, stats, collect)`` and the statistics travel as an explicit
list.  :func:`build_host_module` wraps the generator's layers one by one (same weights,
no other arithmetic) and adds what :func:`vfx_nodes.engine.stylize` does to a frame in
the working space, with the recipe's geometry from :mod:`vfx_nodes.model.ops`, so the
host's result is render's result (tests compare them):

1. **Value treatments.**  A pixel with a NaN or ±Inf channel is fed to the network as
   black and comes back unchanged (one bad pixel cannot poison the statistics).  Light
   above 1: painted as render's default ``highlights="paint"`` (the shoulder in, the
   ratio out; what is below 0 back as far as the stroke kept the pixel's colour:
   :mod:`vfx_nodes.export.light`), or carried — the network sees its input clipped to
   [0, 1], its training range, and what the clip removed is added back afterwards.  The
   engine adds the residual in scene-linear; the Nuke Group does too, around this module.
2. **Statistics pass** (URST, Chen et al. AAAI 2022): instance-normalisation statistics
   of the frame, collected on an area-averaged thumbnail of
   :func:`~vfx_nodes.model.ops.thumbnail_size` (long side at most
   :data:`~vfx_nodes.model.ops.THUMBNAIL`), per image — hosts render whole frames.  The
   thumbnail is two matrix products with exact area-averaging matrices (adaptive
   pooling to a size known only at run time has no ONNX form).  Frozen statistics (a
   shot's) can be baked in instead.
3. **Styled pass**: the frame brought up to the tile alignment (mirrored with
   :func:`~vfx_nodes.model.ops.mirror_index`, the tiler's mirror; no halo at the frame's
   edges, where the network pads as in training), exactly the engine's untiled input
   (:meth:`vfx_nodes.engine.tiling.TileGrid.whole`), through the generator with the
   statistics frozen, cropped back.  Any H×W works.
4. **Stroke scales** (render's ``scale="auto"``, :mod:`vfx_nodes.engine.detail`): a look
   that records ``frame_height`` (and ``detail_height``) is painted on a frame taller
   than that at those rows — the frame area-averaged to the pass's size
   (``adaptive_avg_pool2d``, render's ``F.interpolate(mode="area")``), each pass with its
   own thumbnail's statistics, each pass's *residual* resized to the frame with render's
   bilinear (two gathers and a lerp per axis) and added to it, the coarse pass below the
   fine pass's band.  The sizes are render's, in integers
   (:mod:`vfx_nodes.export.strokes`).  The ONNX variant cannot branch on the frame's
   size: its sizes are tensors, area resizes are area matrices, and its coarse pass
   always runs, weighted 0 where render paints one pass.
5. ``strength``: a float attribute; ``x + strength · (y − x)``, a mix *in the working
   space* (the host's colour conversions sit outside the network; the Nuke Group keeps
   it at 1 and mixes in scene-linear like render).

Operator choice follows Foundry's .cat File Creation Reference ("Full And Half
Precision", "Device Assignment": every tensor made in ``forward`` follows the input's
dtype and device) and keeps to operators that exist in old TorchScript runtimes
(Nuke 13 ships torch 1.6; see :mod:`vfx_nodes.model.ops`), ``narrow`` rather than slices
with open ends.  A test checks the saved archive's file-format version and the
operator list of the inlined graphs.

The module takes and returns one ``1×3×H×W`` tensor (CatFileCreator's rule); a batch
works too, each image with its own statistics.
"""

# No "from __future__ import annotations": TorchScript reads the class attribute
# annotations below at run time and needs them as real types, not strings.

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ..errors import ExportError
from ..model import ops
from ..model.ops import THUMBNAIL
from ..recipe.frame import CHROMA_FLOOR, CHROMA_HOLD, GAIN_FLOOR
from ..recipe.highlights import HIGHLIGHT_CONTRAST, HIGHLIGHT_KNEE, HIGHLIGHT_SHOULDER
from .light import add_residual_t, compress_t, expand_t, residual_via_linear_t
from .strokes import (
    area,
    area_t,
    bilinear,
    bilinear_t,
    round_half_even_t,
    stroke_size,
    stroke_size_t,
    two_strokes,
    two_strokes_t,
)

__all__ = ["THUMBNAIL", "TORCHSCRIPT_OPERATORS", "HostModule", "OnnxHostModule", "build_host_module"]

#: Every operator the scripted host module calls (a test compares the compiled graphs
#: with this list).  All of them exist in torch 1.6's TorchScript runtime, the oldest
#: one Nuke uses (Nuke 13); the newer generic ``aten::pad`` and open-ended slices are
#: avoided.
TORCHSCRIPT_OPERATORS = frozenset({
    "aten::Bool", "aten::__and__", "aten::__getitem__", "aten::__not__", "aten::__or__", "aten::abs", "aten::add",
    "aten::addcmul", "aten::any", "aten::append", "aten::arange", "aten::cat", "aten::clamp", "aten::conv2d",
    "aten::eq", "aten::floor_divide", "aten::floordiv", "aten::ge", "aten::gt", "aten::index_copy",
    "aten::index_select", "aten::nonzero", "aten::permute",
    "aten::le", "aten::len", "aten::log1p", "aten::lt", "aten::matmul", "aten::max", "aten::mul", "aten::narrow",
    "aten::ne", "aten::neg", "aten::ones_like", "aten::pop", "aten::pow", "aten::reciprocal",
    "aten::reflection_pad2d", "aten::relu", "aten::remainder", "aten::replication_pad2d",
    "aten::reshape", "aten::rsqrt", "aten::sigmoid", "aten::size", "aten::sub", "aten::sum", "aten::to",
    "aten::transpose", "aten::upsample_nearest2d", "aten::var_mean", "aten::where",
    "aten::zeros_like", "prim::CallFunction", "prim::CallMethod", "prim::Constant",
    "prim::GetAttr", "prim::If", "prim::ListConstruct", "prim::Loop", "prim::TupleConstruct",
    "prim::TupleUnpack", "prim::Uninitialized", "prim::device", "prim::dtype", "prim::max",
})


class _Part(nn.Module):
    """Base of the host modules.

    ``_is_full_backward_hook`` is an ``nn.Module`` attribute newer than torch 1.6; left
    in, TorchScript saves it typed ``NoneType``, which torch 1.6 cannot parse.
    """

    __jit_ignored_attributes__ = ("_is_full_backward_hook",)

    if TYPE_CHECKING:  # what every host layer has; TorchScript compiles each subclass's own
        def run(self, x: torch.Tensor, stats: list[torch.Tensor], collect: bool) -> torch.Tensor: ...


class _Layers(nn.ModuleList):
    __jit_ignored_attributes__ = ("_is_full_backward_hook",)

    if TYPE_CHECKING:
        def __iter__(self) -> Iterator[_Part]: ...


def _frozen_param(t: torch.Tensor) -> nn.Parameter:
    return nn.Parameter(t.detach().clone().float(), requires_grad=False)


# --- the generator's layers ----------------------------------------------------------
#
# Every layer has ``run(x, stats, collect)``: with ``collect`` it normalises by the
# input's own statistics and appends them (mean, var) to ``stats``; without, it takes
# them from the front of ``stats`` (layers run in the same order both times).


class _Conv(_Part):
    """Reflection padding of ``kernel // 2`` then a convolution (a model ``ConvLayer``)."""

    stride: int
    pad: int

    def __init__(self, layer: Any):
        super().__init__()
        conv = layer.conv
        if conv.groups != 1 or tuple(conv.dilation) != (1, 1) or tuple(conv.padding) != (0, 0):
            raise ExportError(f"cannot export convolution {conv}: only plain convolutions are supported")
        self.weight = _frozen_param(conv.weight)
        bias = conv.bias if conv.bias is not None else torch.zeros(conv.out_channels)
        self.bias = _frozen_param(bias)
        self.stride = int(conv.stride[0])
        self.pad = int(layer.pad)

    def run(self, x: torch.Tensor, stats: list[torch.Tensor], collect: bool) -> torch.Tensor:
        x = ops.reflect_pad(x, self.pad)
        return torch.conv2d(x, self.weight, self.bias, [self.stride, self.stride], [0, 0], [1, 1], 1)


class _Norm(_Part):
    """Affine instance normalisation: ``StatsInstanceNorm2d``'s arithmetic
    (:func:`vfx_nodes.model.ops.normalize`) with its statistics passed explicitly."""

    eps: float
    baked: bool
    if TYPE_CHECKING:  # buffers (TorchScript infers their type from the registered tensor)
        mean: torch.Tensor
        var: torch.Tensor

    def __init__(self, norm: Any, stats: tuple[torch.Tensor, torch.Tensor] | None):
        super().__init__()
        self.weight = _frozen_param(norm.weight)
        self.bias = _frozen_param(norm.bias)
        self.eps = float(norm.eps)
        self.baked = stats is not None
        if stats is not None:
            self.register_buffer("mean", stats[0].detach().clone().float().reshape(1, -1, 1, 1))
            self.register_buffer("var", stats[1].detach().clone().float().reshape(1, -1, 1, 1))
        else:
            # Empty placeholders keep one TorchScript type for both modes.
            self.register_buffer("mean", torch.zeros(0))
            self.register_buffer("var", torch.zeros(0))

    def run(self, x: torch.Tensor, stats: list[torch.Tensor], collect: bool) -> torch.Tensor:
        if self.baked:
            mean = self.mean
            var = self.var
        elif collect:
            mean, var = ops.channel_stats(x)
            stats.append(mean)
            stats.append(var)
        else:
            mean = stats.pop(0)
            var = stats.pop(0)
        return ops.normalize(x, self.weight, self.bias, mean, var, self.eps)


class _ConvNormAct(_Part):
    act: bool

    def __init__(self, block: Any, stats: dict | None, path: str):
        super().__init__()
        self.conv = _Conv(block.conv)
        self.norm = _Norm(block.norm, None if stats is None else stats[f"{path}.norm"])
        self.act = bool(block.act)

    def run(self, x: torch.Tensor, stats: list[torch.Tensor], collect: bool) -> torch.Tensor:
        x = self.norm.run(self.conv.run(x, stats, collect), stats, collect)
        if self.act:
            x = torch.relu(x)
        return x


class _ConvAct(_Part):
    """A convolution and ReLU with no normalisation (the arbitrary-style network's
    contracting path, whose batch norm is folded into the bias)."""

    act: bool

    def __init__(self, block: Any):
        super().__init__()
        self.conv = _Conv(block.conv)
        self.act = bool(block.act)

    def run(self, x: torch.Tensor, stats: list[torch.Tensor], collect: bool) -> torch.Tensor:
        x = self.conv.run(x, stats, collect)
        if self.act:
            x = torch.relu(x)
        return x


class _NormSigmoidHead(_Part):
    """Convolution → normalisation → sigmoid (the arbitrary-style network's output)."""

    def __init__(self, head: Any, stats: dict | None, path: str):
        super().__init__()
        self.conv = _Conv(head.conv)
        self.norm = _Norm(head.norm, None if stats is None else stats[f"{path}.norm"])

    def run(self, x: torch.Tensor, stats: list[torch.Tensor], collect: bool) -> torch.Tensor:
        return torch.sigmoid(self.norm.run(self.conv.run(x, stats, collect), stats, collect))


class _UpConv(_Part):
    """Nearest-neighbour ×2 then ConvNormAct (resize-convolution, Odena et al. 2016)."""

    def __init__(self, up: Any, stats: dict | None, path: str):
        super().__init__()
        self.block = _ConvNormAct(up.block, stats, f"{path}.block")

    def upsample(self, x: torch.Tensor) -> torch.Tensor:
        return ops.upsample2x(x)

    def run(self, x: torch.Tensor, stats: list[torch.Tensor], collect: bool) -> torch.Tensor:
        return self.block.run(self.upsample(x), stats, collect)


class _UpConvOnnx(_UpConv):
    """The same upsampling by scale factor: one ONNX ``Resize`` valid for every size
    (:func:`~vfx_nodes.model.ops.upsample2x`'s explicit size would trace to the
    example's size).  Nearest ×2 either way: output pixel ``o`` reads ``floor(o / 2)``."""

    def upsample(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")


class _Residual(_Part):
    def __init__(self, block: Any, stats: dict | None, path: str):
        super().__init__()
        self.a = _ConvNormAct(block.a, stats, f"{path}.a")
        self.b = _ConvNormAct(block.b, stats, f"{path}.b")

    def run(self, x: torch.Tensor, stats: list[torch.Tensor], collect: bool) -> torch.Tensor:
        return x + self.b.run(self.a.run(x, stats, collect), stats, collect)


class _Chain(_Part):
    """Layers run one after the other (a model ``nn.Sequential``)."""

    def __init__(self, layers: list[_Part]):
        super().__init__()
        self.layers = _Layers(layers)

    def run(self, x: torch.Tensor, stats: list[torch.Tensor], collect: bool) -> torch.Tensor:
        for layer in self.layers:
            x = layer.run(x, stats, collect)
        return x


class _UNetLevel(_Part):
    def __init__(self, level: Any, stats: dict | None, path: str, for_onnx: bool):
        super().__init__()
        self.down = _ConvNormAct(level.down, stats, f"{path}.down")
        self.inner = _convert(level.inner, stats, f"{path}.inner", for_onnx)
        self.up = _convert(level.up, stats, f"{path}.up", for_onnx)
        self.merge = _ConvNormAct(level.merge, stats, f"{path}.merge")

    def run(self, x: torch.Tensor, stats: list[torch.Tensor], collect: bool) -> torch.Tensor:
        inner = self.inner.run(self.down.run(x, stats, collect), stats, collect)
        y = self.up.run(inner, stats, collect)
        return self.merge.run(torch.cat([x, y], 1), stats, collect)


def _convert(module: nn.Module, stats: dict | None, path: str, for_onnx: bool) -> _Part:
    """Rebuild one generator sub-module from host-safe modules (same weights)."""
    from ..model import generator as g

    if isinstance(module, g.ConvNormAct):
        return _ConvAct(module) if module.norm is None else _ConvNormAct(module, stats, path)
    if isinstance(module, g.NormSigmoidHead):
        return _NormSigmoidHead(module, stats, path)
    if isinstance(module, g.ConvLayer):
        return _Conv(module)
    if isinstance(module, g.UpConv):
        return (_UpConvOnnx if for_onnx else _UpConv)(module, stats, path)
    if isinstance(module, g.ResidualBlock):
        return _Residual(module, stats, path)
    if isinstance(module, g.UNetLevel):
        return _UNetLevel(module, stats, path, for_onnx)
    if isinstance(module, nn.Sequential):  # includes the U-Net's _Chain
        return _Chain([_convert(m, stats, f"{path}.{i}" if path else str(i), for_onnx)
                       for i, m in enumerate(module)])
    raise ExportError(
        f"cannot export generator layer {path or '(root)'!r} of type {type(module).__name__}: "
        "no host equivalent; export supports the johnson, johnson-small, unet and arbitrary architectures"
    )


# --- the frame recipe ------------------------------------------------------------------


class HostModule(_Part):
    """A look as one scriptable ``forward(x) -> y`` for a host (see the module notes).

    Args:
        body: the converted generator body (everything before the head).
        head: the converted output convolution.
        alignment: the generator's alignment (its internal pad-to-multiple).
        min_size: the generator's smallest padded side.
        residual: ``y = x + head(...)`` (True) or ``head(...)`` (False).
        align: the engine's tile alignment (power of two ≥ ``alignment``).
        baked: normalisation statistics are baked into the layers (no statistics pass).
        strength: initial value of :attr:`strength`.
        for_onnx: the variant :func:`torch.onnx.export` traces (statistics on the whole
            frame, no branches on the frame size).
        frame_height, detail_height: the look's stroke scales (render's ``scale="auto"``:
            a frame taller than ``frame_height`` is painted at that many rows, and with
            ``detail_height`` a second, finer pass at that many; ``engine/detail.py``);
            0 = one pass at the frame's own resolution.
        paint: render's ``highlights="paint"`` (its default): the network sees light above
            the knee through a logarithmic shoulder and its strokes come back as changes
            of exposure (:mod:`vfx_nodes.export.light`); False = ``"carry"`` (clip to
            0–1, what the clip removed added back).

    Attributes:
        strength: mix with the input in the working space, ``x + strength · (y − x)``;
            1 = the look, 0 = the input unchanged.  Nuke's CatFileCreator exposes it as
            a knob when a custom knob of that name is added; Flame has no such knob, so
            the ONNX export bakes its value.
    """

    strength: float
    alignment: int
    min_size: int
    residual: bool
    align: int
    baked: bool
    thumbnail: int
    for_onnx: bool
    frame_height: int
    detail_height: int
    paint: bool
    knee: float
    shoulder: float
    inv_shoulder: float
    inv_span: float
    contrast: float
    inv_hold: float
    chroma_floor: float
    gain_floor: float
    linear: bool
    gamma: float
    offset: float
    brk: float
    inv_slope: float
    inv_gamma: float
    brk_lin: float
    slope: float
    inv_scale: float
    to_mix: torch.Tensor
    from_mix: torch.Tensor

    def __init__(self, body: _Part, head: _Part, *, alignment: int, min_size: int,
                 residual: bool, align: int, baked: bool, strength: float = 1.0,
                 for_onnx: bool = False, thumbnail: int = THUMBNAIL, frame_height: int = 0,
                 detail_height: int = 0, paint: bool = False, linear_way: Any = None):
        super().__init__()
        self.body = body
        self.head = head
        self.alignment = int(alignment)
        self.min_size = int(min_size)
        self.residual = bool(residual)
        self.align = int(align)
        self.baked = bool(baked)
        self.strength = float(strength)
        self.for_onnx = bool(for_onnx)
        self.thumbnail = int(thumbnail)
        self.frame_height = int(frame_height)
        self.detail_height = int(detail_height)
        self.paint = bool(paint)
        # the recipe's constants (recipe/highlights.py, recipe/frame.py) as attributes, the
        # ones it divides by as reciprocals (export/light.py: no aten::div in the graph)
        self.knee = float(HIGHLIGHT_KNEE)
        self.shoulder = float(HIGHLIGHT_SHOULDER)
        self.inv_shoulder = 1.0 / float(HIGHLIGHT_SHOULDER)
        self.inv_span = 1.0 / (1.0 - float(HIGHLIGHT_KNEE))
        self.contrast = float(HIGHLIGHT_CONTRAST)
        self.inv_hold = 1.0 / float(CHROMA_HOLD)
        self.chroma_floor = float(CHROMA_FLOOR)
        self.gain_floor = float(GAIN_FLOOR)
        self._set_linear_way(linear_way)

    def _set_linear_way(self, way: Any) -> None:
        """The working space's way to the mixing space (:mod:`~vfx_nodes.export.linear_way`),
        for render's whole residual rule; ``None``: the colour half in the working space."""
        self.linear = way is not None
        gamma, offset = (float(way.gamma), float(way.offset)) if way is not None else (1.0, 0.0)
        brk, slope = (float(way.break_enc), float(way.slope)) if way is not None else (0.0, 1.0)
        self.gamma, self.offset, self.brk, self.inv_slope = gamma, offset, brk, 1.0 / slope
        self.inv_gamma, self.brk_lin, self.slope = 1.0 / gamma, brk / slope, slope
        self.inv_scale = 1.0 / (1.0 + offset)
        m = torch.eye(3, dtype=torch.float64) if way is None else torch.from_numpy(way.matrix)
        # transposed: pixels are rows (K×3 @ 3×3)
        self.register_buffer("to_mix", m.t().contiguous().to(torch.float32))
        self.register_buffer("from_mix", torch.linalg.inv(m).t().contiguous().to(torch.float32))

    # -- the generator's forward ------------------------------------------------------

    def _generator(self, x: torch.Tensor, stats: list[torch.Tensor], collect: bool) -> torch.Tensor:
        h = x.shape[2]
        w = x.shape[3]
        padded = ops.pad_to(x, self.alignment, self.min_size, self.for_onnx)
        y = self.head.run(self.body.run(padded, stats, collect), stats, collect)
        if self.residual:
            y = padded + y
        return torch.narrow(torch.narrow(y, 2, 0, h), 3, 0, w)

    # -- the engine's recipe ----------------------------------------------------------

    def _area_matrix(self, n: int, m: int, like: torch.Tensor) -> torch.Tensor:
        """``m×n`` matrix averaging ``n`` samples into ``m`` bins exactly as adaptive
        average pooling does (bin i covers ``[floor(i·n/m), ceil((i+1)·n/m))``)."""
        i = torch.arange(0, m, device=like.device).reshape(-1, 1)
        j = torch.arange(0, n, device=like.device).reshape(1, -1)
        start = (i * n) // m
        stop = ((i + 1) * n + m - 1) // m
        inside = (j >= start) & (j < stop)
        ones = torch.ones_like(inside, dtype=like.dtype)
        weights = torch.where(inside, ones, torch.zeros_like(ones))
        return weights * torch.reciprocal((stop - start).to(like.dtype))

    def _thumbnail(self, x: torch.Tensor) -> torch.Tensor:
        """The engine's statistics thumbnail: long side ≤ ``thumbnail``, area-averaged."""
        h = x.shape[2]
        w = x.shape[3]
        th, tw = ops.thumbnail_size(h, w, self.thumbnail)
        if th == h and tw == w:
            return x
        xs = x.float()
        rows = self._area_matrix(h, th, xs)
        cols = self._area_matrix(w, tw, xs)
        return torch.matmul(torch.matmul(rows, xs), cols.transpose(0, 1)).to(x.dtype)

    def _styled(self, x: torch.Tensor, stats: list[torch.Tensor]) -> torch.Tensor:
        """The engine's untiled pass: the frame brought up to a multiple of ``align``
        (mirrored; no halo at the frame's edges), run with frozen statistics, cropped back."""
        y = self._generator(self._aligned(x), stats, False)
        return torch.narrow(torch.narrow(y, 2, 0, x.shape[2]), 3, 0, x.shape[3])

    def _aligned(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` brought up to a multiple of ``align`` at the bottom and right, mirrored
        (the tiler's mirror, :func:`~vfx_nodes.model.ops.mirror_index`)."""
        h = x.shape[2]
        w = x.shape[3]
        a = self.align
        rows = ops.mirror_index(0, ((h + a - 1) // a) * a, h, x.device)
        cols = ops.mirror_index(0, ((w + a - 1) // a) * a, w, x.device)
        return torch.index_select(torch.index_select(x, 2, rows), 3, cols)

    def _as_seen(self, x: torch.Tensor) -> torch.Tensor:
        """The frame the statistics are taken on, as render's ``_as_seen``: ``x``, or — a
        side under :data:`~vfx_nodes.model.ops.SMALL_FRAME` — ``x`` brought up to a
        multiple of ``align`` (mirrored), as its one pass sees it."""
        if x.shape[2] >= ops.SMALL_FRAME and x.shape[3] >= ops.SMALL_FRAME:
            return x
        return self._aligned(x)

    def _pass(self, x: torch.Tensor) -> torch.Tensor:
        """One network pass over ``x``: its own thumbnail's statistics (or the baked
        ones), then the styled pass."""
        stats: list[torch.Tensor] = []
        if not self.baked:
            probe = self._thumbnail(x if self.for_onnx else self._as_seen(x))
            self._generator(probe, stats, True)
        return self._styled(x, stats)

    def _look(self, image: torch.Tensor) -> torch.Tensor:
        """``image`` (1×3×H×W, clipped) at the look's stroke scales, as render paints it
        (:mod:`vfx_nodes.engine.detail`): each pass's *residual* (output − input) at its
        own size, resized to the frame (bilinear) and added to it — the coarse pass below
        the fine pass's band, ``up(R_fine) + up(R_coarse − down(R_fine))``."""
        h = image.shape[2]
        w = image.shape[3]
        if self.frame_height <= 0 or h <= self.frame_height:
            return self._pass(image)
        ch, cw = stroke_size(h, w, self.frame_height)
        two = two_strokes(h, self.frame_height, self.detail_height)
        fh, fw = ch, cw
        if two:
            fh, fw = stroke_size(h, w, self.detail_height)
        small = image
        if fh != h or fw != w:
            small = area(image, fh, fw)
        res = self._pass(small) - small
        out = image + bilinear(res, h, w)
        if two:
            coarse_in = area(small, ch, cw)
            delta = self._pass(coarse_in) - coarse_in - area(res, ch, cw)
            out = out + bilinear(delta, h, w)
        return out

    def _residual_in_linear(self, y: torch.Tensor, base: torch.Tensor, below: torch.Tensor) -> torch.Tensor:
        """Render's whole residual rule where ``below`` is not 0, in the mixing space
        (:func:`~vfx_nodes.export.light.residual_via_linear_t`)."""
        way = [self.gamma, self.offset, self.brk, self.inv_slope, self.inv_scale, self.inv_gamma, self.brk_lin,
               self.slope]
        rule = [self.gain_floor, self.inv_hold, self.chroma_floor]
        return residual_via_linear_t(y, base, below, self.to_mix, self.from_mix, way, rule)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Stylise ``x`` (N×3×H×W, working space); returns a new N×3×H×W tensor."""
        # The channel sum is finite exactly when every channel is (to float range).
        total = x.sum(1, True)
        # x == x is the NaN test: torch.isfinite is not an operator of old TorchScript.
        finite = (total == total) & (torch.abs(total) != float("inf"))
        safe = torch.where(finite, x, torch.zeros_like(x))
        if self.paint:
            # render's paint (recipe/frame.py): values from 0 up, the network sees them
            # through the shoulder, clipped at 1.  Render also caps them at 1e6, which half
            # precision (Nuke's "Optimize for Speed and Memory") cannot hold: the Nuke Group
            # caps instead, and a float file differs from render only above 1e6.
            base = torch.clamp(safe, min=0.0)
            net = torch.clamp(compress_t(base, self.knee, self.shoulder, self.inv_shoulder), max=1.0)
        else:
            base = torch.clamp(safe, 0.0, 1.0)
            net = base
        outputs: list[torch.Tensor] = []
        for k in range(net.shape[0]):
            outputs.append(self._look(torch.narrow(net, 0, k, 1)))
        y = outputs[0] if len(outputs) == 1 else torch.cat(outputs, 0)
        if self.paint:
            y = expand_t(y, base, net, self.knee, self.inv_span, self.contrast)
            below = safe - base
            # Inside the Nuke Group the module's input is clipped at 0 already (the Group
            # adds the residual in scene-linear): skip a dozen frame-sized passes then.  The
            # traced ONNX graph cannot branch on values: it always runs the rule.
            if self.for_onnx or bool(torch.any(below != 0.0)):
                if self.linear:
                    y = self._residual_in_linear(y, base, below)
                else:
                    y = add_residual_t(y, below, base, self.inv_hold, self.chroma_floor)
        else:
            y = y + (safe - base)
        if self.strength != 1.0:
            y = safe + (y - safe) * self.strength
        return torch.where(finite, y, x)


class OnnxHostModule(HostModule):
    """The variant :func:`torch.onnx.export` traces: the same thumbnail computed from
    the input's shape *as tensors* (ONNX ``Shape``), so the traced graph keeps the size
    arithmetic instead of freezing the example's numbers; no branch on the size (the
    area matrices are the identity when the frame is within the thumbnail size).
    Never scripted, so its operators need not exist in old TorchScript."""

    def _thumbnail(self, x: torch.Tensor) -> torch.Tensor:
        shape = torch._shape_as_tensor(x)
        h, w = shape[2], shape[3]
        longest = torch.max(h, w)
        size = self.thumbnail
        th = torch.min(torch.clamp(round_half_even_t(h * size, longest), min=1), h)
        tw = torch.min(torch.clamp(round_half_even_t(w * size, longest), min=1), w)
        return area_t(x, th, tw)

    def _look(self, image: torch.Tensor) -> torch.Tensor:
        """:meth:`HostModule._look` with no branch on the frame's size: the sizes are
        tensors (:mod:`~vfx_nodes.export.strokes`), the fine pass's size picked by
        ``where``, and the coarse pass always runs, its band weighted by whether render
        paints it (0 or 1).  A frame no taller than ``frame_height`` is painted as it is (its "resize" the
        identity), as render paints it."""
        if self.frame_height <= 0:
            return self._pass(image)
        shape = torch._shape_as_tensor(image)
        h, w = shape[2], shape[3]
        ch, cw = stroke_size_t(h, w, self.frame_height)
        fh, fw = ch, cw
        two = two_strokes_t(h, self.frame_height, self.detail_height)
        if self.detail_height > 0:
            dh, dw = stroke_size_t(h, w, self.detail_height)
            fh, fw = torch.where(two, dh, ch), torch.where(two, dw, cw)
        small = area_t(image, fh, fw)
        res = self._pass(small) - small
        out = image + bilinear_t(res, h, w)
        if self.detail_height > 0:
            coarse_in = area_t(small, ch, cw)
            delta = self._pass(coarse_in) - coarse_in - area_t(res, ch, cw)
            out = out + bilinear_t(delta, h, w) * two.to(out.dtype)
        return out


def build_host_module(generator: nn.Module, *, strength: float = 1.0, stats: Any = None,
                      for_onnx: bool = False, frame_height: int = 0, detail_height: int = 0,
                      highlights: str = "carry", linear_way: Any = None) -> HostModule:
    """Rebuild ``generator`` as a :class:`HostModule` (eval mode, float32, CPU).

    Args:
        generator: a :class:`vfx_nodes.model.Generator` (``johnson``, ``johnson-small``
            or ``unet``); it is not changed.
        strength: initial mix in the working space (0–1; values above 1 extrapolate).
        stats: optional :class:`vfx_nodes.model.NormStats` to bake in as frozen
            statistics (e.g. a shot's); default: per-image statistics in the host.
        for_onnx: build the variant for :func:`torch.onnx.export` (see the module notes).
        frame_height, detail_height: the look's stroke scales (its metadata's; 0 = one
            pass at the frame's resolution).
        highlights: render's treatment of light above the working range, ``"carry"`` or
            ``"paint"`` (:mod:`vfx_nodes.export.light`).
        linear_way: painting, the working space's curve and matrix to the mixing space
            (:func:`vfx_nodes.export.linear_way.find_linear_way`), for render's whole rule
            on colours outside the working gamut; ``None``: its colour half, in the working
            space (inside the Nuke Group the module's residual is zero anyway).

    Returns:
        The host module; ``torch.jit.script`` compiles the default variant.

    Raises:
        ExportError: an architecture or layer with no host equivalent, or statistics that
            do not fit the generator.
        SettingsError: a strength that is not a number from 0 to 1, or highlights neither
            ``"carry"`` nor ``"paint"``.
    """
    from ..recipe.highlights import check_highlights

    s = ops.check_strength(strength)
    paint = check_highlights(highlights) == "paint"
    from ..model import generator as g

    if not isinstance(generator, g.Generator):
        raise ExportError(f"cannot export {type(generator).__name__}: not a vfx_nodes generator")
    layer_stats: dict | None = None
    if stats is not None:
        names = list(generator.norm_layers())
        given = getattr(stats, "layers", None)
        if not isinstance(given, dict) or list(given) != names or any(
                given[n][0].numel() != m.channels for n, m in generator.norm_layers().items()):
            raise ExportError(
                "the normalisation statistics do not fit this look's generator "
                f"({len(names)} layers starting {names[:2]}); collect them with the same look"
            )
        layer_stats = dict(given)
    if isinstance(generator, g.JohnsonGenerator):
        parts = [("stem", generator.stem), ("down1", generator.down1), ("down2", generator.down2),
                 ("blocks", generator.blocks), ("up1", generator.up1), ("up2", generator.up2)]
    elif isinstance(generator, g.UNetGenerator):
        parts = [("stem", generator.stem), ("body", generator.body)]
    else:
        raise ExportError(f"cannot export generator architecture {generator.arch!r} "
                          f"({type(generator).__name__}); supported: johnson, johnson-small, unet, arbitrary")
    body = _Chain([_convert(m, layer_stats, name, for_onnx) for name, m in parts])
    head = _convert(generator.head, layer_stats, "head", for_onnx)
    alignment = int(generator.alignment)
    host = (OnnxHostModule if for_onnx else HostModule)(
        body, head, alignment=alignment, min_size=int(generator.min_size),
        residual=bool(generator.residual),
        # The engine's tile alignment: a power of two ≥ the generator's stride.
        align=ops.tile_alignment(alignment),
        baked=layer_stats is not None, strength=s, for_onnx=for_onnx,
        frame_height=int(frame_height), detail_height=int(detail_height), paint=paint, linear_way=linear_way)
    return host.eval()

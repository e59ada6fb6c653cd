"""The host module's stroke scales: render's sizes and resizes, scriptable and traceable.

:class:`vfx_nodes.export.host.HostModule` paints a look at its stroke scales as render's
``scale="auto"`` does (:mod:`vfx_nodes.engine.detail`).  Here are the pieces, twice:

* for TorchScript (Nuke; every operator in torch 1.6's runtime): the sizes in Python
  integers (:func:`stroke_size`, :func:`two_strokes`: render's ``resolve_scale``,
  ``detail_scale`` and ``network_size`` without floating point), the area resize as
  ``adaptive_avg_pool2d`` (render's ``F.interpolate(mode="area")``) and render's bilinear
  resize of a residual as two gathers and a lerp per axis;
* for the ONNX export (Flame), which traces one graph for every frame size: the same with
  the sizes as 0-d tensors (ONNX ``Shape``), the area resize as exact area matrices
  (adaptive pooling to a size known only at run time has no ONNX form).
"""

# No "from __future__ import annotations": TorchScript compiles these functions and reads
# their annotations as real types.

import torch

from ..model import ops

__all__ = ["area", "area_matrix_t", "area_t", "bilinear", "bilinear_t", "round_half_even_t", "stroke_size",
           "stroke_size_t", "two_strokes", "two_strokes_t"]


def stroke_size(height: int, width: int, rows: int) -> tuple[int, int]:
    """The network's ``(h, w)`` for a ``height×width`` frame painted at ``rows`` rows: render's
    ``network_size(h, w, resolve_scale("auto"))`` in integers (scale ``rows / height``, at
    most 1, at least :data:`~vfx_nodes.policy.settings.SCALE_RANGE`'s 1/16; sides rounded
    half to even)."""
    if rows >= height:
        return height, width
    if rows * 16 < height:  # below the smallest stroke scale, 1/16
        return max(1, ops.round_half_even(height, 16)), max(1, ops.round_half_even(width, 16))
    return rows, max(1, ops.round_half_even(width * rows, height))


def two_strokes(height: int, frame_rows: int, detail_rows: int) -> bool:
    """Whether render paints a second, finer pass (``engine.detail.detail_scale``): the
    fine scale ``min(detail_rows, height) / height`` above the coarse one."""
    fine = detail_rows if detail_rows < height else height  # no prim::min: old TorchScript
    return detail_rows > 0 and fine > frame_rows and fine * 16 > height


def area(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """``x`` area-averaged to ``h×w`` (render's ``F.interpolate(mode="area")``)."""
    return torch.nn.functional.adaptive_avg_pool2d(x, (h, w))


def bilinear_axis(n_out: int, n_in: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Indices and weights of a bilinear resize along one axis, as render's upsampler
    (``recipe.frame._bilinear_axis``: PyTorch's ``align_corners=False``), in float64."""
    o = torch.arange(0, n_out, device=like.device).to(torch.float64)
    step = torch.reciprocal(torch.ones_like(o) * n_out) * n_in
    src = torch.clamp((o + 0.5) * step - 0.5, min=0.0)
    i0 = torch.clamp(src.to(torch.int64), max=n_in - 1)
    i1 = torch.clamp(i0 + 1, max=n_in - 1)
    return i0, i1, (src - i0.to(torch.float64)).to(like.dtype)


def bilinear(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """``x`` (N×C×h'×w') resized to ``h×w``, bilinear, two gathers and a lerp per axis."""
    r0, r1, ly = bilinear_axis(h, x.shape[2], x)
    a = torch.index_select(x, 2, r0)
    rows = a + (torch.index_select(x, 2, r1) - a) * ly.reshape(1, 1, -1, 1)
    c0, c1, lx = bilinear_axis(w, x.shape[3], x)
    b = torch.index_select(rows, 3, c0)
    return b + (torch.index_select(rows, 3, c1) - b) * lx.reshape(1, 1, 1, -1)


def stroke_size_t(h: torch.Tensor, w: torch.Tensor, rows: int) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`stroke_size` with the frame's sides as 0-d tensors (ONNX ``Shape``)."""
    full = h <= rows
    tiny = h > rows * 16
    sixteen = torch.full_like(h, 16)
    rh = torch.where(tiny, torch.clamp(round_half_even_t(h, sixteen), min=1), torch.full_like(h, rows))
    rw = torch.where(tiny, torch.clamp(round_half_even_t(w, sixteen), min=1),
                     torch.clamp(round_half_even_t(w * rows, h), min=1))
    return torch.where(full, h, rh), torch.where(full, w, rw)


def two_strokes_t(h: torch.Tensor, frame_rows: int, detail_rows: int) -> torch.Tensor:
    """:func:`two_strokes` with the frame's height as a 0-d tensor (a bool tensor)."""
    if detail_rows <= 0:
        return torch.zeros_like(h).to(torch.bool)
    fine = torch.clamp(h, max=detail_rows)
    return (fine > frame_rows) & (fine * 16 > h)


def area_t(x: torch.Tensor, h: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``x`` area-averaged to ``h×w`` (0-d tensors) with exact area matrices (adaptive
    pooling to a size known only at run time has no ONNX form)."""
    shape = torch._shape_as_tensor(x)
    xs = x.float()
    rows = area_matrix_t(shape[2], h, xs)
    cols = area_matrix_t(shape[3], w, xs)
    return torch.matmul(torch.matmul(rows, xs), cols.transpose(0, 1)).to(x.dtype)


def bilinear_axis_t(n_out: torch.Tensor, n_in: torch.Tensor,
                     like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`bilinear_axis` with the sizes as 0-d tensors (float64, as render)."""
    o = torch.arange(n_out, device=like.device).to(torch.float64)  # type: ignore[call-overload]
    src = torch.clamp((o + 0.5) * (n_in.to(torch.float64) / n_out.to(torch.float64)) - 0.5, min=0.0)
    last = (n_in - 1).to(torch.int64)
    i0 = torch.min(src.to(torch.int64), last)
    i1 = torch.min(i0 + 1, last)
    return i0, i1, (src - i0.to(torch.float64)).to(like.dtype)


def bilinear_t(x: torch.Tensor, h: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """:func:`bilinear` with the output's sides as 0-d tensors."""
    shape = torch._shape_as_tensor(x)
    r0, r1, ly = bilinear_axis_t(h, shape[2], x)
    a = torch.index_select(x, 2, r0)
    rows = a + (torch.index_select(x, 2, r1) - a) * ly.reshape(1, 1, -1, 1)
    c0, c1, lx = bilinear_axis_t(w, shape[3], x)
    b = torch.index_select(rows, 3, c0)
    return b + (torch.index_select(rows, 3, c1) - b) * lx.reshape(1, 1, 1, -1)


def round_half_even_t(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """:func:`vfx_nodes.model.ops.round_half_even` on integer tensors (non-negative): the
    ONNX graph computes the thumbnail size from the input's shape at run time."""
    q = torch.div(num, den, rounding_mode="floor")
    r = num - q * den
    up = (2 * r > den) | ((2 * r == den) & (torch.remainder(q, 2) == 1))
    return q + up.to(q.dtype)


def area_matrix_t(n: torch.Tensor, m: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """:meth:`vfx_nodes.export.host.HostModule._area_matrix` with the sizes as 0-d tensors (traced for ONNX,
    never scripted, so a per-line type comment is safe here)."""
    i = torch.arange(m, device=like.device).reshape(-1, 1)  # type: ignore[call-overload]
    j = torch.arange(n, device=like.device).reshape(1, -1)  # type: ignore[call-overload]
    start = torch.div(i * n, m, rounding_mode="floor")
    stop = torch.div((i + 1) * n + m - 1, m, rounding_mode="floor")
    inside = (j >= start) & (j < stop)
    return inside.to(like.dtype) * torch.reciprocal((stop - start).to(like.dtype))

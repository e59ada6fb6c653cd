"""The host module's painted highlights: render's ``highlights="paint"``, scriptable and traceable.

Render's default treatment of light (:mod:`vfx_nodes.recipe.highlights`) is elementwise,
so the host module can carry it inside the network file for both hosts:

* :func:`compress_t` — the logarithmic shoulder above ``HIGHLIGHT_KNEE`` that lets the
  network see (and paint) the texture inside a lit window or a sky;
* :func:`expand_t` — the network's result back by each pixel's ratio, ``x · (s / e)^γ``;
* :func:`add_residual_t` — what the working space cannot hold (a channel below 0) added
  back only where the stroke kept the pixel's colour (render's ``CHROMA_HOLD`` rule,
  ``recipe.frame._add_residual``).  Render adds the residual in the scene-linear mixing
  space, scaled by the pixel's change of exposure; the Nuke Group does exactly that
  around the module (:mod:`vfx_nodes.export.nuke`), so inside the Group the module's
  residual is zero.  The Flame module has no colour management around it: where the
  working space is a curve and a matrix from the mixing space
  (:mod:`vfx_nodes.export.linear_way`) it takes the pixels with a residual there and
  back itself and applies the whole rule (:func:`residual_via_linear_t`,
  :func:`residual_in_linear_t`); otherwise it applies the colour half to the
  working-space residual.

The constants are the recipe's own (imported, not copied), stored on the module as float
attributes.  Every operator here exists in torch 1.6's TorchScript runtime and in ONNX
opset 13 (``log1p`` is exported as ``Log(1 + x)``; the gather as ``NonZero``, ``Gather``
and ``ScatterElements``).
"""

# No "from __future__ import annotations": TorchScript compiles these functions and reads
# their annotations as real types.

import torch

__all__ = ["add_residual_t", "compress_t", "expand_t", "from_linear_t", "residual_in_linear_t",
           "residual_via_linear_t", "to_linear_t"]


def compress_t(x: torch.Tensor, knee: float, shoulder: float, inv_shoulder: float) -> torch.Tensor:
    """``recipe.highlights.compress_highlights`` for ``x ≥ 0``: unchanged up to ``knee``,
    ``k + a·ln(1 + (x − k)/a)`` above it (``inv_shoulder`` = ``1/a``: no division in the
    graph, whose ``aten::div`` would raise the TorchScript file's format version)."""
    above = torch.clamp(x - knee, min=0.0)
    return torch.where(x > knee, torch.log1p(above * inv_shoulder) * shoulder + knee, x)


def expand_t(styled: torch.Tensor, base: torch.Tensor, net: torch.Tensor, knee: float, inv_span: float,
             contrast: float) -> torch.Tensor:
    """``recipe.highlights.expand_painted``: where ``base`` (the unclipped input, ≥ 0) is
    above ``knee``, the network's output ``s`` comes back as ``base · (s / e)^γ`` (``e``
    the network's input there), ``γ`` rising from 1 at the knee to ``contrast`` at the top
    of the shoulder (``inv_span`` = ``1/(1 − knee)``); elsewhere ``s`` as it is."""
    hi = base > knee
    e = torch.where(hi, net, torch.ones_like(net))  # no 0/0 where the branch is not taken
    ratio = torch.clamp(styled, min=0.0) * torch.reciprocal(e)
    gamma = torch.clamp((e - knee) * inv_span, 0.0, 1.0) * (contrast - 1.0) + 1.0
    return torch.where(hi, base * torch.pow(ratio, gamma), styled)


def add_residual_t(now: torch.Tensor, residual: torch.Tensor, held: torch.Tensor, inv_hold: float,
                   dim: float) -> torch.Tensor:
    """``now + keep · residual`` per pixel (N×3×H×W): the residual — in the working space,
    what it cannot hold, a channel below 0 — back only as far as the stroke kept the
    pixel's colour, ``keep = 1 / (1 + (d / hold)²)`` (``d``: the largest difference of
    chromaticity between ``now`` and ``held``, both ≥ 0; 1 where either sum is at or
    below ``dim``; ``inv_hold`` = ``1/hold``): render's ``CHROMA_HOLD`` rule
    (``recipe.frame._add_residual``).

    Render also moves the residual's light with the pixel's change of exposure, in the
    scene-linear mixing space (:func:`residual_in_linear_t`, where the model can get
    there).  That half is left out here: in a display-encoded working
    space a saturated light's residual is tens of units (sRGB's linear segment extended
    below 0 multiplies it by 12.92), and scaled and re-spread there it decodes to
    thousands (benchmarks/RESULTS.md, "Painted light in the exports").  So a pixel whose
    colour the stroke changed shows the stroke's colour, as a display shows it."""
    _, keep = _kept_colour(now, held, now.sum(1, True), held.sum(1, True), inv_hold, dim)
    return now + keep * residual


def _kept_colour(now: torch.Tensor, held: torch.Tensor, s_now: torch.Tensor, s_held: torch.Tensor,
                 inv_hold: float, dim: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The stroke's chromaticity and how much of the residual's own colour is kept,
    ``1 / (1 + (d / hold)²)`` (``d``: the largest difference of chromaticity; 1 where
    either sum is at or below ``dim``), channels in dimension 1."""
    tint = now * torch.reciprocal(torch.clamp(s_now, min=dim))
    moved = torch.abs(tint - held * torch.reciprocal(torch.clamp(s_held, min=dim)))
    d = torch.max(torch.max(moved.narrow(1, 0, 1), moved.narrow(1, 1, 1)), moved.narrow(1, 2, 1)) * inv_hold
    keep = torch.reciprocal(d * d + 1.0)
    return tint, torch.where((s_now <= dim) | (s_held <= dim), torch.ones_like(keep), keep)


def to_linear_t(x: torch.Tensor, matrix_t: torch.Tensor, gamma: float, offset: float, brk: float,
                inv_slope: float, inv_scale: float) -> torch.Tensor:
    """Working-space pixels (K×3) → the mixing space by a
    :class:`~vfx_nodes.export.linear_way.LinearWay`: OCIO's ``ExponentWithLinear`` decode
    (``x / slope`` below ``brk``, continued below 0; ``((x + offset) / (1 + offset))^γ``
    above; ``inv_scale`` = ``1/(1 + offset)``), then the 3×3 matrix (``matrix_t`` its
    transpose)."""
    power = torch.pow((torch.clamp(x, min=brk) + offset) * inv_scale, gamma)
    return torch.matmul(torch.where(x < brk, x * inv_slope, power), matrix_t)


def from_linear_t(v: torch.Tensor, inverse_t: torch.Tensor, inv_gamma: float, offset: float, brk_lin: float,
                  slope: float) -> torch.Tensor:
    """:func:`to_linear_t` undone (K×3): the inverse matrix (``inverse_t`` its transpose),
    then the encode (``v · slope`` below ``brk_lin``, ``(1 + offset)·v^(1/γ) − offset``
    above)."""
    v = torch.matmul(v, inverse_t)
    power = torch.pow(torch.clamp(v, min=brk_lin), inv_gamma) * (1.0 + offset) - offset
    return torch.where(v < brk_lin, v * slope, power)


def residual_via_linear_t(y: torch.Tensor, base: torch.Tensor, below: torch.Tensor, to_mix_t: torch.Tensor,
                          from_mix_t: torch.Tensor, way: list[float], rule: list[float]) -> torch.Tensor:
    """Render's whole residual rule on the pixels of ``y`` (N×3×H×W, working space) whose
    working-space residual ``below`` is not 0: those pixels gathered (a traced graph's
    ``NonZero``: the frame's other pixels cost nothing), the look, the held input ``base``
    and the residual taken to the mixing space (``way`` = γ, offset, break, 1/slope,
    1/(1 + offset), 1/γ, the linear break, slope), :func:`residual_in_linear_t` there
    (``rule`` = its floor, 1/hold, dim), brought back and put in place.  What is below 0
    lies on the curve's linear segment, where ``below`` and the input differ, so the
    residual is ``below / slope`` through the matrix: no power."""
    n, h, w = y.shape[0], y.shape[2], y.shape[3]
    flat_y = y.permute(0, 2, 3, 1).reshape(-1, 3)
    flat_below = below.permute(0, 2, 3, 1).reshape(-1, 3)
    idx = torch.nonzero(torch.abs(flat_below).sum(1) > 0.0).reshape(-1)
    held = to_linear_t(base.permute(0, 2, 3, 1).reshape(-1, 3).index_select(0, idx), to_mix_t,
                       way[0], way[1], way[2], way[3], way[4])
    now = to_linear_t(flat_y.index_select(0, idx), to_mix_t, way[0], way[1], way[2], way[3], way[4])
    residual = torch.matmul(flat_below.index_select(0, idx) * way[3], to_mix_t)
    out = residual_in_linear_t(now, residual, held, rule[0], rule[1], rule[2])
    back = from_linear_t(out, from_mix_t, way[5], way[1], way[6], way[7])
    return flat_y.index_copy(0, idx, back).reshape(n, h, w, 3).permute(0, 3, 1, 2)


def residual_in_linear_t(now: torch.Tensor, residual: torch.Tensor, held: torch.Tensor, floor: float,
                         inv_hold: float, dim: float) -> torch.Tensor:
    """Render's whole rule (``recipe.frame._add_residual``), on mixing-space values (the
    channels in dimension 1: N×3×… or K×3):
    ``now + (along + keep · (residual − along)) · gain`` — ``gain`` the change of exposure
    (sums of R, G, B, each at least ``floor``), ``along`` the residual's light in the
    stroke's colour, ``keep`` as in :func:`add_residual_t`."""
    s_now = now.sum(1, True)
    s_held = held.sum(1, True)
    gain = torch.clamp(s_now, min=floor) * torch.reciprocal(torch.clamp(s_held, min=floor))
    tint, keep = _kept_colour(now, held, s_now, s_held, inv_hold, dim)
    along = residual.sum(1, True) * tint
    return now + (along + keep * (residual - along)) * gain

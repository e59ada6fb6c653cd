"""Tile grid geometry, reflection padding and feathered blend weights.

The frame is cut into a grid of *output regions* (each at most ``tile`` pixels on a side,
neighbours overlapping by ``overlap`` pixels); every region is run through the network
with ``halo`` extra pixels of context towards its neighbours, and only the region comes
back.  At the frame's own edges there is no halo: a tile there starts (or ends) where the
frame does and the network pads there as it does on the whole frame and as it did in
training (its own per-layer ``ReflectionPad2d``, Johnson et al. 2016).  Only the few
pixels that bring the frame up to a multiple of ``align`` lie outside it, mirrored
("reflect", the edge pixel not repeated) — the generator's own rule for that padding.

Why the tiled result equals the untiled one (to rounding):

* the network's normalisation statistics are frozen (URST, Chen et al. AAAI 2022), so each
  output pixel is a function of its receptive field only;
* a region pixel is at least ``halo`` ≥ half the receptive field from every cut edge of its
  tile's input (an edge inside the frame), so no padding inside the network reaches it;
  where a tile's input edge is the frame's edge, the network pads exactly as it does on
  the whole frame;
* tile inputs start at multiples of ``align`` (≥ the network's total stride) and every
  input ends at a multiple of ``align`` or at the aligned frame's end, so stride-2 layers
  sample the same pixels in a tile as in the whole frame and the generator never pads to
  a multiple internally;
* the untiled path is *one tile covering the frame* through the same code
  (:meth:`TileGrid.whole`): the frame itself, brought up to a multiple of ``align``.

Tiles keep one input size (so they batch): a tile near a frame edge whose context would
reach past it is shifted inwards to start (end) at the edge, reading more of the frame.

In the overlaps the regions are blended with separable raised-cosine ramps (weights
normalised to sum to one at every pixel, so identical values blend to themselves); where
the network is not exactly shift-equivariant — reduced precision, a halo smaller than
advised — the ramps hide the difference instead of leaving a step.

Before 2026-12 the frame itself was mirror-extended by the halo on every side; the network
then computed 1.18× a 1080p frame's pixels (1.79× at the 487×257 of a 4K plate at stroke
scale auto) for context that does not exist (``benchmarks/RESULTS.md``, "The frame recipe").
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import numpy as np

from ..errors import SettingsError

__all__ = [
    "FEATHER",
    "Span",
    "Tile",
    "TileGrid",
    "align_up",
    "axis_spans",
    "blend_tile",
    "gather_reflect",
    "half_receptive_field",
    "ramp",
    "reflect_indices",
]


#: Default feather width.  With frozen statistics and a full halo neighbouring tiles agree
#: to rounding, so the feather only has to hide reduced-precision differences (different
#: convolution algorithms per tile shape in fp16/bf16, ~1e-3): a short ramp does, and every
#: pixel of overlap is computed twice.
FEATHER = 32


def align_up(value: int, align: int) -> int:
    """Smallest multiple of ``align`` ≥ ``value``."""
    return -(-int(value) // align) * align


def reflect_indices(start: int, stop: int, n: int) -> np.ndarray:
    """Indices into an axis of length ``n`` for positions ``start … stop-1`` of its
    infinite mirror extension ("reflect": … 2 1 | 0 1 2 … n-1 | n-2 n-3 …).

    Works for any distance outside the axis (repeated mirroring), unlike ``np.pad`` with
    one pass or :class:`torch.nn.ReflectionPad2d`, which need the pad smaller than ``n``.
    """
    import torch

    from ..model.ops import mirror_index

    # One definition of the mirror, shared with the host exports' untiled pass.
    return mirror_index(start, stop, n, torch.device("cpu")).numpy()


def gather_reflect(frame: np.ndarray, y0: int, x0: int, h: int, w: int,
                   out: np.ndarray | None = None) -> np.ndarray:
    """The ``h×w`` window at ``(y0, x0)`` of the mirror-extended ``frame`` (H×W×C), as a
    new C-contiguous array (or written into ``out``, ``h×w×C``); a plain slice copy where
    the window lies inside the frame, mirrored indices only for the rows and columns
    outside it (a whole-frame tile of 1080p is 8 rows past the frame: gathering all of it
    by index cost 58 ms, the slice 4)."""
    H, W = frame.shape[:2]
    if out is None:
        out = np.empty((h, w) + frame.shape[2:], frame.dtype)
    iy0, iy1 = max(y0, 0), min(y0 + h, H)
    ix0, ix1 = max(x0, 0), min(x0 + w, W)
    if iy0 >= iy1 or ix0 >= ix1:  # nothing of the window inside the frame
        rows, cols = reflect_indices(y0, y0 + h, H), reflect_indices(x0, x0 + w, W)
        out[...] = frame[rows[:, None], cols[None, :]]
        return out
    ry, rx = slice(iy0 - y0, iy1 - y0), slice(ix0 - x0, ix1 - x0)
    out[ry, rx] = frame[iy0:iy1, ix0:ix1]
    if (iy0, iy1, ix0, ix1) == (y0, y0 + h, x0, x0 + w):
        return out
    rows, cols = reflect_indices(y0, y0 + h, H), reflect_indices(x0, x0 + w, W)
    beyond_x = np.r_[0:rx.start, rx.stop:w]
    if beyond_x.size:  # the frame's rows in the window, their mirrored columns
        out[ry, beyond_x] = frame[iy0:iy1][:, cols[beyond_x]]
    beyond_y = np.r_[0:ry.start, ry.stop:h]
    if beyond_y.size:  # mirrored rows, whole width (corners included)
        out[beyond_y] = frame[rows[beyond_y]][:, cols]
    return out


def ramp(n: int) -> np.ndarray:
    """Raised-cosine ramp rising from near 0 to near 1 over ``n`` pixels (pixel centres),
    symmetric so that ``ramp(n) + ramp(n)[::-1] == 1``."""
    t = (np.arange(n, dtype=np.float64) + 0.5) / n
    return 0.5 - 0.5 * np.cos(np.pi * t)


@dataclasses.dataclass(frozen=True)
class Span:
    """One tile along one axis.

    Attributes:
        start, stop: the output region, ``[start, stop)`` in frame pixels.
        in_start: first input pixel (frame coordinates, a multiple of the alignment, ≥ 0;
            the input may end up to ``align - 1`` pixels past the frame: mirrored).
        weight: blend weight of each region pixel (float32, length ``stop - start``),
            already normalised over all spans of the axis.
    """

    start: int
    stop: int
    in_start: int
    weight: np.ndarray


def axis_spans(n: int, tile: int, halo: int, overlap: int, align: int) -> tuple[list[Span], int]:
    """Cut an axis of ``n`` pixels into spans.

    Args:
        n: axis length.
        tile: largest output region length (≥ ``2·align``); ``≥ n`` gives one span.
            The fewest regions of at most ``tile`` (+ < ``align``) that cover the axis
            are spread evenly.
        halo: context pixels towards neighbouring regions (none beyond the axis's ends).
        overlap: wanted overlap between neighbouring regions (feather width).
        align: region starts are multiples of ``align`` (the network's stride).

    Returns:
        ``(spans, in_size)``: the spans and the common input length of every tile (the
        longest region + its context, rounded up to ``align``; at most the axis rounded
        up to ``align``).  Inputs start inside the axis: at the axis's ends there is no
        halo (see the module notes).
    """
    if tile >= n:
        size = n
        starts = [0]
    else:
        # Overlap at most half the tile so that never more than two tiles meet on a pixel.
        ov = min(max(overlap, 0), tile // 2)
        # Fewest tiles that cover the axis, then spread evenly (instead of full tiles and
        # a sliver at the end): the network computes fewer wasted pixels.
        count = -(-(n - ov) // max(1, tile - ov))
        step = align_up(-(-(n - ov) // count), align)
        size = max(n - (count - 1) * step, step + ov)
        starts = [k * step for k in range(count) if k == 0 or k * step < n]
    regions = [(s, min(s + size, n)) for s in starts]
    # Raw weights: ramp up over the overlap with the previous region, down over the next.
    raw = []
    for k, (s, e) in enumerate(regions):
        w = np.ones(e - s, np.float64)
        if k > 0:
            lo = regions[k - 1][1] - s  # overlap with previous
            if lo > 0:
                w[:lo] *= ramp(lo)
        if k + 1 < len(regions):
            hi = e - regions[k + 1][0]  # overlap with next
            if hi > 0:
                w[len(w) - hi:] *= ramp(hi)[::-1]
        raw.append(w)
    total = np.zeros(n, np.float64)
    for (s, e), w in zip(regions, raw):
        total[s:e] += w
    # Context before a region rounded up to the stride grid (inputs start on it); the
    # input must also hold ``halo`` after the longest region.  The frame brought up to a
    # multiple of ``align`` is the most any input needs (one tile: exactly that).
    before = align_up(halo, align)
    full = align_up(n, align)
    in_size = align_up(size + before + halo, align)
    if in_size >= full and len(regions) > 1:
        # every tile would read the whole axis: one region computes it once
        return axis_spans(n, n, halo, 0, align)
    in_size = min(in_size, full)
    spans = [Span(s, e, min(max(s - before, 0), full - in_size), (w / total[s:e]).astype(np.float32))
             for (s, e), w in zip(regions, raw)]
    return spans, in_size


@dataclasses.dataclass(frozen=True)
class Tile:
    """One tile: the output region ``[y0:y1, x0:x1]``, its input origin (frame
    coordinates; past the frame's aligned end mirrored) and its normalised blend weights."""

    y0: int
    y1: int
    x0: int
    x1: int
    in_y: int
    in_x: int
    wy: np.ndarray
    wx: np.ndarray

    @property
    def weight(self) -> np.ndarray:
        """``(y1-y0)×(x1-x0)`` float32 blend weights (separable product)."""
        return self.wy[:, None] * self.wx[None, :]


@dataclasses.dataclass(frozen=True)
class TileGrid:
    """The tiles covering an ``height×width`` frame.

    Every tile has the same input size ``in_height×in_width`` (so tiles batch), a
    multiple of ``align``.  Build with :meth:`make` or :meth:`whole`.
    """

    height: int
    width: int
    tile: int
    halo: int
    overlap: int
    align: int
    rows: tuple[Span, ...]
    cols: tuple[Span, ...]
    in_height: int
    in_width: int

    @classmethod
    def make(cls, height: int, width: int, tile: int, halo: int, overlap: int | None = None,
             align: int = 16) -> TileGrid:
        """Grid of ``tile``-pixel regions (halo excluded) over an ``height×width`` frame.

        Args:
            height, width: frame size.
            tile: region edge in pixels (at least ``2·align``); ``0`` means one tile for
                the whole frame.
            halo: context pixels around each region (≥ half the receptive field).
            overlap: feather width between neighbours; default ``min(FEATHER, halo, tile/4)``
                (region starts are rounded to ``align``, so the overlap can grow by up to
                ``align - 1`` pixels).
            align: the network's total stride (power of two); 16 suits stride 2–16.

        Raises:
            SettingsError: a negative tile or halo, or an empty frame.
        """
        if height < 1 or width < 1:
            raise SettingsError(f"cannot tile an empty frame of {width}×{height} pixels")
        if tile < 0:
            raise SettingsError(f"tile must be ≥ 0 pixels (0 = untiled), got {tile}")
        if halo < 0:
            raise SettingsError(f"halo must be ≥ 0 pixels, got {halo}")
        if align < 1:
            raise SettingsError(f"align must be ≥ 1, got {align}")
        if tile == 0:
            return cls.whole(height, width, halo, align)
        tile = max(tile, 2 * align)
        if overlap is None:
            overlap = min(FEATHER, halo, tile // 4)
        rows, in_h = axis_spans(height, tile, halo, overlap, align)
        cols, in_w = axis_spans(width, tile, halo, overlap, align)
        return cls(height, width, tile, halo, overlap, align, tuple(rows), tuple(cols), in_h, in_w)

    @classmethod
    def whole(cls, height: int, width: int, halo: int, align: int = 16) -> TileGrid:
        """One tile covering the frame: the untiled path — the frame brought up to a
        multiple of ``align`` (mirrored), exactly as a tile at its edges sees it."""
        big = max(height, width)
        rows, in_h = axis_spans(height, big, halo, 0, align)
        cols, in_w = axis_spans(width, big, halo, 0, align)
        return cls(height, width, 0, halo, 0, align, tuple(rows), tuple(cols), in_h, in_w)

    def __len__(self) -> int:
        return len(self.rows) * len(self.cols)

    def __iter__(self) -> Iterator[Tile]:
        for r in self.rows:
            for c in self.cols:
                yield Tile(r.start, r.stop, c.start, c.stop, r.in_start, c.in_start, r.weight, c.weight)

    @property
    def input_pixels(self) -> int:
        """Pixels of one tile's input (what the network sees per tile)."""
        return self.in_height * self.in_width

    @property
    def overhead(self) -> float:
        """Pixels the network computes per frame pixel (≥ 1: halo and overlaps)."""
        return len(self) * self.input_pixels / (self.height * self.width)

    def describe(self) -> str:
        """One line for the log."""
        return (f"{len(self.rows)}×{len(self.cols)} tiles of {self.in_width}×{self.in_height} input px "
                f"(tile {self.tile or 'whole frame'}, halo {self.halo}, overlap {self.overlap}, "
                f"{self.overhead:.2f}× pixels)")


def blend_tile(out: np.ndarray, tile: Tile, values: np.ndarray) -> None:
    """Add ``values`` (``h×w×C`` over the tile's region) weighted into ``out`` in place."""
    region = out[tile.y0:tile.y1, tile.x0:tile.x1]
    region += values * tile.weight[:, :, None]


def half_receptive_field(receptive_field: int) -> int:
    """Half the receptive field, rounded up: the smallest halo that keeps tiles exact."""
    return math.ceil(receptive_field / 2)

"""Tile grid geometry, reflection padding and feather weights (numpy only, no network)."""

from __future__ import annotations

import numpy as np
import pytest

from vfx_nodes.engine.tiling import (
    TileGrid,
    align_up,
    axis_spans,
    blend_tile,
    gather_reflect,
    ramp,
    reflect_indices,
)
from vfx_nodes.errors import SettingsError


def test_reflect_indices_match_numpy_reflect_padding():
    n = 7
    got = reflect_indices(-5, n + 5, n)
    want = np.pad(np.arange(n), 5, mode="reflect")
    np.testing.assert_array_equal(got, want)


def test_reflect_indices_mirror_repeatedly_beyond_the_axis():
    # a pad larger than the axis (np.pad/torch ReflectionPad2d need pad < n in one pass)
    np.testing.assert_array_equal(reflect_indices(-5, 8, 3), [1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1])
    np.testing.assert_array_equal(reflect_indices(-2, 3, 1), [0] * 5)


def test_gather_reflect_is_a_window_of_the_mirrored_frame():
    rng = np.random.default_rng(1)
    frame = rng.random((9, 11, 3)).astype(np.float32)
    padded = np.pad(frame, ((6, 6), (6, 6), (0, 0)), mode="reflect")
    win = gather_reflect(frame, -4, 5, 12, 10)
    np.testing.assert_array_equal(win, padded[2:14, 11:21])
    inside = gather_reflect(frame, 1, 2, 3, 4)
    np.testing.assert_array_equal(inside, frame[1:4, 2:6])
    assert inside.flags.c_contiguous and not np.shares_memory(inside, frame)


def test_gather_reflect_slices_and_mirrors_like_one_index_gather():
    """Slice inside, mirrored indices outside: the same window as one gather by index, on
    every side, past the corners, wholly outside, and written into ``out``."""
    rng = np.random.default_rng(2)
    frame = rng.random((13, 17, 3)).astype(np.float32)
    for y0, x0, h, w in [(0, 0, 16, 20), (-3, -5, 8, 9), (10, 12, 9, 11), (-20, 3, 5, 4), (2, 40, 6, 7),
                         (-2, -2, 17, 21), (4, 4, 3, 3)]:
        want = frame[reflect_indices(y0, y0 + h, 13)[:, None], reflect_indices(x0, x0 + w, 17)[None, :]]
        np.testing.assert_array_equal(gather_reflect(frame, y0, x0, h, w), want)
        out = np.full((h, w, 3), -1, np.float32)
        assert gather_reflect(frame, y0, x0, h, w, out=out) is out
        np.testing.assert_array_equal(out, want)


def test_ramp_is_a_partition_of_unity_with_its_mirror():
    for n in (1, 2, 7, 16):
        r = ramp(n)
        np.testing.assert_allclose(r + r[::-1], 1.0, atol=1e-12)
        assert np.all(np.diff(r) > 0) or n == 1
        assert r.min() > 0 and r.max() < 1


@pytest.mark.parametrize("n, tile, halo, overlap, align", [
    (97, 40, 20, 10, 4), (131, 40, 25, 10, 4), (100, 32, 8, 8, 16), (5, 64, 9, 16, 4),
    (64, 64, 0, 0, 1), (1000, 256, 41, 41, 4),
])
def test_axis_spans_cover_the_axis_with_normalised_weights(n, tile, halo, overlap, align):
    spans, in_size = axis_spans(n, tile, halo, overlap, align)
    full = align_up(n, align)
    total = np.zeros(n)
    for k, s in enumerate(spans):
        assert s.start % align == 0, "region starts sit on the network's stride grid"
        assert s.in_start % align == 0 and 0 <= s.in_start <= s.start
        assert s.in_start + in_size <= full, "inputs never reach past the aligned frame"
        # every cut edge (one inside the frame) is at least a halo from the region; at
        # the frame's own edges the network pads as on the whole frame
        assert s.in_start == 0 or s.start - s.in_start >= halo
        assert s.in_start + in_size == full or s.in_start + in_size - s.stop >= halo
        assert 0 < s.stop - s.start < tile + align
        assert len(s.weight) == s.stop - s.start
        assert in_size % align == 0 and in_size >= s.stop - s.in_start
        total[s.start:s.stop] += s.weight
        if k:
            assert s.start < spans[k - 1].stop, "neighbours overlap"
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    assert spans[0].start == 0 and spans[-1].stop == n
    assert spans[0].in_start == 0 and spans[-1].in_start + in_size == full, "no halo past the frame's edges"


def test_grid_weights_sum_to_one_and_tiles_batch():
    grid = TileGrid.make(97, 131, 40, 25, align=4)
    acc = np.zeros((97, 131))
    shapes = set()
    for t in grid:
        acc[t.y0:t.y1, t.x0:t.x1] += t.weight
        shapes.add((grid.in_height, grid.in_width))
    np.testing.assert_allclose(acc, 1.0, atol=1e-6)
    assert len(grid) == len(grid.rows) * len(grid.cols) > 1
    assert len(shapes) == 1
    assert grid.overhead > 1
    assert "tiles" in grid.describe()


def test_whole_grid_is_the_frame_brought_up_to_the_alignment():
    grid = TileGrid.make(97, 131, 0, 25, align=4)
    (t,) = list(grid)
    assert (t.y0, t.y1, t.x0, t.x1) == (0, 97, 0, 131)
    assert (t.in_y, t.in_x) == (0, 0)
    assert (grid.in_height, grid.in_width) == (align_up(97, 4), align_up(131, 4))
    assert TileGrid.make(97, 131, 500, 25, align=4).in_height == grid.in_height
    # 1080p on the stride-4 grid: 1080×1920 computed, not the 1200×2048 a mirrored halo cost
    assert TileGrid.make(1080, 1920, 0, 57, align=4).overhead == 1.0


def test_tiles_near_the_edges_shift_inwards_and_keep_one_input_size():
    grid = TileGrid.make(300, 200, 64, 30, align=8)
    starts = sorted({t.in_y for t in grid})
    assert starts[0] == 0 and starts[-1] + grid.in_height == align_up(300, 8)
    assert all(t.in_y >= 0 and t.in_y + grid.in_height <= 304 for t in grid)


def test_blend_of_identical_tiles_reproduces_the_frame():
    rng = np.random.default_rng(2)
    frame = rng.random((50, 61, 3)).astype(np.float32)
    grid = TileGrid.make(50, 61, 20, 6, align=4)
    out = np.zeros_like(frame)
    for t in grid:
        blend_tile(out, t, frame[t.y0:t.y1, t.x0:t.x1])
    np.testing.assert_allclose(out, frame, atol=1e-6)


@pytest.mark.parametrize("kw", [{"tile": -1, "halo": 4}, {"tile": 16, "halo": -2}])
def test_bad_geometry_raises_knob_error(kw):
    with pytest.raises(SettingsError):
        TileGrid.make(10, 10, **kw)
    with pytest.raises(SettingsError, match="empty frame"):
        TileGrid.make(0, 10, 16, 4)

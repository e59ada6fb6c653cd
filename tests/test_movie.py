"""Review movies (vfx_nodes.color.movie, vfx_nodes.io.movie): H.264 through the display/view, read back with PyAV."""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import pytest

av = pytest.importorskip("av")

from vfx_nodes.color import display_view_rgb
from vfx_nodes.color.movie import movie_from_sequence, review_frame, write_movie
from vfx_nodes.errors import MissingFrameError, PlateError, PlateWriteError
from vfx_nodes.io import write_plate
from vfx_nodes.io.movie import frame_rate
from vfx_nodes.plate import Plate


def ramp_plate(value: float = 0.18, *, w: int = 48, h: int = 32, overscan: int = 4) -> Plate:
    """A plate whose data window is larger than its display window on every side."""
    yy, xx = np.mgrid[0:h + 2 * overscan, 0:w + 2 * overscan].astype(np.float32)
    rgb = np.stack([xx / (w + 2 * overscan), yy / (h + 2 * overscan), np.full_like(xx, value)], -1)
    alpha = np.ones_like(xx)[..., None]
    px = np.concatenate([rgb, alpha], -1)
    return Plate(px, ("R", "G", "B", "A"), data_window=(-overscan, -overscan, w - 1 + overscan, h - 1 + overscan),
                 display_window=(0, 0, w - 1, h - 1), colorspace="ACEScg")


def read_back(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
        return s.average_rate, s.codec_context.name, s.codec_context.pix_fmt, frames


def test_frame_rate_knows_ntsc_rates():
    assert frame_rate(24) == 24
    assert frame_rate(23.976) == Fraction(24000, 1001)
    assert frame_rate("29.97") == Fraction(30000, 1001)
    assert frame_rate(12.5) == Fraction(25, 2)
    for bad in (0, -1, "fast", None):
        with pytest.raises(PlateWriteError, match="frame rate"):
            frame_rate(bad)


def test_review_frame_is_the_display_window_through_the_view():
    plate = ramp_plate()
    img = review_frame(plate)
    assert img.shape == (32, 48, 3) and img.dtype == np.uint8
    # the pixel at display (0,0) is data pixel (4,4): overscan is cropped away
    want = display_view_rgb(plate.pixels[4:5, 4:5, :3], "ACEScg")
    assert np.allclose(img[0, 0], np.clip(want[0, 0], 0, 1) * 255, atol=1)
    assert plate.pixels.flags.writeable is False  # input untouched (still the same read-only plate)


def test_review_frame_pads_uncovered_display_with_black():
    px = np.ones((8, 8, 3), np.float32)
    plate = Plate(px, ("R", "G", "B"), data_window=(4, 4, 11, 11), display_window=(0, 0, 15, 15),
                  colorspace="ACEScg")
    img = review_frame(plate, display="sRGB - Display", view="Un-tone-mapped")
    assert img.shape == (16, 16, 3)
    assert img[:4].max() == 0 and img[:, :4].max() == 0 and img[4:12, 4:12].min() > 200


def test_review_frame_nan_inf():
    px = np.array([[[np.nan, np.inf, -np.inf]]], np.float32)
    img = review_frame(Plate(px, ("R", "G", "B"), colorspace="ACEScg"), display="sRGB - Display",
                       view="Un-tone-mapped")
    assert img.dtype == np.uint8 and img[0, 0, 0] == 0


def test_write_movie_frame_count_size_fps(tmp_path):
    plates = [(1001 + i, ramp_plate(0.05 * i)) for i in range(5)]
    info = write_movie(tmp_path / "review.mp4", plates, fps=25)
    assert (info.frames, info.width, info.height, info.fps, info.padded) == (5, 48, 32, 25, (0, 0))
    rate, codec, pix_fmt, frames = read_back(tmp_path / "review.mp4")
    assert rate == 25 and codec == "h264" and pix_fmt == "yuv420p"
    assert len(frames) == 5 and frames[0].shape == (32, 48, 3)
    # what was encoded is what review_frame shows (lossy codec: a small tolerance)
    want = review_frame(plates[2][1]).astype(int)
    assert np.abs(frames[2].astype(int) - want).mean() < 4
    assert os.listdir(tmp_path) == ["review.mp4"]  # no temporary file left


def test_odd_sizes_are_padded_to_even(tmp_path):
    plate = Plate(np.full((7, 9, 3), 0.5, np.float32), ("R", "G", "B"), colorspace="ACEScg")
    info = write_movie(tmp_path / "odd.mov", [plate, plate], fps=23.976)
    assert (info.width, info.height, info.padded) == (10, 8, (1, 1))
    rate, _, _, frames = read_back(tmp_path / "odd.mov")
    assert rate == Fraction(24000, 1001) and frames[0].shape == (8, 10, 3)
    assert frames[0][:, -1].mean() < 20 and frames[0][:7, :9].mean() > 100


def test_burn_in_draws_the_frame_number(tmp_path):
    plate = ramp_plate(0.0)
    clean = review_frame(plate)
    burnt = review_frame(plate, burn_in=1001)
    changed = np.argwhere(np.any(clean != burnt, axis=-1))
    assert len(changed) > 20
    assert changed[:, 0].min() >= 32 // 2 and changed[:, 1].max() < 48 // 2 + 8  # bottom-left
    assert not np.array_equal(review_frame(plate, burn_in=1002), burnt)
    info = write_movie(tmp_path / "b.mp4", [(7, plate)], burn_in=True)
    assert info.frames == 1


def test_errors(tmp_path):
    plate = ramp_plate()
    with pytest.raises(PlateWriteError, match="extension"):
        write_movie(tmp_path / "r.avi", [plate])
    with pytest.raises(PlateWriteError, match="folder"):
        write_movie(tmp_path / "nope" / "r.mp4", [plate])
    with pytest.raises(PlateWriteError, match="no frames"):
        write_movie(tmp_path / "r.mp4", [])
    small = Plate(np.zeros((4, 4, 3), np.float32), ("R", "G", "B"), colorspace="ACEScg")
    with pytest.raises(PlateError, match="same size"):
        write_movie(tmp_path / "r.mp4", [plate, small])
    assert os.listdir(tmp_path) == []  # failed writes leave nothing behind


def test_movie_from_sequence(tmp_path):
    for f in (1, 2, 4):
        write_plate(ramp_plate(0.1 * f), tmp_path / f"out.{f:04d}.exr")
    with pytest.raises(MissingFrameError, match="1 of 4 frames .* missing: 3"):
        movie_from_sequence(tmp_path / "out.####.exr", "1-4", tmp_path / "m.mp4")
    info = movie_from_sequence(tmp_path / "out.####.exr", "1-4", tmp_path / "m.mp4", skip_missing=True,
                               fps=24, burn_in=True)
    assert info.frames == 3
    assert len(read_back(tmp_path / "m.mp4")[3]) == 3


def test_missing_pyav_is_one_clear_error(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "av", None)  # "import av" now raises ImportError
    with pytest.raises(PlateWriteError, match=r"needs PyAV.*vfx-nodes\[movie\]"):
        write_movie(tmp_path / "r.mp4", [ramp_plate()])
    assert os.listdir(tmp_path) == []

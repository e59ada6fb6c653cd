"""The Plate container: shapes, windows, immutability, channel look-ups and errors."""

import numpy as np
import pytest

from vfx_nodes.errors import ChannelNotFoundError, PlateError, VfxNodesError
from vfx_nodes.plate import Plate


def make(h=4, w=5, names=("R", "G", "B", "A"), **kw):
    px = np.arange(h * w * len(names), dtype=np.float32).reshape(h, w, len(names))
    return Plate(px, names, **kw)


def test_defaults_and_geometry():
    p = make()
    assert p.shape == (4, 5, 4)
    assert p.data_window == (0, 0, 4, 3) and p.display_window == (0, 0, 4, 3)
    assert p.pixel_types == ("float",) * 4 and p.pixel_aspect == 1.0
    assert p.pixels.flags.c_contiguous and p.pixels.dtype == np.float32


def test_overscan_windows_are_kept_apart():
    p = make(data_window=(-2, -1, 2, 2), display_window=(0, 0, 1, 1))
    assert p.data_window == (-2, -1, 2, 2)
    assert p.display_window == (0, 0, 1, 1)
    assert p.display_size == (2, 2)


def test_window_must_match_pixels():
    with pytest.raises(PlateError, match="data window"):
        make(data_window=(0, 0, 9, 9))


def test_pixels_are_read_only_and_input_untouched():
    px = np.zeros((2, 2, 3), np.float32)
    p = Plate(px, ("R", "G", "B"))
    assert px.flags.writeable  # the caller's array is not changed
    with pytest.raises(ValueError):
        p.pixels[0, 0, 0] = 1.0
    with pytest.raises(ValueError):
        p.channel("R")[0, 0] = 1.0


def test_channel_lookup_and_close_match_message():
    p = make(names=("R", "G", "B", "A", "diffuse.R", "diffuse.G", "diffuse.B"))
    np.testing.assert_array_equal(p.channel("G"), p.pixels[:, :, 1])
    assert p.layers == ("", "diffuse")
    assert p.rgb_names("diffuse") == ("diffuse.R", "diffuse.G", "diffuse.B")
    assert p.alpha_name("diffuse") == "A"
    with pytest.raises(ChannelNotFoundError, match="diffuse.R") as info:
        p.channel("diffuse.r")
    assert isinstance(info.value, (KeyError, VfxNodesError))
    with pytest.raises(ChannelNotFoundError, match="layers with RGB"):
        p.rgb_names("specular")


def test_with_channels_returns_new_plate():
    p = make()
    q = p.with_channels({"R": np.ones((4, 5)), "Z": np.full((4, 5), 2.0)})
    assert q is not p and q.channel_names == ("R", "G", "B", "A", "Z")
    assert float(q.channel("R").max()) == 1.0 and float(p.channel("R").max()) > 1.0
    assert q.pixel_types[-1] == "float"
    r = q.without_channels(["Z"])
    assert r.channel_names == p.channel_names
    with pytest.raises(PlateError, match="H×W"):
        p.with_channels({"R": np.ones((3, 3))})
    # replacing existing channels only (one copy, planes written in): same contract
    s = p.with_channels({"G": np.zeros((4, 5)), "B": np.full((4, 5), 3.0)})
    assert s.channel_names == p.channel_names and s.pixel_types == p.pixel_types
    np.testing.assert_array_equal(s.channel("R"), p.channel("R"))
    assert float(s.channel("G").max()) == 0.0 and float(s.channel("B").min()) == 3.0
    assert float(p.channel("B").min()) != 3.0 and not s.pixels.flags.writeable
    with pytest.raises(PlateError, match="H×W"):
        p.with_channels({"G": np.ones((3, 3))})


def test_bad_construction_errors():
    with pytest.raises(PlateError, match="channel names"):
        Plate(np.zeros((2, 2, 3)), ("R", "G"))
    with pytest.raises(PlateError, match="unique"):
        Plate(np.zeros((2, 2, 2)), ("R", "R"))
    with pytest.raises(PlateError, match="pixel aspect"):
        Plate(np.zeros((2, 2, 1)), ("Y",), pixel_aspect=0)

"""The built-in sample plate carries everything a production plate carries."""

import numpy as np
import pytest

from vfx_nodes.errors import PlateError
from vfx_nodes.samples import SAMPLE_COLORSPACE, sample_plate


@pytest.fixture(scope="module")
def plate():
    return sample_plate(96, 54, overscan=8)


def test_windows_and_channels(plate):
    assert plate.data_window == (-8, -8, 103, 61)
    assert plate.display_window == (0, 0, 95, 53)
    assert plate.shape == (70, 112, 8)
    assert plate.channel_names == ("R", "G", "B", "A", "Z", "albedo.R", "albedo.G", "albedo.B")
    assert plate.layers == ("", "albedo")
    assert plate.colorspace == SAMPLE_COLORSPACE == "ACEScg"
    assert plate.pixel_types[plate.index("R")] == "half"
    assert plate.pixel_types[plate.index("Z")] == "float"


def test_scene_linear_range_and_alpha(plate):
    rgb = plate.channels(["R", "G", "B"])
    alpha = plate.channel("A")
    assert np.isfinite(plate.pixels).all()
    assert rgb.max() > 20.0            # the sun is far above 1
    assert rgb.min() < 0.0             # out-of-gamut sky
    assert alpha.min() == 0.0 and alpha.max() == 1.0
    soft = (alpha > 0.01) & (alpha < 0.99)
    assert soft.any()                  # soft matte edges
    # premultiplied: no colour where alpha is 0
    assert np.all(rgb[alpha == 0] == 0)
    # the overscan holds real picture, not just black
    over = np.ones(alpha.shape, bool)
    over[8:-8, 8:-8] = False
    assert (alpha[over] > 0.5).mean() > 0.5


def test_values_survive_half_precision(plate):
    half = plate.channels(["R", "G", "B", "A"])
    np.testing.assert_array_equal(half, half.astype(np.float16).astype(np.float32))


def test_deterministic():
    a = sample_plate(32, 18, overscan=2)
    b = sample_plate(32, 18, overscan=2)
    np.testing.assert_array_equal(a.pixels, b.pixels)


def test_bad_size():
    with pytest.raises(PlateError, match="≥ 16"):
        sample_plate(8, 8)

"""FrameSettings: one typed, immutable settings object, validated once, read by every room."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vfx_nodes.errors import DeviceError, KnobError, SettingsError
from vfx_nodes.policy.settings import THUMBNAIL, FrameSettings


@pytest.fixture(scope="module")
def tiny_look():
    import torch

    from vfx_nodes.model import Look, build_generator

    torch.manual_seed(0)
    gen = build_generator("johnson-small", width=4, blocks=1).eval()
    return Look(generator=gen, metadata={}, working_colorspace="sRGB Encoded Rec.709 (sRGB)", arch="johnson-small")


@pytest.fixture(scope="module")
def tiny_plate():
    from vfx_nodes.plate import Plate

    rng = np.random.default_rng(1)
    rgb = rng.random((24, 32, 3), dtype=np.float32) * 1.5
    alpha = np.ones((24, 32, 1), np.float32)
    return Plate(np.dstack([rgb, alpha]), ("R", "G", "B", "A"), colorspace="ACEScg")


def test_defaults_and_normalised_values():
    fs = FrameSettings()
    assert fs.strength == 1.0 and fs.scale == "auto" and fs.tile is None and fs.halo is None
    assert fs.thumbnail == THUMBNAIL and fs.highlights == "paint" and fs.layer == ""
    fs = FrameSettings.make(strength="0.25", scale="0.5", tile="auto", halo="16", device="auto",
                            precision="FLOAT16", colorspace="", working_colorspace=" ACEScct ")
    assert fs.strength == 0.25 and fs.scale == 0.5 and fs.tile is None and fs.halo == 16
    assert fs.device is None and fs.precision == "fp16" and fs.colorspace is None
    assert fs.working_colorspace == "ACEScct"


def test_zero_means_one_thing_everywhere():
    """tile 0 is the whole frame as one tile and halo 0 is no halo — in the API, on the
    node's knobs and on the command line alike; 'auto' is automatic."""
    from vfx_nodes.nodes.builtin import StyleTransfer

    assert FrameSettings(tile=0, halo=0).tile == 0 and FrameSettings(tile=0, halo=0).halo == 0
    assert StyleTransfer.frame_settings({"tile": 0, "halo": "0"}) == FrameSettings(tile=0, halo=0)
    assert StyleTransfer.frame_settings({}) == FrameSettings()


@pytest.mark.parametrize("name, value, words", [
    ("strength", 2, "strength must be"), ("strength", "x", "strength must be"), ("strength", True, "strength"),
    ("scale", 100, "scale must be"), ("tile", -1, "tile must be"), ("tile", 2.5, "tile must be"),
    ("halo", True, "halo must be"), ("batch", 0, "batch must be"), ("thumbnail", 0, "thumbnail must be"),
    ("highlights", "glow", "highlights must be"), ("preserve_alpha", "yes", "preserve_alpha must be"),
    ("layer", 3, "layer must be text"), ("part", 1.5, "part must be"),
])
def test_bad_values_name_the_setting(name, value, words):
    with pytest.raises(SettingsError, match=words):
        FrameSettings.make(**{name: value})


def test_unknown_names_list_the_valid_ones_and_precision_is_a_device_error():
    with pytest.raises(SettingsError, match="unknown setting.*tiles.*valid settings are strength, scale, tile"):
        FrameSettings.make(tiles=3)
    with pytest.raises(DeviceError, match="unknown precision"):
        FrameSettings(precision="fp8")
    with pytest.raises(SettingsError, match="FrameSettings or a mapping"):
        FrameSettings.make(3)  # type: ignore[arg-type]


def test_immutable_and_replace_validates():
    fs = FrameSettings(strength=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fs.strength = 1.0  # type: ignore[misc]
    assert fs.replace(tile=64).tile == 64 and fs.tile is None
    with pytest.raises(SettingsError, match="strength"):
        fs.replace(strength=5)
    assert FrameSettings.make(fs) is fs
    assert FrameSettings.make({"strength": 0.5}, tile=8) == FrameSettings(strength=0.5, tile=8)
    assert fs.changed() == {"strength": 0.5}
    assert set(fs.record()) == set(FrameSettings.STATS_FIELDS)


def test_stylize_takes_the_object_or_keywords_and_the_node_gives_the_same(tiny_look, tiny_plate):
    from vfx_nodes.engine import collect_stats, stylize
    from vfx_nodes.nodes.builtin import StyleTransfer

    fs = FrameSettings(strength=0.5, tile=0, scale=1.0, device="cpu")
    a = stylize(tiny_plate, tiny_look, fs).pixels
    b = stylize(tiny_plate, tiny_look, strength=0.5, tile=0, scale=1.0, device="cpu").pixels
    c = stylize(tiny_plate, tiny_look, FrameSettings(strength=1.0, tile=0), strength=0.5, scale=1.0,
                device="cpu").pixels  # keywords override the object
    node = StyleTransfer.frame_settings({"strength": 0.5, "tile": 0, "scale": "1", "device": "cpu"})
    d = stylize(tiny_plate, tiny_look, node).pixels
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(a, d)
    # the same object serves collect_stats (what it does not need, it ignores)
    stats = collect_stats(tiny_plate, tiny_look, fs)
    np.testing.assert_allclose(stylize(tiny_plate, tiny_look, fs, stats=stats).pixels, a, atol=1e-5)
    with pytest.raises(SettingsError, match="unknown setting"):
        stylize(tiny_plate, tiny_look, strenght=0.5)
    with pytest.raises(KnobError, match="StyleTransfer"):
        StyleTransfer.frame_settings({"tile": "big"})

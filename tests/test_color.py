"""Colour conversions: agreement with OCIO, round trips, NaN/Inf/negatives, plates, displays."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import numpy as np
import PyOpenColorIO as ocio
import pytest

from vfx_nodes.color import (
    DEFAULT_PLATE_SPACE,
    DEFAULT_WORKING_SPACE,
    clear_caches,
    convert_plate,
    convert_rgb,
    display_view_plate,
    display_view_rgb,
    get_config,
    get_display_view_processor,
    get_processor,
    premultiply,
    unpremultiply,
)
from vfx_nodes.color.convert import OPTIMIZATION
from vfx_nodes.errors import ChannelNotFoundError, ColorError, ColorSpaceError
from vfx_nodes.plate import Plate

SRGB = "sRGB Encoded Rec.709 (sRGB)"
SRGB_TOE = 12.92321  # OCIO's sRGB linear-toe slope (continuous with the power segment)
ROUND_TRIPS = [("ACEScg", "ACES2065-1"), ("ACEScg", "ACEScct"), ("ACEScg", SRGB),
               ("ACEScg", "Linear Rec.709 (sRGB)")]


@pytest.fixture(autouse=True)
def _builtin_config(monkeypatch: pytest.MonkeyPatch):
    """Every test here runs against OCIO's built-in studio config, whatever $OCIO says."""
    monkeypatch.delenv("OCIO", raising=False)
    clear_caches()


def hdr_values(n: int = 3000, seed: int = 0) -> np.ndarray:
    """N×3 scene-linear values: HDR 0–1000, small values, negatives, exact 0 and 1."""
    rng = np.random.default_rng(seed)
    parts = [rng.uniform(0.0, 1000.0, (n, 3)), rng.uniform(-0.5, 1.0, (n, 3)),
             10.0 ** rng.uniform(-4, 3, (n, 3)), [[0, 0, 0], [1, 1, 1], [0.18, 0.18, 0.18]]]
    return np.concatenate(parts).astype(np.float32)


def pixel_relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-3) -> float:
    """Max |a-b| relative to each pixel's largest magnitude (floored): a 3×3 matrix spreads
    float32 rounding of the pixel's largest channel into its smallest ones."""
    scale = np.maximum(np.abs(b.astype(np.float64)).max(axis=-1, keepdims=True), floor)
    return float((np.abs(a.astype(np.float64) - b) / scale).max())


def ocio_direct(x: np.ndarray, transform_or_src, dst: str | None = None,
                flags=OPTIMIZATION) -> np.ndarray:
    """Apply OCIO directly, building the processor here, as a reference."""
    cfg = ocio.Config.CreateFromFile("ocio://studio-config-latest")
    proc = cfg.getProcessor(transform_or_src) if dst is None else cfg.getProcessor(transform_or_src, dst)
    cpu = proc.getOptimizedCPUProcessor(ocio.BIT_DEPTH_F32, ocio.BIT_DEPTH_F32, flags)
    out = np.array(x, np.float32, copy=True)
    cpu.applyRGB(out)
    return out


# --- agreement with OCIO and golden values -------------------------------------------------


@pytest.mark.parametrize("src,dst", ROUND_TRIPS + [(SRGB, "ACEScg"), ("ARRI LogC4", "ACEScg")])
def test_agrees_with_ocio_applied_directly(src, dst):
    x = hdr_values(500) if src == "ACEScg" else np.random.default_rng(1).uniform(0, 1, (500, 3)).astype(np.float32)
    # Same processor settings: identical bits.
    np.testing.assert_array_equal(convert_rgb(x, src, dst), ocio_direct(x, src, dst))
    # OCIO's plain default CPU processor (fast log/exp/pow approximations): close.
    cfg = ocio.Config.CreateFromFile("ocio://studio-config-latest")
    default = np.array(x, copy=True)
    cfg.getProcessor(src, dst).getDefaultCPUProcessor().applyRGB(default)
    assert pixel_relative_error(convert_rgb(x, src, dst), default) < 1e-4


@pytest.mark.parametrize("src,dst,rgb,expected", [
    # ACEScct (S-2016-001): (log2(0.18) + 9.72) / 17.52
    ("ACEScg", "ACEScct", [0.18, 0.18, 0.18], [0.4135884] * 3),
    # ACEScct linear toe below 0.0078125: 10.5402377416545 * x + 0.0729055341958355
    ("ACEScg", "ACEScct", [0.0, -0.01, 0.005], [0.0729055342, 0.0729055342 - 0.105402377, 0.125606723]),
    # IEC 61966-2-1 sRGB: 1.055 * x^(1/2.4) - 0.055 above the toe.  OCIO's
    # ExponentWithLinearTransform derives the toe from gamma 2.4 and offset 0.055 so the
    # curve is continuous: slope 12.92321 (the standard rounds it to 12.92).
    ("Linear Rec.709 (sRGB)", SRGB, [0.5, 1.0, 0.002], [0.7353569, 1.0, 0.002 * SRGB_TOE]),
    ("Linear Rec.709 (sRGB)", SRGB, [-0.002, 0.0, 100.0], [-0.002 * SRGB_TOE, 0.0, 1.055 * 100 ** (1 / 2.4) - 0.055]),
    # D60 white stays white between the AP1 and AP0 ACES spaces
    ("ACEScg", "ACES2065-1", [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]),
])
def test_golden_values(src, dst, rgb, expected):
    out = convert_rgb(np.array([rgb], np.float32), src, dst)
    np.testing.assert_allclose(out[0], expected, rtol=2e-5, atol=2e-6)


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("src,dst", ROUND_TRIPS)
def test_round_trip_on_hdr_and_negative_values(src, dst):
    x = hdr_values()
    back = convert_rgb(convert_rgb(x, src, dst), dst, src)
    assert pixel_relative_error(back, x) < 1e-4
    assert np.isfinite(back).all()


def test_round_trip_through_the_working_space_on_the_sample_plate():
    from vfx_nodes.samples import sample_plate

    plate = sample_plate(48, 32, 4)
    working = convert_plate(plate, DEFAULT_WORKING_SPACE)
    back = convert_plate(working, plate.colorspace)
    rgb = list(plate.rgb_names())
    assert pixel_relative_error(back.channels(rgb), plate.channels(rgb)) < 1e-4
    assert back.colorspace == plate.colorspace == "ACEScg"


# --- identity, shapes, dtypes, inputs ---------------------------------------------------------


def test_identity_returns_a_copy():
    x = hdr_values(10)
    for dst in ("ACEScg", "acescg", "lin_ap1", "scene_linear"):
        out = convert_rgb(x, "ACEScg", dst)
        assert out is not x and not np.shares_memory(out, x)
        np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("shape", [(7, 3), (4, 5, 3), (2, 3, 4, 3), (0, 3)])
def test_shapes_are_kept(shape):
    x = np.random.default_rng(0).uniform(0, 4, shape).astype(np.float32)
    out = convert_rgb(x, "ACEScg", SRGB)
    assert out.shape == shape and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_array_equal(out.reshape(-1, 3), convert_rgb(x.reshape(-1, 3), "ACEScg", SRGB))


def test_other_dtypes_become_float32():
    x64 = hdr_values(20).astype(np.float64)
    out = convert_rgb(x64, "ACEScg", "ACEScct")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, convert_rgb(x64.astype(np.float32), "ACEScg", "ACEScct"))
    assert convert_rgb(np.ones((2, 3), np.int32), "ACEScg", "ACEScct").dtype == np.float32


@pytest.mark.parametrize("bad", [np.zeros((4, 4)), np.zeros((4, 4, 4)), np.zeros(3, dtype=object).reshape(1, 3),
                                 np.zeros((2, 3), np.complex64)])
def test_bad_arrays_are_rejected(bad):
    with pytest.raises(ColorError, match="rgb"):
        convert_rgb(bad, "ACEScg", "ACEScct")


def test_input_is_never_modified_and_may_be_read_only():
    x = hdr_values(50)
    x[0, 0], x[1, 1] = np.nan, np.inf
    before = x.copy()
    x.flags.writeable = False
    convert_rgb(x, "ACEScg", SRGB)
    display_view_rgb(x, "ACEScg")
    display_view_rgb(x, "ACEScg", inverse=True)
    np.testing.assert_array_equal(x, before)


def test_unknown_names_raise_with_close_matches():
    with pytest.raises(ColorSpaceError, match=r"'ACEScgg'.*did you mean 'ACEScg'"):
        convert_rgb(np.zeros((1, 3), np.float32), "ACEScgg", SRGB)
    with pytest.raises(ColorSpaceError, match=r"'sRGB Encoded Rec.709'.*'sRGB Encoded Rec.709 \(sRGB\)'"):
        convert_rgb(np.zeros((1, 3), np.float32), "ACEScg", "sRGB Encoded Rec.709")


# --- NaN, Inf and negative values --------------------------------------------------------------


@pytest.mark.parametrize("src,dst", ROUND_TRIPS + [(SRGB, "ACEScg")])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_channels_pass_through_and_never_spread(src, dst, bad):
    x = np.random.default_rng(2).uniform(-0.2, 50.0, (5, 5, 3)).astype(np.float32)
    y = x.copy()
    y[2, 2, 0] = bad          # one channel of one pixel
    y[0, 4, :] = bad          # a whole pixel
    out = convert_rgb(y, src, dst)
    ref = convert_rgb(x, src, dst)
    # the non-finite channels come back as they went in (same NaN-ness, same signed Inf)
    np.testing.assert_array_equal(out[2, 2, 0], y[2, 2, 0])
    np.testing.assert_array_equal(out[0, 4], y[0, 4])
    # the pixel's finite channels are converted as if the bad one were 0
    zeroed = x[2, 2].copy()
    zeroed[0] = 0.0
    np.testing.assert_array_equal(out[2, 2, 1:], convert_rgb(zeroed[None], src, dst)[0, 1:])
    # every other pixel is exactly what it is without the bad values
    untouched = np.ones((5, 5), bool)
    untouched[2, 2] = untouched[0, 4] = False
    np.testing.assert_array_equal(out[untouched], ref[untouched])
    assert np.isfinite(out[untouched]).all()


def test_non_finite_rule_on_every_half_value(exr_corpus: Path):
    """OpenEXR's AllHalfValues.exr holds every half: NaNs, ±Inf, denormals, ±65504."""
    from vfx_nodes.io import read_plate

    plate = read_plate(exr_corpus / "TestImages" / "AllHalfValues.exr")
    rgb = plate.channels(plate.rgb_names())
    bad = ~np.isfinite(rgb)
    assert bad.any() and (rgb < 0).any()
    for dst in ("ACES2065-1", "ACEScct", SRGB):
        out = convert_rgb(rgb, "ACEScg", dst)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(rgb))
        np.testing.assert_array_equal(out[np.isinf(rgb)], rgb[np.isinf(rgb)])
        assert np.isfinite(out[~bad]).all(), f"finite half values became non-finite in {dst}"


def test_negative_values_go_through_the_linear_toes():
    # sRGB and ACEScct continue their linear segment below 0, so negatives are not clipped.
    neg = np.array([[-0.001, -0.5, -10.0]], np.float32)
    np.testing.assert_allclose(convert_rgb(neg, "Linear Rec.709 (sRGB)", SRGB), SRGB_TOE * neg, rtol=1e-5)
    cct = convert_rgb(neg, "ACEScg", "ACEScct")
    np.testing.assert_allclose(cct, 10.5402377416545 * neg + 0.0729055341958355, rtol=1e-5)


# --- caching and threads -------------------------------------------------------------------


def test_processors_are_cached_per_config_and_direction():
    p = get_processor("ACEScg", SRGB)
    assert get_processor("lin_ap1", "srgb_texture") is p          # same spaces, other spellings
    assert get_processor(SRGB, "ACEScg") is not p                 # other direction
    assert get_processor("ACEScg", SRGB, config="vfx_nodes_studio") is not p
    fwd = get_display_view_processor("ACEScg")
    assert get_display_view_processor("ACEScg") is fwd
    assert get_display_view_processor("ACEScg", inverse=True) is not fwd


def test_tiles_converted_in_threads_match_the_whole_frame():
    frame = np.random.default_rng(4).uniform(-0.1, 100.0, (64, 64, 3)).astype(np.float32)
    tiles = [(slice(y, y + 16), slice(x, x + 16)) for y in range(0, 64, 16) for x in range(0, 64, 16)]
    clear_caches()  # the threads race to build the processor too
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        parts = list(pool.map(lambda t: convert_rgb(frame[t], "ACEScg", SRGB), tiles))
    stitched = np.empty_like(frame)
    for t, part in zip(tiles, parts):
        stitched[t] = part
    np.testing.assert_array_equal(stitched, convert_rgb(frame, "ACEScg", SRGB))


# --- plates ---------------------------------------------------------------------------------


def make_plate(colorspace: str | None = "ACEScg") -> Plate:
    rng = np.random.default_rng(5)
    h, w = 6, 8
    rgb = rng.uniform(0.0, 20.0, (h, w, 3))
    a = rng.uniform(0.05, 1.0, (h, w))
    a[0, :4] = 0.0                      # transparent pixels, two of them emitting light
    rgb[0, :2] = 0.0
    a[1, 0] = 1.5                       # over-bright matte
    rgb = rgb * np.where(a > 0, a, 1.0)[..., None]   # premultiplied
    z = rng.uniform(1.0, 1e4, (h, w))
    z[3, 3] = np.nan                    # renderers do write NaN depth
    diffuse = rng.uniform(0.0, 2.0, (h, w, 3))
    planes = np.concatenate([rgb, a[..., None], z[..., None], diffuse, rng.uniform(0, 1, (h, w, 1))], axis=-1)
    return Plate(planes, ("R", "G", "B", "A", "Z", "diffuse.R", "diffuse.G", "diffuse.B", "id"),
                 data_window=(-1, -1, w - 2, h - 2), display_window=(0, 0, 5, 3),
                 header={"owner": "test", "framesPerSecond": (24, 1)},
                 pixel_types=("half", "half", "half", "half", "float", "half", "half", "half", "uint"),
                 colorspace=colorspace, exact={"id": np.arange(h * w, dtype=np.uint32).reshape(h, w)},
                 source="shot.1001.exr")


def test_convert_plate_keeps_everything_else_bit_identical():
    plate = make_plate()
    before = plate.pixels.copy()
    out = convert_plate(plate, "ACEScct")
    assert out is not plate and out.colorspace == "ACEScct" and plate.colorspace == "ACEScg"
    np.testing.assert_array_equal(plate.pixels, before)           # input untouched
    for name in ("A", "Z", "diffuse.R", "diffuse.G", "diffuse.B", "id"):
        assert out.channel(name).tobytes() == plate.channel(name).tobytes(), name
    assert out.channel_names == plate.channel_names and out.pixel_types == plate.pixel_types
    assert (out.data_window, out.display_window, out.header, out.source) == \
           (plate.data_window, plate.display_window, plate.header, plate.source)
    np.testing.assert_array_equal(out.exact["id"], plate.exact["id"])
    assert not np.array_equal(out.channels("RGB"), plate.channels("RGB"))


def test_convert_plate_premultiplied_is_unpremultiply_convert_premultiply():
    plate = make_plate()
    rgb, a = plate.channels("RGB"), plate.channel("A")
    expected = premultiply(convert_rgb(unpremultiply(rgb, a), "ACEScg", "ACEScct"), a)
    out = convert_plate(plate, "ACEScct")
    np.testing.assert_array_equal(out.channels("RGB"), expected)
    # alpha-0 pixels (emission and black) are converted as they stand
    np.testing.assert_array_equal(out.channels("RGB")[0, :4], convert_rgb(rgb[0, :4], "ACEScg", "ACEScct"))
    # a log curve does not commute with alpha, so the modes differ where 0 < alpha < 1
    straight = convert_plate(plate, "ACEScct", alpha="straight")
    np.testing.assert_array_equal(straight.channels("RGB"), convert_rgb(rgb, "ACEScg", "ACEScct"))
    assert not np.allclose(straight.channels("RGB"), out.channels("RGB"))
    np.testing.assert_array_equal(convert_plate(plate, "ACEScct", alpha="ignore").pixels, straight.pixels)


def test_convert_plate_without_alpha_converts_directly():
    plate = make_plate().without_channels(["A"])
    out = convert_plate(plate, SRGB)
    np.testing.assert_array_equal(out.channels("RGB"), convert_rgb(plate.channels("RGB"), "ACEScg", SRGB))


def test_convert_plate_source_space():
    plate = make_plate()
    explicit = convert_plate(plate.replace(colorspace=None), "ACEScct", src="ACES2065-1")
    tagged = convert_plate(plate.replace(colorspace="ACES2065-1"), "ACEScct")
    np.testing.assert_array_equal(explicit.pixels, tagged.pixels)
    # untagged plates are taken to be in the scene_linear role (ACEScg here)
    np.testing.assert_array_equal(convert_plate(plate.replace(colorspace=None), "ACEScct").pixels,
                                  convert_plate(plate, "ACEScct").pixels)
    assert DEFAULT_PLATE_SPACE == "scene_linear"


def test_convert_plate_to_its_own_space_only_retags():
    plate = make_plate()
    out = convert_plate(plate, "scene_linear")
    assert out.colorspace == "scene_linear"
    np.testing.assert_array_equal(out.pixels, plate.pixels)


def test_convert_plate_one_layer():
    plate = make_plate()
    out = convert_plate(plate, SRGB, layer="diffuse")
    assert out.colorspace == plate.colorspace                      # main layer unchanged
    np.testing.assert_array_equal(out.channels("RGB"), plate.channels("RGB"))
    d = ("diffuse.R", "diffuse.G", "diffuse.B")
    # the diffuse layer has no alpha of its own: the main A is used
    expected = premultiply(convert_rgb(unpremultiply(plate.channels(d), plate.channel("A")), "ACEScg", SRGB),
                           plate.channel("A"))
    np.testing.assert_array_equal(out.channels(d), expected)


def test_convert_plate_errors():
    plate = make_plate()
    with pytest.raises(ChannelNotFoundError, match="specular"):
        convert_plate(plate, SRGB, layer="specular")
    with pytest.raises(ColorError, match="'premultiplied', 'straight', 'ignore'"):
        convert_plate(plate, SRGB, alpha="premult")
    with pytest.raises(ColorSpaceError, match="ACEScgg"):
        convert_plate(plate.replace(colorspace="ACEScgg"), SRGB)


# --- displays and views --------------------------------------------------------------------


def test_display_view_agrees_with_ocio_directly():
    cfg = get_config()
    display = cfg.getDefaultDisplay()
    view = cfg.getDefaultView(display, "ACEScg")
    x = hdr_values(300)
    ref = ocio_direct(x, ocio.DisplayViewTransform(src="ACEScg", display=display, view=view))
    np.testing.assert_array_equal(display_view_rgb(x, "ACEScg"), ref)
    np.testing.assert_array_equal(display_view_rgb(x, "scene_linear", display, view), ref)
    assert ref.min() >= 0.0 and ref.max() <= 1.0 + 1e-6              # views clip to the display


@pytest.mark.parametrize("view", [None, "Video (colorimetric)", "Un-tone-mapped"])
def test_display_view_inverse_round_trip(view):
    display_values = np.random.default_rng(6).uniform(0.02, 0.98, (2000, 3)).astype(np.float32)
    scene = display_view_rgb(display_values, "ACEScg", view=view, inverse=True)
    assert np.isfinite(scene).all()
    again = display_view_rgb(scene, "ACEScg", view=view)
    np.testing.assert_allclose(again, display_values, atol=1e-4)


def test_display_view_keeps_non_finite_values():
    x = np.array([[np.nan, 0.5, 0.5], [np.inf, 0.2, 0.1], [0.3, 0.2, 0.1]], np.float32)
    out = display_view_rgb(x, "ACEScg")
    assert np.isnan(out[0, 0]) and out[1, 0] == np.inf          # OCIO alone would give 0 and 1
    np.testing.assert_array_equal(out[2], display_view_rgb(x[2:], "ACEScg")[0])


def test_display_view_plate_forward_and_inverse():
    plate = make_plate()
    shown = display_view_plate(plate)
    assert shown.colorspace == "sRGB - Display"          # the view's display colourspace
    for name in ("A", "Z", "diffuse.R"):
        assert shown.channel(name).tobytes() == plate.channel(name).tobytes()
    a = plate.channel("A")
    np.testing.assert_array_equal(
        shown.channels("RGB"), premultiply(display_view_rgb(unpremultiply(plate.channels("RGB"), a), "ACEScg"), a))
    back = display_view_plate(shown, inverse=True, src="ACEScg")
    assert back.colorspace == "ACEScg"
    # ACES 2.0 output transforms compress highlights, so compare values the view does not clip
    ok = (plate.channels("RGB") < 1.0).all(axis=-1) & (a > 0.05)
    assert pixel_relative_error(back.channels("RGB")[ok], plate.channels("RGB")[ok], floor=0.05) < 1e-3


def test_display_view_unknown_names():
    with pytest.raises(ColorSpaceError, match=r"unknown view 'ACES'.*did you mean"):
        display_view_rgb(np.zeros((1, 3), np.float32), "ACEScg", view="ACES")


def test_display_view_plate_on_a_layer_keeps_the_plate_tag():
    plate = make_plate()
    out = display_view_plate(plate, layer="diffuse")
    assert out.colorspace == plate.colorspace
    np.testing.assert_array_equal(out.channels("RGB"), plate.channels("RGB"))
    assert not np.array_equal(out.channel("diffuse.R"), plate.channel("diffuse.R"))

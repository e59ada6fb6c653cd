"""stylize / collect_stats: the specification of the engine, on tiny frames and a tiny net.

The generator is ``build_generator("johnson-small", width=4, blocks=1)`` with its weights
perturbed (a freshly built one is close to the identity) and its output head scaled so the
look changes the picture by a few hundredths, as a trained one does; every test runs in
seconds on two CPU cores.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

import vfx_nodes
from vfx_nodes.color import convert_rgb
from vfx_nodes.engine import collect_stats, pipeline, stylize
from vfx_nodes.engine.generators import device_copy
from vfx_nodes.engine.pipeline import run_tiled
from vfx_nodes.errors import ChannelNotFoundError, DeviceError, LookError, SettingsError
from vfx_nodes.model import Look, NormStats, build_generator, save_look
from vfx_nodes.plate import Plate

WORK = "sRGB Encoded Rec.709 (sRGB)"


def _generator(seed: int = 0, **settings) -> torch.nn.Module:
    torch.manual_seed(seed)
    gen = build_generator("johnson-small", **{"width": 4, "blocks": 1, **settings})
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(torch.randn_like(p) * 0.2)
        # a visible but plausible look: changes of ~0.05 around the input, like a trained one
        gen.head.conv.weight.mul_(0.03)
        gen.head.conv.bias.zero_()
    return gen.eval()


@pytest.fixture(scope="module")
def look() -> Look:
    return Look(generator=_generator(), metadata={"working_colorspace": WORK},
                working_colorspace=WORK, arch="johnson-small")


@pytest.fixture(scope="module")
def identity_look() -> Look:
    """A look whose generator returns its input (residual net with a zero head)."""
    gen = build_generator("johnson-small", width=4, blocks=1)
    with torch.no_grad():
        gen.head.conv.weight.zero_()
        gen.head.conv.bias.zero_()
    return Look(generator=gen, metadata={}, working_colorspace=WORK, arch="johnson-small")


def _plate(h: int = 36, w: int = 44, seed: int = 3) -> Plate:
    """An ACEScg plate with alpha, an extra layer, Z, a uint ID channel and overscan."""
    rng = np.random.default_rng(seed)
    rgb = rng.random((h, w, 3), dtype=np.float32) * 0.9
    alpha = np.clip(rng.random((h, w), dtype=np.float32) * 1.2, 0, 1)
    alpha[:4, :4] = 0.0
    rgb *= alpha[..., None]                      # premultiplied
    rgb[:2, :2] = 0.3                            # alpha-0 emission
    diffuse = rng.random((h, w, 3), dtype=np.float32)
    z = rng.random((h, w), dtype=np.float32) * 1000
    ids = rng.integers(0, 2**32 - 1, (h, w), dtype=np.uint32)
    pixels = np.dstack([rgb, alpha, diffuse, z, ids.astype(np.float32)])
    names = ("R", "G", "B", "A", "diffuse.R", "diffuse.G", "diffuse.B", "Z", "id")
    types = ("half", "half", "half", "half", "float", "float", "float", "float", "uint")
    return Plate(pixels, names, data_window=(-4, -3, w - 5, h - 4), display_window=(0, 0, w - 9, h - 7),
                 pixel_aspect=1.0, header={"owner": "test", "framesPerSecond": (24, 1)},
                 pixel_types=types, colorspace="ACEScg", exact={"id": ids}, source="test.exr")


@pytest.fixture(scope="module")
def plate() -> Plate:
    return _plate()


@pytest.fixture(scope="module")
def styled(plate, look) -> Plate:
    return stylize(plate, look, device="cpu")


# --- smoke and what rides along ------------------------------------------------------------


def test_smoke_returns_a_new_stylised_plate(plate, styled):
    assert isinstance(styled, Plate) and styled is not plate
    assert styled.shape == plate.shape
    assert styled.channel_names == plate.channel_names
    rgb_in, rgb_out = plate.channels("RGB"), styled.channels("RGB")
    assert np.isfinite(rgb_out).all()
    assert np.abs(rgb_out - rgb_in).mean() > 1e-3, "the look changed the picture"


def test_public_name_is_reexported_lazily():
    from vfx_nodes import engine

    assert vfx_nodes.stylize is stylize and vfx_nodes.collect_stats is collect_stats
    # the implementation module is imported (by this file) and does not shadow the function
    assert engine.stylize is stylize and callable(engine.stylize)


def test_tiny_plates_smaller_than_the_network_stride(look):
    for h, w in ((1, 1), (3, 5), (2, 17)):
        plate = Plate(np.full((h, w, 3), 0.4, np.float32), ("R", "G", "B"), colorspace="ACEScg")
        out = stylize(plate, look, device="cpu")
        assert out.shape == (h, w, 3) and np.isfinite(out.pixels).all()


def test_node_knob_values_drive_stylize(plate, look):
    from vfx_nodes.nodes.builtin import StyleTransfer

    kwargs = StyleTransfer.stylize_kwargs({"strength": 0.5, "tile": 16, "layer": "diffuse",
                                           "precision": "fp32", "device": "cpu"})
    out = stylize(plate, look, **kwargs)
    assert np.array_equal(out.channels("RGBA"), plate.channels("RGBA"))
    direct = stylize(plate, look, strength=0.5, tile=16, layer="diffuse", device="cpu")
    np.testing.assert_array_equal(out.pixels, direct.pixels)


def test_alpha_and_every_other_channel_come_back_bit_identical(plate, styled):
    for name in ("A", "diffuse.R", "diffuse.G", "diffuse.B", "Z", "id"):
        assert np.array_equal(styled.channel(name), plate.channel(name)), name
    np.testing.assert_array_equal(styled.exact["id"], plate.exact["id"])
    assert styled.exact["id"].dtype == np.uint32


def test_windows_header_pixel_types_and_colourspace_are_kept(plate, styled):
    assert styled.data_window == plate.data_window == (-4, -3, 39, 32)
    assert styled.display_window == plate.display_window
    assert styled.header == plate.header
    assert styled.pixel_types == plate.pixel_types
    assert styled.pixel_aspect == plate.pixel_aspect
    assert styled.colorspace == "ACEScg"


def test_overscan_is_stylised_too(plate, styled):
    # the pixels outside the display window (data window x < 0, y < 0) are processed
    diff = np.abs(styled.channels("RGB") - plate.channels("RGB"))
    assert diff[:3, 8:].mean() > 1e-3 and diff[8:, :4].mean() > 1e-3


def test_input_plate_and_look_are_unchanged(look):
    plate = _plate()
    before = plate.pixels.copy()
    state = {k: v.clone() for k, v in look.generator.state_dict().items()}
    training = look.generator.training
    stylize(plate, look, tile=16, device="cpu")
    assert np.array_equal(plate.pixels, before)
    for k, v in look.generator.state_dict().items():
        assert torch.equal(v, state[k]), k
    assert look.generator.training == training
    assert look.generator.frozen_statistics() is None


# --- seamless tiles ------------------------------------------------------------------------


@pytest.mark.parametrize("tile", [40, 33])
def test_tiled_equals_untiled_with_the_same_frozen_statistics(look, tile):
    rng = np.random.default_rng(7)
    frame = rng.random((97, 131, 3), dtype=np.float32)
    gen = device_copy(look.generator, torch.device("cpu"), False)
    stats = gen.collect_stats(torch.from_numpy(frame).permute(2, 0, 1)[None].contiguous())
    halo, align = look.generator.halo, look.generator.alignment
    with gen.frozen_stats(stats):
        whole = run_tiled(gen, frame, tile=0, halo=halo, align=align, device=torch.device("cpu"))
        tiled = run_tiled(gen, frame, tile=tile, halo=halo, align=align, device=torch.device("cpu"), batch=3)
    assert np.abs(whole - frame).mean() > 1e-3
    np.testing.assert_allclose(tiled, whole, atol=1e-4, rtol=0)
    if tile != 40:
        return
    # and through the public function, end to end (OCIO in and out included)
    plate = Plate(np.dstack([frame, np.ones((97, 131), np.float32)]), ("R", "G", "B", "A"),
                  colorspace="ACEScg")
    shot = collect_stats(plate, look)
    a = stylize(plate, look, tile=0, stats=shot, device="cpu")
    b = stylize(plate, look, tile=tile, stats=shot, device="cpu")
    np.testing.assert_allclose(b.pixels, a.pixels, atol=1e-4, rtol=0)


def test_default_statistics_come_from_a_thumbnail_and_tiles_still_agree(look):
    plate = _plate(100, 140, seed=11)
    a = stylize(plate, look, tile=0, device="cpu", thumbnail=32)
    prof: dict = {}
    b = stylize(plate, look, tile=24, device="cpu", thumbnail=32, profile=prof)
    assert prof["tile_count"] > 4, "tiles cut inside the frame"
    np.testing.assert_allclose(b.channels("RGB"), a.channels("RGB"), atol=1e-4, rtol=0)


# --- strength, range, NaN/Inf --------------------------------------------------------------


def test_strength_zero_is_the_input_and_strength_mixes_in_scene_linear(plate, styled, look):
    zero = stylize(plate, look, strength=0.0, device="cpu")
    assert np.array_equal(zero.pixels, plate.pixels)
    half = stylize(plate, look, strength=0.5, device="cpu")
    # premultiplication is linear, so the mix of the premultiplied values is the mix
    want = 0.5 * (plate.channels("RGB") + styled.channels("RGB"))
    np.testing.assert_allclose(half.channels("RGB"), want, atol=2e-5)


def test_identity_network_round_trips_including_highlights_and_negatives(identity_look):
    rng = np.random.default_rng(5)
    rgb = rng.random((24, 30, 3), dtype=np.float32)
    rgb[3, 4] = (40.0, 12.0, 3.0)          # a sun
    rgb[10, 10] = (-0.05, 0.2, 0.4)         # out-of-gamut negative
    plate = Plate(rgb, ("R", "G", "B"), colorspace="ACEScg")
    out = stylize(plate, identity_look, tile=16, device="cpu")
    np.testing.assert_allclose(out.pixels, plate.pixels, rtol=1e-4, atol=1e-4)


def test_highlights_above_one_are_not_clipped(look):
    rgb = np.full((24, 30, 3), 0.18, np.float32)
    rgb[8:12, 8:12] = 40.0
    out = stylize(Plate(rgb, ("R", "G", "B"), colorspace="ACEScg"), look, device="cpu", highlights="carry")
    sun = out.pixels[8:12, 8:12]
    # carried: the in-range part (1.0 in the working space) is stylised, the rest rides through
    assert sun.min() > 30.0 and sun.max() < 50.0


# --- highlights="paint" ----------------------------------------------------------------


def _bright_plate(h: int = 40, w: int = 48) -> Plate:
    """A textured plate with a lit window (up to 60× diffuse white), a dim area and a
    negative out-of-gamut pixel."""
    rng = np.random.default_rng(11)
    rgb = rng.random((h, w, 3), dtype=np.float32) * 0.8
    rgb[8:28, 10:34] = 2.0 + 58.0 * rng.random((20, 24, 3), dtype=np.float32)
    rgb[35, 40] = (-0.05, 0.2, 0.4)
    return Plate(rgb, ("R", "G", "B"), colorspace="ACEScg")


def test_painted_highlights_round_trip_through_an_identity_network(identity_look):
    plate = _bright_plate()
    out = stylize(plate, identity_look, device="cpu", highlights="paint")
    np.testing.assert_allclose(out.pixels, plate.pixels, rtol=1e-4, atol=1e-4)


def test_the_shoulder_is_continuous_and_reaches_one_at_the_ceiling():
    from vfx_nodes.engine.pipeline import HIGHLIGHT_CEILING, HIGHLIGHT_KNEE, compress_highlights

    x = np.array([0.0, 0.5, HIGHLIGHT_KNEE, HIGHLIGHT_KNEE + 1e-4, 2.0, HIGHLIGHT_CEILING, 1000.0], np.float32)
    y = compress_highlights(x)
    np.testing.assert_array_equal(y[:3], x[:3])                    # identity up to the knee
    assert abs(y[3] - x[3]) < 1e-6                                  # slope 1 at the knee
    assert abs(y[5] - 1.0) < 1e-5 and y[6] > 1.0                    # 1 at the ceiling, unbounded
    assert np.all(np.diff(compress_highlights(np.linspace(0, 50, 2001, dtype=np.float32))) > 0)


def test_paint_changes_only_what_lies_above_the_knee_and_paints_it(look):
    plate = _bright_plate()
    carry = stylize(plate, look, device="cpu", tile=0, highlights="carry").pixels
    paint = stylize(plate, look, device="cpu", tile=0).pixels  # the default
    window = np.zeros(carry.shape[:2], bool)
    window[8:28, 10:34] = True
    # dim areas: the same network, the same input (statistics differ through the window)
    assert np.abs(paint[~window] - carry[~window]).mean() < 0.05
    # the window: carried, the strokes are a few hundredths on values of 2–60; painted,
    # they become changes of exposure, relative to the value
    src = plate.pixels[window]
    carried = np.abs(carry[window] - src) / src
    painted = np.abs(paint[window] - src) / src
    assert np.median(painted) > 5 * np.median(carried)
    # never Inf, and light stays light: the gamut residual (these saturated values lie
    # outside the sRGB working space) follows each pixel's exposure (it made -9 before):
    # no channel goes below a tenth of its pixel's brightest, negated (a saturated colour
    # still out of AP1's gamut, not a hole)
    assert np.isfinite(paint).all()
    lit = paint[window]
    assert lit.sum(axis=-1).min() > 0.0 and (lit.min(axis=-1) > -0.1 * lit.max(axis=-1)).all()
    # the negative pixel keeps its negative part either way
    assert paint[35, 40, 0] < 0 and carry[35, 40, 0] < 0


def test_paint_is_tiled_like_untiled_and_shot_statistics_agree(look):
    plate = _bright_plate(96, 120)
    whole = stylize(plate, look, device="cpu", tile=0, highlights="paint")
    prof: dict = {}
    tiled = stylize(plate, look, device="cpu", tile=16, highlights="paint", profile=prof)
    assert prof["tile_count"] > 4, "tiles cut inside the frame"
    np.testing.assert_allclose(tiled.pixels, whole.pixels, rtol=1e-3, atol=1e-3)
    shot = collect_stats(plate, look, device="cpu", highlights="paint")
    given = stylize(plate, look, device="cpu", tile=0, highlights="paint", stats=shot)
    np.testing.assert_allclose(given.pixels, whole.pixels, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("bad", ["clip", "", None, 1])
def test_unknown_highlights_are_a_settings_error(plate, look, bad):
    with pytest.raises(SettingsError, match="highlights must be one of 'carry', 'paint'"):
        stylize(plate, look, device="cpu", highlights=bad)
    with pytest.raises(SettingsError, match="highlights"):
        collect_stats(plate, look, device="cpu", highlights=bad)


def test_nan_and_inf_stay_in_their_own_pixels(look):
    plate = _plate(40, 40, seed=9)
    rgb = plate.channels("RGB")
    rgb[20, 20, 0] = np.nan
    rgb[5, 30] = (np.inf, 0.5, -np.inf)
    bad = plate.with_channels({"R": rgb[..., 0], "G": rgb[..., 1], "B": rgb[..., 2]})
    zeroed = rgb.copy()
    zeroed[20, 20] = 0
    zeroed[5, 30] = 0
    clean = plate.with_channels({"R": zeroed[..., 0], "G": zeroed[..., 1], "B": zeroed[..., 2]})
    out = stylize(bad, look, tile=16, device="cpu").channels("RGB")
    ref = stylize(clean, look, tile=16, device="cpu").channels("RGB")
    mask = np.zeros((40, 40), bool)
    mask[20, 20] = mask[5, 30] = True
    # the bad pixels get their own values back, NaN as NaN
    np.testing.assert_array_equal(out[mask], rgb[mask])
    # everything else is finite and equals the frame with those pixels black
    assert np.isfinite(out[~mask]).all()
    np.testing.assert_allclose(out[~mask], ref[~mask], atol=1e-6)


# --- node-style keywords -------------------------------------------------------------------


def test_layer_processes_only_that_layers_rgb(plate, look):
    out = stylize(plate, look, layer="diffuse", device="cpu")
    assert np.array_equal(out.channels("RGBA"), plate.channels("RGBA"))
    assert np.abs(out.channels(["diffuse.R", "diffuse.G", "diffuse.B"])
                  - plate.channels(["diffuse.R", "diffuse.G", "diffuse.B"])).mean() > 1e-3
    with pytest.raises(ChannelNotFoundError, match="diffuse"):
        stylize(plate, look, layer="nope", device="cpu")


def test_colourspace_overrides(plate, look, styled):
    other = stylize(plate, look, colorspace="aces2065-1", device="cpu")
    assert other.colorspace == "ACES2065-1"          # tagged as the config spells it
    assert not np.allclose(other.channels("RGB"), styled.channels("RGB"))
    work = stylize(plate, look, working_colorspace="ACEScct", device="cpu")
    assert not np.allclose(work.channels("RGB"), styled.channels("RGB"))


def test_preserve_alpha_off_styles_premultiplied_rgb_as_it_stands(plate, look, styled):
    raw = stylize(plate, look, preserve_alpha=False, device="cpu")
    assert np.array_equal(raw.channel("A"), plate.channel("A"))
    assert not np.allclose(raw.channels("RGB"), styled.channels("RGB"))
    # with preserve_alpha, fully transparent pixels keep their original colour bit for
    # bit: alpha-0 emission survives unchanged, and empty pixels stay empty (no tint)
    clear = plate.channel("A") == 0
    assert clear[:4, :4].all() and np.abs(plate.channels("RGB")[:2, :2]).min() > 0
    np.testing.assert_array_equal(styled.channels("RGB")[clear], plate.channels("RGB")[clear])


def test_luminance_only_keeps_the_original_chroma(look):
    rng = np.random.default_rng(4)
    # in-gamut, in-range colours (no over-range residual), as ACEScg
    display = 0.05 + 0.9 * rng.random((32, 32, 3), dtype=np.float32)
    plate = Plate(convert_rgb(display, WORK, "ACEScg"), ("R", "G", "B"), colorspace="ACEScg")
    # carried highlights: values above the paint knee (0.75) go through the network as they are
    out = stylize(plate, look, luminance_only=True, device="cpu", highlights="carry")
    full = stylize(plate, look, device="cpu", highlights="carry")
    w_in = convert_rgb(plate.pixels, "ACEScg", WORK)
    w_out = convert_rgb(out.pixels, "ACEScg", WORK)
    w_full = convert_rgb(full.pixels, "ACEScg", WORK)
    # original + (Y_styled − Y_in) on every channel: channel differences are the input's
    np.testing.assert_allclose(w_out[..., 0] - w_out[..., 1], w_in[..., 0] - w_in[..., 1], atol=2e-4)
    np.testing.assert_allclose(w_out[..., 2] - w_out[..., 1], w_in[..., 2] - w_in[..., 1], atol=2e-4)
    y = pipeline.LUMA_WEIGHTS
    np.testing.assert_allclose(w_out @ y, w_full @ y, atol=2e-4)


def test_look_given_as_a_path(tmp_path, plate, look, styled):
    path = save_look(look.generator, tmp_path / "tiny.safetensors", {"working_colorspace": WORK})
    out = stylize(plate, str(path), device="cpu")
    np.testing.assert_allclose(out.pixels, styled.pixels, atol=1e-6)


def test_profile_reports_every_stage(look):
    prof: dict = {}
    stylize(_plate(90, 110), look, tile=16, device="cpu", profile=prof)
    for stage in ("prepare", "stats", "tiles", "blend", "finish", "total"):
        assert prof[stage] >= 0, stage
    assert prof["tile_count"] > 1 and prof["device"] == "cpu" and prof["precision"] == "fp32"


def test_bf16_on_cpu_is_close_to_fp32(plate, look, styled):
    out = stylize(plate, look, precision="bf16", device="cpu")
    diff = np.abs(out.channels("RGB") - styled.channels("RGB"))
    assert diff.max() < 0.1 and diff.mean() < 0.01


# --- shot statistics -----------------------------------------------------------------------


def test_collect_stats_merges_frames_and_drives_stylize(look):
    frames = [_plate(seed=s) for s in (1, 2)]
    merged = collect_stats(frames, look)
    singles = [collect_stats(p, look) for p in frames]
    assert isinstance(merged, NormStats)
    assert merged.allclose(NormStats.merge(singles))
    assert collect_stats(iter(frames), look).allclose(merged)  # any iterable
    a = stylize(frames[0], look, stats=merged, device="cpu")
    b = stylize(frames[0], look, stats=singles[0], device="cpu")
    assert not np.allclose(a.pixels, b.pixels)
    with pytest.raises(SettingsError, match="at least one plate"):
        collect_stats([], look)


def test_threads_sharing_a_look_get_the_serial_results(look):
    import threading

    plates = [_plate(24, 28, seed=s) for s in (21, 22, 23)]
    serial = [stylize(p, look, tile=16, device="cpu").pixels for p in plates]
    results: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        results[i] = stylize(plates[i], look, tile=16, device="cpu").pixels

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(3):
        np.testing.assert_array_equal(results[i], serial[i])


# --- real material ($VFX_NODES_TEST_DATA) --------------------------------------------------


def _crop(plate: Plate, y0: int, x0: int, h: int, w: int) -> Plate:
    """A real plate cut down to h×w pixels of its data window (kept offset)."""
    dx, dy = plate.data_window[:2]
    return plate.replace(pixels=plate.pixels[y0:y0 + h, x0:x0 + w].copy(),
                         data_window=(dx + x0, dy + y0, dx + x0 + w - 1, dy + y0 + h - 1),
                         exact={k: v[y0:y0 + h, x0:x0 + w] for k, v in plate.exact.items()})


def test_real_multilayer_exr_round_trip(exr_corpus, look, tmp_path):
    from vfx_nodes.io import read_plate, write_plate

    full = read_plate(exr_corpus / "Beachball" / "singlepart.0001.exr")
    plate = _crop(full, 400, 420, 40, 48)          # a patch of the ball, data window offset
    for layer in ("", "left"):
        out = stylize(plate, look, layer=layer, tile=24, device="cpu")
        rgb = plate.rgb_names(layer)
        others = [n for n in plate.channel_names if n not in rgb]
        assert np.array_equal(out.channels(others), plate.channels(others))
        assert not np.allclose(out.channels(rgb), plate.channels(rgb))
        assert np.isfinite(out.pixels).all()
        write_plate(out, tmp_path / "out.exr")
        back = read_plate(tmp_path / "out.exr")
        assert back.data_window == plate.data_window and back.display_window == full.display_window
        assert back.pixel_types == plate.pixel_types and back.channel_names == plate.channel_names
        assert np.array_equal(back.channels(others), plate.channels(others))


def test_real_nan_inf_and_half_extremes(exr_corpus, look):
    from vfx_nodes.io import read_plate

    plate = _crop(read_plate(exr_corpus / "TestImages" / "AllHalfValues.exr"), 120, 0, 16, 64)
    rgb = plate.pixels
    bad = ~np.isfinite(rgb).all(axis=-1)
    assert bad.any() and np.nanmax(np.where(np.isfinite(rgb), rgb, np.nan)) > 1000
    out = stylize(plate, look, tile=16, device="cpu").pixels
    np.testing.assert_array_equal(out[bad], rgb[bad])      # NaN/Inf pixels as they were
    assert np.isfinite(out[~bad]).all()                     # and nowhere else
    big = np.isfinite(rgb).all(-1) & (rgb.min(-1) > 100)
    assert (out[big] > 50).all(), "highlights are not clipped"


def test_stats_as_a_file_or_the_looks_own(plate, look, tmp_path):
    shot = collect_stats(plate, look)
    shot.save(tmp_path / "shot.safetensors")
    a = stylize(plate, look, stats=shot, device="cpu")
    b = stylize(plate, look, stats=str(tmp_path / "shot.safetensors"), device="cpu")
    np.testing.assert_array_equal(a.pixels, b.pixels)
    with pytest.raises(LookError, match="no statistics"):
        stylize(plate, look, stats="look", device="cpu")
    carrying = Look(generator=look.generator, metadata={}, working_colorspace=WORK,
                    arch="johnson-small", stats=shot)
    c = stylize(plate, carrying, stats="look", device="cpu")
    np.testing.assert_array_equal(c.pixels, a.pixels)
    with pytest.raises(SettingsError, match="stats"):
        stylize(plate, look, stats=3, device="cpu")  # type: ignore[arg-type]


# --- out of memory, devices, bad input -----------------------------------------------------


def _failing_look(look: Look, fail) -> Look:
    """``look`` with a generator whose tiled pass calls ``fail(x)`` first, as a device
    that runs out of memory would (the statistics pass, with its own statistics, runs)."""
    base = type(look.generator)

    class Failing(base):  # type: ignore[misc, valid-type]
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if self.stats_frozen:
                fail(x)
            return super().forward(x)

    gen = Failing(**look.generator.settings, arch=look.generator.arch)
    gen.load_state_dict(look.generator.state_dict())
    return Look(generator=gen.eval(), metadata={}, working_colorspace=look.working_colorspace,
                arch=look.arch)


def test_out_of_memory_halves_the_tile_and_retries(plate, look, caplog):
    seen = []

    def too_wide(x):
        seen.append(int(x.shape[-1]))
        if x.shape[-1] > 160:
            raise torch.OutOfMemoryError("CUDA out of memory (fake)")

    plate = _plate(60, 200, seed=12)   # untiled input 200 px wide: "too big"; 100 px tiles fit
    prof: dict = {}
    with caplog.at_level(logging.WARNING, logger="vfx_nodes.engine"):
        out = stylize(plate, _failing_look(look, too_wide), tile=0, device="cpu", profile=prof)
    assert prof["retries"] == 1 and prof["tile"] == 100 and max(seen) > 160
    assert any("out of memory" in r.getMessage() and "retrying" in r.getMessage() for r in caplog.records)
    ref = stylize(plate, look, tile=0, device="cpu")
    np.testing.assert_allclose(out.pixels, ref.pixels, atol=1e-4)


def test_out_of_memory_at_the_smallest_tile_is_a_device_error(plate, look):
    def always(x):
        raise torch.OutOfMemoryError("CUDA out of memory (fake)")

    with pytest.raises(DeviceError, match="out of memory"):
        stylize(plate, _failing_look(look, always), device="cpu")


def test_other_errors_are_not_retried(plate, look):
    def broken(x):
        raise RuntimeError("something else")

    with pytest.raises(RuntimeError, match="something else"):
        stylize(plate, _failing_look(look, broken), device="cpu")


@pytest.mark.parametrize("kw, match", [
    ({"device": "tpu"}, "device"),
    ({"precision": "fp8"}, "precision"),
    ({"device": "cuda:7"}, "cuda"),
])
def test_bad_device_or_precision_is_a_device_error(plate, look, kw, match):
    if kw.get("device", "").startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine has eight GPUs")
    with pytest.raises(DeviceError, match=match):
        stylize(plate, look, **kw)


@pytest.mark.parametrize("kw", [{"strength": 1.5}, {"strength": "lots"}, {"tile": -1},
                                {"halo": -3}, {"batch": 0}, {"tile": 2.5}])
def test_bad_knobs_are_knob_errors(plate, look, kw):
    with pytest.raises(SettingsError):
        stylize(plate, look, **kw)


def test_bad_look_and_plate(plate, look, tmp_path):
    with pytest.raises(LookError):
        stylize(plate, 42)  # type: ignore[arg-type]
    with pytest.raises(LookError):
        stylize(plate, tmp_path / "missing.safetensors")
    with pytest.raises(SettingsError, match="Plate"):
        stylize(np.zeros((4, 4, 3)), look)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0.0, 0.18, 4.0])
@pytest.mark.parametrize("hw", [(40, 40), (96, 160)])
def test_flat_plates_stay_finite_and_flat(value, hw):
    """Issue 14.3: a flat plate (a slate, a colour card, black) gave Inf with a johnson
    look and black with the bundled one: channels constant on the thumbnail had var ≈ 0,
    and frozen statistics multiplied the tiles' rounding and padding differences by
    γ/√eps per layer (model.norm.dead_channel_gate)."""
    from vfx_nodes.looks import load_default_look
    from vfx_nodes.model import build_generator, make_look

    torch.manual_seed(0)
    fresh = make_look(build_generator("johnson").eval())
    px = np.full(hw + (3,), value, np.float32)
    plate = Plate(px, ("R", "G", "B"), colorspace="ACEScg")
    for look in (fresh, load_default_look()):
        out = stylize(plate, look).channels(("R", "G", "B"))
        assert np.isfinite(out).all()
        assert np.abs(out).max() < 10 * max(1.0, value)
        if look is fresh:  # a fresh residual network is near the identity
            assert np.abs(out - px).max() < 0.05 * max(1.0, value)
    # a flat frame is not black under the bundled look (it was: the sigmoid head saturated)
    out = stylize(plate, load_default_look()).channels(("R", "G", "B"))
    assert out.max() > 0.01


def test_dead_channel_gate_leaves_live_channels_alone():
    from vfx_nodes.model.norm import dead_channel_gate

    g = dead_channel_gate(torch.tensor([0.0, 1e-14, 1e-8, 1e-4, 1.0, 1e4]))
    assert g[0] == 0 and g[1] < 0.02
    assert (g[2:] >= 1 - 1.01e-4).all() and (g[3:] > 1 - 1e-7).all()


def test_a_tile_far_smaller_than_its_halo_warns(caplog):
    """Issue 14.10: ``--tile 8`` ran ~35× slower without a word."""
    import logging

    import vfx_nodes as vn
    from vfx_nodes.model import Look, build_generator

    gen = build_generator("johnson-small").eval()
    look = Look(generator=gen, metadata={}, working_colorspace="ACEScg", arch="johnson-small")
    rng = np.random.default_rng(0)
    big = vn.Plate(rng.random((160, 200, 3), dtype=np.float32), ("R", "G", "B"))
    with caplog.at_level(logging.WARNING, logger="vfx_nodes.engine.pipeline"):
        vn.stylize(big, look, tile=8, device="cpu")
    assert any("larger tile" in r.getMessage() for r in caplog.records)
    caplog.clear()
    # on a small frame, tiles that would each read the whole frame are one tile: no waste
    plate = vn.Plate(rng.random((48, 64, 3), dtype=np.float32), ("R", "G", "B"))
    with caplog.at_level(logging.WARNING, logger="vfx_nodes.engine.pipeline"):
        vn.stylize(plate, look, tile=8, device="cpu")
        vn.stylize(plate, look, device="cpu")
        vn.stylize(plate, look, tile=32, device="cpu")
    assert not any("larger tile" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("side", [2, 4, 8, 12])
def test_tiny_textured_windows_stay_in_range(side):
    """Issue 14.3: a textured 8×8 window gave ~90 (2×2: ~1e3) from a 0–1 plate with a fresh
    network: its statistics came from the bare window, its tiles see it mirrored by the halo."""
    import vfx_nodes as vn
    from vfx_nodes.model import Look, build_generator

    torch.manual_seed(0)
    look = Look(generator=build_generator("johnson").eval(), metadata={}, working_colorspace="ACEScg", arch="johnson")
    rng = np.random.default_rng(side)
    plate = vn.Plate(rng.random((side, side + 3, 3), dtype=np.float32) * 0.8 + 0.1, ("R", "G", "B"))
    out = vn.stylize(plate, look, device="cpu").pixels
    assert np.isfinite(out).all() and np.abs(out).max() < 1.5
    # shot statistics of the same window agree with the frame's own
    same = vn.stylize(plate, look, device="cpu", stats=vn.collect_stats(plate, look, device="cpu")).pixels
    np.testing.assert_allclose(same, out, atol=1e-5)


def test_stylize_on_each_device_and_precision(plate, look, styled, device_precision):
    """The whole frame recipe on every device × precision: the CPU fp32 pixels within the
    precision's tolerance (scene-linear, so relative to the plate's range), every other
    channel bit-identical, the profile naming what ran."""
    prof: dict = {}
    out = stylize(plate, look, device=str(device_precision["device"]), precision=device_precision["precision"],
                  profile=prof)
    assert prof["precision"] == device_precision["precision"]
    rgb = slice(0, 3)
    np.testing.assert_allclose(out.pixels[..., rgb], styled.pixels[..., rgb], atol=device_precision["atol"] * 2,
                               rtol=0)
    np.testing.assert_array_equal(out.pixels[..., 3:], styled.pixels[..., 3:])


def test_progress_is_the_one_protocol_and_cancel_stops_between_batches(plate, look):
    """``progress(fraction, message)`` from 0 to 1; ``cancel`` stops the frame between two
    batches with RenderCancelled; the form before 0.9 (``progress(fraction)``) warns."""
    from vfx_nodes.errors import RenderCancelled

    seen = []
    big = _plate(90, 110)   # several tiles (a small frame is one: tiles reading all of it merge)
    stylize(big, look, device="cpu", tile=16, batch=2, progress=lambda f, m: seen.append((f, m)))
    assert seen[0][0] == 0.0 and seen[-1][0] == 1.0 and all(isinstance(m, str) and m for _, m in seen)
    assert len({f for f, _ in seen}) > 3
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    with pytest.raises(RenderCancelled):
        stylize(big, look, device="cpu", tile=16, batch=2, cancel=lambda: True)
    old = []
    with pytest.warns(DeprecationWarning, match="progress"):
        stylize(plate, look, device="cpu", progress=lambda f: old.append(f))
    assert old and old[-1] == 1.0

"""Mattes: style where the matte says (Nuke's mask semantics), on every path."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from vfx_nodes.engine import stylize
from vfx_nodes.errors import ChannelNotFoundError, SettingsError
from vfx_nodes.model import Look, build_generator
from vfx_nodes.plate import Plate

WORK = "sRGB Encoded Rec.709 (sRGB)"
RGB = ("R", "G", "B")


@pytest.fixture(scope="module")
def look() -> Look:
    torch.manual_seed(0)
    gen = build_generator("johnson-small", width=4, blocks=1).eval()
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(0.2 * torch.randn_like(p))  # a look that changes the picture
    return Look(generator=gen, metadata={}, working_colorspace=WORK, arch="johnson-small")


def _plate(h=48, w=64, seed=4) -> Plate:
    rng = np.random.default_rng(seed)
    rgb = rng.random((h, w, 3), dtype=np.float32) * 1.4
    alpha = np.ones((h, w), np.float32)
    alpha[:2, :2] = 0.0
    rgb *= alpha[..., None]
    ramp = np.tile(np.linspace(0, 1, w, dtype=np.float32), (h, 1))
    z = rng.random((h, w), dtype=np.float32)
    return Plate(np.dstack([rgb, alpha, ramp, z]), ("R", "G", "B", "A", "matte.A", "Z"), colorspace="ACEScg",
                 data_window=(10, 5, 10 + w - 1, 5 + h - 1), display_window=(0, 0, 79, 59))


@pytest.fixture(scope="module")
def plate() -> Plate:
    return _plate()


@pytest.fixture(scope="module")
def full(plate, look) -> Plate:
    return stylize(plate, look, device="cpu", tile=0)


def test_zero_is_the_input_one_is_the_render_a_ramp_is_the_mix(plate, look, full):
    m = plate.channel("matte.A").copy()
    m[:, :20] = 0.0
    m[:, -8:] = 1.0
    out = stylize(plate, look, device="cpu", tile=0, mask=m)
    a, b, o = plate.pixels, full.pixels, out.pixels
    np.testing.assert_array_equal(o[:, :20], a[:, :20])        # bit for bit, every channel
    np.testing.assert_allclose(o[:, -8:, :3], b[:, -8:, :3], rtol=1e-3, atol=1e-6)
    want = a[..., :3] + m[..., None] * (b[..., :3] - a[..., :3])
    np.testing.assert_allclose(o[..., :3], want, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(o[..., 3:], a[..., 3:])       # alpha, the matte itself, Z
    inv = stylize(plate, look, device="cpu", tile=0, mask=m, invert_mask=True).pixels
    np.testing.assert_allclose(inv[..., :3], a[..., :3] + (1 - m[..., None]) * (b[..., :3] - a[..., :3]),
                               rtol=1e-4, atol=1e-5)


def test_channel_by_name_and_strength(plate, look, full):
    by_name = stylize(plate, look, device="cpu", tile=0, mask="matte.A", strength=0.5).pixels
    m = plate.channel("matte.A")[..., None]
    a, b = plate.pixels[..., :3], full.pixels[..., :3]
    np.testing.assert_allclose(by_name[..., :3], a + 0.5 * m * (b - a), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(stylize(plate, look, device="cpu", mask="A").pixels[..., 3:], plate.pixels[..., 3:])


def test_a_matte_plate_is_aligned_by_its_data_window_nan_is_zero(plate, look, full):
    # the matte covers frame pixels x 30..99, y 0..29 (partly outside the plate's window)
    mw = np.ones((30, 70, 1), np.float32)
    mw[0, 0, 0] = np.nan
    matte = Plate(mw, ("A",), data_window=(30, 0, 99, 29))
    out = stylize(plate, look, device="cpu", tile=0, mask=matte).pixels
    # plate pixel (x, y) is at [y - 5, x - 10]; inside the matte: x ≥ 30 → column ≥ 20, y ≤ 29 → row ≤ 24
    np.testing.assert_allclose(out[1:25, 21:, :3], full.pixels[1:25, 21:, :3], rtol=1e-3, atol=1e-6)
    np.testing.assert_array_equal(out[25:], plate.pixels[25:])          # below the matte's window
    np.testing.assert_array_equal(out[:, :20], plate.pixels[:, :20])    # left of it


def test_tiled_equals_untiled_and_untouched_tiles_do_not_run(look):
    big = _plate(96, 160)
    m = np.zeros((96, 160), np.float32)
    m[60:80, 100:140] = 1.0
    prof: dict = {}
    tiled = stylize(big, look, device="cpu", tile=16, mask=m, profile=prof).pixels
    untiled = stylize(big, look, device="cpu", tile=0, mask=m).pixels
    np.testing.assert_allclose(tiled, untiled, rtol=1e-5, atol=2e-5)
    assert prof["tiles_run"] < prof["tile_count"]


def test_complementary_mattes_join_without_a_seam(plate, look):
    """Two looks by matte (the second chained after the first, the matte inverted): where
    one matte is 1 that look is exact, and across the soft edge the frame is Nuke's
    keymix of the two, ``first + (1 − m)·(second − first)`` — nothing of its own."""
    torch.manual_seed(7)
    other = build_generator("johnson-small", width=4, blocks=1).eval()
    look2 = Look(generator=other, metadata={}, working_colorspace=WORK, arch="johnson-small")
    x = np.arange(64, dtype=np.float32)
    m = np.clip((x - 24) / 16, 0, 1)[None, :].repeat(48, 0)   # soft edge over 16 px
    first = stylize(plate, look, device="cpu", tile=0, mask=m)
    both = stylize(first, look2, device="cpu", tile=0, mask=m, invert_mask=True)
    np.testing.assert_array_equal(both.pixels[:, 40:], first.pixels[:, 40:])
    second = stylize(first, look2, device="cpu", tile=0).pixels[..., :3]
    a = first.pixels[..., :3]
    keymix = a + (1 - m)[..., None] * (second - a)
    lit = plate.pixels[..., 3] > 0   # transparent pixels keep their input in both
    np.testing.assert_allclose(both.pixels[..., :3][lit], keymix[lit], rtol=1e-4, atol=1e-4)


def test_bad_mattes_fail_before_work_and_an_empty_one_warns(plate, look, caplog):
    with pytest.raises(ChannelNotFoundError, match="mask channel 'alpha'.*matte.A"):
        stylize(plate, look, device="cpu", mask="alpha")
    with pytest.raises(SettingsError, match="data window is 64×48"):
        stylize(plate, look, device="cpu", mask=np.ones((10, 10), np.float32))
    with pytest.raises(SettingsError, match="mask must be"):
        stylize(plate, look, device="cpu", mask=3)
    with caplog.at_level(logging.WARNING, logger="vfx_nodes.engine"):
        out = stylize(plate, look, device="cpu", mask=np.zeros((48, 64), np.float32))
    assert out is plate and any("0 everywhere" in r.getMessage() for r in caplog.records)


def test_the_node_takes_a_mask_input_and_a_mask_knob(plate, look, full, tmp_path):
    from vfx_nodes.model import save_look
    from vfx_nodes.nodes.builtin import StyleTransfer

    path = save_look(look.generator, tmp_path / "l.safetensors", {"working_colorspace": WORK})
    node = StyleTransfer(look=str(path), device="cpu", tile="0", mask="matte.A")
    by_knob = node.render({"input": plate}).pixels
    m = plate.channel("matte.A")[..., None]
    np.testing.assert_allclose(by_knob[..., :3], plate.pixels[..., :3] + m * (full.pixels[..., :3]
                               - plate.pixels[..., :3]), rtol=1e-4, atol=1e-5)
    matte = Plate(plate.channel("matte.A")[..., None], ("A",), data_window=plate.data_window,
                  display_window=plate.display_window)
    by_input = StyleTransfer(look=str(path), device="cpu", tile="0").render({"input": plate, "mask": matte})
    np.testing.assert_allclose(by_input.pixels, by_knob, atol=1e-6)


def test_the_cli_has_mask_flags():
    from vfx_nodes.cli.main import build_parser
    from vfx_nodes.cli.render import stylize_kwargs_from_args

    args = build_parser("render").parse_args(["render", "--input", "p.####.exr", "--output", "o.####.exr",
                                              "--look", "l.safetensors", "--mask", "matte.A", "--invert-mask"])
    kw = stylize_kwargs_from_args(args)
    assert kw["mask"] == "matte.A" and kw["invert_mask"] is True


def test_temporal_keeps_the_input_outside_the_matte(tmp_path):
    from vfx_nodes.engine.temporal import Steadier, settings_from
    from vfx_nodes.shots import moving_shot

    shot = moving_shot("pan", 3, 64, 48)
    steady = Steadier.for_render(settings_from({"temporal": "vectors"}), {"mask": "A"}, None)
    for i, plate in enumerate(shot.frames):
        alpha = np.ones(plate.pixels.shape[:2], np.float32)
        alpha[:, :20] = 0.0
        p = plate.with_channels({"A": alpha})
        rng = np.random.default_rng(i)
        rgb = p.channels(RGB) + np.where(alpha[..., None] > 0, rng.normal(0, 0.05, (48, 64, 3)), 0)
        styled = p.with_channels({n: rgb[..., k].astype(np.float32) for k, n in enumerate(RGB)})
        out = steady(p, styled, i)
        np.testing.assert_array_equal(out.channels(RGB)[:, :20], p.channels(RGB)[:, :20])


def test_the_lab_shows_the_matte(plate):
    from vfx_nodes.hosts.lab.session import LabSession

    lab = LabSession()
    assert lab.matte_image(plate) is None
    lab.node.set(mask="matte.A")
    img = lab.matte_image(plate)
    assert img.shape == (48, 64, 3) and img[0, 0, 0] == 0 and img[0, -1, 0] == 255
    lab.node.set(invert_mask=True)
    assert lab.matte_image(plate)[0, 0, 0] == 255

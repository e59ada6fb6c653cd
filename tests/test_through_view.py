"""``through_view``: a look painted through the show's display/view (recipe/frame.py).

The network sees the plate as the compositor does (through an OCIO display and view, the
studio config's ACES 2.0 SDR here) and its result comes back through the inverse view;
what the view cannot show rides around as the residual.  Tiny plates and a tiny net.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vfx_nodes import recipe
from vfx_nodes.color import display_view_rgb
from vfx_nodes.color.baked import ROUND_TRIP_TOLERANCE
from vfx_nodes.engine import collect_stats, stylize
from vfx_nodes.errors import ColorSpaceError, SettingsError
from vfx_nodes.model import Look, build_generator
from vfx_nodes.plate import Plate
from vfx_nodes.policy.settings import FrameSettings, split_view
from vfx_nodes.recipe.frame import VIEW_CEILING

WORK = "sRGB Encoded Rec.709 (sRGB)"
VIEW = "sRGB - Display:ACES 2.0 - SDR 100 nits (Rec.709)"
PAIR = split_view(VIEW)


def _plate(h: int = 40, w: int = 52, seed: int = 5) -> Plate:
    """ACEScg with alpha and Z: values over 1 and below 0, a sun, NaN/Inf, alpha 0."""
    rng = np.random.default_rng(seed)
    rgb = rng.random((h, w, 3), dtype=np.float32) * 2.0 - 0.1
    rgb[5, 5] = [np.nan, 0.2, 0.3]
    rgb[6, 6] = [np.inf, 0.2, 0.3]
    rgb[10:14, 20:30] = 200.0  # a lit window, above what the view can show
    rgb[20, 7] = [4.0, 0.02, 0.01]  # a saturated light: the view's gamut compression moves it
    alpha = np.clip(rng.random((h, w), dtype=np.float32) * 1.3, 0, 1)
    alpha[:3, :3] = 0.0
    z = rng.random((h, w), dtype=np.float32)
    return Plate(np.dstack([rgb * alpha[..., None], alpha, z]), ("R", "G", "B", "A", "Z"), colorspace="ACEScg")


def _look(seed: int = 0) -> Look:
    torch.manual_seed(seed)
    gen = build_generator("johnson-small", width=4, blocks=1)
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(torch.randn_like(p) * 0.2)
        gen.head.conv.weight.mul_(0.03)
        gen.head.conv.bias.zero_()
    return Look(generator=gen.eval(), metadata={}, working_colorspace=WORK, arch="johnson-small")


def test_the_network_sees_the_view_and_an_unchanged_picture_gives_the_plate_back():
    """net_in is the plate through the (baked) view; given back unchanged, every value
    returns within the bake's round-trip tolerance — the sun and the negatives as the
    residual, NaN/Inf and alpha-0 pixels bit for bit, Z untouched."""
    p = _plate()
    f = recipe.prepare(p, working_default=WORK, through_view=PAIR)
    a = p.channel("A")
    straight = np.where(a[..., None] > 0, p.channels("RGB") / np.maximum(a, 1e-9)[..., None], 0)
    seen = np.clip(display_view_rgb(np.nan_to_num(straight, posinf=0.0), "ACEScg", *PAIR), 0, 1)
    ok = np.isfinite(p.channels("RGB")).all(-1) & (a > 0)
    # the view is baked (color/baked.py): a third of an 8-bit code off the exact view at most
    # places, a few hundredths at the edge of the view's gamut on these saturated values
    off = np.abs(f.net_in[ok] - seen[ok])
    assert np.median(off) < 5e-4 and np.quantile(off, 0.99) < 4e-3 and off.max() < 0.05
    assert f.net_in.max() <= 1.0 and f.net_in.min() >= 0.0
    assert f.over.size > 0 and f.held is not None and f.base is None  # the window rides around
    out = recipe.finish(f, f.net_in.copy())  # finish lets net_in go: nothing of it read after
    before, after = p.pixels, out.pixels
    np.testing.assert_array_equal(np.isnan(before), np.isnan(after))
    finite = np.isfinite(before)
    rel, tol = ROUND_TRIP_TOLERANCE  # what the bake brings back; the rest rides as the residual
    np.testing.assert_allclose(after[finite], before[finite], rtol=rel * 1.01, atol=tol * 1.01)
    np.testing.assert_array_equal(out.channel("Z"), p.channel("Z"))


@pytest.mark.parametrize("size", [None, (20, 26)])
def test_strips_threads_and_streaming_do_not_change_a_pixel(monkeypatch, size):
    """Many small strips on three threads against one strip on one thread; a streamed
    (smaller) network frame against the same frame kept whole and area-averaged."""
    from vfx_nodes.recipe import frame as fr

    p = _plate()
    h, w = size or (40, 52)
    styled = np.random.default_rng(2).random((h, w, 3), dtype=np.float32) * 0.1 - 0.05
    results = []
    for strip, threads in ((1 << 22, "1"), (52 * 3, "3")):
        monkeypatch.setattr(fr, "STRIP_PIXELS", strip)
        monkeypatch.setenv("VFX_NODES_THREADS", threads)
        f = recipe.prepare(p, working_default=WORK, through_view=PAIR, size=size)
        net = f.net_in.copy()
        out = recipe.finish(f, styled.copy(), strength=0.7, low_residual=size is not None).pixels
        results.append((net, out))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_a_stroke_brighter_than_the_plate_stops_at_the_ceiling():
    """The inverse view is steep near white (1 → 128 × diffuse white in ACES 2.0 SDR): a
    network that paints everything display-white lifts a pixel's brightest channel at most
    to VIEW_CEILING or the plate's own; a pixel the plate had brighter keeps its light."""
    p = _plate()
    f = recipe.prepare(p, working_default=WORK, through_view=PAIR)
    white = np.ones_like(f.net_in)
    out = recipe.finish(f, white)
    rgb, a = out.channels("RGB"), p.channel("A")
    lin = p.channels("RGB") / np.maximum(a, 1e-9)[..., None]
    inside = np.zeros(a.shape, bool)
    inside.reshape(-1)[f.over] = True  # pixels with a residual (the window, the saturated light)
    plain = ~inside & (a > 0.05) & np.isfinite(lin).all(-1)
    cap = np.maximum(np.nan_to_num(lin).max(-1), VIEW_CEILING)
    assert ((rgb[plain] / a[plain][:, None]).max(-1) <= cap[plain] * 1.001).all()
    assert (rgb[plain] / a[plain][:, None]).max() > 0.99 * VIEW_CEILING  # painted up to it
    window = np.zeros(a.shape, bool)
    window[10:14, 20:30] = True
    assert (rgb[window & (a > 0.05)] / a[window & (a > 0.05)][:, None]).min() > 100  # its own light


def test_render_is_tiled_as_untiled_and_statistics_follow_the_view():
    """stylize through the view: tiles agree with the whole frame; statistics collected
    with the same settings are what each frame's own are; the view is a statistics
    setting (a statistics file records it)."""
    p = _plate(48, 60)
    look = _look()
    whole = stylize(p, look, through_view=VIEW, tile=0, device="cpu")
    tiled = stylize(p, look, through_view=VIEW, tile=16, device="cpu")
    np.testing.assert_allclose(tiled.pixels, whole.pixels, rtol=1e-4, atol=1e-4, equal_nan=True)
    plain = stylize(p, look, tile=0, device="cpu")
    assert not np.allclose(whole.channels("RGB"), plain.channels("RGB"), equal_nan=True)
    shot = collect_stats(p, look, through_view=VIEW)
    again = stylize(p, look, through_view=VIEW, tile=0, device="cpu", stats=shot)
    np.testing.assert_allclose(again.pixels, whole.pixels, rtol=1e-4, atol=1e-4, equal_nan=True)
    assert "through_view" in FrameSettings.STATS_FIELDS
    default = stylize(p, look, through_view="default", tile=0, device="cpu")
    assert np.isfinite(default.channels("RGB")[np.isfinite(p.channels("RGB"))]).all()


def test_bad_values_are_one_clear_error():
    for bad in ("ACES", ":view", "display:", 3):
        with pytest.raises(SettingsError, match="through_view must be 'DISPLAY:VIEW'"):
            FrameSettings.make(through_view=bad)
    assert FrameSettings.make(through_view=" ").through_view is None
    assert FrameSettings.make(through_view="Default").through_view == "default"
    assert split_view("default") == (None, None) and split_view(None) is None
    with pytest.raises(ColorSpaceError, match="valid names are.*ACES 2.0 - SDR 100 nits"):
        stylize(_plate(), _look(), through_view="sRGB - Display:Nope", device="cpu")


def test_the_node_knob_and_the_render_flag():
    from vfx_nodes.cli.main import build_parser
    from vfx_nodes.cli.render import stylize_kwargs_from_args
    from vfx_nodes.nodes.builtin import StyleTransfer

    assert StyleTransfer.stylize_kwargs({"through_view": VIEW})["through_view"] == VIEW
    args = build_parser("render").parse_args(
        ["render", "--input", "p.####.exr", "--output", "o.####.exr", "--look", "l.safetensors",
         "--frames", "1-2", "--through-view", VIEW])
    assert stylize_kwargs_from_args(args)["through_view"] == VIEW


def test_a_shot_renders_through_the_view_and_its_statistics_remember_it(tmp_path, capsys):
    """vfx-style render --through-view on a small shot: every frame written and finite; a
    statistics file made through one view is refused for a render through another."""
    from vfx_nodes.cli.main import main
    from vfx_nodes.io import read_plate, write_plate
    from vfx_nodes.model import save_look

    rng = np.random.default_rng(1)
    for f in (1, 2):
        rgb = rng.random((12, 16, 3), dtype=np.float32) * 3.0 - 0.05
        write_plate(Plate(rgb, ("R", "G", "B"), colorspace="ACEScg"), tmp_path / f"p.{f:04d}.exr")
    look = tmp_path / "look.safetensors"
    save_look(_look().generator, look, {"working_colorspace": WORK})
    stats = tmp_path / "shot.stats.safetensors"

    def render(view: str, out: str) -> int:
        return main(["render", "-i", str(tmp_path / "p.####.exr"), "-o", str(tmp_path / out / "o.####.exr"),
                     "--look", str(look), "--frames", "1-2", "--stats-file", str(stats), "-q", "--device", "cpu",
                     "--through-view", view])

    assert render(VIEW, "a") == 0
    for f in (1, 2):
        out = read_plate(str(tmp_path / "a" / f"o.{f:04d}.exr"))
        assert np.isfinite(out.pixels).all()
    capsys.readouterr()
    assert render("sRGB - Display:Un-tone-mapped", "b") == 1
    assert "made for other settings" in capsys.readouterr().err


def test_a_matte_and_strength_work_through_the_view():
    """Where the matte is 0 the plate comes back bit for bit; strength mixes in
    scene-linear, as without the view."""
    p = _plate(32, 40)
    look = _look()
    matte = np.ones((32, 40), np.float32)
    matte[:, :20] = 0.0
    out = stylize(p, look, through_view=VIEW, mask=matte, device="cpu", tile=0)
    np.testing.assert_array_equal(out.pixels[:, :20], p.pixels[:, :20])
    full = stylize(p, look, through_view=VIEW, device="cpu", tile=0)
    half = stylize(p, look, through_view=VIEW, strength=0.5, device="cpu", tile=0)
    ok = np.isfinite(p.pixels[..., :3]).all(-1) & (p.channel("A") > 0)
    want = 0.5 * (p.pixels[..., :3] + full.pixels[..., :3])
    np.testing.assert_allclose(half.pixels[..., :3][ok], want[ok], rtol=1e-4, atol=1e-4)

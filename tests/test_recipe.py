"""The frame recipe (vfx_nodes/recipe) and the generator's inference form (model/fused.py):
the same pixels whatever the strips and threads, and the same function as the generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vfx_nodes import recipe
from vfx_nodes.model import build_generator
from vfx_nodes.model.fused import fused
from vfx_nodes.plate import Plate

WORK = "sRGB Encoded Rec.709 (sRGB)"


def _plate(h=70, w=90, seed=5) -> Plate:
    rng = np.random.default_rng(seed)
    rgb = rng.random((h, w, 3), dtype=np.float32) * 2.0 - 0.1   # over 1 and below 0
    rgb[5, 5] = [np.nan, 0.2, 0.3]
    rgb[6, 6] = [np.inf, 0.2, 0.3]
    rgb[10:14, 20:30] = 40.0                                     # a sun
    alpha = np.clip(rng.random((h, w), dtype=np.float32) * 1.3, 0, 1)
    alpha[:3, :3] = 0.0
    alpha[3, 3] = np.nan
    z = rng.random((h, w), dtype=np.float32)
    return Plate(np.dstack([rgb * np.nan_to_num(alpha)[..., None], alpha, z]), ("R", "G", "B", "A", "Z"),
                 colorspace="ACEScg")


@pytest.mark.parametrize("highlights", ["carry", "paint"])
def test_strips_and_threads_do_not_change_a_pixel(monkeypatch, highlights):
    """Many small strips on several threads and one strip on one thread: bit-identical."""
    from vfx_nodes.recipe import frame as fr

    p = _plate()
    styled = np.random.default_rng(2).random((70, 90, 3), dtype=np.float32)
    results = []
    for strip, threads in ((1 << 22, "1"), (90 * 3, "3")):
        monkeypatch.setattr(fr, "STRIP_PIXELS", strip)
        monkeypatch.setenv("VFX_NODES_THREADS", threads)
        f = recipe.prepare(p, working_default=WORK, highlights=highlights)
        net = f.net_in.copy()
        out = recipe.finish(f, styled.copy(), strength=0.7).pixels
        results.append((net, out))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_identity_round_trip_keeps_every_value():
    """The network's input given back unchanged: every pixel returns (highlights carried,
    NaN/Inf and alpha-0 pixels bit for bit, other channels untouched)."""
    p = _plate()
    f = recipe.prepare(p, working_default=WORK)
    out = recipe.finish(f, f.net_in.copy())
    a, b = p.pixels, out.pixels
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    finite = np.isfinite(a)
    np.testing.assert_allclose(b[finite], a[finite], rtol=2e-4, atol=2e-5)
    np.testing.assert_array_equal(b[..., 3:], a[..., 3:])
    np.testing.assert_array_equal(b[:3, :3, :3], a[:3, :3, :3])


@pytest.mark.parametrize("highlights", ["carry", "paint"])
@pytest.mark.parametrize("size", [(23, 31), (70, 45), (9, 90)])
def test_a_streamed_frame_is_the_frame_kept_whole(monkeypatch, highlights, size):
    """``prepare(size=)`` smaller than the plate keeps no frame-sized array: its network
    input is the area average (as ``F.interpolate(mode="area")``) of the whole frame's, and
    ``finish`` — computing each strip's way in again — gives the kept frame's pixels,
    whatever the strips (small ones here, so output-row groups share input rows)."""
    import torch.nn.functional as F

    from vfx_nodes.recipe import frame as fr

    monkeypatch.setattr(fr, "STRIP_PIXELS", 90 * 7)
    p = _plate()
    matte = np.clip(np.linspace(-0.5, 1.5, 90, dtype=np.float32), 0, 1)[None].repeat(70, 0)
    kept = recipe.prepare(p, working_default=WORK, highlights=highlights, matte=matte)
    streamed = recipe.prepare(p, working_default=WORK, highlights=highlights, matte=matte, size=size)
    assert streamed.full is None and streamed.base is None and not streamed.over.size
    want = F.interpolate(torch.from_numpy(kept.net_in).permute(2, 0, 1)[None], size=size,
                         mode="area")[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(streamed.net_in, want, atol=1e-6)
    residual = np.random.default_rng(4).standard_normal((*size, 3)).astype(np.float32) * 0.1
    a = recipe.finish(kept, residual.copy(), strength=0.8, low_residual=True).pixels
    b = recipe.finish(streamed, residual.copy(), strength=0.8, low_residual=True).pixels
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(np.nan_to_num(b), np.nan_to_num(a), rtol=1e-6, atol=1e-6)


def test_area_bins_are_adaptive_pooling_bins():
    from vfx_nodes.recipe.frame import _pool_columns, area_bins

    x = np.random.default_rng(1).random((3, 97, 3), dtype=np.float32)
    for n_out in (1, 13, 48, 96, 97):
        start, stop = area_bins(97, n_out)
        want = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(x).permute(2, 0, 1)[None], (3, n_out))
        np.testing.assert_allclose(_pool_columns(x, start, stop), want[0].permute(1, 2, 0).numpy(), atol=1e-6)


def test_low_residual_upsampling_matches_torch_bilinear():
    """finish() resizes a stroke-scale residual strip by strip exactly as torch's bilinear
    (align_corners=False) resizes the whole frame."""
    import torch.nn.functional as F

    from vfx_nodes.recipe.frame import _Upsampler

    low = np.random.default_rng(3).random((13, 17, 3), dtype=np.float32)
    ref = F.interpolate(torch.from_numpy(low).permute(2, 0, 1)[None], size=(50, 61), mode="bilinear",
                        align_corners=False)[0].permute(1, 2, 0).numpy()
    up = _Upsampler(low, 50, 61)
    got = np.concatenate([up(0, 7), up(7, 33), up(33, 50)])
    np.testing.assert_allclose(got, ref, atol=1e-6)
    base = np.full((26, 61, 3), 0.25, np.float32)
    np.testing.assert_allclose(up(7, 33, base=base), ref[7:33] + 0.25, atol=1e-6)
    # and downwards (stroke scale above 1: the network ran on a larger frame)
    down = _Upsampler(low, 6, 9)(0, 6)
    want = F.interpolate(torch.from_numpy(low).permute(2, 0, 1)[None], size=(6, 9), mode="bilinear",
                         align_corners=False)[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(down, want, atol=1e-6)


@pytest.mark.parametrize("arch, settings", [("johnson-small", {"width": 4, "blocks": 1}),
                                            ("unet", {"width": 4, "depth": 2, "blocks": 1}),
                                            ("arbitrary", {"width": 4, "blocks": 1})])
@pytest.mark.parametrize("size", [(37, 53), (64, 64), (2, 3)])
def test_the_inference_form_is_the_generator(arch, settings, size):
    torch.manual_seed(0)
    gen = build_generator(arch, **settings).eval()
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(0.1 * torch.randn_like(p))  # norms that do something
        x = torch.rand(2, 3, *size)
        stats = gen.collect_stats(x)
        with gen.frozen_stats(stats):
            fast = fused(gen)
            want = gen(x)
        got = fast(x.contiguous(memory_format=torch.channels_last))
    assert fast.stats_frozen and not gen.stats_frozen
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    # the generator itself is untouched (its parameters still train)
    assert all(p.requires_grad for p in gen.parameters())


def test_the_inference_form_needs_frozen_statistics():
    gen = build_generator("johnson-small", width=4, blocks=1)
    with pytest.raises(ValueError, match="frozen statistics"):
        fused(gen)


def test_one_plate_to_picture_rule_everywhere(tmp_path):
    """The Lab's viewer, a review movie's frame and the picture helpers show a plate the
    same way, NaN black and +Inf at the view's brightest (vfx_nodes/color/display.py)."""
    from vfx_nodes.color.display import display_image, to_8bit, to_display
    from vfx_nodes.color.movie import review_frame
    from vfx_nodes.hosts.lab.session import LabSession

    rgb = np.full((4, 6, 3), 0.18, np.float32)
    rgb[0, 0] = [np.nan, np.nan, np.nan]
    rgb[1, 1] = [np.inf, np.inf, np.inf]
    rgb[2, 2] = [-np.inf, 0.5, np.nan]
    p = Plate(rgb, ("R", "G", "B"), colorspace="ACEScg")
    want = to_8bit(to_display(rgb, "ACEScg"))
    assert want[0, 0].tolist() == [0, 0, 0] and want[1, 1].tolist() == [255, 255, 255]
    np.testing.assert_array_equal(display_image(p), want)
    np.testing.assert_array_equal(review_frame(p), want)
    np.testing.assert_array_equal(LabSession().display_image(p), want)


@pytest.mark.parametrize("kernel, stride", [(3, 1), (3, 2), (9, 1), (5, 2)])
@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("size", [(20, 27), (70, 77), (81, 90)])
def test_padded_conv_is_the_convolution_of_the_padded_input(kernel, stride, mode, size):
    """``padded_conv`` (zero-padded inside the convolution, border rows and columns
    recomputed from padded bands) is the convolution of the padded input, in fp32 and —
    where the CPU has it — under bf16 autocast (oneDNN's narrow bf16 inputs went wrong)."""
    from vfx_nodes.model.fused import padded_conv

    torch.manual_seed(0)
    conv = torch.nn.Conv2d(4, 8, kernel, stride)
    pad = kernel // 2
    x = torch.randn(2, 4, *size).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        want = conv(torch.nn.functional.pad(x, (pad,) * 4, mode=mode))
        got = padded_conv(x, conv, pad, mode)
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
        if torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported():
            with torch.autocast("cpu", dtype=torch.bfloat16):
                want16 = conv(torch.nn.functional.pad(x, (pad,) * 4, mode=mode)).float()
                got16 = padded_conv(x, conv, pad, mode).float()
            torch.testing.assert_close(got16, want16, rtol=0, atol=0.05 * float(want16.abs().max()))


def test_grain_below_zero_is_carried_as_it_is_when_painting():
    """A pixel all below 0 (grain in a plate's blacks) is held as 0 for the network; its
    residual has no change of exposure to follow and is added as it is — once a gain of
    thousands (a painted black plate came back at −3e4) — while a highlight's residual
    still follows the pixel's change (GAIN_FLOOR)."""
    rgb = np.full((4, 4, 3), 0.3, np.float32)
    rgb[1, 1] = [-0.02, -0.01, -0.03]  # grain in the blacks
    rgb[2, 2] = [5.0, -0.01, 0.2]      # a saturated light
    p = Plate(rgb, ("R", "G", "B"), colorspace="ACEScg")
    out = {}
    for hl in ("paint", "carry"):
        f = recipe.prepare(p, working_default=WORK, highlights=hl)
        out[hl] = recipe.finish(f, np.full_like(f.net_in, 0.5)).pixels
    np.testing.assert_allclose(out["paint"][1, 1], out["carry"][1, 1], atol=1e-6)
    assert np.abs(out["paint"]).max() < 10 and np.isfinite(out["paint"]).all()
    assert out["paint"][2, 2, 0] < out["carry"][2, 2, 0]  # the light darkened with the stroke


@pytest.mark.parametrize("view", [None, ("sRGB - Display", "ACES 2.0 - SDR 100 nits (Rec.709)")])
def test_a_saturated_colour_painted_grey_is_not_tinted_by_its_residual(monkeypatch, view):
    """The residual's colour part (what the gamut took in) stays only as far as the stroke
    kept the pixel's colour (CHROMA_HOLD): a saturated red painted grey came back pink
    (the red's excess added at the pixel's change of exposure); given back unchanged the
    red returns whole."""
    from vfx_nodes.recipe import frame as fr

    rgb = np.full((4, 4, 3), 0.3, np.float32)
    rgb[1, 2] = [3.0, 0.05, 0.02]  # a saturated red light, out of the working space's gamut
    p = Plate(rgb, ("R", "G", "B"), colorspace="ACEScg")

    def chroma(px: np.ndarray) -> float:
        c = px / px.sum()
        return float(np.abs(c - 1 / 3).max())

    def render(hold: float, grey: bool) -> np.ndarray:
        monkeypatch.setattr(fr, "CHROMA_HOLD", hold)
        f = recipe.prepare(p, working_default=WORK, highlights="paint", through_view=view)
        assert f.over.size and (f.over == 1 * 4 + 2).any()  # the red rides as a residual
        styled = f.net_in.copy()
        if grey:
            styled[1, 2] = styled[1, 2].mean()
        return recipe.finish(f, styled).pixels[1, 2]

    hold = fr.CHROMA_HOLD
    np.testing.assert_allclose(render(hold, grey=False), rgb[1, 2], rtol=3e-3, atol=1e-4)
    before, now = render(1e9, grey=True), render(hold, grey=True)  # 1e9: all of its colour kept
    assert chroma(before) > 0.25  # the old pink (painting: a dark purple, green below 0)
    assert chroma(now) < 0.05 and (now > 0).all()
    np.testing.assert_allclose(now.sum(), before.sum(), rtol=1e-4)  # the same light, in the stroke's colour

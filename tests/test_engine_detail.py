"""Two stroke scales in one frame (vfx_nodes/engine/detail.py): a look that records a
``detail_height`` drafts at ``frame_height`` and adds the painting's fine touch from a
second pass; the result carries the coarse pass below its band and the fine pass above."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vfx_nodes.engine import stylize
from vfx_nodes.engine.detail import coarse_delta, detail_scale
from vfx_nodes.model import Look, build_generator
from vfx_nodes.plate import Plate

WORK = "sRGB Encoded Rec.709 (sRGB)"


def _look(**meta) -> Look:
    torch.manual_seed(0)
    gen = build_generator("johnson-small", width=4, blocks=1)
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(torch.randn_like(p) * 0.2)
        gen.head.conv.weight.mul_(0.1)
    return Look(generator=gen.eval(), metadata={"working_colorspace": WORK, **meta}, working_colorspace=WORK,
                arch="johnson-small")


def _plate(h: int = 96, w: int = 128) -> Plate:
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([0.3 + 0.2 * np.sin(xx / 7), 0.3 + 0.2 * np.cos(yy / 5), 0.25 + 0.1 * np.sin((xx + yy) / 11)], -1)
    rgb += rng.random((h, w, 3), dtype=np.float32) * 0.05
    return Plate(rgb.astype(np.float32), ("R", "G", "B"), colorspace="ACEScg")


def _low(rgb: np.ndarray, rows: int) -> np.ndarray:
    t = torch.from_numpy(np.array(rgb, np.float32)).permute(2, 0, 1)[None]
    cols = round(t.shape[-1] * rows / t.shape[-2])
    return F.adaptive_avg_pool2d(t, (rows, cols))[0].permute(1, 2, 0).numpy()


def test_only_auto_on_a_look_with_a_detail_height_runs_two_passes():
    plate = _plate()  # 96 rows
    two = types.SimpleNamespace(metadata={"frame_height": 24, "detail_height": 64})
    one = types.SimpleNamespace(metadata={"frame_height": 24})
    assert detail_scale("auto", two, plate, 0.25) == pytest.approx(64 / 96)
    assert detail_scale(None, two, plate, 0.25) == pytest.approx(64 / 96)
    assert detail_scale(0.25, two, plate, 0.25) is None      # a number is one pass at it
    assert detail_scale("auto", one, plate, 0.25) is None    # older looks: as before
    assert detail_scale("auto", two, plate, 1.0) is None     # a plate the first pass takes whole
    short = types.SimpleNamespace(metadata={"frame_height": 24, "detail_height": 200})
    assert detail_scale("auto", short, plate, 0.25) == 1.0   # the fine pass at most the plate's own size
    for junk in (True, "512", -5, 0, float("nan"), None, [512]):  # a damaged look file: one pass
        bad = types.SimpleNamespace(metadata={"frame_height": 24, "detail_height": junk})
        assert detail_scale("auto", bad, plate, 0.25) is None, junk
    huge = types.SimpleNamespace(metadata={"frame_height": 24, "detail_height": float("inf")})
    assert detail_scale("auto", huge, plate, 0.25) == 1.0


def test_below_the_coarse_band_the_coarse_pass_takes_over():
    """``coarse_delta`` is ``coarse − area(fine)`` at the coarse size: the fine residual's
    own low band is replaced by the coarse pass's, not added to it."""
    rng = np.random.default_rng(0)
    fine = rng.standard_normal((40, 56, 3)).astype(np.float32)
    coarse = rng.standard_normal((10, 14, 3)).astype(np.float32)
    delta = coarse_delta(fine, coarse)
    assert delta.shape == coarse.shape and delta.dtype == np.float32
    np.testing.assert_allclose(delta + _low(fine, 10), coarse, atol=1e-5)
    np.testing.assert_allclose(coarse_delta(np.repeat(np.repeat(coarse, 4, 0), 4, 1), coarse), 0, atol=1e-6)


def test_two_passes_carry_the_coarse_strokes_and_the_fine_touch():
    plate = _plate()
    look = _look(frame_height=24, detail_height=64)
    two = stylize(plate, look).pixels
    coarse = stylize(plate, look, scale=24 / 96).pixels
    fine = stylize(plate, look, scale=64 / 96).pixels
    rows = 24
    # residuals' bands: below the coarse pass's size (area-averaged) and above it (the
    # rest after that band is resized back, bilinear as the recipe does)
    res = {k: v - plate.pixels for k, v in (("two", two), ("coarse", coarse), ("fine", fine))}

    def high(a: np.ndarray) -> np.ndarray:
        low = torch.from_numpy(_low(a, rows)).permute(2, 0, 1)[None]
        up = F.interpolate(low, size=a.shape[:2], mode="bilinear", align_corners=False)
        return a - up[0].permute(1, 2, 0).numpy()

    low_err = {k: np.abs(_low(res["two"], rows) - _low(res[k], rows)).mean() for k in ("coarse", "fine")}
    high_err = {k: np.abs(high(res["two"]) - high(res[k])).mean() for k in ("coarse", "fine")}
    assert low_err["coarse"] < 0.5 * low_err["fine"], low_err
    # (the coarse band's own bilinear resize leaves some of it above the cut)
    assert high_err["fine"] < 0.9 * high_err["coarse"], high_err


def test_two_passes_tile_seamlessly_and_a_number_is_one_pass():
    plate = _plate(160, 200)
    look = _look(frame_height=40, detail_height=120)
    whole = stylize(plate, look).pixels
    tiled = stylize(plate, look, tile=64).pixels
    np.testing.assert_allclose(tiled, whole, atol=2e-5)
    one = stylize(plate, look, scale=0.25).pixels
    np.testing.assert_array_equal(one, stylize(plate, _look(frame_height=40), scale=0.25).pixels)
    assert np.abs(one - whole).max() > 1e-3  # the second pass does something
    prof: dict = {}
    stylize(plate, look, profile=prof)
    assert prof["scale_used"] == pytest.approx(0.25) and prof["detail_used"] == pytest.approx(0.75)


def test_the_temporal_carry_uses_the_finer_grid():
    """Both passes' strokes live on the fine pass's grid: the steadier carries them there."""
    from vfx_nodes.engine.temporal import Steadier, TemporalSettings

    plate = _plate()  # 96 rows
    st = Steadier(TemporalSettings.make("vectors"), look=types.SimpleNamespace(
        metadata={"frame_height": 24, "detail_height": 64}))
    assert st._stroke_scale(plate) == pytest.approx(64 / 96)
    one = Steadier(TemporalSettings.make("vectors"), look=types.SimpleNamespace(metadata={"frame_height": 24}))
    assert one._stroke_scale(plate) == pytest.approx(24 / 96)

"""The host module's painted highlights (vfx_nodes/export/light.py) against the recipe's."""

from __future__ import annotations

import numpy as np
import torch

from vfx_nodes.export.light import add_residual_t, compress_t, expand_t
from vfx_nodes.recipe.frame import CHROMA_FLOOR, CHROMA_HOLD
from vfx_nodes.recipe.highlights import (
    HIGHLIGHT_CONTRAST,
    HIGHLIGHT_KNEE,
    HIGHLIGHT_SHOULDER,
    compress_highlights,
    expand_painted,
)


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None]


def _n(t: torch.Tensor) -> np.ndarray:
    return t[0].permute(1, 2, 0).numpy()


def test_compress_and_expand_are_the_recipes():
    rng = np.random.default_rng(0)
    base = (rng.random((24, 32, 3)) ** 4 * 50).astype(np.float32)  # 0 … 50, most below the knee
    net = np.minimum(compress_highlights(base), 1.0)
    got = _n(compress_t(_t(base), HIGHLIGHT_KNEE, HIGHLIGHT_SHOULDER, 1.0 / HIGHLIGHT_SHOULDER)).clip(max=1.0)
    np.testing.assert_allclose(got, net, rtol=1e-6, atol=1e-7)
    styled = np.clip(net + rng.normal(0, 0.1, net.shape).astype(np.float32), 0, 1)
    want = styled.copy()
    expand_painted(want, base, net)
    got = _n(expand_t(_t(styled), _t(base), _t(net), HIGHLIGHT_KNEE, 1.0 / (1.0 - HIGHLIGHT_KNEE),
                      HIGHLIGHT_CONTRAST))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert (base > 1).any() and (got[base > 1] > 1).mean() > 0.5  # light stays light


def _residual(now: np.ndarray, residual: np.ndarray, held: np.ndarray) -> np.ndarray:
    out = add_residual_t(_t(now), _t(residual), _t(held), 1.0 / CHROMA_HOLD, CHROMA_FLOOR)
    return _n(out)


def test_residual_returns_where_the_colour_was_kept_and_never_grows():
    held = np.array([[[1.2, 0.0, 0.1], [0.6, 0.3, 0.2], [0.0, 0.0, 0.0]]], np.float32)
    residual = np.array([[[0.0, -0.4, 0.0], [-0.1, 0.0, 0.0], [-0.3, 0.0, 0.0]]], np.float32)
    kept = _residual(held, residual, held)  # the stroke left the pixels as they were
    np.testing.assert_allclose(kept, held + residual, atol=1e-6)  # all of it back: the plate
    grey = np.full_like(held, 0.4)  # a stroke that painted every pixel grey
    got = _residual(grey, residual, held)
    added = got - grey
    assert np.all(np.abs(added) <= np.abs(residual) + 1e-7)  # bounded by the residual
    assert np.abs(added[0, 0]).max() < 0.05 * 0.4  # a saturated red painted grey: 3 % of its tint back
    np.testing.assert_allclose(added[0, 2], residual[0, 2], atol=1e-7)  # at black: kept as it is
    np.testing.assert_array_equal(_residual(grey, np.zeros_like(held), held), grey)  # no residual, no change


def test_the_cli_chooses_the_treatment_and_the_files_say_which(tmp_path, capsys):
    import onnx
    import pytest

    from vfx_nodes.cli.main import main
    from vfx_nodes.errors import SettingsError
    from vfx_nodes.export import export_look
    from vfx_nodes.model import build_generator, save_look

    look = tmp_path / "oil.safetensors"
    save_look(build_generator("johnson-small", width=4, blocks=1).eval(), look)
    for hl in ("paint", "carry"):
        args = ["export", "--look", str(look), "--out", str(tmp_path / hl)]
        args += [] if hl == "paint" else ["--highlights", hl]  # painting is the default
        assert main([*args, "--target", "nuke"]) == 0
        assert main([*args, "--target", "flame"]) == 0
        nk = (tmp_path / hl / "oil.nk").read_text()
        assert ("maximum 1000000" in nk) == (hl == "paint")
        assert ("name ResidualKeep" in nk) == (hl == "paint")  # render's rule for the residual
        assert torch.jit.load(str(tmp_path / hl / "oil.pt")).paint == (hl == "paint")
        meta = {p.key: p.value for p in onnx.load(str(tmp_path / hl / "oil.onnx")).metadata_props}
        assert meta["vfx_nodes.highlights"] == hl
        assert ("is painted" in (tmp_path / hl / "oil.json").read_text()) == (hl == "paint")
        assert ("is painted" in (tmp_path / hl / "README.txt").read_text()) == (hl == "paint")
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["export", "--look", str(look), "--out", str(tmp_path / "x"), "--target", "nuke", "--highlights", "glow"])
    with pytest.raises(SettingsError, match="highlights must be one of"):
        export_look(look, "flame", tmp_path / "y", highlights="glow")
    assert not (tmp_path / "y").exists()  # refused before any work


def test_the_cli_paints_through_a_view_for_nuke_only(tmp_path, capsys):
    from vfx_nodes.cli.main import main
    from vfx_nodes.model import build_generator, save_look

    look = tmp_path / "oil.safetensors"
    save_look(build_generator("johnson-small", width=4, blocks=1).eval(), look)
    base = ["export", "--look", str(look), "--through-view", "sRGB - Display:video (colorimetric)"]
    assert main([*base, "--target", "nuke", "--out", str(tmp_path / "n")]) == 0
    nk = (tmp_path / "n" / "oil.nk").read_text()
    assert 'view "Video (colorimetric)"' in nk and "invert true" in nk  # the config's spelling
    assert "the view sRGB - Display: Video (colorimetric)" in (tmp_path / "n" / "README.txt").read_text()
    capsys.readouterr()
    assert main([*base, "--target", "flame", "--out", str(tmp_path / "f")]) != 0
    err = capsys.readouterr().err
    assert "nuke target only" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "f").exists()


def test_the_working_spaces_way_to_linear_is_ocios():
    """sRGB-encoded Rec.709 → ACEScg is OCIO's ExponentWithLinear curve then a matrix: found,
    and the torch functions reproduce OCIO both ways, far outside the gamut too; a log space
    is no curve of the family: no way (the model keeps the colour half)."""
    from vfx_nodes.color import convert_rgb
    from vfx_nodes.export.light import from_linear_t, to_linear_t
    from vfx_nodes.export.linear_way import find_linear_way

    work = "sRGB Encoded Rec.709 (sRGB)"
    way = find_linear_way(work, "scene_linear")
    assert way is not None and (way.gamma, way.offset) == (2.4, 0.055)
    assert abs(way.slope - 12.9232) < 1e-3  # the tangent through 0, not the rounded 12.92
    assert find_linear_way("ACEScct", "scene_linear") is None
    rgb = np.random.default_rng(3).uniform(-60, 9, (320, 3)).astype(np.float32)
    want = convert_rgb(rgb[:, None].copy(), work, "scene_linear")[:, 0]
    to_mix = torch.from_numpy(way.matrix.T.copy()).float()
    lin = to_linear_t(torch.from_numpy(rgb), to_mix, way.gamma, way.offset, way.break_enc, 1.0 / way.slope,
                      1.0 / (1 + way.offset))
    scale = np.abs(want).max(-1, keepdims=True) + 1.0
    np.testing.assert_array_less(np.abs(lin.numpy() - want) / scale, 1e-4)
    inverse = torch.from_numpy(np.linalg.inv(way.matrix).T.copy()).float()
    back = from_linear_t(lin, inverse, 1.0 / way.gamma, way.offset, way.break_enc / way.slope, way.slope)
    np.testing.assert_allclose(back.numpy(), rgb, rtol=1e-4, atol=1e-4)


def test_flame_model_says_where_its_residual_rule_runs(tmp_path):
    import onnx

    from vfx_nodes.export import export_look
    from vfx_nodes.model import build_generator, save_look

    look = tmp_path / "oil.safetensors"
    save_look(build_generator("johnson-small", width=4, blocks=1).eval(), look)

    def meta(folder: str, **options) -> dict:
        files = export_look(look, "flame", tmp_path / folder, **options)
        return {p.key: p.value for p in onnx.load(str(files["onnx"])).metadata_props}

    assert meta("a")["vfx_nodes.residual"] == "scene-linear"  # the default working space: a curve and a matrix
    assert meta("b", highlights="carry")["vfx_nodes.residual"] == "working space"


def test_the_scripted_module_runs_the_rule_in_linear_too(tmp_path):
    """``build_host_module(linear_way=...)`` compiles to TorchScript as well (Flame traces
    the same code): with colour below 0 on some pixels and none on others, render's
    picture; a frame with no such pixel passes through the gather untouched."""
    from vfx_nodes.engine import stylize
    from vfx_nodes.export import build_host_module
    from vfx_nodes.export.linear_way import find_linear_way
    from vfx_nodes.model import build_generator, make_look
    from vfx_nodes.plate import Plate

    torch.manual_seed(5)
    gen = build_generator("johnson-small", width=4, blocks=1).eval()
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    look = make_look(gen)
    way = find_linear_way(look.working_colorspace, "scene_linear")
    module = torch.jit.script(build_host_module(look.generator, highlights="paint", linear_way=way))
    rgb = np.random.default_rng(8).uniform(-0.2, 1.8, (21, 26, 3)).astype(np.float32)
    want = stylize(Plate(rgb, ("R", "G", "B"), colorspace=look.working_colorspace), look, tile=0).pixels
    with torch.no_grad():
        got = _n(module(_t(rgb)))
        clean = np.abs(rgb)
        untouched = _n(module(_t(clean)))
    assert (rgb < 0).any(-1).mean() > 0.2
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    want_clean = stylize(Plate(clean, ("R", "G", "B"), colorspace=look.working_colorspace), look, tile=0).pixels
    np.testing.assert_allclose(untouched, want_clean, rtol=1e-4, atol=1e-4)

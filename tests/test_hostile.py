"""Hostile input, part 2 (issue 29): poisoned looks refused at load, a look that turns
finite pixels into NaN/Inf stops the render before the frame is written, and a resume
that counts only complete frames as done."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from vfx_nodes.engine import sequence as seq
from vfx_nodes.errors import LookError, PlateWriteError
from vfx_nodes.io import is_complete, read_plate, write_plate
from vfx_nodes.model import build_generator, load_look, save_look
from vfx_nodes.model.look import METADATA_KEY
from vfx_nodes.shots import moving_shot

RGB = ("R", "G", "B")


# --- poisoned looks --------------------------------------------------------------------------

@pytest.fixture
def look_file(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "good.safetensors"
    save_look(build_generator("johnson-small", width=8, blocks=1), path)
    return path


def _poisoned(src: Path, dst: Path, edit) -> Path:
    with safe_open(str(src), framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k).clone() for k in f.keys()}  # noqa: SIM118
    name = sorted(k for k in tensors if k.endswith("weight"))[0]
    edit(tensors[name])
    save_file(tensors, str(dst), metadata={METADATA_KEY: meta[METADATA_KEY]})
    return dst, name


@pytest.mark.parametrize("poison, says", [
    (lambda t: t.view(-1).__setitem__(0, float("nan")), "NaN/infinite"),
    (lambda t: t.view(-1).__setitem__(3, float("inf")), "NaN/infinite"),
    (lambda t: t.mul_(0).add_(3e12), r"values up to 3e\+12"),
])
def test_a_poisoned_look_is_refused_at_load_naming_the_tensor(look_file, tmp_path, poison, says):
    bad, name = _poisoned(look_file, tmp_path / "bad.safetensors", poison)
    with pytest.raises(LookError, match=says) as err:
        load_look(bad)
    assert repr(name) in str(err.value) and "bad.safetensors" in str(err.value)
    load_look(look_file)  # the untouched look still loads


# --- a look that computes garbage -------------------------------------------------------------

@pytest.fixture
def shot_dir(tmp_path: Path) -> Path:
    shot = moving_shot("pan", 4, 32, 24)
    for i, f in enumerate(shot.frames):
        write_plate(f.replace(pixel_types=("float",) * len(f.channel_names)), tmp_path / f"p.{1001 + i}.exr")
    return tmp_path


def _fake(nan_on: int | None = None):
    def stylize(plate, look=None, *, stats=None, layer=""):
        rgb = plate.channels(RGB) * 0.5
        if nan_on is not None and abs(float(plate.channels(RGB).mean()) - nan_on) < 1e-9:
            rgb[3, 4, 1] = np.nan
        return plate.with_channels({n: rgb[..., i] for i, n in enumerate(RGB)})
    return stylize


def _render(root: Path, stylize, **kw):
    io = seq.RenderIO(stylize=stylize, load_look=lambda path: "look")
    return seq.render_sequence(str(root / "p.####.exr"), str(root / "o" / "s.####.exr"), "look.safetensors",
                               "1001-1004", io=io, **kw)


def test_a_frame_turned_non_finite_stops_the_render_before_it_is_written(shot_dir):
    third = float(read_plate(str(shot_dir / "p.1003.exr")).channels(RGB).mean())
    with pytest.raises(LookError, match=r"frame 1003: .*1 finite pixel\(s\) of channel 'G' into NaN/Inf"):
        _render(shot_dir, _fake(nan_on=third))
    assert is_complete(shot_dir / "o" / "s.1002.exr") and not (shot_dir / "o" / "s.1003.exr").exists()


def test_nan_already_in_the_plate_is_not_the_looks_fault(shot_dir):
    p = read_plate(str(shot_dir / "p.1001.exr"))
    px = p.pixels.copy()
    px[2, 2, 0] = np.nan
    write_plate(p.replace(pixels=px), shot_dir / "p.1001.exr")
    assert _render(shot_dir, _fake()).rendered == (1001, 1002, 1003, 1004)


# --- resume that checks ------------------------------------------------------------------------

def test_resume_renders_again_what_is_not_a_complete_frame(shot_dir):
    out = shot_dir / "o"
    _render(shot_dir, _fake())
    good = (out / "s.1004.exr").read_bytes()
    (out / "s.1001.exr").write_bytes(good[: len(good) // 2])  # truncated (a killed copy)
    (out / "s.1002.exr").write_bytes(b"")  # empty
    (out / "s.1003.exr").write_text("not an image\n")  # a text file in the way
    assert not any(is_complete(out / f"s.{f}.exr") for f in (1001, 1002, 1003))
    rep = _render(shot_dir, _fake())
    assert rep.skipped == (1004,) and rep.rendered == rep.redone == (1001, 1002, 1003)
    assert "rendered again 3 damaged output(s)" in rep.summary()
    for f in (1001, 1002, 1003, 1004):
        assert is_complete(out / f"s.{f}.exr")
        assert read_plate(str(out / f"s.{f}.exr")).pixels.shape[:2] == (24, 32)


def test_a_folder_where_a_frame_should_be_is_refused_before_any_work(shot_dir):
    (shot_dir / "o" / "s.1003.exr").mkdir(parents=True)
    with pytest.raises(PlateWriteError, match="is a folder, not a frame file"):
        _render(shot_dir, _fake())
    assert not (shot_dir / "o" / "s.1001.exr").exists()


def test_is_complete_knows_png_too(tmp_path):
    from vfx_nodes.plate import Plate

    plate = Plate(np.full((4, 6, 3), 0.5, np.float32), RGB)
    write_plate(plate, tmp_path / "a.png")
    data = (tmp_path / "a.png").read_bytes()
    assert is_complete(tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(data[:-5])
    (tmp_path / "c.exr").write_bytes(data)  # a PNG named .exr
    assert not is_complete(tmp_path / "b.png") and not is_complete(tmp_path / "c.exr")
    assert not is_complete(tmp_path / "missing.png") and not is_complete(tmp_path)


# --- bounded reading ----------------------------------------------------------------------------

def _png_declaring(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header declares ``width×height`` (a decompression bomb's header)."""
    import struct
    import zlib

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
                     + chunk(b"IEND", b""))
    return path


def test_a_png_bomb_is_refused_before_decoding(tmp_path):
    from vfx_nodes.errors import UnsupportedPlateError

    bomb = _png_declaring(tmp_path / "bomb.png", 40000, 40000)
    assert bomb.stat().st_size < 120
    with pytest.raises(UnsupportedPlateError, match=r"declares 40000×40000 pixels \(1600 Mpx\).*40 Mpx"):
        read_plate(str(bomb))


def test_a_jpeg_bomb_is_refused_with_the_same_error(tmp_path):
    from PIL import Image

    from vfx_nodes.errors import UnsupportedPlateError

    Image.new("RGB", (16, 16), (200, 100, 50)).save(tmp_path / "small.jpg")
    data = bytearray((tmp_path / "small.jpg").read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = (60000).to_bytes(2, "big") + (60000).to_bytes(2, "big")  # height, width
    (tmp_path / "bomb.jpg").write_bytes(bytes(data))
    with pytest.raises(UnsupportedPlateError, match="more than vfx_nodes decodes"):
        read_plate(str(tmp_path / "bomb.jpg"))


def test_the_limit_is_settable_and_checked(tmp_path, monkeypatch):
    from vfx_nodes.errors import SettingsError, UnsupportedPlateError
    from vfx_nodes.plate import Plate

    write_plate(Plate(np.zeros((20, 30, 3), np.float32), RGB), tmp_path / "a.exr")
    write_plate(Plate(np.zeros((20, 30, 3), np.float32), RGB), tmp_path / "a.png")
    monkeypatch.setenv("VFX_NODES_MAX_PIXELS", "500")
    for name in ("a.exr", "a.png"):
        with pytest.raises(UnsupportedPlateError, match="30×20 pixels"):
            read_plate(str(tmp_path / name))
    monkeypatch.setenv("VFX_NODES_MAX_PIXELS", "600")
    assert read_plate(str(tmp_path / "a.exr")).pixels.shape == (20, 30, 3)
    monkeypatch.setenv("VFX_NODES_MAX_PIXELS", "lots")
    with pytest.raises(SettingsError, match="VFX_NODES_MAX_PIXELS"):
        read_plate(str(tmp_path / "a.png"))


@pytest.mark.parametrize("name", ["p.png", "p.jpg", "p16.png", "p.exr"])
def test_a_large_painting_is_decoded_reduced(tmp_path, name):
    from PIL import Image

    from vfx_nodes.train.data import load_rgb

    yy, xx = np.mgrid[0:480, 0:640].astype(np.float32)
    rgb = np.stack([xx / 640, yy / 480, 0.5 + 0.3 * np.sin(xx / 40)], -1).astype(np.float32) * 0.8
    path = tmp_path / name
    if name == "p16.png":
        import png

        png.from_array((rgb * 65535).astype(np.uint16).reshape(480, -1), "RGB;16").save(str(path))
    elif name == "p.exr":
        from vfx_nodes.plate import Plate

        write_plate(Plate(rgb, RGB), path)
    else:
        Image.fromarray((rgb * 255).astype(np.uint8)).save(path)
    full = load_rgb(str(path))
    small = load_rgb(str(path), max_side=100)
    assert full.shape == (480, 640, 3) and max(small.shape[:2]) <= 100 and max(small.shape[:2]) >= 50
    assert abs(float(small.mean()) - float(full.mean())) < 0.02  # the same picture, averaged


def test_a_movie_already_there_is_refused_before_any_frame(tmp_path, shot_dir):
    from vfx_nodes.cli.main import main

    pytest.importorskip("av")
    _render(shot_dir, _fake())
    movie = tmp_path / "review.mp4"
    movie.write_bytes(b"an earlier review")
    args = ["movie", "-i", str(shot_dir / "o" / "s.####.exr"), "--frames", "1001-1004", "--out", str(movie), "-q"]
    assert main(args) != 0
    assert movie.read_bytes() == b"an earlier review"
    assert main([*args, "--overwrite"]) == 0 and movie.stat().st_size > 100


# --- paths checked before any work ----------------------------------------------------------------

def test_output_paths_the_os_would_refuse_are_named(tmp_path):
    from vfx_nodes.policy.paths import output_problem

    (tmp_path / "a_file").write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop")
    (tmp_path / "folder.exr").mkdir()
    assert output_problem(tmp_path / "ok" / "deeper" / "f.exr") is None  # folders will be made
    assert "does not exist" in output_problem(tmp_path / "ok" / "f.exr", create_folders=False)
    assert "is a file where a folder should be" in output_problem(tmp_path / "a_file" / "f.exr")
    assert "symbolic-link loop" in output_problem(tmp_path / "loop" / "f.exr")
    assert "symbolic-link loop" in output_problem(tmp_path / "loop")
    assert "is a folder, not a file" in output_problem(tmp_path / "folder.exr")
    assert "too long" in output_problem(tmp_path / ("n" * 300 + ".exr"))


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root may write anywhere")
def test_a_folder_without_write_permission_is_named(tmp_path):
    from vfx_nodes.policy.paths import output_problem

    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert "no permission to write" in output_problem(ro / "f.exr")
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize("argv", [
    ["look", "--style", "{paint}", "--out", "{file}/x.safetensors"],
    ["optimize", "--content", "{plate}", "--style", "{paint}", "--out", "{loop}/x.exr", "--steps", "1"],
    ["optimize", "--content", "{plate}", "--style", "{paint}", "--out", "o.exr", "--size", "-1"],
    ["train", "--content", "{plate}", "--style", "{paint}", "--out", "{loop}/t.safetensors", "--steps", "1"],
    ["train", "--content", "{plate}", "--style", "{paint}", "--out", "t.safetensors", "--size", "16"],
    ["optimize", "--content", "{plate}", "--style", "{paint}", "--out", "o.exr", "--size", "5", "--steps", "1"],
    ["render", "-i", "{pattern}", "-o", "o/s.####.exr", "--frames", "1001-1002", "--look", "{look}",
     "--temporal", "flow", "--preroll", "1"],
    ["export", "--look", "{look}", "--target", "nuke", "--out", "{file}/x"],
    ["render", "-i", "{pattern}", "-o", "{file}/s.####.exr", "--frames", "1001-1002", "--look", "{look}"],
])
def test_the_cli_says_one_line_before_any_work(tmp_path, shot_dir, capsys, argv):
    from PIL import Image

    from vfx_nodes.cli.main import main

    Image.fromarray(np.full((40, 40, 3), 128, np.uint8)).save(tmp_path / "paint.png")
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop")
    torch.manual_seed(0)
    save_look(build_generator("johnson-small", width=8, blocks=1), tmp_path / "look.safetensors")
    values = {"paint": tmp_path / "paint.png", "file": tmp_path / "a_file", "loop": tmp_path / "loop",
              "plate": shot_dir / "p.1001.exr", "pattern": shot_dir / "p.####.exr",
              "look": tmp_path / "look.safetensors"}
    args = [a.format(**{k: str(v) for k, v in values.items()}) for a in argv]
    assert main(args) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1 and "error:" in err


def test_a_keyframe_look_never_replaces_an_earlier_one_silently(tmp_path):
    from vfx_nodes.errors import TrainingDataError
    from vfx_nodes.train.keyframe import KeyframeConfig

    out = tmp_path / "shot.safetensors"
    out.write_bytes(b"an earlier look")
    cfg = {"content": [str(tmp_path)], "keyframes": [("a.exr", "b.exr")], "out": str(out)}
    with pytest.raises(TrainingDataError, match="exists.*overwrite=True"):
        KeyframeConfig(**cfg).validate()
    KeyframeConfig(**cfg, overwrite=True).validate()
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(TrainingDataError, match="symbolic-link loop"):
        KeyframeConfig(**{**cfg, "out": str(tmp_path / "loop")}).validate()

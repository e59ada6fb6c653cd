"""``vfx-style render`` / ``vfx-style movie`` without a model: flags, farm templates, movies, errors.

(The rendering itself, killed and resumed, is in tests/test_sequence_render.py.)
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from vfx_nodes.cli.main import build_parser, main
from vfx_nodes.cli.render import openjd_template, stylize_kwargs_from_args
from vfx_nodes.errors import FrameRangeError
from vfx_nodes.io import write_plate
from vfx_nodes.plate import Plate


def parse(*argv):
    return build_parser("render").parse_args(["render", *argv])


BASE = ("--input", "p.####.exr", "--output", "o.####.exr", "--look", "l.safetensors", "--frames", "1-10")


def test_knob_flags_map_through_the_node():
    from vfx_nodes.nodes.builtin import StyleTransfer

    args = parse(*BASE, "--strength", "0.25", "--in-colorspace", "ACEScg", "--tile", "0", "--halo", "16",
                 "--device", "cpu", "--precision", "fp32", "--no-preserve-alpha", "--luminance-only",
                 "--layer", "diffuse", "--working-colorspace", "ACEScct")
    kw = stylize_kwargs_from_args(args)
    assert kw == StyleTransfer.stylize_kwargs({
        "strength": 0.25, "colorspace": "ACEScg", "tile": 0, "halo": 16, "device": "cpu",
        "precision": "fp32", "preserve_alpha": False, "luminance_only": True, "layer": "diffuse",
        "working_colorspace": "ACEScct"})
    assert kw["strength"] == 0.25 and kw["colorspace"] == "ACEScg" and kw["preserve_alpha"] is False
    # nothing given: the node's defaults
    assert stylize_kwargs_from_args(parse(*BASE)) == StyleTransfer.stylize_kwargs({})


def test_bad_knob_values_exit_1(capsys):
    assert main(["render", *BASE, "--strength", "3"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vfx-style render: error:") and "strength" in err


def test_render_help_documents_patterns_and_chunks(capsys):
    with pytest.raises(SystemExit):
        main(["render", "--help"])
    out = capsys.readouterr().out
    assert "@@@@" in out and "%04d" in out and "K/N" in out and "counting from 1" in out


def test_openjd_template_is_valid_and_covers_the_shot(capsys):
    from openjd.model import create_job, decode_job_template

    t = openjd_template("/show/p.####.exr", "/show/o.####.exr", "/looks/oil.safetensors", "1001-1100",
                        chunk_size=30, stats_file="/show/sh010.stats.safetensors", extra_args=["--strength", "0.5"])
    template = decode_job_template(template=t)
    job = create_job(job_template=template, job_parameter_values={})
    assert [s.name for s in job.steps] == ["ShotStatistics", "Render"]
    render = t["steps"][1]
    assert render["parameterSpace"]["taskParameterDefinitions"][0]["range"] == "1-4"
    args = render["script"]["actions"]["onRun"]["args"]
    assert args[args.index("--chunk") + 1] == "{{Task.Param.Chunk}}/4"
    assert args[args.index("--frames") + 1] == "1001-1100"  # every chunk sees the whole range
    assert "--strength" in args and args[args.index("--stats-file") + 1] == "/show/sh010.stats.safetensors"
    assert render["dependencies"] == [{"dependsOn": "ShotStatistics"}]
    assert "--stats-only" in t["steps"][0]["script"]["actions"]["onRun"]["args"]

    # from the command line, without shot statistics: one step
    assert main(["render", *BASE, "--openjd-template", "--chunk-size", "3", "--no-preserve-alpha"]) == 0
    printed = json.loads(capsys.readouterr().out)
    decode_job_template(template=printed)
    assert [s["name"] for s in printed["steps"]] == ["Render"]
    args = printed["steps"][0]["script"]["actions"]["onRun"]["args"]
    assert "--no-preserve-alpha" in args and "{{Task.Param.Chunk}}/4" in args
    with pytest.raises(FrameRangeError):
        openjd_template("p.####.exr", "o.####.exr", "l", "1-10", chunk_size=0)


def test_every_chunk_of_the_template_is_a_valid_chunk():
    from vfx_nodes.engine.frames import chunk_frames, parse_frames

    t = openjd_template("p.####.exr", "o.####.exr", "l", "1-95", chunk_size=10)
    n = int(t["steps"][0]["parameterSpace"]["taskParameterDefinitions"][0]["range"].split("-")[1])
    chunks = [chunk_frames(parse_frames("1-95"), (k, n)) for k in range(1, n + 1)]
    assert n == 10 and sum(chunks, ()) == parse_frames("1-95") and max(len(c) for c in chunks) <= 10


@pytest.mark.parametrize("extra, words", [
    (["--frames", "10-1"], "ends before it starts"),
    (["--chunk", "0/3"], "chunk"),
    (["--stats", "frame", "--stats-file", "s.safetensors"], "--stats-file"),
    (["--stats-only"], "--stats-file"),
    (["--chunk", "1/2", "--movie", "m.mp4"], "vfx-style movie"),
    (["--chunk", "1/2", "--openjd-template"], "--chunk"),
])
def test_usage_errors_before_any_work(extra, words, capsys):
    assert main(["render", *BASE, *extra]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


def test_missing_input_frames_are_listed(tmp_path, capsys):
    assert main(["render", "--input", str(tmp_path / "p.####.exr"), "--output", str(tmp_path / "o.####.exr"),
                 "--look", "l.safetensors", "--frames", "1-3,7"]) == 1
    err = capsys.readouterr().err
    assert "4 of 4 input frames" in err and "1-3,7" in err and "p.0001.exr" in err
    # the library names keywords (skip_missing=True); the shell user reads the flags
    assert "Check --frames, or pass --skip-missing" in err and "skip_missing" not in err


def test_movie_command(tmp_path, capsys):
    av = pytest.importorskip("av")
    for f in (1001, 1002, 1003):
        px = np.full((9, 11, 4), 0.1 * (f - 1000), np.float32)
        write_plate(Plate(px, ("R", "G", "B", "A"), colorspace="ACEScg"), tmp_path / f"s.{f}.exr")
    out = tmp_path / "r.mp4"
    assert main(["movie", "--input", str(tmp_path / "s.####.exr"), "--frames", "1001-1003", "--out", str(out),
                 "--fps", "23.976", "--burn-in", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "3 frames, 12×10" in printed and "padded" in printed
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert (len(list(c.decode(s))), s.width, s.height) == (3, 12, 10)
        assert abs(float(s.average_rate) - 23.976) < 1e-3
    assert main(["movie", "--input", str(tmp_path / "s.####.exr"), "--frames", "1001-1004",
                 "--out", str(tmp_path / "x.mp4"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "missing: 1004" in err and "pass --skip-missing to leave them out" in err
    assert main(["movie", "--input", str(tmp_path / "s.####.exr"), "--frames", "1001-1003",
                 "--out", str(tmp_path / "x.mp4"), "--display", "No Such Display", "--quiet"]) == 1
    assert "No Such Display" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize("ext", [".txt", ".jpg", ".tif", ""])
def test_output_formats_that_would_lose_data_are_refused_before_any_work(tmp_path, capsys, ext):
    """Issue 14.7/14.8: `-o x.####.txt` wrote an EXR under a .txt name; `-o ….jpg` failed
    only after rendering a frame. Now one error before the look is even loaded."""
    for f in (1, 2):
        write_plate(Plate(np.full((4, 5, 3), 0.2, np.float32), ("R", "G", "B")), tmp_path / f"p.{f:04d}.exr")
    out = tmp_path / "out" / f"o.####{ext}"
    # the look does not exist: an error about it would mean it was loaded before the check
    assert main(["render", "--input", str(tmp_path / "p.####.exr"), "--output", str(out),
                 "--look", str(tmp_path / "no_such_look.safetensors"), "--frames", "1-2"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "EXR and PNG only" in err and "no_such_look" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_png_output_says_what_it_drops(tmp_path, caplog):
    import logging

    from vfx_nodes.engine.sequence import render_sequence
    from vfx_nodes.model import Look, build_generator

    for f in (1, 2):
        px = np.concatenate([np.full((8, 8, 3), 0.2, np.float32), np.ones((8, 8, 1), np.float32),
                             np.full((8, 8, 1), 5.0, np.float32)], -1)
        write_plate(Plate(px, ("R", "G", "B", "A", "Z")), tmp_path / f"p.{f:04d}.exr")
    look = Look(generator=build_generator("johnson-small").eval(), metadata={}, working_colorspace="ACEScg",
                arch="johnson-small")
    with caplog.at_level(logging.WARNING, logger="vfx_nodes.engine.sequence"):
        rep = render_sequence(str(tmp_path / "p.####.exr"), str(tmp_path / "o.####.png"), look, "1-2", device="cpu")
    assert rep.rendered == (1, 2)
    assert any("PNG keeps" in r.getMessage() and "other channels" in r.getMessage() for r in caplog.records)


def test_negative_frame_ranges_are_values_not_options(tmp_path, capsys):
    """Issue 14.11: `--frames -5--1` was read as an option."""
    for f in range(-5, 0):
        write_plate(Plate(np.full((4, 5, 3), 0.2, np.float32), ("R", "G", "B")), tmp_path / f"p.{f:04d}.exr")
    code = main(["render", "--input", str(tmp_path / "p.####.exr"), "--output", str(tmp_path / "o.####.exr"),
                 "--look", str(tmp_path / "missing.safetensors"), "--frames", "-5--1"])
    err = capsys.readouterr().err
    assert code == 1 and "expected one argument" not in err and "missing.safetensors" in err
    assert parse("--input", "p.####.exr", "--output", "o.####.exr", "--look", "l",
                 "--frames=-3,-1").frames == "-3,-1"


# --- statistics files (issue 14.9, 14.10) ---------------------------------------------------------


@pytest.fixture
def small_shot(tmp_path):
    for f in (1, 2, 3):
        rng = np.random.default_rng(f)
        write_plate(Plate(rng.random((12, 16, 3), dtype=np.float32), ("R", "G", "B")), tmp_path / f"p.{f:04d}.exr")
    from vfx_nodes.model import build_generator, save_look

    looks = []
    for seed in (0, 1):
        import torch

        torch.manual_seed(seed)
        path = tmp_path / f"look{seed}.safetensors"
        save_look(build_generator("johnson-small"), path, {"working_colorspace": "ACEScg"})
        looks.append(str(path))
    return tmp_path, looks


def _render(root, look, frames, stats_file, out="o", extra=()):
    return main(["render", "-i", str(root / "p.####.exr"), "-o", str(root / out / "o.####.exr"), "--look", look,
                 "--frames", frames, "--stats-file", str(stats_file), "-q", "--device", "cpu", *extra])


def test_a_statistics_file_for_another_look_or_range_is_refused(small_shot, capsys):
    root, (look_a, look_b) = small_shot
    stats = root / "shot.stats.safetensors"
    assert _render(root, look_a, "1-3", stats) == 0
    capsys.readouterr()
    assert _render(root, look_b, "1-3", stats, out="b") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "made for another look" in err and "Delete it" in err
    assert not (root / "b").exists() or not any((root / "b").iterdir())
    assert _render(root, look_a, "1-2", stats, out="c") == 1
    assert "another frame range" in capsys.readouterr().err
    assert _render(root, look_a, "1-3", stats, out="d", extra=("--scale", "0.5")) == 1
    assert "made for other settings" in capsys.readouterr().err
    # the same look, range and settings: used (the --stats-only file of a farm job too)
    assert _render(root, look_a, "1-3", stats, out="e") == 0
    assert "file statistics" in capsys.readouterr().out


def test_an_old_statistics_file_is_used_with_a_warning(small_shot, caplog):
    import logging

    from vfx_nodes.engine.sequence import shot_stats

    root, (look_a, _) = small_shot
    ns, _ = shot_stats(str(root / "p.####.exr"), look_a, "1-3", device="cpu")
    ns.save(root / "old.safetensors")  # no provenance, as files before it was recorded
    with caplog.at_level(logging.WARNING, logger="vfx_nodes.engine.sequence"):
        assert _render(root, look_a, "1-3", root / "old.safetensors") == 0
    assert any("records no look" in r.getMessage() for r in caplog.records)


def test_statistics_file_in_a_missing_or_failing_folder_is_one_error(small_shot, capsys, monkeypatch):
    root, (look_a, _) = small_shot
    assert _render(root, look_a, "1-3", root / "nope" / "s.safetensors") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "folder does not exist" in err
    assert main(["render", "-i", str(root / "p.####.exr"), "-o", str(root / "x" / "o.####.exr"), "--look", look_a,
                 "--frames", "1-3", "--stats-file", str(root / "nope" / "s.safetensors"), "--stats-only"]) == 1
    assert "folder does not exist" in capsys.readouterr().err
    import safetensors.torch

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", full)
    assert _render(root, look_a, "1-3", root / "s.safetensors", out="f") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left" in err


def test_movie_settings_are_checked_before_the_render(tmp_path, capsys):
    """Issue 14.8: `render --movie … --display Nope` rendered every frame first; `movie`
    did not create its folder."""
    pytest.importorskip("av")
    for f in (1, 2):
        write_plate(Plate(np.full((4, 6, 3), 0.2, np.float32), ("R", "G", "B")), tmp_path / f"p.{f:04d}.exr")
    # a look that does not exist: an error naming it would mean the render had started
    base = ["render", "-i", str(tmp_path / "p.####.exr"), "-o", str(tmp_path / "o" / "o.####.exr"),
            "--look", str(tmp_path / "no_such_look.safetensors"), "--frames", "1-2", "-q"]
    assert main([*base, "--movie", str(tmp_path / "m.mp4"), "--display", "Nope"]) == 1
    err = capsys.readouterr().err
    assert "Nope" in err and "no_such_look" not in err and not (tmp_path / "o").exists()
    assert main([*base, "--movie", str(tmp_path / "m.avi")]) == 1
    err = capsys.readouterr().err
    assert "unknown extension" in err and "no_such_look" not in err
    assert main([*base, "--movie", str(tmp_path / "m.mp4"), "--fps", "-3"]) == 1
    err = capsys.readouterr().err
    assert "frame rate" in err and "no_such_look" not in err
    # `movie` makes its folder, as `render` does
    assert main(["movie", "--input", str(tmp_path / "p.####.exr"), "--frames", "1-2",
                 "--out", str(tmp_path / "new" / "deep" / "m.mp4"), "-q"]) == 0
    assert (tmp_path / "new" / "deep" / "m.mp4").is_file()


def test_a_single_still_renders_without_a_frame_token(tmp_path, capsys):
    """Issue 14.11: `render -i still.exr` could not render one image."""
    from vfx_nodes import default_look_path, read_plate, stylize

    px = np.random.default_rng(0).random((10, 14, 4), dtype=np.float32)
    write_plate(Plate(px, ("R", "G", "B", "A")), tmp_path / "still.exr")
    look = str(default_look_path())
    assert main(["render", "-i", str(tmp_path / "still.exr"), "-o", str(tmp_path / "out" / "styled.exr"),
                 "--look", look, "-q"]) == 0
    assert "rendered 1" in capsys.readouterr().out
    np.testing.assert_array_equal(read_plate(tmp_path / "out" / "styled.exr").pixels,
                                  stylize(read_plate(tmp_path / "still.exr"), look).pixels)
    # resume: an existing output is skipped
    assert main(["render", "-i", str(tmp_path / "still.exr"), "-o", str(tmp_path / "out" / "styled.exr"),
                 "--look", look, "-q"]) == 0
    assert "skipped 1" in capsys.readouterr().out
    for extra, words in ((["--frames", "1-3"], "leave out the frame range"),
                         (["--movie", str(tmp_path / "m.mp4")], "apply to sequences")):
        assert main(["render", "-i", str(tmp_path / "still.exr"), "-o", str(tmp_path / "x.exr"),
                     "--look", look, *extra]) == 1
        assert words in capsys.readouterr().err
    assert main(["render", "-i", str(tmp_path / "still.exr"), "-o", str(tmp_path / "x.####.exr"), "--look", look]) == 1
    assert "without a frame token" in capsys.readouterr().err
    assert main(["render", "-i", str(tmp_path / "p.####.exr"), "-o", str(tmp_path / "x.####.exr"), "--look", look]) == 1
    assert "give the frame range" in capsys.readouterr().err
    assert main(["render", "-i", str(tmp_path / "still.exr"), "-o", str(tmp_path / "still.exr"), "--look", look]) == 1
    assert "same files" in capsys.readouterr().err


def test_a_failed_render_leaves_no_empty_output_folders(tmp_path, capsys):
    """Issue 14.11: a render whose first frame fails left its (new) output folders behind."""
    (tmp_path / "p.0001.exr").write_bytes(b"\x76\x2f\x31\x01" + b"\0" * 40)  # a damaged EXR
    from vfx_nodes import default_look_path

    assert main(["render", "-i", str(tmp_path / "p.####.exr"), "-o", str(tmp_path / "a" / "b" / "o.####.exr"),
                 "--look", str(default_look_path()), "--frames", "1", "-q"]) == 1
    assert "frame 1" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def test_openjd_template_carries_the_temporal_settings_to_every_step(capsys):
    assert main(["render", *BASE, "--openjd-template", "--chunk-size", "3", "--temporal", "vectors",
                 "--temporal-weight", "0.8", "--preroll", "5", "--stats-file", "/show/s.safetensors"]) == 0
    printed = json.loads(capsys.readouterr().out)
    for step in printed["steps"]:  # the statistics step records them, the chunks are checked against them
        args = step["script"]["actions"]["onRun"]["args"]
        assert args[args.index("--temporal") + 1] == "vectors"
        assert args[args.index("--temporal-weight") + 1] == "0.8"
    render = printed["steps"][-1]["script"]["actions"]["onRun"]["args"]
    assert render[render.index("--preroll") + 1] == "5"

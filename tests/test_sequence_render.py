"""A whole shot through the real pipeline: EXR in, look, EXR out — killed and resumed.

Six 48×32 frames with overscan (data window larger than the display window on every
side) and a real alpha, a small randomly initialised ``johnson-small`` look saved with
``save_look``. The CLI is started in a subprocess and SIGKILLed once its first output
frame appears; a second run must complete the shot with nothing half-written left, and
every frame must equal a clean render, keep its windows, and keep alpha bit for bit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vfx_nodes import render_sequence
from vfx_nodes.cli.main import main
from vfx_nodes.engine.metrics import warping_error
from vfx_nodes.engine.sequence import shot_stats
from vfx_nodes.io import read_plate, write_plate
from vfx_nodes.model import NormStats, build_generator, save_look
from vfx_nodes.plate import Plate

FRAMES = range(1001, 1007)
W, H, OVER = 48, 32, 3


@pytest.fixture(scope="module")
def shot(tmp_path_factory) -> Path:
    """Folder with plate.####.exr (1001-1006) and look.safetensors."""
    root = tmp_path_factory.mktemp("shot")
    torch.manual_seed(7)
    save_look(build_generator("johnson-small"), root / "look.safetensors", {})
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:H + 2 * OVER, 0:W + 2 * OVER].astype(np.float32)
    for i, f in enumerate(FRAMES):
        # a soft pattern drifting across the frame + noise, over a partly transparent alpha
        base = 0.5 + 0.4 * np.sin((xx + 2 * i) / 5.0)[..., None] * np.array([1.0, 0.6, 0.3], np.float32)
        rgb = base * (0.5 + 0.5 * (yy / (H + 2 * OVER)))[..., None] + 0.05 * rng.random(base.shape, np.float32)
        alpha = np.clip((xx - 10) / 20.0, 0, 1)[..., None].astype(np.float32)
        px = np.concatenate([rgb * alpha, alpha, (yy * 0.1)[..., None]], -1)
        plate = Plate(px, ("R", "G", "B", "A", "Z"),
                      data_window=(-OVER, -OVER, W - 1 + OVER, H - 1 + OVER),
                      display_window=(0, 0, W - 1, H - 1), colorspace="ACEScg",
                      pixel_types=("half", "half", "half", "half", "float"))
        write_plate(plate, root / f"plate.{f}.exr")
    return root


def _cli(shot: Path, out: str, *extra: str) -> list[str]:
    return ["render", "--input", str(shot / "plate.####.exr"), "--output", out,
            "--look", str(shot / "look.safetensors"), "--frames", "1001-1006", "--device", "cpu",
            "--tile", "0", *extra]


def test_killed_render_resumes_to_a_clean_shot(shot, tmp_path):
    out = tmp_path / "out"
    pattern = str(out / "styled.@@@@.exr")
    stats_file = str(tmp_path / "shot.stats.safetensors")
    args = _cli(shot, pattern, "--stats", "shot", "--stats-file", stats_file, "--quiet")
    proc = subprocess.Popen([sys.executable, "-m", "vfx_nodes.cli.main", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = out / "styled.1001.exr"
    deadline = time.monotonic() + 120
    while not first.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert first.exists(), proc.stderr.read().decode()
    done_before = sorted(p.name for p in out.glob("styled.*.exr"))
    assert len(done_before) < 6, "the render finished before it could be killed"
    # A kill inside write_plate leaves the writer's temporary file; plant one to be sure.
    orphan = out / ".styled.1004.tmp-999999-0badf00d.exr"
    orphan.write_bytes(b"half a frame")
    before_stats = Path(stats_file).read_bytes()

    assert main(args) == 0  # resume

    names = sorted(os.listdir(out))
    assert names == [f"styled.{f}.exr" for f in FRAMES], names  # no temporary files left
    assert Path(stats_file).read_bytes() == before_stats         # the cached stats were reused

    clean = tmp_path / "clean"
    rep = render_sequence(str(shot / "plate.####.exr"), str(clean / "c.####.exr"), shot / "look.safetensors",
                          "1001-1006", stats="shot", device="cpu", tile=0)
    assert rep.rendered == tuple(FRAMES) and rep.stats == "shot"
    for f in FRAMES:
        src = read_plate(shot / f"plate.{f}.exr")
        got = read_plate(out / f"styled.{f}.exr")
        ref = read_plate(clean / f"c.{f}.exr")
        assert got.data_window == src.data_window and got.display_window == src.display_window
        assert set(got.channel_names) == set(src.channel_names)
        assert np.array_equal(got.channel("A"), src.channel("A"))     # alpha bit-identical
        assert np.array_equal(got.channel("Z"), src.channel("Z"))     # other layers ride along
        for c in "RGB":
            assert np.array_equal(got.channel(c), ref.channel(c)), f"frame {f} {c} differs from a clean render"
        assert not np.allclose(got.channel("R"), src.channel("R"), atol=1e-3)  # it was stylised


def test_chunks_use_the_same_shot_statistics(shot, tmp_path):
    """Farm chunks, each computing shot statistics on its own, give the same shot."""
    whole = tmp_path / "whole"
    render_sequence(str(shot / "plate.####.exr"), str(whole / "w.####.exr"), str(shot / "look.safetensors"),
                    "1001-1004", stats="shot", device="cpu", tile=0, stats_samples=3)
    chunked = str(tmp_path / "chunked" / "c.####.exr")
    reports = [render_sequence(str(shot / "plate.####.exr"), chunked, str(shot / "look.safetensors"),
                               "1001-1004", chunk=f"{k}/2", stats="shot", device="cpu", tile=0,
                               stats_samples=3)
               for k in (1, 2)]
    assert [r.rendered for r in reports] == [(1001, 1002), (1003, 1004)]
    assert {r.stats_frames for r in reports} == {(1001, 1003, 1004)}
    for f in range(1001, 1005):
        a = read_plate(whole / f"w.{f}.exr").channels("RGB")
        b = read_plate(tmp_path / "chunked" / f"c.{f}.exr").channels("RGB")
        assert np.array_equal(a, b)


def test_stats_file_round_trip_and_given_stats(shot, tmp_path):
    ns, picked = shot_stats(str(shot / "plate.####.exr"), str(shot / "look.safetensors"), "1001-1006",
                            samples=2, device="cpu")
    assert picked == (1001, 1006) and isinstance(ns, NormStats)
    path = tmp_path / "s.safetensors"
    ns.save(path)
    out_a = str(tmp_path / "a" / "a.####.exr")
    out_b = str(tmp_path / "b" / "b.####.exr")
    ra = render_sequence(str(shot / "plate.####.exr"), out_a, str(shot / "look.safetensors"), "1002",
                         stats="shot", stats_file=path, device="cpu")
    rb = render_sequence(str(shot / "plate.####.exr"), out_b, str(shot / "look.safetensors"), "1002",
                         stats=ns, device="cpu")
    assert (ra.stats, rb.stats) == ("file", "given")
    assert np.array_equal(read_plate(tmp_path / "a" / "a.1002.exr").pixels,
                          read_plate(tmp_path / "b" / "b.1002.exr").pixels)


def test_cli_and_node_knobs_give_the_same_pixels(shot, tmp_path):
    from vfx_nodes.engine import stylize
    from vfx_nodes.nodes.builtin import StyleTransfer

    assert main(_cli(shot, str(tmp_path / "o.####.exr"), "--strength", "0.5", "--no-preserve-alpha",
                     "--luminance-only", "--in-colorspace", "ACEScg", "--quiet")) == 0
    kw = StyleTransfer.stylize_kwargs({"strength": 0.5, "preserve_alpha": False, "luminance_only": True,
                                       "colorspace": "ACEScg", "device": "cpu", "tile": 0})
    plate = read_plate(shot / "plate.1003.exr")
    want = stylize(plate, str(shot / "look.safetensors"), **kw)
    got = read_plate(tmp_path / "o.1003.exr")
    for c in "RGB":
        # the file stores half floats (the input's type): compare at half precision
        assert np.array_equal(got.channel(c), want.channel(c).astype(np.float16).astype(np.float32))


def test_cli_errors_are_one_line_and_exit_1(shot, tmp_path, capsys):
    assert main(_cli(shot, str(tmp_path / "o.####.exr"))[:-4] + ["--frames", "1001-1010"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "4 of 10 input frames" in err and "1007-1010" in err
    assert not (tmp_path / "o.1001.exr").exists()  # checked before anything was rendered
    assert main(_cli(shot, str(tmp_path / "o.####.exr")) + ["--frames", "1006-1001"]) == 1
    assert "ends before it starts" in capsys.readouterr().err
    assert main(_cli(shot, str(tmp_path / "o.####.exr")) + ["--chunk", "4/3"]) == 1
    assert "chunk" in capsys.readouterr().err
    assert main(_cli(shot, str(tmp_path / "o.exr"))) == 1
    assert "no frame token" in capsys.readouterr().err
    assert main(_cli(shot, str(tmp_path / "o.####.exr")) + ["--stats", "frame", "--stats-file", "x"]) == 1
    assert "--stats-file" in capsys.readouterr().err


def test_damaged_input_frame_names_the_frame(shot, tmp_path, capsys):
    bad = tmp_path / "in"
    bad.mkdir()
    for f in (1, 2):
        (bad / f"p.{f:04d}.exr").write_bytes((shot / "plate.1001.exr").read_bytes())
    (bad / "p.0002.exr").write_bytes((shot / "plate.1001.exr").read_bytes()[:300])
    code = main(["render", "--input", str(bad / "p.####.exr"), "--output", str(tmp_path / "o.####.exr"),
                 "--look", str(shot / "look.safetensors"), "--frames", "1-2", "--device", "cpu", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("vfx-style render: error: frame 2:") and "p.0002.exr" in err
    assert (tmp_path / "o.0001.exr").exists()  # frames before the damaged one are kept


def test_skip_missing_and_movie(shot, tmp_path, capsys):
    av = pytest.importorskip("av")
    code = main(_cli(shot, str(tmp_path / "o.####.exr"))[:-4]
                + ["--frames", "1005-1008", "--skip-missing", "--movie", str(tmp_path / "m.mp4"),
                   "--burn-in", "--fps", "25", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "rendered 2" in out and "missing input frames: 1007-1008" in out
    with av.open(str(tmp_path / "m.mp4")) as c:
        s = c.streams.video[0]
        frames = list(c.decode(s))
        assert (len(frames), frames[0].width, frames[0].height, s.average_rate) == (2, W, H, 25)


def test_warping_error_is_zero_for_an_exact_shift():
    rng = np.random.default_rng(0)
    big = rng.random((20, 40, 3), np.float32)
    frames = [big[2:14, 3 * t:3 * t + 20] for t in range(4)]
    assert warping_error(frames, (3, 0)) == 0.0
    noisy = [f + 0.1 * rng.standard_normal(f.shape).astype(np.float32) for f in frames]
    assert 0.015 < warping_error(noisy, (3, 0)) < 0.025  # 2·σ² = 0.02
    with pytest.raises(ValueError):
        warping_error(frames[:1], (3, 0))

"""`vfx-style train`, the progress printer, the learning-rate schedule and the EMA."""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_train_loop import make_data

from vfx_nodes.cli.main import main
from vfx_nodes.train.progress import Progress, format_duration
from vfx_nodes.train.schedule import EMA, lr_factor

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_help_lists_the_issue_flags(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--content", "--style", "--out", "--steps", "--size", "--batch", "--lr", "--content-weight",
                 "--style-weight", "--tv-weight", "--adv-weight", "--arch", "--working-space", "--in-colorspace",
                 "--eval-every", "--checkpoint-every", "--seed", "--device", "--workdir", "--resume",
                 "--init", "--time-limit"):
        assert flag in text, flag


def test_cli_trains_and_prints_the_summary(tmp_path, capsys):
    from vfx_nodes.model import load_look

    content, style = make_data(tmp_path / "data")
    out = tmp_path / "looks" / "stripes.safetensors"
    out.parent.mkdir()
    rc = main(["train", "--content", str(content), "--style", str(style), "--out", str(out), "--steps", "3",
               "--size", "32", "--batch", "1", "--arch", "johnson-small", "--eval-every", "3",
               "--content-layer", "relu2_1", "--style-layers", "relu1_1", "relu2_1", "--quiet",
               "--workdir", str(tmp_path / "work"), "--device", "cpu"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "trained 3 steps" in text and f"best look: {out}" in text and str(tmp_path / "work") in text
    look = load_look(out)
    assert look.metadata["training"]["recipe"]["content_layer"] == "relu2_1"
    assert (tmp_path / "work" / "metrics.jsonl").is_file()


def test_cli_errors_are_one_line(tmp_path, capsys):
    rc = main(["train", "--content", str(tmp_path / "none.####.exr"), "--style", str(tmp_path / "s.jpg"),
               "--out", str(tmp_path / "o.safetensors"), "--steps", "1"])
    assert rc == 1
    err = capsys.readouterr().err
    assert err.startswith("vfx-style train: error:") and "none.####.exr" in err and "Traceback" not in err
    content, style = make_data(tmp_path / "data")
    rc = main(["train", "--content", str(content), "--style", str(style), "--out", str(tmp_path / "o.safetensors"),
               "--steps", "0"])
    assert rc == 1 and "steps must be a positive integer" in capsys.readouterr().err


# --- progress printer ------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_progress_on_a_terminal_redraws_one_line():
    clock, out = _Clock(), io.StringIO()
    p = Progress(100, stream=out, tty=True, clock=clock)
    for step in range(1, 11):
        clock.t += 0.5
        p.update(step, {"style": 1.5, "content": 2.0})
    p.close()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.count("\r") == 10
    last = text.rstrip("\n").split("\r")[-1]
    assert last.startswith("step 10/100") and "style=1.5" in last and "2.00 it/s" in last and "ETA 0:45" in last


def test_progress_off_a_terminal_prints_periodic_lines():
    clock, out = _Clock(), io.StringIO()
    p = Progress(1000, stream=out, tty=False, log_every_s=30, clock=clock)
    for step in range(1, 1001):
        clock.t += 0.1
        p.update(step)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert 3 <= len(lines) <= 5 and lines[-1].startswith("step 1000/1000")
    p.message("eval step 1000: score 1")
    assert out.getvalue().endswith("eval step 1000: score 1\n")
    quiet = io.StringIO()
    Progress(10, stream=quiet, enabled=False).update(10, force=True)
    assert quiet.getvalue() == ""


def test_format_duration():
    assert format_duration(75) == "1:15" and format_duration(3725) == "1:02:05"
    assert format_duration(float("nan")) == "?"


# --- schedule and EMA ---------------------------------------------------------------------------


def test_lr_factor_warms_up_then_decays_to_the_floor():
    assert lr_factor(0, 100, warmup=10) == pytest.approx(0.1)
    assert lr_factor(9, 100, warmup=10) == pytest.approx(1.0)
    assert lr_factor(10, 100, warmup=10) == pytest.approx(1.0)
    assert lr_factor(55, 100, warmup=10, min_factor=0.0) == pytest.approx(0.5)
    assert lr_factor(100, 100, warmup=10, min_factor=0.1) == pytest.approx(0.1)
    values = [lr_factor(s, 100, warmup=10) for s in range(10, 101)]
    assert all(a >= b for a, b in itertools.pairwise(values))


def test_ema_follows_with_a_ramped_decay_and_leaves_the_model_alone():
    model = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    ema = EMA(model, decay=0.9)
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema.update(model)  # decay min(0.9, 1/10) = 0.1
    assert float(ema.module.weight[0, 0]) == pytest.approx(0.9)
    assert float(model.weight.detach()[0, 0]) == 1.0 and not ema.module.weight.requires_grad
    for _ in range(200):
        ema.update(model)
    assert math.isclose(float(ema.module.weight[0, 0]), 1.0, abs_tol=1e-6)
    assert ema.current_decay() == 0.9


def test_dry_run_prints_the_plan_and_trains_nothing(tmp_path, capsys):
    """Issue 15.3: a plan step — every check and the file list — before any work."""
    from PIL import Image

    from vfx_nodes.cli.main import main
    from vfx_nodes.train import TrainConfig, plan_training

    shots = tmp_path / "shots"
    for seq in ("a", "b"):
        (shots / seq).mkdir(parents=True)
        for f in (1, 2, 3):
            Image.fromarray(np.full((40, 40, 3), 40 * f, np.uint8)).save(shots / seq / f"p.{f:04d}.png")
    style = tmp_path / "oil.png"
    Image.fromarray(np.full((40, 40, 3), 200, np.uint8)).save(style)
    out = tmp_path / "look.safetensors"
    assert main(["train", "--content", str(shots / "a"), str(shots / "b"), "--style", str(style), "--out", str(out),
                 "--dry-run", "--steps", "5", "--test-fraction", "0.5"]) == 0
    printed = capsys.readouterr().out
    assert "oil.png" in printed and "held-out" in printed and "5 steps" in printed
    assert "best look: by its held-out read (content guard 1.3× the start's, stop after 2 evaluations" in printed
    assert not out.exists() and not (tmp_path / "look.train").exists()  # nothing made
    content = [str(shots / "a"), str(shots / "b")]
    plan = plan_training(TrainConfig(content=content, style=[str(style)], out=str(out), test_fraction=0.5))
    assert len(plan.train_files) + len(plan.test_files) == 6 and plan.style_files == (str(style),)
    assert plan.lr > 0 and plan.init in ("arbitrary", "scratch")
    with pytest.raises(Exception, match="does not exist"):
        plan_training(TrainConfig(content=content, style=[str(style)], out=str(tmp_path / "no" / "x.safetensors"),
                                  workdir=str(tmp_path / "work")))


def test_held_out_frames_are_given_not_drawn(tmp_path, capsys):
    """Issue 24: `--held-out` names the frames a fine-tune is judged on (another shot, like
    the plates the look will meet); all of `--content` trains, and a frame in both is refused."""
    from PIL import Image

    from vfx_nodes.errors import TrainingDataError
    from vfx_nodes.train import TrainConfig, plan_training

    shots = tmp_path / "shots"
    for seq in ("a", "b", "c"):
        (shots / seq).mkdir(parents=True)
        for f in (1, 2):
            Image.fromarray(np.full((40, 40, 3), 40 * f, np.uint8)).save(shots / seq / f"p.{f:04d}.png")
    style = tmp_path / "oil.png"
    Image.fromarray(np.full((40, 40, 3), 200, np.uint8)).save(style)
    out = tmp_path / "look.safetensors"
    content = [str(shots / "a"), str(shots / "b")]
    plan = plan_training(TrainConfig(content=content, style=[str(style)], out=str(out),
                                     held_out=[str(shots / "c" / "p.####.png")]))
    assert [p.split("/")[-2] for p in plan.train_files] == ["a", "a", "b", "b"]
    assert plan.test_files == tuple(str(shots / "c" / f"p.{f:04d}.png") for f in (1, 2))
    # the same frame reached by another spelling of its path is still the same frame
    with pytest.raises(TrainingDataError, match=r"1 held-out file\(s\) are also training content.*p\.0002\.png"):
        plan_training(TrainConfig(content=content, style=[str(style)], out=str(out),
                                  held_out=[str(shots / "c"), str(shots / "b" / ".." / "b" / "p.0002.png")]))
    assert main(["train", "--content", *content, "--held-out", str(shots / "c"), "--style", str(style),
                 "--out", str(out), "--dry-run"]) == 0
    assert "4 training + 2 held-out files" in capsys.readouterr().out
    assert main(["train", "--content", *content, "--held-out", str(shots / "nothing.####.png"), "--style",
                 str(style), "--out", str(out), "--dry-run"]) != 0
    assert "nothing" in capsys.readouterr().err

"""A training run killed with SIGKILL resumes and finishes; Ctrl-C writes a checkpoint.

The run is `python -m vfx_nodes.cli.main train …` in a subprocess, exactly what a farm
task or an artist starts.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

from test_train_loop import make_data

from vfx_nodes.train.checkpoint import latest_checkpoint, load_checkpoint


def _cmd(content: Path, style: Path, out: Path, steps: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "vfx_nodes.cli.main", "train", "--content", str(content),
            "--style", str(style), "--out", str(out), "--steps", str(steps), "--size", "32",
            "--batch", "1", "--arch", "johnson-small", "--checkpoint-every", "2",
            "--eval-every", "4", "--content-layer", "relu2_1", "--style-layers", "relu1_1", "relu2_1",
            "--warmup", "1", *extra]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = "1"  # two cores shared with other jobs
    return env


def _wait_for(path_glob: Path, proc: subprocess.Popen, timeout: float = 240.0) -> Path:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        found = sorted(path_glob.parent.glob(path_glob.name)) if path_glob.parent.is_dir() else []
        if found:
            return found[0]
        if proc.poll() is not None:
            _out, err = proc.communicate()
            pytest.fail(f"training exited early ({proc.returncode}): {err[-2000:]}")
        time.sleep(0.2)
    proc.kill()
    pytest.fail("no checkpoint appeared")


@pytest.mark.slow
def test_sigkill_then_resume_finishes_at_the_requested_step(tmp_path):
    from vfx_nodes.model import load_look

    content, style = make_data(tmp_path / "data")
    out = tmp_path / "look.safetensors"
    work = tmp_path / "look.train"
    proc = subprocess.Popen(_cmd(content, style, out, 10, "--quiet"), env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(work / "checkpoint-*.safetensors", proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    killed_at = load_checkpoint(latest_checkpoint(work))[1]["step"]
    assert 2 <= killed_at < 10
    for ckpt in work.glob("checkpoint-*.safetensors"):  # atomic writes: every final name is whole
        load_checkpoint(ckpt)
    done = subprocess.run(_cmd(content, style, out, 10, "--resume", "--quiet"), env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "trained 10 steps" in done.stdout
    _tensors, state = load_checkpoint(latest_checkpoint(work))
    assert state["step"] == 10
    look = load_look(out)
    assert look.metadata["training"]["steps"] in (4, 8, 10)
    assert load_look(work / "last.safetensors").metadata["training"]["steps"] == 10
    steps = [json.loads(x)["step"] for x in (work / "metrics.jsonl").read_text().splitlines()
             if json.loads(x)["kind"] == "eval"]
    assert steps == sorted(set(steps)) and steps[-1] == 10  # every evaluation once, in order


@pytest.mark.slow
def test_ctrl_c_writes_a_checkpoint_before_exiting(tmp_path):
    content, style = make_data(tmp_path / "data")
    out = tmp_path / "look.safetensors"
    work = tmp_path / "look.train"
    proc = subprocess.Popen(_cmd(content, style, out, 400, "--quiet", "--checkpoint-every", "1000"),
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(work / "sheets" / "step-00000004.png", proc)  # training is under way
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    m = re.search(r"interrupted at step (\d+)", err)
    assert m, err[-2000:]
    step = int(m.group(1))
    path = latest_checkpoint(work)
    assert path is not None and load_checkpoint(path)[1]["step"] == step >= 4


def test_the_library_raises_where_to_resume_and_does_not_print():
    """Issue 15.3: library code printed to stderr; the CLI owns the terminal now."""
    import inspect

    import vfx_nodes.train.loop as loop
    from vfx_nodes.errors import TrainingDivergedError, TrainingInterrupted, VfxNodesError

    stop = TrainingInterrupted(12, "ckpt.safetensors")
    assert isinstance(stop, KeyboardInterrupt) and stop.step == 12 and "ckpt" in str(stop)
    assert issubclass(TrainingDivergedError, VfxNodesError)
    assert "print(" not in inspect.getsource(loop)

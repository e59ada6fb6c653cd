"""The training loop's schedule and state, run with fake steps (no network, no data)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from vfx_nodes.train.state import LoopSchedule, TrainState, training_loop


class Fakes:
    """A step that counts, and records of what the loop asked for."""

    def __init__(self, state: TrainState, losses: dict[str, float] | None = None):
        self.state = state
        self.losses = losses or {"content": 1.0, "style": 2.0, "tv": 0.1, "total": 3.1}
        self.evals: list[int] = []
        self.checkpoints: list[int] = []
        self.records: list[dict] = []
        self.shown: list[tuple[int, dict]] = []

    def step(self) -> dict[str, float]:
        self.state.step += 1
        return dict(self.losses)

    def evaluate(self) -> None:
        self.evals.append(self.state.step)

    def checkpoint(self) -> Path:
        self.checkpoints.append(self.state.step)
        return Path(f"checkpoint-{self.state.step:08d}.safetensors")

    def run(self, schedule: LoopSchedule, **kw):
        return training_loop(self.state, schedule, step=self.step, evaluate=self.evaluate,
                             checkpoint=self.checkpoint, record=self.records.append,
                             show=lambda n, losses: self.shown.append((n, losses)), **kw)


def test_schedule_logs_evaluates_and_checkpoints_on_its_multiples_and_the_last_step():
    f = Fakes(TrainState())
    out = f.run(LoopSchedule(steps=7, log_every=2, eval_every=3, checkpoint_every=5))
    assert f.state.step == 7 and not out.interrupted and not out.time_up
    assert [r["step"] for r in f.records] == [2, 4, 6, 7]
    assert f.records[0] == {"kind": "train", "step": 2, "content": 1.0, "style": 2.0, "tv": 0.1, "total": 3.1}
    assert f.evals == [3, 6, 7] and f.checkpoints == [5, 7]
    assert out.checkpoint == Path("checkpoint-00000007.safetensors")
    assert [n for n, _ in f.shown] == list(range(1, 8)) and f.shown[0][1] == {"content": 1.0, "style": 2.0}


def test_a_resumed_state_continues_where_it_was():
    f = Fakes(TrainState(step=5))
    f.run(LoopSchedule(steps=7, eval_every=100, checkpoint_every=100))
    assert f.state.step == 7 and f.evals == [7] and f.checkpoints == [7]
    f = Fakes(TrainState(step=7))
    out = f.run(LoopSchedule(steps=7))
    assert f.evals == [] and out.losses == {} and not out.interrupted


def test_stop_here_stops_without_time_up():
    f = Fakes(TrainState())
    out = f.run(LoopSchedule(steps=10, checkpoint_every=4), stop_here=lambda n: n >= 3)
    assert f.state.step == 3 and out.interrupted and not out.time_up
    assert out.checkpoint is None  # the caller writes the exit checkpoint


def test_a_signal_stops_after_the_step():
    f = Fakes(TrainState())
    out = f.run(LoopSchedule(steps=10), signalled=lambda: f.state.step == 2)
    assert f.state.step == 2 and out.interrupted and not out.time_up


def test_the_time_limit_stops_with_time_up():
    f = Fakes(TrainState())
    clock = iter(range(0, 1000, 30))  # 30 s a step; limit 1.5 min → stops after step 4
    out = f.run(LoopSchedule(steps=10, time_limit=1.5), elapsed=lambda: float(next(clock)))
    assert f.state.step == 4 and out.interrupted and out.time_up


def test_a_stop_on_the_last_step_is_no_interruption():
    f = Fakes(TrainState())
    out = f.run(LoopSchedule(steps=3, time_limit=0.0), stop_here=lambda n: n == 3, elapsed=lambda: 1e9)
    # every step is past the time limit, so the loop stops after step 1 ...
    assert f.state.step == 1 and out.interrupted and out.time_up
    f = Fakes(TrainState())
    out = f.run(LoopSchedule(steps=3), stop_here=lambda n: n == 3)
    # ... but a stop asked for at the last step is a finished run
    assert f.state.step == 3 and not out.interrupted and f.checkpoints == [3]


def test_ranks_agree_on_the_stop():
    """A distributed run stops where any rank asks (``agree`` is the all-reduce)."""
    f = Fakes(TrainState())
    asked: list[bool] = []

    def agree(stop: bool) -> bool:
        asked.append(stop)
        return len(asked) == 2  # "the other rank" wants to stop at step 2

    out = f.run(LoopSchedule(steps=5), agree=agree)
    assert f.state.step == 2 and out.interrupted and asked == [False, False]


def test_nan_losses_are_logged_as_null():
    f = Fakes(TrainState(), losses={"content": float("nan"), "total": float("inf")})
    f.run(LoopSchedule(steps=1))
    assert json.dumps(f.records[0], allow_nan=False) == '{"kind": "train", "step": 1, "content": null, "total": null}'


def test_state_round_trips_through_checkpoint_json():
    st = TrainState(step=12, best_score=0.5, best_step=10, last_eval={"step": 10, "score": 0.5}, elapsed=30.0)
    data = json.loads(json.dumps(st.to_json(elapsed_now=12.5)))
    assert data["elapsed"] == 42.5
    back = TrainState.from_json(data)
    assert back == TrainState(step=12, best_score=0.5, best_step=10, last_eval={"step": 10, "score": 0.5},
                              elapsed=42.5)
    fresh = TrainState()
    assert fresh.to_json()["best_score"] is None  # strict JSON: no Infinity
    assert math.isinf(TrainState.from_json(fresh.to_json()).best_score)
    assert TrainState.from_json({"step": 3}) == TrainState(step=3)  # an older checkpoint


def test_step_errors_propagate():
    def diverged() -> dict[str, float]:
        raise FloatingPointError("diverged")

    with pytest.raises(FloatingPointError):
        training_loop(TrainState(), LoopSchedule(steps=2), step=diverged, evaluate=lambda: None,
                      checkpoint=lambda: None, record=lambda r: None)

"""A training run's state and its loop, apart from what one step does.

:func:`vfx_nodes.train.train` is three parts (docs/ARCHITECTURE.md, "Training"):

1. **plan** — :func:`vfx_nodes.train.config.plan_training`: settings resolved and checked,
   files listed and split, before any work;
2. **state** — :class:`TrainState`: the counters a checkpoint's JSON records (step,
   best score and step, the last evaluation, time trained); the weights and optimiser
   moments are the checkpoint's tensors;
3. **loop** — :func:`training_loop`: the schedule (log, evaluate, checkpoint, stop on a
   signal, a caller's cancel, ``stop_at`` or the time limit), which receives the step,
   evaluate and checkpoint functions explicitly, so a test can run it with fakes and
   the adversarial step (:meth:`vfx_nodes.train.loop.TrainRun.train_step`) knows nothing
   of schedules.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["LoopOutcome", "LoopSchedule", "TrainState", "json_number", "training_loop"]


def json_number(x: float) -> float | None:
    """``x`` as JSON can hold it: ``None`` for NaN and ±inf (the metrics log and the
    checkpoint are strict JSON)."""
    return float(x) if math.isfinite(x) else None


@dataclasses.dataclass
class TrainState:
    """The progress of a run, as its checkpoints record it.

    Attributes:
        step: optimisation steps done.
        best_score: the best evaluation score so far (``inf`` before the first kept one).
        best_step: its step (−1: none yet).
        last_eval: the last evaluation record (``metrics.jsonl``'s ``"eval"`` line).
        elapsed: seconds trained by earlier processes of this run (a resumed run adds
            its own).
    """

    step: int = 0
    best_score: float = math.inf
    best_step: int = -1
    last_eval: dict[str, Any] = dataclasses.field(default_factory=dict)
    elapsed: float = 0.0

    def to_json(self, elapsed_now: float = 0.0) -> dict[str, Any]:
        """The checkpoint's JSON fields (``best_score`` ``None`` while infinite: JSON has
        no infinity); ``elapsed_now`` is this process's training time so far."""
        return {"step": self.step, "best_score": json_number(self.best_score), "best_step": self.best_step,
                "last_eval": self.last_eval, "elapsed": self.elapsed + elapsed_now}

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> TrainState:
        """The state a checkpoint recorded (fields an older checkpoint lacks take their
        defaults)."""
        best = state.get("best_score")
        return cls(step=int(state["step"]), best_score=math.inf if best is None else float(best),
                   best_step=int(state.get("best_step", -1)), last_eval=dict(state.get("last_eval") or {}),
                   elapsed=float(state.get("elapsed", 0.0)))


@dataclasses.dataclass(frozen=True)
class LoopSchedule:
    """When the loop logs, evaluates, checkpoints and stops (a :class:`TrainConfig`'s
    ``steps``, ``log_every``, ``eval_every``, ``checkpoint_every``, ``time_limit``)."""

    steps: int
    log_every: int = 10
    eval_every: int = 100
    checkpoint_every: int = 100
    time_limit: float | None = None  # minutes

    @classmethod
    def of(cls, config: Any) -> LoopSchedule:
        return cls(steps=config.steps, log_every=config.log_every, eval_every=config.eval_every,
                   checkpoint_every=config.checkpoint_every, time_limit=config.time_limit)


@dataclasses.dataclass
class LoopOutcome:
    """How :func:`training_loop` ended.

    Attributes:
        interrupted: it stopped before ``steps`` (a signal, a cancel, ``stop_at`` or the
            time limit).
        time_up: the time limit stopped it.
        checkpoint: the last checkpoint the loop wrote (``None``: none).
        losses: the last step's losses.
    """

    interrupted: bool = False
    time_up: bool = False
    checkpoint: Path | None = None
    losses: dict[str, float] = dataclasses.field(default_factory=dict)


#: the losses the progress line shows, when a step reports them
SHOWN = ("content", "style", "adv", "d_acc")


def training_loop(
    state: TrainState,
    schedule: LoopSchedule,
    *,
    step: Callable[[], dict[str, float]],
    evaluate: Callable[[], Any],
    checkpoint: Callable[[], Path | None],
    record: Callable[[dict[str, Any]], None],
    show: Callable[[int, dict[str, float]], None] = lambda step, losses: None,
    elapsed: Callable[[], float] = lambda: 0.0,
    signalled: Callable[[], bool] = lambda: False,
    stop_here: Callable[[int], bool] = lambda step: False,
    agree: Callable[[bool], bool] = lambda stop: stop,
) -> LoopOutcome:
    """Run ``step`` until ``state.step`` reaches ``schedule.steps`` or something stops it.

    After each step (which advances ``state.step`` and returns its losses): every
    ``log_every`` steps the losses go to ``record`` (``{"kind": "train", "step", ...}``),
    ``show`` updates the progress line, every ``eval_every`` steps ``evaluate()`` runs,
    every ``checkpoint_every`` steps ``checkpoint()`` (the last step always does all
    three).  Then the loop stops when ``signalled()`` (Ctrl-C / SIGTERM), ``stop_here(step)``
    (``stop_at``, the Look Lab's Cancel) or ``elapsed()`` passes the time limit says so;
    ``agree`` makes every rank of a distributed run stop at the same step.  A step is
    never cut in half, so the checkpoint written on the way out is consistent.

    Args:
        state: the run's state (``state.step`` is where the loop starts).
        schedule: the run's schedule.
        step: one optimisation step; advances ``state.step``; returns the losses.
        evaluate: evaluate and keep the best look.
        checkpoint: write a checkpoint; returns its path (``None`` on other ranks).
        record: append a record to the metrics log.
        show: update the progress line with the step and the shown losses.
        elapsed: seconds this process has trained.
        signalled: a stop signal arrived.
        stop_here: stop after this step, as asked (no error).
        agree: the stop decision every rank agrees on (identity on one process).

    Returns:
        A :class:`LoopOutcome`; the caller saves the last look, evaluates a timed-out
        run's last weights and raises for a signal.
    """
    outcome = LoopOutcome()
    while state.step < schedule.steps:
        outcome.losses = losses = step()
        n = state.step
        last = n == schedule.steps
        if n % schedule.log_every == 0 or last:
            record({"kind": "train", "step": n, **{k: json_number(v) for k, v in losses.items()}})
        show(n, {k: losses[k] for k in SHOWN if k in losses})
        if n % schedule.eval_every == 0 or last:
            evaluate()
        if n % schedule.checkpoint_every == 0 or last:
            outcome.checkpoint = checkpoint()
        out_of_time = schedule.time_limit is not None and elapsed() >= 60.0 * schedule.time_limit
        asked = stop_here(n)
        by_signal = signalled()
        if agree(by_signal or asked or out_of_time) and not last:
            outcome.interrupted = True
            outcome.time_up = not by_signal and not asked
            break
    return outcome

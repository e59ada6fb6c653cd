"""Training's progress line: step, losses, it/s, ETA — printed by the project's one
printer, :class:`vfx_nodes.policy.progress.ProgressLine` (a few redraws a second on a
terminal; one full line every ``log_every_s`` seconds in a farm log).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TextIO

from ..policy.progress import ProgressFn, ProgressLine, format_duration

__all__ = ["CallbackProgress", "Progress", "as_progress", "format_duration"]


class Progress(ProgressLine):
    """Prints ``step N/T  loss=… it/s ETA`` as training goes.

    Args:
        total: the final step.
        start: the step training starts (resumes) at, for the rate and ETA.
        stream: where to print (default ``sys.stderr``).
        tty: force terminal behaviour on or off (default: ``stream.isatty()``).
        log_every_s: seconds between lines when not on a terminal.
        enabled: ``False`` prints nothing (ranks other than 0 of a DDP run).
    """

    def __init__(self, total: int, start: int = 0, *, stream: TextIO | None = None,
                 tty: bool | None = None, log_every_s: float = 30.0, min_redraw_s: float = 0.2,
                 enabled: bool = True, clock=time.monotonic) -> None:
        super().__init__(stream, tty=tty, log_every_s=log_every_s, min_redraw_s=min_redraw_s,
                         enabled=enabled, clock=clock)
        self.total = int(total)
        self.start = int(start)
        self._t0 = clock()

    def rate(self, step: int) -> float:
        """Steps per second since start."""
        dt = self._clock() - self._t0
        return (step - self.start) / dt if dt > 0 else 0.0

    def line(self, step: int, values: Mapping[str, float] | None = None,
             fraction: float | None = None) -> str:
        """The text shown for ``step`` with ``values`` (name → number).

        ``fraction``: the share of the whole job's cost done (0–1), when steps differ in
        cost (a coarse-to-fine pyramid); the ETA then follows it instead of the step
        count."""
        rate = self.rate(step)
        eta = (self.total - step) / rate if rate > 0 else float("nan")
        if fraction is not None and fraction > 0:
            eta = (self._clock() - self._t0) * (1.0 - min(fraction, 1.0)) / fraction
        parts = [f"step {step}/{self.total}"]
        for k, v in (values or {}).items():
            parts.append(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}")
        parts.append(f"{rate:.2f} it/s" if rate >= 0.1 or rate == 0 else f"{1 / rate:.1f} s/it")
        parts.append(f"ETA {format_duration(eta)}")
        return "  ".join(parts)

    def update(self, step: int, values: Mapping[str, float] | None = None, *, force: bool = False,
               fraction: float | None = None) -> None:
        """Show progress at ``step``; rate-limited unless ``force`` or the last step
        (``fraction``: see :meth:`line`)."""
        if self.enabled:
            self.show(self.line(step, values, fraction), force=force or step >= self.total)


class CallbackProgress(Progress):
    """Training's progress through the one protocol, ``progress(fraction, message)``
    (:mod:`vfx_nodes.policy.progress`): every update calls ``fn(step / total, line)`` with
    the line :class:`Progress` would print (step, losses, rate, ETA); nothing is printed."""

    def __init__(self, total: int, fn: ProgressFn, start: int = 0) -> None:
        super().__init__(total, start, enabled=True)
        self.fn = fn
        self._fraction = 0.0

    def show(self, text: str, *, force: bool = False) -> bool:
        return True  # never printed: update() hands the line to fn

    def update(self, step: int, values: Mapping[str, float] | None = None, *, force: bool = False,
               fraction: float | None = None) -> None:
        done = fraction if fraction is not None else (step / self.total if self.total else 1.0)
        self._fraction = min(max(float(done), 0.0), 1.0)
        self.fn(self._fraction, self.line(step, values, fraction))

    def message(self, text: str) -> None:
        """A result line (an evaluation: its losses and read) goes to ``fn`` too."""
        self.fn(self._fraction, text)

    def close(self) -> None:
        pass


def as_progress(progress: bool | Progress | ProgressFn | None, total: int, *, enabled: bool = True) -> Progress:
    """A run's progress line from what a caller passed: a :class:`Progress` as it is; a
    callable ``progress(fraction, message)`` (the one protocol) wrapped in a
    :class:`CallbackProgress`; ``True`` prints to stderr; ``False``/``None`` is quiet."""
    if isinstance(progress, Progress):
        return progress
    if callable(progress) and not isinstance(progress, bool):
        return CallbackProgress(total, progress)
    return Progress(total, enabled=bool(progress) and enabled)

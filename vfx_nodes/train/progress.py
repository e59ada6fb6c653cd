"""A one-line progress printer (no tqdm dependency).

On a terminal it redraws one line with ``\\r`` (step, losses, it/s, ETA) at most a few
times a second; when the stream is not a terminal (a farm log, a pipe) it stays quiet
except for one full line every ``log_every_s`` seconds, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import TextIO

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``75`` → ``"1:15"``, ``3725`` → ``"1:02:05"``; unknown → ``"?"``."""
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "?"
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
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
        self.total = int(total)
        self.start = int(start)
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty()) if tty is None and callable(isatty) else bool(tty)
        self.log_every_s = log_every_s
        self.min_redraw_s = min_redraw_s
        self.enabled = enabled
        self._clock = clock
        self._t0 = clock()
        self._last = -float("inf")
        self._width = 0
        self.lines = 0

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
        """Show progress at ``step``; rate-limited unless ``force`` (``fraction``: see :meth:`line`)."""
        if not self.enabled:
            return
        now = self._clock()
        wait = self.min_redraw_s if self.tty else self.log_every_s
        if not force and now - self._last < wait and step < self.total:
            return
        self._last = now
        text = self.line(step, values, fraction)
        if self.tty:
            pad = max(0, self._width - len(text))
            self.stream.write("\r" + text + " " * pad)
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.lines += 1
        self.stream.flush()

    def message(self, text: str) -> None:
        """Print a full line (an evaluation result) without breaking the progress line."""
        if not self.enabled:
            return
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
            self._last = -float("inf")
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the progress line."""
        if self.enabled and self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

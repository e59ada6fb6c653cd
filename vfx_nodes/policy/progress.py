"""The one progress printer of the project (no tqdm dependency), and duration formatting.

:class:`ProgressLine` owns the terminal: on a terminal it redraws one line with ``\\r`` (at
most every ``min_redraw_s``); when the stream is not a terminal (a farm log, a pipe) it
prints full lines, at most one every ``log_every_s`` seconds, so logs stay readable. What a
line *says* is the caller's: training (:class:`vfx_nodes.train.progress.Progress`: step,
losses, it/s, ETA) and rendering (:class:`vfx_nodes.engine.sequence.ProgressBar`: a bar,
frames per second, ETA) format their own text and hand it to :meth:`ProgressLine.show`.
Library code never creates one on its own behalf: the command line does, and passes it in.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

__all__ = ["ProgressLine", "format_duration"]


def format_duration(seconds: float) -> str:
    """``75`` → ``"1:15"``, ``3725`` → ``"1:02:05"``; unknown → ``"?"``."""
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "?"
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressLine:
    """One progress line on ``stream``.

    Args:
        stream: where to print (default ``sys.stderr``).
        tty: force terminal behaviour on or off (default: ``stream.isatty()``).
        log_every_s: seconds between lines when not on a terminal (0: every update).
        min_redraw_s: seconds between redraws on a terminal (0: every update).
        enabled: ``False`` prints nothing (ranks other than 0 of a DDP run).
        clock: the time source (tests pass a fake).
    """

    def __init__(self, stream: IO[str] | None = None, *, tty: bool | None = None, log_every_s: float = 0.0,
                 min_redraw_s: float = 0.0, enabled: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty()) if tty is None and callable(isatty) else bool(tty)
        self.log_every_s = log_every_s
        self.min_redraw_s = min_redraw_s
        self.enabled = enabled
        self._clock = clock
        self._last = -float("inf")
        self._width = 0
        self.lines = 0

    def show(self, text: str, *, force: bool = False) -> bool:
        """Show ``text`` as the progress line (rate-limited unless ``force``); returns
        whether it was printed."""
        if not self.enabled:
            return False
        now = self._clock()
        wait = self.min_redraw_s if self.tty else self.log_every_s
        if not force and now - self._last < wait:
            return False
        self._last = now
        if self.tty:
            pad = max(0, self._width - len(text))
            self.stream.write("\r" + text + " " * pad)
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.lines += 1
        self.stream.flush()
        return True

    def message(self, text: str) -> None:
        """Print a full line (a result) without breaking the progress line."""
        if not self.enabled:
            return
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
            self._last = -float("inf")
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the progress line (harmless twice)."""
        if self.enabled and self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

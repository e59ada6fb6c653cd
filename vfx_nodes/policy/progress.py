"""The one progress printer of the project (no tqdm dependency), and duration formatting.

:class:`ProgressLine` owns the terminal: on a terminal it redraws one line with ``\\r`` (at
most every ``min_redraw_s``); when the stream is not a terminal (a farm log, a pipe) it
prints full lines, at most one every ``log_every_s`` seconds, so logs stay readable. What a
line *says* is the caller's: training (:class:`vfx_nodes.train.progress.Progress`: step,
losses, it/s, ETA) and rendering (:class:`vfx_nodes.engine.sequence.ProgressBar`: a bar,
frames per second, ETA) format their own text and hand it to :meth:`ProgressLine.show`.
Library code never creates one on its own behalf: the command line does, and passes it in.

**The one progress protocol.** Every long call — ``stylize``, ``render_sequence``,
``write_movie`` / ``movie_from_sequence``, ``optimize_plate``, ``train``,
``train_keyframe_look`` — takes ``progress(fraction, message)`` (:data:`ProgressFn`:
the share of the whole call done, 0–1, and one line saying where it is) and ``cancel``
(:data:`CancelFn`: a callable returning ``True``, or a :class:`threading.Event`; the
call stops at its next safe point). The callbacks of before 0.9 — ``progress(fraction)``
for ``stylize``, ``progress(done, total, frame)`` for rendering and movies — still work
for one release, with a :class:`DeprecationWarning` (:func:`progress_callback`).
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import IO, Any

__all__ = ["CancelFn", "ProgressFn", "ProgressLine", "cancelled", "format_duration", "frame_progress",
           "progress_callback"]

#: ``progress(fraction, message)``: the share of the call done (0–1) and where it is.
ProgressFn = Callable[[float, str], Any]
#: ``cancel()`` → ``True`` to stop at the next safe point, or a :class:`threading.Event`.
CancelFn = Callable[[], bool] | threading.Event | None


def cancelled(cancel: CancelFn) -> bool:
    """Whether ``cancel`` (a callable or an Event, or ``None``) asks to stop.

    Raises:
        SettingsError: ``cancel`` is neither (called up front, it checks the type before
            any work).
    """
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    if callable(cancel):
        return bool(cancel())
    from ..errors import SettingsError

    raise SettingsError(f"cancel must be a threading.Event or a callable, got {type(cancel).__name__}")


def _positional(fn: Callable[..., Any]) -> int:
    """How many positional arguments ``fn`` takes (``-1``: any number, ``*args``)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: assume the protocol
        return 2
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return -1
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def progress_callback(progress: Any, where: str, old_arity: int) -> tuple[ProgressFn | None, Any]:
    """``(new, old)``: ``progress`` as a :data:`ProgressFn`, or — a callback of the form
    before 0.9, taking ``old_arity`` arguments — ``(None, progress)`` with a
    :class:`DeprecationWarning` (the caller keeps calling it the old way for one release).
    """
    if progress is None:
        return None, None
    if old_arity != 2 and _positional(progress) == old_arity:
        warnings.warn(f"{where}: a progress callback with {old_arity} argument(s) is deprecated; pass "
                      "progress(fraction, message)", DeprecationWarning, stacklevel=3)
        return None, progress
    return progress, None


def format_duration(seconds: float) -> str:
    """``75`` → ``"1:15"``, ``3725`` → ``"1:02:05"``; unknown → ``"?"``."""
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "?"
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def frame_progress(progress: Any, where: str) -> Callable[[int, int | None, int | None], None]:
    """``tell(done, total, frame)`` for a loop over frames, reporting through the one
    protocol — ``progress(done / total, "frame F (done/total)")``, ``(0.0, "0/N frames")``
    at the start — or, for a callback of the form before 0.9, ``progress(done, total,
    frame)`` (with a DeprecationWarning). ``total`` may be ``None`` (unknown): the
    fraction is then 0 until the end."""
    new, old = progress_callback(progress, where, 3)

    def tell(done: int, total: int | None, frame: int | None) -> None:
        if new is not None:
            of = f"/{total}" if total else ""
            where_now = f"frame {frame} ({done}{of})" if frame is not None else f"{done}{of} frames"
            new(done / total if total else 0.0, where_now)
        elif old is not None:
            old(done, total, frame)
    return tell


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

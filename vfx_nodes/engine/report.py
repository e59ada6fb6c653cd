"""What a render did, and its progress line: :class:`RenderReport` and :class:`ProgressBar`
(:func:`vfx_nodes.engine.sequence.render_sequence` returns the one and drives the other;
both are re-exported there)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import IO

from ..policy.frames import format_frames
from ..policy.progress import ProgressLine, format_duration

__all__ = ["ProgressBar", "RenderReport"]


@dataclasses.dataclass(frozen=True)
class RenderReport:
    """What :func:`render_sequence` did.

    Attributes:
        input: the input pattern.
        output: the output pattern.
        frames: the frames this call was responsible for (the chunk, or the whole range).
        rendered: frames rendered and written by this call.
        skipped: frames whose output already existed (resume); empty with ``overwrite``.
        missing: frames whose input does not exist (only with ``skip_missing``).
        cancelled: whether the render stopped early because it was cancelled.
        seconds: wall-clock time of the call.
        stats: ``"frame"``, ``"shot"`` (collected), ``"file"`` (loaded from
            ``stats_file``) or ``"given"`` (a NormStats passed in).
        stats_frames: the frames shot statistics were collected from (empty otherwise).
        chunk: ``(K, N)`` when a chunk was rendered.
        stylised: what was stylised in each frame of a multi-part or multi-view shot
            (one line per part/view; empty for ordinary plates: their main RGB).
        carried: what was carried through unchanged in such a shot.
        temporal: the temporal settings used (``{"temporal": "vectors", ...}``; empty = off).
        prerolled: frames rendered and thrown away to lead into this call's first frame
            (a chunk's pre-roll with ``temporal``).
    """

    input: str
    output: str
    frames: tuple[int, ...]
    rendered: tuple[int, ...] = ()
    skipped: tuple[int, ...] = ()
    #: frames whose output existed but was not a complete file, rendered again
    redone: tuple[int, ...] = ()
    missing: tuple[int, ...] = ()
    cancelled: bool = False
    seconds: float = 0.0
    stats: str = "frame"
    stats_frames: tuple[int, ...] = ()
    chunk: tuple[int, int] | None = None
    stylised: tuple[str, ...] = ()
    carried: tuple[str, ...] = ()
    temporal: Mapping[str, str] = dataclasses.field(default_factory=dict)
    prerolled: tuple[int, ...] = ()

    @property
    def remaining(self) -> tuple[int, ...]:
        """Frames neither rendered, skipped nor missing (left over by a cancel)."""
        done = set(self.rendered) | set(self.skipped) | set(self.missing)
        return tuple(f for f in self.frames if f not in done)

    @property
    def complete(self) -> bool:
        """True when every frame of :attr:`frames` has an output (rendered or skipped)."""
        return not self.missing and not self.remaining

    def summary(self) -> str:
        """One human line: counts, frames per second, time, and the missing frames."""
        fps = len(self.rendered) / self.seconds if self.seconds > 0 and self.rendered else 0.0
        text = (f"rendered {len(self.rendered)}, skipped {len(self.skipped)} (already done), "
                f"missing {len(self.missing)} of {len(self.frames)} frames in "
                f"{format_duration(self.seconds)} ({fps:.2f} fps), {self.stats} statistics")
        if self.chunk:
            text += f", chunk {self.chunk[0]}/{self.chunk[1]}"
        if self.temporal:
            text += f", temporal {self.temporal['temporal']} (weight {self.temporal['temporal_weight']})"
            if self.prerolled:
                text += f" after a pre-roll of {len(self.prerolled)} frames"
        if self.redone:
            text += (f"; rendered again {len(self.redone)} damaged output(s) (empty, truncated or not an "
                     f"image): {format_frames(self.redone)}")
        if self.missing:
            text += f"; missing input frames: {format_frames(self.missing)}"
        if self.cancelled:
            text += f"; CANCELLED with {len(self.remaining)} frames left ({format_frames(self.remaining) or '-'})"
        if self.stylised:
            text += "; stylised: " + "; ".join(self.stylised)
            text += "; carried unchanged: " + ("; ".join(self.carried) if self.carried else "nothing else")
        return text


# --- progress -------------------------------------------------------------------------------


class ProgressBar(ProgressLine):
    """A progress line for any call of the one protocol, ``progress(fraction, message)``
    (:mod:`vfx_nodes.policy.progress`): the render's frames, a review movie's frames —
    printed by the project's one printer (:class:`vfx_nodes.policy.progress.ProgressLine`).

    On a terminal it redraws one line with ``\\r``; elsewhere (farm logs, pipes) it prints
    one plain line per update, which log collectors keep. No third-party dependency.

    Args:
        stream: where to print (default ``sys.stderr``).
        label: word in front of the bar.
        tty: force terminal (``True``) or plain-line (``False``) mode; default: ask the
            stream's ``isatty()``.
        width: characters of the bar itself.

    ``(0.0, message)`` marks the start (the clock for the ETA starts there; a log gets no
    line for it).
    """

    def __init__(self, stream: IO[str] | None = None, *, label: str = "render",
                 tty: bool | None = None, width: int = 24):
        super().__init__(stream, tty=tty)  # every update is shown: no rate limit
        self.label = label
        self.width = int(width)
        self._start: float | None = None

    def line(self, fraction: float, message: str) -> str:
        """The text shown for this state (without ``\\r`` or newline)."""
        now = time.perf_counter()
        if self._start is None:
            self._start = now
        elapsed = now - self._start
        f = min(max(float(fraction), 0.0), 1.0)
        eta = format_duration(elapsed * (1.0 - f) / f) if f > 0 else "--:--"
        filled = int(self.width * f)
        bar = "#" * filled + "." * (self.width - filled)
        return f"{self.label} [{bar}] {message}  elapsed {format_duration(elapsed)}  ETA {eta}"

    def __call__(self, fraction: float, message: str = "") -> None:
        if fraction <= 0:
            self._start = time.perf_counter()
        text = self.line(fraction, message)
        if self.tty or fraction > 0:  # a log gets no line for the start
            self.show(text, force=True)
        if self.tty and fraction >= 1:
            self.close()

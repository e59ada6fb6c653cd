"""Frame patterns, frame ranges and farm chunks: the pure bookkeeping of a shot.

The one frame grammar of the project: rendering (:mod:`vfx_nodes.engine.sequence`,
``vfx-style render`` / ``movie``), training (:mod:`vfx_nodes.train.data`), the nodes and
the Look Lab all read patterns here, so every command accepts the same spellings.
Nothing here reads an image or imports torch.

Frame patterns
    A sequence is named by a path with **one** frame token in its file name:

    ============  ======================================  ==========================
    token         meaning                                 ``plate.<token>.exr``, 1001
    ============  ======================================  ==========================
    ``####``      one ``#`` per digit (Nuke)              ``plate.1001.exr``
    ``@@@@``      one ``@`` per digit (Nuke/Houdini)      ``plate.1001.exr``
    ``%04d``      printf style, ``%d`` = no padding       ``plate.1001.exr``
    ``$F4``       Houdini, ``$F`` = no padding            ``plate.1001.exr``
    ============  ======================================  ==========================

    Padding is a minimum width: frame 12345 in ``####`` is ``12345``. Negative frames
    keep the sign in front of the padded digits (``-001`` for ``####``), as Python's
    ``%04d`` and Nuke do. ``#`` meaning "4 digits per ``#``" (Shake, RV) is *not* used.

Frame ranges (``--frames``)
    Comma-separated items, each a frame ``1001``, a range ``1001-1100`` (inclusive) or a
    stepped range ``1001-1100x2`` (every 2nd frame from 1001; Nuke's spelling). Negative
    frames are allowed (``-5--1``). The result is sorted with duplicates removed, so
    ``1010-1020,1001,1005`` is the same shot as ``1001,1005,1010-1020``.

Chunks (``--chunk K/N``)
    The frames are split into ``N`` contiguous chunks whose sizes differ by at most one
    (the first ``len % N`` chunks take one frame more); ``K`` is **1-based**. Every frame
    is in exactly one chunk, so ``N`` farm tasks ``1/N`` … ``N/N`` render the shot once.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Sequence

from ..errors import FrameRangeError

__all__ = [
    "STILL_FRAME",
    "FramePattern",
    "StillPattern",
    "chunk_frames",
    "format_frames",
    "has_frame_token",
    "parse_chunk",
    "parse_frames",
    "parse_pattern",
    "sample_frames",
    "split_by_size",
    "still_pattern",
]

# One token in the file name: a run of '#', a run of '@', printf %d / %0Nd, Houdini $F / $FN.
_TOKEN_RE = re.compile(r"#+|@+|%0?(\d*)d|\$F(\d*)")
_ITEM_RE = re.compile(r"^\s*(-?\d+)(?:\s*-\s*(-?\d+)(?:\s*x\s*(\d+))?)?\s*$")
_CHUNK_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclasses.dataclass(frozen=True)
class FramePattern:
    """A sequence path with one frame token, e.g. ``shots/plate.####.exr``.

    Attributes:
        text: the pattern as given.
        prefix: everything before the token (folder included).
        padding: minimum number of digits (0 = none, for ``%d``).
        suffix: everything after the token (extension included).

    Example:
        >>> p = parse_pattern("out/beauty.%04d.exr")
        >>> p.path(1001), p.path(7), p.path(-3)
        ('out/beauty.1001.exr', 'out/beauty.0007.exr', 'out/beauty.-003.exr')
    """

    text: str
    prefix: str
    padding: int
    suffix: str

    def path(self, frame: int) -> str:
        """The file name of ``frame``."""
        return f"{self.prefix}{int(frame):0{self.padding}d}{self.suffix}"

    @property
    def folder(self) -> str:
        """The folder the frames live in (``"."`` for a bare file name)."""
        return os.path.dirname(self.prefix) or "."

    def paths(self, frames: Iterable[int]) -> list[str]:
        """The file names of ``frames``, in order."""
        return [self.path(f) for f in frames]

    def frame_of(self, path: str) -> int | None:
        """The frame number a path of this sequence stands for, or ``None``."""
        head, tail = self.prefix, self.suffix
        if not (path.startswith(head) and path.endswith(tail)) or len(path) < len(head) + len(tail):
            return None
        digits = path[len(head):len(path) - len(tail)]
        if not re.fullmatch(r"-?\d+", digits):
            return None
        frame = int(digits)
        return frame if self.path(frame) == path else None

    def on_disk(self) -> tuple[int, ...]:
        """The frames of this pattern that exist in its folder, sorted (an empty tuple
        when the folder cannot be listed)."""
        head = os.path.dirname(self.prefix)
        try:
            names = os.listdir(self.folder)
        except OSError:
            return ()
        found = {self.frame_of(os.path.join(head, n) if head else n) for n in names}
        return tuple(sorted(f for f in found if f is not None))

    def __str__(self) -> str:
        return self.text


@dataclasses.dataclass(frozen=True)
class StillPattern(FramePattern):
    """A single image (no frame token) rendered as a one-frame shot: every frame number
    names the file itself; its one frame is :data:`STILL_FRAME`."""

    def path(self, frame: int) -> str:
        """The file (whatever the frame)."""
        return self.text

    def frame_of(self, path: str) -> int | None:
        """:data:`STILL_FRAME` for the file itself, else ``None``."""
        return STILL_FRAME if path == self.text else None


#: the frame number a single still renders as
STILL_FRAME = 0


def has_frame_token(text: str | os.PathLike[str]) -> bool:
    """Whether ``text``'s file name holds a frame token (``####``, ``@@@@``, ``%04d``)."""
    return bool(_TOKEN_RE.search(os.path.basename(os.fspath(text))))


def still_pattern(text: str | os.PathLike[str]) -> StillPattern:
    """A single image path as a one-frame pattern (see :class:`StillPattern`).

    Raises:
        FrameRangeError: the name holds a frame token (it is a sequence).
    """
    text = os.fspath(text)
    if has_frame_token(text):
        raise FrameRangeError(f"{text!r} is a frame pattern, not a single image")
    return StillPattern(text=text, prefix=text, padding=0, suffix="")


def parse_pattern(text: str | os.PathLike[str]) -> FramePattern:
    """Parse a sequence path with one frame token (``####``, ``@@@@`` or ``%04d``).

    Args:
        text: the path; the token must be in the file name, not a folder name.

    Returns:
        The :class:`FramePattern`.

    Raises:
        FrameRangeError: no token, or more than one, or a token in a folder name.
    """
    text = os.fspath(text)
    folder, name = os.path.split(text)
    tokens = list(_TOKEN_RE.finditer(name))
    if not tokens:
        if _TOKEN_RE.search(folder):
            raise FrameRangeError(
                f"frame pattern {text!r}: the frame token must be in the file name, not the folder")
        raise FrameRangeError(
            f"frame pattern {text!r} has no frame token: write the frame number as #### "
            f"(one # per digit), @@@@ (one @ per digit) or %04d, e.g. plate.####.exr")
    if len(tokens) > 1:
        raise FrameRangeError(
            f"frame pattern {text!r} has {len(tokens)} frame tokens "
            f"({', '.join(t.group(0) for t in tokens)}); give exactly one")
    tok = tokens[0]
    if tok.group(0)[0] in "#@":
        padding = len(tok.group(0))
    elif tok.group(0).startswith("$F"):
        padding = int(tok.group(2) or 0)
    else:
        padding = int(tok.group(1) or 0)
    prefix = os.path.join(folder, name[:tok.start()]) if folder else name[:tok.start()]
    return FramePattern(text=text, prefix=prefix, padding=padding, suffix=name[tok.end():])


#: the most frames one range may hold (11½ hours at 24 fps): a longer range is a typo,
#: and materialising it would exhaust memory before any frame is rendered.
MAX_FRAMES = 1_000_000


def parse_frames(spec: str | int | Iterable[int]) -> tuple[int, ...]:
    """Parse a frame range such as ``1001-1100``, ``1001-1100x2`` or ``1001,1005,1010-1020``.

    Args:
        spec: the text, one frame number, or an iterable of frame numbers.

    Returns:
        The frames, sorted, without duplicates (never empty).

    Raises:
        FrameRangeError: empty or malformed text, an end before its start, a step < 1.

    Example:
        >>> parse_frames("1001-1009x4,1003")
        (1001, 1003, 1005, 1009)
    """
    if isinstance(spec, bool):
        raise FrameRangeError(f"frame range must be text or frame numbers, got {spec!r}")
    if isinstance(spec, int):
        return (int(spec),)
    if not isinstance(spec, str):
        try:
            frames = sorted({int(f) for f in spec})
        except (TypeError, ValueError) as exc:
            raise FrameRangeError(f"frame list must hold whole frame numbers, got {spec!r}") from exc
        if not frames:
            raise FrameRangeError("frame list is empty; give at least one frame")
        return tuple(frames)
    out: set[int] = set()
    items = spec.split(",")
    for item in items:
        m = _ITEM_RE.match(item)
        if not m:
            raise FrameRangeError(
                f"bad frame range {spec!r} (item {item.strip()!r}): valid forms are 1001, "
                f"1001-1100, 1001-1100x2 and comma-separated lists of those")
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) is not None else first
        step = int(m.group(3)) if m.group(3) is not None else 1
        if last < first:
            raise FrameRangeError(
                f"bad frame range {spec!r}: {item.strip()!r} ends before it starts; "
                f"write it as {last}-{first}")
        if step < 1:
            raise FrameRangeError(f"bad frame range {spec!r}: step in {item.strip()!r} must be ≥ 1")
        count = (last - first) // step + 1
        if len(out) + count > MAX_FRAMES:
            raise FrameRangeError(
                f"frame range {spec!r} holds more than {MAX_FRAMES:,} frames; a shot that long is "
                "a typo (render it in several ranges if it is not)")
        out.update(range(first, last + 1, step))
    return tuple(sorted(out))


def format_frames(frames: Iterable[int]) -> str:
    """The shortest text :func:`parse_frames` reads back as ``frames`` (sorted, unique).

    Runs of three or more equally spaced frames become ``a-b`` or ``a-bxS``.

    Example:
        >>> format_frames([1001, 1002, 1003, 1005, 1010, 1012, 1014])
        '1001-1003,1005,1010-1014x2'
    """
    fs = sorted({int(f) for f in frames})
    parts: list[str] = []
    i = 0
    while i < len(fs):
        j = i
        if i + 1 < len(fs):
            step = fs[i + 1] - fs[i]
            while j + 1 < len(fs) and fs[j + 1] - fs[j] == step:
                j += 1
        if j - i >= 2 or (j - i == 1 and fs[j] - fs[i] == 1):
            step = fs[i + 1] - fs[i]
            parts.append(f"{fs[i]}-{fs[j]}" + (f"x{step}" if step != 1 else ""))
            i = j + 1
        else:
            parts.append(str(fs[i]))
            i += 1
    return ",".join(parts)


def parse_chunk(spec: str | tuple[int, int]) -> tuple[int, int]:
    """Parse ``"K/N"`` (1-based chunk K of N) into ``(K, N)``.

    Raises:
        FrameRangeError: malformed text, ``N < 1`` or ``K`` outside ``1..N``.
    """
    if isinstance(spec, str):
        m = _CHUNK_RE.match(spec)
        if not m:
            raise FrameRangeError(
                f"bad chunk {spec!r}: write K/N, the K-th of N chunks counting from 1 (e.g. 3/10)")
        k, n = int(m.group(1)), int(m.group(2))
    else:
        try:
            k, n = (int(v) for v in spec)
        except (TypeError, ValueError) as exc:
            raise FrameRangeError(f"bad chunk {spec!r}: give (K, N) or 'K/N'") from exc
    if n < 1 or not 1 <= k <= n:
        raise FrameRangeError(f"bad chunk {k}/{n}: K must be between 1 and N (chunks count from 1)")
    return k, n


def chunk_frames(frames: Sequence[int], chunk: str | tuple[int, int]) -> tuple[int, ...]:
    """The frames of chunk ``K/N``: the K-th of N contiguous, near-equal chunks.

    Args:
        frames: the whole shot's frames (as from :func:`parse_frames`).
        chunk: ``"K/N"`` or ``(K, N)``, 1-based.

    Returns:
        The chunk's frames; empty when there are more chunks than frames and ``K`` is
        past the last frame (that task has nothing to do, which is not an error).

    Example:
        >>> [chunk_frames(range(1, 11), f"{k}/3") for k in (1, 2, 3)]
        [(1, 2, 3, 4), (5, 6, 7), (8, 9, 10)]
    """
    k, n = parse_chunk(chunk)
    fs = tuple(frames)
    base, extra = divmod(len(fs), n)
    start = (k - 1) * base + min(k - 1, extra)
    size = base + (1 if k <= extra else 0)
    return fs[start:start + size]


def split_by_size(frames: Sequence[int], size: int) -> list[tuple[int, ...]]:
    """Split ``frames`` into contiguous chunks of ``size`` frames (the last may be shorter)."""
    if int(size) < 1:
        raise FrameRangeError(f"chunk size must be ≥ 1 frame, got {size}")
    fs = tuple(frames)
    return [fs[i:i + size] for i in range(0, len(fs), size)]


def sample_frames(frames: Sequence[int], count: int = 8) -> tuple[int, ...]:
    """Up to ``count`` frames evenly spaced over ``frames``, first and last included.

    Shot statistics sample the *whole* ``--frames`` range this way, never a chunk, so that
    every farm chunk derives the same statistics.
    """
    fs = tuple(frames)
    if count < 1:
        raise FrameRangeError(f"number of sample frames must be ≥ 1, got {count}")
    if len(fs) <= count:
        return fs
    if count == 1:
        return (fs[len(fs) // 2],)
    # Integer arithmetic (no float rounding) so every machine picks the same frames.
    idx = sorted({(i * (len(fs) - 1) + (count - 1) // 2) // (count - 1) for i in range(count)})
    return tuple(fs[i] for i in idx)

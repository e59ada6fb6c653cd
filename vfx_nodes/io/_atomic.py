"""Atomic file replacement: write to a hidden temporary name in the target folder, rename.

A farm task killed mid-write must leave either the old frame or nothing, never half a
frame, and a retried task must be able to tell finished frames from unfinished ones.
The temporary file lives in the *target folder* (so ``os.replace`` is a same-filesystem
rename, atomic on POSIX and Windows) and is named ``.NAME.tmp-PID-RANDOM.EXT``: the
leading dot and the ``tmp`` infix keep it out of a glob such as ``plate.*.exr`` or
``plate.####.exr``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from ..errors import PlateWriteError


def temporary_path(target: Path) -> Path:
    """A fresh temporary name next to ``target`` (same folder, same extension)."""
    return target.with_name(
        f".{target.stem}.tmp-{os.getpid()}-{secrets.token_hex(4)}{target.suffix}"
    )


def check_target(path: str | os.PathLike[str]) -> Path:
    """The target as a Path, after checking its folder exists and it is not a folder."""
    target = Path(os.fspath(path))
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise PlateWriteError(
            f"cannot write {str(target)!r}: folder {str(folder)!r} does not exist"
        )
    if target.is_dir():
        raise PlateWriteError(f"cannot write {str(target)!r}: it is a folder, give a file name")
    return target


@contextlib.contextmanager
def atomic_target(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path; on success rename it onto ``path``, on failure remove it.

    Any exception inside the block (or from the rename) removes the temporary file and
    is re-raised as :class:`PlateWriteError` naming the target (a ``PlateWriteError``
    raised inside passes through unchanged).
    """
    target = check_target(path)
    tmp = temporary_path(target)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, PlateWriteError) or not isinstance(exc, Exception):
            raise
        raise PlateWriteError(f"could not write {str(target)!r}: {exc}") from exc

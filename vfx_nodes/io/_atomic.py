"""Atomic writes for plates: :mod:`vfx_nodes._atomic` with the I/O room's checks and errors.

A farm task killed mid-write must leave either the old frame or nothing, never half a
frame; see :mod:`vfx_nodes._atomic` for the temporary naming (``.NAME.tmp-PID-RANDOM.EXT``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .._atomic import atomic_path, temporary_path
from ..errors import PlateWriteError

__all__ = ["atomic_target", "check_target", "temporary_path"]


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


@contextmanager
def atomic_target(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path; on success rename it onto ``path``, on failure remove it.

    Any exception inside the block (or from the rename) removes the temporary file and
    is re-raised as :class:`PlateWriteError` naming the target (a ``PlateWriteError``
    raised inside passes through unchanged).
    """
    with atomic_path(check_target(path), PlateWriteError) as tmp:
        yield tmp

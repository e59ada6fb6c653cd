"""Atomic file writes for look and statistics files (see :mod:`vfx_nodes._atomic`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .._atomic import atomic_write as _atomic_write

__all__ = ["atomic_write"]


def atomic_write(path: Path, write: Callable[[str], None], error: type[Exception] | None = None) -> None:
    """Call ``write(temporary_path_as_str)`` in ``path``'s folder, then rename it onto ``path``.

    Readers (another chunk of a farm job, a compositor) see the old file or the new one,
    never half of one.  safetensors' writers take a ``str`` path.  ``error``: re-raise
    failures (read-only folder, full disk) as this class, naming the file.
    """
    _atomic_write(path, lambda tmp: write(str(tmp)), error)

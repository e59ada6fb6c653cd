"""Atomic writes for export files: a hidden temporary name in the target folder, then rename.

An interrupted export leaves either the previous file or nothing, never half a model a
host would then fail to load (or, worse, load).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from .._atomic import atomic_write
from ..errors import ExportError


def prepare_folder(out_dir: str | os.PathLike[str]) -> Path:
    """Create ``out_dir`` (and its parents) if needed; return it as an absolute Path."""
    folder = Path(os.fspath(out_dir)).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"output folder {str(folder)!r} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create output folder {str(folder)!r}: {exc}") from None
    return folder.resolve()


def write_atomic(target: Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(temporary_path)``, then rename the temporary file onto ``target``.

    Any failure removes the temporary file and raises :class:`ExportError` naming the
    target (an ExportError from ``writer`` passes through unchanged).
    """
    return atomic_write(target, writer, ExportError)


def write_text(target: Path, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``target`` atomically."""
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8", newline="\n")

    return write_atomic(target, write)


def safe_name(name: str) -> str:
    """``name`` reduced to letters, digits and ``_`` (Nuke node names, file names)."""
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
    if not cleaned:
        raise ExportError(f"export name {name!r} has no letters or digits; give name=")
    if cleaned[0].isdigit():
        cleaned = "look_" + cleaned
    return cleaned

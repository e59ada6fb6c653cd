"""Atomic file replacement, the one implementation every room uses.

A farm task killed mid-write must leave either the old file or nothing, never half a
frame, half a look or half a checkpoint, and a retried task must be able to tell
finished files from unfinished ones.  The writer writes to a temporary file in the
*target folder* (so ``os.replace`` is a same-filesystem rename, atomic on POSIX and
Windows), and only a complete file is renamed onto the target.

The temporary name is ``.NAME.tmp-PID-RANDOM.EXT``: the leading dot and the ``tmp`` infix
keep it out of a glob such as ``plate.*.exr`` or ``plate.####.exr``, and the PID lets a
resumed render recognise (and remove) what a killed one left behind
(:func:`vfx_nodes.engine.sequence.remove_stale_temp_files` relies on this naming).

This module sits below every room (standard library only), so the model room, which
may import nothing but torch, can use it too.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "TEMP_INFIX",
    "atomic_path",
    "atomic_write",
    "atomic_write_bytes",
    "target_of_temporary",
    "temporary_path",
]

#: The marker every temporary name carries (``.NAME`` + ``TEMP_INFIX`` + ``PID-HEX.EXT``).
TEMP_INFIX = ".tmp-"


def temporary_path(target: str | os.PathLike[str]) -> Path:
    """A fresh temporary name next to ``target`` (same folder, same extension)."""
    t = Path(os.fspath(target))
    return t.with_name(f".{t.stem}{TEMP_INFIX}{os.getpid()}-{secrets.token_hex(4)}{t.suffix}")


def _umask() -> int:
    # /proc/self/status reports the umask without changing it (Linux ≥ 4.7); the
    # os.umask round trip is the portable fallback.
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _set_mode(tmp: Path, target: Path) -> None:
    """Give ``tmp`` the mode the target should have: the existing file's, else 0666 − umask.

    Some writers (safetensors, ``tempfile.mkstemp``) create files 0600, which would make
    looks and frames unreadable to the rest of the facility.
    """
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode)


# ".STEM.tmp-PID-HEX.EXT" -> STEM, EXT; the inverse of temporary_path.
_TEMP_NAME = re.compile(r"^\.(?P<stem>.+)\.tmp-\d+-[0-9a-f]+(?P<suffix>\.[^.]*)?$")


def target_of_temporary(name: str) -> str | None:
    """The file name a temporary name from :func:`temporary_path` stands for, else ``None``.

    >>> target_of_temporary(".out.1001.tmp-4242-0a1b2c3d.exr")
    'out.1001.exr'
    """
    m = _TEMP_NAME.match(name)
    return None if m is None else m["stem"] + (m["suffix"] or "")


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str], error: type[Exception] | None = None
) -> Iterator[Path]:
    """Yield a temporary path; on success rename it onto ``target``, on failure remove it.

    Args:
        target: the final file name.
        error: when given, an ordinary exception inside the block (or from the rename)
            is re-raised as ``error("could not write 'TARGET': REASON")``; exceptions that
            already are of that type, and ``KeyboardInterrupt``/``SystemExit``, pass through
            unchanged.  The temporary file is removed in every case.
    """
    t = Path(os.fspath(target))
    tmp = temporary_path(t)
    try:
        yield tmp
        _set_mode(tmp, t)
        os.replace(tmp, t)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if error is None or isinstance(exc, error) or not isinstance(exc, Exception):
            raise
        raise error(f"could not write {str(t)!r}: {exc}") from exc


def atomic_write(
    target: str | os.PathLike[str],
    writer: Callable[[Path], object],
    error: type[Exception] | None = None,
) -> Path:
    """Call ``writer(temporary_path)``, then rename the temporary file onto ``target``.

    The file gets the existing target's mode, else the mode a plain ``open()`` would
    give it, so looks and frames stay readable by the rest of the facility.  See
    :func:`atomic_path` for ``error``.
    """
    t = Path(os.fspath(target))
    with atomic_path(t, error) as tmp:
        writer(tmp)
    return t


def atomic_write_bytes(
    target: str | os.PathLike[str], data: bytes, error: type[Exception] | None = None
) -> Path:
    """Write ``data`` to ``target`` atomically (flushed and fsynced before the rename)."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    return atomic_write(target, write, error)

"""Atomic file writes for look and statistics files (temporary name, then ``os.replace``)."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write"]


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


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(temporary_path)`` in ``path``'s folder, then rename it onto ``path``.

    Readers (another chunk of a farm job, a compositor) see the old file or the new one,
    never half of one.  ``mkstemp`` creates its file with mode 0600; the result gets the
    mode a plain ``open()`` would have given it (the existing file's mode, else
    0666 minus the umask) so looks stay readable by the rest of the facility.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

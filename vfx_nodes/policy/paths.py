"""Output paths checked before any work: the one place that says why the OS would refuse one.

A render, a training run or an export that finds out at its first write (after minutes or
hours of work) that its output cannot be written has wasted that work, and the OS's own
error (``FileExistsError``, ``ELOOP``, ``ENAMETOOLONG``) arrives as a traceback from deep in
a library. :func:`output_problem` walks the path as the OS will and names the first
thing in the way: a name too long, a file where a folder should be, a symbolic-link loop,
a folder where the file should be, or a folder it may not write in.
"""

from __future__ import annotations

import errno
import os

__all__ = ["check_output_path", "output_problem"]

_FALLBACK_NAME_MAX = 255
_FALLBACK_PATH_MAX = 4096


def _limit(folder: str, name: str, fallback: int) -> int:
    try:
        return int(os.pathconf(folder, name))
    except (OSError, ValueError, AttributeError):
        return fallback


def _nearest_existing(folder: str) -> tuple[str, str | None]:
    """The deepest existing ancestor of ``folder`` (or ``folder``), and a problem on the way."""
    parts = os.path.abspath(folder).split(os.sep)
    current = os.sep
    for part in parts[1:]:
        if not part:
            continue
        nxt = os.path.join(current, part)
        try:
            os.stat(nxt)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return current, f"{nxt!r} is a symbolic-link loop"
            if exc.errno == errno.ENOTDIR:
                return current, f"{current!r} is a file where a folder should be"
            if exc.errno == errno.ENAMETOOLONG:
                return current, f"the name {part[:40]!r}… is too long for the file system"
            return current, None  # does not exist (yet): it will be created from here
        if not os.path.isdir(nxt):
            return current, f"{nxt!r} is a file where a folder should be"
        current = nxt
    return current, None


def output_problem(path: str | os.PathLike[str], *, create_folders: bool = True) -> str | None:
    """Why ``path`` could not be written as a new file, or ``None`` when it can.

    Args:
        path: the output file.
        create_folders: missing folders will be created (else a missing folder is a problem).
    """
    target = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(target)
    if not name:
        return f"{os.fspath(path)!r} names a folder, not a file"
    base, problem = _nearest_existing(folder)
    if problem:
        return problem
    if len(target.encode()) >= _limit(base, "PC_PATH_MAX", _FALLBACK_PATH_MAX):
        return f"the path is too long for the file system ({len(target.encode())} bytes)"
    name_max = _limit(base, "PC_NAME_MAX", _FALLBACK_NAME_MAX)
    for part in [*os.path.relpath(target, base).split(os.sep)]:
        # the temporary name the atomic writer uses is ~30 characters longer than the name
        if len(part.encode()) + 32 > name_max:
            return f"the name {part[:40]!r}… ({len(part.encode())} bytes) is too long for the file system"
    if base != folder and not create_folders:
        return f"its folder does not exist ({folder!r})"
    if not os.access(base, os.W_OK | os.X_OK):
        return f"no permission to write in {base!r}"
    if base == folder:
        try:
            os.stat(target)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return f"{target!r} is a symbolic-link loop"
        if os.path.isdir(target):
            return f"{target!r} is a folder, not a file"
    return None


def check_output_path(path: str | os.PathLike[str], error: type[Exception], what: str = "output",
                      *, create_folders: bool = True) -> None:
    """Raise ``error`` naming ``what`` and the problem when ``path`` cannot be written."""
    problem = output_problem(path, create_folders=create_folders)
    if problem:
        raise error(f"cannot write the {what} {os.fspath(path)!r}: {problem}")

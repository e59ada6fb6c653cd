"""The one atomic-write implementation every room uses (vfx_nodes/_atomic.py)."""

import os
import re

import pytest

from vfx_nodes._atomic import atomic_path, atomic_write, atomic_write_bytes, temporary_path
from vfx_nodes.errors import PlateWriteError


def test_temporary_name_is_hidden_and_recognisable(tmp_path):
    tmp = temporary_path(tmp_path / "out.1001.exr")
    assert tmp.parent == tmp_path
    assert re.fullmatch(rf"\.out\.1001\.tmp-{os.getpid()}-[0-9a-f]{{8}}\.exr", tmp.name)
    assert temporary_path(tmp_path / "x.exr") != temporary_path(tmp_path / "x.exr")


def test_success_renames_and_failure_leaves_nothing(tmp_path):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"

    def broken(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(PlateWriteError, match="could not write .*f.bin.*disk full"):
        atomic_write(target, broken, PlateWriteError)
    assert target.read_bytes() == b"new"              # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]


def test_interrupt_passes_through_and_cleans_up(tmp_path):
    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "g.bin", PlateWriteError) as tmp:
        tmp.write_bytes(b"x")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_mode_is_kept_or_from_umask(tmp_path):
    target = tmp_path / "look.safetensors"
    target.write_bytes(b"old")
    target.chmod(0o640)

    def private(tmp):  # a writer that creates its file 0600, like safetensors does
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)

    atomic_write(target, private)
    assert target.stat().st_mode & 0o777 == 0o640
    mask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new.bin", private)
    finally:
        os.umask(mask)
    assert (tmp_path / "new.bin").stat().st_mode & 0o777 == 0o644


def test_temporary_name_maps_back_to_its_target(tmp_path):
    from vfx_nodes._atomic import target_of_temporary

    for name in ("out.1001.exr", "look.safetensors", "noext", "a.tmp-b.exr"):
        assert target_of_temporary(temporary_path(tmp_path / name).name) == name
    for other in ("out.1001.exr", ".out.1001.exr", ".out.tmp-x-1.exr", ".hidden"):
        assert target_of_temporary(other) is None

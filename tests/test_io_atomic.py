"""Writes are atomic: temporary file in the target folder, then rename; nothing left on failure."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
import OpenEXR
import pytest

from vfx_nodes import read_plate, write_plate
from vfx_nodes.errors import PlateWriteError
from vfx_nodes.io._atomic import temporary_path
from vfx_nodes.plate import Plate


def plate(value: float = 0.5) -> Plate:
    return Plate(np.full((8, 8, 3), value, np.float32), ("B", "G", "R"), pixel_types=("half",) * 3)


def test_temporary_name_is_hidden_from_frame_globs(tmp_path: Path) -> None:
    tmp = temporary_path(tmp_path / "shot.1001.exr")
    assert tmp.parent == tmp_path
    assert tmp.name.startswith(".shot.1001.tmp-") and tmp.suffix == ".exr"
    tmp.write_bytes(b"x")
    assert glob.glob(str(tmp_path / "shot.*.exr")) == []
    assert glob.glob(str(tmp_path / "*.exr")) == []


def test_failure_mid_write_leaves_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    # The OpenEXR binding's own File.write fails part-way (a full disk, a killed encoder).
    def half_write(f: object, tmp: str) -> None:
        seen.append(tmp)
        Path(tmp).write_bytes(b"v/1\x01 half a frame")  # the encoder got this far
        raise RuntimeError("disk full")

    monkeypatch.setattr(OpenEXR.File, "write", half_write)
    with pytest.raises(PlateWriteError, match="shot.1001.exr.*disk full"):
        write_plate(plate(), tmp_path / "shot.1001.exr")
    assert seen and Path(seen[0]).parent == tmp_path  # the temp file was in the target folder
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_existing_target_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "shot.1001.exr"
    write_plate(plate(0.25), target)
    before = target.read_bytes()

    def boom(f: object, tmp: str) -> None:
        Path(tmp).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(OpenEXR.File, "write", boom)
    with pytest.raises(PlateWriteError):
        write_plate(plate(0.75), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["shot.1001.exr"]


def test_failed_rename_removes_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_rename(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(PlateWriteError, match="Permission denied"):
        write_plate(plate(), tmp_path / "a.exr")
    assert list(tmp_path.iterdir()) == []


def test_png_failure_leaves_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "replace", lambda s, d: (_ for _ in ()).throw(OSError("nope")))
    with pytest.raises(PlateWriteError):
        write_plate(plate(), tmp_path / "sheet.png")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PlateWriteError, match="folder .*missing.* does not exist"):
        write_plate(plate(), tmp_path / "missing" / "a.exr")
    with pytest.raises(PlateWriteError, match="is a folder"):
        write_plate(plate(), tmp_path)


def test_overwrite_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "a.exr"
    write_plate(plate(0.25), target)
    write_plate(plate(0.75), target)
    assert read_plate(target).channel("R")[0, 0] == 0.75
    assert [p.name for p in tmp_path.iterdir()] == ["a.exr"]

"""Damaged files are refused with a PlateReadError naming the file: no crash, no hang.

Synthetic damage (truncation, bad offsets, bad attributes) is made from a good file
written by the test; the real fuzz corpus (``exr/Damaged``) runs when
``$VFX_NODES_TEST_DATA`` is set, each file once in a subprocess with a timeout (so a
crash or hang in the C++ library would show as a failure, not kill pytest) and once
in-process (what users call).
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import corpus_files

from vfx_nodes import plate_info, read_plate, write_plate
from vfx_nodes.errors import PlateReadError
from vfx_nodes.io._guard import check_exr
from vfx_nodes.plate import Plate

DAMAGED = [p for p in corpus_files("exr") if p.parent.name == "Damaged"]


def good_file(path: Path, compression: str = "zip", tiled: bool = False) -> bytes:
    rng = np.random.default_rng(1)
    header = {"type": "tiledimage", "tiles": {"x_size": 8, "y_size": 8}} if tiled else {}
    p = Plate(
        rng.random((40, 24, 3), dtype=np.float32),
        ("B", "G", "R"),
        pixel_types=("half",) * 3,
        header=header,
    )
    write_plate(p, path, compression=compression)
    return path.read_bytes()


def offsets_start(data: bytes) -> int:
    """Byte position of the offset table of a single-part file (after the header)."""
    pos = 8
    while data[pos] != 0:
        name_end = data.index(b"\0", pos)
        type_end = data.index(b"\0", name_end + 1)
        (size,) = struct.unpack_from("<i", data, type_end + 1)
        pos = type_end + 5 + size
    return pos + 1


def test_good_file_passes_guard(tmp_path: Path) -> None:
    good_file(tmp_path / "a.exr")
    (layout,) = check_exr(str(tmp_path / "a.exr"))
    assert layout.storage == "scanlineimage" and layout.chunk_count == 3  # 40 lines / 16
    assert [c[0] for c in layout.channels] == ["B", "G", "R"]


def test_guard_counts_tiles_of_mip_levels(tmp_path: Path) -> None:
    good_file(tmp_path / "t.exr", tiled=True)
    (layout,) = check_exr(str(tmp_path / "t.exr"))
    assert layout.chunk_count == 5 * 3  # ceil(40/8) × ceil(24/8), one level


@pytest.mark.parametrize("keep", [4, 7, 60, 300, -200, -1])
def test_truncated_file_refused(tmp_path: Path, keep: int) -> None:
    data = good_file(tmp_path / "a.exr")
    bad = tmp_path / "truncated.exr"
    bad.write_bytes(data[:keep])
    with pytest.raises(PlateReadError, match="truncated.exr"):
        read_plate(bad)


def test_offset_outside_file_refused(tmp_path: Path) -> None:
    data = bytearray(good_file(tmp_path / "a.exr"))
    start = offsets_start(bytes(data))
    struct.pack_into("<Q", data, start + 8, 5332261958806667264)
    (tmp_path / "bad.exr").write_bytes(bytes(data))
    with pytest.raises(PlateReadError, match="bad.exr.*chunk 1.*outside the file"):
        read_plate(tmp_path / "bad.exr")


def test_zero_offset_incomplete_file_refused(tmp_path: Path) -> None:
    data = bytearray(good_file(tmp_path / "a.exr"))
    struct.pack_into("<Q", data, offsets_start(bytes(data)) + 16, 0)
    (tmp_path / "bad.exr").write_bytes(bytes(data))
    with pytest.raises(PlateReadError, match="incomplete"):
        read_plate(tmp_path / "bad.exr")


def test_chunk_size_beyond_file_refused(tmp_path: Path) -> None:
    data = bytearray(good_file(tmp_path / "a.exr"))
    (first,) = struct.unpack_from("<Q", data, offsets_start(bytes(data)))
    struct.pack_into("<i", data, first + 4, 2**30)
    (tmp_path / "bad.exr").write_bytes(bytes(data))
    with pytest.raises(PlateReadError, match="beyond the end"):
        read_plate(tmp_path / "bad.exr")


def test_attribute_size_beyond_file_refused(tmp_path: Path) -> None:
    data = bytearray(good_file(tmp_path / "a.exr"))
    at = data.index(b"chlist\0") + 7
    struct.pack_into("<i", data, at, 2**30)
    (tmp_path / "bad.exr").write_bytes(bytes(data))
    with pytest.raises(PlateReadError, match="'channels' claims"):
        read_plate(tmp_path / "bad.exr")


def test_missing_required_attribute_refused(tmp_path: Path) -> None:
    data = good_file(tmp_path / "a.exr").replace(b"dataWindow\0", b"dataWindoX\0")
    (tmp_path / "bad.exr").write_bytes(data)
    with pytest.raises(PlateReadError, match="lacks required attribute.*dataWindow"):
        read_plate(tmp_path / "bad.exr")


def test_bad_version_refused(tmp_path: Path) -> None:
    data = bytearray(good_file(tmp_path / "a.exr"))
    struct.pack_into("<i", data, 4, 3)
    (tmp_path / "bad.exr").write_bytes(bytes(data))
    with pytest.raises(PlateReadError, match="version"):
        read_plate(tmp_path / "bad.exr")


def test_garbled_pixel_data_refused(tmp_path: Path) -> None:
    # Damage inside a compressed chunk passes the structural check; OpenEXR's decoder
    # then fails, and the binding's "no parts" answer becomes a PlateReadError (not an
    # empty plate).
    data = bytearray(good_file(tmp_path / "a.exr"))
    (first,) = struct.unpack_from("<Q", data, offsets_start(bytes(data)))
    data[first + 8 : first + 40] = b"\xff" * 32
    (tmp_path / "bad.exr").write_bytes(bytes(data))
    with pytest.raises(PlateReadError, match="bad.exr.*could not read its pixel data"):
        read_plate(tmp_path / "bad.exr")


def test_info_refuses_damaged_file(tmp_path: Path) -> None:
    data = good_file(tmp_path / "a.exr")
    (tmp_path / "bad.exr").write_bytes(data[:50])
    with pytest.raises(PlateReadError, match="bad.exr"):
        plate_info(tmp_path / "bad.exr")


# --- the real fuzz corpus -------------------------------------------------------------------

_CHILD = """
import sys
from vfx_nodes import read_plate, plate_info
from vfx_nodes.errors import PlateReadError
for fn in (read_plate, plate_info):
    try:
        fn(sys.argv[1])
    except PlateReadError as exc:
        assert sys.argv[1] in str(exc), str(exc)
    else:
        raise SystemExit("not refused")
print("REFUSED")
"""


@pytest.mark.parametrize("path", DAMAGED, ids=[p.name[:48] for p in DAMAGED])
def test_damaged_corpus_file_refused_in_subprocess(path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 0, f"exit {res.returncode}: {res.stderr[-2000:]}"
    assert "REFUSED" in res.stdout


@pytest.mark.parametrize("path", DAMAGED, ids=[p.name[:48] for p in DAMAGED])
def test_damaged_corpus_file_refused_in_process(path: Path) -> None:
    with pytest.raises(PlateReadError) as err:
        read_plate(path)
    assert str(path) in str(err.value)


def test_damaged_corpus_present(exr_corpus: Path) -> None:
    assert len(DAMAGED) >= 10, "the corpus should hold the OpenEXR fuzz files"

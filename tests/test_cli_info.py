"""``vfx-style info PLATE [--json]``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vfx_nodes import write_plate
from vfx_nodes.cli.main import main
from vfx_nodes.plate import Plate


def plate_file(tmp_path: Path) -> Path:
    p = Plate(
        np.zeros((6, 8, 4), np.float32),
        ("A", "B", "G", "R"),
        data_window=(-2, -1, 5, 4),
        display_window=(0, 0, 3, 2),
        pixel_aspect=1.5,
        pixel_types=("half",) * 4,
        header={
            "chromaticities": (0.713, 0.293, 0.165, 0.83, 0.128, 0.044, 0.32168, 0.33767),
            "whiteLuminance": 80.0,
            "oiio:ColorSpace": "ACEScg",
            "shot": "sh010",
            "type": "tiledimage",
            "tiles": {"x_size": 4, "y_size": 4},
        },
    )
    path = tmp_path / "plate.1001.exr"
    write_plate(p, path, compression="piz")
    return path


def test_info_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = plate_file(tmp_path)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 part(s)" in out
    assert "A (half), B (half), G (half), R (half)" in out
    assert "data window:    (-2, -1) – (5, 4)  8×6" in out
    assert "display window: (0, 0) – (3, 2)  4×3" in out
    assert "pixel aspect:   1.5" in out
    assert "compression:    piz" in out
    assert "tiles:          4×4, one_level" in out
    assert "line order:     increasing_y" in out
    assert "colourspace:    ACEScg (from the 'oiio:ColorSpace' attribute)" in out
    assert "whiteLuminance: 80.0" in out
    assert "chromaticities:" in out
    assert "shot: sh010" in out


def test_info_json_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = plate_file(tmp_path)
    assert main(["info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    part = info["parts"][0]
    assert part["compression"] == "piz" and part["pixel_aspect"] == 1.5
    assert part["colour"]["whiteLuminance"] == 80.0
    assert part["colorspace"] == "ACEScg"
    assert part["tiles"] == {
        "x_size": 4,
        "y_size": 4,
        "level_mode": "one_level",
        "rounding_mode": "round_down",
    }


def test_info_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(tmp_path / "missing.exr")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("vfx-style info: error:") and "missing.exr" in err and "\n" not in err
    (tmp_path / "bad.exr").write_bytes(b"v/1\x01\x02\x00\x00\x00garbage")
    assert main(["info", str(tmp_path / "bad.exr")]) == 1
    err = capsys.readouterr().err.strip()
    assert "bad.exr" in err and "\n" not in err


def test_console_script_on_corpus(exr_corpus: Path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "vfx_nodes",
            "info",
            "--json",
            str(exr_corpus / "ScanLines" / "Carrots.exr"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    part = json.loads(res.stdout)["parts"][0]
    assert "chromaticities" in part["colour"] and "adoptedNeutral" in part["colour"]


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no FIFOs on this platform")
def test_info_and_read_refuse_a_fifo_instead_of_hanging(tmp_path: Path) -> None:
    """Issue 14.9: ``info`` on a FIFO blocked forever."""
    import os

    fifo = tmp_path / "plate.1001.exr"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-m", "vfx_nodes", "info", str(fifo)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "not a regular file" in proc.stderr and "Traceback" not in proc.stderr
    from vfx_nodes.errors import PlateReadError
    from vfx_nodes.io import read_plate

    with pytest.raises(PlateReadError, match="not a regular file"):
        read_plate(fifo)

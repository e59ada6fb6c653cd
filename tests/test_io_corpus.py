"""Every non-deep, non-damaged file of the real corpus: read → write → read is identical.

Runs only when ``$VFX_NODES_TEST_DATA`` is set.  Written with the writer's defaults:
lossless sources keep their compression; lossy ones (B44/B44A/DWA on half, PXR24 on
float) are rewritten with ZIP, so the pixels are bit-identical to what was decoded; a
mip-mapped source becomes a single-level tiled file.  Those two attributes are the only
documented differences and are asserted explicitly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import corpus_files

from vfx_nodes import plate_info, read_plate, write_plate
from vfx_nodes.io import LOSSY_COMPRESSIONS

EXRS = [p for p in corpus_files("exr") if p.parent.name != "Damaged" and p.suffix == ".exr"]


def same_value(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if hasattr(a, "pixels") and hasattr(b, "pixels"):  # PreviewImage
        return np.array_equal(a.pixels, b.pixels)
    return bool(a == b)


@pytest.mark.parametrize("path", EXRS, ids=[f"{p.parent.name}/{p.name}" for p in EXRS])
def test_corpus_round_trip_is_identical(path: Path, tmp_path: Path) -> None:
    src = read_plate(path)
    out = tmp_path / path.name
    write_plate(src, out)
    back = read_plate(out)
    assert back.channel_names == src.channel_names
    assert back.pixel_types == src.pixel_types
    assert back.data_window == src.data_window
    assert back.display_window == src.display_window
    assert back.pixel_aspect == src.pixel_aspect
    assert back.colorspace == src.colorspace
    np.testing.assert_array_equal(back.pixels.view(np.uint32), src.pixels.view(np.uint32))
    for k, v in src.exact.items():
        np.testing.assert_array_equal(back.exact[k], v)
    allowed: set[str] = set()
    comp = src.header["compression"]
    lossy = comp in LOSSY_COMPRESSIONS or (comp == "pxr24" and "float" in src.pixel_types)
    if lossy:
        allowed.add("compression")
        assert back.header["compression"] == "zip"
    if src.header.get("tiles", {}).get("level_mode", "one_level") != "one_level":
        allowed.add("tiles")
        assert back.header["tiles"]["level_mode"] == "one_level"
        assert back.header["tiles"]["x_size"] == src.header["tiles"]["x_size"]
    assert set(back.header) == set(src.header)
    for key in set(src.header) - allowed:
        assert same_value(src.header[key], back.header[key]), key


@pytest.mark.parametrize("path", EXRS, ids=[f"{p.parent.name}/{p.name}" for p in EXRS])
def test_corpus_info_matches_plate(path: Path) -> None:
    info = plate_info(path)
    plate = read_plate(path)
    part = info["parts"][0]
    assert [c["name"] for c in part["channels"]] == list(plate.channel_names)
    assert tuple(part["data_window"]) == plate.data_window
    assert tuple(part["display_window"]) == plate.display_window


def test_corpus_lossy_file_kept_lossy_on_request(exr_corpus: Path, tmp_path: Path) -> None:
    src = read_plate(exr_corpus / "ScanLines" / "Cannon.exr")
    assert src.header["compression"] == "b44"
    write_plate(src, tmp_path / "c.exr", keep_lossy=True)
    assert read_plate(tmp_path / "c.exr").header["compression"] == "b44"


def test_corpus_multiview_layer(exr_corpus: Path) -> None:
    p = read_plate(exr_corpus / "Beachball" / "singlepart.0001.exr", layer="left")
    assert p.rgb_names("left") == ("left.R", "left.G", "left.B")
    assert p.alpha_name("left") == "left.A"
    assert p.header["multiView"] == ["right", "left"]

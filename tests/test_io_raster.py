"""PNG/JPEG/TIFF references read as 0–1 plates; PNG contact sheets written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from conftest import corpus_files
from PIL import Image

from vfx_nodes import plate_info, read_plate, write_plate
from vfx_nodes.color.defaults import DEFAULT_RASTER_SPACE
from vfx_nodes.errors import PlateReadError, PlateWriteError
from vfx_nodes.plate import Plate

STYLES = [
    p
    for p in corpus_files("styles")
    if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".tif", ".tiff")
][:3]


def ramp8(c: int = 3) -> np.ndarray:
    return (np.arange(6 * 7 * c) % 256).astype(np.uint8).reshape(6, 7, c)


def ramp16(c: int = 3) -> np.ndarray:
    return (np.arange(6 * 7 * c) * 1531 % 65536).astype(np.uint16).reshape(6, 7, c)


@pytest.mark.parametrize(
    "mode,c,names",
    [
        ("RGB", 3, ("R", "G", "B")),
        ("RGBA", 4, ("R", "G", "B", "A")),
        ("L", 1, ("Y",)),
        ("LA", 2, ("Y", "A")),
    ],
)
def test_png_8bit_scaled_to_unit_range(
    tmp_path: Path, mode: str, c: int, names: tuple[str, ...]
) -> None:
    arr = ramp8(c)
    Image.fromarray(arr[:, :, 0] if c == 1 else arr, mode=mode).save(tmp_path / "a.png")
    p = read_plate(tmp_path / "a.png")
    assert p.channel_names == names
    assert p.pixel_types == ("uint8",) * c
    assert p.colorspace == DEFAULT_RASTER_SPACE
    assert p.pixels.dtype == np.float32
    np.testing.assert_array_equal(p.pixels, arr.astype(np.float32) / np.float32(255))


def test_png_16bit_colour(tmp_path: Path) -> None:
    arr = ramp16(3)
    p0 = Plate(arr.astype(np.float32) / np.float32(65535), ("R", "G", "B"))
    write_plate(p0, tmp_path / "a16.png", bit_depth=16)
    p = read_plate(tmp_path / "a16.png")
    assert p.pixel_types == ("uint16",) * 3
    np.testing.assert_array_equal(np.rint(p.pixels * 65535).astype(np.uint16), arr)


def test_png_16bit_grey(tmp_path: Path) -> None:
    arr = ramp16(1)[:, :, 0]
    Image.fromarray(arr).save(tmp_path / "g16.png")  # uint16 → mode I;16
    p = read_plate(tmp_path / "g16.png")
    assert p.channel_names == ("Y",) and p.pixel_types == ("uint16",)
    np.testing.assert_array_equal(np.rint(p.channel("Y") * 65535).astype(np.uint16), arr)


def test_palette_png_expanded(tmp_path: Path) -> None:
    Image.fromarray(ramp8(3)).convert("P").save(tmp_path / "p.png")
    p = read_plate(tmp_path / "p.png")
    assert p.channel_names == ("R", "G", "B")


def test_jpeg_read(tmp_path: Path) -> None:
    Image.fromarray(np.full((16, 16, 3), 200, np.uint8)).save(tmp_path / "a.jpg", quality=95)
    p = read_plate(tmp_path / "a.jpg")
    assert p.shape == (16, 16, 3) and p.pixel_types == ("uint8",) * 3
    np.testing.assert_allclose(p.pixels, 200 / 255, atol=2 / 255)


@pytest.mark.parametrize(
    "dtype,top,ptype", [(np.uint8, 255, "uint8"), (np.uint16, 65535, "uint16")]
)
def test_tiff_8_and_16_bit(tmp_path: Path, dtype: type, top: int, ptype: str) -> None:
    arr = (ramp16(4) if dtype == np.uint16 else ramp8(4)).astype(dtype)
    tifffile.imwrite(tmp_path / "a.tif", arr, photometric="rgb")
    p = read_plate(tmp_path / "a.tif")
    assert p.channel_names == ("R", "G", "B", "A") and p.pixel_types == (ptype,) * 4
    np.testing.assert_array_equal(p.pixels, arr.astype(np.float32) / np.float32(top))


def test_tiff_planar_is_moved_to_last_axis(tmp_path: Path) -> None:
    arr = ramp16(3)
    tifffile.imwrite(
        tmp_path / "p.tif", np.moveaxis(arr, -1, 0), photometric="rgb", planarconfig="separate"
    )
    p = read_plate(tmp_path / "p.tif")
    assert p.shape == (6, 7, 3)
    np.testing.assert_array_equal(p.pixels, arr.astype(np.float32) / np.float32(65535))


def test_format_chosen_by_content_not_name(tmp_path: Path) -> None:
    Image.fromarray(ramp8(3)).save(tmp_path / "actually_png.exr", format="PNG")
    assert read_plate(tmp_path / "actually_png.exr").header["format"] == "png"


def test_damaged_png_refused(tmp_path: Path) -> None:
    Image.fromarray(ramp8(3)).save(tmp_path / "a.png")
    data = (tmp_path / "a.png").read_bytes()
    (tmp_path / "bad.png").write_bytes(data[:40])
    with pytest.raises(PlateReadError, match="bad.png"):
        read_plate(tmp_path / "bad.png")
    (tmp_path / "bad.tif").write_bytes(b"II*\x00" + b"\xff" * 20)
    with pytest.raises(PlateReadError, match="bad.tif"):
        read_plate(tmp_path / "bad.tif")


def test_write_png_clips_and_quantises(tmp_path: Path) -> None:
    vals = np.array([[[-0.5, 0.0, 0.5], [1.0, 7.0, np.nan]]], np.float32)  # 1×2×3
    p = Plate(vals, ("R", "G", "B"))
    write_plate(p, tmp_path / "sheet.png")
    back = np.asarray(Image.open(tmp_path / "sheet.png"))
    np.testing.assert_array_equal(back, [[[0, 0, 128], [255, 255, 0]]])
    write_plate(p, tmp_path / "sheet16.png", bit_depth=16)
    q = read_plate(tmp_path / "sheet16.png")
    np.testing.assert_array_equal(np.rint(q.pixels * 65535), [[[0, 0, 32768], [65535, 65535, 0]]])
    assert p.pixels[0, 1, 2] != p.pixels[0, 1, 2]  # input NaN untouched


def test_write_png_rgba_and_errors(tmp_path: Path) -> None:
    p = Plate(np.full((3, 4, 5), 0.5, np.float32), ("A", "B", "G", "R", "Z"))
    write_plate(p, tmp_path / "a.png")
    q = read_plate(tmp_path / "a.png")
    assert q.channel_names == ("R", "G", "B", "A")
    with pytest.raises(PlateWriteError, match="bit_depth"):
        write_plate(p, tmp_path / "b.png", bit_depth=12)
    with pytest.raises(PlateWriteError, match="needs R, G, B"):
        write_plate(Plate(np.zeros((2, 2, 2), np.float32), ("u", "v")), tmp_path / "c.png")


def test_raster_info(tmp_path: Path) -> None:
    Image.fromarray(ramp8(3)).save(tmp_path / "a.png")
    info = plate_info(tmp_path / "a.png")
    assert info["format"] == "png"
    assert info["parts"][0]["colorspace"] == DEFAULT_RASTER_SPACE
    assert [c["type"] for c in info["parts"][0]["channels"]] == ["uint8"] * 3


@pytest.mark.parametrize("path", STYLES, ids=[p.name for p in STYLES])
def test_real_style_images_read(path: Path) -> None:
    p = read_plate(path)
    assert p.pixels.min() >= 0.0 and p.pixels.max() <= 1.0
    assert p.colorspace == DEFAULT_RASTER_SPACE
    assert p.rgb_names() == ("R", "G", "B") or p.channel_names == ("Y",)

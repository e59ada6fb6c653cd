"""EXR read/write on synthetic plates made by each test (no corpus needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import OpenEXR
import pytest

from vfx_nodes import plate_info, read_plate, write_plate
from vfx_nodes.color.defaults import DEFAULT_PLATE_SPACE
from vfx_nodes.errors import (
    ChannelNotFoundError,
    PlateReadError,
    PlateWriteError,
    UnsupportedPlateError,
)
from vfx_nodes.io import COMPRESSIONS, LOSSY_COMPRESSIONS
from vfx_nodes.plate import Plate

LOSSLESS = [c for c in COMPRESSIONS if c not in LOSSY_COMPRESSIONS and c != "pxr24"]


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, np.float32).view(np.uint32)


def header_equal(a: Any, b: Any) -> bool:
    """Attribute values equal, element by element for arrays (what the binding returns)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(header_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(header_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def synthetic(h: int = 23, w: int = 37, seed: int = 0, **kw: Any) -> Plate:
    """RGBA half, Z float, id uint; NaN/Inf/negatives; overscan; aspect 2; custom attrs."""
    rng = np.random.default_rng(seed)
    px = (rng.normal(size=(h, w, 6)) * 100).astype(np.float32)
    px[:, :, :4] = px[:, :, :4].astype(np.float16)  # exactly representable in half
    px[0, 0, 0] = np.nan
    px[1, 0, 1] = np.inf
    px[2, 0, 2] = -np.inf
    px[3, 0, 4] = np.float32(np.nan)
    ids = rng.integers(0, 2**32, size=(h, w), dtype=np.uint32)
    ids[0, 0] = 2**32 - 1
    ids[0, 1] = 16777217  # not representable in float32
    px[:, :, 5] = ids.astype(np.float32)
    header = {
        "owner": "vfx_nodes tests",
        "frame": 1001,
        "exposure": 0.5,
        "screenWindowWidth": 1.0,
        "screenWindowCenter": np.array([0.0, 0.0], np.float32),
        "myVector": np.array([1.5, -2.0, 3.0], np.float32),
        "shotTags": ["plate", "bg"],
    }
    header.update(kw.pop("header", {}))
    args: dict[str, Any] = dict(
        channel_names=("A", "B", "G", "R", "Z", "id"),
        data_window=(-4, -3, w - 5, h - 4),  # overscan: starts outside the display window
        display_window=(0, 0, w - 9, h - 7),
        pixel_aspect=2.0,
        header=header,
        pixel_types=("half", "half", "half", "half", "float", "uint"),
        exact={"id": ids},
    )
    args.update(kw)
    return Plate(px, **args)


def assert_same_plate(a: Plate, b: Plate, ignore: tuple[str, ...] = ()) -> None:
    assert a.channel_names == b.channel_names
    assert a.pixel_types == b.pixel_types
    assert a.data_window == b.data_window
    assert a.display_window == b.display_window
    assert a.pixel_aspect == b.pixel_aspect
    np.testing.assert_array_equal(bits(a.pixels), bits(b.pixels))  # NaN payloads too
    assert a.exact.keys() == b.exact.keys()
    for k in a.exact:
        np.testing.assert_array_equal(a.exact[k], b.exact[k])
    keys = (set(a.header) | set(b.header)) - set(ignore)
    for k in keys:
        assert k in a.header and k in b.header, k
        assert header_equal(a.header[k], b.header[k]), (k, a.header[k], b.header[k])


# --- smoke and shapes ---------------------------------------------------------------------


def test_write_then_read_gives_same_plate(tmp_path: Path) -> None:
    p = synthetic()
    write_plate(p, tmp_path / "a.exr")
    q = read_plate(tmp_path / "a.exr")
    assert_same_plate(p, q, ignore=("compression", "type", "lineOrder"))
    assert q.header["compression"] == "zip"  # default for a plate with no source compression
    assert q.header["type"] == "scanlineimage"
    assert q.source == str(tmp_path / "a.exr")


def test_channel_is_hxw_float32_over_data_window(tmp_path: Path) -> None:
    p = synthetic(h=11, w=17)
    write_plate(p, tmp_path / "a.exr")
    q = read_plate(tmp_path / "a.exr")
    r = q.channel("R")
    assert r.shape == (11, 17) and r.dtype == np.float32
    assert q.data_window == (-4, -3, 12, 7)
    assert q.display_window == (0, 0, 8, 4)
    assert q.pixel_aspect == 2.0
    assert q.pixel_types == ("half", "half", "half", "half", "float", "uint")


def test_uint_channel_round_trips_exactly(tmp_path: Path) -> None:
    p = synthetic()
    write_plate(p, tmp_path / "a.exr")
    q = read_plate(tmp_path / "a.exr")
    assert q.exact["id"].dtype == np.uint32
    assert q.exact["id"][0, 0] == 2**32 - 1
    assert q.exact["id"][0, 1] == 16777217  # float32 alone would give 16777216
    np.testing.assert_array_equal(q.exact["id"], p.exact["id"])
    f = OpenEXR.File(str(tmp_path / "a.exr"), separate_channels=True)
    assert f.parts[0].channels["id"].pixels.dtype == np.uint32


def test_edited_uint_channel_is_rounded(tmp_path: Path) -> None:
    p = synthetic()
    edited = p.with_channels({"id": np.full((p.height, p.width), 41.6, np.float32)})
    write_plate(edited, tmp_path / "a.exr")
    q = read_plate(tmp_path / "a.exr")
    assert q.pixel_types[q.index("id")] == "uint"
    assert (q.exact["id"] == 42).all()


@pytest.mark.parametrize("compression", LOSSLESS)
@pytest.mark.parametrize("tiled", [False, True], ids=["scanline", "tiled"])
def test_every_lossless_compression_round_trips(
    tmp_path: Path, compression: str, tiled: bool
) -> None:
    header = {"type": "tiledimage", "tiles": {"x_size": 16, "y_size": 8}} if tiled else {}
    p = synthetic(header=header)
    write_plate(p, tmp_path / "a.exr", compression=compression)
    q = read_plate(tmp_path / "a.exr")
    assert q.header["compression"] == compression
    assert q.header["type"] == ("tiledimage" if tiled else "scanlineimage")
    if tiled:
        assert q.header["tiles"]["x_size"] == 16 and q.header["tiles"]["y_size"] == 8
    assert_same_plate(p, q, ignore=("compression", "type", "tiles", "lineOrder"))


@pytest.mark.parametrize("compression", sorted(LOSSY_COMPRESSIONS) + ["pxr24"])
def test_lossy_compressions_write_and_read(tmp_path: Path, compression: str) -> None:
    p = synthetic()
    write_plate(p, tmp_path / "a.exr", compression=compression)
    q = read_plate(tmp_path / "a.exr")
    assert q.header["compression"] == compression
    assert q.channel_names == p.channel_names
    np.testing.assert_array_equal(q.exact["id"], p.exact["id"])  # uint is never lossy
    if compression == "pxr24":  # lossless on half, 24-bit on float
        np.testing.assert_array_equal(bits(q.channel("R")), bits(p.channel("R")))


def test_second_read_write_of_lossy_source_defaults_to_zip(tmp_path: Path) -> None:
    # A smooth half image: B44 demonstrably changes it.
    y, x = np.mgrid[0:32, 0:32].astype(np.float32)
    rgb = (
        np.stack([np.sin(x / 3) * 4, np.cos(y / 5), x * y / 7], -1)
        .astype(np.float16)
        .astype(np.float32)
    )
    p = Plate(rgb, ("B", "G", "R"), pixel_types=("half",) * 3)
    write_plate(p, tmp_path / "b44.exr", compression="b44")
    src = read_plate(tmp_path / "b44.exr")
    assert src.header["compression"] == "b44"
    assert not np.array_equal(src.pixels, p.pixels)  # B44 really is lossy
    write_plate(src, tmp_path / "default.exr")
    again = read_plate(tmp_path / "default.exr")
    assert again.header["compression"] == "zip"
    np.testing.assert_array_equal(bits(again.pixels), bits(src.pixels))  # no second loss
    write_plate(src, tmp_path / "kept.exr", keep_lossy=True)
    assert read_plate(tmp_path / "kept.exr").header["compression"] == "b44"


def test_pxr24_source_kept_for_half_and_replaced_for_float(tmp_path: Path) -> None:
    half = Plate(
        np.ones((4, 4, 1), np.float32),
        ("Y",),
        pixel_types=("half",),
        header={"compression": "pxr24"},
    )
    write_plate(half, tmp_path / "h.exr")
    assert read_plate(tmp_path / "h.exr").header["compression"] == "pxr24"
    flt = half.replace(pixel_types=("float",))
    write_plate(flt, tmp_path / "f.exr")
    assert read_plate(tmp_path / "f.exr").header["compression"] == "zip"


def test_pixel_type_option_converts_all_but_uint(tmp_path: Path) -> None:
    p = synthetic()
    write_plate(p, tmp_path / "f.exr", pixel_type="float")
    q = read_plate(tmp_path / "f.exr")
    assert q.pixel_types == ("float",) * 5 + ("uint",)
    np.testing.assert_array_equal(bits(q.pixels[:, :, :4]), bits(p.pixels[:, :, :4]))
    write_plate(p, tmp_path / "h.exr", pixel_type="half")
    h = read_plate(tmp_path / "h.exr")
    assert h.pixel_types == ("half",) * 5 + ("uint",)
    np.testing.assert_array_equal(
        h.channel("Z"), p.channel("Z").astype(np.float16).astype(np.float32)
    )


def test_compression_option_accepts_enum_and_names(tmp_path: Path) -> None:
    p = synthetic()
    write_plate(p, tmp_path / "a.exr", compression=OpenEXR.PIZ_COMPRESSION)
    assert read_plate(tmp_path / "a.exr").header["compression"] == "piz"
    write_plate(p, tmp_path / "b.exr", compression="RLE_COMPRESSION")
    assert read_plate(tmp_path / "b.exr").header["compression"] == "rle"


def test_bad_options_raise_plate_write_error(tmp_path: Path) -> None:
    p = synthetic()
    with pytest.raises(PlateWriteError, match="zipp.*did you mean 'zip'"):
        write_plate(p, tmp_path / "a.exr", compression="zipp")
    with pytest.raises(PlateWriteError, match="pixel_type"):
        write_plate(p, tmp_path / "a.exr", pixel_type="double")
    with pytest.raises(PlateWriteError, match="unknown write option"):
        write_plate(p, tmp_path / "a.exr", quality=3)
    with pytest.raises(PlateWriteError, match="EXR and PNG only"):
        write_plate(p, tmp_path / "a.jpg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("order", ["increasing_y", "decreasing_y"])
def test_line_order_kept(tmp_path: Path, order: str) -> None:
    p = synthetic(header={"lineOrder": order})
    write_plate(p, tmp_path / "a.exr")
    assert read_plate(tmp_path / "a.exr").header["lineOrder"] == order


def test_random_y_line_order_kept_for_tiled(tmp_path: Path) -> None:
    p = synthetic(
        header={"lineOrder": "random_y", "type": "tiledimage", "tiles": {"x_size": 8, "y_size": 8}}
    )
    write_plate(p, tmp_path / "a.exr")
    q = read_plate(tmp_path / "a.exr")
    assert q.header["lineOrder"] == "random_y"
    assert_same_plate(p, q, ignore=("compression", "tiles", "lineOrder", "type"))


def test_custom_attributes_kept_with_their_types(tmp_path: Path) -> None:
    p = synthetic(
        header={
            "comments": "hello",
            "capDate": "2026:11:21 05:00:00",
            "chromaticities": (0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329),
        }
    )
    write_plate(p, tmp_path / "a.exr")
    q = read_plate(tmp_path / "a.exr")
    assert q.header["frame"] == 1001 and isinstance(q.header["frame"], int)
    assert q.header["myVector"].dtype == np.float32
    assert q.header["shotTags"] == ["plate", "bg"]
    assert q.header["comments"] == "hello"
    np.testing.assert_allclose(q.header["chromaticities"], p.header["chromaticities"], rtol=1e-6)


def test_mip_mapped_source_written_as_one_level(tmp_path: Path) -> None:
    p = synthetic(
        header={
            "type": "tiledimage",
            "tiles": {
                "x_size": 16,
                "y_size": 16,
                "level_mode": "mipmap_levels",
                "rounding_mode": "round_down",
            },
        }
    )
    write_plate(p, tmp_path / "a.exr")
    q = read_plate(tmp_path / "a.exr")
    assert q.header["tiles"] == {
        "x_size": 16,
        "y_size": 16,
        "level_mode": "one_level",
        "rounding_mode": "round_down",
    }
    np.testing.assert_array_equal(bits(q.pixels), bits(p.pixels))


def test_input_plate_unchanged_by_write(tmp_path: Path) -> None:
    p = synthetic()
    before_px = p.pixels.copy()
    before_header = dict(p.header)
    write_plate(p, tmp_path / "a.exr", compression="piz", pixel_type="float")
    np.testing.assert_array_equal(bits(p.pixels), bits(before_px))
    assert p.header.keys() == before_header.keys()
    assert p.pixel_types == ("half", "half", "half", "half", "float", "uint")


# --- colourspace ------------------------------------------------------------------------


def test_plate_tagged_with_default_space_without_attribute(tmp_path: Path) -> None:
    write_plate(synthetic(), tmp_path / "a.exr")
    q = read_plate(tmp_path / "a.exr")
    assert q.colorspace == DEFAULT_PLATE_SPACE
    assert not any(k.lower().endswith("colorspace") for k in q.header)  # nothing added


@pytest.mark.parametrize("key", ["colorSpace", "oiio:ColorSpace"])
def test_plate_tagged_with_header_colorspace(tmp_path: Path, key: str) -> None:
    write_plate(synthetic(header={key: "ACEScg"}), tmp_path / "a.exr")
    q = read_plate(tmp_path / "a.exr")
    assert q.colorspace == "ACEScg"
    assert q.header[key] == "ACEScg"


def test_changed_colorspace_is_written(tmp_path: Path) -> None:
    p = synthetic(header={"oiio:ColorSpace": "ACEScg"}).replace(colorspace="ACES2065-1")
    write_plate(p, tmp_path / "a.exr")
    assert read_plate(tmp_path / "a.exr").colorspace == "ACES2065-1"
    write_plate(synthetic().replace(colorspace="ACEScct"), tmp_path / "b.exr")
    assert read_plate(tmp_path / "b.exr").header["colorSpace"] == "ACEScct"


# --- multi-part, layers, views ----------------------------------------------------------


def _multipart(path: Path) -> None:
    h, w = 6, 9
    beauty = {
        "R": OpenEXR.Channel(np.full((h, w), 1.0, np.float16)),
        "G": OpenEXR.Channel(np.full((h, w), 2.0, np.float16)),
    }
    depth = {"Z": OpenEXR.Channel(np.arange(h * w, dtype=np.float32).reshape(h, w))}
    hb = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage, "view": "left"}
    hd = {
        "compression": OpenEXR.PIZ_COMPRESSION,
        "type": OpenEXR.scanlineimage,
        "note": "depth pass",
    }
    with OpenEXR.File([OpenEXR.Part(hb, beauty, "beauty"), OpenEXR.Part(hd, depth, "depth")]) as f:
        f.write(str(path))


def test_multipart_choose_part_by_name_or_index(tmp_path: Path) -> None:
    path = tmp_path / "mp.exr"
    _multipart(path)
    first = read_plate(path)
    assert first.channel_names == ("G", "R") and first.header["name"] == "beauty"
    assert first.header["view"] == "left"
    depth = read_plate(path, part="depth")
    assert depth.channel_names == ("Z",) and depth.pixel_types == ("float",)
    assert depth.channel("Z")[1, 0] == 9.0
    assert read_plate(path, part=1).channel_names == ("Z",)
    with pytest.raises(ChannelNotFoundError, match="did you mean 'depth'"):
        read_plate(path, part="dpeth")
    with pytest.raises(ChannelNotFoundError, match="2 part"):
        read_plate(path, part=5)


def test_multipart_write_part_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "mp.exr"
    _multipart(path)
    beauty = read_plate(path, part="beauty")
    graded = beauty.with_channels({"R": beauty.channel("R") * 4})
    write_plate(graded, path, part="beauty")
    info = plate_info(path)
    assert [p["name"] for p in info["parts"]] == ["beauty", "depth"]
    assert read_plate(path, part="beauty").channel("R")[0, 0] == 4.0
    depth = read_plate(path, part="depth")
    np.testing.assert_array_equal(depth.channel("Z"), np.arange(54, dtype=np.float32).reshape(6, 9))
    assert depth.header["note"] == "depth pass" and depth.header["compression"] == "piz"


def test_multipart_write_new_part_name_appends(tmp_path: Path) -> None:
    path = tmp_path / "mp.exr"
    _multipart(path)
    extra = Plate(np.full((6, 9, 1), 0.25, np.float32), ("mask",), pixel_types=("half",))
    write_plate(extra, path, part="matte")
    assert [p["name"] for p in plate_info(path)["parts"]] == ["beauty", "depth", "matte"]
    assert read_plate(path, part="matte").channel("mask")[0, 0] == 0.25
    with pytest.raises(PlateWriteError, match="part index 7"):
        write_plate(extra, path, part=7)


def test_part_option_on_new_file_writes_named_part(tmp_path: Path) -> None:
    write_plate(synthetic(), tmp_path / "new.exr", part="beauty")
    assert read_plate(tmp_path / "new.exr", part="beauty").header["name"] == "beauty"


def test_layer_selection_and_multiview_names(tmp_path: Path) -> None:
    h, w = 4, 5
    names = ("A", "B", "G", "R", "left.B", "left.G", "left.R", "right.B", "right.G", "right.R")
    px = np.stack([np.full((h, w), i, np.float32) for i in range(len(names))], -1)
    p = Plate(
        px, names, pixel_types=("half",) * len(names), header={"multiView": ["right", "left"]}
    )
    write_plate(p, tmp_path / "mv.exr")
    allp = read_plate(tmp_path / "mv.exr")
    assert allp.channel_names == names and allp.header["multiView"] == ["right", "left"]
    assert allp.rgb_names("left") == ("left.R", "left.G", "left.B")
    left = read_plate(tmp_path / "mv.exr", layer="left")
    assert left.channel_names == ("left.B", "left.G", "left.R")
    assert left.channel("left.R")[0, 0] == names.index("left.R")
    main = read_plate(tmp_path / "mv.exr", layer="")
    assert main.channel_names == ("A", "B", "G", "R")
    with pytest.raises(ChannelNotFoundError, match="did you mean 'left'"):
        read_plate(tmp_path / "mv.exr", layer="lefft")


# --- deep ---------------------------------------------------------------------------------


def _attr(name: str, typ: str, data: bytes) -> bytes:
    import struct

    return name.encode() + b"\0" + typ.encode() + b"\0" + struct.pack("<i", len(data)) + data


def test_deep_file_refused_with_unsupported_plate_error(tmp_path: Path) -> None:
    import struct

    chl = b"Z\0" + struct.pack("<iB3xii", 2, 0, 1, 1) + b"\0"
    hdr = (
        _attr("channels", "chlist", chl)
        + _attr("compression", "compression", b"\0")
        + _attr("dataWindow", "box2i", struct.pack("<4i", 0, 0, 3, 3))
        + _attr("displayWindow", "box2i", struct.pack("<4i", 0, 0, 3, 3))
        + _attr("lineOrder", "lineOrder", b"\0")
        + _attr("pixelAspectRatio", "float", struct.pack("<f", 1))
        + _attr("screenWindowCenter", "v2f", struct.pack("<2f", 0, 0))
        + _attr("screenWindowWidth", "float", struct.pack("<f", 1))
        + _attr("type", "string", b"deepscanline")
        + _attr("version", "int", struct.pack("<i", 1))
        + b"\0"
    )
    data = struct.pack("<ii", 20000630, 2 | 0x800) + hdr + struct.pack("<4Q", 0, 0, 0, 0)
    path = tmp_path / "deep.exr"
    path.write_bytes(data)
    with pytest.raises(UnsupportedPlateError, match="deep.exr.*deep data"):
        read_plate(path)
    info = plate_info(path)  # described, not decoded
    assert info["parts"][0]["type"] == "deepscanline"


# --- plate_info -------------------------------------------------------------------------


def test_plate_info_is_json_ready(tmp_path: Path) -> None:
    p = synthetic(
        header={
            "whiteLuminance": 100.0,
            "colorSpace": "ACEScg",
            "chromaticities": (0.713, 0.293, 0.165, 0.83, 0.128, 0.044, 0.32168, 0.33767),
            "nanAttr": float("nan"),
            "type": "tiledimage",
            "tiles": {"x_size": 16, "y_size": 16},
        }
    )
    write_plate(p, tmp_path / "a.exr", compression="piz")
    info = plate_info(tmp_path / "a.exr")
    text = json.dumps(info, allow_nan=False)  # raises if anything is not JSON
    assert json.loads(text) == info
    part = info["parts"][0]
    assert part["compression"] == "piz" and part["type"] == "tiledimage"
    assert part["tiles"]["x_size"] == 16
    assert part["data_window"] == list(p.data_window)
    assert part["display_window"] == list(p.display_window)
    assert part["pixel_aspect"] == 2.0
    assert [(c["name"], c["type"]) for c in part["channels"]] == list(
        zip(p.channel_names, p.pixel_types)
    )
    assert part["colour"]["whiteLuminance"] == 100.0
    assert len(part["colour"]["chromaticities"]) == 8
    assert part["colorspace"] == "ACEScg" and part["colorspace_attribute"] == "colorSpace"
    assert part["attributes"]["nanAttr"] == "nan"


def test_read_missing_and_non_image(tmp_path: Path) -> None:
    from vfx_nodes.errors import PlateNotFoundError

    with pytest.raises(PlateNotFoundError, match="nope.exr"):
        read_plate(tmp_path / "nope.exr")
    (tmp_path / "notes.exr").write_text("not an image at all")
    with pytest.raises(PlateReadError, match="notes.exr.*not an image"):
        read_plate(tmp_path / "notes.exr")
    with pytest.raises(PlateReadError, match="folder"):
        read_plate(tmp_path)


# --- chromaticities (issue 14.5) ------------------------------------------------------------

REC709 = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)


def test_chromaticities_name_the_plates_colourspace(tmp_path: Path, caplog) -> None:
    """A Rec.709-tagged plate was read as the default scene-linear space (ACEScg)."""
    import logging

    import vfx_nodes as vn

    px = np.random.default_rng(0).random((6, 8, 3), dtype=np.float32)
    write_plate(Plate(px, ("R", "G", "B"), header={"chromaticities": REC709}), tmp_path / "709.exr")
    p = read_plate(tmp_path / "709.exr")
    assert p.colorspace == "Linear Rec.709 (sRGB)"
    # what stylize does with it equals telling it the colourspace
    look = vn.default_look_path()
    told = vn.stylize(p.replace(colorspace=None), look, colorspace="Linear Rec.709 (sRGB)")
    np.testing.assert_array_equal(vn.stylize(p, look).pixels, told.pixels)
    # an explicit colourspace attribute wins over the primaries
    write_plate(Plate(px, ("R", "G", "B"), header={"chromaticities": REC709, "colorSpace": "ACEScg"}),
                tmp_path / "both.exr")
    assert read_plate(tmp_path / "both.exr").colorspace == "ACEScg"
    # unknown primaries: the default, and a warning
    odd = (0.6, 0.3, 0.3, 0.6, 0.15, 0.06, 0.3, 0.3)
    write_plate(Plate(px, ("R", "G", "B"), header={"chromaticities": odd}), tmp_path / "odd.exr")
    with caplog.at_level(logging.WARNING, logger="vfx_nodes.io.exr"):
        assert read_plate(tmp_path / "odd.exr").colorspace == "scene_linear"
    assert any("match no known primaries" in r.getMessage() for r in caplog.records)


def test_corpus_aces_plate_is_read_as_aces2065(exr_corpus: Path) -> None:
    """ScanLines/Carrots.exr carries AP0 chromaticities and no colourspace attribute."""
    assert read_plate(exr_corpus / "ScanLines" / "Carrots.exr").colorspace == "ACES2065-1"

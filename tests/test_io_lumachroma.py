"""Luminance/chroma files: Y, RY, BY read as they are (sub-sampled chroma too), and RGB."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from vfx_nodes import read_plate, write_plate
from vfx_nodes.errors import ChannelNotFoundError, PlateError
from vfx_nodes.io import luminance_chroma_to_rgb, luminance_weights
from vfx_nodes.io.lumachroma import REC709_WEIGHTS
from vfx_nodes.plate import Plate

REC709_PRIMARIES = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)


def _attr(name: str, typ: str, data: bytes) -> bytes:
    return name.encode() + b"\0" + typ.encode() + b"\0" + struct.pack("<i", len(data)) + data


def raw_exr(channels: list[tuple[str, np.ndarray, int, int]], w: int, h: int) -> bytes:
    """An uncompressed scan-line EXR written byte by byte (the Python binding cannot write
    sub-sampled channels).  ``channels``: (name, samples, x sampling, y sampling), sorted."""
    ptype = {np.dtype(np.uint32): 0, np.dtype(np.float16): 1, np.dtype(np.float32): 2}
    chl = (
        b"".join(
            n.encode() + b"\0" + struct.pack("<iB3xii", ptype[a.dtype], 0, xs, ys)
            for n, a, xs, ys in channels
        )
        + b"\0"
    )
    header = (
        _attr("channels", "chlist", chl)
        + _attr("compression", "compression", b"\0")
        + _attr("dataWindow", "box2i", struct.pack("<4i", 0, 0, w - 1, h - 1))
        + _attr("displayWindow", "box2i", struct.pack("<4i", 0, 0, w - 1, h - 1))
        + _attr("lineOrder", "lineOrder", b"\0")
        + _attr("pixelAspectRatio", "float", struct.pack("<f", 1.0))
        + _attr("screenWindowCenter", "v2f", struct.pack("<2f", 0, 0))
        + _attr("screenWindowWidth", "float", struct.pack("<f", 1.0))
        + b"\0"
    )
    head = struct.pack("<ii", 20000630, 2) + header
    chunks = []
    for y in range(h):
        data = b"".join(
            a[y // ys].astype(a.dtype.newbyteorder("<")).tobytes()
            for _, a, _, ys in channels
            if y % ys == 0
        )
        chunks.append(struct.pack("<ii", y, len(data)) + data)
    offsets, pos = [], len(head) + 8 * h
    for c in chunks:
        offsets.append(pos)
        pos += len(c)
    return head + struct.pack(f"<{h}Q", *offsets) + b"".join(chunks)


def test_subsampled_chroma_read_at_full_resolution(tmp_path: Path) -> None:
    h, w = 4, 6
    y = np.arange(h * w, dtype=np.float16).reshape(h, w)
    ry = np.array([[0.125, 0.25, 0.5], [-0.125, -0.25, -0.5]], np.float16)
    (tmp_path / "yc.exr").write_bytes(
        raw_exr([("BY", -ry, 2, 2), ("RY", ry, 2, 2), ("Y", y, 1, 1)], w, h)
    )
    p = read_plate(tmp_path / "yc.exr")
    assert p.channel_names == ("BY", "RY", "Y")
    assert p.channel("RY").shape == (h, w)
    expected = np.repeat(np.repeat(ry.astype(np.float32), 2, 0), 2, 1)
    np.testing.assert_array_equal(p.channel("RY"), expected)
    np.testing.assert_array_equal(p.channel("BY"), -expected)
    np.testing.assert_array_equal(p.channel("Y"), y.astype(np.float32))
    # Written back at full resolution (documented): values kept.
    write_plate(p, tmp_path / "full.exr")
    np.testing.assert_array_equal(read_plate(tmp_path / "full.exr").pixels, p.pixels)


def test_rec709_weights_from_primaries() -> None:
    np.testing.assert_allclose(luminance_weights(REC709_PRIMARIES), REC709_WEIGHTS, atol=2e-4)
    assert luminance_weights(None) == REC709_WEIGHTS
    with pytest.raises(PlateError, match="8 numbers"):
        luminance_weights((0.1, 0.2))
    with pytest.raises(PlateError, match="degenerate"):
        luminance_weights((0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3127, 0.329))


def ycc_plate(rgb: np.ndarray, weights: tuple[float, float, float], **kw: object) -> Plate:
    wr, wg, wb = weights
    yy = rgb[..., 0] * wr + rgb[..., 1] * wg + rgb[..., 2] * wb
    ry, by = (rgb[..., 0] - yy) / yy, (rgb[..., 2] - yy) / yy
    alpha = np.full(yy.shape, 0.5, np.float32)
    return Plate(
        np.stack([alpha, by, ry, yy], -1), ("A", "BY", "RY", "Y"), pixel_types=("half",) * 4, **kw
    )


def test_luminance_chroma_to_rgb_inverts_encoding() -> None:
    rng = np.random.default_rng(3)
    rgb = rng.uniform(0.05, 4.0, size=(5, 6, 3)).astype(np.float32)
    p = ycc_plate(rgb, REC709_WEIGHTS)
    out = luminance_chroma_to_rgb(p)
    assert out.channel_names == ("A", "R", "G", "B")
    assert out.pixel_types == ("half",) * 4
    np.testing.assert_allclose(out.channels(["R", "G", "B"]), rgb, rtol=1e-5)
    np.testing.assert_array_equal(out.channel("A"), 0.5)
    assert p.channel_names == ("A", "BY", "RY", "Y")  # input unchanged


def test_luminance_chroma_uses_header_chromaticities() -> None:
    ap1 = (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)  # ACEScg primaries
    weights = luminance_weights(ap1)
    assert abs(weights[1] - REC709_WEIGHTS[1]) > 0.01
    rgb = np.random.default_rng(4).uniform(0.1, 2, size=(3, 4, 3)).astype(np.float32)
    p = ycc_plate(rgb, weights, header={"chromaticities": ap1})
    np.testing.assert_allclose(luminance_chroma_to_rgb(p).channels(["R", "G", "B"]), rgb, rtol=1e-5)
    # explicit weights override the header
    p709 = ycc_plate(rgb, REC709_WEIGHTS, header={"chromaticities": ap1})
    np.testing.assert_allclose(
        luminance_chroma_to_rgb(p709, weights=REC709_WEIGHTS).channels(["R", "G", "B"]),
        rgb,
        rtol=1e-5,
    )


def test_luminance_only_becomes_grey() -> None:
    y = np.linspace(0, 2, 12, dtype=np.float32).reshape(3, 4, 1)
    out = luminance_chroma_to_rgb(Plate(y, ("Y",), pixel_types=("half",)))
    assert out.channel_names == ("R", "G", "B")
    for c in "RGB":
        np.testing.assert_array_equal(out.channel(c), y[..., 0])


def test_luminance_chroma_errors() -> None:
    with pytest.raises(ChannelNotFoundError, match="no luminance channel 'Y'"):
        luminance_chroma_to_rgb(Plate(np.zeros((2, 2, 3), np.float32), ("R", "G", "B")))
    with pytest.raises(ChannelNotFoundError, match="only one of"):
        luminance_chroma_to_rgb(Plate(np.zeros((2, 2, 2), np.float32), ("RY", "Y")))


def test_garden_corpus_file_as_rgb(exr_corpus: Path) -> None:
    p = read_plate(exr_corpus / "LuminanceChroma" / "Garden.exr")
    assert p.channel_names == ("Y",) and p.header["type"] == "tiledimage"
    rgb = luminance_chroma_to_rgb(p)
    np.testing.assert_array_equal(rgb.channel("G"), p.channel("Y"))


# --- rendering luminance/chroma and greyscale plates (issue 14.6) ------------------------------


def test_stylize_turns_luminance_chroma_into_rgb() -> None:
    """`render` said "layers with RGB: none" for Y/RY/BY and Y-only plates."""
    import vfx_nodes as vn

    rng = np.random.default_rng(3)
    rgb = rng.random((24, 32, 3), dtype=np.float32) * 0.8 + 0.1
    ycc = ycc_plate(rgb, REC709_WEIGHTS)
    ycc = ycc.with_channels({"A": np.ones((24, 32), np.float32), "Z": np.full((24, 32), 4.0, np.float32)})
    look = vn.default_look_path()
    out = vn.stylize(ycc, look)
    assert set(out.channel_names) == {"R", "G", "B", "A", "Z"}
    ref = vn.stylize(luminance_chroma_to_rgb(ycc), look)
    np.testing.assert_array_equal(out.pixels, ref.pixels)
    np.testing.assert_array_equal(out.channel("Z"), ycc.channel("Z"))
    assert np.isfinite(out.pixels).all()
    assert vn.stylize(ycc, look, strength=0.0) is ycc  # nothing to mix: the input as it is
    grey = Plate(rgb[..., :1].copy(), ("Y",))
    styled = vn.stylize(grey, look)
    assert styled.channel_names == ("B", "G", "R") or set(styled.channel_names) == {"R", "G", "B"}


def test_render_the_greyscale_corpus_plate(exr_corpus: Path, tmp_path: Path, capsys) -> None:
    """OpenEXR's LuminanceChroma/Garden.exr (Y only, half) through `vfx-style render`."""
    import shutil

    from vfx_nodes import default_look_path
    from vfx_nodes.cli.main import main

    shutil.copy(exr_corpus / "LuminanceChroma" / "Garden.exr", tmp_path / "garden.0001.exr")
    assert main(["render", "-i", str(tmp_path / "garden.####.exr"), "-o", str(tmp_path / "o.####.exr"),
                 "--look", str(default_look_path()), "--frames", "1", "-q"]) == 0
    out = read_plate(tmp_path / "o.0001.exr")
    assert set(out.channel_names) == {"R", "G", "B"} and set(out.pixel_types) == {"half"}
    px = out.pixels
    assert np.isfinite(px).all() and np.abs(px[..., 0] - px[..., 2]).mean() > 1e-3  # the look added colour

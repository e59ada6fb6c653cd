"""PNG / JPEG / TIFF ↔ Plate: style references in, contact sheets and before/after out.

Reading
    8- and 16-bit PNG, JPEG and TIFF files become plates with values scaled to 0–1
    float32 (``v / 255`` or ``v / 65535``), ``pixel_types`` ``"uint8"``/``"uint16"``, and
    ``colorspace`` = :data:`~vfx_nodes.policy.colour.DEFAULT_RASTER_SPACE` (these files
    are display-encoded sRGB; the colour room converts them).  Channels are named ``Y``
    (grey), ``Y``/``A``, ``R``/``G``/``B`` or ``R``/``G``/``B``/``A``.  Pillow decodes PNG
    and JPEG (palette images are expanded to RGB(A)); tifffile decodes TIFF.  Pillow
    truncates 16-bit *colour* PNGs to 8 bits, so those are decoded with pypng (a small
    pure-Python dependency) at full depth.
    Float TIFFs are read as ``"float"`` without scaling.

Writing (PNG only)
    Values are clipped to 0–1 (NaN → 0) and quantised with round-to-nearest to 8 or 16
    bits (``bit_depth=``).  No colour conversion happens here: convert the plate to the
    display encoding first (e.g. with the colour room's ``convert_plate``).  The main
    layer's R, G, B (and A when present) are written, or ``Y`` for a grey plate.
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ChannelNotFoundError, PlateReadError, PlateWriteError, UnsupportedPlateError
from ..plate import Plate
from ._atomic import atomic_target
from .limits import REDUCED_READ_FACTOR, check_declared, max_pixels

__all__ = ["RASTER_SUFFIXES", "read_raster", "sniff", "write_png"]

RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def sniff(head: bytes) -> str | None:
    """The format of a file from its first bytes: ``exr``, ``png``, ``jpeg``, ``tiff``."""
    if head[:4] == b"\x76\x2f\x31\x01":
        return "exr"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    return None


def _names(c: int) -> tuple[str, ...]:
    return {1: ("Y",), 2: ("Y", "A"), 3: ("R", "G", "B"), 4: ("R", "G", "B", "A")}[c]


def _png_is_16bit_colour(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(33)
    if len(head) < 33 or head[12:16] != b"IHDR":
        return False
    depth, ctype = head[24], head[25]
    return depth == 16 and ctype in (2, 6, 4)


def _png_size(path: str) -> tuple[int, int] | None:
    """The width and height a PNG's IHDR declares (read before any decoding)."""
    with open(path, "rb") as fh:
        head = fh.read(24)
    if len(head) < 24 or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _reduce_factor(size: tuple[int, int], max_side: int | None) -> int:
    return 1 if not max_side or max(size) <= max_side else -(-max(size) // max_side)


_PILLOW_LIMIT = threading.Lock()


@contextlib.contextmanager
def _pillow_limit(limit: int) -> Iterator[None]:
    """Pillow refuses images over twice its own ``MAX_IMAGE_PIXELS`` at open; for the length
    of one open it is made to agree with vfx_nodes' limit (which is checked right after)."""
    from PIL import Image

    with _PILLOW_LIMIT:
        before = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = limit // 2
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = before


def _read_pillow(path: str, max_side: int | None = None) -> np.ndarray:
    import re

    from PIL import Image, UnidentifiedImageError

    allowance = REDUCED_READ_FACTOR if max_side else 1
    try:
        with _pillow_limit(max_pixels() * allowance):
            opened = Image.open(path)
        with opened:
            check_declared(path, *opened.size, factor=allowance)
            k = _reduce_factor(opened.size, max_side)
            if k > 1 and opened.format == "JPEG":
                # JPEG decodes at 1/2, 1/4, 1/8 directly (DCT scaling): a large painting
                # never exists at full size in memory
                opened.draft(opened.mode, (opened.size[0] // k, opened.size[1] // k))
            opened.load()
            im: Image.Image = opened
            if im.mode == "P":
                im = im.convert("RGBA" if "transparency" in im.info else "RGB")
            elif im.mode in ("1", "CMYK", "YCbCr", "LAB", "HSV"):
                im = im.convert("RGB" if im.mode != "1" else "L")
            elif im.mode in ("I;16", "I;16B", "I;16L"):
                return _block_mean(np.asarray(im, dtype=np.uint16), max_side)
            elif im.mode == "I":
                return _block_mean(np.asarray(im).astype(np.uint16), max_side)
            k = _reduce_factor(im.size, max_side)
            if k > 1:
                im = im.reduce(k)
            return np.asarray(im)
    except Image.DecompressionBombError as exc:  # Pillow's own check, at open
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(found.group(1)) if found else 0
        raise UnsupportedPlateError(
            f"{path!r} declares {pixels / 1e6:.0f} Mpx, more than vfx_nodes decodes "
            f"({max_pixels() * allowance / 1e6:.0f} Mpx); "
            "if the image is real, raise VFX_NODES_MAX_PIXELS") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise PlateReadError(f"{path!r} is a damaged or unreadable image: {exc}") from None


def _read_png16(path: str) -> np.ndarray:
    """Decode a 16-bit colour PNG at full depth with pypng (pure Python, a dependency).

    Pillow truncates 16-bit RGB(A) PNGs to 8 bits, which would band a 16-bit painting scan.
    """
    import png  # pypng

    try:
        width, height, rows, info = png.Reader(filename=path).asDirect()
        planes = int(info["planes"])
        arr = np.vstack([np.asarray(r, dtype=np.uint16) for r in rows])
    except (png.Error, OSError, ValueError, EOFError) as exc:
        raise PlateReadError(f"{path!r} is a damaged or unreadable PNG: {exc}") from None
    if arr.shape != (height, width * planes):
        raise PlateReadError(f"{path!r} is a truncated PNG: expected {height} rows of {width} pixels")
    return arr.reshape(height, width, planes)


def _read_tiff(path: str) -> np.ndarray:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            shape = tuple(int(v) for v in getattr(page, "shape", ()) or ())
            if len(shape) >= 2:
                h, w = (shape[1], shape[2]) if len(shape) == 3 and shape[0] <= 4 < shape[2] else shape[:2]
                check_declared(path, w, h)
            arr = page.asarray()
            photometric = getattr(page.photometric, "name", "")
    except UnsupportedPlateError:
        raise
    except Exception as exc:
        raise PlateReadError(f"{path!r} is a damaged or unreadable TIFF: {exc}") from None
    if photometric == "PALETTE":
        raise PlateReadError(f"{path!r} is a palette TIFF; save it as RGB")
    if arr.ndim == 3 and arr.shape[0] in (1, 2, 3, 4) and arr.shape[2] not in (1, 2, 3, 4):
        arr = np.moveaxis(arr, 0, -1)  # planar configuration
    if photometric == "MINISWHITE":
        arr = np.iinfo(arr.dtype).max - arr if arr.dtype.kind == "u" else -arr
    return arr


def _decode(spath: str, kind: str | None, max_side: int | None) -> np.ndarray:
    """The samples of a PNG, JPEG or TIFF file (reduced to ``max_side``), its declared size
    checked first."""
    if kind == "tiff":
        return _block_mean(_read_tiff(spath), max_side)
    if kind == "png":
        deep = _png_is_16bit_colour(spath)
        size = _png_size(spath)
        if size is not None:  # 8-bit PNGs read reduced are reduced as soon as decoded
            check_declared(spath, *size, factor=REDUCED_READ_FACTOR if max_side and not deep else 1)
        if deep:
            return _block_mean(_read_png16(spath), max_side)
    if kind in ("png", "jpeg"):
        return _read_pillow(spath, max_side)
    raise PlateReadError(f"{spath!r} is not a PNG, JPEG or TIFF file")


def read_raster(path: str | os.PathLike[str], kind: str | None = None, *, max_side: int | None = None) -> Plate:
    """Read a PNG, JPEG or TIFF file as a Plate (see the module docstring).

    Args:
        path: the file; ``kind``: ``"png"``, ``"jpeg"`` or ``"tiff"`` (default: sniffed).
        max_side: decode reduced (by a whole factor, JPEG by DCT scaling) so that the
            long side is at most this (a painting; ``None`` = full size).

    Raises:
        PlateReadError: damaged file or an unsupported layout (more than 4 channels,
            bit depth other than 8/16 or float).
        UnsupportedPlateError: the file declares more pixels than
            :func:`vfx_nodes.io.limits.max_pixels`.
    """
    from ..policy.colour import DEFAULT_RASTER_SPACE

    spath = os.fspath(path)
    if kind is None:
        with open(spath, "rb") as fh:
            kind = sniff(fh.read(8))
    arr = _decode(spath, kind, max_side)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or not 1 <= arr.shape[2] <= 4 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise PlateReadError(
            f"{spath!r}: unsupported image layout {arr.shape} (need H×W with 1–4 channels)"
        )
    if arr.dtype == np.uint8:
        pixels, ptype = arr.astype(np.float32) / np.float32(255.0), "uint8"
    elif arr.dtype == np.uint16:
        pixels, ptype = arr.astype(np.float32) / np.float32(65535.0), "uint16"
    elif arr.dtype.kind == "f":
        pixels, ptype = arr.astype(np.float32), "float"
    else:
        raise PlateReadError(
            f"{spath!r}: unsupported sample type {arr.dtype} (valid: 8/16-bit or float)"
        )
    c = pixels.shape[2]
    return Plate(
        pixels,
        _names(c),
        pixel_types=(ptype,) * c,
        colorspace=DEFAULT_RASTER_SPACE,
        header={"format": kind},
        source=spath,
    )


def _block_mean(arr: np.ndarray, max_side: int | None) -> np.ndarray:
    """``arr`` reduced by a whole factor (box average) to a long side ≤ ``max_side``."""
    k = _reduce_factor((arr.shape[1], arr.shape[0]), max_side) if arr.ndim >= 2 else 1
    if k == 1:
        return arr
    h, w = arr.shape[0] // k * k, arr.shape[1] // k * k
    a = arr[:h, :w].astype(np.float32).reshape(h // k, k, w // k, k, *arr.shape[2:]).mean(axis=(1, 3))
    return np.rint(a).astype(arr.dtype) if arr.dtype.kind in "ui" else a


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + tag
        + data
        + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    )


def _encode_png16(arr: np.ndarray) -> bytes:
    h, w, c = arr.shape
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = np.ascontiguousarray(arr, dtype=">u2").view(np.uint8).reshape(h, w * c * 2)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1)  # filter type 0 per row
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, ctype, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + _png_chunk(b"IEND", b"")
    )


def _png_channels(plate: Plate) -> tuple[str, ...]:
    try:
        names: tuple[str, ...] = plate.rgb_names("")
    except ChannelNotFoundError:
        if plate.has_channel("Y"):
            names = ("Y",)
        elif len(plate.channel_names) == 1:
            names = plate.channel_names
        else:
            raise PlateWriteError(
                f"cannot write {plate!r} as PNG: it needs R, G, B (or a single Y channel); "
                f"it has {list(plate.channel_names)}"
            ) from None
    alpha = plate.alpha_name("")
    return names + ((alpha,) if alpha else ())


def write_png(plate: Plate, path: str | os.PathLike[str], *, bit_depth: int = 8, **_: Any) -> None:
    """Write the plate's RGB(A) (or Y) as an 8- or 16-bit PNG, atomically.

    Values are clipped to 0–1 (NaN → 0, +Inf → 1) and rounded to the nearest code value;
    no colour conversion is applied.  Display-window padding is not added: the data
    window's pixels are written.

    Raises:
        PlateWriteError: bad ``bit_depth``, no writable channels, or the write failed.
    """
    if bit_depth not in (8, 16):
        raise PlateWriteError(f"PNG bit_depth must be 8 or 16, got {bit_depth!r}")
    names = _png_channels(plate)
    vals = np.nan_to_num(plate.channels(names), nan=0.0, posinf=1.0, neginf=0.0)
    top = 255.0 if bit_depth == 8 else 65535.0
    q = np.rint(np.clip(vals, 0.0, 1.0) * top)
    with atomic_target(Path(os.fspath(path))) as tmp:
        if bit_depth == 16:
            tmp.write_bytes(_encode_png16(q.astype(np.uint16)))
        else:
            from PIL import Image

            arr = q.astype(np.uint8)
            mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[arr.shape[2]]
            Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr, mode=mode).save(
                tmp, format="PNG"
            )

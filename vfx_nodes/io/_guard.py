"""A pure-Python structural check of an EXR file, run before OpenEXR sees the file.

Why: OpenEXR's C++ library is hardened by fuzzing, but its Python binding reacts to some
damaged files by *printing* a warning and returning a file with no parts instead of
raising (e.g. a chunk offset table pointing outside the file), and a decoder fed a
corrupt offset table is exactly the code path fuzzers break most often.  A compositing
farm must get a clear, catchable error naming the frame instead.  So before any byte is
handed to the library we check, in Python, with bounds-checked reads only:

* the magic number and the version field (version 2, only known flag bits);
* every header: each attribute's name, type name and size lie inside the file, the
  required attributes are present (``channels``, ``compression``, ``dataWindow``,
  ``displayWindow``, ``lineOrder``, ``pixelAspectRatio``, ``screenWindowCenter``,
  ``screenWindowWidth``; ``tiles`` for tiled parts; ``name``/``type``/``chunkCount`` in
  multi-part files), the channel list parses, pixel types and samplings are valid and
  the windows are non-empty and of sane size (each side ≤ 2**24 pixels);
* the chunk offset tables: every offset points inside the file, past the tables, and
  every chunk's stored data size fits inside the file.

The layout follows "The OpenEXR File Layout" (openexr.com, docs/TechnicalIntroduction and
OpenEXRFileLayout).  The check reads the header and the offset tables plus 8–28 bytes per
chunk through ``mmap``, so it costs well under a millisecond per chunk table.

Deep parts are recognised here too, so they are refused before any pixel is decoded.
"""

from __future__ import annotations

import dataclasses
import mmap
import os
import struct
from typing import Any

from ..errors import PlateReadError

MAGIC = 20000630
_VERSION_MASK = 0xFF
_TILED = 0x200
_LONG_NAMES = 0x400
_NON_IMAGE = 0x800
_MULTIPART = 0x1000
_KNOWN_FLAGS = _TILED | _LONG_NAMES | _NON_IMAGE | _MULTIPART

MAX_SIDE = 1 << 24
"""Largest width or height accepted (16 M pixels): larger windows are damage, not plates."""

# Scan lines per chunk for each compression (OpenEXR ImfCompression.cpp,
# getCompressionNumScanlines).  Unknown ones (future codecs) skip the chunk-count check
# unless the header has a chunkCount attribute.
LINES_PER_CHUNK = {
    0: 1,
    1: 1,
    2: 1,
    3: 16,
    4: 32,
    5: 16,
    6: 32,
    7: 32,
    8: 32,
    9: 256,
    10: 256,
    11: 32,
}

STORAGE_NAMES = ("scanlineimage", "tiledimage", "deepscanline", "deeptile")

_REQUIRED = (
    "channels",
    "compression",
    "dataWindow",
    "displayWindow",
    "lineOrder",
    "pixelAspectRatio",
    "screenWindowCenter",
    "screenWindowWidth",
)


@dataclasses.dataclass
class PartLayout:
    """What the guard learned about one part (used for messages and ``plate_info``)."""

    attributes: dict[str, tuple[str, bytes]]
    channels: list[tuple[str, int, int, int]]  # name, pixel type, x sampling, y sampling
    data_window: tuple[int, int, int, int]
    storage: str
    compression: int
    chunk_count: int | None
    name: str | None


class _Damaged(Exception):
    pass


def _cstr(buf: Any, pos: int, limit: int, what: str) -> tuple[str, int]:
    end = buf.find(b"\0", pos, min(len(buf), pos + limit + 1))
    if end < 0:
        raise _Damaged(f"{what} at byte {pos} is not terminated within {limit} characters")
    try:
        return bytes(buf[pos:end]).decode("utf-8"), end + 1
    except UnicodeDecodeError:
        raise _Damaged(f"{what} at byte {pos} is not valid text") from None


def _unpack(fmt: str, buf: Any, pos: int, what: str) -> tuple[Any, ...]:
    size = struct.calcsize(fmt)
    if pos < 0 or pos + size > len(buf):
        raise _Damaged(f"{what} at byte {pos} lies beyond the end of the file ({len(buf)} bytes)")
    return struct.unpack_from(fmt, buf, pos)


def _parse_channels(raw: bytes) -> list[tuple[str, int, int, int]]:
    out = []
    pos = 0
    while True:
        if pos >= len(raw):
            raise _Damaged("channel list is not terminated")
        if raw[pos] == 0:
            break
        name, pos = _cstr(raw, pos, 255, "channel name")
        if not name:
            raise _Damaged("channel list holds an empty channel name")
        ptype, _plinear, xs, ys = _unpack("<iB3xii", raw, pos, f"channel {name!r}")
        pos += 16
        if ptype not in (0, 1, 2):
            raise _Damaged(
                f"channel {name!r} has unknown pixel type {ptype} (valid: 0 uint, 1 half, 2 float)"
            )
        if not (1 <= xs <= MAX_SIDE and 1 <= ys <= MAX_SIDE):
            raise _Damaged(f"channel {name!r} has invalid sampling {xs}×{ys}")
        out.append((name, ptype, xs, ys))
    if not out:
        raise _Damaged("channel list is empty")
    return out


def _box(raw: bytes, what: str) -> tuple[int, int, int, int]:
    if len(raw) != 16:
        raise _Damaged(f"{what} has {len(raw)} bytes, expected 16")
    x0, y0, x1, y1 = struct.unpack("<iiii", raw)
    if x1 < x0 or y1 < y0 or x1 - x0 + 1 > MAX_SIDE or y1 - y0 + 1 > MAX_SIDE:
        raise _Damaged(
            f"{what} ({x0}, {y0}, {x1}, {y1}) is empty or larger than {MAX_SIDE} pixels a side"
        )
    return (x0, y0, x1, y1)


def _tile_chunks(raw: bytes, dw: tuple[int, int, int, int]) -> int:
    if len(raw) != 9:
        raise _Damaged(f"tiles attribute has {len(raw)} bytes, expected 9")
    tx, ty, mode = struct.unpack("<IIB", raw)
    level_mode, rounding = mode & 0x0F, mode >> 4
    if not (1 <= tx <= MAX_SIDE and 1 <= ty <= MAX_SIDE) or level_mode > 2 or rounding > 1:
        raise _Damaged(f"tiles attribute is invalid (tile {tx}×{ty}, mode {mode})")
    w, h = dw[2] - dw[0] + 1, dw[3] - dw[1] + 1

    def nlevels(size: int) -> int:
        # OpenEXR ImfTileDescription: floor/ceil of log2, plus one.
        n, s = 0, size
        if rounding == 0:
            while s > 1:
                s >>= 1
                n += 1
        else:
            n = (size - 1).bit_length()
        return n + 1

    def level_size(size: int, lev: int) -> int:
        return max((size + ((1 << lev) - 1 if rounding else 0)) >> lev, 1)

    def tiles(lw: int, lh: int) -> int:
        return -(-lw // tx) * -(-lh // ty)

    if level_mode == 0:
        return tiles(w, h)
    if level_mode == 1:
        n = nlevels(max(w, h))
        return sum(tiles(level_size(w, lv), level_size(h, lv)) for lv in range(n))
    nx, ny = nlevels(w), nlevels(h)
    return sum(tiles(level_size(w, a), level_size(h, b)) for a in range(nx) for b in range(ny))


def check_exr(path: str) -> list[PartLayout]:
    """Validate the structure of the EXR file at ``path``; return its part layouts.

    Raises:
        PlateReadError: naming the file and what is damaged.
    """
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < 8:
                raise PlateReadError(f"{path!r} is not an EXR file ({size} bytes)")
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _check(buf, path)
    except _Damaged as exc:
        raise PlateReadError(f"{path!r} is a damaged EXR file: {exc}") from None
    except OSError as exc:
        if isinstance(exc, PlateReadError):
            raise
        raise PlateReadError(f"cannot read {path!r}: {exc.strerror or exc}") from exc


def _check(buf: Any, path: str) -> list[PartLayout]:
    """The file's part layouts, after checking its version, headers and offset tables."""
    magic, version = struct.unpack_from("<ii", buf, 0)
    if magic != MAGIC:
        raise PlateReadError(f"{path!r} is not an EXR file (wrong magic number)")
    if version & _VERSION_MASK != 2 or version & ~(_VERSION_MASK | _KNOWN_FLAGS):
        raise _Damaged(f"unsupported version field 0x{version:x} (expected version 2)")
    multipart = bool(version & _MULTIPART)
    name_limit = 255 if version & _LONG_NAMES else 31
    headers, pos = _read_headers(buf, 8, multipart, name_limit)
    parts = [_part_layout(attrs, f"part {i}" if multipart else "header", buf, version, multipart)
             for i, attrs in enumerate(headers)]
    if any(p.chunk_count is None for p in parts):
        return parts  # a codec newer than this check: leave the rest to OpenEXR
    _check_offset_tables(buf, parts, pos, multipart)
    return parts


def _read_headers(buf: Any, pos: int, multipart: bool, name_limit: int
                  ) -> tuple[list[dict[str, tuple[str, bytes]]], int]:
    """Every header from byte ``pos`` (one, or a multi-part file's list ended by a 0 byte);
    returns them and the position after them."""
    headers: list[dict[str, tuple[str, bytes]]] = []
    while True:
        if pos >= len(buf):
            raise _Damaged("the header is not terminated")
        if buf[pos] == 0:
            pos += 1
            if multipart and headers:
                break
            raise _Damaged("the first header is empty" if multipart else "the header is empty")
        attrs, pos = _read_attributes(buf, pos, name_limit)
        headers.append(attrs)
        if not multipart:
            break
    return headers, pos


def _read_attributes(buf: Any, pos: int, name_limit: int) -> tuple[dict[str, tuple[str, bytes]], int]:
    """One header's attributes (name → (type name, raw bytes)) and the position after it."""
    attrs: dict[str, tuple[str, bytes]] = {}
    while True:
        if pos >= len(buf):
            raise _Damaged("a header is not terminated")
        if buf[pos] == 0:
            return attrs, pos + 1
        name, pos = _cstr(buf, pos, name_limit, "attribute name")
        tname, pos = _cstr(buf, pos, name_limit, f"type of attribute {name!r}")
        (asize,) = _unpack("<i", buf, pos, f"size of attribute {name!r}")
        pos += 4
        if asize < 0 or pos + asize > len(buf):
            raise _Damaged(f"attribute {name!r} claims {asize} bytes, beyond the end of the file")
        attrs[name] = (tname, bytes(buf[pos : pos + asize]))
        pos += asize


def _storage(attrs: dict[str, tuple[str, bytes]], where: str, version: int) -> str:
    """The part's storage type: its ``type`` attribute, else from the version flags."""
    if "type" in attrs:
        storage = attrs["type"][1].rstrip(b"\0").decode("utf-8", "replace")
        if storage not in STORAGE_NAMES:
            raise _Damaged(f"{where} has unknown part type {storage!r}")
        return storage
    tiled = bool(version & _TILED)
    if version & _NON_IMAGE:
        return "deeptile" if tiled else "deepscanline"
    return "tiledimage" if tiled else "scanlineimage"


def _chunk_count(attrs: dict[str, tuple[str, bytes]], where: str, storage: str, compression: int,
                 dw: tuple[int, int, int, int]) -> int | None:
    """How many chunks the part's offset table holds (``None``: a codec this check does not
    know, and no ``chunkCount`` to say)."""
    if "chunkCount" in attrs:
        raw = attrs["chunkCount"][1]
        if len(raw) != 4:
            raise _Damaged(f"{where} chunkCount is malformed")
        return int(struct.unpack("<i", raw)[0])
    if storage in ("tiledimage", "deeptile"):
        if "tiles" not in attrs:
            raise _Damaged(f"{where} is tiled but has no tiles attribute")
        return _tile_chunks(attrs["tiles"][1], dw)
    if compression in LINES_PER_CHUNK:
        return -(-(dw[3] - dw[1] + 1) // LINES_PER_CHUNK[compression])
    return None


def _part_layout(attrs: dict[str, tuple[str, bytes]], where: str, buf: Any, version: int,
                 multipart: bool) -> PartLayout:
    """One header checked: required attributes, channels, windows, compression, chunks."""
    missing = [a for a in _REQUIRED if a not in attrs]
    if multipart:
        missing += [a for a in ("name", "type", "chunkCount") if a not in attrs]
    if missing:
        raise _Damaged(f"{where} lacks required attribute(s) {', '.join(missing)}")
    chans = _parse_channels(attrs["channels"][1])
    dw = _box(attrs["dataWindow"][1], "data window")
    _box(attrs["displayWindow"][1], "display window")
    comp = attrs["compression"][1]
    if len(comp) != 1 or comp[0] >= 14:
        raise _Damaged(f"{where} has unknown compression {comp!r}")
    storage = _storage(attrs, where, version)
    count = _chunk_count(attrs, where, storage, comp[0], dw)
    if storage == "tiledimage" and "tiles" in attrs:
        _tile_chunks(attrs["tiles"][1], dw)
    if count is not None and not (0 < count <= len(buf) // 8):
        raise _Damaged(f"{where} claims {count} chunks, impossible for a {len(buf)}-byte file")
    pname = attrs["name"][1].decode("utf-8", "replace") if "name" in attrs else None
    return PartLayout(attrs, chans, dw, storage, comp[0], count, pname)


def _check_offset_tables(buf: Any, parts: list[PartLayout], pos: int, multipart: bool) -> None:
    """Every chunk offset (the tables follow the headers, one per part) points inside the
    file, past the tables, at a chunk whose stored size fits in the file."""
    table_end = pos + 8 * sum(p.chunk_count or 0 for p in parts)
    if table_end > len(buf):
        raise _Damaged("the chunk offset table runs past the end of the file (truncated file?)")
    lead = 4 if multipart else 0  # multi-part chunks start with the part number
    for i, p in enumerate(parts):
        if not p.storage.startswith("deep"):  # deep parts are refused later, with their own message
            # scan line chunk: y, size; tile chunk: x, y, level x, level y, size
            head = 8 if p.storage == "scanlineimage" else 20
            for k in range(p.chunk_count or 0):
                _check_chunk(buf, int(struct.unpack_from("<Q", buf, pos + 8 * k)[0]), k, i, table_end,
                             lead + head)
        pos += 8 * (p.chunk_count or 0)


def _check_chunk(buf: Any, off: int, k: int, part: int, table_end: int, head: int) -> None:
    """Chunk ``k`` of ``part`` at byte ``off``: written, inside the file, its data too."""
    if off == 0:
        raise _Damaged(f"chunk {k} of part {part} was never written (incomplete file)")
    if off < table_end or off + head > len(buf):
        raise _Damaged(f"chunk {k} of part {part} is recorded at byte {off}, outside the file")
    (dsize,) = struct.unpack_from("<i", buf, off + head - 4)
    if dsize < 0 or off + head + dsize > len(buf):
        raise _Damaged(f"chunk {k} of part {part} claims {dsize} bytes of data, beyond the end of the file")

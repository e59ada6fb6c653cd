"""EXR ↔ Plate through OpenEXR's Python bindings (``OpenEXR.File``, OpenEXR ≥ 3.3).

Reading
    Every file first passes the pure-Python structure check of :mod:`._guard` (damaged
    files become :class:`~vfx_nodes.errors.PlateReadError` naming the file before the C++
    decoder sees them).  Scan-line and tiled parts are read; of a mip/rip-mapped part only
    the top level (full resolution) is read; deep parts raise
    :class:`~vfx_nodes.errors.UnsupportedPlateError`.  Channels keep their file names
    (``R``, ``left.R``, ``Y``/``RY``/``BY`` ...), half and float become float32 exactly
    (NaN payloads included), ``uint`` channels become float32 *and* their exact uint32
    values ride along in ``Plate.exact``.  Sub-sampled channels (the ``RY``/``BY`` of
    luminance/chroma files) are brought to full resolution by pixel replication.

Header
    ``Plate.header`` holds every attribute except the ones that are Plate fields
    (``channels``, ``dataWindow``, ``displayWindow``, ``pixelAspectRatio``) and the
    file-structure ``chunkCount``.  Structural attributes are turned into plain Python:
    ``compression`` → ``"zip"``/``"piz"``..., ``lineOrder`` → ``"increasing_y"``...,
    ``type`` → ``"scanlineimage"``/``"tiledimage"``, ``tiles`` → ``{"x_size", "y_size",
    "level_mode", "rounding_mode"}``.  Custom attributes keep the values the binding
    gives, so they are written back with their original attribute types.

Writing (see :func:`write_exr`)
    Pixel types, windows, pixel aspect, line order, tiling and every attribute are kept.
    The compression is the plate's own unless that compression is **lossy** for the
    channels being written (B44, B44A, DWAA, DWAB on half channels; PXR24 on float
    channels): re-encoding already-decoded pixels with a lossy codec loses detail a
    second time, generation after generation, so such plates are written with ZIP (the
    lossless codec Nuke and most renderers default to) unless ``keep_lossy=True`` or an
    explicit ``compression=`` is given.  A mip-mapped source is written as a single-level
    tiled file with the same tile size (only the top level was read).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import (
    ChannelNotFoundError,
    PlateError,
    PlateReadError,
    PlateWriteError,
    UnsupportedPlateError,
    close_matches,
)
from ..plate import Plate
from . import _guard
from ._atomic import atomic_target
from .limits import check_layouts

__all__ = [
    "CHROMATICITIES",
    "COLORSPACE_ATTRIBUTES",
    "COMPRESSIONS",
    "LOSSY_COMPRESSIONS",
    "colorspace_of_chromaticities",
    "read_exr",
    "read_exr_parts",
    "write_exr",
    "write_exr_parts",
]

#: Compression names accepted by ``compression=`` (OpenEXR's, lower case, no suffix).
COMPRESSIONS = (
    "none",
    "rle",
    "zips",
    "zip",
    "piz",
    "pxr24",
    "b44",
    "b44a",
    "dwaa",
    "dwab",
    "htj2k256",
    "htj2k32",
    "lj2k",
    "zstd",
)

#: Compressions that lose information on half channels.  PXR24 is lossless on half and
#: uint channels and lossy (24-bit mantissa rounding) on float channels only.
LOSSY_COMPRESSIONS = frozenset({"b44", "b44a", "dwaa", "dwab"})

#: Header attributes holding the colourspace of the colour channels, in priority order
#: (OpenImageIO writes ``oiio:ColorSpace``; Nuke and ACES tools write ``colorSpace`` or
#: ``colorspace``).  OpenEXR 3.4's ``colorInteropID`` (e.g. ``lin_ap1_scene``) is shown by
#: ``plate_info`` but not used as a tag: it is an interop identifier, not an OCIO name.
COLORSPACE_ATTRIBUTES = ("colorSpace", "oiio:ColorSpace", "colorspace", "ocio:colorspace")

_PLATE_FIELDS = ("channels", "dataWindow", "displayWindow", "pixelAspectRatio", "chunkCount")
_PIXEL_TYPE_NAMES = {0: "uint", 1: "half", 2: "float"}
_DTYPES = {"half": np.float16, "float": np.float32, "uint": np.uint32}


def _exr():  # type: ignore[no-untyped-def]
    import OpenEXR  # imported lazily: `import vfx_nodes` must stay cheap

    return OpenEXR


def _threads() -> int:
    # The binding's default (-1) uses OpenEXR's global pool, which is 0 threads unless
    # someone called set_global_thread_count; decoding ZIP/PIZ chunks scales with cores.
    return max(1, os.cpu_count() or 1)


# --- structural attributes <-> plain Python ---------------------------------------------


def _enum_name(value: Any) -> str:
    name = getattr(value, "name", str(value)).split(".")[-1]
    return name.lower()


def compression_name(value: Any) -> str:
    """``OpenEXR.Compression`` / int / name → the short lower-case name (``"zip"``).

    Raises:
        PlateWriteError: an unknown compression (the message lists the valid names).
    """
    if isinstance(value, str):
        name = value.lower().removesuffix("_compression")
        if name == "no":
            name = "none"
    elif isinstance(value, (int, np.integer)) and not hasattr(value, "name"):
        name = COMPRESSIONS[int(value)] if 0 <= int(value) < len(COMPRESSIONS) else str(value)
    else:
        name = _enum_name(value).removesuffix("_compression")
        name = "none" if name == "no" else name
    if name not in COMPRESSIONS:
        raise PlateWriteError(
            f"unknown EXR compression {value!r}: {close_matches(str(name), COMPRESSIONS)}"
        )
    return name


def _compression_enum(name: str) -> Any:
    exr = _exr()
    return getattr(exr, "NO_COMPRESSION" if name == "none" else f"{name.upper()}_COMPRESSION")


def _from_binding(key: str, value: Any) -> Any:
    if key == "compression":
        return compression_name(value)
    if key == "lineOrder":
        return _enum_name(value)
    if key == "type":
        return _enum_name(value)
    if key == "tiles":
        return {
            "x_size": int(value.xSize),
            "y_size": int(value.ySize),
            "level_mode": _enum_name(value.mode),
            "rounding_mode": _enum_name(value.roundingMode),
        }
    return value


def _tiles_to_binding(value: Any) -> Any:
    exr = _exr()
    if isinstance(value, exr.TileDescription):
        d = _from_binding("tiles", value)
    elif isinstance(value, Mapping):
        d = dict(value)
    else:
        raise PlateWriteError(
            f"header 'tiles' must be a dict with x_size and y_size, got {value!r}"
        )
    t = exr.TileDescription()
    try:
        t.xSize, t.ySize = int(d["x_size"]), int(d["y_size"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PlateWriteError(
            f"header 'tiles' must give integer x_size and y_size, got {value!r}"
        ) from exc
    # Only the top level of a mip/rip map was read, so the file we write has one level.
    t.mode = exr.ONE_LEVEL
    t.roundingMode = (
        exr.ROUND_UP if str(d.get("rounding_mode", "")).endswith("up") else exr.ROUND_DOWN
    )
    return t


# --- reading ----------------------------------------------------------------------------


def _select_part(layouts: list[_guard.PartLayout], part: int | str | None, path: str) -> int:
    names = [p.name or str(i) for i, p in enumerate(layouts)]
    if part is None:
        return 0
    if isinstance(part, (int, np.integer)) and not isinstance(part, bool):
        if 0 <= int(part) < len(layouts):
            return int(part)
        raise ChannelNotFoundError(
            f"{path!r} has {len(layouts)} part(s) (indices 0–{len(layouts) - 1}, names {names}); "
            f"there is no part {part}"
        )
    if isinstance(part, str):
        if part in names:
            return names.index(part)
        if part.isdigit() and int(part) < len(layouts):
            return int(part)
        raise ChannelNotFoundError(f"{path!r} has no part {part!r}: {close_matches(part, names)}")
    raise ChannelNotFoundError(f"part must be a part name or index, got {part!r}")


def _open(path: str, header_only: bool = False):  # type: ignore[no-untyped-def]
    exr = _exr()
    try:
        f = exr.File(path, separate_channels=True, header_only=header_only, num_threads=_threads())
    except Exception as exc:
        raise PlateReadError(f"{path!r} is a damaged or unreadable EXR file: {exc}") from None
    if not f.parts:
        # The binding prints a warning and returns no parts when pixel data is corrupt.
        raise PlateReadError(
            f"{path!r} is a damaged EXR file: OpenEXR could not read its pixel data"
        )
    return f


#: Primaries and white point (CIE xy of red, green, blue, white, as the EXR
#: ``chromaticities`` attribute stores them) → the linear colourspace of the built-in
#: ACES studio config with those primaries.  Values: ACES (SMPTE ST 2065-1, AP0; S-2014-004,
#: AP1), ITU-R BT.709, SMPTE EG 432-1 (P3-D65), ITU-R BT.2020, Adobe RGB (1998).
CHROMATICITIES: tuple[tuple[tuple[float, ...], str], ...] = (
    ((0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.0770, 0.32168, 0.33767), "ACES2065-1"),
    ((0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767), "ACEScg"),
    ((0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290), "Linear Rec.709 (sRGB)"),
    ((0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290), "Linear P3-D65"),
    ((0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290), "Linear Rec.2020"),
    ((0.64, 0.33, 0.21, 0.71, 0.15, 0.06, 0.3127, 0.3290), "Linear AdobeRGB"),
)


def colorspace_of_chromaticities(value: Any, tolerance: float = 2e-3) -> str | None:
    """The linear colourspace whose primaries and white are ``value`` (an EXR
    ``chromaticities`` attribute: 8 numbers, or the binding's object), or ``None``."""
    try:
        xy = [float(v) for v in (value if isinstance(value, (list, tuple)) else tuple(value))]
    except (TypeError, ValueError):
        return None
    if len(xy) != 8:
        return None
    for ref, name in CHROMATICITIES:
        if max(abs(a - b) for a, b in zip(xy, ref)) <= tolerance:
            return name
    return None


def _colorspace(header: Mapping[str, Any], warn: bool = True) -> str:
    """The plate's colourspace: a colourspace attribute when there is one; else the
    ``chromaticities`` attribute when it names known primaries (a Rec.709-tagged plate
    is Linear Rec.709, not the default scene-linear space); else the default."""
    import logging

    from ..policy.colour import DEFAULT_PLATE_SPACE

    for key in COLORSPACE_ATTRIBUTES:
        value = header.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    chroma = header.get("chromaticities")
    if chroma is not None:
        named = colorspace_of_chromaticities(chroma)
        if named is not None:
            return named
        if warn:
            logging.getLogger(__name__).warning(
                "chromaticities %s match no known primaries; reading the plate as %s (give its "
                "colourspace explicitly if that is wrong)", chroma, DEFAULT_PLATE_SPACE)
    return DEFAULT_PLATE_SPACE


def _box(value: Any) -> tuple[int, int, int, int]:
    lo, hi = value
    return (int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1]))


def read_exr(
    path: str | os.PathLike[str], part: int | str | None = None, *, layer: str | None = None
) -> Plate:
    """Read one part of an EXR file as a :class:`Plate` (see the module docstring).

    Args:
        path: the EXR file.
        part: part name or index of a multi-part file (default: the first part).
        layer: keep only the channels of this layer (``"left"`` → ``left.R``,
            ``left.G`` ...; ``""`` → the unprefixed channels); ``None`` keeps all.

    Returns:
        The plate, tagged with the header's colourspace attribute (``colorSpace``,
        ``oiio:ColorSpace`` ...), else the linear space of its ``chromaticities``
        (:data:`CHROMATICITIES`), else :data:`~vfx_nodes.policy.colour.DEFAULT_PLATE_SPACE`.

    Raises:
        PlateReadError: damaged or unreadable file.
        UnsupportedPlateError: a deep part.
        ChannelNotFoundError: no such part or layer.
    """
    path = os.fspath(path)
    layouts = _guard.check_exr(path)
    check_layouts(path, layouts)
    index = _select_part(layouts, part, path)
    lay = layouts[index]
    if lay.storage.startswith("deep"):
        raise UnsupportedPlateError(
            f"{path!r} part {index} ({lay.name or 'unnamed'}) holds deep data ({lay.storage}); "
            "vfx_nodes processes flat images only — flatten it first (e.g. Nuke DeepToImage)"
        )
    return _part_plate(path, _open(path), index, layer)


def read_exr_parts(path: str | os.PathLike[str]) -> list[Plate]:
    """Every part of an EXR file, in file order, as Plates (the file is decoded once).

    Each plate's ``header`` keeps the part's ``name`` and ``view`` attributes, so
    :func:`write_exr_parts` writes the same parts back.

    Raises:
        PlateReadError: damaged or unreadable file.
        UnsupportedPlateError: a deep part (vfx_nodes rewrites flat images only).
    """
    path = os.fspath(path)
    layouts = _guard.check_exr(path)
    check_layouts(path, layouts)
    for i, lay in enumerate(layouts):
        if lay.storage.startswith("deep"):
            raise UnsupportedPlateError(
                f"{path!r} part {i} ({lay.name or 'unnamed'}) holds deep data ({lay.storage}); "
                "vfx_nodes processes flat images only — flatten it first (e.g. Nuke DeepToImage)")
    f = _open(path)
    return [_part_plate(path, f, i, None) for i in range(len(layouts))]


#: EXR sample types as the binding gives them → the Plate's pixel-type names
_PIXEL_TYPES = {np.dtype(np.float16): "half", np.dtype(np.float32): "float", np.dtype(np.uint32): "uint"}


def _channel_plane(path: str, name: str, ch: Any, h: int, w: int) -> tuple[np.ndarray, str]:
    """One channel's samples over the ``h × w`` data window, and its pixel type.

    Raises:
        PlateReadError: no pixels, a wrong shape, too few samples, an unknown type.
    """
    px = ch.pixels
    if px is None:
        raise PlateReadError(f"{path!r} is a damaged EXR file: channel {name!r} has no pixels")
    px = np.asarray(px)
    if px.ndim != 2:
        raise PlateReadError(f"{path!r}: channel {name!r} has unexpected shape {px.shape}")
    if px.shape != (h, w):
        # Sub-sampled channel (e.g. RY/BY of a luminance/chroma file): replicate
        # samples; the EXR spec requires the data window origin to be a multiple of
        # the sampling, so sample (i, j) covers pixels [i*ys, (i+1)*ys) × [j*xs, ...).
        ys, xs = max(1, ch.ySampling), max(1, ch.xSampling)
        px = np.repeat(np.repeat(px, ys, axis=0), xs, axis=1)
        if px.shape[0] < h or px.shape[1] < w:
            raise PlateReadError(f"{path!r}: channel {name!r} does not cover the data window")
        px = px[:h, :w]
    ptype = _PIXEL_TYPES.get(px.dtype)
    if ptype is None:
        raise PlateReadError(f"{path!r}: channel {name!r} has unsupported pixel type {px.dtype}")
    return px, ptype


def _part_plate(path: str, f: Any, index: int, layer: str | None) -> Plate:
    """Part ``index`` of the opened file ``f`` as a Plate (see :func:`read_exr`)."""
    if index >= len(f.parts):
        raise PlateReadError(f"{path!r} is a damaged EXR file: part {index} could not be read")
    p = f.parts[index]
    raw_header = dict(p.header)
    dw = _box(raw_header["dataWindow"])
    disp = _box(raw_header["displayWindow"])
    h, w = dw[3] - dw[1] + 1, dw[2] - dw[0] + 1
    names, planes, types, exact = [], [], [], {}
    for name, ch in p.channels.items():
        if layer is not None and (name.rsplit(".", 1)[0] if "." in name else "") != layer:
            continue
        px, ptype = _channel_plane(path, name, ch, h, w)
        if ptype == "uint":
            exact[name] = px
        names.append(name)
        types.append(ptype)
        planes.append(px)
    if layer is not None and not names:
        layers = sorted({n.rsplit(".", 1)[0] if "." in n else "" for n in p.channels})
        shown = [x or "(main layer: use layer='')" for x in layers]
        raise ChannelNotFoundError(
            f"{path!r} has no layer {layer!r}: {close_matches(layer, shown)}"
        )
    pixels = np.empty((h, w, len(planes)), np.float32)
    for i, plane in enumerate(planes):
        pixels[:, :, i] = plane  # half→float32 and uint→float32 conversions are exact for half
    header = {k: _from_binding(k, v) for k, v in raw_header.items() if k not in _PLATE_FIELDS}
    try:
        return Plate(
            pixels,
            tuple(names),
            data_window=dw,
            display_window=disp,
            pixel_aspect=float(raw_header.get("pixelAspectRatio", 1.0)),
            header=header,
            pixel_types=tuple(types),
            colorspace=_colorspace(header),
            exact=exact,
            source=path,
        )
    except PlateError as exc:
        raise PlateReadError(f"{path!r}: {exc}") from None


# --- writing ----------------------------------------------------------------------------


def choose_compression(
    plate: Plate, types: list[str], compression: Any = None, keep_lossy: bool = False
) -> str:
    """The compression :func:`write_exr` uses (see the module docstring for the rule)."""
    if compression is not None:
        return compression_name(compression)
    src = plate.header.get("compression")
    if src is None:
        return "zip"
    name = compression_name(src)
    if keep_lossy:
        return name
    if name in LOSSY_COMPRESSIONS and "half" in types:
        return "zip"
    if name == "pxr24" and "float" in types:
        return "zip"
    return name


def _channel_array(plate: Plate, i: int, ptype: str) -> np.ndarray:
    name = plate.channel_names[i]
    px = plate.pixels[:, :, i]
    if ptype == "uint":
        ex = plate.exact.get(name)
        if (
            ex is not None
            and ex.shape == px.shape
            and np.array_equal(ex.astype(np.float32), px, equal_nan=True)
        ):
            return np.ascontiguousarray(ex, dtype=np.uint32)
        # Float values (edited or never uint): round to the nearest id, clamp to uint32.
        v = np.nan_to_num(px, nan=0.0, posinf=4294967295.0, neginf=0.0)
        return np.clip(np.rint(v.astype(np.float64)), 0, 4294967295).astype(np.uint32)
    return np.ascontiguousarray(px, dtype=_DTYPES[ptype])


def _target_types(plate: Plate, pixel_type: str | None) -> list[str]:
    if pixel_type not in (None, "half", "float"):
        raise PlateWriteError(
            f"pixel_type must be 'half', 'float' or None (keep), got {pixel_type!r}"
        )
    out = []
    for t in plate.pixel_types:
        if t == "uint":
            out.append("uint")  # ids stay integers whatever pixel_type says
        elif pixel_type is not None:
            out.append(pixel_type)
        elif t in ("half", "float"):
            out.append(t)
        else:
            out.append("float")  # uint8/uint16 raster values are exact in float, not half
    return out


def _build_part(plate: Plate, compression: Any, pixel_type: str | None, keep_lossy: bool):
    # type: (...) -> tuple[dict[str, Any], dict[str, Any], str | None]
    exr = _exr()
    if not plate.channel_names:
        raise PlateWriteError("cannot write a plate with no channels")
    types = _target_types(plate, pixel_type)
    comp = choose_compression(plate, types, compression, keep_lossy)
    header: dict[str, Any] = {}
    for key, value in plate.header.items():
        if key in _PLATE_FIELDS or key in ("compression", "lineOrder", "type", "tiles", "name"):
            continue
        header[key] = value
    src_type = str(plate.header.get("type", "scanlineimage"))
    tiled = src_type.startswith("tiled") and "tiles" in plate.header
    header["type"] = exr.tiledimage if tiled else exr.scanlineimage
    if tiled:
        header["tiles"] = _tiles_to_binding(plate.header["tiles"])
    order = str(plate.header.get("lineOrder", "increasing_y")).upper()
    if order == "RANDOM_Y" and not tiled:
        order = "INCREASING_Y"  # random order is defined for tiled files only
    header["lineOrder"] = getattr(exr, order, exr.INCREASING_Y)
    header["compression"] = _compression_enum(comp)
    x0, y0, x1, y1 = plate.data_window
    header["dataWindow"] = (np.array([x0, y0], np.int32), np.array([x1, y1], np.int32))
    d0, e0, d1, e1 = plate.display_window
    header["displayWindow"] = (np.array([d0, e0], np.int32), np.array([d1, e1], np.int32))
    header["pixelAspectRatio"] = float(plate.pixel_aspect)
    _set_colorspace(header, plate)
    channels = {
        name: exr.Channel(_channel_array(plate, i, t))
        for i, (name, t) in enumerate(zip(plate.channel_names, types))
    }
    name = plate.header.get("name")
    return header, channels, (str(name) if name is not None else None)


def _set_colorspace(header: dict[str, Any], plate: Plate) -> None:
    from ..policy.colour import DEFAULT_PLATE_SPACE

    cs = plate.colorspace
    present = [k for k in COLORSPACE_ATTRIBUTES if isinstance(header.get(k), str)]
    if present:
        if cs and header[present[0]].strip() != cs:
            header[present[0]] = cs
    elif cs and cs != DEFAULT_PLATE_SPACE and cs != _colorspace(header, warn=False):
        # Only a tag the header does not already imply (by default or by its
        # chromaticities) is recorded, so a plain read → write adds no attribute.
        header["colorSpace"] = cs


def _existing_parts(path: Path) -> list[Any]:
    """Parts of an existing EXR, as binding Parts ready to write back unchanged."""
    exr = _exr()
    spath = str(path)
    layouts = _guard.check_exr(spath)
    if any(lay.storage.startswith("deep") for lay in layouts):
        raise UnsupportedPlateError(f"{spath!r} holds deep parts; vfx_nodes cannot rewrite it")
    f = _open(spath)
    out = []
    for i, p in enumerate(f.parts):
        header = {
            k: v for k, v in dict(p.header).items() if k not in ("channels", "chunkCount", "name")
        }
        types = [_PIXEL_TYPES.get(np.asarray(c.pixels).dtype, "uint") for c in p.channels.values()]
        comp = compression_name(header.get("compression", "zip"))
        if (comp in LOSSY_COMPRESSIONS and "half" in types) or (
            comp == "pxr24" and "float" in types
        ):
            header["compression"] = exr.ZIP_COMPRESSION  # same rule as write_exr: no 2nd loss
        tiles = header.get("tiles")
        if tiles is not None and tiles.mode != exr.ONE_LEVEL:
            header["tiles"] = _tiles_to_binding(tiles)
        chans = {k: exr.Channel(np.asarray(c.pixels)) for k, c in p.channels.items()}
        out.append((p.name() or f"part{i}", header, chans))
    return out


def _parts_with(target: Path, part: int | str, own_name: str | None, header: dict[str, Any],
                channels: dict[str, Any]) -> list[Any]:
    """The parts of ``target`` (kept as decoded) with this plate's part written in as
    ``part`` (an existing part's index or name; a new name is appended)."""
    name = str(part) if isinstance(part, str) else own_name
    existing = _existing_parts(target) if target.is_file() else []
    index = None
    if isinstance(part, int) and not isinstance(part, bool):
        if not 0 <= part < max(len(existing), 1):
            raise PlateWriteError(
                f"{str(target)!r} has {len(existing)} part(s); cannot write part index {part}"
            )
        index = part
        if part < len(existing):
            name = existing[part][0]
    else:
        names = [e[0] for e in existing]
        index = names.index(name) if name in names else None
    name = name or f"part{index or 0}"
    mine = (name, header, channels)
    parts_out = list(existing)
    if index is None or index >= len(parts_out):
        parts_out.append(mine)
    else:
        parts_out[index] = mine
    return parts_out


def write_exr(
    plate: Plate,
    path: str | os.PathLike[str],
    *,
    compression: Any = None,
    pixel_type: str | None = None,
    part: int | str | None = None,
    keep_lossy: bool = False,
) -> None:
    """Write ``plate`` to an EXR file atomically.

    Args:
        plate: the plate (not changed).
        path: target file; its folder must exist.
        compression: ``"zip"``, ``"piz"``, ``"dwaa"`` ... (:data:`COMPRESSIONS`) or an
            ``OpenEXR.Compression``; default: the plate's own, unless lossy (see module
            docstring), else ZIP.
        pixel_type: ``"half"`` or ``"float"`` for every non-``uint`` channel; default
            keeps each channel's source type (raster ``uint8``/``uint16`` → float).
        part: write the plate as this part (name, or index of an existing part) of a
            multi-part file. When ``path`` exists, its other parts are kept (their pixels
            rewritten as decoded; lossy ones with ZIP by the same rule; an unnamed part
            gets the name ``partN``, since multi-part files require names); a name not
            in the file is appended as a new part.
        keep_lossy: keep a lossy source compression instead of switching to ZIP.

    Raises:
        PlateWriteError: missing folder, bad option, or the write failed (no temporary
            file is left behind and an existing target is untouched).
    """
    exr = _exr()
    header, channels, own_name = _build_part(plate, compression, pixel_type, keep_lossy)
    target = Path(os.fspath(path))
    parts_out = None if part is None else _parts_with(target, part, own_name, header, channels)
    with atomic_target(target) as tmp:
        try:
            if parts_out is not None and len(parts_out) > 1:
                f = exr.File([exr.Part(h, c, n) for n, h, c in parts_out], num_threads=_threads())
            else:
                if parts_out is not None:
                    own_name = parts_out[0][0]
                if own_name:
                    header["name"] = own_name
                f = exr.File(header, channels, num_threads=_threads())
            f.write(str(tmp))
        except PlateWriteError:
            raise
        except Exception as exc:
            raise PlateWriteError(f"could not write {str(target)!r}: {exc}") from exc


def write_exr_parts(
    plates: list[Plate],
    path: str | os.PathLike[str],
    *,
    compression: Any = None,
    pixel_type: str | None = None,
    keep_lossy: bool = False,
) -> None:
    """Write several plates as the parts of one EXR file, atomically, in order.

    Each part keeps its own header (``name``, ``view``, compression, tiling ...), windows
    and pixel types, by the rules of :func:`write_exr`; a part without a name is called
    ``partN`` (multi-part files require names). One plate writes an ordinary single-part
    file.

    Raises:
        PlateWriteError: no plates, duplicate part names, missing folder or the write failed.
    """
    if not plates:
        raise PlateWriteError(f"nothing to write to {os.fspath(path)!r}: no parts")
    if len(plates) == 1:
        write_exr(plates[0], path, compression=compression, pixel_type=pixel_type, keep_lossy=keep_lossy)
        return
    exr = _exr()
    target = Path(os.fspath(path))
    # OpenEXR: every part of a multi-part file shares displayWindow and pixelAspectRatio.
    shared = {(p.display_window, p.pixel_aspect) for p in plates}
    if len(shared) > 1:
        raise PlateWriteError(f"cannot write {str(target)!r}: the parts of one EXR must share the display "
                              f"window and pixel aspect, got {sorted(shared)}")
    parts = []
    for i, plate in enumerate(plates):
        header, channels, own_name = _build_part(plate, compression, pixel_type, keep_lossy)
        header.pop("name", None)
        parts.append((own_name or f"part{i}", header, channels))
    names = [n for n, _, _ in parts]
    if len(set(names)) != len(names):
        raise PlateWriteError(f"cannot write {str(target)!r}: part names repeat ({', '.join(names)})")
    with atomic_target(target) as tmp:
        try:
            f = exr.File([exr.Part(h, c, n) for n, h, c in parts], num_threads=_threads())
            f.write(str(tmp))
        except PlateWriteError:
            raise
        except Exception as exc:
            raise PlateWriteError(f"could not write {str(target)!r}: {exc}") from exc

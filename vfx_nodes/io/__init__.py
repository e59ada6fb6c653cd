"""Image I/O: EXR plates through OpenEXR, PNG/JPEG/TIFF style references (one file ↔ Plate boundary).

* :func:`read_plate` — EXR (via :mod:`.exr`) or PNG/JPEG/TIFF (via :mod:`.raster`),
  chosen by the file's magic number, not its name.
* :func:`write_plate` — EXR, or PNG when the target ends in ``.png``; always atomic.
* :func:`read_plate_parts` / :func:`write_plate_parts` — every part of a multi-part EXR
  (what the renderer reads and writes, so no part is lost).
* :func:`plate_info` — what ``vfx-style info`` prints.
* :func:`luminance_chroma_to_rgb` — RGB view of ``Y``/``RY``/``BY`` plates.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import PlateNotFoundError, PlateReadError, PlateWriteError
from ..plate import Plate
from .exr import COMPRESSIONS, LOSSY_COMPRESSIONS, read_exr, read_exr_parts, write_exr, write_exr_parts
from .exr_info import exr_info
from .lumachroma import luminance_chroma_to_rgb, luminance_only, luminance_weights
from .raster import read_raster, sniff, write_png

__all__ = [
    "COMPRESSIONS",
    "LOSSY_COMPRESSIONS",
    "OUTPUT_FORMATS",
    "is_complete",
    "luminance_chroma_to_rgb",
    "luminance_only",
    "luminance_weights",
    "output_format",
    "plate_info",
    "read_plate",
    "read_plate_parts",
    "write_plate",
    "write_plate_parts",
]


def _kind(path: str) -> str:
    if not os.path.exists(path):
        raise PlateNotFoundError(f"plate {path!r} does not exist")
    if os.path.isdir(path):
        raise PlateReadError(f"{path!r} is a folder, not an image file")
    if not os.path.isfile(path):
        # A FIFO would block the read below forever, a device could stream without end.
        raise PlateReadError(f"{path!r} is not a regular file (a pipe, socket or device), not an image file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise PlateReadError(f"cannot read {path!r}: {exc.strerror or exc}") from exc
    kind = sniff(head)
    if kind is None:
        raise PlateReadError(
            f"{path!r} is not an image vfx_nodes can read (valid: EXR, PNG, JPEG, TIFF)"
        )
    return kind


def read_plate(
    path: str | os.PathLike[str], part: int | str | None = None, *, layer: str | None = None,
    max_side: int | None = None,
) -> Plate:
    """Read an image file as a :class:`~vfx_nodes.plate.Plate`.

    Args:
        path: an EXR, PNG, JPEG or TIFF file (recognised by content).
        part: EXR part name or index (default: first part); ignored for raster files.
        layer: EXR only: keep just this layer's channels (``"left"``, ``""`` = main).
        max_side: raster only: decode reduced by a whole factor to a long side of at most
            this (a painting: :data:`vfx_nodes.io.limits.PAINTING_MAX_SIDE`).

    Raises:
        PlateNotFoundError: the file does not exist.
        PlateReadError: not an image, or damaged (the message names the file).
        UnsupportedPlateError: a deep EXR part; a file that declares more pixels than
            :func:`vfx_nodes.io.limits.max_pixels` (checked before decoding).
        ChannelNotFoundError: unknown part or layer.

    Example:
        >>> plate = read_plate("shot.1001.exr")                     # doctest: +SKIP
        >>> plate.channel("R").shape, plate.data_window             # doctest: +SKIP
    """
    spath = os.fspath(path)
    kind = _kind(spath)
    if kind == "exr":
        return read_exr(spath, part, layer=layer)
    return read_raster(spath, kind, max_side=max_side)


#: what :func:`write_plate` writes, by file extension
OUTPUT_FORMATS = {".exr": "exr", ".png": "png"}

#: what a PNG output drops, said before a render starts (a PNG is a review image)
PNG_LOSSES = ("PNG keeps the main layer's R, G, B (and A), display-referred and clipped to 0–1; "
              "other channels and layers, the display window, values above 1 and the header are "
              "not written (write .exr to keep everything)")


def output_format(path: str | os.PathLike[str]) -> str:
    """``"exr"`` or ``"png"``: the format :func:`write_plate` writes ``path`` in, by its
    extension (checked before any work starts, so a render never fails at its first write).

    Raises:
        PlateWriteError: any other extension (``.jpg``, ``.tif``, ``.txt``, none).
    """
    if os.path.isdir(path):
        raise PlateWriteError(f"cannot write {os.fspath(path)!r}: it is a folder, not a file name")
    suffix = Path(os.fspath(path)).suffix.lower()
    kind = OUTPUT_FORMATS.get(suffix)
    if kind is None:
        raise PlateWriteError(
            f"cannot write {os.fspath(path)!r}: vfx_nodes writes EXR and PNG only (.exr keeps every "
            f"channel, .png is a review image), not {suffix or 'a file without an extension'}")
    return kind


def is_complete(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a complete file of the kind its extension names (what a resumed
    render may count as done): an EXR whose headers, offset tables and chunks check out
    (the structural check every read makes, no decode), or a PNG from its signature to its
    closing IEND chunk. An empty, truncated or text file, a folder, or a file of another
    kind is not — the render makes it again.
    """
    spath = os.fspath(path)
    if not os.path.isfile(spath):
        return False
    kind = OUTPUT_FORMATS.get(Path(spath).suffix.lower())
    try:
        if kind == "exr":
            from ._guard import check_exr

            check_exr(spath)
            return True
        if kind == "png":
            with open(spath, "rb") as fh:
                head = fh.read(8)
                fh.seek(0, os.SEEK_END)
                if fh.tell() < 8 + 25 + 12:  # signature, IHDR, IEND
                    return False
                fh.seek(-12, os.SEEK_END)
                tail = fh.read(12)
            return sniff(head) == "png" and tail == b"\x00\x00\x00\x00IEND\xaeB`\x82"
    except (PlateReadError, OSError):
        return False
    return False


def write_plate(plate: Plate, path: str | os.PathLike[str], **options: Any) -> None:
    """Write ``plate`` atomically: EXR (``.exr``) or PNG (``.png``); see :func:`output_format`.

    EXR options (see :func:`vfx_nodes.io.exr.write_exr`): ``compression``,
    ``pixel_type`` (``"half"``/``"float"``), ``part``, ``keep_lossy``.
    PNG options: ``bit_depth`` (8 or 16).

    Raises:
        PlateWriteError: missing folder, unknown option, or the write failed; no
            temporary file is left and an existing target is untouched.
    """
    if not isinstance(plate, Plate):
        raise PlateWriteError(f"write_plate needs a Plate, got {type(plate).__name__}")
    if output_format(path) == "png":
        _check_options(path, options, {"bit_depth"})
        write_png(plate, path, **options)
    else:
        _check_options(path, options, {"compression", "pixel_type", "part", "keep_lossy"})
        write_exr(plate, path, **options)


def _check_options(path: str | os.PathLike[str], options: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise PlateWriteError(
            f"unknown write option(s) {unknown} for {os.fspath(path)!r}; valid: {sorted(allowed)}"
        )


def read_plate_parts(path: str | os.PathLike[str]) -> list[Plate]:
    """Every part of an image file: all parts of an EXR (in file order, decoded once), or
    the one image of a PNG, JPEG or TIFF.  The renderer reads frames this way so that no
    part is lost (:func:`write_plate_parts` writes them back).

    Raises:
        as :func:`read_plate`.
    """
    spath = os.fspath(path)
    if _kind(spath) == "exr":
        return read_exr_parts(spath)
    return [read_plate(spath)]


def write_plate_parts(plates: list[Plate], path: str | os.PathLike[str], **options: Any) -> None:
    """Write the parts of a frame atomically: one EXR with every part (each keeps its
    name, view, header, windows and pixel types), or a single plate as :func:`write_plate`.

    Raises:
        PlateWriteError: several parts to a format that holds one (PNG), or as
            :func:`write_plate`.
    """
    if len(plates) == 1:
        write_plate(plates[0], path, **options)
        return
    if output_format(path) != "exr":
        raise PlateWriteError(f"cannot write {len(plates)} parts to {os.fspath(path)!r}: only EXR holds "
                              "several parts (write .exr)")
    _check_options(path, options, {"compression", "pixel_type", "keep_lossy"})
    write_exr_parts(plates, path, **options)


def plate_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe an image file without decoding its pixels (EXR) — JSON-ready values.

    See :func:`vfx_nodes.io.exr_info.exr_info` for the EXR layout; raster files give
    ``{"path", "format", "parts": [one part with channels, windows, colorspace]}``.
    """
    spath = os.fspath(path)
    kind = _kind(spath)
    if kind == "exr":
        return exr_info(spath)
    p = read_raster(spath, kind)
    w, h = p.width, p.height
    return {
        "path": spath,
        "format": kind,
        "parts": [
            {
                "index": 0,
                "name": None,
                "type": "raster",
                "channels": [
                    {"name": n, "type": t, "x_sampling": 1, "y_sampling": 1}
                    for n, t in zip(p.channel_names, p.pixel_types)
                ],
                "data_window": [0, 0, w - 1, h - 1],
                "display_window": [0, 0, w - 1, h - 1],
                "pixel_aspect": 1.0,
                "compression": None,
                "line_order": None,
                "tiles": None,
                "colour": {},
                "colorspace": p.colorspace,
                "colorspace_attribute": None,
                "attributes": {},
            }
        ],
    }

"""Luminance/chroma plates (``Y``, ``RY``, ``BY``) → RGB.

OpenEXR's ``RgbaOutputFile`` can store an image as luminance ``Y`` plus two chroma
channels ``RY = (R - Y) / Y`` and ``BY = (B - Y) / Y`` (usually sub-sampled 2×2), with
``Y = yw · (R, G, B)`` where the luminance weights ``yw`` come from the file's
``chromaticities`` (OpenEXR ``ImfRgbaYca.cpp``: ``computeYw`` = the Y row of the
RGB→XYZ matrix, normalised to sum 1).  A file with ``Y`` only is grey: R = G = B = Y.

:func:`read_plate` keeps such files as they are (``Y``, ``RY``, ``BY``; sub-sampled
chroma replicated to full resolution); this module gives the RGB view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ChannelNotFoundError, PlateError
from ..plate import Plate

__all__ = ["REC709_WEIGHTS", "luminance_chroma_to_rgb", "luminance_weights"]

#: Rec. ITU-R BT.709 luminance weights, used when the header has no chromaticities.
REC709_WEIGHTS = (0.2126, 0.7152, 0.0722)


def luminance_weights(chromaticities: Sequence[float] | None = None) -> tuple[float, float, float]:
    """Luminance weights ``(wr, wg, wb)`` for primaries ``(rx, ry, gx, gy, bx, by, wx, wy)``.

    ``None`` gives :data:`REC709_WEIGHTS`.  Follows OpenEXR's ``RGBtoXYZ`` / ``computeYw``.

    Raises:
        PlateError: chromaticities that are not 8 numbers or describe degenerate primaries.
    """
    if chromaticities is None:
        return REC709_WEIGHTS
    try:
        rx, ry, gx, gy, bx, by, wx, wy = (
            float(v) for v in np.asarray(chromaticities, np.float64).ravel()
        )
    except (TypeError, ValueError) as exc:
        raise PlateError(
            f"chromaticities must be 8 numbers (rx ry gx gy bx by wx wy), got {chromaticities!r}"
        ) from exc
    prim = np.array(
        [
            [rx / ry, gx / gy, bx / by] if min(ry, gy, by) else [np.nan] * 3,
            [1.0, 1.0, 1.0],
            [(1 - rx - ry) / ry, (1 - gx - gy) / gy, (1 - bx - by) / by]
            if min(ry, gy, by)
            else [np.nan] * 3,
        ]
    )
    white = np.array([wx / wy, 1.0, (1 - wx - wy) / wy]) if wy else np.full(3, np.nan)
    try:
        scale = np.linalg.solve(prim, white)
    except np.linalg.LinAlgError:
        scale = np.full(3, np.nan)
    yw = scale / scale.sum()
    if not np.all(np.isfinite(yw)):
        raise PlateError(f"chromaticities {tuple(chromaticities)} describe degenerate primaries")
    return (float(yw[0]), float(yw[1]), float(yw[2]))


def luminance_chroma_to_rgb(
    plate: Plate, *, weights: Sequence[float] | None = None, layer: str = ""
) -> Plate:
    """A new plate with ``R``, ``G``, ``B`` computed from ``Y`` (and ``RY``, ``BY``).

    The weights are ``weights`` if given, else those of the header's ``chromaticities``
    attribute, else Rec.709.  ``R = (RY + 1)·Y``, ``B = (BY + 1)·Y``,
    ``G = (Y - wr·R - wb·B) / wg`` (OpenEXR ``RgbaYca::YCAtoRGB``).  The ``Y``/``RY``/``BY``
    channels are replaced by ``R``, ``G``, ``B`` (type ``half``, like the source); every
    other channel (``A`` ...) is kept.  ``plate`` is not changed.

    Args:
        plate: a plate with ``Y`` (and optionally ``RY``, ``BY``) in ``layer``.
        weights: ``(wr, wg, wb)`` overriding the header.
        layer: the layer prefix (``""`` = main layer).

    Raises:
        ChannelNotFoundError: no ``Y`` channel, or only one of ``RY``/``BY``.
    """
    pre = f"{layer}." if layer else ""
    y_name, ry_name, by_name = pre + "Y", pre + "RY", pre + "BY"
    if not plate.has_channel(y_name):
        raise ChannelNotFoundError(
            f"plate {plate.source or ''} has no luminance channel {y_name!r}; channels: {list(plate.channel_names)}"
        )
    has_ry, has_by = plate.has_channel(ry_name), plate.has_channel(by_name)
    if has_ry != has_by:
        raise ChannelNotFoundError(
            f"plate has only one of {ry_name!r} and {by_name!r}; both or neither are needed"
        )
    chroma: Any = plate.header.get("chromaticities")
    wr, wg, wb = (
        tuple(float(w) for w in weights) if weights is not None else luminance_weights(chroma)
    )
    y = plate.channel(y_name).astype(np.float32)
    if has_ry:
        r = (plate.channel(ry_name) + np.float32(1.0)) * y
        b = (plate.channel(by_name) + np.float32(1.0)) * y
        g = (y - np.float32(wr) * r - np.float32(wb) * b) / np.float32(wg)
    else:
        r = g = b = y
    drop = [n for n in (y_name, ry_name, by_name) if plate.has_channel(n)]
    src_type = plate.pixel_types[plate.index(y_name)]
    rest = plate.without_channels(drop)
    out = rest.with_channels({pre + "R": r, pre + "G": g, pre + "B": b}, pixel_type=src_type)
    return out


def luminance_only(plate: Plate, layer: str = "") -> bool:
    """Whether ``layer`` holds luminance (``Y``, optionally ``RY``/``BY``) and no R, G, B:
    a luminance/chroma or greyscale EXR, which :func:`luminance_chroma_to_rgb` turns into
    RGB before a look is applied."""
    pre = f"{layer}." if layer else ""
    return plate.has_channel(pre + "Y") and not any(plate.has_channel(pre + c) for c in ("R", "G", "B"))

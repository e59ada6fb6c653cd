"""What an EXR file holds, from its headers alone (``vfx-style info``): parts, channels,
windows, compression, colour — no pixels decoded. The reading and writing of pixels is
:mod:`vfx_nodes.io.exr`; this module uses its header helpers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _guard
from .exr import (
    _PIXEL_TYPE_NAMES,
    _PLATE_FIELDS,
    COLORSPACE_ATTRIBUTES,
    COMPRESSIONS,
    _box,
    _colorspace,
    _enum_name,
    _from_binding,
    _open,
    colorspace_of_chromaticities,
)

__all__ = ["exr_info"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        value = value.item()
    if isinstance(value, float):
        return value if np.isfinite(value) else str(value)  # JSON has no NaN/Inf
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "name") and hasattr(value, "value"):  # pybind11 enums
        return _enum_name(value)
    return str(value)


_COLOUR_KEYS = (
    "chromaticities",
    "whiteLuminance",
    "adoptedNeutral",
    "colorInteropID",
    "acesImageContainerFlag",
) + COLORSPACE_ATTRIBUTES


def exr_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe an EXR file without decoding pixels (JSON-ready values only).

    Returns:
        ``{"path", "format": "exr", "parts": [{"index", "name", "type", "channels":
        [{"name", "type", "x_sampling", "y_sampling"}], "data_window",
        "display_window", "pixel_aspect", "compression", "line_order", "tiles",
        "colour": {...}, "colorspace", "attributes": {...}}]}``.
    """
    spath = os.fspath(path)
    layouts = _guard.check_exr(spath)
    f = _open(spath, header_only=True)
    parts = []
    for i, lay in enumerate(layouts):
        raw = dict(f.parts[i].header) if i < len(f.parts) else {}
        header = {k: _from_binding(k, v) for k, v in raw.items() if k not in _PLATE_FIELDS}
        attrs = {k: _jsonable(v) for k, v in header.items()}
        parts.append(
            {
                "index": i,
                "name": lay.name,
                "type": lay.storage,
                "channels": [
                    {"name": n, "type": _PIXEL_TYPE_NAMES[t], "x_sampling": xs, "y_sampling": ys}
                    for n, t, xs, ys in lay.channels
                ],
                "data_window": list(lay.data_window),
                "display_window": list(_box(raw["displayWindow"]))
                if "displayWindow" in raw
                else None,
                "pixel_aspect": _jsonable(raw.get("pixelAspectRatio", 1.0)),
                "compression": COMPRESSIONS[lay.compression]
                if lay.compression < len(COMPRESSIONS)
                else str(lay.compression),
                "line_order": attrs.get("lineOrder"),
                "tiles": attrs.get("tiles"),
                "colour": {k: attrs[k] for k in _COLOUR_KEYS if k in attrs},
                "colorspace": _colorspace(header),
                "colorspace_attribute": next(
                    (
                        k
                        for k in COLORSPACE_ATTRIBUTES
                        if isinstance(header.get(k), str) and header[k].strip()
                    ),
                    "chromaticities"
                    if header.get("chromaticities") is not None
                    and colorspace_of_chromaticities(header["chromaticities"]) is not None
                    else None,
                ),
                "attributes": attrs,
            }
        )
    return {"path": spath, "format": "exr", "parts": parts}

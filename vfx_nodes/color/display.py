"""A plate as a picture: the one way scene-linear values become display values and 8-bit.

The Look Lab's viewer, review movies, before/after sheets, training sheets and the
benchmarks' pictures all go through :func:`to_display` (and :func:`display_image` for a
plate), so a pixel looks the same in each of them.

Non-finite values, one rule, applied *before* the view transform (a compositor's viewer
shows them this way too: a NaN is no light, an infinite light is the brightest there is):

* NaN and −Inf → 0;
* +Inf → 65504, the largest half-float value (EXR's ``HALF_MAX``), which every view
  shows at its brightest.

After the view, values are clipped to the display's 0–1 and, for 8 bits, rounded to the
nearest code (``⌊255·v + ½⌋``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..plate import Plate
from .config import ConfigLike

__all__ = ["HALF_MAX", "display_image", "to_8bit", "to_display"]

#: What +Inf is shown as: the largest finite half float (OpenEXR ``HALF_MAX``).
HALF_MAX = np.float32(65504.0)


def to_display(rgb: np.ndarray, src: str, display: str | None = None, view: str | None = None, *,
               config: ConfigLike = None) -> np.ndarray:
    """Scene values (``(..., 3)`` in ``src``) through the OCIO display/view, 0–1 float32.

    Args:
        rgb: the values (not changed).
        src: their colourspace.
        display, view: OCIO display and view (``None`` = the config's defaults).
        config: see :func:`~vfx_nodes.color.get_config`.

    Returns:
        A new float32 array, non-finite values treated as the module notes say.
    """
    from .convert import display_view_rgb

    finite = np.nan_to_num(np.asarray(rgb, np.float32), nan=0.0, posinf=HALF_MAX, neginf=0.0)
    out = display_view_rgb(finite, src, display, view, config=config)
    return np.clip(out, 0.0, 1.0, out=out)


def to_8bit(shown: np.ndarray) -> np.ndarray:
    """Display values (0–1) as uint8 codes, rounded to nearest."""
    return (np.clip(shown, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _on_display_window(plate: Plate, rgb: np.ndarray) -> np.ndarray:
    """``rgb`` (over the data window) placed on a black canvas of the display window."""
    dx0, dy0, dx1, dy1 = plate.data_window
    px0, py0, px1, py1 = plate.display_window
    canvas = np.zeros((py1 - py0 + 1, px1 - px0 + 1, 3), np.float32)
    x0, y0, x1, y1 = max(dx0, px0), max(dy0, py0), min(dx1, px1), min(dy1, py1)
    if x0 <= x1 and y0 <= y1:
        canvas[y0 - py0:y1 - py0 + 1, x0 - px0:x1 - px0 + 1] = rgb[y0 - dy0:y1 - dy0 + 1, x0 - dx0:x1 - dx0 + 1]
    return canvas


def display_image(plate: Plate, *, layer: str = "", colorspace: str | None = None, display: str | None = None,
                  view: str | None = None, config: Any = None, window: str = "data") -> np.ndarray:
    """One layer of ``plate`` as an 8-bit picture through the display/view.

    Args:
        plate: the plate (not changed).
        layer: which layer's R, G, B (``""`` = the main one).
        colorspace: the RGB's colourspace; default ``plate.colorspace``, else ``scene_linear``.
        display, view, config: as in :func:`to_display`.
        window: ``"data"`` (the pixels the plate holds, overscan included) or ``"display"``
            (the display window, black where the plate holds nothing: a review movie's frame).

    Returns:
        ``H×W×3`` uint8.

    Raises:
        ChannelNotFoundError: the layer has no R, G, B.
        ColorSpaceError: an unknown colourspace, display or view.
    """
    from ..policy.colour import DEFAULT_PLATE_SPACE

    if window not in ("data", "display"):
        raise ValueError(f"window must be 'data' or 'display', got {window!r}")
    rgb = plate.channels(plate.rgb_names(layer))
    if window == "display":
        rgb = _on_display_window(plate, rgb)
    src = colorspace or plate.colorspace or DEFAULT_PLATE_SPACE
    return to_8bit(to_display(rgb, src, display, view, config=config))

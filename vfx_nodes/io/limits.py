"""How large an image vfx_nodes decodes: the declared size is checked before decoding.

A file says how many pixels it holds in a few header bytes; a 74-byte PNG can declare
40000×40000 and a decoder would then ask for gigabytes. Every reader checks the declared
size against :func:`max_pixels` first and refuses with one error that names the size and
the limit; the limit is settable (``VFX_NODES_MAX_PIXELS``) for a studio that works above
it. A painting larger than the style networks need is decoded reduced
(:data:`PAINTING_MAX_SIDE`, :func:`vfx_nodes.io.read_plate`'s ``max_side``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..errors import SettingsError, UnsupportedPlateError

__all__ = ["DEFAULT_MAX_PIXELS", "PAINTING_MAX_SIDE", "check_declared", "check_layouts", "max_pixels"]

#: pixels an image may declare: 40 Mpx holds 8K full aperture (8192×4320) with overscan;
#: measured, reading a 1 MB EXR that declares 121 Mpx RGBA peaks at 2.9 GB and rendering it
#: at 8.8 GB — about 73 bytes a pixel — so a frame at this limit renders within ~3 GB
DEFAULT_MAX_PIXELS = 40_000_000
#: EXR files are decoded whole: all parts' samples (pixels × channels) together may be
#: this many times the pixel limit (an RGBA image at the limit)
EXR_SAMPLES_PER_PIXEL = 4
#: the long side a painting is decoded at, at most (the style networks read a few hundred
#: pixels of it; 4096 keeps brushwork for training crops at any --style-size)
PAINTING_MAX_SIDE = 4096
#: a raster read reduced (a painting: 8 bits a sample, reduced as soon as it is decoded)
#: may declare this many times the pixel limit (160 Mpx: a 12000×12000 scan makes a look
#: at 1.3 GB peak)
REDUCED_READ_FACTOR = 4


def max_pixels() -> int:
    """The limit: ``$VFX_NODES_MAX_PIXELS`` (a positive integer), else :data:`DEFAULT_MAX_PIXELS`.

    Raises:
        SettingsError: the variable is set but not a positive integer.
    """
    raw = os.environ.get("VFX_NODES_MAX_PIXELS", "").strip()
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise SettingsError(f"VFX_NODES_MAX_PIXELS={raw!r}: must be a positive whole number of pixels "
                            f"(default {DEFAULT_MAX_PIXELS})")
    return value


def check_declared(path: str, width: int, height: int, channels: int = 0, *, factor: int = 1) -> None:
    """Refuse an image whose header declares more than the limit, before it is decoded.

    Args:
        path: the file (for the message).
        width, height: what its header declares.
        channels: for an EXR, the samples per pixel summed over every part (0: a raster).
        factor: the limit times this (:data:`REDUCED_READ_FACTOR` for a reduced read).

    Raises:
        UnsupportedPlateError: naming the declared size and the limit.
    """
    limit = max_pixels() * max(1, int(factor))
    pixels = int(width) * int(height)
    if width < 0 or height < 0:
        raise UnsupportedPlateError(f"{path!r} declares a negative size {width}×{height}")
    over = pixels > limit or (channels and pixels * channels > EXR_SAMPLES_PER_PIXEL * limit)
    if over:
        what = f"{width}×{height} pixels ({pixels / 1e6:.0f} Mpx" + (f", {channels} channels)" if channels else ")")
        raise UnsupportedPlateError(
            f"{path!r} declares {what}, more than vfx_nodes decodes ({limit / 1e6:.0f} Mpx"
            + (f", {EXR_SAMPLES_PER_PIXEL} channels" if channels else "")
            + "); if the image is real, raise VFX_NODES_MAX_PIXELS")


def _area(window: tuple[int, int, int, int]) -> int:
    return max(0, window[2] - window[0] + 1) * max(0, window[3] - window[1] + 1)


def check_layouts(path: str, layouts: Sequence[Any]) -> None:
    """An EXR is decoded whole: refuse what its part headers declare beyond the limit
    (the largest part's pixels; every part's samples together) before decoding anything.

    Args:
        path: the file; ``layouts``: its parts (``data_window``, ``channels``), as the
            structural check reads them.
    """
    if not layouts:
        return
    biggest = max(layouts, key=lambda lay: _area(lay.data_window))
    x0, y0, x1, y1 = biggest.data_window
    area = max(1, _area(biggest.data_window))
    samples = sum(_area(lay.data_window) * max(1, len(lay.channels)) for lay in layouts)
    check_declared(path, x1 - x0 + 1, y1 - y0 + 1, channels=-(-samples // area))

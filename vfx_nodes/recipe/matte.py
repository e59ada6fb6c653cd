"""Mattes: where a look applies, as every Nuke node's mask input says.

Nuke's rule, per pixel, in scene-linear: ``out = in + mask · strength · (styled − in)``
(Foundry, Nuke Reference Guide, "Masking": the node's ``mask`` input and ``mix``).  The
recipe applies it in :func:`vfx_nodes.recipe.finish`, so where the matte is 0 the output
is the input bit for bit (RGB, alpha, every other channel), and the matte channel itself
is carried like any other channel.

A matte is given as

* a **channel name** of the plate (``"A"``, ``"matte.A"``, ``"whitebarmask.left.mask"``),
  as Nuke's mask channel;
* a **Plate** (another node's output, a separate matte file): its only channel, else its
  ``A``; aligned by pixel coordinates through the two data windows (0 where the matte
  plate has no pixels — Nuke's black outside);
* an **array**: ``H×W`` over the plate's data window.

NaN counts as 0 (no light, no matte); values are clipped to 0–1 (a keyer's overshoot
does not extrapolate past the look).  ``invert`` takes ``1 − m``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ..errors import ChannelNotFoundError, SettingsError
from ..plate import Plate

__all__ = ["matte_of", "needed"]

log = logging.getLogger("vfx_nodes.engine")


def _from_plate(plate: Plate, matte: Plate) -> np.ndarray:
    """``matte``'s channel on ``plate``'s data window grid (0 outside the matte's window)."""
    if len(matte.channel_names) == 1:
        name = matte.channel_names[0]
    elif matte.has_channel("A"):
        name = "A"
    else:
        raise SettingsError(f"the matte plate has channels {', '.join(matte.channel_names)}: give one "
                            "channel (mask=matte.without_channels(...)) or a plate with an 'A'")
    values = matte.channel(name)
    px0, py0, px1, py1 = plate.data_window
    mx0, my0, mx1, my1 = matte.data_window
    out = np.zeros((py1 - py0 + 1, px1 - px0 + 1), np.float32)
    x0, y0, x1, y1 = max(px0, mx0), max(py0, my0), min(px1, mx1), min(py1, my1)
    if x0 <= x1 and y0 <= y1:
        out[y0 - py0:y1 - py0 + 1, x0 - px0:x1 - px0 + 1] = values[y0 - my0:y1 - my0 + 1, x0 - mx0:x1 - mx0 + 1]
    return out


def _from_array(plate: Plate, matte: Any) -> np.ndarray:
    arr = np.asarray(matte)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.shape != (plate.height, plate.width):
        raise SettingsError(f"the matte is {arr.shape[1] if arr.ndim > 1 else '?'}×{arr.shape[0]} but the "
                            f"plate's data window is {plate.width}×{plate.height}; give an array of the data "
                            "window's size, or a Plate (aligned through the two data windows)")
    if not np.issubdtype(arr.dtype, np.number):
        raise SettingsError(f"the matte must hold numbers, got {arr.dtype}")
    return np.array(arr, np.float32)


def matte_of(plate: Plate, mask: Any, *, invert: bool = False, warn_empty: bool = True) -> np.ndarray | None:
    """The matte for ``plate`` as ``H×W`` float32 in 0–1 over its data window, or ``None``
    when ``mask`` is ``None`` (no matte: the look everywhere).

    Raises:
        ChannelNotFoundError: a channel name the plate lacks (the message lists its channels).
        SettingsError: an array of another size, a matte plate with several channels and
            no ``A``, or something that is not a matte.
    """
    if mask is None:
        return None
    if isinstance(mask, str):
        if not plate.has_channel(mask):
            raise ChannelNotFoundError(f"mask channel {mask!r} is not in the plate; its channels are "
                                       f"{', '.join(plate.channel_names)}")
        m = np.array(plate.channel(mask), np.float32)
    elif isinstance(mask, Plate):
        m = _from_plate(plate, mask)
    elif hasattr(mask, "shape"):
        m = _from_array(plate, mask)
    else:
        raise SettingsError(f"mask must be a channel name, a Plate or an H×W array, got {type(mask).__name__}")
    np.nan_to_num(m, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
    np.clip(m, 0.0, 1.0, out=m)
    if invert:
        np.subtract(np.float32(1.0), m, out=m)
    if warn_empty and not m.any():
        log.warning("stylize: the matte%s is 0 everywhere: the output is the input",
                    f" {mask!r}" if isinstance(mask, str) else "")
    return m


def needed(matte: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Which pixels of the network's frame (``size``) the matte needs: those under any
    matte pixel above 0, grown by what the way back to the plate's size reads (one pixel
    for the bilinear resize up, the area of one plate pixel for a network frame larger
    than the plate).  A tile whose output has none of them does not run."""
    h, w = matte.shape
    out = np.zeros(size, bool)
    pos = matte > 0
    # OR the plate's rows (then columns) that land on the same network row: one pass over
    # the matte, never a list of its pixels
    for axis, n_out, n_in in ((0, size[0], h), (1, size[1], w)):
        to = np.minimum((np.arange(n_in) * n_out) // max(n_in, 1), n_out - 1)
        starts = np.flatnonzero(np.diff(to, prepend=-1))
        pos = np.logical_or.reduceat(pos, starts, axis=axis)
        if axis == 0:
            rows = to[starts]
        else:
            cols = to[starts]
    out[np.ix_(rows, cols)] = pos
    reach = max(1, -(-size[0] // max(h, 1)), -(-size[1] // max(w, 1)))
    for _ in range(reach):
        grown = out.copy()
        grown[1:] |= out[:-1]
        grown[:-1] |= out[1:]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        grown[1:, 1:] |= out[:-1, :-1]
        grown[:-1, :-1] |= out[1:, 1:]
        grown[1:, :-1] |= out[:-1, 1:]
        grown[:-1, 1:] |= out[1:, :-1]
        out = grown
    return out

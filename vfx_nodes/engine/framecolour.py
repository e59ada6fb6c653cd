"""The colour side of a frame for :func:`vfx_nodes.engine.stylize`: the plate's
colourspaces, OCIO conversions in bounded strips, the highlight treatments (carried as
a residual, or painted through a logarithmic shoulder) and the working-space frame the
network sees (:func:`_prepare`), with what rides around the network kept for the way back.
See :mod:`vfx_nodes.engine.pipeline` for the documented value treatments."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SettingsError
from ..plate import Plate

if TYPE_CHECKING:
    from ..model import Look

# The underscore names (the frame, the strip conversion, the way in and back) are the
# pipeline's own steps, shared with engine/pipeline.py only.
__all__ = ["HIGHLIGHTS", "HIGHLIGHT_CEILING", "HIGHLIGHT_CONTRAST", "HIGHLIGHT_KNEE", "compress_highlights"]

_RELEASED = np.empty((0, 0, 3), np.float32)


@dataclasses.dataclass
class _Frame:
    """One plate's RGB prepared for the network (arrays H×W×3 float32, new).

    Frame-sized arrays are dropped (set to :data:`_RELEASED`) as soon as they are not needed:
    host memory, not just device memory, is what limits an 8K frame.
    """

    names: tuple[str, str, str]
    alpha: np.ndarray | None       # original alpha plane (read-only view) or None
    bad: np.ndarray | None         # H×W bool: pixels with a non-finite R, G or B
    bad_values: np.ndarray | None  # their original R, G, B (len(bad pixels)×3)
    lin: np.ndarray                # unpremultiplied, in the mixing space
    net_in: np.ndarray             # working space, clipped to [0, 1]
    over: np.ndarray | None        # indices (flat) of pixels with a residual
    residual: np.ndarray | None    # len(over)×3 mixing-space residual
    plate_space: str
    mix_space: str
    working_colorspace: str
    base: np.ndarray | None = None  # highlights="paint": working-space values ≥ 0, unclipped


# --- highlights -------------------------------------------------------------------------

#: How over-range light meets the network: ``"carry"`` (clip to 0–1, add what the clip
#: removed back afterwards: highlights keep their values, the network paints their
#: in-range part) or ``"paint"`` (compress 0–∞ into 0–1 above :data:`HIGHLIGHT_KNEE` with
#: a logarithmic shoulder, stylise, expand back: the network sees and paints the texture
#: inside bright areas — a lit window, a sky — and its strokes there become changes of
#: exposure).
HIGHLIGHTS = ("carry", "paint")

#: ``"paint"``: working-space values up to the knee go to the network unchanged; above
#: it, ``E(x) = k + a·ln(1 + (x − k)/a)`` — continuous in value and slope at the knee,
#: reaching 1 at :data:`HIGHLIGHT_CEILING` (8 in an sRGB-encoded working space is about
#: 150× diffuse white; brighter values are clipped for the network, not for the output).
HIGHLIGHT_KNEE = 0.75
HIGHLIGHT_CEILING = 8.0


def _shoulder_scale(knee: float, ceiling: float) -> float:
    """The ``a`` with ``E(ceiling) = 1``: ``a·(exp((1 − k)/a) − 1) = ceiling − k``,
    solved by bisection (the left side grows as ``a`` shrinks)."""
    lo, hi = 1e-4, 10.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid * math.expm1((1.0 - knee) / mid) > ceiling - knee:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


_SHOULDER = _shoulder_scale(HIGHLIGHT_KNEE, HIGHLIGHT_CEILING)

#: ``"paint"``: how strongly a stroke's ratio shows in a highlight (see
#: :func:`_expand_painted`); 2 paints a lit window visibly under an SDR view without
#: the speckle steeper settings show (benchmarks/RESULTS.md, "Highlights").
HIGHLIGHT_CONTRAST = 2.0


def compress_highlights(x: np.ndarray) -> np.ndarray:
    """``E(x)`` for ``x ≥ 0`` (a new float32 array; unbounded above, ≤ 1 up to the ceiling)."""
    k, a = np.float32(HIGHLIGHT_KNEE), np.float32(_SHOULDER)
    y = np.array(x, dtype=np.float32, copy=True)
    hi = y > k
    y[hi] = k + a * np.log1p((y[hi] - k) / a)
    return y


def _expand_painted(styled: np.ndarray, base: np.ndarray, net_in: np.ndarray) -> None:
    """``highlights="paint"``, in place: where the input was compressed (``x`` above the
    knee, network input ``e``), the network's output ``s`` comes back as
    ``x · (s / e)^γ`` with ``γ`` rising from 1 at the knee to
    :data:`HIGHLIGHT_CONTRAST` at the top of the shoulder.

    Ratios, not differences: an unchanged pixel is exactly ``x``, a stroke that halves a
    bright value lowers the highlight by one stop or more, and no output goes negative
    or explodes (an exponential inverse of the shoulder turns the network's small
    near-white variations into speckles of many stops).  ``γ`` > 1 because a highlight
    far above 1 sits on the shoulder of every display transform, where a ratio shows
    compressed; ``γ = 1`` at the knee keeps the result continuous there.
    """
    k = np.float32(HIGHLIGHT_KNEE)
    hi = base > k
    e = net_in[hi]
    ratio = np.maximum(styled[hi], 0.0) / e
    gamma = 1.0 + (np.float32(HIGHLIGHT_CONTRAST) - 1.0) * np.clip((e - k) / (1.0 - k), 0.0, 1.0)
    styled[hi] = base[hi] * ratio ** gamma


def _spaces(plate: Plate, look: Look, colorspace: str | None, working_colorspace: str | None,
            config: Any) -> tuple[str, str, str]:
    from ..color import is_scene_linear, resolve_colorspace
    from ..policy.colour import DEFAULT_PLATE_SPACE

    plate_space = resolve_colorspace(colorspace or plate.colorspace or DEFAULT_PLATE_SPACE, config)
    working = resolve_colorspace(working_colorspace or look.working_colorspace, config)
    linear = is_scene_linear(plate_space, config)
    mix_space = plate_space if linear else resolve_colorspace("scene_linear", config)
    return plate_space, mix_space, working


# Pixels per OCIO call: OCIO's Python binding works on its own copy of the buffer, so a
# whole 8K frame in one call would cost two more frame-sized arrays outside numpy.
_OCIO_STRIP_PIXELS = 1 << 20


def _convert(rgb: np.ndarray, src: str, dst: str, config: Any) -> np.ndarray:
    """``convert_rgb`` into a new array, in strips of rows so that OCIO's temporary
    buffers stay bounded whatever the frame size."""
    if src == dst:
        return np.array(rgb, dtype=np.float32, copy=True)
    from ..color import convert_rgb

    rows = rgb.shape[0]
    per_row = max(1, rgb.size // 3 // max(rows, 1))
    step = max(1, _OCIO_STRIP_PIXELS // per_row)
    if rows <= step:
        return convert_rgb(rgb, src, dst, config=config)
    out = np.empty(rgb.shape, np.float32)
    for y in range(0, rows, step):
        out[y:y + step] = convert_rgb(rgb[y:y + step], src, dst, config=config)
    return out


def _prepare(plate: Plate, look: Look, *, layer: str, colorspace: str | None,
             working_colorspace: str | None, preserve_alpha: bool, config: Any,
             clock: Any, highlights: str = "carry") -> _Frame:
    from ..color import unpremultiply

    if not isinstance(plate, Plate):
        raise SettingsError(f"stylize needs a Plate, got {type(plate).__name__}")
    names = plate.rgb_names(layer)
    alpha_name = plate.alpha_name(layer) if preserve_alpha else None
    alpha = plate.channel(alpha_name) if alpha_name else None
    with clock("ocio_in"):
        plate_space, mix_space, working = _spaces(plate, look, colorspace, working_colorspace, config)
        original = plate.channels(names)
        finite = np.isfinite(original).all(axis=-1)
        bad = None if finite.all() else ~finite
        bad_values = None
        if bad is not None:
            bad_values = original[bad]
            original[bad] = 0.0  # `original` is our own copy (Plate.channels)
        rgb = original
        if alpha is not None:
            rgb = unpremultiply(rgb, alpha)
        lin = _convert(rgb, plate_space, mix_space, config) if plate_space != mix_space else rgb
        work = _convert(lin, mix_space, working, config)
        paint = highlights == "paint"
        with np.errstate(invalid="ignore"):
            # NaN counts as out of range; with "paint" only what is below 0 rides around
            inside = (work >= 0) if paint else ((work >= 0) & (work <= 1))
            out_of_range = ~inside.all(axis=-1)
        np.nan_to_num(work, copy=False, nan=0.0, posinf=1e6 if paint else 1.0, neginf=0.0)
        base = None
        if paint:
            np.maximum(work, 0.0, out=work)
            base, work = work, compress_highlights(work)
            np.minimum(work, np.float32(1.0), out=work)
        else:
            np.clip(work, 0.0, 1.0, out=work)
        over = residual = None
        if out_of_range.any():
            over = np.flatnonzero(out_of_range)
            clipped = (work if base is None else base).reshape(-1, 3)[over][:, None, :]
            back = _convert(clipped, working, mix_space, config)[:, 0, :]
            residual = lin.reshape(-1, 3)[over] - back
    return _Frame(names, alpha, bad, bad_values, lin, work, over, residual,
                  plate_space, mix_space, working, base)

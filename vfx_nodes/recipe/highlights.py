"""Over-range light and the network: the two highlight treatments of the frame recipe.

The network was trained on nominal 0–1 working-space images.  ``"carry"`` clips its input
to 0–1 and adds what the clip removed back afterwards (in scene-linear,
:mod:`vfx_nodes.recipe.frame`); ``"paint"`` compresses 0–∞ into 0–1 with a logarithmic
shoulder so the network sees (and paints) the texture inside bright areas, and expands
its output back by each pixel's ratio.  Every path that feeds a network — render,
statistics, Gatys ``optimize``, training data — uses these definitions.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import SettingsError
from ..policy.settings import HIGHLIGHTS

__all__ = ["HIGHLIGHTS", "HIGHLIGHT_CEILING", "HIGHLIGHT_CONTRAST", "HIGHLIGHT_KNEE", "HIGHLIGHT_SHOULDER",
           "check_highlights", "compress_highlights", "expand_painted"]


# HIGHLIGHTS (a setting's values, policy/settings.py): "carry" (clip to 0–1, add what the
# clip removed back afterwards: highlights keep their values, the network paints their
# in-range part) or "paint" (compress 0–∞ into 0–1 above HIGHLIGHT_KNEE with a
# logarithmic shoulder, stylise, expand back: the network sees and paints the texture
# inside bright areas — a lit window, a sky — and its strokes there become changes of
# exposure).

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


#: ``"paint"``: the shoulder's ``a`` (:func:`_shoulder_scale`); the host exports carry it
#: as a number (vfx_nodes/export/light.py).
HIGHLIGHT_SHOULDER = _shoulder_scale(HIGHLIGHT_KNEE, HIGHLIGHT_CEILING)

#: ``"paint"``: how strongly a stroke's ratio shows in a highlight (see
#: :func:`_expand_painted`); 2 paints a lit window visibly under an SDR view without
#: the speckle steeper settings show (benchmarks/RESULTS.md, "Highlights").
HIGHLIGHT_CONTRAST = 2.0


def compress_highlights(x: np.ndarray) -> np.ndarray:
    """``E(x)`` for ``x ≥ 0`` (a new float32 array; unbounded above, ≤ 1 up to the ceiling)."""
    k, a = np.float32(HIGHLIGHT_KNEE), np.float32(HIGHLIGHT_SHOULDER)
    y = np.array(x, dtype=np.float32, copy=True)
    hi = y > k
    y[hi] = k + a * np.log1p((y[hi] - k) / a)
    return y


def expand_painted(styled: np.ndarray, base: np.ndarray, net_in: np.ndarray) -> None:
    """``highlights="paint"``, in place on ``styled``: where the input was compressed (``x`` above the
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


def check_highlights(value: object) -> str:
    """``value`` if it is one of :data:`HIGHLIGHTS`, else a :class:`SettingsError`."""
    if value not in HIGHLIGHTS:
        raise SettingsError(f"highlights must be one of {', '.join(map(repr, HIGHLIGHTS))}, got {value!r}")
    return str(value)

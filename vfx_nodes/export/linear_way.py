"""The working space's way to scene-linear as a curve and a matrix, for a model with no OCIO around it.

Render adds back what the working space cannot hold (a colour outside its gamut) in the
scene-linear mixing space, scaled by the pixel's change of exposure
(``recipe.frame._add_residual``).  Flame's model sits between the artist's own colour
conversions, so it only sees the working space; where that space is *a per-channel curve
followed by a 3×3 matrix* from the mixing space — the sRGB-encoded Rec.709 of every ACES
config is: OCIO's ``ExponentWithLinearTransform`` (γ 2.4, offset 0.055, its linear segment
continued below 0) then the Rec.709 → AP1 matrix — the model can go to scene-linear and
back itself and apply render's rule exactly (:func:`vfx_nodes.export.light.residual_in_linear_t`).

:func:`find_linear_way` recovers that curve and matrix from the config's own processor —
the matrix from the three primaries, the curve by checking the gray axis against OCIO's
``ExponentWithLinear`` family with the parameters of the common encodings — and keeps them
only if they reproduce OCIO on a spread of colours, far outside the gamut included
(:data:`WAY_TOLERANCE`); otherwise it returns ``None`` and the model keeps only the colour
half of the rule.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["CURVES", "WAY_TOLERANCE", "LinearWay", "find_linear_way"]

#: ``(γ, offset)`` of OCIO ``ExponentWithLinearTransform`` curves tried: sRGB (IEC 61966-2-1),
#: Rec.709's OETF (ITU-R BT.709: 1/0.45, 0.099) and a linear working space (1, 0).
CURVES = ((2.4, 0.055), (1.0 / 0.45, 0.099), (1.0, 0.0))

#: Largest error allowed against OCIO, relative to the size of the terms the matrix adds
#: (OCIO's float32 arithmetic gives ~1e-6).
WAY_TOLERANCE = 1e-4


@dataclasses.dataclass(frozen=True)
class LinearWay:
    """``mix = matrix · decode(working)`` with OCIO's ``ExponentWithLinear`` decode: below
    ``break_enc`` the linear segment ``x / slope`` (continued below 0), above it
    ``((x + offset) / (1 + offset))^γ``."""

    gamma: float
    offset: float
    matrix: np.ndarray  # 3×3, float64

    @property
    def break_enc(self) -> float:
        """Where the power law meets its tangent through 0 (encoded value)."""
        return self.offset / (self.gamma - 1.0) if self.gamma > 1.0 else 0.0

    @property
    def slope(self) -> float:
        """The linear segment's slope, encoded / linear (1 for a linear space)."""
        b = self.break_enc
        if b <= 0.0:
            return 1.0
        return b / ((b + self.offset) / (1.0 + self.offset)) ** self.gamma

    def decode(self, x: np.ndarray) -> np.ndarray:
        """The curve on numpy values (float64)."""
        x = np.asarray(x, np.float64)
        power = ((np.maximum(x, self.break_enc) + self.offset) / (1.0 + self.offset)) ** self.gamma
        return np.where(x < self.break_enc, x / self.slope, power)


def _processor_rgb(cpu: Any, rgb: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(rgb, np.float32).copy()
    cpu.applyRGB(out)
    return out.astype(np.float64)


def find_linear_way(working: str, mix: str, config: Any = None) -> LinearWay | None:
    """The curve and matrix taking ``working`` to ``mix`` (the module notes), or ``None``
    when no curve of :data:`CURVES` and a matrix reproduce OCIO within
    :data:`WAY_TOLERANCE`."""
    from ..color.convert import get_processor

    cpu = get_processor(working, mix, config=config)
    matrix = _processor_rgb(cpu, np.eye(3, dtype=np.float32)).T  # columns: the primaries
    if not np.isfinite(matrix).all() or abs(np.linalg.det(matrix)) < 1e-6:
        return None
    rng = np.random.default_rng(0)
    probe = np.concatenate([rng.uniform(-300.0, 12.0, (4000, 3)), rng.uniform(-1.0, 2.0, (4000, 3)),
                            np.repeat(np.linspace(-2.0, 12.0, 701)[:, None], 3, 1)])
    want = _processor_rgb(cpu, probe)
    for gamma, offset in CURVES:
        way = LinearWay(gamma, offset, matrix)
        decoded = way.decode(probe)
        terms = np.abs(decoded) @ np.abs(matrix).T
        err = np.abs(decoded @ matrix.T - want) / np.maximum(terms, 1e-6)
        if float(err.max()) <= WAY_TOLERANCE:
            return way
    return None

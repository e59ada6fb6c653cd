"""Premultiplication: the pair of operations around every colour conversion.

EXR colour is premultiplied by alpha, and a pixel with alpha 0 and non-zero colour is
legal: it is light that covers nothing (fire, glows, reflections on glass) and is *added*
over the background (OpenEXR, "Technical Introduction", section "Premultiplied vs.
Un-Premultiplied Color Channels").  So, unlike a plain ``rgb / alpha``:

* :func:`unpremultiply` divides colour by alpha only where alpha is finite and > 0.
  Where alpha is 0, negative, NaN or ±Inf the colour is left exactly as it is (the
  emission of an alpha-0 pixel is converted as it stands; dividing by a negative alpha
  would flip its colour, by Inf would erase it).
* :func:`premultiply` multiplies by alpha under the same condition and leaves the other
  pixels as they are, so it undoes :func:`unpremultiply` exactly: bit-for-bit where
  alpha is not finite and > 0, within float32 rounding (one division and one
  multiplication, ≤ 1 ulp each) elsewhere.
* Alpha above 1 (over-bright mattes from some keyers and filters) is treated like any
  other positive alpha: divided, then multiplied back.
* NaN or Inf *colour* values stay NaN or Inf (division and multiplication by a finite,
  positive alpha keep them), pixel by pixel.

Neither function changes its inputs unless given them as ``out=``; both return float32 arrays.
"""

from __future__ import annotations

import numpy as np

from ..errors import ColorError

__all__ = ["alpha_mask", "premultiply", "unpremultiply"]


def _check(rgb: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rgb = np.asarray(rgb)
    alpha = np.asarray(alpha)
    if rgb.ndim < 1 or rgb.shape[-1] != 3:
        raise ColorError(f"rgb must have 3 values on its last axis (H×W×3 or N×3), got shape {rgb.shape}")
    if alpha.shape == rgb.shape[:-1] + (1,):
        alpha = alpha[..., 0]
    if alpha.shape != rgb.shape[:-1]:
        raise ColorError(f"alpha must have shape {rgb.shape[:-1]} (rgb {rgb.shape} without its "
                         f"last axis), got {alpha.shape}")
    return rgb, alpha


def alpha_mask(alpha: np.ndarray) -> np.ndarray:
    """Where (un)premultiplication applies: alpha finite and strictly positive.

    Args:
        alpha: any array of alpha values.

    Returns:
        A boolean array of the same shape.
    """
    a = np.asarray(alpha, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        return np.isfinite(a) & (a > 0)


def _factor(alpha: np.ndarray) -> np.ndarray:
    """Alpha where (un)premultiplication applies, 1 elsewhere (float32, alpha's shape + 1).

    Dividing or multiplying by an exact 1 leaves a value bit-for-bit (NaN and Inf
    included), so one whole-array operation replaces a masked gather and scatter (3–4×
    faster on a 4K frame, benchmarks/RESULTS.md "The frame recipe")."""
    a = np.asarray(alpha, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        keep = (a > 0) & (a < np.inf)
    return np.where(keep, a, np.float32(1.0))[..., None]


def unpremultiply(rgb: np.ndarray, alpha: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """Straight colour from premultiplied colour: ``rgb / alpha`` where alpha is finite and > 0.

    Args:
        rgb: premultiplied colour, ``(..., 3)``.
        alpha: ``(...)`` or ``(..., 1)``, matching ``rgb`` without its last axis.
        out: a float32 array of ``rgb``'s shape to write into (may be ``rgb`` itself);
            default a new one.

    Returns:
        ``out`` or a new float32 array; pixels whose alpha is 0, negative, NaN or ±Inf keep their
        colour bit-for-bit (see the module notes for why).

    Raises:
        ColorError: the shapes do not match.

    Example:
        >>> unpremultiply(np.array([[0.25, 0.5, 1.0], [2.0, 0.0, 0.0]]), np.array([0.5, 0.0]))
        array([[0.5, 1. , 2. ],
               [2. , 0. , 0. ]], dtype=float32)
    """
    rgb, alpha = _check(rgb, alpha)
    if out is None:
        out = np.empty(rgb.shape, np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.divide(rgb, _factor(alpha), out=out, dtype=np.float32)


def premultiply(rgb: np.ndarray, alpha: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """Premultiplied colour from straight colour: ``rgb * alpha`` where alpha is finite and > 0.

    The exact inverse of :func:`unpremultiply`: pixels whose alpha is 0, negative, NaN or
    ±Inf keep their colour bit-for-bit, so alpha-0 emission survives a round trip.

    Args:
        rgb: straight colour, ``(..., 3)``.
        alpha: ``(...)`` or ``(..., 1)``, matching ``rgb`` without its last axis.
        out: as in :func:`unpremultiply`.

    Returns:
        ``out`` or a new float32 array.

    Raises:
        ColorError: the shapes do not match.
    """
    rgb, alpha = _check(rgb, alpha)
    if out is None:
        out = np.empty(rgb.shape, np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.multiply(rgb, _factor(alpha), out=out, dtype=np.float32)

"""Built-in sample plates, made by code so a fresh install has something real to work on.

:func:`sample_plate` draws a small procedural exterior — sky, a sun far above 1.0, hills,
a checker ground plane receding to the horizon, three shaded spheres — in ACEScg
(scene-linear, AP1 primaries, the ``scene_linear`` role of OCIO's studio config).  It
carries everything a production plate carries and a style node must not break:

* highlights well above 1 (the sun's disc is ~40, its glow and the specular highlights on
  the spheres are between 1 and 10) and slightly negative values (out-of-gamut blue sky);
* a premultiplied alpha with soft edges (a rounded card that reaches into the overscan,
  transparent in its corners);
* a data window larger than the display window (``overscan`` pixels on every side);
* a ``Z`` depth channel, and an extra ``albedo`` layer (``albedo.R/G/B``);
* half-float pixel types, as a renderer or a scanner would write them.

Everything is deterministic (no random state), so the demo and the tests see the same
pixels on every machine.
"""

from __future__ import annotations

import numpy as np

from .plate import Plate

__all__ = ["SAMPLE_COLORSPACE", "sample_plate"]

#: The colourspace the sample is drawn in (a name in OCIO's built-in studio config).
SAMPLE_COLORSPACE = "ACEScg"


def _smoothstep(e0: float | np.ndarray, e1: float | np.ndarray, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _value_noise(u: np.ndarray, v: np.ndarray, octaves: int = 4) -> np.ndarray:
    """Deterministic fractal noise from sines (no RNG, identical on every platform)."""
    out = np.zeros_like(u)
    amp, freq = 0.5, 1.0
    for i in range(octaves):
        out += amp * np.sin(freq * (u * 7.1 + 1.3 * i) + np.sin(freq * v * 5.3 + 0.7 * i) * 2.0)
        amp *= 0.5
        freq *= 2.03
    return out


def sample_plate(width: int = 320, height: int = 180, overscan: int = 16) -> Plate:
    """Make the built-in sample plate.

    Args:
        width: display-window width in pixels (≥ 16).
        height: display-window height in pixels (≥ 16).
        overscan: extra pixels of real picture on every side of the display window.

    Returns:
        A :class:`~vfx_nodes.plate.Plate` with channels ``R G B A Z albedo.R albedo.G
        albedo.B``, ``data_window = (-overscan, -overscan, width-1+overscan,
        height-1+overscan)``, ``display_window = (0, 0, width-1, height-1)``,
        ``colorspace = "ACEScg"`` and half pixel types.

    Example:
        >>> p = sample_plate(64, 36, overscan=4)
        >>> p.data_window, p.display_window
        ((-4, -4, 67, 39), (0, 0, 63, 35))
    """
    if width < 16 or height < 16 or overscan < 0:
        from .errors import PlateError

        raise PlateError(
            f"sample plate needs width, height ≥ 16 and overscan ≥ 0, got {width}×{height}+{overscan}")
    xs = np.arange(-overscan, width + overscan, dtype=np.float64) + 0.5
    ys = np.arange(-overscan, height + overscan, dtype=np.float64) + 0.5
    px, py = np.meshgrid(xs, ys)
    # Normalised coordinates: u across the display width, v down from the top (0..1).
    u = px / width
    v = py / height
    aspect = width / height
    horizon = 0.55

    # --- sky: a vertical gradient with a hint of out-of-gamut blue (negative red) -------
    t = np.clip(v / horizon, 0.0, 1.0)
    sky = np.stack([0.18 * t - 0.02 * (1 - t), 0.30 + 0.25 * t, 0.75 + 0.1 * t], axis=-1)
    clouds = _smoothstep(0.25, 0.8, _value_noise(u * 1.5, v * 4.0, 5)) * (1 - t) ** 0.5
    sky = sky * (1 - clouds[..., None]) + 0.9 * clouds[..., None]

    # --- sun: a disc of ~40 with a glow falling off through 1 --------------------------
    sx, sy, sr = 0.78, 0.18, 0.035
    d = np.hypot((u - sx) * aspect, v - sy)
    sun = 40.0 * _smoothstep(sr, sr * 0.8, d) + 3.0 * np.exp(-((d / (sr * 3)) ** 2))
    sky = sky + sun[..., None] * np.array([1.0, 0.85, 0.6])

    # --- hills: two noisy silhouettes ---------------------------------------------------
    img = sky
    albedo = np.broadcast_to(np.array([0.2, 0.3, 0.6]), img.shape).copy()
    depth = np.full(u.shape, 1.0e4)
    for k, (base, amp, col, z) in enumerate(
            [(0.42, 0.07, (0.16, 0.22, 0.30), 3000.0), (0.48, 0.05, (0.10, 0.20, 0.08), 1200.0)]):
        ridge = base + amp * _value_noise(u * (2.0 + k), np.full_like(u, 0.3 * k), 4)
        m = _smoothstep(ridge - 0.004, ridge + 0.004, v) * (v < horizon + 0.02)
        shade = 0.7 + 0.3 * _value_noise(u * 9.0, v * 9.0, 3)
        c = np.array(col) * shade[..., None]
        img = img * (1 - m[..., None]) + c * m[..., None]
        albedo = albedo * (1 - m[..., None]) + np.array(col) * m[..., None]
        depth = np.where(m > 0.5, z, depth)

    # --- ground: a checker plane receding to the horizon --------------------------------
    below = v > horizon
    dz = np.maximum(v - horizon, 1e-4)
    gz = 0.25 / dz  # distance along the ground, grows toward the horizon
    gx = (u - 0.5) * aspect * gz
    check = ((np.floor(gx * 2.0) + np.floor(gz * 2.0)) % 2 == 0)
    ground_alb = np.where(check[..., None], np.array([0.55, 0.45, 0.30]), np.array([0.12, 0.18, 0.09]))
    fade = np.exp(-gz / 25.0)[..., None]
    ground = ground_alb * (0.9 * fade + 0.25 * (1 - fade))
    img = np.where(below[..., None], ground, img)
    albedo = np.where(below[..., None], ground_alb, albedo)
    depth = np.where(below, gz * 10.0, depth)

    # --- spheres: lambert + a hot specular (values 2–10) ---------------------------------
    light = np.array([0.55, -0.6, 0.58])
    light = light / np.linalg.norm(light)
    for cx, cy, r, col, z in [(0.25, 0.68, 0.12, (0.8, 0.1, 0.08), 25.0),
                              (0.52, 0.74, 0.09, (0.1, 0.5, 0.85), 18.0),
                              (0.72, 0.66, 0.06, (0.9, 0.8, 0.2), 40.0)]:
        dx = (u - cx) * aspect / r
        dy = (v - cy) / r
        rr = dx * dx + dy * dy
        inside = rr < 1.0
        nz = np.sqrt(np.clip(1.0 - rr, 0.0, 1.0))
        lam = np.clip(dx * light[0] + dy * light[1] + nz * light[2], 0.0, 1.0)
        spec = np.clip(dx * 0.3 - dy * 0.5 + nz * 0.81, 0.0, 1.0) ** 60 * 10.0
        c = np.array(col) * (0.08 + 1.1 * lam)[..., None] + spec[..., None]
        cover = _smoothstep(1.0, 0.96, rr)[..., None]
        img = img * (1 - cover) + c * cover
        albedo = albedo * (1 - cover) + np.array(col) * cover
        depth = np.where(inside, z - 2.0 * nz, depth)

    # --- alpha: a rounded card with soft edges, transparent in the corners ---------------
    cu = np.abs(u - 0.5) * aspect
    cv = np.abs(v - 0.5)
    # The card reaches into the overscan, so the overscan holds real (visible) picture,
    # while its rounded corners cut into the display window.
    ov = 0.6 * overscan / height
    hw, hh, rad = 0.5 * aspect + ov, 0.5 + ov, 0.16
    qx = np.maximum(cu - (hw - rad), 0.0)
    qy = np.maximum(cv - (hh - rad), 0.0)
    dist = np.hypot(qx, qy) - rad
    alpha = _smoothstep(0.01, -0.01, dist)

    rgb = img * alpha[..., None]  # premultiplied, as EXR defines it
    pixels = np.concatenate(
        [rgb, alpha[..., None], depth[..., None], albedo * alpha[..., None]], axis=-1)
    # Quantise through half so the in-memory plate equals what an EXR would hold.
    pixels = pixels.astype(np.float16).astype(np.float32)
    names = ("R", "G", "B", "A", "Z", "albedo.R", "albedo.G", "albedo.B")
    types = ("half", "half", "half", "half", "float", "half", "half", "half")
    pixels[..., 4] = depth.astype(np.float32)  # Z stays full float, as renderers write it
    return Plate(
        pixels,
        names,
        data_window=(-overscan, -overscan, width - 1 + overscan, height - 1 + overscan),
        display_window=(0, 0, width - 1, height - 1),
        pixel_types=types,
        colorspace=SAMPLE_COLORSPACE,
        header={"comments": "vfx_nodes built-in sample plate (procedural, ACEScg)",
                "owner": "vfx_nodes"},
        source="vfx_nodes.samples.sample_plate",
    )

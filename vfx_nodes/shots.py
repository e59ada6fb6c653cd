"""Synthetic shots whose motion is known exactly: for measuring temporal stability.

Lai et al. (2018) measure a stylised shot's stability by warping each frame back onto the
one before along the *true* motion. A real plate with a moving camera has no true motion
to hand; these shots do. A still "world" image (a real plate, or a procedural texture)
is filmed by a virtual camera, and every frame carries exact Nuke ``forward`` /
``backward`` vectors (u right, v up, pixels), so the renderer's ``temporal="vectors"``
mode, the optical-flow mode and the measure all have the ground truth to compare with.

* ``"pan"`` — a camera move of a fraction of a pixel per frame in x and y (the hardest
  case for a network with stride 4: no move lines its strides up twice);
* ``"rotate"`` — the camera rolls about the frame centre;
* ``"parallax"`` — the background pans one way while a textured foreground card moves
  the other, covering and revealing the background (occlusion: those pixels carry no
  valid motion and are left out of the measure).

:func:`moving_shot` returns the frames and, per frame, the true backward field and its
validity mask in the engine's convention (``(dx, dy)`` to where the pixel was in the
previous frame, y down; :mod:`vfx_nodes.engine.motion`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .errors import SettingsError
from .plate import Plate
from .samples import _value_noise

__all__ = ["SHOT_KINDS", "Shot", "moving_shot", "procedural_world"]

SHOT_KINDS = ("pan", "rotate", "parallax")


@dataclasses.dataclass(frozen=True)
class Shot:
    """A synthetic shot: ``frames`` (Plates), and for each frame the true ``backward``
    motion (``H×W×2``, y down; ``None`` for the first) and ``valid`` mask (``H×W`` bool:
    the pixel was visible in the previous frame)."""

    kind: str
    frames: list[Plate]
    backward: list[np.ndarray | None]
    valid: list[np.ndarray | None]


def procedural_world(width: int, height: int) -> np.ndarray:
    """A deterministic textured world (``H×W×3`` scene-linear ACEScg, 0.02–1.2): sky-like
    gradients, fractal noise and hard-edged shapes, so strokes have something to follow."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = xs / 97.0, ys / 89.0
    n1 = _value_noise(u, v, 5)
    n2 = _value_noise(v * 1.7 + 3.0, u * 1.3, 4)
    base = np.stack([0.35 + 0.25 * n1, 0.30 + 0.2 * n2, 0.25 + 0.15 * (n1 - n2)], axis=-1)
    cells = ((np.floor(xs / 61.0) + np.floor(ys / 53.0)) % 3)[..., None]
    shapes = np.where(cells == 0, np.array([0.9, 0.55, 0.2]), np.where(cells == 1, np.array([0.1, 0.25, 0.6]),
                                                                        np.array([0.2, 0.5, 0.15])))
    img = 0.55 * base + 0.45 * shapes * (0.6 + 0.4 * n2[..., None])
    return np.clip(img, 0.02, 1.2).astype(np.float32)


def _sample(world: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``world`` at pixel-centre coordinates (edges repeated)."""
    h, w = world.shape[:2]
    x = np.clip(x, 0, w - 1.001)
    y = np.clip(y, 0, h - 1.001)
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    a, b = world[y0, x0], world[y0, x0 + 1]
    c, d = world[y0 + 1, x0], world[y0 + 1, x0 + 1]
    return ((a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy).astype(np.float32)


def _plate(rgb: np.ndarray, fwd: np.ndarray, bwd: np.ndarray, colorspace: str) -> Plate:
    """A frame with RGBA and Nuke forward/backward vectors (v up: the y components negated)."""
    h, w = rgb.shape[:2]
    chans = [rgb[..., 0], rgb[..., 1], rgb[..., 2], np.ones((h, w), np.float32),
             fwd[..., 0], -fwd[..., 1], bwd[..., 0], -bwd[..., 1]]
    names = ("R", "G", "B", "A", "forward.u", "forward.v", "backward.u", "backward.v")
    return Plate(np.ascontiguousarray(np.stack(chans, axis=-1), np.float32), names, colorspace=colorspace,
                 pixel_types=("half",) * 4 + ("float",) * 4)


def _camera(kind: str, t: float, w: int, h: int, speed: float) -> tuple[np.ndarray, np.ndarray]:
    """World coordinates seen by frame ``t``'s pixels (background layer)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    if kind == "rotate":
        theta = np.deg2rad(0.35 * speed * t)
        cx, cy = (w - 1) / 2, (h - 1) / 2
        c, s = np.cos(theta), np.sin(theta)
        return c * (xs - cx) - s * (ys - cy) + cx + w * 0.25, s * (xs - cx) + c * (ys - cy) + cy + h * 0.25
    vx, vy = 1.37 * speed, 0.61 * speed
    return xs + vx * t + w * 0.25, ys + vy * t + h * 0.25


def _card(t: float, w: int, h: int, speed: float) -> tuple[np.ndarray, float, float]:
    """The foreground card of the parallax shot at frame ``t``: its mask and offset."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    ox, oy = w * 0.7 - 2.3 * speed * t, h * 0.3 + 0.4 * speed * t
    inside = (np.abs(xs - ox) < w * 0.16) & (np.abs(ys - oy) < h * 0.22)
    return inside, ox, oy


def moving_shot(kind: str = "pan", frames: int = 12, width: int = 160, height: int = 96, *,
                world: np.ndarray | None = None, speed: float = 1.0, colorspace: str = "ACEScg") -> Shot:
    """Film a still world with a moving camera: frames with exact motion vectors.

    Args:
        kind: ``"pan"``, ``"rotate"`` or ``"parallax"`` (see the module).
        frames: how many frames (≥ 2).
        width, height: frame size.
        world: ``H×W×3`` scene-linear image to film (≥ 1.35× the frame plus the motion);
            default :func:`procedural_world`.
        speed: scales the motion (1 = 1.37, 0.61 px/frame for the pan, 0.35°/frame roll).
        colorspace: the frames' colourspace tag.

    Raises:
        SettingsError: an unknown kind, fewer than 2 frames, or a world too small.
    """
    if kind not in SHOT_KINDS:
        raise SettingsError(f"shot kind {kind!r}: choose one of {', '.join(SHOT_KINDS)}")
    if frames < 2:
        raise SettingsError(f"a shot needs at least 2 frames, got {frames}")
    need_w = int(1.35 * width + 2.4 * speed * frames) + 2
    need_h = int(1.35 * height + 0.65 * speed * frames) + 2
    if world is None:
        world = procedural_world(need_w, need_h)
    if world.shape[0] < need_h or world.shape[1] < need_w:
        raise SettingsError(f"the world is {world.shape[1]}×{world.shape[0]}; this shot needs {need_w}×{need_h}")
    world = np.ascontiguousarray(world[..., :3], np.float32)
    fg_world = np.ascontiguousarray(world[::-1, ::-1] * np.array([1.1, 0.8, 0.6], np.float32))
    coords = [_camera(kind, t, width, height, speed) for t in range(frames + 1)]
    cards = [_card(t, width, height, speed) if kind == "parallax" else None for t in range(frames + 1)]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    out = Shot(kind, [], [], [])
    for t in range(frames):
        wx, wy = coords[t]
        rgb = _sample(world, wx, wy)
        bwd = _to_camera(kind, t, t - 1, xs, ys, width, height, speed)
        fwd = _to_camera(kind, t, t + 1, xs, ys, width, height, speed)
        valid = np.ones((height, width), bool)
        card = cards[t]
        if card is not None:
            inside, ox, oy = card
            rgb = np.where(inside[..., None], _sample(fg_world, xs - ox + width, ys - oy + height), rgb)
            step = np.array([2.3 * speed, -0.4 * speed])  # the card's motion back to t-1 (+x, -y)
            bwd = np.where(inside[..., None], step, bwd)
            fwd = np.where(inside[..., None], -step, fwd)
            if t > 0:
                # background now visible that the card covered in t-1: no valid motion
                prev_inside = cards[t - 1][0]  # type: ignore[index]
                px = np.clip(np.round(xs + bwd[..., 0]).astype(int), 0, width - 1)
                py = np.clip(np.round(ys + bwd[..., 1]).astype(int), 0, height - 1)
                valid &= ~(~inside & prev_inside[py, px])
        if t > 0:
            px, py = xs + bwd[..., 0], ys + bwd[..., 1]
            valid &= (px >= 0) & (px <= width - 1) & (py >= 0) & (py <= height - 1)
        out.frames.append(_plate(rgb, fwd.astype(np.float32), bwd.astype(np.float32), colorspace))
        out.backward.append(bwd.astype(np.float32) if t > 0 else None)
        out.valid.append(valid if t > 0 else None)
    return out


def _to_camera(kind: str, t: int, t2: int, xs: np.ndarray, ys: np.ndarray, w: int, h: int,
               speed: float) -> np.ndarray:
    """Background displacement from frame ``t``'s pixels to where they are in frame ``t2``."""
    if kind == "rotate":
        theta = np.deg2rad(0.35 * speed * (t - t2))
        cx, cy = (w - 1) / 2, (h - 1) / 2
        c, s = np.cos(theta), np.sin(theta)
        x2 = c * (xs - cx) - s * (ys - cy) + cx
        y2 = s * (xs - cx) + c * (ys - cy) + cy
        return np.stack([x2 - xs, y2 - ys], axis=-1)
    d = float(t - t2)
    return np.stack([np.full_like(xs, 1.37 * speed * d), np.full_like(ys, 0.61 * speed * d)], axis=-1)

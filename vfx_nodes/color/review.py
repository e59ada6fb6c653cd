"""Review images of plates as a compositor's viewer shows them: the viewer window (display
window plus overscan), premultiplied colour over a checkerboard in scene-linear, the OCIO
display/view, the display window outlined — and the before/after sheet of the demo and the
docs (:func:`before_after`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..plate import Plate

__all__ = ["CHECKER_GREYS", "LABEL_HEIGHT", "OUTLINE", "PANEL_GAP", "before_after", "viewer_window"]

#: pixels between the two panels of the before/after image, and the label strip below
PANEL_GAP = 8
LABEL_HEIGHT = 16
# Scene-linear greys of the checkerboard behind the alpha (≈ 18 % and 9 % reflectance:
# mid grey and a stop below, the usual "transparency grid" of a viewer).
CHECKER_GREYS = (0.18, 0.09)
# Display-referred grey of the display window's outline.
OUTLINE = 0.85


def viewer_window(plate: Plate) -> tuple[int, int, int, int]:
    """The window a compositor's viewer shows: the union of the data window (overscan
    included) and the display window, ``(xmin, ymin, xmax, ymax)`` inclusive."""
    (x0, y0, x1, y1), (dx0, dy0, dx1, dy1) = plate.data_window, plate.display_window
    return min(x0, dx0), min(y0, dy0), max(x1, dx1), max(y1, dy1)


def _in_window(plate: Plate, names: tuple[str, ...], win: tuple[int, int, int, int]) -> np.ndarray:
    """The channels ``names`` over ``win`` (zeros where the data window does not cover
    it, as EXR defines the pixels outside the data window)."""
    wx0, wy0, wx1, wy1 = win
    x0, y0, x1, y1 = plate.data_window
    out = np.zeros((wy1 - wy0 + 1, wx1 - wx0 + 1, len(names)), np.float32)
    ix0, iy0, ix1, iy1 = max(wx0, x0), max(wy0, y0), min(wx1, x1), min(wy1, y1)
    if ix0 <= ix1 and iy0 <= iy1:
        src = plate.channels(names)
        out[iy0 - wy0:iy1 - wy0 + 1, ix0 - wx0:ix1 - wx0 + 1] = \
            src[iy0 - y0:iy1 - y0 + 1, ix0 - x0:ix1 - x0 + 1]
    return out


def _checkerboard(height: int, width: int, square: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    on = ((yy // square + xx // square) % 2 == 0)
    return np.where(on, CHECKER_GREYS[0], CHECKER_GREYS[1]).astype(np.float32)


def _panel(plate: Plate, *, display: str | None, view: str | None, config: Any) -> np.ndarray:
    """Display-referred RGB of the plate's viewer window over a checkerboard, with the
    display window outlined."""
    from .display import to_display

    src = plate.colorspace or "scene_linear"
    win = viewer_window(plate)
    rgb_names, alpha_name = plate.rgb_names(""), plate.alpha_name("")
    if alpha_name:
        rgba = _in_window(plate, (*rgb_names, alpha_name), win)
        rgb, alpha = rgba[..., :3], rgba[..., 3]
    else:
        rgb = _in_window(plate, rgb_names, win)
        # No alpha: opaque over the data window, the checkerboard outside it.
        x0, y0, x1, y1 = plate.data_window
        alpha = np.zeros(rgb.shape[:2], np.float32)
        alpha[y0 - win[1]:y1 - win[1] + 1, x0 - win[0]:x1 - win[0] + 1] = 1.0
    h, w = alpha.shape
    # "Over" in scene-linear on premultiplied colour (Porter & Duff 1984):
    # out = fg + (1 − α)·bg, then the view transform — as a compositor's viewer shows it.
    bg = _checkerboard(h, w, max(4, plate.display_size[1] // 20))
    comp = rgb + (1.0 - np.clip(alpha, 0.0, 1.0))[..., None] * bg[..., None]
    out = to_display(comp, src, display, view, config=config)  # the one NaN/Inf rule
    # The display window's outline, one pixel outside it where the overscan leaves room
    # (Nuke's viewer draws the format box the same way over the overscan).
    dx0, dy0, dx1, dy1 = plate.display_window
    ox0, oy0 = dx0 - win[0] - 1, dy0 - win[1] - 1
    ox1, oy1 = dx1 - win[0] + 1, dy1 - win[1] + 1
    cx0, cy0, cx1, cy1 = max(ox0, 0), max(oy0, 0), min(ox1, w - 1), min(oy1, h - 1)
    for y in {cy0, cy1}:
        out[y, cx0:cx1 + 1] = OUTLINE
    for x in {cx0, cx1}:
        out[cy0:cy1 + 1, x] = OUTLINE
    return out


def before_after(before: Plate, after: Plate, *, display: str | None = None,
                 view: str | None = None, config: Any = None,
                 labels: tuple[str, str] | None = ("before", "after")) -> np.ndarray:
    """The side-by-side review image: ``before`` left, ``after`` right.

    Each panel is the plate's :func:`viewer_window` (display window plus overscan), its
    premultiplied colour composited in scene-linear over a grey checkerboard and passed
    through the OCIO display/view (default: the config's default display and its default
    view for the plate's colourspace); a light one-pixel line outlines the display
    window.  Panels are separated by :data:`PANEL_GAP` dark pixels; with ``labels`` a
    :data:`LABEL_HEIGHT` strip below names them.

    Args:
        before, after: plates with R, G, B (and optionally A); never modified.
        display, view, config: see :func:`vfx_nodes.color.display_view_rgb`.
        labels: the two captions, or ``None`` for no label strip.

    Returns:
        ``H' × (W_before + PANEL_GAP + W_after) × 3`` float32 display-referred values in
        0–1, where ``W``/``H`` are the viewer windows' sizes and ``H' = max H (+
        LABEL_HEIGHT)``.
    """
    panels = [_panel(p, display=display, view=view, config=config) for p in (before, after)]
    h = max(p.shape[0] for p in panels)
    w0, w1 = panels[0].shape[1], panels[1].shape[1]
    strip = LABEL_HEIGHT if labels else 0
    out = np.full((h + strip, w0 + PANEL_GAP + w1, 3), 0.08, np.float32)
    out[:panels[0].shape[0], :w0] = panels[0]
    out[:panels[1].shape[0], w0 + PANEL_GAP:] = panels[1]
    if labels:
        from PIL import Image, ImageDraw

        img = Image.new("L", (out.shape[1], strip), color=20)  # the background's 0.08
        draw = ImageDraw.Draw(img)
        for text, x in zip(labels, (0, w0 + PANEL_GAP)):
            draw.text((x + 4, 2), text, fill=235)
        out[h:] = (np.asarray(img, np.float32) / 255.0)[..., None]
    return out

"""Review movies: plates → pictures through an OCIO display/view → an H.264 file.

What goes into each movie frame, and why:

* **the display window** — the frame as the artist sees it in the viewer. Data outside
  the display window (overscan) is cropped; display pixels the data window does not
  cover are black.
* **OCIO display/view** — scene-linear plates are shown through
  :func:`vfx_nodes.color.display.display_image` (``display``/``view``, default the
  config's default display and its default view for the plate's colourspace), never a
  hand-written sRGB curve, with the one NaN/Inf rule of the display module. Alpha is not
  used: a premultiplied plate reads as comped over black. Non-square pixel aspect is not
  desqueezed.
* **burn-in** — optionally the frame number, drawn with Pillow's default font
  (``ImageFont.load_default``) on a black box in the bottom-left corner.

The file side (even size, BT.709 tags, atomic write, PyAV) is
:mod:`vfx_nodes.io.movie`'s.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import MissingFrameError
from ..io.movie import MovieInfo, check_movie_file, encode_movie
from ..plate import Plate
from ..policy.progress import ProgressFn

__all__ = ["MovieInfo", "check_movie", "movie_from_sequence", "review_frame", "write_movie"]


def _burn_in(img: np.ndarray, text: str) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    h = img.shape[0]
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    try:  # Pillow ≥ 10.1: the default font is scalable; keep it legible on big frames.
        font: Any = ImageFont.load_default(size=max(10, h // 24))
    except TypeError:  # pragma: no cover - older Pillow: fixed-size bitmap font
        font = ImageFont.load_default()
    margin = max(2, h // 100)
    _, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x, y = margin, h - margin - (bottom - top) - top - 2
    draw.rectangle((x - 2, y + top - 2, x + right + 2, y + bottom + 2), fill=(0, 0, 0))
    draw.text((x, y), text, fill=(255, 255, 255), font=font)
    return np.asarray(pil)


def review_frame(plate: Plate, *, colorspace: str | None = None, display: str | None = None,
                 view: str | None = None, layer: str = "", config: Any = None,
                 burn_in: str | int | None = None) -> np.ndarray:
    """One movie frame: the display window through the display/view, as 8-bit RGB.

    Args:
        plate: the plate (not changed).
        colorspace: colourspace of the plate's RGB; default ``plate.colorspace``, else the
            ``scene_linear`` role.
        display: OCIO display (default: the config's default display).
        view: OCIO view (default: the display's default view for the colourspace).
        layer: which layer's RGB to show (``""`` = the main layer).
        config: OCIO config (see :func:`vfx_nodes.color.get_config`).
        burn_in: text (a frame number) to draw in the bottom-left corner, or ``None``.

    Returns:
        ``H×W×3`` uint8 over the display window, before the even-size padding.
    """
    from .display import display_image

    img = display_image(plate, layer=layer, colorspace=colorspace, display=display, view=view, config=config,
                        window="display")
    if burn_in is not None:
        img = _burn_in(img, str(burn_in))
    return img


def check_movie(path: str | os.PathLike[str], *, fps: float | str | Fraction = 24, crf: int = 18,
                display: str | None = None, view: str | None = None, config: Any = None,
                colorspace: str | None = None, create_folder: bool = False, overwrite: bool = True) -> None:
    """Everything about a review movie that can be wrong before a frame is read: the file
    (:func:`vfx_nodes.io.movie.check_movie_file`: PyAV, extension, folder, fps, crf, a file
    in the way unless ``overwrite``) and the OCIO display/view — so ``render --movie``
    fails before it renders, not after.

    Raises:
        PlateWriteError: as :func:`~vfx_nodes.io.movie.check_movie_file`.
        ColorSpaceError: an unknown display or view.
    """
    check_movie_file(path, fps=fps, crf=crf, create_folder=create_folder, overwrite=overwrite)
    if display is not None or view is not None:
        from .names import resolve_colorspace, resolve_display_view

        src = resolve_colorspace(colorspace, config) if colorspace else None
        resolve_display_view(display, view, src=src, config=config)


def write_movie(path: str | os.PathLike[str], plates: Iterable[Plate | tuple[int, Plate]], *,
                fps: float | str | Fraction = 24, colorspace: str | None = None,
                display: str | None = None, view: str | None = None, layer: str = "",
                config: Any = None, burn_in: bool = False, crf: int = 18,
                progress: ProgressFn | None = None,
                total: int | None = None) -> MovieInfo:
    """Write an H.264 review movie of ``plates`` (see the module notes for what is shown).

    Args:
        plates: plates, or ``(frame_number, plate)`` pairs (for the burn-in), in order.
            All must have the same display window size.
        colorspace, display, view, layer, config: as in :func:`review_frame`.
        burn_in: draw each frame's number (the pair's number, else its index).
        path, fps, crf, progress, total: as :func:`vfx_nodes.io.movie.encode_movie`
            (which checks the file, fps and crf before the first frame is made).

    Returns:
        A :class:`~vfx_nodes.io.movie.MovieInfo`.

    Raises:
        PlateWriteError: PyAV missing, bad fps/extension/folder, no frames, encoder error.
        PlateError: a frame's display window differs from the first one's.
    """
    def pictures() -> Iterable[tuple[int, np.ndarray]]:
        for i, item in enumerate(plates):
            number, plate = item if isinstance(item, tuple) else (i, item)
            yield number, review_frame(plate, colorspace=colorspace, display=display, view=view, layer=layer,
                                       config=config, burn_in=number if burn_in else None)

    return encode_movie(path, pictures(), fps=fps, display=display, crf=crf, progress=progress, total=total)


def movie_from_sequence(pattern: str | os.PathLike[str], frames: str | Iterable[int],
                        path: str | os.PathLike[str], *, skip_missing: bool = False,
                        **options: Any) -> MovieInfo:
    """Write a review movie of a rendered sequence (``vfx-style movie``).

    Args:
        pattern: the sequence (``out.####.exr``).
        frames: frame range (``"1001-1100"``) or frame numbers.
        path: the movie file.
        skip_missing: leave out missing frames instead of failing.
        **options: as :func:`write_movie` (``fps``, ``display``, ``view``, ``burn_in``...).

    Raises:
        MissingFrameError: frames missing (all listed; checked before encoding).
    """
    from ..io import read_plate
    from ..policy.frames import format_frames, parse_frames, parse_pattern

    pat = parse_pattern(os.fspath(pattern))
    fs = parse_frames(frames)
    missing = [f for f in fs if not os.path.exists(pat.path(f))]
    if missing and not skip_missing:
        raise MissingFrameError(
            f"{len(missing)} of {len(fs)} frames of {pat.text} are missing: {format_frames(missing)} "
            f"(first: {pat.path(missing[0])}); pass skip_missing=True to leave them out of the movie")
    present = [f for f in fs if f not in set(missing)]
    if not present:
        raise MissingFrameError(f"no frame of {pat.text} {format_frames(fs)} exists")
    return write_movie(path, ((f, read_plate(pat.path(f))) for f in present), total=len(present), **options)

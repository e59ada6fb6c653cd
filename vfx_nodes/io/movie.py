"""Review movies: H.264 (libx264, yuv420p) through an OCIO display/view transform.

What goes into each movie frame, and why:

* **the display window** — the frame as the artist sees it in the viewer. Data outside
  the display window (overscan) is cropped; display pixels the data window does not
  cover are black.
* **OCIO display/view** — scene-linear plates are shown through
  :func:`vfx_nodes.color.display_view_rgb` (``display``/``view``, default the config's
  default display and its default view for the plate's colourspace), never a
  hand-written sRGB curve. Values the view maps outside 0–1 are clipped, NaN becomes 0,
  +Inf 1. Alpha is not used: a premultiplied plate reads as comped over black.
* **even dimensions** — 4:2:0 chroma needs even width and height; an odd side gets
  **one black row/column added at the bottom/right** (padding, not cropping, so no
  picture pixel is lost). Non-square pixel aspect is not desqueezed.
* **colour tags** — the RGB → Y'CbCr matrix is BT.709, limited ("TV") range, and the
  stream is tagged BT.709 primaries/matrix with the transfer of the display (sRGB for
  an sRGB display, BT.709 for Rec.1886/Rec.709 ones), so players decode what we encoded.
* **burn-in** — optionally the frame number, drawn with Pillow's default font
  (``ImageFont.load_default``) on a black box in the bottom-left corner.
* **atomic** — the movie is written to a hidden temporary name in the target folder
  and renamed when complete (:mod:`vfx_nodes.io`'s ``.NAME.tmp-PID-RANDOM.EXT``).

PyAV (``pip install "vfx-nodes[movie]"``) is imported only when a movie is written; a
missing PyAV is a :class:`~vfx_nodes.errors.PlateWriteError` saying how to install it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import MissingFrameError, PlateError, PlateWriteError
from ..plate import Plate

__all__ = [
    "MovieInfo", "check_movie", "frame_rate", "movie_from_sequence", "review_frame", "write_movie"]

# Container format per extension, for the temporary file (whose name does not end in
# the real extension's meaning to FFmpeg's guesser).
_FORMATS = {".mp4": "mp4", ".mov": "mov", ".m4v": "mp4", ".mkv": "matroska"}


@dataclasses.dataclass(frozen=True)
class MovieInfo:
    """What :func:`write_movie` wrote.

    Attributes:
        path: the movie file.
        frames: number of frames.
        width: frame width in pixels (even).
        height: frame height in pixels (even).
        fps: the frame rate as a fraction (``24000/1001`` for 23.976).
        padded: ``(right, bottom)`` columns/rows of black added to make the size even.
    """

    path: str
    frames: int
    width: int
    height: int
    fps: Fraction
    padded: tuple[int, int] = (0, 0)


def frame_rate(fps: float | str | Fraction) -> Fraction:
    """The exact frame rate: NTSC rates (23.976, 29.97, 59.94 …) become ``N·1000/1001``.

    Raises:
        PlateWriteError: not a positive number.
    """
    try:
        value = Fraction(fps) if not isinstance(fps, float) else Fraction(fps).limit_denominator(100000)
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise PlateWriteError(f"frame rate must be a positive number such as 24 or 23.976, got {fps!r}") from exc
    if value <= 0 or value > 1000:
        raise PlateWriteError(f"frame rate must be between 0 and 1000 frames per second, got {fps!r}")
    if value.denominator != 1:
        ntsc = Fraction(round(value * Fraction(1001, 1000)) * 1000, 1001)
        if abs(float(ntsc - value)) < 0.005:
            return ntsc
    return value


def _av() -> Any:
    try:
        import av
    except ImportError as exc:
        raise PlateWriteError(
            "writing a review movie needs PyAV, which is not installed: "
            "pip install 'vfx-nodes[movie]' (or pip install av)") from exc
    return av


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
    from ..color.display import display_image

    # the one plate → picture function (its NaN/Inf rule: vfx_nodes/color/display.py)
    img = display_image(plate, layer=layer, colorspace=colorspace, display=display, view=view, config=config,
                        window="display")
    if burn_in is not None:
        img = _burn_in(img, str(burn_in))
    return img


def _pad_even(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return img
    return np.pad(img, ((0, h % 2), (0, w % 2), (0, 0)))


def _transfer_tag(display: str | None) -> str:
    name = (display or "").lower()
    if "srgb" in name:
        return "IEC61966_2_1"
    if "1886" in name or "709" in name:
        return "BT709"
    return "UNSPECIFIED"


def check_movie(path: str | os.PathLike[str], *, fps: float | str | Fraction = 24, crf: int = 18,
                display: str | None = None, view: str | None = None, config: Any = None,
                colorspace: str | None = None, create_folder: bool = False, overwrite: bool = True) -> None:
    """Everything about a movie that can be wrong before a frame is read: PyAV, the
    extension, the folder (made when ``create_folder``), the frame rate, the quality,
    the OCIO display/view and a file already there (refused unless ``overwrite``; the
    console scripts pass their ``--overwrite``) — so ``render --movie`` fails before it
    renders, not after.

    Raises:
        PlateWriteError: PyAV missing, bad extension, folder missing (or not creatable), bad
            fps or crf, an existing movie without ``overwrite``.
        ColorSpaceError: an unknown display or view.
    """
    _av()
    frame_rate(fps)
    target = os.fspath(path)
    ext = os.path.splitext(target)[1].lower()
    if ext not in _FORMATS:
        raise PlateWriteError(f"movie {target!r}: unknown extension {ext or '(none)'}; "
                              f"use one of {', '.join(sorted(_FORMATS))}")
    if isinstance(crf, bool) or not isinstance(crf, int) or not 0 <= crf <= 51:
        raise PlateWriteError(f"crf must be between 0 (lossless) and 51, got {crf}")
    _check_movie_path(target, create_folder=create_folder, overwrite=overwrite)
    if display is not None or view is not None:
        from ..color.names import resolve_colorspace, resolve_display_view

        src = resolve_colorspace(colorspace, config) if colorspace else None
        resolve_display_view(display, view, src=src, config=config)


def _check_movie_path(target: str, *, create_folder: bool, overwrite: bool) -> None:
    """The movie's file: not in the way of an earlier one (unless ``overwrite``), a path the
    OS accepts, its folder there (made when ``create_folder``)."""
    if os.path.lexists(target) and (not overwrite or os.path.isdir(target)):
        what = "a folder" if os.path.isdir(target) else "a file that is already there"
        raise PlateWriteError(f"movie {target!r} is {what}; pass --overwrite (overwrite=True) to replace a "
                              "movie, or choose another name")
    from ..policy.paths import check_output_path

    folder = os.path.dirname(target) or "."
    if not (overwrite and os.path.isfile(target)):
        check_output_path(target, PlateWriteError, "movie", create_folders=create_folder)
    if create_folder and not os.path.isdir(folder):
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise PlateWriteError(f"cannot create the movie's folder {folder!r}: {exc.strerror or exc}") from None
    if not os.path.isdir(folder):
        raise PlateWriteError(f"cannot write movie {target!r}: folder {folder!r} does not exist")


def write_movie(path: str | os.PathLike[str], plates: Iterable[Plate | tuple[int, Plate]], *,
                fps: float | str | Fraction = 24, colorspace: str | None = None,
                display: str | None = None, view: str | None = None, layer: str = "",
                config: Any = None, burn_in: bool = False, crf: int = 18,
                progress: Callable[[int, int | None, int | None], Any] | None = None,
                total: int | None = None) -> MovieInfo:
    """Write an H.264 review movie of ``plates`` (see the module notes for what is shown).

    Args:
        path: the movie (``.mp4``, ``.mov``, ``.m4v`` or ``.mkv``); written atomically.
        plates: plates, or ``(frame_number, plate)`` pairs (for the burn-in), in order.
            All must have the same display window size.
        fps: frames per second (``24``, ``25``, ``23.976`` → 24000/1001 ...).
        colorspace, display, view, layer, config: as in :func:`review_frame`.
        burn_in: draw each frame's number (the pair's number, else its index).
        crf: x264 constant rate factor (0 = lossless, 18 ≈ visually lossless).
        progress: ``callback(done, total, frame)``: ``(0, total, None)`` first, then after
            each frame.
        total: number of frames, for ``progress`` only.

    Returns:
        A :class:`MovieInfo`.

    Raises:
        PlateWriteError: PyAV missing, bad fps/extension/folder, no frames, encoder error.
        PlateError: a frame's display window differs from the first one's.
    """
    av = _av()
    rate = frame_rate(fps)
    target = os.fspath(path)
    ext = os.path.splitext(target)[1].lower()
    check_movie(target, fps=fps, crf=crf)
    from pathlib import Path

    from ._atomic import temporary_path

    tmp = str(temporary_path(Path(target)))
    container = None
    count = 0
    size: tuple[int, int] | None = None
    padded = (0, 0)
    try:
        container = av.open(tmp, mode="w", format=_FORMATS[ext])
        stream: Any = None
        if progress is not None:
            progress(0, total, None)
        for i, item in enumerate(plates):
            number, plate = item if isinstance(item, tuple) else (i, item)
            img = review_frame(plate, colorspace=colorspace, display=display, view=view, layer=layer,
                               config=config, burn_in=number if burn_in else None)
            if size is None:
                size = (img.shape[1], img.shape[0])
                img = _pad_even(img)
                padded = (img.shape[1] - size[0], img.shape[0] - size[1])
                stream = container.add_stream("libx264", rate=rate)
                stream.width, stream.height = img.shape[1], img.shape[0]
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(int(crf))}
                cc = stream.codec_context
                cc.color_primaries = 1  # BT.709 (ISO/IEC 23091-4 code points)
                cc.colorspace = 1       # BT.709 matrix
                cc.color_range = 1      # limited ("MPEG"/TV) range
                cc.color_trc = int(getattr(av.video.reformatter.ColorTrc, _transfer_tag(display)))
            elif (img.shape[1], img.shape[0]) != size:
                raise PlateError(
                    f"frame {number} is {img.shape[1]}×{img.shape[0]} (display window) but the movie "
                    f"is {size[0]}×{size[1]}; every frame of a movie must have the same size")
            else:
                img = _pad_even(img)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            # Say the matrix explicitly: swscale's default for RGB → YUV is BT.601.
            frame = frame.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
            frame.pts = count
            for packet in stream.encode(frame):
                container.mux(packet)
            count += 1
            if progress is not None:
                progress(count, total, number)
        if stream is None:
            raise PlateWriteError(f"movie {target!r}: no frames to write")
        for packet in stream.encode():
            container.mux(packet)
        container.close()
        container = None
        os.replace(tmp, target)
    except (PlateError, MissingFrameError):
        raise
    except Exception as exc:  # FFmpeg/PyAV errors come in many classes
        raise PlateWriteError(f"could not write movie {target!r}: {exc}") from exc
    finally:
        if container is not None:
            with contextlib.suppress(Exception):  # already failing; the temp file goes below
                container.close()
        if os.path.exists(tmp):
            os.unlink(tmp)
    width, height = size if size is not None else (0, 0)
    return MovieInfo(path=target, frames=count, width=width + padded[0], height=height + padded[1],
                     fps=rate, padded=padded)


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
    from ..policy.frames import format_frames, parse_frames, parse_pattern
    from . import read_plate

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

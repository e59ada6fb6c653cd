"""Movie files: H.264 (libx264, yuv420p) from 8-bit RGB pictures, written atomically.

This is the file side of a review movie; what goes into each picture (the display window
through an OCIO display/view, the burn-in) is :mod:`vfx_nodes.color.movie`'s, so the I/O
room knows nothing of colour management.

* **even dimensions** — 4:2:0 chroma needs even width and height; an odd side gets
  **one black row/column added at the bottom/right** (padding, not cropping, so no
  picture pixel is lost).
* **colour tags** — the RGB → Y'CbCr matrix is BT.709, limited ("TV") range, and the
  stream is tagged BT.709 primaries/matrix with the transfer of the display the pictures
  were made for (sRGB for an sRGB display, BT.709 for Rec.1886/Rec.709 ones), so players
  decode what we encoded.
* **atomic** — the movie is written to a hidden temporary name in the target folder
  and renamed when complete (:mod:`vfx_nodes.io`'s ``.NAME.tmp-PID-RANDOM.EXT``).

PyAV (``pip install "vfx-nodes[movie]"``) is imported only when a movie is written; a
missing PyAV is a :class:`~vfx_nodes.errors.PlateWriteError` saying how to install it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import MissingFrameError, PlateError, PlateWriteError
from ..policy.progress import ProgressFn, frame_progress

__all__ = ["MovieInfo", "check_movie_file", "encode_movie", "frame_rate"]

# Container format per extension, for the temporary file (whose name does not end in
# the real extension's meaning to FFmpeg's guesser).
_FORMATS = {".mp4": "mp4", ".mov": "mov", ".m4v": "mp4", ".mkv": "matroska"}


@dataclasses.dataclass(frozen=True)
class MovieInfo:
    """What :func:`encode_movie` wrote.

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


def check_movie_file(path: str | os.PathLike[str], *, fps: float | str | Fraction = 24, crf: int = 18,
                     create_folder: bool = False, overwrite: bool = True) -> None:
    """Everything about a movie file that can be wrong before a frame is made: PyAV, the
    extension, the folder (made when ``create_folder``), the frame rate, the quality and a
    file already there (refused unless ``overwrite``).

    Raises:
        PlateWriteError: PyAV missing, bad extension, folder missing (or not creatable), bad
            fps or crf, an existing movie without ``overwrite``.
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


def encode_movie(path: str | os.PathLike[str], pictures: Iterable[tuple[int, np.ndarray]], *,
                 fps: float | str | Fraction = 24, display: str | None = None, crf: int = 18,
                 progress: ProgressFn | None = None,
                 total: int | None = None) -> MovieInfo:
    """Encode ``(frame_number, H×W×3 uint8 RGB)`` pictures, in order, as an H.264 movie.

    Args:
        path: the movie (``.mp4``, ``.mov``, ``.m4v`` or ``.mkv``); written atomically.
        pictures: the frames; all must have the same size.
        fps: frames per second (``24``, ``25``, ``23.976`` → 24000/1001 ...).
        display: the OCIO display the pictures were made for (its transfer is tagged).
        crf: x264 constant rate factor (0 = lossless, 18 ≈ visually lossless).
        progress: ``progress(fraction, message)`` (the one protocol,
            :mod:`vfx_nodes.policy.progress`): ``(0, "0/N frames")`` first, then after
            each frame; ``callback(done, total, frame)``, the form before 0.9, works for
            one release with a DeprecationWarning.
        total: number of frames, for ``progress`` only.

    Raises:
        PlateWriteError: PyAV missing, bad fps/extension/folder, no frames, encoder error.
        PlateError: a picture's size differs from the first one's.
    """
    av = _av()
    rate = frame_rate(fps)
    target = os.fspath(path)
    ext = os.path.splitext(target)[1].lower()
    check_movie_file(target, fps=fps, crf=crf)
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
        tell = frame_progress(progress, "write_movie")
        tell(0, total, None)
        for number, img in pictures:
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
            tell(count, total, number)
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

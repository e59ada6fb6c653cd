"""``vfx-style movie``: an H.264 review movie of a rendered sequence.

Example::

    vfx-style movie --input styled.####.exr --frames 1001-1100 --out sh010_v001.mp4 \\
        --display "sRGB - Display" --view "ACES 2.0 - SDR 100 nits (Rec.709)" --fps 24 --burn-in

The display window is what goes in the movie, through the OCIO display/view; an odd width
or height gets one black column/row (H.264 4:2:0 needs even sizes). See
:mod:`vfx_nodes.color.movie` (pictures) and :mod:`vfx_nodes.io.movie` (the file).
"""

from __future__ import annotations

import argparse
import sys

from ..policy.frames import parse_frames, parse_pattern


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``vfx-style movie``."""
    parser.add_argument("--input", "-i", required=True, metavar="PATTERN",
                        help="rendered frames, e.g. styled.####.exr (#### / @@@@ / %%04d)")
    parser.add_argument("--frames", required=True, metavar="RANGE",
                        help="frames to include: 1001-1100, 1001-1100x2, 1001,1005,1010-1020")
    parser.add_argument("--out", "-o", required=True, metavar="MOVIE.mp4",
                        help="the movie (.mp4, .mov, .m4v or .mkv); written atomically")
    parser.add_argument("--in-colorspace", metavar="NAME",
                        help="colourspace of the frames (default: the file's tag, else scene_linear)")
    parser.add_argument("--layer", default="", help="layer to show (default: the main R, G, B)")
    parser.add_argument("--display", help="OCIO display (default: the config's default display)")
    parser.add_argument("--view", help="OCIO view (default: the display's default view)")
    parser.add_argument("--ocio-config", metavar="PATH", help="OCIO config (default: $OCIO, else built-in)")
    parser.add_argument("--fps", default="24", help="frame rate, e.g. 24, 25, 23.976 (default: 24)")
    parser.add_argument("--burn-in", action="store_true", help="draw the frame number into each frame")
    parser.add_argument("--crf", type=int, default=18, help="x264 quality, 0 = lossless … 51 (default: 18)")
    parser.add_argument("--skip-missing", action="store_true", help="leave out missing frames instead of failing")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing movie (default: refused)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Write the movie and print one line about it."""
    from ..color.movie import check_movie, movie_from_sequence
    from ..engine.sequence import ProgressBar

    parse_pattern(args.input)
    frames = parse_frames(args.frames)
    check_movie(args.out, fps=args.fps, crf=args.crf, display=args.display, view=args.view,
                config=args.ocio_config, colorspace=args.in_colorspace, create_folder=True,
                overwrite=args.overwrite)
    bar = None if args.quiet else ProgressBar(sys.stderr, label="movie")
    try:
        info = movie_from_sequence(args.input, frames, args.out, skip_missing=args.skip_missing,
                                   fps=args.fps, colorspace=args.in_colorspace, layer=args.layer,
                                   display=args.display, view=args.view, config=args.ocio_config,
                                   burn_in=args.burn_in, crf=args.crf,
                                   progress=bar)
    finally:
        if bar is not None:
            bar.close()
    pad = f", padded {info.padded[0]} column/{info.padded[1]} row to even size" if any(info.padded) else ""
    print(f"vfx-style movie: {info.path}: {info.frames} frames, {info.width}×{info.height}, "
          f"{float(info.fps):g} fps{pad}")
    return 0

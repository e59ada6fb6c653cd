"""``vfx-style export``: write a look for Nuke's or Flame's Inference node.

::

    vfx-style export --look oil.safetensors --target nuke --out export/nuke
    vfx-style export --look oil.safetensors --target flame --out export/flame

See docs/EXPORT.md for what each host needs and how to bring the files into it.
"""

from __future__ import annotations

import argparse

from ..policy.settings import HIGHLIGHTS


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the export options."""
    parser.add_argument("--look", required=True, metavar="LOOK", help="look file (.safetensors)")
    # No argparse choices: the library's error lists the targets in the one-line format.
    parser.add_argument("--target", required=True, metavar="HOST", help="nuke or flame")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    parser.add_argument("--name", default=None,
                        help="base name of the files and of the Nuke Group (default: the look file's name)")
    parser.add_argument("--strength", type=float, default=1.0,
                        help="0 = input, 1 = the look (Nuke: initial knob value; Flame: baked in). Default 1")
    parser.add_argument("--stats", default=None, metavar="FILE|look",
                        help="bake frozen normalisation statistics (a statistics file, or 'look' for the "
                             "look's own) instead of per-image statistics computed by the host")
    parser.add_argument("--plate-colorspace", default="scene_linear", metavar="NAME",
                        help="colourspace images arrive in at the host (default: the scene_linear role)")
    parser.add_argument("--highlights", choices=HIGHLIGHTS, default="paint",
                        help="light above the working range: paint = painted as render's default, carry = "
                             "clipped for the network and added back, as render --highlights carry "
                             "(default: %(default)s)")
    parser.add_argument("--through-view", default=None, metavar="DISPLAY:VIEW",
                        help="nuke: paint through this OCIO display and view, as render --through-view "
                             "('default' = the config's default view)")
    parser.add_argument("--opset", type=int, default=None, help="ONNX opset for --target flame (default 17)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the files of an earlier export (default: refused before any work)")


def run(args: argparse.Namespace) -> int:
    """Export, then list the files written."""
    from ..export import export_look

    options = {"name": args.name, "strength": args.strength, "stats": args.stats,
               "plate_colorspace": args.plate_colorspace, "overwrite": args.overwrite,
               "highlights": args.highlights}
    if args.through_view is not None:
        options["through_view"] = args.through_view
    if args.opset is not None:
        options["opset"] = args.opset
    files = export_look(args.look, args.target, args.out, **options)
    for kind, path in files.items():
        print(f"{kind:12s} {path}")
    return 0

"""``vfx-style demo``: placeholder until the bundled look and sample plate land (issue 8)."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="vfx_style_demo", help="folder for the demo's output")


def run(args: argparse.Namespace) -> int:
    print("vfx-style demo: the bundled look and the built-in sample plate are coming; "
          "meanwhile try `vfx-style info PLATE.exr`.")
    return 0

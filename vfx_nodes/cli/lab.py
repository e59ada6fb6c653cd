"""``vfx-style lab``: the Look Lab window — a plate and a painting in, one click, the styled
frame out (docs/LAB.md).

Example::

    vfx-style lab --plate plate.####.exr --style oil.jpg
    vfx-style lab --plate plate.exr --look oil.safetensors
    vfx-style lab --plate plate.exr --style oil.jpg --snapshot lab.png   # docs and tests

``--snapshot`` builds the window, runs one stylize, writes a screenshot and exits (works
headless with ``QT_QPA_PLATFORM=offscreen``).  Needs PySide6 (``pip install
"vfx-nodes[lab]"``).
"""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import VfxNodesError


class LabUnavailable(VfxNodesError):
    """PySide6 is not installed (or no display can be opened)."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``vfx-style lab``'s arguments."""
    parser.add_argument("--plate", metavar="IMAGE", help="plate or frame pattern to open (plate.####.exr)")
    parser.add_argument("--frame", type=int, help="frame of the pattern to show (default: the first on disk)")
    parser.add_argument("--part", default="", help="EXR part (name or index)")
    parser.add_argument("--layer", default="", help="layer to stylise (default: main RGB)")
    parser.add_argument("--style", nargs="+", metavar="IMG[:WEIGHT]", default=[],
                        help="painting(s) for an instant look (several blend by weight)")
    parser.add_argument("--look", metavar="LOOK.safetensors", help="a look file to use instead")
    parser.add_argument("--strength", type=float, help="the strength knob (0–1)")
    parser.add_argument("--snapshot", metavar="OUT.png",
                        help="stylise once, write a screenshot of the window and exit")
    parser.add_argument("--size", default="1280x800", metavar="WxH", help="window size (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="--snapshot: give up after this many seconds (default: %(default)s)")


def _qt() -> None:
    try:
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:
        raise LabUnavailable(f"the Look Lab needs PySide6 ({exc}): pip install \"vfx-nodes[lab]\"") from None


def run(args: argparse.Namespace) -> int:
    """Open the window (or take the snapshot); returns the exit status."""
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise LabUnavailable(f"--size must be WIDTHxHEIGHT, got {args.size!r}") from None
    if args.snapshot and not os.path.isdir(os.path.dirname(os.path.abspath(args.snapshot))):
        raise LabUnavailable(f"cannot write {args.snapshot}: its folder does not exist")
    if args.snapshot and not (args.plate and (args.style or args.look)):
        raise LabUnavailable("--snapshot needs --plate and --style (or --look)")
    if sys.platform.startswith("linux") and not any(os.environ.get(v) for v in
                                                    ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        if not args.snapshot:
            raise LabUnavailable("no display to open the window on (DISPLAY and WAYLAND_DISPLAY are "
                                 "unset); --snapshot works without one")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no screen
    _qt()
    from ..hosts.lab.app import application, snapshot
    from ..hosts.lab.window import LabWindow

    app = application()
    win = LabWindow()
    win.resize(w, h)
    lab = win.lab
    if args.style:
        lab.add_styles(list(args.style))
    if args.look:
        lab.open_look(args.look)
    lab.part_edit.setText(args.part)
    lab.layer_combo.setCurrentText(args.layer)
    if args.plate:
        lab.open_plate(args.plate, args.frame)
    if args.strength is not None:
        lab.knobs.set_value("strength", args.strength)
    win.show()
    if args.snapshot:
        ok, message = snapshot(win, args.snapshot, timeout=args.timeout)
        if not ok:
            raise LabUnavailable(message)
        print(f"snapshot: {args.snapshot}", file=sys.stdout)
        return 0
    return int(app.exec())

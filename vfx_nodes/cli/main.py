"""``vfx-style``: the one console script, with one subcommand per module.

Each subcommand lives in ``vfx_nodes/cli/<name>.py`` and defines::

    def configure(parser: argparse.ArgumentParser) -> None   # add its arguments
    def run(args: argparse.Namespace) -> int                  # do the work, return exit code

Only the module of the subcommand being run is imported, so ``vfx-style info`` does not
pay for torch.  Every :class:`~vfx_nodes.errors.VfxNodesError` becomes one line on
stderr and exit status 1; usage errors exit with 2 (argparse's convention); Ctrl-C exits
with 130; a closed pipe on stdout (``| head``) exits quietly with 141.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
from collections.abc import Sequence

from .._version import __version__
from ..errors import VfxNodesError
from ..policy.names import as_flags

# name -> (module, one-line help). Keep in the order a newcomer meets them.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "stylise the built-in sample plate with the bundled look"),
    "info": ("info", "describe an image file: parts, channels, windows, colour metadata"),
    "render": ("render", "apply a look to a frame range of plates (farm-safe)"),
    "movie": ("movie", "make an H.264 review movie from a rendered sequence"),
    "look": ("look", "make a look from one or more paintings in one pass (no training)"),
    "train": ("train", "train a look from style images and the show's plates"),
    "optimize": ("optimize", "optimisation-based (Gatys) reference render of one plate"),
    "lab": ("lab", "the Look Lab window: a plate and a painting in, one click, the styled frame out"),
    "nodes": ("nodes", "list the registered nodes, their knobs and where they came from"),
    "export": ("export", "export a look for Nuke's or Flame's Inference node"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only ``command``'s module is imported to add its arguments."""
    parser = argparse.ArgumentParser(
        prog="vfx-style",
        description="Neural style transfer looks for scene-linear EXR plates.",
    )
    parser.add_argument("--version", action="version", version=f"vfx_nodes {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            _load(module).configure(p)
    return parser


def _load(module: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"{__package__}.{module}")


#: options whose value may start with "-" (negative frames: ``--frames -5--1``)
_NEGATIVE_VALUE_OPTIONS = ("--frames",)
_NEGATIVE_FRAMES = re.compile(r"-\d[\d,x\-]*")


def _attach_negative_values(argv: list[str]) -> list[str]:
    """``--frames -5--1`` → ``--frames=-5--1``: argparse reads a separate value that starts
    with "-" and is not a plain negative number as an option ("expected one argument")."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if (argv[i] in _NEGATIVE_VALUE_OPTIONS and i + 1 < len(argv)
                and _NEGATIVE_FRAMES.fullmatch(argv[i + 1])):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


class _FlagFormatter(logging.Formatter):
    """Library warnings as a shell user reads them: keywords written as flags."""

    def format(self, record: logging.LogRecord) -> str:
        return as_flags(super().format(record))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``vfx-style``; returns the process exit status."""
    argv = _attach_negative_values(list(sys.argv[1:] if argv is None else argv))
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    handler = logging.StreamHandler()
    handler.setFormatter(_FlagFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2), handlers=[handler])
    try:
        return int(_load(COMMANDS[args.command][0]).run(args) or 0)
    except VfxNodesError as exc:
        # The library names settings by keyword; in a shell they are flags.
        print(f"vfx-style {args.command}: error: {as_flags(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"vfx-style {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `vfx-style info plate.exr | head`: the reader went away. Point stdout at devnull
        # so the interpreter's final flush does not raise again (Python docs, "Note on
        # SIGPIPE"), and exit like a shell tool killed by SIGPIPE.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``vfx-style demo``: the whole system on a fresh machine, with nothing of the user's own.

It draws the built-in sample plate (:func:`vfx_nodes.samples.sample_plate`: ACEScg, a sun
at ~40, a premultiplied soft alpha card, overscan, ``Z`` and an ``albedo`` layer), applies
the look bundled with the package (:func:`vfx_nodes.looks.default_look_path`, or
``--look``) with :func:`vfx_nodes.stylize` — ACEScg → the look's working space → back,
with alpha, overscan, ``Z`` and ``albedo`` kept — and writes two files into ``--out``:

* ``sample_styled.exr`` — the stylised plate, every channel, both windows (atomic write);
* ``before_after.png`` — before (left) and after (right), each composited in
  scene-linear over a grey checkerboard (so the alpha shows) and viewed through the OCIO
  config's default display/view, the way a compositor's viewer shows a plate: the
  display window, outlined, with the overscan around it (the sample's card is
  transparent in its corners out there, so both the alpha and the kept overscan show).

It then checks, on the EXR it wrote, what a style node must not break and prints it:
the highlights above 1 (max before/after), alpha/``Z``/``albedo`` bit-identical, the
overscan (data window) kept, and the time taken.  A broken promise is an error (exit 1).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..color.review import LABEL_HEIGHT, PANEL_GAP, before_after, viewer_window
from ..errors import PlateWriteError, SettingsError, VfxNodesError
from ..plate import Plate

__all__ = [
    "DEFAULT_SIZE",
    "LABEL_HEIGHT",
    "PANEL_GAP",
    "PNG_NAME",
    "STYLED_NAME",
    "DemoReport",
    "before_after",
    "parse_size",
    "run_demo",
    "viewer_window",
]

#: display-window size of the sample plate the demo draws (width, height)
DEFAULT_SIZE = (640, 360)
#: file names written into ``--out``
STYLED_NAME = "sample_styled.exr"
PNG_NAME = "before_after.png"


def parse_size(text: str) -> tuple[int, int]:
    """``"WxH"`` → ``(W, H)``; both at least 16 (the sample plate's minimum), at most 8192.

    Raises:
        argparse.ArgumentTypeError: a malformed or out-of-range size (a usage error).
    """
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text or "")
    if not m:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT, e.g. 640x360, got {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"width and height must be 16–8192 pixels, got {w}x{h}")
    return w, h


def _overscan(width: int, height: int) -> int:
    # 16 px at the sample's native 320×180, scaled with the frame (as a show's overscan
    # is a fixed share of the frame), never less than 4.
    return max(4, round(16 * min(width, height / 0.5625) / 320))


@dataclasses.dataclass
class DemoReport:
    """What :func:`run_demo` made and checked.

    Attributes:
        styled_exr, before_after_png: the two files written.
        look_path: the look applied; look_metadata: its JSON metadata.
        size: display-window size; overscan: pixels of overscan on every side.
        data_window, display_window: of the written EXR (equal to the sample's).
        max_before, max_after: largest finite R/G/B value over the data window.
        alpha_identical: ``A`` of the written EXR bit-identical to the sample's.
        others_identical: ``Z`` and ``albedo.R/G/B`` bit-identical too.
        overscan_kept: data window kept, and larger than the display window.
        changed: mean absolute difference of the display-referred before/after panels
            (0–1 code values) — how plainly the look shows.
        display, view: the OCIO display/view of the PNG.
        seconds: wall-clock time of each stage and ``total``.
    """

    styled_exr: Path
    before_after_png: Path
    look_path: Path
    look_metadata: dict[str, Any]
    size: tuple[int, int]
    overscan: int
    data_window: tuple[int, int, int, int]
    display_window: tuple[int, int, int, int]
    max_before: float
    max_after: float
    alpha_identical: bool
    others_identical: bool
    overscan_kept: bool
    changed: float
    display: str
    view: str
    seconds: dict[str, float]

    @property
    def ok(self) -> bool:
        """Every promise kept: highlights above 1, alpha and other channels untouched,
        overscan kept."""
        return (self.max_after > 1.0 and self.alpha_identical and self.others_identical
                and self.overscan_kept)


def _bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(
        np.ascontiguousarray(a, np.float32).view(np.uint32),
        np.ascontiguousarray(b, np.float32).view(np.uint32))


def _max_rgb(plate: Plate) -> float:
    rgb = plate.channels(plate.rgb_names(""))
    finite = rgb[np.isfinite(rgb)]
    return float(finite.max()) if finite.size else float("nan")


def run_demo(out: str | os.PathLike[str] = "vfx_style_demo", *,
             look: str | os.PathLike[str] | None = None,
             size: tuple[int, int] = DEFAULT_SIZE, device: str | None = None,
             config: Any = None) -> DemoReport:
    """Stylise the built-in sample plate and write the EXR and the before/after PNG.

    Args:
        out: output folder (created if missing).
        look: a look file; ``None`` = the bundled look.
        size: display-window size ``(width, height)`` of the sample plate.
        device: where the network runs (``None`` = CUDA, MPS or CPU, whichever exists).
        config: OCIO config (default ``$OCIO``, else OCIO's built-in studio config).

    Returns:
        A :class:`DemoReport` (files, the checks, timings).

    Raises:
        PlateWriteError: ``out`` is a file, or cannot be created.
        LookError / LookNotFoundError: the look is damaged or missing.
        SettingsError: a bad size.
    """
    from ..color import resolve_display_view
    from ..engine import stylize
    from ..io import read_plate, write_plate
    from ..looks import default_look_path
    from ..model import load_look
    from ..samples import sample_plate

    t0 = time.perf_counter()
    seconds: dict[str, float] = {}
    w, h = size
    if not (isinstance(w, int) and isinstance(h, int) and 16 <= w <= 8192 and 16 <= h <= 8192):
        raise SettingsError(f"demo size must be two integers in 16–8192, got {size!r}")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise PlateWriteError(f"demo output {str(folder)!r} is a file; give a folder with --out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlateWriteError(f"cannot create the demo folder {str(folder)!r}: {exc.strerror or exc}") from None

    overscan = _overscan(w, h)
    plate = sample_plate(w, h, overscan=overscan)
    look_path = Path(look) if look is not None else default_look_path()
    the_look = load_look(look_path)
    seconds["setup"] = time.perf_counter() - t0

    t = time.perf_counter()
    styled = stylize(plate, the_look, device=device, config=config)
    seconds["stylize"] = time.perf_counter() - t

    t = time.perf_counter()
    exr = folder / STYLED_NAME
    write_plate(styled, exr)
    written = read_plate(exr)  # check what is on disk, not what is in memory
    display, view = resolve_display_view(None, None, src=plate.colorspace, config=config)
    image = before_after(plate, written, display=display, view=view, config=config)
    png = folder / PNG_NAME
    write_plate(Plate(image, ("R", "G", "B"), colorspace=None), png)
    seconds["write"] = time.perf_counter() - t

    # The display windows of the two panels (same geometry: the windows are kept).
    vx0, vy0, vx1, _ = viewer_window(plate)
    ox, oy, right = -vx0, -vy0, (vx1 - vx0 + 1) + PANEL_GAP  # display window starts at 0, 0
    changed = float(np.abs(image[oy:oy + h, ox:ox + w]
                           - image[oy:oy + h, right + ox:right + ox + w]).mean())
    others = [n for n in plate.channel_names if n not in plate.rgb_names("") and n != "A"]
    seconds["total"] = time.perf_counter() - t0
    return DemoReport(
        styled_exr=exr, before_after_png=png, look_path=look_path,
        look_metadata=dict(the_look.metadata), size=(w, h), overscan=overscan,
        data_window=written.data_window, display_window=written.display_window,
        max_before=_max_rgb(plate), max_after=_max_rgb(written),
        alpha_identical=written.has_channel("A") and _bits_equal(written.channel("A"), plate.channel("A")),
        others_identical=all(written.has_channel(n) and _bits_equal(written.channel(n), plate.channel(n))
                             for n in others),
        overscan_kept=(written.data_window == plate.data_window
                       and written.data_window != written.display_window),
        changed=changed, display=display, view=view, seconds=seconds)


def _look_line(report: DemoReport) -> str:
    meta = report.look_metadata
    training = meta.get("training") or {}
    styles = ", ".join(str(s.get("name", "?")) for s in training.get("styles", []) if isinstance(s, dict))
    trained = f", trained {training.get('steps', '?')} steps on {styles}" if styles else ", untrained"
    return (f"look:  {report.look_path} ({meta.get('arch')}{trained}; "
            f"working space {meta.get('working_colorspace')!r})")


def _window(win: tuple[int, int, int, int]) -> str:
    x0, y0, x1, y1 = win
    return f"({x0},{y0})–({x1},{y1}) {x1 - x0 + 1}×{y1 - y0 + 1}"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``vfx-style demo``'s arguments."""
    parser.add_argument("--out", default="vfx_style_demo", metavar="DIR",
                        help="folder for the demo's two files (default: %(default)s)")
    parser.add_argument("--look", metavar="PATH",
                        help="a look file to use instead of the bundled one")
    parser.add_argument("--size", type=parse_size, default=DEFAULT_SIZE, metavar="WxH",
                        help=f"display-window size of the sample plate (default: {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]})")
    parser.add_argument("--device", help="cpu, cuda, cuda:N or mps (default: the fastest there is)")


def run(args: argparse.Namespace) -> int:
    """Run the demo and print where the files are and what to look at."""
    rep = run_demo(args.out, look=args.look, size=tuple(args.size), device=args.device)
    w, h = rep.size
    yes = {True: "yes", False: "NO"}
    clipped = "" if rep.max_after > 1.0 else "   <-- clipped!"
    lines = [
        (f"plate: built-in sample, {w}×{h} + {rep.overscan} px overscan, ACEScg "
         "(a sun at ~40, soft alpha card, Z, albedo layer)"),
        _look_line(rep),
        f"wrote: {rep.styled_exr}   (stylised plate, every channel and window kept)",
        (f"wrote: {rep.before_after_png}   (left before, right after: {rep.display!r} / "
         f"{rep.view!r}, over a grey checkerboard; the line marks the display window, "
         "overscan around it)"),
        "what to look at:",
        (f"  highlights kept above 1:  max R/G/B before {rep.max_before:.4g}, "
         f"after {rep.max_after:.4g}{clipped}"),
        (f"  alpha bit-identical:      {yes[rep.alpha_identical]} (the checkerboard shows "
         "through the card's soft edges and rounded corners)"),
        f"  Z, albedo untouched:      {yes[rep.others_identical]}",
        (f"  overscan kept:            {yes[rep.overscan_kept]}: data window "
         f"{_window(rep.data_window)}, display window {_window(rep.display_window)}"),
        (f"  change in the picture:    {rep.changed:.3f} mean |after − before| "
         "(display code values 0–1)"),
        f"  time: {rep.seconds['total']:.1f} s (stylise {rep.seconds['stylize']:.1f} s)",
        f"next: vfx-style info {rep.styled_exr}",
    ]
    print("\n".join(lines))
    if not rep.ok:
        raise VfxNodesError("the demo's result broke a promise above (marked NO or clipped); "
                            "please report it with the output of `vfx-style demo -v`")
    return 0

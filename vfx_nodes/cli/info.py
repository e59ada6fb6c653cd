"""``vfx-style info PLATE [--json]``: describe an image file without decoding its pixels.

Shows every part of an EXR file: its channels and their pixel types (and sub-sampling),
data and display windows, pixel aspect, compression, tiling and mip mode, line order, the
colour-relevant metadata (chromaticities, colourspace attributes, whiteLuminance,
adoptedNeutral ...) and every other attribute.  ``--json`` prints the same as one valid
JSON document (:func:`vfx_nodes.io.plate_info`); errors become one line via the CLI frame.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``info``'s arguments."""
    parser.add_argument("plate", metavar="PLATE", help="an EXR, PNG, JPEG or TIFF file")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _window(w: list[int] | None) -> str:
    if not w:
        return "-"
    x0, y0, x1, y1 = w
    return f"({x0}, {y0}) – ({x1}, {y1})  {x1 - x0 + 1}×{y1 - y0 + 1}"


def _value(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
    return text if len(text) <= 100 else text[:97] + "..."


def format_info(info: dict[str, Any]) -> str:
    """Human-readable text of a :func:`~vfx_nodes.io.plate_info` result."""
    lines = [f"{info['path']}: {info['format'].upper()}, {len(info['parts'])} part(s)"]
    shown = {"compression", "lineOrder", "type", "tiles", "name"}
    for part in info["parts"]:
        title = f"part {part['index']}" + (f" {part['name']!r}" if part["name"] else "")
        lines.append(f"{title}: {part['type']}")
        chans = ", ".join(
            f"{c['name']} ({c['type']}"
            + (
                f", sampled {c['x_sampling']}×{c['y_sampling']}"
                if (c["x_sampling"], c["y_sampling"]) != (1, 1)
                else ""
            )
            + ")"
            for c in part["channels"]
        )
        lines.append(f"  channels ({len(part['channels'])}): {chans}")
        lines.append(f"  data window:    {_window(part['data_window'])}")
        lines.append(f"  display window: {_window(part['display_window'])}")
        lines.append(f"  pixel aspect:   {part['pixel_aspect']}")
        if part["compression"] is not None:
            lines.append(f"  compression:    {part['compression']}")
        if part["tiles"]:
            t = part["tiles"]
            lines.append(
                f"  tiles:          {t['x_size']}×{t['y_size']}, {t['level_mode']}, {t['rounding_mode']}"
            )
        if part["line_order"]:
            lines.append(f"  line order:     {part['line_order']}")
        origin = (
            f"from the {part['colorspace_attribute']!r} attribute"
            if part.get("colorspace_attribute")
            else "the encoded space of this format"
            if part["type"] == "raster"
            else "default: the header names none"
        )
        lines.append(f"  colourspace:    {part['colorspace']} ({origin})")
        for k, v in part["colour"].items():
            lines.append(f"  {k}: {_value(v)}")
        rest = {
            k: v
            for k, v in part["attributes"].items()
            if k not in shown and k not in part["colour"]
        }
        if rest:
            lines.append("  attributes:")
            lines.extend(f"    {k}: {_value(v)}" for k, v in sorted(rest.items()))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the description of ``args.plate``; errors propagate to the CLI frame."""
    from ..io import plate_info

    info = plate_info(args.plate)
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False, allow_nan=False, default=str))
    else:
        print(format_info(info))
    return 0

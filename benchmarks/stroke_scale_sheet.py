"""Write docs/images/stroke_scale.jpg: one plate, an instant look, stroke scale 1, 0.5, 0.25.

    VFX_NODES_TEST_DATA=../shared/data python benchmarks/stroke_scale_sheet.py

Shows what ``scale`` does: the strokes grow by 1/scale, while the plate's edges and
fine detail stay at full resolution (the residual is added back at full size).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import vfx_nodes as vn

DISPLAY = "sRGB Encoded Rec.709 (sRGB)"


def _display(plate) -> Image.Image:
    out = vn.convert_plate(plate, DISPLAY)
    rgb = np.clip(np.nan_to_num(out.channels(out.rgb_names(""))), 0, 1)
    return Image.fromarray((rgb * 255 + 0.5).astype(np.uint8))


def main() -> int:
    root = Path(os.environ.get("VFX_NODES_TEST_DATA", "../shared/data"))
    plate_path = root / "exr" / "ScanLines" / "Cannon.exr"
    style_path = root / "styles" / "starry_night.jpg"
    if not plate_path.is_file():
        print(f"needs {plate_path} (set VFX_NODES_TEST_DATA)", file=sys.stderr)
        return 2
    plate = vn.read_plate(str(plate_path))
    look = vn.look_from_style([str(style_path)])
    tiles = [("plate", _display(plate))]
    for s in (1.0, 0.5, 0.25):
        tiles.append((f"scale {s:g}", _display(vn.stylize(plate, look, scale=s))))
    w, h = tiles[0][1].size
    crop = (w // 5, h // 5, w // 5 + 360, h // 5 + 300)
    sheet = Image.new("RGB", (len(tiles) * 364, 320), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (label, im) in enumerate(tiles):
        sheet.paste(im.crop(crop), (i * 364, 20))
        draw.text((i * 364 + 4, 4), label, fill="black")
    out = Path(__file__).resolve().parent.parent / "docs" / "images" / "stroke_scale.jpg"
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

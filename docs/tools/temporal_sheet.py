"""The pictures of docs/TEMPORAL.md: a 1:1 sheet and a short review movie, per-frame
against the motion-guided render, on a camera pan over a real plate.

    VFX_NODES_TEST_DATA=../shared/data python docs/tools/temporal_sheet.py

Writes ``docs/images/temporal_sheet.jpg`` — rows: frames t−1 and t of the per-frame
render, the same of ``temporal="vectors"``, and each render's frame-to-frame change
(frame t−1 warped onto t along the true motion, squared difference ×40, the plate's own
change beside them); columns: a 1:1 crop, two consecutive frames — and
``docs/images/temporal_review.mp4``: 48 frames, per-frame | steady side by side.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import vfx_nodes as vn  # noqa: E402
from bench_temporal import display, world  # noqa: E402
from vfx_nodes.engine.motion import warp  # noqa: E402
from vfx_nodes.engine.temporal import Steadier, TemporalSettings  # noqa: E402
from vfx_nodes.plate import Plate  # noqa: E402
from vfx_nodes.shots import moving_shot  # noqa: E402

OUT = ROOT / "docs" / "images"


def main() -> int:
    w_img, label, space = world()
    shot = moving_shot("pan", 48, 480, 270, world=w_img, colorspace=space)
    look = vn.load_look(ROOT / "vfx_nodes" / "data" / "starry_night.safetensors")
    stats = vn.collect_stats(shot.frames[::8], look)
    per = [vn.stylize(f, look, stats=stats) for f in shot.frames]
    steady_state = Steadier(TemporalSettings.make("vectors"), look=look)
    steady = [steady_state(f, s) for f, s in zip(shot.frames, per)]
    t = 30
    crop = (slice(60, 220), slice(150, 390))

    def show(p: Plate) -> np.ndarray:
        return display(p, space)[crop]

    def change(frames: list[Plate]) -> np.ndarray:
        a, b = display(frames[t - 1], space), display(frames[t], space)
        moved, _ = warp(a, shot.backward[t])
        e = np.clip(((moved - b) ** 2).mean(-1) * 40 * shot.valid[t], 0, 1)[crop]
        return np.repeat(e[..., None], 3, axis=2)

    pad = np.ones((crop[0].stop - crop[0].start, 6, 3), np.float32)
    rows = [np.concatenate([show(frames[t - 1]), pad, show(frames[t]), pad, change(frames)], 1)
            for frames in (per, steady)]
    plate_row = np.concatenate([show(shot.frames[t - 1]), pad, show(shot.frames[t]), pad,
                                change(shot.frames)], 1)
    gap = np.ones((6, rows[0].shape[1], 3), np.float32)
    sheet = np.concatenate([plate_row, gap, rows[0], gap, rows[1]], 0)
    OUT.mkdir(parents=True, exist_ok=True)
    Image.fromarray((sheet * 255 + 0.5).astype(np.uint8)).save(OUT / "temporal_sheet.jpg", quality=92)
    side = [Plate(np.concatenate([display(a, space), np.ones((270, 8, 3), np.float32), display(b, space)], 1),
                  ("R", "G", "B"), colorspace="sRGB - Display") for a, b in zip(per, steady)]
    from vfx_nodes.color.movie import write_movie

    # already display-encoded: shown through the display's own (identity) view
    info = write_movie(OUT / "temporal_review.mp4", side, fps=24, colorspace="sRGB Encoded Rec.709 (sRGB)",
                       view="Raw", display="sRGB - Display")
    print(f"world {label}: {OUT / 'temporal_sheet.jpg'}, {info.path} ({info.frames} frames, "
          f"{os.path.getsize(info.path) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

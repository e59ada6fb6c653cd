"""Keyframe looks against per-frame ``optimize`` on a moving shot: style carried, flicker, speed.

The shot: a camera move over an opaque corpus photograph (OpenEXR's ``ScanLines/Cannon.exr``
by default, display-encoded through OCIO): a 16:9 window that slides and zooms in a little
every frame, rendered at ``--width`` × 9/16 with 4×4 supersampling.  The motion is known
exactly (an affine map per frame), so the warping error of Lai et al. (2018) needs no
optical flow: frame t of the stylised shot is warped onto frame t+1 by that map
(bilinear), and the squared difference is averaged where the warp lands inside frame t
(channels and pixels, display values 0–1), then over the measured pairs.  The input shot's
own warping error (resampling only) is the floor.

Rows, side by side in one run:

* ``optimize per frame`` — ``optimize_plate`` with its defaults (Gatys et al.'s recipe,
  coarse to fine) on every measured frame separately (``--pairs`` pairs of consecutive
  frames spread over the shot);
* ``keyframe look`` — ``train_keyframe_look`` from *one* keyframe (frame ``--key``,
  optimised the same way) with ``--time-limit`` minutes, then every frame rendered
  with ``stylize`` (scale ``auto``);
* ``instant look + shot stats`` — ``look_from_style`` of the painting, shot statistics
  from ``collect_stats`` over the shot, ``stylize`` per frame.

Style: the Gram style-loss ratio of ``bench_quality.py``'s yardstick (VGG19 relu1_1–relu5_1,
output vs the painting, divided by the plate's), median over the measured frames other
than the keyframe.  Speed: one 1920×1080 frame through ``stylize`` (median of
``--runs``) for the keyframe look and the bundled look, at scale ``auto`` and at scale 1.

    VFX_NODES_TEST_DATA=../shared/data python benchmarks/bench_keyframe.py \\
        --style ../shared/data/styles/shipwreck.jpg --time-limit 12 --sheet kf.png
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_quality import Yardstick, display, opaque_plate, painting_display

import vfx_nodes as vn
from vfx_nodes.plate import Plate

SRGB = "sRGB Encoded Rec.709 (sRGB)"


# --- the shot and its exact motion -------------------------------------------------------------


def window(t: int, src_hw: tuple[int, int], frames: int, zoom: float, travel: float) -> tuple[float, float, float]:
    """Frame t's window over the source: centre x, centre y and width (source pixels)."""
    sh, sw = src_hw
    w0 = 0.8 * sw
    width = w0 * (zoom ** (-t / max(1, frames - 1)))
    cx = sw / 2 - travel * sw / 2 + travel * sw * t / max(1, frames - 1)
    return cx, sh / 2, width


def to_source(t: int, ys: Any, xs: Any, out_hw: tuple[int, int], args: Any, src_hw: tuple[int, int]) -> tuple[Any, Any]:
    """Frame t pixel coordinates (pixel centres at .5) → source coordinates."""
    h, w = out_hw
    cx, cy, width = window(t, src_hw, args.frames, args.zoom, args.travel)
    k = width / w
    return cx + (xs - w / 2) * k, cy + (ys - h / 2) * k


def from_source(t: int, sx: Any, sy: Any, out_hw: tuple[int, int], args: Any,
                src_hw: tuple[int, int]) -> tuple[Any, Any]:
    h, w = out_hw
    cx, cy, width = window(t, src_hw, args.frames, args.zoom, args.travel)
    k = width / w
    return (sx - cx) / k + w / 2, (sy - cy) / k + h / 2


def _sample(img: torch.Tensor, sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    """Bilinear samples of 1×C×H×W ``img`` at pixel coordinates (pixel centres at .5)."""
    h, w = img.shape[-2:]
    grid = torch.stack([sx / w * 2 - 1, sy / h * 2 - 1], -1)[None].float()
    return F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)


def make_shot(source: np.ndarray, args: Any) -> list[np.ndarray]:
    """The frames (H×W×3 display values), 4×4 supersampled."""
    src = torch.from_numpy(np.ascontiguousarray(source.transpose(2, 0, 1)))[None].float()
    h, w = round(args.width * 9 / 16), args.width
    ss = 4
    ys, xs = torch.meshgrid((torch.arange(h * ss) + 0.5) / ss, (torch.arange(w * ss) + 0.5) / ss, indexing="ij")
    frames = []
    for t in range(args.frames):
        sx, sy = to_source(t, ys, xs, (h, w), args, source.shape[:2])
        big = _sample(src, sx, sy)
        frames.append(F.avg_pool2d(big, ss)[0].permute(1, 2, 0).clamp(0, 1).numpy())
    return frames


def warping_error(frames: list[np.ndarray], pairs: list[int], args: Any, src_hw: tuple[int, int]) -> float:
    """Lai et al. (2018) warping error over the pairs (t, t+1), with the exact affine motion."""
    h, w = frames[0].shape[:2]
    ys, xs = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
    errs = []
    for t in pairs:
        sx, sy = to_source(t + 1, ys, xs, (h, w), args, src_hw)
        px, py = from_source(t, sx, sy, (h, w), args, src_hw)
        valid = (px >= 1) & (px <= w - 1) & (py >= 1) & (py <= h - 1)
        prev = torch.from_numpy(np.ascontiguousarray(frames[t].transpose(2, 0, 1)))[None].float()
        warped = _sample(prev, px, py)[0].permute(1, 2, 0).numpy()
        d = ((frames[t + 1] - warped) ** 2).mean(-1)
        errs.append(float(d[valid.numpy()].mean()))
    return float(np.mean(errs))


# --- methods --------------------------------------------------------------------------------


def as_plate(rgb: np.ndarray) -> Plate:
    return Plate(np.ascontiguousarray(rgb, np.float32), ("R", "G", "B"), colorspace=SRGB)


def optimise(rgb: np.ndarray, style: str, vgg: Any) -> np.ndarray:
    from vfx_nodes.train.optimize import optimize_plate

    new, _ = optimize_plate(as_plate(rgb), [style], size=None, loss_network=vgg, device="cpu")
    return display(new)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--style", required=True, help="the painting (unseen by every look)")
    ap.add_argument("--plate", help="the opaque source photograph (default: ScanLines/Cannon.exr)")
    ap.add_argument("--frames", type=int, default=24, help="shot length (default: %(default)s)")
    ap.add_argument("--width", type=int, default=256, help="frame width (default: %(default)s)")
    ap.add_argument("--zoom", type=float, default=1.25, help="zoom over the shot (default: %(default)s)")
    ap.add_argument("--travel", type=float, default=0.15,
                    help="horizontal travel as a share of the source width (default: %(default)s)")
    ap.add_argument("--pairs", type=int, default=4, help="frame pairs measured (default: %(default)s)")
    ap.add_argument("--key", type=int, default=0, help="the keyframe's index (default: %(default)s)")
    ap.add_argument("--time-limit", type=float, default=12.0, help="keyframe training minutes (default: %(default)s)")
    ap.add_argument("--steps", type=int, default=2000, help="keyframe training steps at most (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=3, help="1080p timing runs (default: %(default)s)")
    ap.add_argument("--sheet", help="write a contact sheet PNG (rows: methods)")
    ap.add_argument("--json", help="write the figures as JSON")
    args = ap.parse_args(argv)
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    root = os.environ.get("VFX_NODES_TEST_DATA", "/work/shared/data")
    plate_path = args.plate or str(Path(root) / "exr/ScanLines/Cannon.exr")
    source = display(opaque_plate(plate_path))
    frames = make_shot(source, args)
    n = args.frames
    pairs = sorted({min(n - 2, round(i * (n - 2) / max(1, args.pairs - 1))) for i in range(args.pairs)})
    pairs = [t for t in pairs if t != args.key and t + 1 != args.key] or pairs
    measured = sorted({t for p in pairs for t in (p, p + 1)})
    print(f"shot: {n} frames {frames[0].shape[1]}×{frames[0].shape[0]} over {Path(plate_path).name}; "
          f"pairs {pairs}; keyframe {args.key}", file=sys.stderr, flush=True)

    from vfx_nodes.model import load_vgg19

    vgg = load_vgg19()
    yard = Yardstick(painting_display(vn.read_plate(args.style)), 256)
    base = {t: yard.style(yard.features(frames[t])) for t in measured}

    def ratio(outs: dict[int, np.ndarray]) -> float:
        return statistics.median(yard.style(yard.features(outs[t])) / base[t] for t in measured if t != args.key)

    rows: dict[str, dict[str, Any]] = {}
    outs: dict[str, dict[int, np.ndarray]] = {"plate": {t: frames[t] for t in measured}}
    rows["plate (input shot)"] = {"ratio": 1.0, "warp": warping_error(frames, pairs, args, source.shape[:2])}

    # per-frame optimize
    t0 = time.perf_counter()
    opt = {}
    for t in measured:
        opt[t] = optimise(frames[t], args.style, vgg)
        print(f"  optimised frame {t} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    opt_s = (time.perf_counter() - t0) / len(measured)
    full_opt = dict(opt)
    rows["optimize per frame"] = {"ratio": ratio(opt), "warp": warping_error(
        [full_opt.get(t, frames[t]) for t in range(n)], pairs, args, source.shape[:2]), "s_per_frame": opt_s}
    outs["optimize per frame"] = opt

    # the keyframe look
    from vfx_nodes.train.keyframe import KeyframeConfig, train_keyframe_look
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for t, f in enumerate(frames):
            p = Path(tmp) / f"shot.{1001 + t:04d}.exr"
            vn.write_plate(as_plate(f), p)
            paths.append(p)
        key = opt[args.key] if args.key in opt else optimise(frames[args.key], args.style, vgg)
        painted = Path(tmp) / "painted.exr"
        vn.write_plate(as_plate(key), painted)
        t0 = time.perf_counter()
        cfg = KeyframeConfig(content=[str(Path(tmp) / "shot.####.exr")],
                             keyframes=[(str(paths[args.key]), str(painted))],
                             out=str(Path(tmp) / "key.safetensors"), steps=args.steps, time_limit=args.time_limit,
                             frame_height=frames[0].shape[0])
        res = train_keyframe_look(cfg, loss_network=vgg)
        train_s = time.perf_counter() - t0
        key_look = vn.load_look(res.look_path)
        kf = [display(vn.stylize(as_plate(f), key_look)) for f in frames]
        rows["keyframe look"] = {"ratio": ratio(dict(enumerate(kf))),
                                 "warp": warping_error(kf, pairs, args, source.shape[:2]),
                                 "train_s": train_s, "steps": res.steps,
                                 "warp_all_pairs": warping_error(kf, list(range(n - 1)), args, source.shape[:2])}
        outs["keyframe look"] = {t: kf[t] for t in measured}

        # instant look with shot statistics
        from vfx_nodes.train.instant import look_from_style
        inst = look_from_style([args.style])
        plates = [as_plate(f) for f in frames]
        stats = vn.collect_stats(plates, inst)
        ins = [display(vn.stylize(p, inst, stats=stats)) for p in plates]
        rows["instant look + shot stats"] = {"ratio": ratio(dict(enumerate(ins))),
                                             "warp": warping_error(ins, pairs, args, source.shape[:2])}
        outs["instant look + shot stats"] = {t: ins[t] for t in measured}

        # 1080p speed: keyframe look vs the bundled look
        big = F.interpolate(torch.from_numpy(np.ascontiguousarray(source.transpose(2, 0, 1)))[None],
                            size=(1080, 1920), mode="bilinear", align_corners=False)[0].permute(1, 2, 0).numpy()
        hd = as_plate(big)
        from vfx_nodes.looks import load_default_look
        bundled = load_default_look()
        speed = {}
        for name, lk in (("keyframe", key_look), ("bundled", bundled)):
            for scale in ("auto", 1.0):
                vn.stylize(hd, lk, scale=scale)  # warm-up
                ts = []
                for _ in range(args.runs):
                    t = time.perf_counter()
                    vn.stylize(hd, lk, scale=scale)
                    ts.append(time.perf_counter() - t)
                speed[f"{name} scale {scale}"] = statistics.median(ts)

    opt_row = rows["optimize per frame"]
    print(f"\nshot {n} frames {frames[0].shape[1]}×{frames[0].shape[0]}, {Path(plate_path).name}, zoom {args.zoom}, "
          f"travel {args.travel}; style {Path(args.style).name}; measured pairs {pairs} (frames {measured}); "
          f"keyframe {args.key}\n")
    print("| method | style ratio (median, non-key frames) | warping error | vs optimize | notes |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        note = ""
        if "s_per_frame" in r:
            note = f"{r['s_per_frame']:.0f} s a frame"
        if "train_s" in r:
            note = (f"trained {r['steps']} steps in {r['train_s'] / 60:.1f} min; "
                    f"all {n - 1} pairs: {r['warp_all_pairs']:.5f}")
        print(f"| {name} | {r['ratio']:.3f} | {r['warp']:.5f} | {r['warp'] / opt_row['warp']:.2f}× | {note} |")
    print(f"\nkeyframe look style ratio / optimize's: {rows['keyframe look']['ratio'] / opt_row['ratio']:.2f}×")
    print(f"\n1920×1080 stylize, median of {args.runs} (s): "
          + ", ".join(f"{k} {v:.2f}" for k, v in speed.items()))
    print(f"keyframe / bundled: scale auto {speed['keyframe scale auto'] / speed['bundled scale auto']:.2f}×, "
          f"scale 1 {speed['keyframe scale 1.0'] / speed['bundled scale 1.0']:.2f}×")

    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "speed": speed, "pairs": pairs}, indent=2))
    if args.sheet:
        from PIL import Image, ImageDraw

        cols = [t for t in measured][:6]
        hh, ww = frames[0].shape[:2]
        sheet = Image.new("RGB", (ww * len(cols), (hh + 16) * len(outs)), "white")
        draw = ImageDraw.Draw(sheet)
        for r, (name, imgs) in enumerate(outs.items()):
            y = r * (hh + 16)
            draw.text((4, y + 2), name, fill="black")
            for c, t in enumerate(cols):
                im = Image.fromarray((np.clip(imgs[t], 0, 1) * 255 + 0.5).astype(np.uint8))
                sheet.paste(im, (c * ww, y + 16))
        sheet.save(args.sheet)
        print(f"sheet: {args.sheet}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

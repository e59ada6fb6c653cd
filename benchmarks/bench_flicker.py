"""Flicker of per-frame vs shot normalisation statistics: warping error on a camera move.

Temporal stability is measured with the warping error of Lai et al. (2018), "Learning
Blind Video Temporal Consistency" (ECCV): frame t-1 of the *stylised* sequence is warped
to frame t and compared with it where the warp is valid, averaged over the shot
(:func:`vfx_nodes.engine.metrics.warping_error`). The shot is a synthetic camera move: a
crop window sliding ``--shift`` pixels per frame across a real plate (OpenEXR's
``ScanLines/Cannon.exr`` from ``$VFX_NODES_TEST_DATA``, else ``/work/shared/data``, else
the built-in procedural sample plate), so the motion is an exact integer shift and the
mask is the overlap of the two windows. The input sequence itself has warping error 0.

Both renders go through :func:`vfx_nodes.render_sequence` (EXR in, EXR out):

* ``stats="frame"`` — each frame normalised by its own thumbnail's statistics;
* ``stats="shot"``  — statistics collected once from up to 8 frames spread over the shot.

The error is measured on what a viewer sees: the OCIO default display/view of the output,
clipped to 0–1 (Lai et al. measure RGB in 0–1).

The look: by default a ``johnson`` generator (the default architecture) randomly
initialised with a fixed seed — untrained, but its instance normalisation is what makes
per-frame statistics flicker. ``--train-steps N`` instead trains N steps with
:func:`vfx_nodes.train.train` on crops of the plate and a style painting first (slow on a
CPU); ``--look PATH`` uses an existing look.

Run::

    python benchmarks/bench_flicker.py                     # defaults: 12 frames, 4 px/frame
    python benchmarks/bench_flicker.py --arch johnson-small --frames 8 --shift 2
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _plate_path(arg: str | None) -> Path | None:
    if arg:
        return Path(arg)
    for root in (os.environ.get("VFX_NODES_TEST_DATA"), "/work/shared/data"):
        if root and (Path(root) / "exr/ScanLines/Cannon.exr").is_file():
            return Path(root) / "exr/ScanLines/Cannon.exr"
    return None


def _style_path() -> Path | None:
    for root in (os.environ.get("VFX_NODES_TEST_DATA"), "/work/shared/data"):
        if root and (Path(root) / "styles").is_dir():
            files = sorted(p for p in (Path(root) / "styles").iterdir()
                           if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
            if files:
                return files[0]
    return None


def make_move(source, frames: int, shift: int, width: int, height: int, overscan: int = 0):
    """Crops of ``source`` sliding ``shift`` px to the right per frame (exact motion).

    Each frame's display window is ``width×height`` at (0, 0); its data window adds
    ``overscan`` pixels of real picture on every side, as a production plate has.
    """
    from vfx_nodes.plate import Plate

    rgb = source.channels(source.rgb_names())
    o = int(overscan)
    need_w, need_h = width + 2 * o + shift * (frames - 1), height + 2 * o
    if rgb.shape[1] < need_w or rgb.shape[0] < need_h:
        raise SystemExit(f"plate {source.width}×{source.height} is too small for {frames} frames of "
                         f"{width}×{height} (+{o} px overscan) moving {shift} px")
    y0 = (rgb.shape[0] - need_h) // 2
    x0 = (rgb.shape[1] - need_w) // 2
    out = []
    for t in range(frames):
        xs = x0 + t * shift
        crop = np.ascontiguousarray(rgb[y0:y0 + need_h, xs:xs + width + 2 * o])
        out.append(Plate(crop, ("R", "G", "B"), data_window=(-o, -o, width - 1 + o, height - 1 + o),
                         display_window=(0, 0, width - 1, height - 1),
                         colorspace=source.colorspace or "scene_linear"))
    return out


def train_look(path: Path, plate_file: Path, steps: int, arch: str, seed: int, device: str | None) -> str:
    """Train a look for ``steps`` steps (vfx_nodes.train); returns a description."""
    from vfx_nodes.train import TrainConfig, train

    style = _style_path()
    if style is None:
        raise SystemExit("--train-steps needs a style image in $VFX_NODES_TEST_DATA/styles")
    cfg = TrainConfig(content=[str(plate_file)], style=[str(style)], out=str(path), steps=steps,
                      size=128, batch=2, arch=arch, seed=seed, device=device, eval_every=max(steps, 1),
                      checkpoint_every=max(steps, 1), eval_at_start=False, test_fraction=0.0,
                      warmup=min(10, steps))
    train(cfg)
    return f"{arch} trained {steps} steps on {plate_file.name} with style {style.name} (seed {seed})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plate", help="plate to move over (default: Cannon.exr, else built-in sample)")
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--shift", type=int, default=8,
                    help="pixels per frame (default: 8; a multiple of the generator's total stride, 4, "
                         "so that the network itself is shift-equivariant)")
    ap.add_argument("--overscan", type=int, default=None,
                    help="overscan of the second setup (default: half the receptive field)")
    ap.add_argument("--size", default="256x160", help="frame size WxH (default: 256x160)")
    ap.add_argument("--arch", default="johnson", help="generator architecture (default: johnson)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--look", help="use this look file instead of a seeded random generator")
    ap.add_argument("--train-steps", type=int, default=0, help="train a look this many steps first")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--display", default=None, help="OCIO display for measuring (default: config's)")
    ap.add_argument("--view", default=None)
    args = ap.parse_args(argv)

    import torch

    import vfx_nodes
    from vfx_nodes.color import display_view_rgb
    from vfx_nodes.engine.metrics import warping_error
    from vfx_nodes.io import read_plate, write_plate
    from vfx_nodes.model import build_generator, load_look, save_look

    width, height = (int(v) for v in args.size.lower().split("x"))
    plate_file = _plate_path(args.plate)
    if plate_file is not None:
        source = read_plate(plate_file)
        source_name = str(plate_file)
    else:
        from vfx_nodes.samples import sample_plate

        source = sample_plate(width + args.shift * args.frames + 200, height + 200, overscan=0)
        source_name = "built-in sample plate (no real data found)"

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        if args.look:
            look = args.look
            look_desc = f"look file {args.look}"
        elif args.train_steps > 0:
            if plate_file is None:
                raise SystemExit("--train-steps needs a real plate (--plate)")
            look = str(tmpd / "trained.safetensors")
            look_desc = train_look(Path(look), plate_file, args.train_steps, args.arch, args.seed, args.device)
        else:
            torch.manual_seed(args.seed)
            look = str(tmpd / "random.safetensors")
            save_look(build_generator(args.arch), look, {})
            look_desc = f"{args.arch}, randomly initialised (torch.manual_seed({args.seed})), untrained"
        rf = load_look(look).generator.receptive_field
        overscan = args.overscan if args.overscan is not None else (rf + 1) // 2
        rng = f"1001-{1000 + args.frames}"
        e_in = None
        for o in (0, overscan):
            frames = make_move(source, args.frames, args.shift, width, height, o)
            folder = tmpd / f"o{o}"
            folder.mkdir()
            for t, p in enumerate(frames):
                write_plate(p, folder / f"in.{1001 + t}.exr", pixel_type="float")
            if e_in is None:
                e_in = warping_error([_shown(p, args, display_view_rgb) for p in frames], (args.shift, 0))
            for mode in ("frame", "shot"):
                t0 = time.perf_counter()
                rep = vfx_nodes.render_sequence(str(folder / "in.####.exr"), str(folder / mode / "out.####.exr"),
                                                look, rng, stats=mode, device=args.device)
                seconds = time.perf_counter() - t0
                shown = [_shown(read_plate(folder / mode / f"out.{f}.exr"), args, display_view_rgb)
                         for f in rep.frames]
                rows.append((o, mode, warping_error(shown, (args.shift, 0)), seconds))

    print(f"bench_flicker: {platform.machine()} {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"device {args.device}")
    print(f"plate: {source_name}")
    print(f"shot:  {args.frames} frames, display window {width}×{height}, camera moving {args.shift} px/frame")
    print(f"look:  {look_desc}; receptive field {rf} px")
    print(f"warping error of the input sequence (sanity, must be 0): {e_in:.3g}")
    print("E_warp (Lai et al. 2018) over the display window, display/view-encoded RGB in 0-1:")
    print()
    print(f"{'overscan':<10}{'statistics':<12}{'E_warp':>12}{'render s':>10}")
    for o, mode, e, sec in rows:
        print(f"{f'{o} px':<10}{'per frame' if mode == 'frame' else 'shot':<12}{e:>12.4e}{sec:>10.1f}")
    print()
    ok = True
    for o in (0, overscan):
        e_frame = next(r[2] for r in rows if r[0] == o and r[1] == "frame")
        e_shot = next(r[2] for r in rows if r[0] == o and r[1] == "shot")
        ratio = e_shot / e_frame if e_frame > 0 else float("nan")
        where = ("no overscan: the frame edge moves with the camera" if o == 0 else
                 f"{o} px overscan (≥ half the receptive field): the display window sees no edge")
        print(f"ratio shot / per-frame, {where}: {ratio:.3f}  (goal ≤ 0.5: {'MET' if ratio <= 0.5 else 'NOT MET'})")
        ok = ok and not np.isnan(ratio)
    return 0 if ok else 1


def _shown(plate, args, display_view_rgb):
    """The display window of ``plate`` through the display/view, clipped to 0-1."""
    x0, y0, x1, y1 = plate.display_window
    dx, dy = plate.data_window[:2]
    rgb = plate.channels(plate.rgb_names())[y0 - dy:y1 - dy + 1, x0 - dx:x1 - dx + 1]
    shown = display_view_rgb(rgb, plate.colorspace or "scene_linear", args.display, args.view)
    return np.clip(np.nan_to_num(shown), 0.0, 1.0)


if __name__ == "__main__":
    sys.exit(main())

"""Training throughput and the quality of a trained look against `vfx-style optimize`.

1. **Throughput**: training images per second (generator + discriminator + VGG19 losses,
   one full adversarial step) at ``--size`` (256²) on CPU in float32, for each generator
   architecture side by side; on CUDA also with bf16 autocast (skipped without CUDA).
2. **Quality**: a look trained for ``--steps`` on the training split against the
   optimisation-based reference (Gatys et al. 2016, ``optimize_image``, Adam) on the same
   held-out plates, both measured with the same losses: style and content loss of each,
   and their ratios (trained / optimised).  The untrained generator is the baseline.

Content: the OpenEXR sample plates under ``$VFX_NODES_TEST_DATA/exr`` (ScanLines,
Beachball, DisplayWindow, LuminanceChroma) when set, else synthetic plates; style:
``styles/starry_night.jpg`` or a synthetic stripe pattern.

    python benchmarks/bench_train.py                      # both parts
    python benchmarks/bench_train.py --skip-quality --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def _synthetic(root: Path) -> tuple[list[str], str]:
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / "content").mkdir(parents=True, exist_ok=True)
    for s in range(6):
        y, x = np.mgrid[0:300, 0:400] / 400.0
        img = np.stack([0.5 + 0.4 * np.sin(rng.uniform(3, 12) * x + s), 0.5 + 0.4 * np.cos(rng.uniform(3, 12) * y),
                        0.5 + 0.3 * np.sin(rng.uniform(3, 12) * (x + y))], -1)
        img += 0.03 * rng.standard_normal(img.shape)
        Image.fromarray((img.clip(0, 1) * 255).astype(np.uint8)).save(root / "content" / f"shot{s}.1001.png")
    y, x = np.mgrid[0:256, 0:256]
    style = np.stack([(np.sin(x / 3.0) > 0) * 220, (np.sin(y / 5.0) > 0) * 180, np.full_like(x, 60)], -1)
    Image.fromarray(style.astype(np.uint8)).save(root / "style.png")
    return [str(root / "content")], str(root / "style.png")


def _data(tmp: Path) -> tuple[list[str], str, str]:
    root = os.environ.get("VFX_NODES_TEST_DATA")
    if root and Path(root, "exr").is_dir():
        exr = Path(root, "exr")
        content = [str(exr / "ScanLines"), str(exr / "Beachball" / "singlepart.####.exr"),
                   str(exr / "DisplayWindow"), str(exr / "LuminanceChroma")]
        return content, str(Path(root, "styles", "starry_night.jpg")), "OpenEXR sample plates + starry_night.jpg"
    content, style = _synthetic(tmp)
    return content, style, "synthetic plates + stripes (VFX_NODES_TEST_DATA unset)"


def throughput(content: list[str], style: str, tmp: Path, size: int, batch: int, runs: int,
               steps: int, archs: list[str]) -> None:
    from vfx_nodes.model import load_vgg19
    from vfx_nodes.train.loop import TrainConfig, TrainRun

    devices = [("cpu", "fp32")]
    if torch.cuda.is_available():
        devices += [("cuda", "fp32"), ("cuda", "bf16")]
    vgg = load_vgg19()
    print(f"\n== training throughput at {size}², batch {batch}, one adversarial step = D + G update ==")
    if not torch.cuda.is_available():
        print("CUDA: not available here — GPU/bf16 rows skipped")
    rows = []
    for device, precision in devices:
        for arch in archs:
            cfg = TrainConfig(content=content, style=[style], out=str(tmp / f"{arch}.safetensors"), steps=10_000,
                              size=size, batch=batch, arch=arch, device=device, precision=precision,
                              eval_every=10_000, checkpoint_every=10_000, test_fraction=0.0)
            run = TrainRun(cfg, loss_network=vgg, progress=False)
            run.train_step()  # warm-up (allocations, cuDNN autotune)
            times = []
            for _ in range(runs):
                if device == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                for _ in range(steps):
                    run.train_step()
                if device == "cuda":
                    torch.cuda.synchronize()
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            rows.append((device, precision, arch, batch * steps / med, med / steps))
    base = rows[0][3]
    print(f"{'device':8} {'precision':9} {'arch':14} {'images/s':>9} {'s/step':>8} {'vs first':>9}")
    for device, precision, arch, ips, sps in rows:
        print(f"{device:8} {precision:9} {arch:14} {ips:9.3f} {sps:8.3f} {ips / base:8.2f}x")


def quality(content: list[str], style: str, tmp: Path, steps: int, size: int, opt_steps: int,
            arch: str, seed: int, lr: float, style_layers: list[str], ema_decay: float,
            adv_weight: float) -> None:
    from vfx_nodes.model import load_vgg19
    from vfx_nodes.train.data import center_crop
    from vfx_nodes.train.evaluate import evaluate_generator
    from vfx_nodes.train.loop import TrainConfig, TrainRun
    from vfx_nodes.train.optimize import optimize_image

    vgg = load_vgg19()
    cfg = TrainConfig(content=content, style=[style], out=str(tmp / "q.safetensors"), steps=steps, size=size,
                      batch=2, arch=arch, eval_every=steps, checkpoint_every=steps, seed=seed,
                      test_fraction=0.3, max_eval_images=4, lr=lr, style_layers=style_layers,
                      ema_decay=ema_decay, warmup=10, adv_weight=adv_weight)
    print(f"\n== quality on held-out plates: trained look ({arch}, {steps} steps at {size}²) "
          f"vs optimisation ({opt_steps} Adam steps per plate) ==")
    print(f"recipe: content {cfg.content_weight} × {cfg.content_layer}, style {cfg.style_weight} × "
          f"{','.join(cfg.style_layers or [])}, tv {cfg.tv_weight}, adv {cfg.adv_weight}, lr {cfg.lr}")
    run = TrainRun(cfg, loss_network=vgg, progress=False)
    images = run.test_set.images[: cfg.max_eval_images]
    names = [Path(n).name for n in run.test_set.names[: cfg.max_eval_images]]
    print(f"held-out plates: {', '.join(names)}" + ("" if run.held_out else " (no held-out sequence: training images)"))
    untrained = evaluate_generator(run.ema.module, images, run.objective, size=size)["losses"]
    t0 = time.perf_counter()
    res = run.run()
    t_train = time.perf_counter() - t0
    trained = evaluate_generator(run.ema.module, images, run.objective, size=size)["losses"]
    t0 = time.perf_counter()
    opt = {"content": 0.0, "style": 0.0}
    for img in images:
        x = center_crop(img, size)[None]
        r = optimize_image(x, run.objective, steps=opt_steps, content_weight=cfg.content_weight,
                           style_weight=cfg.style_weight, tv_weight=cfg.tv_weight)
        for k in opt:
            opt[k] += r.losses[k] / len(images)
    t_opt = time.perf_counter() - t0
    print(f"{'':24} {'style loss':>12} {'content loss':>13} {'time s':>8}")
    print(f"{'untrained generator':24} {untrained['style']:12.4g} {untrained['content']:13.4g} {'':>8}")
    print(f"{'trained look':24} {trained['style']:12.4g} {trained['content']:13.4g} {t_train:8.1f}")
    print(f"{'optimize (Gatys)':24} {opt['style']:12.4g} {opt['content']:13.4g} {t_opt:8.1f}")
    print(f"style: untrained / trained = {untrained['style'] / trained['style']:.2f}x; "
          f"trained / optimize = {trained['style'] / opt['style']:.2f}x")
    print(f"content: trained / optimize = {trained['content'] / opt['content']:.2f}x; "
          f"time per plate: look {res.seconds / max(1, len(images)):.1f} s of training amortised over any "
          f"number of frames vs {t_opt / len(images):.1f} s of optimisation per frame")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3, help="timed repetitions (median reported)")
    ap.add_argument("--steps-per-run", type=int, default=2)
    ap.add_argument("--archs", nargs="+", default=["johnson-small", "johnson", "unet"])
    ap.add_argument("--quality-steps", type=int, default=300)
    ap.add_argument("--quality-size", type=int, default=64)
    ap.add_argument("--quality-arch", default="johnson-small")
    ap.add_argument("--optimize-steps", type=int, default=200)
    ap.add_argument("--quality-lr", type=float, default=2e-3)
    ap.add_argument("--quality-style-layers", nargs="+", default=["relu1_1", "relu2_1"])
    ap.add_argument("--quality-ema", type=float, default=0.95)
    ap.add_argument("--quality-adv", type=float, default=1e6, help="λ_adv of the quality run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    ap.add_argument("--content", nargs="+", help="content for the quality part (default: the corpus plates)")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"CUDA {'yes: ' + torch.cuda.get_device_name() if torch.cuda.is_available() else 'no'}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        content, style, what = _data(tmp)
        if args.content:
            content, what = args.content, f"{' '.join(args.content)} + {Path(style).name}"
        print(f"data: {what}")
        if not args.skip_throughput:
            throughput(content, style, tmp, args.size, args.batch, args.runs, args.steps_per_run, args.archs)
        if not args.skip_quality:
            quality(content, style, tmp, args.quality_steps, args.quality_size, args.optimize_steps,
                    args.quality_arch, args.seed, args.quality_lr, args.quality_style_layers, args.quality_ema,
                    args.quality_adv)
    return 0


if __name__ == "__main__":
    sys.exit(main())

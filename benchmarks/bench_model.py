"""Generator cost: parameters, FLOPs per output pixel, and throughput at 1920×1080.

Usage::

    python benchmarks/bench_model.py                       # johnson + johnson-small, 3 runs
    python benchmarks/bench_model.py --runs 5 --size 1280x720 --arch johnson

FLOPs are counted analytically from the convolutions (``vfx_nodes.model.conv_flops``:
C_out·H_out·W_out·C_in·k² multiply-adds, ×2).  Throughput is the median over ``--runs``
timed forwards after one warm-up, under ``torch.inference_mode``, with frozen
normalisation statistics (as the tiled engine runs it), in contiguous (NCHW) and
``channels_last`` (NHWC) memory formats side by side.  CUDA rows (fp32, bf16) run only
when CUDA is available.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

from vfx_nodes.model import build_generator, conv_flops


def _time(fn, runs: int, sync=lambda: None) -> float:
    fn()  # warm-up (allocator, oneDNN kernel choice)
    sync()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench(arch: str, h: int, w: int, runs: int) -> list[dict]:
    torch.manual_seed(0)
    gen = build_generator(arch).eval()
    params = sum(p.numel() for p in gen.parameters())
    flops = conv_flops(gen, h, w)
    x = torch.rand(1, 3, h, w)
    with torch.inference_mode():
        gen.freeze_stats(gen.collect_stats(torch.nn.functional.interpolate(x, size=(h // 4, w // 4))))
    rows = []
    mp = h * w / 1e6
    for device, dtype, layout in _configs():
        g = gen.to(device=device, dtype=dtype)
        xi = x.to(device=device, dtype=dtype)
        if layout == "channels_last":
            g = g.to(memory_format=torch.channels_last)
            xi = xi.contiguous(memory_format=torch.channels_last)
        else:
            g = g.to(memory_format=torch.contiguous_format)
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

        def step(g=g, xi=xi):
            with torch.inference_mode():
                return g(xi)

        t = _time(step, runs, sync)
        rows.append({"arch": arch, "params": params, "mflop_px": flops["flops_per_pixel"] / 1e6,
                     "device": device, "dtype": str(dtype).replace("torch.", ""), "layout": layout,
                     "seconds": t, "mp_s": mp / t, "gflop_s": flops["flops"] / t / 1e9})
    return rows


def _configs() -> list[tuple[str, torch.dtype, str]]:
    cfg = [("cpu", torch.float32, "contiguous"), ("cpu", torch.float32, "channels_last")]
    if torch.cuda.is_available():
        for dt in (torch.float32, torch.bfloat16):
            cfg += [("cuda", dt, "contiguous"), ("cuda", dt, "channels_last")]
    return cfg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", action="append", help="architecture (repeatable; default johnson, johnson-small)")
    ap.add_argument("--size", default="1920x1080", help="W×H of the frame (default 1920x1080)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per row (median reported)")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    archs = args.arch or ["johnson", "johnson-small"]
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads, frame {w}×{h}, median of {args.runs} runs after 1 warm-up")
    if not torch.cuda.is_available():
        print("CUDA not available: GPU rows (fp32, bf16) skipped")
    rows = []
    for arch in archs:
        rows += bench(arch, h, w, args.runs)
    print()
    print(f"{'arch':<14}{'params':>10}{'MFLOP/px':>10}  {'device':<8}{'dtype':<10}{'layout':<14}"
          f"{'s/frame':>9}{'MP/s':>8}{'GFLOP/s':>9}{'vs NCHW':>9}")
    base: dict[tuple, float] = {}
    for r in rows:
        key = (r["arch"], r["device"], r["dtype"])
        if r["layout"] == "contiguous":
            base[key] = r["seconds"]
        ratio = base.get(key, r["seconds"]) / r["seconds"]
        print(f"{r['arch']:<14}{r['params']:>10,}{r['mflop_px']:>10.4f}  {r['device']:<8}{r['dtype']:<10}"
              f"{r['layout']:<14}{r['seconds']:>9.3f}{r['mp_s']:>8.3f}{r['gflop_s']:>9.1f}{ratio:>8.2f}×")
    cpu32 = {(r["arch"], r["layout"]): r["seconds"] for r in rows if r["device"] == "cpu"}
    if len(archs) > 1:
        print()
        for layout in ("contiguous", "channels_last"):
            t0 = cpu32.get((archs[0], layout))
            for a in archs[1:]:
                if t0 and (a, layout) in cpu32:
                    print(f"{a} is {t0 / cpu32[(a, layout)]:.2f}× faster than {archs[0]} ({layout}, CPU fp32)")


if __name__ == "__main__":
    main()

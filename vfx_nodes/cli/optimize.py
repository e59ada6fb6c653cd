"""``vfx-style optimize``: optimisation-based (Gatys et al. 2016) reference render of one plate.

Example::

    vfx-style optimize --content plate.1001.exr --style starry_night.jpg --out ref.1001.exr

Slow and training-free: the plate's pixels are optimised for the same content, style and
TV losses a look is trained with, so artists can judge a style on a real plate before
training.  Colour goes through OCIO into the working space and back; alpha, every other
channel, the windows and the header are kept; the file is written atomically.
"""

from __future__ import annotations

import argparse
import sys

from ..color.defaults import DEFAULT_WORKING_SPACE
from ._args import part_arg


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``vfx-style optimize``'s arguments."""
    parser.add_argument("--content", required=True, metavar="PLATE", help="the plate (EXR, PNG, JPEG, TIFF)")
    parser.add_argument("--style", nargs="+", required=True, metavar="IMG", help="style image(s)")
    parser.add_argument("--out", required=True, metavar="OUT.exr", help="output file (EXR or PNG)")
    parser.add_argument("--part", type=part_arg, help="EXR part name or index")
    parser.add_argument("--layer", default="", help="layer to stylise (default: main RGB)")
    parser.add_argument("--working-space", default=DEFAULT_WORKING_SPACE, metavar="NAME",
                        help="colourspace the optimisation runs in (default: %(default)s)")
    parser.add_argument("--in-colorspace", metavar="NAME",
                        help="the plate's colourspace (default: what the file says)")
    parser.add_argument("--style-colorspace", metavar="NAME",
                        help="colourspace of the style images (default: what each file says)")
    parser.add_argument("--steps", type=int, default=200, help="iterations (default: %(default)s)")
    parser.add_argument("--size", type=int, default=512,
                        help="optimise at this long side, result upsampled back; 0 = full "
                             "resolution (default: %(default)s)")
    parser.add_argument("--optimizer", choices=("adam", "lbfgs"), default="adam",
                        help="Adam or L-BFGS (Gatys et al.) (default: %(default)s)")
    parser.add_argument("--lr", type=float, help="step size (default: 1 for L-BFGS, 0.02 for Adam)")
    parser.add_argument("--content-weight", type=float, default=None, help="(default: as training)")
    parser.add_argument("--style-weight", type=float, default=None, help="(default: as training)")
    parser.add_argument("--tv-weight", type=float, default=None, help="(default: as training)")
    parser.add_argument("--content-layer", help="VGG19 content layer (default: as training)")
    parser.add_argument("--style-layers", nargs="+", metavar="LAYER", help="VGG19 style layers (default: as training)")
    parser.add_argument("--style-size", type=int, help="short side of the style images (default: the plate's)")
    parser.add_argument("--vgg", metavar="PATH", help="a torchvision VGG19 state dict instead of the bundled weights")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: %(default)s)")
    parser.add_argument("--device", help="cpu or cuda (default: CUDA when available)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")


def run(args: argparse.Namespace) -> int:
    """Optimise, write the plate, print where it went; returns 0."""
    import dataclasses

    import torch

    from ..io import read_plate, write_plate
    from ..model import load_vgg19
    from ..train.loop import SCRATCH_RECIPE, TrainConfig
    from ..train.optimize import optimize_plate
    from ..train.progress import Progress

    d = {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.default is not dataclasses.MISSING}
    torch.manual_seed(args.seed)
    plate = read_plate(args.content, args.part)
    progress = Progress(args.steps, enabled=not args.quiet)

    def callback(step: int, losses: dict[str, float]) -> None:
        progress.update(step, {k: losses[k] for k in ("content", "style") if k in losses})

    new, result = optimize_plate(
        plate, args.style, working_space=args.working_space, colorspace=args.in_colorspace,
        style_colorspace=args.style_colorspace, layer=args.layer, size=args.size or None,
        steps=args.steps, optimizer=args.optimizer, lr=args.lr,
        content_weight=d["content_weight"] if args.content_weight is None else args.content_weight,
        style_weight=SCRATCH_RECIPE["style_weight"] if args.style_weight is None else args.style_weight,
        tv_weight=d["tv_weight"] if args.tv_weight is None else args.tv_weight,
        style_size=args.style_size, loss_network=load_vgg19(args.vgg),
        content_layer=args.content_layer or d["content_layer"],
        style_layers=list(args.style_layers or SCRATCH_RECIPE["style_layers"]), device=args.device,
        callback=callback)
    progress.close()
    write_plate(new, args.out)
    losses = ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items())
    print(f"wrote {args.out} ({len(result.history)} {args.optimizer} steps; losses: {losses})",
          file=sys.stdout)
    return 0

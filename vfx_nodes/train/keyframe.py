"""Shot looks from keyframes: carry one painted (or optimised) frame across a whole shot.

An artist paints over a frame of the shot, or approves a ``vfx-style optimize``
reference of it; :func:`train_keyframe_look` trains a look that maps the shot's plates to
that frame's look, so every other frame is rendered by a feed-forward network — each
frame on its own (a farm renders them in any order), and without the frame-to-frame
flicker of optimising every frame separately.

The method follows Texler et al. 2020 ("Interactive Video Stylization Using Few-Shot
Patch-Based Training", SIGGRAPH): a generator trained on the keyframe pair(s) with a
reconstruction (L1) loss, a VGG perceptual loss and an adversarial loss from a PatchGAN
discriminator (Isola et al. 2017), plus this project's terms on the shot's *other*
frames, which have no painted version: the Gram style loss toward the painted keyframes
and the content loss toward the frame itself (Gatys et al. 2016, with
:data:`~vfx_nodes.train.optimize.GATYS_RECIPE`'s layers and balance, so a keyframe made
by ``optimize`` is imitated on the terms it was made with), and the discriminator sees
those frames' outputs as fakes too.  Where Texler et al. train a normalisation-free
network from scratch on small patches, the generator here starts from the instant look
of the painted keyframes (Ghiasi et al. 2017's arbitrary-style network with their
embedding baked in, :mod:`vfx_nodes.train.instant`) and is fine-tuned on whole frames at
the look's ``frame_height``: its instance normalisation then sees the same statistics in
training as when ``stylize`` renders a frame at stroke scale ``auto``, and the network
renders a 1920×1080 frame as fast as the bundled look.

Each loss is divided by its value for the starting network (measured once, recorded in
the look's metadata), so the weights are relative (1 = as much as the start's error)
and one set of defaults suits any plate, painting and frame size.

The result is an ordinary look file: ``render``, the nodes, both exports, tiles and shot
statistics all work on it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TrainingDataError

__all__ = ["KeyframeConfig", "KeyframeResult", "KeyframeRun", "parse_keyframe", "train_keyframe_look"]

log = logging.getLogger(__name__)


def parse_keyframe(text: str) -> tuple[str, str]:
    """``"plate.1001.exr=painted.1001.png"`` → ``("plate.1001.exr", "painted.1001.png")``.

    Split at the first ``=``: a plate frame, then its stylised version.

    Raises:
        TrainingDataError: no ``=``, or an empty side.
    """
    plate, sep, painted = str(text).partition("=")
    if not sep or not plate or not painted:
        raise TrainingDataError(
            f"--keyframe {text!r}: give PLATE=PAINTED, a frame of the shot and its stylised "
            "version (e.g. plate.1001.exr=painted.1001.exr)")
    return plate, painted


def _count(v: Any, least: int = 1) -> bool:
    return not isinstance(v, bool) and isinstance(v, int) and v >= least


def _number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)


#: KeyframeConfig's rules: (fields, test, what a good value is)
_KEYFRAME_CHECKS: tuple[tuple[tuple[str, ...], Callable[[Any], bool], str], ...] = (
    (("steps", "checkpoint_every", "log_every"), _count, "a positive integer"),
    (("time_limit",), lambda v: v is None or (_number(v) and v > 0), "a positive number of minutes"),
    (("frame_height",), lambda v: _count(v, 32), "an integer ≥ 32"),
    (("lr", "d_lr"), lambda v: _number(v) and v > 0, "a positive number"),
    (("recon_weight", "perceptual_weight", "style_weight", "adv_weight"), lambda v: _number(v) and v >= 0,
     "a number ≥ 0"),
    (("ema_decay",), lambda v: _number(v) and 0 <= v < 1, "in [0, 1)"),
)


@dataclasses.dataclass
class KeyframeConfig:
    """A keyframe-look training run.

    Attributes:
        content: the shot: frame patterns, folders, file lists or files (as ``train``).
        keyframes: ``(plate frame, painted frame)`` pairs; each plate frame must be a frame
            of ``content``, each painted frame the same size, registered pixel to pixel
            (EXR, PNG, TIFF or JPEG; colour through OCIO as everywhere else).
        out: the look file to write (``*.safetensors``).
        steps: generator updates (the most; ``time_limit`` may stop it sooner).
        time_limit: minutes of training at most (``None``: no limit).
        frame_height: frames are brought to this height for training (never enlarged);
            the look records it, so ``scale="auto"`` renders strokes at this size.
        lr: generator learning rate (Adam, warm-up and cosine decay).
        d_lr: discriminator learning rate.
        recon_weight, perceptual_weight, style_weight, adv_weight: relative weights of
            the keyframe L1, the keyframe VGG feature loss, the other frames' Gatys
            style + content objective and the adversarial term.
        perceptual_layers: VGG19 layers of the perceptual loss.
        ema_decay: decay of the generator weight average the look is taken from.
        working_colorspace: the look's working colourspace (default: the project's;
            ``working_space`` is the deprecated spelling, kept for one release).
        in_colorspace: the plates' colourspace (default: what each file says).
        painted_colorspace: the painted frames' colourspace (default: what each says).
        layer, part: EXR layer and part of the plates.
        seed: seed of the frame order and the discriminator's initialisation.
        device: ``cpu`` / ``cuda`` (default CUDA when available).
        workdir: checkpoints and ``metrics.jsonl`` (default ``<out>.train`` next to out,
            as ``train``).
        checkpoint_every: steps between checkpoints (the last step always writes one).
        log_every: steps between ``metrics.jsonl`` lines.
        resume: continue from the latest checkpoint in ``workdir``.
        overwrite: replace an existing ``out`` and set an earlier run's checkpoints aside
            (default: refused before any work).
    """

    content: Sequence[str]
    keyframes: Sequence[tuple[str, str]]
    out: str
    steps: int = 400
    time_limit: float | None = None
    frame_height: int = 256
    lr: float = 5e-4
    d_lr: float = 2e-4
    recon_weight: float = 1.0
    perceptual_weight: float = 1.0
    style_weight: float = 1.0
    adv_weight: float = 0.1
    perceptual_layers: Sequence[str] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    ema_decay: float = 0.95
    working_colorspace: str | None = None
    in_colorspace: str | None = None
    painted_colorspace: str | None = None
    layer: str = ""
    part: int | str | None = None
    seed: int = 0
    device: str | None = None
    workdir: str | None = None
    checkpoint_every: int = 50
    log_every: int = 10
    resume: bool = False
    overwrite: bool = False
    #: deprecated spelling of ``working_colorspace`` (one release)
    working_space: str | None = None

    def __post_init__(self) -> None:
        from ..policy.names import deprecated_alias

        self.working_colorspace = deprecated_alias("working_colorspace", self.working_colorspace,
                                                   "working_space", self.working_space)
        self.working_space = None

    def validate(self) -> None:
        """Raise :class:`~vfx_nodes.errors.TrainingDataError` for settings that cannot train
        (one table of rules: :data:`_KEYFRAME_CHECKS`)."""
        for names, ok, what in _KEYFRAME_CHECKS:
            for name in names:
                value = getattr(self, name)
                if not ok(value):
                    raise TrainingDataError(f"{name.replace('_', ' ')} must be {what}, got {value!r}")
        if not self.keyframes:
            raise TrainingDataError("a keyframe look needs keyframes= (at least one PLATE=PAINTED pair)")
        self._validate_out()

    def _validate_out(self) -> None:
        """The look file can be written, and nothing earlier is replaced without ``overwrite``."""
        from ..policy.paths import check_output_path

        if not Path(self.out).parent.is_dir():
            raise TrainingDataError(f"the folder of out= {str(self.out)!r} does not exist")
        check_output_path(self.out, TrainingDataError, "look", create_folders=False)
        if os.path.exists(self.out) and not (self.overwrite or self.resume):
            raise TrainingDataError(f"the look {str(self.out)!r} exists (an earlier run's); pass overwrite=True "
                                    "(--overwrite) to replace it, or choose another out=")

    def resolved_workdir(self) -> Path:
        """The work folder: ``workdir`` or ``<out without suffix>.train`` next to ``out``."""
        from .config import default_workdir

        return Path(self.workdir) if self.workdir else default_workdir(self.out)


@dataclasses.dataclass
class KeyframeResult:
    """What :func:`train_keyframe_look` did.

    Attributes:
        look_path: the look file written (``None``: cancelled before the end).
        steps: generator updates made.
        seconds: wall time of the training loop.
        losses: the last step's raw losses (``recon``, ``perceptual``, ``style``,
            ``content``, ``adv``).
        frames: shot frames used (keyframes included).
        time_limited: the time limit stopped the run before ``steps``.
        interrupted: a cancel stopped it before ``steps``: the look was not written;
            ``checkpoint`` resumes it.
        checkpoint: the last checkpoint written.
        workdir: the checkpoints and ``metrics.jsonl``.
    """

    look_path: Path | None
    steps: int
    seconds: float
    losses: dict[str, float]
    frames: int
    time_limited: bool = False
    interrupted: bool = False
    checkpoint: Path | None = None
    workdir: Path | None = None

    @property
    def look(self) -> Path | None:
        """Deprecated (0.9): the path is :attr:`look_path` (``look`` reads as a Look)."""
        import warnings

        warnings.warn("KeyframeResult.look is deprecated; use KeyframeResult.look_path", DeprecationWarning,
                      stacklevel=2)
        return self.look_path


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _fit_height(img: Any, height: int) -> Any:
    """``3×H×W`` → height ``min(H, height)``, aspect kept (antialiased bilinear)."""
    import torch.nn.functional as F

    _, h, w = img.shape
    if h <= height:
        return img.contiguous()
    nw = max(1, round(w * height / h))
    return F.interpolate(img[None], size=(height, nw), mode="bilinear", align_corners=False,
                         antialias=True)[0].clamp(0, 1).contiguous()


def _load(path: str, what: str, **kw: Any) -> Any:
    import torch

    from ..errors import VfxNodesError
    from .data import load_rgb

    try:
        rgb = load_rgb(path, **kw)
    except (VfxNodesError, OSError, ValueError) as exc:
        raise TrainingDataError(f"{what} {path!r} cannot be read: {exc}") from None
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))


def _prepare(cfg: KeyframeConfig, working: str) -> tuple[list[Any], list[Any], list[Any], list[str]]:
    """Every check before training, then the data: (key plates, painted, others, names)."""
    from .data import collect_files

    shot = collect_files(cfg.content)
    key_plates, painted, key_idx = [], [], []
    for plate_path, painted_path in cfg.keyframes:
        idx = next((i for i, f in enumerate(shot) if _same_file(f, plate_path)), None)
        if idx is None:
            raise TrainingDataError(
                f"keyframe plate {plate_path!r} is not a frame of the shot ({len(shot)} frame(s) "
                f"from content= {' '.join(map(str, cfg.content))})")
        if not os.path.isfile(painted_path):
            raise TrainingDataError(f"painted keyframe {painted_path!r} does not exist")
        p = _load(shot[idx], "keyframe plate", working_colorspace=working, colorspace=cfg.in_colorspace,
                  layer=cfg.layer, part=cfg.part)
        s = _load(painted_path, "painted keyframe", working_colorspace=working,
                  colorspace=cfg.painted_colorspace)
        if tuple(p.shape[-2:]) != tuple(s.shape[-2:]):
            raise TrainingDataError(
                f"painted keyframe {painted_path!r} is {s.shape[-1]}×{s.shape[-2]}, its plate "
                f"{plate_path!r} is {p.shape[-1]}×{p.shape[-2]}: a keyframe must be registered "
                "pixel to pixel with its plate (same size)")
        key_plates.append(_fit_height(p, cfg.frame_height))
        painted.append(_fit_height(s, cfg.frame_height))
        key_idx.append(idx)
    others = []
    size = tuple(key_plates[0].shape[-2:])
    for i, f in enumerate(shot):
        if i in key_idx:
            continue
        try:
            t = _fit_height(_load(f, "shot frame", working_colorspace=working, colorspace=cfg.in_colorspace,
                                  layer=cfg.layer, part=cfg.part), cfg.frame_height)
        except TrainingDataError as exc:
            log.warning("skipping %s", exc)
            continue
        if tuple(t.shape[-2:]) != size:
            raise TrainingDataError(
                f"shot frame {f!r} is {t.shape[-1]}×{t.shape[-2]} at the training height, the "
                f"keyframes {size[1]}×{size[0]}: one shot's frames share one size")
        others.append(t)
    return key_plates, painted, others, shot


def _normalisers(starts: list[dict[str, Any]]) -> tuple[dict[str, float], float, float]:
    """``(norm, gatys weight, gatys start)``: each loss of the starting network averaged
    over the keyframes, and the Gatys objective's start value, that the losses are divided by."""
    from .optimize import GATYS_RECIPE

    norm = {k: max(float(np.mean([float(s[k]) for s in starts])), 1e-12)
            for k in ("recon", "perceptual", "style", "content")}
    gw = GATYS_RECIPE["style_weight"] / GATYS_RECIPE["content_weight"]
    gatys_start = max(float(np.mean([gw * float(s["style"]) + float(s["content"]) for s in starts])), 1e-12)
    return norm, gw, gatys_start


def _set_lr(optimizer: Any, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def _metadata(cfg: KeyframeConfig, working: str, frame_height: int, training: dict[str, Any],
              last: dict[str, float], arbitrary: dict[str, Any]) -> dict[str, Any]:
    """The keyframe look's metadata: where it came from (keyframes with their hashes, the
    recipe, the run's figures) and its arbitrary-style start."""
    from .._version import __version__
    from ..model.arbitrary import PROVENANCE
    from .data import file_sha256

    return {
        "working_colorspace": working,
        "frame_height": frame_height,
        "training": {
            "kind": "keyframe",
            "method": "Texler et al. 2020 few-shot training on keyframes, from an instant-look start",
            "keyframes": [{"plate": os.path.basename(p), "plate_sha256": file_sha256(p),
                           "painted": os.path.basename(s), "painted_sha256": file_sha256(s)}
                          for p, s in cfg.keyframes],
            **{k: training[k] for k in ("shot_frames", "steps", "seconds", "time_limited")},
            "final_losses": {k: v for k, v in last.items() if math.isfinite(v)},
            "normalisers": training["normalisers"],
            "recipe": {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(cfg).items()
                       if k != "working_space"
                       if k not in ("content", "keyframes", "out", "device")},
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "library_version": __version__,
        },
        "arbitrary": {**arbitrary, **PROVENANCE},
    }


class KeyframeRun:
    """One keyframe-look run on the project's one training loop
    (:func:`vfx_nodes.train.state.training_loop`): the same schedule, checkpoints,
    resume, time limit, signals, cancel and diverged error as :func:`vfx_nodes.train.train`.

    Building it reads and checks every input, builds the models and, with ``resume``,
    restores the latest checkpoint; :meth:`run` trains and writes the look.
    """

    def __init__(self, cfg: KeyframeConfig, *, loss_network: Any = None, progress: Any = None,
                 callback: Callable[[int, dict[str, float]], None] | None = None) -> None:
        import torch

        from ..model.device import training_device
        from ..policy.colour import DEFAULT_WORKING_SPACE
        from . import checkpoint as ckpt
        from .runtime import Metrics
        from .state import TrainState

        cfg.validate()
        from .progress import as_progress

        self.cfg, self.callback = cfg, callback
        self.progress = as_progress(progress, cfg.steps) if progress is not None else None
        self.working = cfg.working_colorspace or DEFAULT_WORKING_SPACE
        key_plates, painted, others, self.shot = _prepare(cfg, self.working)
        self.frames = len(key_plates) + len(others)
        self.frame_height = int(key_plates[0].shape[-2])
        self.workdir = cfg.resolved_workdir()
        ckpt.check_earlier_run(Path(cfg.out), self.workdir, resume=cfg.resume, overwrite=cfg.overwrite)
        self.workdir.mkdir(parents=True, exist_ok=True)
        if cfg.overwrite and not cfg.resume:
            ckpt.set_aside_earlier_run(self.workdir)
        self.metrics = Metrics(self.workdir / "metrics.jsonl", True)
        self.device = training_device(cfg.device)
        dev = torch.device(self.device)
        torch.manual_seed(cfg.seed)
        self.rng = np.random.default_rng(cfg.seed)
        self._build_models(loss_network, dev, painted)
        self.key_x = [t[None].to(dev) for t in key_plates]
        self.key_y = [t[None].to(dev) for t in painted]
        # a shot of keyframes only: they are the other frames too
        self.other_x = [t[None].to(dev) for t in (others or key_plates)]
        with torch.no_grad():
            self.key_feats = [self.vgg(y, self.player) for y in self.key_y]
            self.other_targets = [self.objective.content_targets(x) for x in self.other_x]
            # Normalisers: each loss of the starting network (the instant look), averaged
            # over the keyframes; the adversarial term keeps LSGAN's scale (0.5).
            starts = [self._raw_losses(k, int(self.rng.integers(len(self.other_x))), False)
                      for k in range(len(self.key_x))]
        self.norm, self.gw, self.gatys_start = _normalisers(starts)
        self.state = TrainState()
        self.last: dict[str, float] = {}
        self._t0 = time.monotonic()
        if cfg.resume:
            latest = ckpt.latest_checkpoint(self.workdir)
            if latest is None:
                raise ckpt.CheckpointError(f"resume: no checkpoint in {str(self.workdir)!r} to continue from")
            self.restore(latest)

    def _build_models(self, loss_network: Any, dev: Any, painted: list[Any]) -> None:
        """The instant look of the painted keyframes (the generator's start), the
        discriminator, the loss network and objective, EMA and the optimisers."""
        import torch

        from ..model import PatchDiscriminator
        from ..model.arbitrary import magenta_network
        from .instant import style_embedding
        from .objective import StyleObjective
        from .optimize import GATYS_RECIPE
        from .schedule import EMA

        cfg = self.cfg
        emb, self.embedded = style_embedding([p for _, p in cfg.keyframes], working_colorspace=self.working,
                                             style_colorspace=cfg.painted_colorspace)
        self.embedding = [float(x) for x in emb]
        self.gen = magenta_network().bake(emb).to(dev).train().requires_grad_(True)
        # Seeded here, not only at the start: the first use of the arbitrary-style network
        # in a process builds (and caches) it, drawing from torch's generator, so without
        # this a process's first run and its later ones got different discriminators.
        torch.manual_seed(cfg.seed)
        self.disc = PatchDiscriminator(spectral_norm=True).to(dev)
        if loss_network is None:
            from ..model import load_vgg19
            loss_network = load_vgg19()
        self.vgg = loss_network.to(dev).eval()
        self.player = tuple(cfg.perceptual_layers)
        self.objective = StyleObjective(self.vgg, [t.to(dev) for t in painted],
                                        content_layer=GATYS_RECIPE["content_layer"],
                                        style_layers=GATYS_RECIPE["style_layers"])
        self.ema = EMA(self.gen, cfg.ema_decay)
        self.opt_g = torch.optim.Adam(self.gen.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=cfg.d_lr, betas=(0.5, 0.999))

    def _raw_losses(self, k: int, u: int, train_d: bool) -> dict[str, Any]:
        """Keyframe ``k`` and other frame ``u``: the discriminator's step (``train_d``)
        and the generator's unweighted losses."""
        import torch

        from ..model import losses as L

        gen, disc, cfg = self.gen, self.disc, self.cfg
        y_k = gen(self.key_x[k])
        y_u = gen(self.other_x[u])
        out: dict[str, Any] = {}
        if train_d and cfg.adv_weight > 0:
            disc.requires_grad_(True)
            real = disc(self.key_y[k])
            fake = disc(torch.cat([y_k.detach(), y_u.detach()]))
            loss_d = L.discriminator_loss(real.float(), fake.float(), "lsgan")
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            out["d_loss"] = loss_d.detach()
        out["recon"] = (y_k - self.key_y[k]).abs().mean()
        f = self.vgg(y_k, self.player)
        out["perceptual"] = sum(((f[n] - self.key_feats[k][n]) ** 2).mean() for n in self.player)
        parts = self.objective(y_u, self.other_targets[u])
        out["style"] = parts["style"]
        out["content"] = parts["content"]
        if cfg.adv_weight > 0:
            disc.requires_grad_(False)
            out["adv"] = L.generator_adversarial_loss(disc(torch.cat([y_k, y_u])).float(), "lsgan")
        return out

    def train_step(self) -> dict[str, float]:
        """One generator (and discriminator) update; advances ``state.step``.

        Raises:
            TrainingDivergedError: the loss became NaN or infinite (as :func:`train`).
        """
        from ..errors import TrainingDivergedError
        from .schedule import lr_factor

        cfg, step = self.cfg, self.state.step
        f = lr_factor(step, cfg.steps, min(20, max(1, cfg.steps // 20)), 0.1)
        _set_lr(self.opt_g, cfg.lr * f)
        _set_lr(self.opt_d, cfg.d_lr * f)
        k = int(self.rng.integers(len(self.key_x)))
        u = int(self.rng.integers(len(self.other_x)))
        parts = self._raw_losses(k, u, True)
        gatys = (self.gw * parts["style"] + parts["content"]) / self.gatys_start
        total = (cfg.recon_weight * parts["recon"] / self.norm["recon"]
                 + cfg.perceptual_weight * parts["perceptual"] / self.norm["perceptual"]
                 + cfg.style_weight * gatys)
        if "adv" in parts:
            total = total + cfg.adv_weight * parts["adv"] / 0.5
        self.opt_g.zero_grad(set_to_none=True)
        total.backward()
        self.opt_g.step()
        self.ema.update(self.gen)
        last = {name: float(v.detach()) for name, v in parts.items()}
        last["total"] = float(total.detach())
        if not math.isfinite(last["total"]):
            raise TrainingDivergedError(
                f"training diverged at step {step} (loss {last['total']}); lower the learning rate "
                "or the loss weights")
        self.state.step += 1
        self.last = last
        if self.callback is not None:
            self.callback(self.state.step, dict(last))
        return last

    def _elapsed(self) -> float:
        return time.monotonic() - self._t0

    def save_checkpoint(self) -> Path:
        """Write ``workdir/checkpoint-<step>.safetensors`` (the newest two are kept)."""
        from . import checkpoint as ckpt

        tensors, models = ckpt.models_state(self.gen, self.disc, self.ema, self.opt_g, self.opt_d)
        state = {**self.state.to_json(elapsed_now=self._elapsed()), "kind": "keyframe",
                 "working_colorspace": self.working, "embedding": self.embedding, **models,
                 "frame_rng": self.rng.bit_generator.state, "last": self.last,
                 "normalisers": {**self.norm, "gw": self.gw, "gatys": self.gatys_start}}
        path = ckpt.save_checkpoint(ckpt.checkpoint_path(self.workdir, self.state.step), tensors, state)
        ckpt.keep_newest_two(self.workdir, path)
        return path

    def restore(self, path: Path) -> None:
        """Load the models, optimisers, random states, normalisers and step of a checkpoint.

        Raises:
            CheckpointError: damaged, or of another kind of run, working space or keyframes.
        """
        from . import checkpoint as ckpt
        from .state import TrainState

        tensors, state = ckpt.load_checkpoint(path)
        if state.get("kind") != "keyframe" or state.get("working_colorspace") != self.working:
            raise ckpt.CheckpointError(
                f"checkpoint {str(path)!r} is not of a keyframe look trained in {self.working!r}; "
                "resume with the same settings or use another workdir=")
        if not np.allclose(state.get("embedding", []), self.embedding, atol=1e-5):
            raise ckpt.CheckpointError(f"checkpoint {str(path)!r} was trained from other painted keyframes")

        ckpt.load_models_state(path, tensors, state, self.gen, self.disc, self.ema, self.opt_g, self.opt_d)
        self.rng.bit_generator.state = state["frame_rng"]
        norm = dict(state["normalisers"])
        self.gw, self.gatys_start = float(norm.pop("gw")), float(norm.pop("gatys"))
        self.norm = {k: float(v) for k, v in norm.items()}
        self.last = {k: float(v) for k, v in (state.get("last") or {}).items()}
        self.state = TrainState.from_json(state)
        self.metrics.truncate_after(self.state.step)
        log.info("resumed from %s at step %d", path, self.state.step)

    def run(self, cancel: Callable[[], bool] | None = None) -> KeyframeResult:
        """Train on the shared loop, then write the look (unless cancelled).

        Raises:
            TrainingInterrupted: Ctrl-C or SIGTERM, after a checkpoint.
            TrainingDivergedError: the loss became NaN or infinite.
        """
        from ..errors import TrainingInterrupted
        from ..model import save_look
        from .runtime import StopFlag
        from .state import LoopSchedule, training_loop

        cfg, st = self.cfg, self.state
        self._t0 = time.monotonic()
        before = st.elapsed
        schedule = LoopSchedule(steps=cfg.steps, log_every=cfg.log_every, eval_every=cfg.steps,
                                checkpoint_every=cfg.checkpoint_every, time_limit=cfg.time_limit)

        def show(step: int, _shown: dict[str, float]) -> None:
            if self.progress is not None:
                self.progress.update(step, {"recon": self.last["recon"], "style": self.last["style"]})

        with StopFlag() as flag:
            outcome = training_loop(
                st, schedule, step=self.train_step, evaluate=lambda: None, checkpoint=self.save_checkpoint,
                record=self.metrics.write, show=show, elapsed=lambda: before + self._elapsed(),
                signalled=lambda: flag.signal is not None,
                stop_here=lambda _step: cancel is not None and bool(cancel()))
        if self.progress is not None:
            self.progress.close()
        checkpoint = outcome.checkpoint
        if outcome.interrupted and (checkpoint is None or not checkpoint.name.endswith(f"{st.step:08d}.safetensors")):
            checkpoint = self.save_checkpoint()
        if outcome.interrupted and flag.signal is not None:
            raise TrainingInterrupted(st.step, checkpoint)
        seconds = before + self._elapsed()
        look: Path | None = None
        if not outcome.interrupted or outcome.time_up:
            training = {"shot_frames": len(self.shot), "steps": st.step, "seconds": round(seconds, 1),
                        "time_limited": outcome.time_up, "normalisers": {**self.norm, "gatys": self.gatys_start}}
            meta = _metadata(cfg, self.working, self.frame_height, training, self.last,
                             {"embedding": self.embedding, "styles": self.embedded, "fine_tuned": st.step > 0})
            look = save_look(self.ema.module.eval(), cfg.out, meta)
        return KeyframeResult(look, st.step, seconds, dict(self.last), self.frames, outcome.time_up,
                              interrupted=outcome.interrupted and not outcome.time_up, checkpoint=checkpoint,
                              workdir=self.workdir)


def train_keyframe_look(cfg: KeyframeConfig, *, loss_network: Any = None,
                        progress: Any = None,
                        callback: Callable[[int, dict[str, float]], None] | None = None,
                        cancel: Callable[[], bool] | None = None) -> KeyframeResult:
    """Train a look that carries the painted keyframes across the shot (Texler et al. 2020).

    Every input is read and checked before any training: a keyframe plate that is not a
    frame of the shot, a painted frame that cannot be read or differs in size from its
    plate, a shot frame of another size → :class:`~vfx_nodes.errors.TrainingDataError`.
    The run is :class:`KeyframeRun` on the project's one training loop: checkpoints in
    ``cfg.workdir`` every ``checkpoint_every`` steps, ``resume``, the time limit, Ctrl-C /
    SIGTERM (:class:`~vfx_nodes.errors.TrainingInterrupted` after a checkpoint) and
    ``cancel`` as :func:`vfx_nodes.train.train` has them.

    Args:
        cfg: the run (:class:`KeyframeConfig`).
        loss_network: a ready VGG19 (default :func:`vfx_nodes.model.load_vgg19`).
        progress: ``progress(fraction, message)`` (the project's one protocol,
            :mod:`vfx_nodes.policy.progress`), or a
            :class:`~vfx_nodes.train.progress.Progress` line (``None``: quiet).
        callback: ``callback(step, losses)`` after each step (the losses, for a caller
            that plots them; progress is ``progress``'s).
        cancel: a callable returning ``True`` to stop after the current step (checkpoint
            written, no look; ``resume`` continues).

    Returns:
        A :class:`KeyframeResult`; the look is at ``cfg.out`` (written atomically).

    Raises:
        TrainingDataError: bad settings or inputs (before any work).
        TrainingDivergedError: the loss became NaN or infinite.
        TrainingInterrupted: Ctrl-C or SIGTERM (after a checkpoint).
    """
    return KeyframeRun(cfg, loss_network=loss_network, progress=progress, callback=callback).run(cancel)

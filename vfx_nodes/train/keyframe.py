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

__all__ = ["KeyframeConfig", "KeyframeResult", "parse_keyframe", "train_keyframe_look"]

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
        overwrite: replace an existing ``out`` (default: refused before any work).
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
    overwrite: bool = False
    #: deprecated spelling of ``working_colorspace`` (one release)
    working_space: str | None = None

    def __post_init__(self) -> None:
        from ..policy.names import deprecated_alias

        self.working_colorspace = deprecated_alias("working_colorspace", self.working_colorspace,
                                                   "working_space", self.working_space)
        self.working_space = None

    def validate(self) -> None:
        """Raise :class:`~vfx_nodes.errors.TrainingDataError` for settings that cannot train."""
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise TrainingDataError(f"steps must be a positive integer, got {self.steps!r}")
        if self.time_limit is not None and not (self.time_limit > 0 and math.isfinite(self.time_limit)):
            raise TrainingDataError(f"time limit must be a positive number of minutes, got {self.time_limit!r}")
        if isinstance(self.frame_height, bool) or not isinstance(self.frame_height, int) or self.frame_height < 32:
            raise TrainingDataError(f"frame height must be an integer ≥ 32, got {self.frame_height!r}")
        for name in ("lr", "d_lr"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and v > 0 and math.isfinite(v)):
                raise TrainingDataError(f"{name} must be a positive number, got {v!r}")
        for name in ("recon_weight", "perceptual_weight", "style_weight", "adv_weight"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and v >= 0 and math.isfinite(v)):
                raise TrainingDataError(f"{name} must be a number ≥ 0, got {v!r}")
        if not 0 <= self.ema_decay < 1:
            raise TrainingDataError(f"ema decay must be in [0, 1), got {self.ema_decay!r}")
        if not self.keyframes:
            raise TrainingDataError("a keyframe look needs keyframes= (at least one PLATE=PAINTED pair)")
        self._validate_out()

    def _validate_out(self) -> None:
        """The look file can be written, and nothing earlier is replaced without ``overwrite``."""
        from ..policy.paths import check_output_path

        if not Path(self.out).parent.is_dir():
            raise TrainingDataError(f"the folder of out= {str(self.out)!r} does not exist")
        check_output_path(self.out, TrainingDataError, "look", create_folders=False)
        if os.path.exists(self.out) and not self.overwrite:
            raise TrainingDataError(f"the look {str(self.out)!r} exists (an earlier run's); pass overwrite=True "
                                    "(--overwrite) to replace it, or choose another out=")


@dataclasses.dataclass
class KeyframeResult:
    """What :func:`train_keyframe_look` did.

    Attributes:
        look: the look file written.
        steps: generator updates made.
        seconds: wall time of the training loop.
        losses: the last step's raw losses (``recon``, ``perceptual``, ``style``,
            ``content``, ``adv``).
        frames: shot frames used (keyframes included).
        time_limited: the time limit stopped the run before ``steps``.
    """

    look: Path
    steps: int
    seconds: float
    losses: dict[str, float]
    frames: int
    time_limited: bool = False


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


def _after_step(step: int, last: dict[str, float], progress: Any, callback: Any) -> None:
    """Stop a diverged run with one error; else report the step."""
    if not math.isfinite(last["total"]):
        raise TrainingDataError(f"keyframe training diverged at step {step} (loss {last['total']}); "
                                "lower the learning rate")
    if progress is not None:
        progress.update(step, {"recon": last["recon"], "style": last["style"]})
    if callback is not None:
        callback(step, dict(last))


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


def train_keyframe_look(cfg: KeyframeConfig, *, loss_network: Any = None,
                        progress: Any = None,
                        callback: Callable[[int, dict[str, float]], None] | None = None
                        ) -> KeyframeResult:
    """Train a look that carries the painted keyframes across the shot (Texler et al. 2020).

    Every input is read and checked before any training: a keyframe plate that is not a
    frame of the shot, a painted frame that cannot be read or differs in size from its
    plate, a shot frame of another size → :class:`~vfx_nodes.errors.TrainingDataError`.

    Args:
        cfg: the run (:class:`KeyframeConfig`).
        loss_network: a ready VGG19 (default :func:`vfx_nodes.model.load_vgg19`).
        progress: a :class:`~vfx_nodes.train.progress.Progress` (or ``None``: quiet).
        callback: ``callback(step, losses)`` after each step.

    Returns:
        A :class:`KeyframeResult`; the look is at ``cfg.out`` (written atomically).
    """
    import torch

    from ..model import PatchDiscriminator, save_look
    from ..model import losses as L
    from ..model.arbitrary import magenta_network
    from ..policy.colour import DEFAULT_WORKING_SPACE
    from .instant import style_embedding
    from .objective import StyleObjective
    from .optimize import GATYS_RECIPE
    from .schedule import EMA, lr_factor

    cfg.validate()
    working = cfg.working_colorspace or DEFAULT_WORKING_SPACE
    key_plates, painted, others, shot = _prepare(cfg, working)
    from ..model.device import training_device

    device = training_device(cfg.device)
    dev = torch.device(device)
    unpaired = others or key_plates  # a shot of keyframes only: they are the other frames too

    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    painted_paths = [p for _, p in cfg.keyframes]
    emb, embedded = style_embedding(painted_paths, working_colorspace=working,
                                    style_colorspace=cfg.painted_colorspace)
    gen = magenta_network().bake(emb).to(dev).train().requires_grad_(True)
    disc = PatchDiscriminator(spectral_norm=True).to(dev)
    if loss_network is None:
        from ..model import load_vgg19
        loss_network = load_vgg19()
    vgg = loss_network.to(dev).eval()
    objective = StyleObjective(vgg, [t.to(dev) for t in painted],
                               content_layer=GATYS_RECIPE["content_layer"],
                               style_layers=GATYS_RECIPE["style_layers"])
    player = tuple(cfg.perceptual_layers)
    key_x = [t[None].to(dev) for t in key_plates]
    key_y = [t[None].to(dev) for t in painted]
    with torch.no_grad():
        key_feats = [vgg(y, player) for y in key_y]
    other_x = [t[None].to(dev) for t in unpaired]
    with torch.no_grad():
        other_targets = [objective.content_targets(x) for x in other_x]
    ema = EMA(gen, cfg.ema_decay)
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.d_lr, betas=(0.5, 0.999))

    def raw_losses(k: int, u: int, train_d: bool) -> dict[str, Any]:
        y_k = gen(key_x[k])
        y_u = gen(other_x[u])
        out: dict[str, Any] = {}
        if train_d and cfg.adv_weight > 0:
            for p in disc.parameters():
                p.requires_grad_(True)
            real = disc(key_y[k])
            fake = disc(torch.cat([y_k.detach(), y_u.detach()]))
            loss_d = L.discriminator_loss(real.float(), fake.float(), "lsgan")
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            out["d_loss"] = loss_d.detach()
        out["recon"] = (y_k - key_y[k]).abs().mean()
        f = vgg(y_k, player)
        out["perceptual"] = sum(((f[n] - key_feats[k][n]) ** 2).mean() for n in player)
        parts = objective(y_u, other_targets[u])
        out["style"] = parts["style"]
        out["content"] = parts["content"]
        if cfg.adv_weight > 0:
            for p in disc.parameters():
                p.requires_grad_(False)
            out["adv"] = L.generator_adversarial_loss(disc(torch.cat([y_k, y_u])).float(), "lsgan")
        return out

    # Normalisers: each loss of the starting network (the instant look), averaged over
    # the keyframes; the adversarial term has no meaningful start value (the untrained
    # discriminator's) and keeps LSGAN's scale (0.5 for a fooled-by-nothing generator).
    with torch.no_grad():
        starts = [raw_losses(k, int(rng.integers(len(other_x))), False) for k in range(len(key_x))]
    norm, gw, gatys_start = _normalisers(starts)

    t0 = time.monotonic()
    step = 0
    last: dict[str, float] = {}
    time_limited = False
    warmup = min(20, max(1, cfg.steps // 20))
    while step < cfg.steps:
        if cfg.time_limit is not None and time.monotonic() - t0 > cfg.time_limit * 60:
            time_limited = True
            break
        f = lr_factor(step, cfg.steps, warmup, 0.1)
        _set_lr(opt_g, cfg.lr * f)
        _set_lr(opt_d, cfg.d_lr * f)
        k = int(rng.integers(len(key_x)))
        u = int(rng.integers(len(other_x)))
        parts = raw_losses(k, u, True)
        gatys = (gw * parts["style"] + parts["content"]) / gatys_start
        total = (cfg.recon_weight * parts["recon"] / norm["recon"]
                 + cfg.perceptual_weight * parts["perceptual"] / norm["perceptual"]
                 + cfg.style_weight * gatys)
        if "adv" in parts:
            total = total + cfg.adv_weight * parts["adv"] / 0.5
        opt_g.zero_grad(set_to_none=True)
        total.backward()
        opt_g.step()
        ema.update(gen)
        step += 1
        last = {k: float(v.detach()) for k, v in parts.items()}
        last["total"] = float(total.detach())
        _after_step(step, last, progress, callback)
    seconds = time.monotonic() - t0
    if progress is not None:
        progress.close()

    look_gen = ema.module.eval()
    training = {"shot_frames": len(shot), "steps": step, "seconds": round(seconds, 1),
                "time_limited": time_limited, "normalisers": {**norm, "gatys": gatys_start}}
    meta = _metadata(cfg, working, int(key_plates[0].shape[-2]), training, last,
                     {"embedding": [float(x) for x in emb], "styles": embedded, "fine_tuned": step > 0})
    path = save_look(look_gen, cfg.out, meta)
    return KeyframeResult(path, step, seconds, {k: v for k, v in last.items()},
                          len(key_x) + len(others), time_limited)

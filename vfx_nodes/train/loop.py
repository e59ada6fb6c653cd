"""The adversarial training loop of a look.

One step (Johnson et al. 2016 for the perceptual part, pix2pix/CycleGAN for the
adversarial part, Isola et al. 2017; Zhu et al. 2017):

1. a batch of random crops (with flips) of the training plates, in the working space;
2. the generator stylises it;
3. **discriminator update** (when ``adv_weight > 0``): the PatchGAN judges random crops
   of the style images (real) against the stylised batch (fake, detached); Adam with
   lr 2e-4, β1 = 0.5 (CycleGAN);
4. **generator update**: content loss (VGG19 features of the plate), Gram style loss
   (VGG19 features of the style images), total variation and the adversarial loss
   (the updated discriminator on the stylised batch); Adam with lr 1e-3 (Johnson);
5. the exponential moving average of the generator weights follows (the EMA is what is
   evaluated and saved).

Learning rates follow a linear warm-up and cosine decay; gradients are optionally
clipped; on CUDA the forward passes run under bf16 autocast (no loss scaling needed for
bf16), on CPU in float32.  Crops are drawn from a generator seeded by
``(seed, rank, step)``, so a run is reproducible on CPU and a resumed run draws exactly
the batches an uninterrupted one would.

Every ``eval_every`` steps the EMA generator is evaluated on the held-out split (see
:mod:`vfx_nodes.train.evaluate`); the best look by the combined score and the last look
are kept.  Every ``checkpoint_every`` steps (and on Ctrl-C / SIGTERM) a checkpoint is
written (see :mod:`vfx_nodes.train.checkpoint`); ``resume=True`` continues from the
latest one.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import TrainingDivergedError, TrainingInterrupted
from ..policy.progress import ProgressFn
from . import checkpoint as ckpt
from .config import (  # the settings and the plan step: train/config.py (re-exported here)
    ARCH_CHOICES,
    FINE_TUNE_RECIPE,
    INIT_CHOICES,
    SCRATCH_RECIPE,
    TrainConfig,
    TrainPlan,
    TrainResult,
    _filled,
    plan_training,
)
from .data import TrainData, file_sha256, load_training_data, random_crops
from .distributed import DistContext, init_distributed
from .progress import Progress, as_progress
from .runtime import Metrics, StopFlag, seed_everything
from .schedule import EMA, lr_factor, mix_weights
from .state import LoopSchedule, TrainState, json_number, training_loop

__all__ = ["ARCH_CHOICES", "FINE_TUNE_RECIPE", "INIT_CHOICES", "SCRATCH_RECIPE", "TrainConfig", "TrainData",
           "TrainPlan", "TrainResult", "TrainRun", "discriminator_accuracy", "load_training_data", "plan_training",
           "train"]

log = logging.getLogger(__name__)

# --- helpers ---------------------------------------------------------------------------


def _step_seed(seed: int, rank: int, step: int, stream: int) -> int:
    digest = hashlib.sha256(f"{seed}:{rank}:{step}:{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def _autocast(device: str, precision: str) -> Callable[[], Any]:
    # the project's one device/precision policy (vfx_nodes.model.device)
    from ..model.device import training_autocast

    return training_autocast(device, precision)


# --- the run ---------------------------------------------------------------------------


class TrainRun:
    """State of one training run (kept together so checkpointing sees all of it): its
    workdir, data (:func:`load_training_data`), models and optimisers on its device(s).

    ``TrainRun(config).run()`` is what :func:`train` does; tests and tools build one to
    look inside (``run.gen``, ``run.train_step()``, ``run.evaluate()``)."""

    def __init__(self, config: TrainConfig | TrainPlan, *, loss_network: Any = None,
                 progress: bool | Progress | ProgressFn = False, dist: DistContext | None = None,
                 device: str | None = None) -> None:
        plan = config if isinstance(config, TrainPlan) else plan_training(config)
        config = plan.config
        self.cfg = config
        self.plan = plan
        # The recipe as resolved (never None from here on).
        self.lr = plan.lr
        self.style_weight = plan.style_weight
        self.warmup = plan.warmup
        self.working_colorspace = plan.working_colorspace
        if dist is None:
            dist, device = init_distributed(config.device)
        self.dist = dist
        self.device = device or "cpu"
        self.workdir = plan.workdir
        self.out = plan.out
        self._prepare_workdir()
        self.metrics = Metrics(self.workdir / "metrics.jsonl", dist.is_main)
        seed_everything(config.seed)  # first: the models' initialisation depends on it

        data = load_training_data(plan)
        self.report, self.held_out, self.style_files, self.split = \
            data.report, data.held_out, data.style_files, data.split
        self.train_set, self.test_set, self.style_set = data.train_set, data.test_set, data.style_set
        self.view_set, self.detail_style = data.view_set, data.detail_style

        self._build_models(loss_network)
        self._place_on_devices()

        #: what the checkpoints record of the run's progress
        self.state = TrainState()
        self.history: list[dict[str, Any]] = []
        self.progress = as_progress(progress, config.steps, enabled=dist.is_main)

    def _prepare_workdir(self) -> None:
        """The run's folder (rank 0 makes it; an earlier run is set aside on --overwrite)."""
        if self.dist.is_main:
            self.workdir.mkdir(parents=True, exist_ok=True)
            (self.workdir / "sheets").mkdir(exist_ok=True)
            if self.cfg.overwrite and not self.cfg.resume:
                ckpt.set_aside_earlier_run(self.workdir)
        self.dist.barrier()

    def _build_models(self, loss_network: Any) -> None:
        """Generator (its start: built, or the arbitrary-style network), discriminator, the
        style objective on the loss network, and the EMA copy — on the run's device."""
        import torch

        from ..model import PatchDiscriminator, build_generator
        from .objective import StyleObjective

        config, dev = self.cfg, torch.device(self.device)
        self.init = self.plan.init
        self.embedding: list[float] | None = None
        self.embedded_styles: list[dict[str, Any]] = []
        gen = self._arbitrary_start(self.style_files) if self.init == "arbitrary" else build_generator(config.arch)
        self.gen = gen.to(dev)
        # the instant start's weights, for the written look's interpolation (look_module)
        self.start_weights: dict[str, Any] | None = (
            {k: v.detach().clone() for k, v in self.gen.state_dict().items()}
            if self.init == "arbitrary" and config.fine_tune_mix < 1 else None)
        # The discriminator's start from its own seed: the first use of the arbitrary-style
        # network in a process builds (and caches) it, drawing from torch's generator, so a
        # process's first run and its later ones would otherwise start differently.
        torch.manual_seed(_step_seed(config.seed, 0, 0, 3))
        self.disc = PatchDiscriminator(width=config.d_width, n_layers=config.d_layers,
                                       spectral_norm=config.d_spectral_norm).to(dev)
        if loss_network is None:
            from ..model import load_vgg19
            loss_network = load_vgg19(config.vgg_path)
        self.loss_network = loss_network.to(dev)
        self.objective = StyleObjective(
            self.loss_network, [t.to(dev) for t in self.style_set.images],
            content_layer=config.content_layer, style_layers=config.style_layers)
        from .evaluate import DETAIL_SIZE, painting_grams

        # the quality yardstick's reference: what "how much of the painting" is measured against
        self.read_grams = painting_grams(self.loss_network, self.style_set.images, config.size)
        self.detail_grams = None if self.detail_style is None else painting_grams(  # the 100 % view's
            self.loss_network, self.detail_style.images, DETAIL_SIZE)
        self.stale = 0  # evaluations in a row without a better look (early stop)
        self.start_content: float | None = None  # the start's held-out content loss (the guard)
        self.start_detail: float | None = None  # the start's held-out read at 1:1 (a fine-tune's guard)
        self.stopped_early = False
        self.ema = EMA(self.gen, config.ema_decay)

    def _place_on_devices(self) -> None:
        """DDP wrappers when distributed, the optimisers and the precision's autocast."""
        import torch

        config, dev = self.cfg, torch.device(self.device)
        self.gen_train: Any = self.gen
        self.disc_train: Any = self.disc
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP
            ids = [dev.index] if dev.type == "cuda" else None
            # DDP broadcasts rank 0's initial weights, so every rank starts equal.
            self.gen_train = DDP(self.gen, device_ids=ids)
            self.disc_train = DDP(self.disc, device_ids=ids)
        self.opt_g = torch.optim.Adam(self.gen.parameters(), lr=self.lr, betas=(0.9, 0.999))
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=config.d_lr, betas=(config.d_beta1, 0.999))
        self.autocast = _autocast(self.device, config.precision)

    def _arbitrary_start(self, style_files: Sequence[str]) -> Any:
        """The arbitrary-style network with the style images' blended embedding baked in."""
        from ..model.arbitrary import magenta_network
        from .instant import style_embedding

        emb, styles = style_embedding(list(style_files), working_colorspace=self.working_colorspace,
                                      style_colorspace=self.cfg.style_colorspace)
        self.embedding = [float(x) for x in emb]
        self.embedded_styles = styles
        return magenta_network().bake(emb).train().requires_grad_(True)

    # -- checkpoints ----------------------------------------------------------------

    def _checkpoint_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        from .evaluate import DETAIL_MEASURE

        tensors, models = ckpt.models_state(self.gen, self.disc, self.ema, self.opt_g, self.opt_d)
        state = {
            **self.state.to_json(elapsed_now=self._elapsed()),
            "config": self.cfg.to_json(),
            "arch": self.cfg.arch,
            "settings": dict(self.gen.settings),
            "working_colorspace": self.working_colorspace,
            **models,
            "split": self.split,
            "world_size": self.dist.world_size,
            "stale": self.stale,
            "start_content": self.start_content,
            "start_detail": self.start_detail,
            "detail_measure": DETAIL_MEASURE,
        }
        return tensors, state

    def save_checkpoint(self) -> Path | None:
        """Write ``workdir/checkpoint-<step>.safetensors`` (rank 0) and keep the last two."""
        path = None
        if self.dist.is_main:
            tensors, state = self._checkpoint_state()
            path = ckpt.save_checkpoint(ckpt.checkpoint_path(self.workdir, self.state.step), tensors, state)
            ckpt.keep_newest_two(self.workdir, path)
        self.dist.barrier()
        return path

    def restore(self, path: Path) -> None:
        """Load generator, discriminator, EMA, optimisers, RNG states and step."""
        from .evaluate import DETAIL_MEASURE

        tensors, state = ckpt.load_checkpoint(path)
        if state.get("arch") != self.cfg.arch or state.get("settings") != dict(self.gen.settings):
            raise ckpt.CheckpointError(
                f"checkpoint {str(path)!r} is of a {state.get('arch')!r} generator with settings "
                f"{state.get('settings')}; this run asks for {self.cfg.arch!r} {dict(self.gen.settings)} — "
                "resume with the same arch= or use another workdir=")
        if state.get("working_colorspace") != self.working_colorspace:
            raise ckpt.CheckpointError(
                f"checkpoint {str(path)!r} was trained in {state.get('working_colorspace')!r}, "
                f"this run asks for {self.working_colorspace!r}")

        ckpt.load_models_state(path, tensors, state, self.gen, self.disc, self.ema, self.opt_g, self.opt_d)
        self.stale = int(state.get("stale", 0))
        self.start_content = state.get("start_content")
        self.start_detail = state.get("start_detail")
        if self.start_detail is not None and state.get("detail_measure") != DETAIL_MEASURE:
            # written when the 1:1 guard measured something else: read the start again (on
            # the rank that evaluates), so the guard compares like with like
            remeasure = self.dist.is_main and self.view_set is not None
            self.start_detail = self._view_read(self._start_look())["detail"] if remeasure else None
            log.info("the checkpoint's 1:1 reference was another measure; the start read again: %s",
                     self.start_detail)
        self.state = TrainState.from_json(state)
        self.metrics.truncate_after(self.state.step)
        if self.dist.is_main:
            log.info("resumed from %s at step %d", path, self.state.step)

    # -- one step -------------------------------------------------------------------

    def _batch(self, step: int) -> tuple[Any, Any]:
        import torch

        cfg = self.cfg
        g = torch.Generator().manual_seed(_step_seed(cfg.seed, self.dist.rank, step, 0))
        content = random_crops(self.train_set.images, cfg.batch, cfg.size, g)
        style = random_crops(self.style_set.images, cfg.batch, cfg.size, g)
        return content.to(self.device, non_blocking=True), style.to(self.device, non_blocking=True)

    def _temporal(self, content: Any, fake: Any, out: dict[str, float]) -> Any:
        """The temporal objective on this step's batch (its own seeded random motions)."""
        import torch

        from .temporal import random_motion, temporal_loss

        g = torch.Generator().manual_seed(_step_seed(self.cfg.seed, self.dist.rank, self.state.step, 1))
        grid = random_motion(content.shape[0], content.shape[-2], content.shape[-1], g, content.device)
        loss = temporal_loss(self.gen_train, content, fake, grid, self.autocast)
        out["temporal"] = float(loss.detach())
        return loss

    def _set_lr(self, step: int) -> float:
        f = lr_factor(step, self.cfg.steps, self.warmup, self.cfg.min_lr_factor)
        for group in self.opt_g.param_groups:
            group["lr"] = self.lr * f
        for group in self.opt_d.param_groups:
            group["lr"] = self.cfg.d_lr * f
        return f

    def train_step(self) -> dict[str, float]:
        """One discriminator + generator update; returns the losses as floats."""
        import torch

        from ..model import losses as L

        cfg = self.cfg
        self.gen_train.train()
        self.disc_train.train()
        factor = self._set_lr(self.state.step)
        content, style = self._batch(self.state.step)
        out: dict[str, float] = {"lr": self.lr * factor}

        with self.autocast():
            fake = self.gen_train(content)
        adversarial = cfg.adv_weight > 0
        if adversarial:
            # Discriminator: real style patches against the (detached) stylised batch, in
            # one forward pass (one DDP reduction per step).
            for p in self.disc.parameters():
                p.requires_grad_(True)
            with self.autocast():
                logits = self.disc_train(torch.cat([style, fake.detach()]))
            real_logits, fake_logits = logits.float().chunk(2)
            loss_d = L.discriminator_loss(real_logits, fake_logits, cfg.adv_mode)
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.disc.parameters(), cfg.grad_clip)
            self.opt_d.step()
            out["d_loss"] = float(loss_d.detach())
            out["d_acc"] = discriminator_accuracy(real_logits.detach(), fake_logits.detach(), cfg.adv_mode)

        with self.autocast():
            targets = self.objective.content_targets(content)
            parts = self.objective(fake, targets)
        total = (cfg.content_weight * parts["content"] + self.style_weight * parts["style"]
                 + cfg.tv_weight * parts["tv"])
        if cfg.temporal_weight > 0:
            total = total + cfg.temporal_weight * self._temporal(content, fake, out)
        if adversarial:
            # The generator is judged by the *updated* discriminator, whose weights do
            # not move in this half-step (and, unwrapped, trigger no DDP reduction).
            for p in self.disc.parameters():
                p.requires_grad_(False)
            with self.autocast():
                g_logits = self.disc(fake)
            adv = L.generator_adversarial_loss(g_logits.float(), cfg.adv_mode)
            total = total + cfg.adv_weight * adv
            out["adv"] = float(adv.detach())
        self.opt_g.zero_grad(set_to_none=True)
        total.backward()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.gen.parameters(), cfg.grad_clip)
        self.opt_g.step()
        self.ema.update(self.gen)
        out.update({k: float(v.detach()) for k, v in parts.items()})
        out["total"] = float(total.detach())
        if not math.isfinite(out["total"]):
            raise TrainingDivergedError(
                f"training diverged at step {self.state.step} (loss {out['total']}); lower the learning "
                "rate or the loss weights, or clip the gradients (grad_clip)")
        self.state.step += 1
        return out

    # -- evaluation -----------------------------------------------------------------

    def evaluate(self, baseline: bool = False) -> dict[str, Any]:
        """Evaluate the EMA generator, keep the best look, write the contact sheet.

        ``baseline=True`` evaluates the untrained generator (step 0): it is logged (the
        reference the trained look is compared with) but never kept as the best look.
        """
        import torch

        from .evaluate import contact_sheet, evaluate_generator, read_ratio

        cfg = self.cfg
        record: dict[str, Any] = {}
        if self.dist.is_main:
            images = self.test_set.images[: cfg.max_eval_images]
            look = self.look_module()  # what would be written
            res = evaluate_generator(look, images, self.objective, size=cfg.size,
                                     device=self.device)
            if cfg.temporal_weight > 0:
                from .data import center_crop
                from .temporal import held_out_temporal

                crops = torch.stack([center_crop(t, cfg.size) for t in images]).float().to(self.device)
                res["losses"]["temporal"] = held_out_temporal(look, crops, seed=cfg.seed)
            view: dict[str, Any] = {}
            detail = None
            if self.view_set is None:
                read = read_ratio(self.loss_network, self.read_grams, res["before"], res["after"])
                guarded = float(res["losses"]["content"])
            else:
                v = self._view_read(look)
                read, guarded, detail = v["read"], v["content"], v["detail"]
                view = {"view_content": json_number(guarded), "read_1to1": json_number(detail)}
            s = self._selection_score(res["losses"], read, guarded, detail)
            st = self.state
            record = {"kind": "eval", "step": st.step, "held_out": self.held_out,
                      **{k: json_number(v) for k, v in res["losses"].items()}, "read": json_number(read),
                      **view, "score": json_number(s)}
            if baseline:
                record["baseline"] = True
            # An arbitrary-style start is already a look (the instant one): if fine-tuning
            # never beats it, it is the one kept.
            candidate = not baseline or self.init == "arbitrary"
            if candidate and s < st.best_score:
                st.best_score, st.best_step = s, st.step
                self._save_look(self.out, res["losses"])
                record["best"] = True
            if not baseline:
                self.stale = 0 if record.get("best") else self.stale + 1
            sheet = self.workdir / "sheets" / f"step-{st.step:08d}.png"
            contact_sheet(res["before"], res["after"], sheet, self.working_colorspace)
            record["sheet"] = str(sheet)
            self.metrics.write(record)
            st.last_eval = record
            self.history.append(record)
            self.progress.message(
                f"eval step {st.step}: content={res['losses']['content']:.4g} "
                f"style={res['losses']['style']:.4g} tv={res['losses']['tv']:.4g} read={read:.3f} score={s:.4g}"
                + ("  (best)" if record.get("best") else ""))
        self.dist.barrier()
        return record

    def _view_read(self, look: Any) -> dict[str, Any]:
        """``look`` judged as it renders: an arbitrary-style start renders at two stroke
        scales, so it is read on whole held-out frames at the frame's view and at 1:1, by
        the yardstick's style and content (:func:`~vfx_nodes.train.evaluate.evaluate_view`)."""
        from .evaluate import evaluate_view
        from .instant import DEFAULT_FRAME_HEIGHT

        assert self.view_set is not None
        return evaluate_view(look, self.view_set.images, self.loss_network, self.read_grams,
                             coarse_rows=DEFAULT_FRAME_HEIGHT, detail_grams=self.detail_grams,
                             scales=self.view_set.scales, device=self.device)

    def _start_look(self) -> Any:
        """The instant start this fine-tune began from (eval mode): its kept weights, or —
        with ``fine_tune_mix = 1``, which keeps none — the arbitrary network baked again
        with the run's style embedding."""
        import numpy as np
        import torch

        if self.start_weights is not None:
            return mix_weights(self.ema.module, self.start_weights, 0.0)
        from ..model.arbitrary import magenta_network

        emb = np.asarray(self.embedding, dtype=np.float32)
        return magenta_network().bake(emb).to(torch.device(self.device)).eval()

    def _selection_score(self, losses: dict[str, float], read: float, content: float,
                         detail: float | None = None) -> float:
        """What picks the best look (lower is better): with ``select_by="read"`` the
        held-out read ratio, ``inf`` for a look whose held-out ``content`` loss passed the
        guard (the start's × ``content_guard``, for a look that starts as one) or — a
        fine-tune judged at both views — whose read at 1:1 (``detail``) is worse than the
        start's; with ``"losses"`` the training's weighted losses."""
        from .evaluate import score

        cfg = self.cfg
        if cfg.select_by == "losses":
            return score(losses, cfg.content_weight, self.style_weight, cfg.tv_weight, cfg.temporal_weight)
        if self.start_content is None:
            self.start_content, self.start_detail = content, detail  # the start: the guards' reference
            return read
        if self.init == "arbitrary" and content > cfg.content_guard * self.start_content:
            return math.inf
        if detail is not None and self.start_detail is not None and detail > self.start_detail:
            return math.inf  # never worse than the start at 1:1
        return read

    def look_module(self) -> Any:
        """The generator the run would write now — what is evaluated is what is written:
        the EMA generator; for a fine-tune of the instant start, its weights halfway (by
        ``fine_tune_mix``) to the start's (:func:`~vfx_nodes.train.schedule.mix_weights`;
        on four real photographs unlike the CG training frames, the fine-tuned weights
        alone moved the structure 1.6× as much as the start, halfway 1.25×:
        benchmarks/RESULTS.md, "A fine-tune halfway to its start")."""
        if self.start_weights is None:
            return self.ema.module
        return mix_weights(self.ema.module, self.start_weights, self.cfg.fine_tune_mix)

    def _save_look(self, path: Path, losses: dict[str, float]) -> None:
        from .._version import __version__
        from ..model import save_look

        cfg = self.cfg
        training = {
            "styles": [{"name": os.path.basename(p), "sha256": file_sha256(p)} for p in self.style_set.names],
            "content": {"train_images": len(self.train_set), "test_images": len(self.test_set),
                        "held_out": self.held_out, "unreadable": len(self.report.unreadable)},
            "steps": self.state.step,
            "final_losses": {k: json_number(v) for k, v in losses.items()},
            "score": json_number(score_from(losses, cfg)),
            "best_step": self.state.best_step,
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "library_version": __version__,
            "recipe": {k: cfg.to_json()[k] for k in (
                "size", "batch", "lr", "d_lr", "d_beta1", "content_weight", "style_weight",
                "tv_weight", "adv_weight", "temporal_weight", "seed", "warmup", "min_lr_factor", "grad_clip",
                "ema_decay", "style_size", "content_layer", "style_layers", "adv_mode", "arch",
                "init", "time_limit")},
            "world_size": self.dist.world_size,
        }
        training["init"] = self.init
        # Strokes are sized for the frames the crops came from: images are rescaled to a
        # short side of `size` before cropping (data.load_image_set).
        meta: dict[str, Any] = {"working_colorspace": self.working_colorspace, "training": training,
                                "frame_height": int(cfg.size)}
        if self.view_set is not None:
            from .instant import DEFAULT_DETAIL_HEIGHT, DEFAULT_FRAME_HEIGHT

            # Rendered as it was judged (evaluate): the instant look's two stroke scales.
            meta.update(frame_height=DEFAULT_FRAME_HEIGHT, detail_height=DEFAULT_DETAIL_HEIGHT)
        if self.embedding is not None:
            from ..model.arbitrary import PROVENANCE

            meta["arbitrary"] = {"embedding": self.embedding, "styles": self.embedded_styles,
                                 "fine_tuned": self.state.step > 0, **PROVENANCE}
        if self.start_weights is not None:
            training["fine_tune_mix"] = float(cfg.fine_tune_mix)
        save_look(self.look_module(), path, meta)

    def _elapsed(self) -> float:
        return time.monotonic() - self._t0 if hasattr(self, "_t0") else 0.0

    # -- the loop -------------------------------------------------------------------

    def run(self, stop_at: int | None = None, cancel: Callable[[], bool] | None = None) -> TrainResult:
        """The loop (:func:`~vfx_nodes.train.state.training_loop`) with this run's step,
        evaluation and checkpoints, then the last look; see :func:`train`."""
        cfg = self.cfg
        st = self.state
        self._t0 = time.monotonic()
        self.progress.start = st.step
        self.progress.total = cfg.steps
        if st.step == 0 and cfg.eval_at_start:
            self.evaluate(baseline=True)

        def stop_here(step: int) -> bool:
            # A caller's Cancel (the Look Lab) stops like stop_at: checkpoint, no raise.
            if cfg.select_by == "read" and cfg.patience > 0 and self.stale >= cfg.patience:
                self.stopped_early = True  # the held-out read got no better: a finished run
                return True
            return (stop_at is not None and step >= stop_at) or (cancel is not None and bool(cancel()))

        def agree(stop: bool) -> bool:
            # Every rank stops at the same step (rank clocks differ slightly).
            return self.dist.all_reduce_mean(float(stop)) > 0 if self.dist.enabled else stop

        with StopFlag() as flag:
            try:
                outcome = training_loop(
                    st, LoopSchedule.of(cfg), step=self.train_step, evaluate=self.evaluate,
                    checkpoint=self.save_checkpoint, record=self.metrics.write, show=self.progress.update,
                    elapsed=self._elapsed, signalled=lambda: flag.signal is not None,
                    stop_here=stop_here, agree=agree)
            except KeyboardInterrupt:
                # A second Ctrl-C: stop without waiting; the last checkpoint stays.
                self.progress.close()
                raise
        self.progress.close()
        last_ckpt = outcome.checkpoint
        if outcome.time_up:
            # Out of time: judge the weights reached so the best look is up to date.
            if st.last_eval.get("step") != st.step:
                self.evaluate()
            if self.dist.is_main:
                log.info("time limit of %g min reached at step %d", cfg.time_limit, st.step)
        if outcome.interrupted:
            if last_ckpt is None or not last_ckpt.name.endswith(f"{st.step:08d}.safetensors"):
                last_ckpt = self.save_checkpoint()
            if flag.signal is not None:
                # The library does not print: the caller (the CLI) says where to resume.
                raise TrainingInterrupted(st.step, last_ckpt)
        # An early stop (the held-out read got no better for `patience` evaluations) is
        # a finished run: the best look is kept, the last one written.
        finished = not outcome.interrupted or outcome.time_up or self.stopped_early
        if self.stopped_early and self.dist.is_main:
            log.info("stopped early at step %d: %d evaluations without a better look", st.step, cfg.patience)
        last = self.workdir / "last.safetensors"
        if self.dist.is_main and finished:
            self._save_look(last, losses_from(st.last_eval) or {})
        self.dist.barrier()
        return TrainResult(
            look_path=self.out, last_look_path=last, workdir=self.workdir, steps=st.step,
            seconds=self._elapsed(), best_score=st.best_score, best_step=st.best_step,
            final_losses=losses_from(st.last_eval), metrics=self.metrics.path,
            unreadable=list(self.report.unreadable), interrupted=outcome.interrupted and not self.stopped_early,
            checkpoint=last_ckpt, history=self.history, time_limited=outcome.time_up,
            stopped_early=self.stopped_early)


def discriminator_accuracy(real_logits: Any, fake_logits: Any, mode: str = "lsgan") -> float:
    """Share of patches the discriminator classifies right (real above, fake below the
    decision threshold: 0.5 for LSGAN's 0/1 targets, 0 for hinge and BCE logits).

    0.5 means it cannot tell style patches from stylised plates; 1.0 means it always can
    (the generator then gets little useful signal).  A healthy run stays in between.
    """
    thr = 0.5 if mode == "lsgan" else 0.0
    real = float((real_logits > thr).float().mean())
    fake = float((fake_logits < thr).float().mean())
    return 0.5 * (real + fake)


def losses_from(record: dict[str, Any]) -> dict[str, float]:
    """The content/style/tv losses of an evaluation record."""
    return {k: float(record[k]) for k in ("content", "style", "tv", "temporal") if record.get(k) is not None}


def score_from(losses: dict[str, float], cfg: TrainConfig) -> float:
    """The documented combined score of ``losses`` under ``cfg``'s weights."""
    from .evaluate import score
    weight = cfg.resolved().style_weight
    return score(losses, cfg.content_weight, float(_filled(weight, "style_weight")), cfg.tv_weight,
                 cfg.temporal_weight)


def train(config: TrainConfig | TrainPlan, *, loss_network: Any = None,
          progress: bool | Progress | ProgressFn = False, stop_at: int | None = None,
          cancel: Any = None) -> TrainResult:
    """Train a look.

    Args:
        config: the run (see :class:`TrainConfig`), or its :class:`TrainPlan` from
            :func:`plan_training` (everything checked before any work).
        loss_network: a ready :class:`vfx_nodes.model.VGG19Features` (default: loaded from
            the bundled weights, or ``config.vgg_path``).
        progress: ``progress(fraction, message)`` (the project's one protocol,
            :mod:`vfx_nodes.policy.progress`: the share of the steps done and the
            progress line's text); ``True`` prints the progress line to stderr (or give a
            :class:`Progress` to use); default quiet — the library does not print unless
            asked, the CLI asks.
        stop_at: stop (with a checkpoint) once this step is reached, as a time-limited
            farm task would; ``resume=True`` continues.
        cancel: a :class:`threading.Event` or a callable returning ``True`` to stop after
            the current step, like ``stop_at`` (checkpoint written, ``interrupted`` set,
            nothing raised): the Look Lab's Cancel button.

    Returns:
        A :class:`TrainResult`.

    Raises:
        TrainingDataError: no usable content or style images.
        TrainingDivergedError: the losses became NaN or infinite.
        SettingsError: a setting out of range.
        KeyboardInterrupt: after Ctrl-C or SIGTERM, once the checkpoint is written.
    """
    run = TrainRun(config, loss_network=loss_network, progress=progress)
    try:
        if run.cfg.resume:
            latest = ckpt.latest_checkpoint(run.workdir)
            if latest is None:
                log.warning("resume=True: no checkpoint in %s; starting from step 0", run.workdir)
            else:
                run.restore(latest)
        is_set = getattr(cancel, "is_set", None)
        return run.run(stop_at=stop_at, cancel=is_set if callable(is_set) else cancel)
    finally:
        run.dist.close()

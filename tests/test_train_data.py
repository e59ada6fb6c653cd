"""Training data: collecting files, sequence names, the split, decoding, crops and flips."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from vfx_nodes.errors import TrainingDataError
from vfx_nodes.plate import Plate
from vfx_nodes.train.data import (
    DataReport,
    center_crop,
    collect_files,
    load_image_set,
    load_rgb,
    random_crops,
    sequence_name,
    split_by_sequence,
)

SRGB = "sRGB Encoded Rec.709 (sRGB)"


def _png(path: Path, rgb: np.ndarray) -> Path:
    from PIL import Image

    Image.fromarray(rgb.astype(np.uint8), "RGB").save(path)
    return path


def _touch_images(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, n in enumerate(names):
        out.append(_png(folder / n, np.full((8, 8, 3), 10 * i, np.uint8)))
    return out


# --- collecting ---------------------------------------------------------------------------


def test_folder_lists_images_sorted_by_sequence_and_frame(tmp_path):
    _touch_images(tmp_path, ["b.1002.png", "b.1001.png", "a.10.png", "a.9.png"])
    (tmp_path / "notes.txt").write_text("not an image")
    got = [Path(p).name for p in collect_files(tmp_path)]
    assert got == ["a.9.png", "a.10.png", "b.1001.png", "b.1002.png"]


@pytest.mark.parametrize("pattern", ["shot.####.png", "shot.%04d.png", "shot.$F4.png", "shot.@.png"])
def test_frame_patterns(tmp_path, pattern):
    _touch_images(tmp_path, ["shot.1001.png", "shot.1002.png", "shot.101.png", "other.1001.png"])
    got = [Path(p).name for p in collect_files(str(tmp_path / pattern))]
    if pattern == "shot.@.png":  # a single @ means any padding
        assert got == ["shot.101.png", "shot.1001.png", "shot.1002.png"]
    else:  # four digits exactly: shot.101 is not a frame of this pattern
        assert got == ["shot.1001.png", "shot.1002.png"]


def test_file_list_with_comments_relative_paths_and_missing_entries(tmp_path):
    imgs = _touch_images(tmp_path / "plates", ["p.1.png", "p.2.png"])
    lst = tmp_path / "list.txt"
    lst.write_text("# training frames\nplates/p.1.png\n\n" + str(imgs[1]) + "\nplates/missing.png\n")
    got = collect_files("@" + str(lst))
    assert got == [str(tmp_path / "plates" / "p.1.png"), str(imgs[1]), str(tmp_path / "plates" / "missing.png")]
    # a .txt path without @ is read as a list too
    assert collect_files(str(lst)) == got


def test_glob_and_duplicates_removed(tmp_path):
    _touch_images(tmp_path, ["x.1.png", "x.2.png"])
    got = collect_files([str(tmp_path / "*.png"), str(tmp_path / "x.1.png")])
    assert [Path(p).name for p in got] == ["x.1.png", "x.2.png"]


def test_spec_matching_nothing_is_an_error_naming_it(tmp_path):
    with pytest.raises(TrainingDataError, match="nothing_here"):
        collect_files(str(tmp_path / "nothing_here.####.exr"))
    with pytest.raises(TrainingDataError, match="matched no image files"):
        collect_files(str(tmp_path))  # an empty folder


# --- sequences and the split ----------------------------------------------------------------


@pytest.mark.parametrize("path, name", [
    ("shots/a/plate.1001.exr", os.path.join("shots/a", "plate.#.exr")),
    ("shots/a/plate.1002.exr", os.path.join("shots/a", "plate.#.exr")),
    ("shots/b/plate.1001.exr", os.path.join("shots/b", "plate.#.exr")),
    ("shots/a/plate_0042.png", os.path.join("shots/a", "plate_#.png")),
    ("ref/starry.jpg", "ref/starry.jpg"),
])
def test_sequence_name_removes_the_frame_number(path, name):
    assert sequence_name(path) == name


def _shot_files(n_shots: int, frames: int) -> list[str]:
    return [f"/show/sh{s:03d}/plate.{1001 + f}.exr" for s in range(n_shots) for f in range(frames)]


def test_split_keeps_each_sequence_on_one_side():
    files = _shot_files(10, 5)
    train, test = split_by_sequence(files, 0.3, seed=1)
    assert sorted(train + test) == sorted(files)
    assert {sequence_name(p) for p in train}.isdisjoint({sequence_name(p) for p in test})
    assert len({sequence_name(p) for p in test}) == 3


def test_split_is_deterministic_and_independent_of_order():
    files = _shot_files(8, 3)
    a = split_by_sequence(files, 0.25, seed=7)
    b = split_by_sequence(list(reversed(files)), 0.25, seed=7)
    assert sorted(a[1]) == sorted(b[1]) and sorted(a[0]) == sorted(b[0])
    assert a == split_by_sequence(files, 0.25, seed=7)
    # other seeds choose other shots (at least one of several seeds differs)
    others = {tuple(sorted(split_by_sequence(files, 0.25, seed=s)[1])) for s in range(8)}
    assert len(others) > 1


def test_split_adding_a_shot_does_not_reshuffle_the_others():
    files = _shot_files(20, 2)
    _, test = split_by_sequence(files, 0.2, seed=3)
    _, test2 = split_by_sequence(files + ["/show/sh999/plate.1001.exr"], 0.2, seed=3)
    assert len(set(test) & set(test2)) >= len(test) - 2


def test_split_survives_moving_the_data_set():
    files = _shot_files(10, 2)
    moved = [p.replace("/show/", "/mnt/archive/2026/show/") for p in files]
    _, test = split_by_sequence(files, 0.3, seed=4)
    _, test_moved = split_by_sequence(moved, 0.3, seed=4)
    assert [p.replace("/show/", "/mnt/archive/2026/show/") for p in test] == test_moved


def test_split_small_sets():
    one = ["/a/p.1.exr", "/a/p.2.exr"]
    assert split_by_sequence(one, 0.2) == (one, [])  # one sequence: nothing held out
    two = ["/a/p.1.exr", "/b/q.1.exr"]
    train, test = split_by_sequence(two, 0.01)
    assert len(train) == 1 and len(test) == 1  # at least one held out, at least one trained
    assert split_by_sequence(two, 0.0) == (two, [])
    with pytest.raises(TrainingDataError, match="test fraction"):
        split_by_sequence(two, 1.0)


# --- decoding ---------------------------------------------------------------------------------


def test_png_decodes_to_working_space_and_short_side(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (40, 60, 3))
    p = _png(tmp_path / "a.png", rgb)
    out = load_rgb(str(p), working_colorspace=SRGB)
    assert out.dtype == np.float32 and out.shape == (40, 60, 3)
    np.testing.assert_allclose(out, rgb / 255.0, atol=1e-5)  # sRGB → sRGB is the identity
    s = load_image_set([str(p)], size=20, working_colorspace=SRGB)
    assert tuple(s.images[0].shape) == (3, 20, 30)
    assert float(s.images[0].min()) >= 0 and float(s.images[0].max()) <= 1


def _exr_plate(tmp_path: Path) -> tuple[Path, np.ndarray]:
    from vfx_nodes.io import write_plate

    h, w = 6, 10
    rgb = np.linspace(0.0, 4.0, h * w * 3, dtype=np.float32).reshape(h, w, 3)
    rgb[0, 0] = [np.nan, np.inf, -1.0]
    alpha = np.ones((h, w), np.float32)
    alpha[1, :] = 0.5
    left = np.full((h, w, 3), 0.25, np.float32)
    px = np.concatenate([rgb * alpha[..., None], alpha[..., None], left], axis=-1)
    plate = Plate(px, ("R", "G", "B", "A", "left.R", "left.G", "left.B"),
                  data_window=(100, 50, 109, 55), display_window=(0, 0, 199, 99),
                  colorspace="ACEScg")
    path = tmp_path / "plate.1001.exr"
    write_plate(plate, path, pixel_type="float")
    return path, rgb


def test_exr_goes_through_ocio_is_clamped_and_keeps_the_data_window(tmp_path):
    from vfx_nodes.color import convert_rgb

    path, rgb = _exr_plate(tmp_path)
    out = load_rgb(str(path), working_colorspace=SRGB, colorspace="ACEScg")
    assert out.shape == (6, 10, 3)  # the data window's pixels, not the display window
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
    # the frame recipe's one rule: a pixel with a NaN/Inf channel is fed as black
    np.testing.assert_array_equal(out[0, 0], np.zeros(3, np.float32))
    ref = np.clip(convert_rgb(rgb[1:], "ACEScg", SRGB), 0, 1)
    np.testing.assert_allclose(out[1:], ref, atol=1e-5)  # unpremultiplied, converted, clamped
    assert (out >= 0.999).any()  # values above 1 were clamped, not scaled


def test_exr_layer_selection(tmp_path):
    from vfx_nodes.color import convert_rgb

    path, _ = _exr_plate(tmp_path)
    out = load_rgb(str(path), working_colorspace=SRGB, colorspace="ACEScg", layer="left")
    ref = convert_rgb(np.full((1, 1, 3), 0.25, np.float32), "ACEScg", SRGB)[0, 0]
    np.testing.assert_allclose(out, np.broadcast_to(ref, out.shape), atol=1e-5)


def test_unreadable_files_are_reported_by_name_not_dropped(tmp_path, caplog):
    good = _png(tmp_path / "good.png", np.zeros((8, 8, 3)))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    missing = tmp_path / "missing.png"
    report = DataReport()
    s = load_image_set([str(good), str(bad), str(missing)], size=8, working_colorspace=SRGB, report=report)
    assert s.names == [str(good)]
    assert [p for p, _ in report.unreadable] == [str(bad), str(missing)]
    assert all(reason for _, reason in report.unreadable)
    assert "bad.png" in caplog.text and "missing.png" in caplog.text
    assert report.summary()["loaded"] == 1 and len(report.summary()["unreadable"]) == 2


def test_empty_set_is_an_error(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(TrainingDataError, match="no usable style images.*bad.jpg"):
        load_image_set([str(bad)], size=8, working_colorspace=SRGB, what="style")


# --- crops and flips --------------------------------------------------------------------------


def test_random_crops_are_seeded_flip_and_leave_inputs_alone():
    import torch

    imgs = [torch.arange(3 * 10 * 14, dtype=torch.float32).reshape(3, 10, 14), torch.rand(3, 12, 12)]
    before = [t.clone() for t in imgs]
    a = random_crops(imgs, 16, 8, torch.Generator().manual_seed(5))
    b = random_crops(imgs, 16, 8, torch.Generator().manual_seed(5))
    assert a.shape == (16, 3, 8, 8) and torch.equal(a, b)
    assert all(torch.equal(x, y) for x, y in zip(imgs, before))
    # some crops of the ramp image are mirrored: their rows decrease left to right
    ramps = [c for c in a if float(c[0, 0, 1] - c[0, 0, 0]) in (1.0, -1.0)]
    assert {float(c[0, 0, 1] - c[0, 0, 0]) for c in ramps} == {1.0, -1.0}
    c = center_crop(imgs[0], 8)
    assert c.shape == (3, 8, 8) and float(c[0, 0, 0]) == float(imgs[0][0, 1, 3])


# --- the real corpus --------------------------------------------------------------------------


def test_real_sequence_pattern_and_damaged_files(exr_corpus):
    frames = collect_files(str(exr_corpus / "Beachball" / "singlepart.####.exr"))
    assert [Path(p).name for p in frames] == [f"singlepart.000{i}.exr" for i in (1, 2, 3)]
    assert len({sequence_name(p) for p in frames}) == 1
    files = sorted(str(p) for p in (exr_corpus / "Damaged").iterdir())[:4]
    report = DataReport()
    s = load_image_set(frames[:1] + files, size=16, working_colorspace=SRGB, report=report)
    assert len(s) == 1 and len(report.unreadable) == len(files)
    assert {p for p, _ in report.unreadable} == set(files)


def test_the_old_working_space_spelling_still_works_with_a_warning(tmp_path):
    """Issue 15.4: one vocabulary (working_colorspace); the old keyword is kept one release."""
    import warnings

    from PIL import Image

    from vfx_nodes.train.loop import TrainConfig

    p = tmp_path / "a.png"
    Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(p)
    with pytest.warns(DeprecationWarning, match="working_space is deprecated; use working_colorspace"):
        old = load_rgb(str(p), working_space=SRGB)
    np.testing.assert_array_equal(old, load_rgb(str(p), working_colorspace=SRGB))
    with pytest.warns(DeprecationWarning):
        cfg = TrainConfig(content=["x"], style=["y"], out="o.safetensors", working_space="ACEScg")
    assert cfg.working_colorspace == "ACEScg" and "working_space" not in cfg.to_json()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert TrainConfig(content=["x"], style=["y"], out="o.safetensors",
                           working_colorspace="ACEScg").working_colorspace == "ACEScg"
    with pytest.raises(TypeError, match="not both"), pytest.warns(DeprecationWarning):
        TrainConfig(content=["x"], style=["y"], out="o.safetensors", working_space="a", working_colorspace="b")

"""render_sequence's bookkeeping: skip/resume, missing frames, chunks, temp clean-up,
cancelling, progress, shot statistics sampling.

The rooms below (I/O, the engine's stylize/collect_stats) are replaced here by tiny
stand-ins that keep frames as ``.npy`` files, so these tests pin down the sequencing
logic alone; tests/test_sequence_render.py runs the real pipeline end to end.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from vfx_nodes.engine import sequence as seq
from vfx_nodes.errors import (
    FrameRangeError,
    MissingFrameError,
    PlateReadError,
    RenderCancelled,
    SettingsError,
)


class FakeStats:
    """Stand-in NormStats: a number; merge = mean (enough to see which frames were used)."""

    def __init__(self, value: float):
        self.value = value
        self.layers = {"x": value}

    @staticmethod
    def merge(items):
        return FakeStats(float(np.mean([s.value for s in items])))


class Rooms:
    def __init__(self):
        self.calls: list[tuple[str, object]] = []

    def read(self, path):
        if not os.path.exists(path):
            raise FileNotFoundError(path)
        data = np.load(path)
        if data.size == 0:
            raise PlateReadError(f"{path!r} is damaged")
        self.calls.append(("read", path))
        return data

    def write(self, plate, path):
        target = Path(path)
        tmp = target.with_name(f".{target.stem}.tmp-{os.getpid()}-0a1b2c3d{target.suffix}")
        with open(tmp, "wb") as fh:
            np.save(fh, plate)
        os.replace(tmp, target)
        self.calls.append(("write", path))

    def stylize(self, plate, look, *, strength=1.0, stats=None, layer=""):
        self.calls.append(("stylize", stats.value if stats is not None else None))
        offset = stats.value if stats is not None else float(plate.mean())
        return plate * strength + offset

    def collect_stats(self, plates, look, *, layer=""):
        per_frame = []
        for plate in plates:
            self.calls.append(("collect", float(plate.mean())))
            per_frame.append(FakeStats(float(plate.mean())))
        return FakeStats.merge(per_frame)


@pytest.fixture
def rooms():
    """Fake rooms, passed to the renderer explicitly (``io=``): nothing is monkeypatched."""
    import functools

    r = Rooms()
    r.io = seq.RenderIO(read=r.read, write=r.write, stylize=r.stylize, collect_stats=r.collect_stats,
                        load_look=lambda path: ("look", str(path)), normstats=FakeStats,
                        check_output=lambda path: "npy", complete=os.path.isfile)
    r.render = functools.partial(seq.render_sequence, io=r.io)
    r.shot_stats = functools.partial(seq.shot_stats, io=r.io)
    return r


def make_plates(folder: Path, frames, name="plate.####.npy") -> str:
    pattern = str(folder / name)
    from vfx_nodes.engine.frames import parse_pattern

    p = parse_pattern(pattern)
    for f in frames:
        np.save(p.path(f), np.full((2, 3), float(f), np.float32))
    return pattern


def outputs(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder))


def test_renders_every_frame(tmp_path, rooms):
    src = make_plates(tmp_path, range(1001, 1006))
    out = str(tmp_path / "out" / "styled.%04d.npy")
    rep = rooms.render(src, out, "look.safetensors", "1001-1005", strength=0.5)
    assert rep.rendered == (1001, 1002, 1003, 1004, 1005)
    assert rep.complete and not rep.cancelled and rep.stats == "frame"
    assert outputs(tmp_path / "out") == [f"styled.{f}.npy" for f in range(1001, 1006)]
    # per-frame statistics: each frame offset by its own mean
    assert np.load(tmp_path / "out" / "styled.1003.npy")[0, 0] == 1003 * 0.5 + 1003
    assert "rendered 5, skipped 0" in rep.summary()


def test_steps_lists_and_at_patterns(tmp_path, rooms):
    src = make_plates(tmp_path, range(1, 11), name="p_@@@.npy")
    rep = rooms.render(src, str(tmp_path / "o_@@@.npy"), "L", "1-9x4,10")
    assert rep.rendered == (1, 5, 9, 10)
    assert sorted(n for n in outputs(tmp_path) if n.startswith("o_")) == ["o_001.npy", "o_005.npy",
                                                                        "o_009.npy", "o_010.npy"]


def test_the_plan_decides_everything_before_any_work(tmp_path, rooms):
    """plan_render: the frames done, missing and pending, and every check, with nothing
    read, written, created or loaded."""
    src = make_plates(tmp_path, [1, 2, 3, 5, 6])
    out = tmp_path / "out"
    out.mkdir()
    np.save(out / "o.0002.npy", np.zeros(1))
    plan = seq.plan_render(src, str(out / "o.####.npy"), "1-6", chunk="1/1", skip_missing=True, io=rooms.io,
                           strength=0.5)
    assert plan.shot == plan.frames == (1, 2, 3, 4, 5, 6) and plan.chunk == (1, 1)
    assert plan.skipped == (2,) and plan.missing == (4,) and plan.pending == (1, 3, 5, 6)
    assert plan.output_format == "npy"
    half = seq.plan_render(src, str(out / "o.####.npy"), "1-6", chunk="2/2", skip_missing=True, io=rooms.io)
    assert half.shot == (1, 2, 3, 4, 5, 6) and half.frames == (4, 5, 6) and half.pending == (5, 6)
    assert rooms.calls == [] and outputs(out) == ["o.0002.npy"]
    with pytest.raises(MissingFrameError, match="skip_missing=True"):
        seq.plan_render(src, str(out / "o.####.npy"), "1-6", io=rooms.io)
    with pytest.raises(SettingsError, match="unknown setting"):
        seq.plan_render(src, str(out / "o.####.npy"), "1-3", io=rooms.io, tile_size=3)
    with pytest.raises(FrameRangeError):
        seq.plan_render(src, str(out / "o.####.npy"), "6-1", io=rooms.io)


def test_existing_frames_are_skipped_unless_overwrite(tmp_path, rooms):
    src = make_plates(tmp_path, range(1, 5))
    out = str(tmp_path / "o.####.npy")
    rooms.render(src, out, "L", "1-2")
    rep = rooms.render(src, out, "L", "1-4")
    assert rep.skipped == (1, 2) and rep.rendered == (3, 4)
    rep = rooms.render(src, out, "L", "1-4", overwrite=True)
    assert rep.skipped == () and rep.rendered == (1, 2, 3, 4)
    rep = rooms.render(src, out, "L", "1-4")
    assert rep.rendered == () and rep.skipped == (1, 2, 3, 4) and rep.complete


def test_missing_inputs_fail_before_anything_is_rendered(tmp_path, rooms):
    src = make_plates(tmp_path, [1, 2, 4, 6])
    out = str(tmp_path / "o.####.npy")
    with pytest.raises(MissingFrameError, match=r"2 of 6 input frames .* missing: 3,5 .*skip_missing=True"):
        rooms.render(src, out, "L", "1-6")
    assert not any(n.startswith("o.") for n in outputs(tmp_path))
    assert not any(c[0] == "stylize" for c in rooms.calls)


def test_skip_missing_renders_what_exists_and_reports_the_rest(tmp_path, rooms):
    src = make_plates(tmp_path, [1, 2, 4, 6])
    rep = rooms.render(src, str(tmp_path / "o.####.npy"), "L", "1-6", skip_missing=True)
    assert rep.rendered == (1, 2, 4, 6) and rep.missing == (3, 5)
    assert not rep.complete
    assert "missing input frames: 3,5" in rep.summary()


def test_unreadable_frame_names_the_frame_and_keeps_earlier_frames(tmp_path, rooms):
    src = make_plates(tmp_path, [1, 2, 3])
    np.save(tmp_path / "plate.0002.npy", np.zeros((0,), np.float32))
    out = str(tmp_path / "o.####.npy")
    with pytest.raises(PlateReadError, match="frame 2: .*plate.0002.npy"):
        rooms.render(src, out, "L", "1-3")
    assert os.path.exists(tmp_path / "o.0001.npy") and not os.path.exists(tmp_path / "o.0003.npy")


@pytest.mark.parametrize("frames, chunk, err", [
    ("1-", None, FrameRangeError),
    ("3-1", None, FrameRangeError),
    ("1-3", "4/3", FrameRangeError),
    ("1-3", "x", FrameRangeError),
])
def test_bad_ranges_and_chunks(tmp_path, rooms, frames, chunk, err):
    src = make_plates(tmp_path, [1, 2, 3])
    with pytest.raises(err):
        rooms.render(src, str(tmp_path / "o.####.npy"), "L", frames, chunk=chunk)


def test_bad_patterns_and_settings(tmp_path, rooms):
    src = make_plates(tmp_path, [1])
    with pytest.raises(FrameRangeError, match="no frame token"):
        rooms.render(src, str(tmp_path / "o.npy"), "L", "1")
    with pytest.raises(Exception, match="same files as the input"):
        rooms.render(src, src.replace("####", "%04d"), "L", "1")
    with pytest.raises(SettingsError, match="unknown setting.*tile_size.*valid settings are strength, scale, tile"):
        rooms.render(src, str(tmp_path / "o.####.npy"), "L", "1", tile_size=3)
    with pytest.raises(SettingsError, match="stats must be"):
        rooms.render(src, str(tmp_path / "o.####.npy"), "L", "1", stats="shots")
    with pytest.raises(SettingsError, match="cancel"):
        rooms.render(src, str(tmp_path / "o.####.npy"), "L", "1", cancel=3)


def test_the_source_cannot_be_overwritten_through_another_name(tmp_path, rooms):
    """Issue 14.4: a symlinked folder or a hard link reaches the input by another name."""
    real = tmp_path / "real"
    real.mkdir()
    src = make_plates(real, [1, 2])
    alias = tmp_path / "alias"
    alias.symlink_to(real, target_is_directory=True)
    before = {n: (real / n).read_bytes() for n in os.listdir(real)}
    with pytest.raises(Exception, match="same files as the input"):
        rooms.render(str(alias / "plate.####.npy"), src, "L", "1-2", overwrite=True)
    with pytest.raises(Exception, match="same files as the input"):
        rooms.render(src, str(real / ".." / "real" / "plate.%04d.npy"), "L", "1-2", overwrite=True)
    linked = tmp_path / "linked"
    linked.mkdir()
    os.link(real / "plate.0002.npy", linked / "out.0002.npy")
    with pytest.raises(Exception, match="same files as the input"):
        rooms.render(src, str(linked / "out.####.npy"), "L", "1-2", overwrite=True)
    assert {n: (real / n).read_bytes() for n in os.listdir(real)} == before
    assert not [c for c in rooms.calls if c[0] in ("read", "write")]  # refused before any work


def test_chunks_render_disjoint_parts_of_the_shot(tmp_path, rooms):
    src = make_plates(tmp_path, range(1, 11))
    out = str(tmp_path / "o.####.npy")
    got = [rooms.render(src, out, "L", "1-10", chunk=f"{k}/3").rendered for k in (1, 2, 3)]
    assert got == [(1, 2, 3, 4), (5, 6, 7), (8, 9, 10)]
    assert rooms.render(src, out, "L", "1-10", chunk=(2, 3)).chunk == (2, 3)


def test_stale_temp_files_of_our_frames_only_are_removed(tmp_path, rooms):
    src = make_plates(tmp_path, range(1, 5))
    out = str(tmp_path / "o.####.npy")
    ours = tmp_path / ".o.0002.tmp-4242-deadbeef.npy"
    other_chunk = tmp_path / ".o.0004.tmp-4242-deadbeef.npy"
    other_seq = tmp_path / ".o2.0002.tmp-4242-deadbeef.npy"
    not_temp = tmp_path / ".o.0002.npy.bak"
    for p in (ours, other_chunk, other_seq, not_temp):
        p.write_bytes(b"half a frame")
    assert seq.stale_temp_files(out, [1, 2, 3]) == [str(ours)]
    rep = rooms.render(src, out, "L", "1-4", chunk="1/2")
    assert rep.rendered == (1, 2)
    assert not ours.exists()
    assert other_chunk.exists() and other_seq.exists() and not_temp.exists()


def test_matches_the_io_rooms_temporary_naming(tmp_path):
    atomic = pytest.importorskip("vfx_nodes.io._atomic")
    tmp = atomic.temporary_path(tmp_path / "o.0007.exr")
    tmp.write_bytes(b"")
    assert seq.stale_temp_files(str(tmp_path / "o.####.exr"), [7]) == [str(tmp)]


def test_cancel_between_frames_returns_a_cancelled_report(tmp_path, rooms):
    src = make_plates(tmp_path, range(1, 7))
    stop = threading.Event()

    def progress(fraction, message):
        if fraction >= 2 / 6:
            stop.set()

    rep = rooms.render(src, str(tmp_path / "o.####.npy"), "L", "1-6", progress=progress, cancel=stop)
    assert rep.cancelled and rep.rendered == (1, 2) and rep.remaining == (3, 4, 5, 6)
    assert "CANCELLED with 4 frames left (3-6)" in rep.summary()
    rep = rooms.render(src, str(tmp_path / "o.####.npy"), "L", "1-6", cancel=lambda: False)
    assert rep.skipped == (1, 2) and rep.rendered == (3, 4, 5, 6)


def test_progress_may_raise_render_cancelled(tmp_path, rooms):
    src = make_plates(tmp_path, range(1, 4))

    def progress(fraction, message):
        if fraction > 0:
            raise RenderCancelled("user pressed stop")

    rep = rooms.render(src, str(tmp_path / "o.####.npy"), "L", "1-3", progress=progress)
    assert rep.cancelled and rep.rendered == (1,)


def test_progress_counts_only_frames_to_render(tmp_path, rooms):
    src = make_plates(tmp_path, range(1, 5))
    out = str(tmp_path / "o.####.npy")
    rooms.render(src, out, "L", "1")
    calls = []
    rooms.render(src, out, "L", "1-4", progress=lambda *a: calls.append(a))
    assert calls == [(0.0, "0/3 frames"), (1 / 3, "frame 2 (1/3)"), (2 / 3, "frame 3 (2/3)"), (1.0, "frame 4 (3/3)")]


def test_a_progress_callback_of_before_0_9_still_works_and_warns(tmp_path, rooms):
    src = make_plates(tmp_path, range(1, 3))
    calls = []
    with pytest.warns(DeprecationWarning, match=r"progress\(fraction, message\)"):
        rooms.render(src, str(tmp_path / "o.####.npy"), "L", "1-2",
                     progress=lambda done, total, frame: calls.append((done, total, frame)))
    assert calls == [(0, 2, None), (1, 2, 1), (2, 2, 2)]


def test_shot_stats_sample_the_whole_range_not_the_chunk(tmp_path, rooms):
    src = make_plates(tmp_path, range(1, 101))
    out = str(tmp_path / "o.####.npy")
    rep = rooms.render(src, out, "L", "1-100", chunk="2/10", stats="shot", stats_samples=3)
    assert rep.stats == "shot" and rep.stats_frames == (1, 51, 100)
    used = {c[1] for c in rooms.calls if c[0] == "stylize"}
    assert used == {np.mean([1, 51, 100])}  # one statistic for the whole chunk
    rep2 = rooms.render(src, out, "L", "1-100", chunk="7/10", stats="shot", stats_samples=3)
    assert rep2.stats_frames == rep.stats_frames


def test_given_stats_are_used_as_they_are(tmp_path, rooms):
    src = make_plates(tmp_path, range(1, 3))
    rep = rooms.render(src, str(tmp_path / "o.####.npy"), "L", "1-2", stats=FakeStats(0.5))
    assert rep.stats == "given"
    assert np.load(tmp_path / "o.0002.npy")[0, 0] == 2.5
    assert not any(c[0] == "collect" for c in rooms.calls)


def test_shot_stats_missing_sample_frame(tmp_path, rooms):
    src = make_plates(tmp_path, [1, 2, 3])
    with pytest.raises(MissingFrameError, match="shot statistics need input frames 5"):
        rooms.shot_stats(src, "L", "1-5", samples=2)
    stats, picked = rooms.shot_stats(src, "L", "1-5", samples=2, skip_missing=True)
    assert picked == (1, 3) and stats.value == 2.0


def test_inputs_are_not_changed(tmp_path, rooms):
    src = make_plates(tmp_path, [1])
    before = (tmp_path / "plate.0001.npy").read_bytes()
    rooms.render(src, str(tmp_path / "o.####.npy"), "L", "1")
    assert (tmp_path / "plate.0001.npy").read_bytes() == before


def test_progress_bar_plain_lines_when_not_a_tty():
    buf = io.StringIO()
    bar = seq.ProgressBar(buf, label="render")
    assert not bar.tty
    bar(0.0, "0/2 frames")
    bar(0.5, "frame 1001 (1/2)")
    bar(1.0, "frame 1002 (2/2)")
    bar.close()
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in buf.getvalue()
    assert lines[0].startswith("render [############............] frame 1001 (1/2)")
    assert "elapsed" in lines[0] and "ETA" in lines[0]
    assert "frame 1002 (2/2)" in lines[1] and "ETA 0:00" in lines[1]


def test_progress_bar_redraws_one_line_on_a_tty():
    buf = io.StringIO()
    bar = seq.ProgressBar(buf, tty=True, width=10)
    for done in range(4):
        bar(done / 3, f"frame {1000 + done} ({done}/3)")
    text = buf.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1
    assert "[##########] frame 1003 (3/3)" in text


def test_settings_are_checked_even_when_nothing_is_left_to_render(tmp_path, rooms):
    src = make_plates(tmp_path, [1])
    out = str(tmp_path / "o.####.npy")
    rooms.render(src, out, "L", "1")
    with pytest.raises(SettingsError, match="stats must be"):
        rooms.render(src, out, "L", "1", stats="shots")
    with pytest.raises(SettingsError, match="stats must be"):
        rooms.render(src, out, "L", "1", stats=3)
    with pytest.raises(SettingsError, match="stats_file"):
        rooms.render(src, out, "L", "1", stats_file="s.safetensors")


def test_skip_missing_with_no_input_at_all_is_still_an_error(tmp_path, rooms):
    src = make_plates(tmp_path, [1])
    with pytest.raises(MissingFrameError, match="none of the 3 input frames 5-7"):
        rooms.render(src, str(tmp_path / "o.####.npy"), "L", "5-7", skip_missing=True)


def test_shot_statistics_record_painted_highlights():
    """Statistics taken for highlights="paint" are of another network input: a file made
    for one mode is refused for the other; "carry" (the default) is not recorded, so
    files made before the setting existed stay valid."""
    carry = seq.stats_provenance("no-look", (1, 2, 3), {"highlights": "carry", "layer": ""})
    paint = seq.stats_provenance("no-look", (1, 2, 3), {"highlights": "paint"})
    assert carry["settings"] == {} and paint["settings"] == {"highlights": "paint"}

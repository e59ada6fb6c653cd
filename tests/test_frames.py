"""Frame patterns, frame ranges and chunks (vfx_nodes.policy.frames): pure bookkeeping, and the
one grammar rendering and training share."""

from __future__ import annotations

import itertools

import pytest

from vfx_nodes.errors import FrameRangeError
from vfx_nodes.policy.frames import (
    chunk_frames,
    format_frames,
    parse_chunk,
    parse_frames,
    parse_pattern,
    sample_frames,
    split_by_size,
)


@pytest.mark.parametrize("text", ["plate.####.exr", "plate.@@@@.exr", "plate.%04d.exr"])
def test_every_token_style_gives_the_same_names(text):
    p = parse_pattern(text)
    assert p.padding == 4
    assert p.path(1001) == "plate.1001.exr"
    assert p.path(7) == "plate.0007.exr"
    assert p.path(12345) == "plate.12345.exr"  # padding is a minimum width
    assert p.path(-3) == "plate.-003.exr"      # sign before the padded digits, like %04d


def test_pattern_padding_and_folder():
    assert parse_pattern("a.#.exr").path(5) == "a.5.exr"
    assert parse_pattern("a.@@.exr").path(5) == "a.05.exr"
    assert parse_pattern("a.%d.exr").path(5) == "a.5.exr"
    assert parse_pattern("a.%6d.exr").path(5) == "a.000005.exr"
    p = parse_pattern("shots/sh010/out.####.exr")
    assert p.folder == "shots/sh010"
    assert p.path(1001) == "shots/sh010/out.1001.exr"
    assert parse_pattern("out.####.exr").folder == "."


def test_frame_of_inverts_path():
    p = parse_pattern("/x/beauty_####.exr")
    assert p.frame_of("/x/beauty_1001.exr") == 1001
    assert p.frame_of("/x/beauty_-001.exr") == -1
    assert p.frame_of("/x/beauty_101.exr") is None     # wrong padding
    assert p.frame_of("/x/beauty_1001.exr.tmp") is None
    assert p.frame_of("/y/beauty_1001.exr") is None


@pytest.mark.parametrize("text, words", [
    ("plate.exr", "no frame token"),
    ("plate.####.%04d.exr", "2 frame tokens"),
    ("shot_####/plate.exr", "file name, not the folder"),
])
def test_bad_patterns_say_what_is_valid(text, words):
    with pytest.raises(FrameRangeError, match=words):
        parse_pattern(text)


@pytest.mark.parametrize("spec, frames", [
    ("1001", (1001,)),
    ("1001-1004", (1001, 1002, 1003, 1004)),
    ("1001-1009x4", (1001, 1005, 1009)),
    ("1001-1010x4", (1001, 1005, 1009)),
    ("1001,1005,1010-1012", (1001, 1005, 1010, 1011, 1012)),
    ("1010-1012, 1001 ,1005,1011", (1001, 1005, 1010, 1011, 1012)),
    ("-2-1", (-2, -1, 0, 1)),
    ("-5--3", (-5, -4, -3)),
])
def test_parse_frames(spec, frames):
    assert parse_frames(spec) == frames


def test_parse_frames_from_numbers():
    assert parse_frames(1001) == (1001,)
    assert parse_frames([3, 1, 2, 3]) == (1, 2, 3)
    assert parse_frames(range(1001, 1004)) == (1001, 1002, 1003)


@pytest.mark.parametrize("spec, words", [
    ("", "valid forms"),
    ("1001-", "valid forms"),
    ("abc", "valid forms"),
    ("1001-1100x", "valid forms"),
    ("1001:1100", "valid forms"),
    ("1100-1001", "ends before it starts"),
    ("1001-1100x0", "step"),
    ([], "empty"),
    (True, "frame range"),
])
def test_bad_frame_ranges(spec, words):
    with pytest.raises(FrameRangeError, match=words):
        parse_frames(spec)


def test_frame_range_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_frames("nope")


@pytest.mark.parametrize("frames", [
    [1001, 1002, 1003, 1005, 1010, 1012, 1014],
    list(range(1001, 1101)),
    list(range(1001, 1101, 2)) + [2000],
    [5],
    [1, 3],
    [-3, -2, -1, 0, 7],
])
def test_format_frames_round_trips(frames):
    text = format_frames(frames)
    assert parse_frames(text) == tuple(sorted(frames))


def test_format_frames_is_compact():
    assert format_frames(range(1001, 1101)) == "1001-1100"
    assert format_frames([1001, 1002, 1003, 1005, 1010, 1012, 1014]) == "1001-1003,1005,1010-1014x2"


def test_chunks_cover_every_frame_once_and_are_contiguous():
    frames = parse_frames("1001-1100")
    for n in (1, 3, 7, 10, 100, 130):
        chunks = [chunk_frames(frames, f"{k}/{n}") for k in range(1, n + 1)]
        assert sum(chunks, ()) == frames
        sizes = [len(c) for c in chunks]
        assert max(sizes) - min(sizes) <= 1
    assert chunk_frames(range(1, 11), "1/3") == (1, 2, 3, 4)
    assert chunk_frames(range(1, 11), (3, 3)) == (8, 9, 10)
    assert chunk_frames([1, 2], "3/3") == ()  # more chunks than frames: an idle task


@pytest.mark.parametrize("spec", ["0/4", "5/4", "1/0", "a/b", "3", "1-4", (0, 2)])
def test_bad_chunks(spec):
    with pytest.raises(FrameRangeError, match="chunk"):
        parse_chunk(spec)


def test_split_by_size():
    assert split_by_size(range(1, 8), 3) == [(1, 2, 3), (4, 5, 6), (7,)]
    with pytest.raises(FrameRangeError):
        split_by_size([1], 0)


def test_sample_frames_spread_over_the_shot():
    frames = parse_frames("1001-1100")
    s = sample_frames(frames, 8)
    assert len(s) == 8 and s[0] == 1001 and s[-1] == 1100
    assert list(s) == sorted(s)
    gaps = [b - a for a, b in itertools.pairwise(s)]
    assert max(gaps) - min(gaps) <= 1
    assert sample_frames([1, 2, 3], 8) == (1, 2, 3)
    assert sample_frames(frames, 1) == (1051,)
    with pytest.raises(FrameRangeError):
        sample_frames(frames, 0)


def test_absurd_ranges_are_refused_not_materialised():
    """Issue 14.9: ``--frames 1-100000000000`` was a MemoryError traceback."""
    import tracemalloc

    from vfx_nodes.engine.frames import MAX_FRAMES, parse_frames
    from vfx_nodes.errors import FrameRangeError

    tracemalloc.start()
    try:
        with pytest.raises(FrameRangeError, match="more than"):
            parse_frames("1-100000000000")
        with pytest.raises(FrameRangeError, match="more than"):
            parse_frames(f"1-{MAX_FRAMES},{MAX_FRAMES + 10}-{MAX_FRAMES + 20}")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # refused from the numbers, never materialised: 1e11 frames would need terabytes; a
    # million-frame list is the most that is ever built (~70 MB). Memory, not the clock:
    # the CI box is shared
    assert peak < 256 * 2**20, peak
    assert len(parse_frames(f"1-{MAX_FRAMES}x1000")) == MAX_FRAMES // 1000


# --- one grammar for render and train (issue 15) ------------------------------------------------

ON_DISK = ["shot.1001.png", "shot.1002.png", "shot.0101.png", "shot.101.png", "shot.7.png", "other.1001.png"]
PADDED = ["shot.0101.png", "shot.1001.png", "shot.1002.png"]
ANY = ["shot.7.png", "shot.101.png", "shot.1001.png", "shot.1002.png"]


@pytest.mark.parametrize("pattern, expected", [
    ("shot.####.png", PADDED), ("shot.@@@@.png", PADDED), ("shot.%04d.png", PADDED), ("shot.$F4.png", PADDED),
    ("shot.#.png", ANY), ("shot.@.png", ANY), ("shot.%d.png", ANY), ("shot.$F.png", ANY),
])
def test_render_and_train_accept_the_same_patterns(tmp_path, pattern, expected):
    """`plate.#.exr` rendered plate.7.exr but training wanted 4+ digits; `plate.$F4.exr`
    trained but `render` refused it. One table for both now."""
    from pathlib import Path

    from vfx_nodes.train.data import collect_files

    for name in ON_DISK:
        (tmp_path / name).write_bytes(b"")
    pat = parse_pattern(str(tmp_path / pattern))
    rendered = [Path(pat.path(f)).name for f in pat.on_disk()]
    trained = [Path(p).name for p in collect_files(str(tmp_path / pattern))]
    assert rendered == trained
    assert sorted(rendered) == sorted(expected)

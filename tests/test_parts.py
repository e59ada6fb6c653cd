"""Every part and every view of a frame reaches the output (issue 14.1, 14.2).

A multi-part EXR (a beauty per eye, depth, motion) and a multi-view EXR (``multiView``:
unprefixed channels for the first view, ``left.*`` for the other) rendered through
``vfx-style render`` come back with every part, view, channel, window, pixel type and
attribute, bit-identical except the stylised RGB; the summary says what was stylised and
what was carried. ``--part`` / ``--views`` / ``--layer`` choose.
"""

from __future__ import annotations

import numpy as np
import pytest

import vfx_nodes as vn
from vfx_nodes.cli.main import main
from vfx_nodes.engine.parts import Frame, describe_targets, frame_targets, stylize_frame
from vfx_nodes.errors import ChannelNotFoundError, PlateWriteError, SettingsError
from vfx_nodes.io import read_plate_parts, write_plate_parts
from vfx_nodes.plate import Plate

pytestmark = pytest.mark.usefixtures("one_torch_thread")

DISPLAY = (0, 0, 39, 29)


def _p(names, seed, *, half=False, window=None, **header):
    rng = np.random.default_rng(seed)
    h, w = (30, 40) if window is None else (window[3] - window[1] + 1, window[2] - window[0] + 1)
    px = rng.random((h, w, len(names)), dtype=np.float32) * 1.5
    if half:
        px = px.astype(np.float16).astype(np.float32)
    return Plate(px, tuple(names), data_window=window, display_window=DISPLAY, header=header,
                 pixel_types=("half" if half else "float",) * len(names))


def _multipart(seed=0):
    return [_p(["R", "G", "B", "A"], seed, half=True, window=(-4, -2, 43, 31), name="rgba_right", view="right",
               owner="vfx"),
            _p(["R", "G", "B", "A"], seed + 1, half=True, name="rgba_left", view="left"),
            _p(["Z"], seed + 2, name="depth", view="right"),
            _p(["u", "v"], seed + 3, half=True, name="motion")]


def _multiview(seed=0):
    return _p(["R", "G", "B", "A", "left.R", "left.G", "left.B", "left.A", "Z", "left.Z", "diffuse.R",
               "diffuse.G", "diffuse.B"], seed, half=True, multiView=["right", "left"])


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    root = tmp_path_factory.mktemp("parts")
    for f in (1, 2):
        write_plate_parts(_multipart(10 * f), root / f"mp.{f:04d}.exr")
        vn.write_plate(_multiview(10 * f), root / f"mv.{f:04d}.exr")
    return root


@pytest.fixture(scope="module")
def look():
    return str(vn.default_look_path())


# --- choosing ---------------------------------------------------------------------------------


def test_default_targets_are_every_eyes_beauty():
    parts = Frame(_multipart())
    t = frame_targets(parts)
    assert [(x.part, x.layer) for x in t] == [(0, ""), (1, "")]
    done, carried = describe_targets(parts, t)
    assert done == ["part 'rgba_right', main RGB (view right)", "part 'rgba_left', main RGB (view left)"]
    assert carried == ["part 'depth' (1 channel)", "part 'motion' (2 channels)"]
    mv = Frame([_multiview()])
    t = frame_targets(mv)
    assert [(x.part, x.layer) for x in t] == [(0, ""), (0, "left")]  # not the diffuse AOV
    assert describe_targets(mv, t)[1] == ["the image: RGB of 'diffuse'"]


def test_choosing_parts_views_and_layers():
    parts = Frame(_multipart())
    assert [x.part for x in frame_targets(parts, part="rgba_left")] == [1]
    assert [x.part for x in frame_targets(parts, part="0,rgba_left")] == [0, 1]
    assert [x.part for x in frame_targets(parts, view="left")] == [1]
    mv = Frame([_multiview()])
    assert [x.layer for x in frame_targets(mv, view="left")] == ["left"]
    assert [x.layer for x in frame_targets(mv, layer="diffuse")] == ["diffuse"]
    with pytest.raises(ChannelNotFoundError, match="no part 'beauty'.*rgba_right"):
        frame_targets(parts, part="beauty")
    with pytest.raises(ChannelNotFoundError, match="nothing to stylise.*depth.*no RGB"):
        frame_targets(parts, part="depth")
    with pytest.raises(ChannelNotFoundError, match="view='centre'"):
        frame_targets(mv, view="centre")
    with pytest.raises(SettingsError, match="not both"):
        frame_targets(mv, view="left", layer="diffuse")


# --- rendering --------------------------------------------------------------------------------


def _assert_carried(src: list[Plate], out: list[Plate], stylised: set[tuple[int, str]]):
    assert len(out) == len(src)
    for i, (a, b) in enumerate(zip(src, out)):
        assert b.channel_names == a.channel_names and b.pixel_types == a.pixel_types
        assert b.data_window == a.data_window and b.display_window == a.display_window
        for key in ("name", "view", "multiView", "owner"):
            assert b.header.get(key) == a.header.get(key)
        styled = {c for (p, lay) in stylised if p == i for c in a.rgb_names(lay)}
        for c in a.channel_names:
            same = np.array_equal(a.channel(c), b.channel(c), equal_nan=True)
            assert same != (c in styled), (i, c)
        assert np.isfinite(b.pixels).all()


def test_render_keeps_every_part(shots, look, tmp_path, capsys):
    assert main(["render", "-i", str(shots / "mp.####.exr"), "-o", str(tmp_path / "o.####.exr"),
                 "--look", look, "--frames", "1-2", "-q"]) == 0
    printed = capsys.readouterr().out
    assert "stylised: part 'rgba_right', main RGB (view right); part 'rgba_left'" in printed
    assert "carried unchanged: part 'depth' (1 channel); part 'motion' (2 channels)" in printed
    for f in (1, 2):
        _assert_carried(read_plate_parts(shots / f"mp.{f:04d}.exr"), read_plate_parts(tmp_path / f"o.{f:04d}.exr"),
                        {(0, ""), (1, "")})


def test_render_keeps_every_view(shots, look, tmp_path, capsys):
    assert main(["render", "-i", str(shots / "mv.####.exr"), "-o", str(tmp_path / "o.####.exr"),
                 "--look", look, "--frames", "1-2", "--stats", "shot", "-q"]) == 0
    assert "layer 'left' (view left)" in capsys.readouterr().out
    _assert_carried(read_plate_parts(shots / "mv.0002.exr"), read_plate_parts(tmp_path / "o.0002.exr"),
                    {(0, ""), (0, "left")})


def test_render_one_part_or_one_view(shots, look, tmp_path, capsys):
    assert main(["render", "-i", str(shots / "mp.####.exr"), "-o", str(tmp_path / "a.####.exr"),
                 "--look", look, "--frames", "1-2", "--part", "rgba_left", "-q"]) == 0
    assert "carried unchanged: part 'rgba_right' (4 channels)" in capsys.readouterr().out
    _assert_carried(read_plate_parts(shots / "mp.0001.exr"), read_plate_parts(tmp_path / "a.0001.exr"), {(1, "")})
    assert main(["render", "-i", str(shots / "mv.####.exr"), "-o", str(tmp_path / "b.####.exr"),
                 "--look", look, "--frames", "1", "--views", "left", "-q"]) == 0
    _assert_carried(read_plate_parts(shots / "mv.0001.exr"), read_plate_parts(tmp_path / "b.0001.exr"),
                    {(0, "left")})
    assert main(["render", "-i", str(shots / "mp.####.exr"), "-o", str(tmp_path / "c.####.exr"),
                 "--look", look, "--frames", "1", "--part", "beauty", "-q"]) == 1
    assert "no part 'beauty'" in capsys.readouterr().err


def test_stylize_frame_matches_stylize_part_by_part(look):
    parts = Frame(_multipart())
    lk = vn.load_look(look)
    stats = vn.collect_stats([parts[0]], lk)
    out = stylize_frame(parts, lk, stats=stats)
    np.testing.assert_array_equal(out[1].pixels, vn.stylize(parts[1], lk, stats=stats).pixels)
    assert out[2] is parts[2] and out[3] is parts[3]
    plain = stylize_frame(parts[0], lk)  # a plain Plate: stylize itself
    np.testing.assert_array_equal(plain.pixels, vn.stylize(parts[0], lk).pixels)


def test_parts_must_share_the_display_window(tmp_path):
    a = _p(["R", "G", "B"], 0, name="a")
    b = a.replace(display_window=(0, 0, 9, 9), header={"name": "b"})
    with pytest.raises(PlateWriteError, match="share the display window"):
        write_plate_parts([a, b], tmp_path / "x.exr")
    with pytest.raises(PlateWriteError, match="repeat"):
        write_plate_parts([a, a], tmp_path / "x.exr")
    with pytest.raises(PlateWriteError, match="only EXR holds several parts"):
        write_plate_parts([a, a.replace(header={"name": "c"})], tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


def test_real_stereo_plate_keeps_every_channel(exr_corpus, look, tmp_path, capsys):
    """OpenEXR's Beachball/singlepart: 20 half channels, multiView right/left, overscan."""
    src = exr_corpus / "Beachball" / "singlepart.####.exr"
    assert main(["render", "-i", str(src), "-o", str(tmp_path / "bb.####.exr"), "--look", look,
                 "--frames", "1", "-q"]) == 0
    out = capsys.readouterr().out
    assert "main RGB (view right)" in out and "layer 'left' (view left)" in out
    _assert_carried(read_plate_parts(str(src).replace("####", "0001")), read_plate_parts(tmp_path / "bb.0001.exr"),
                    {(0, ""), (0, "left")})

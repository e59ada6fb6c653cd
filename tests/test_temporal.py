"""Steady shots: the motion-guided blend (engine.temporal) and the renderer's temporal
mode — steadier than per-frame, no ghosting or blur build-up over a long shot, farm
chunks and resumed renders that match a straight render, settings checked up front."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")

from vfx_nodes.color import display_view_rgb
from vfx_nodes.engine import sequence as seq
from vfx_nodes.engine.metrics import warping_error_along
from vfx_nodes.engine.temporal import Steadier, TemporalSettings
from vfx_nodes.errors import MotionError, SettingsError
from vfx_nodes.io import read_plate, write_plate
from vfx_nodes.plate import Plate
from vfx_nodes.shots import moving_shot

RGB = ("R", "G", "B")


def _display(plate: Plate) -> np.ndarray:
    return np.clip(display_view_rgb(plate.channels(RGB), "ACEScg"), 0, 1)


def boil(plate, look=None, *, stats=None, layer="", strength=1.0, amount=0.08):
    """A fake look that boils: the plate plus fresh grain every frame (seeded by the
    frame's pixels, so a frame always gets the same grain)."""
    seed = int(hashlib.sha1(np.ascontiguousarray(plate.pixels[..., :3]).tobytes()).hexdigest()[:8], 16)
    grain = np.random.default_rng(seed).normal(0, amount, plate.pixels.shape[:2] + (3,)).astype(np.float32)
    grain = (grain + np.roll(grain, 1, 0) + np.roll(grain, 1, 1)) / 3  # strokes a few px wide
    rgb = plate.channels(RGB) + strength * grain
    return plate.with_channels({n: rgb[..., i] for i, n in enumerate(RGB)})


def _steady(shot, mode="vectors", weight=None, stylize=boil):
    st = Steadier(TemporalSettings.make(mode, weight))
    styled = [stylize(f) for f in shot.frames]
    return styled, [st(f, s) for f, s in zip(shot.frames, styled)]


def _e(frames, shot):
    return warping_error_along([_display(f) for f in frames], shot.backward, shot.valid)


# --- settings ------------------------------------------------------------------------------

def test_settings_are_checked():
    assert not TemporalSettings.make().on
    assert TemporalSettings.make("AUTO", 0.5).mode == "auto"
    assert not TemporalSettings.make("vectors", 0.0).on
    for bad, match in ((("sideways",), "choose one of off, vectors, flow, auto"),
                       (("flow", 1.0), "must be ≥ 0 and < 1"), (("flow", 0.5, None, 1), "preroll")):
        with pytest.raises(SettingsError, match=match):
            TemporalSettings.make(*bad)
    assert TemporalSettings.make("flow", 0.5, "forward", 8).record() == {
        "temporal": "flow", "temporal_weight": "0.5", "motion_layer": "forward", "preroll": "8"}


# --- the blend -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["pan", "rotate", "parallax"])
@pytest.mark.parametrize("mode", ["vectors", "flow"])
def test_steadier_than_per_frame(kind, mode):
    shot = moving_shot(kind, 8, 96, 64)
    styled, steady = _steady(shot, mode)
    per_frame, held = _e(styled, shot), _e(steady, shot)
    assert held < 0.3 * per_frame, (kind, mode, held / per_frame)


def test_nothing_is_carried_when_the_look_changes_nothing():
    """The blend carries the look's *change*, never the picture: a look that changes
    nothing gives the plates back exactly, however the shot moves (no ghosting)."""
    shot = moving_shot("parallax", 6, 80, 48)
    _styled, steady = _steady(shot, "vectors", 0.95, stylize=lambda p: p)
    for f, s in zip(shot.frames, steady):
        np.testing.assert_array_equal(s.channels(RGB), f.channels(RGB))


def test_a_hundred_frames_build_up_no_blur_or_ghost():
    """A look whose strokes (a few px wide) stick to the surfaces, moving with the world,
    plus fresh grain: after 100 frames the held strokes are as crisp as the look's own and
    the shot is still far steadier than per-frame."""
    shot = moving_shot("pan", 100, 64, 40, speed=0.6)
    import cv2

    strokes = cv2.GaussianBlur(np.random.default_rng(1).random((120, 300, 3)).astype(np.float32), (0, 0), 1.5)
    world_tex = moving_shot("pan", 100, 64, 40, speed=0.6, world=(strokes - strokes.mean()) * 3.0 + 0.15)

    textures = {id(f): t for f, t in zip(shot.frames, world_tex.frames)}

    def stylize(plate):
        t = textures[id(plate)].channels(RGB)
        return boil(plate.with_channels({n: (plate.channels(RGB) + t - 0.15)[..., i] for i, n in enumerate(RGB)}),
                    amount=0.03)

    styled, steady = _steady(shot, "vectors", stylize=stylize)

    def detail(p: Plate) -> float:
        d = _display(p)
        return float(np.mean((d[1:, 1:] - d[:-1, :-1]) ** 2))

    late, early = slice(90, 100), slice(10, 20)

    def kept(frames: slice) -> float:  # the held shot's fine detail over the look's own
        return float(np.mean([detail(s) for s in steady[frames]]) / np.mean([detail(s) for s in styled[frames]]))

    assert kept(late) > 0.85, kept(late)  # as crisp as the look's own frames
    assert kept(late) > 0.9 * kept(early)  # and no blur building up over the shot
    sub = lambda xs, r: list(xs[r])  # noqa: E731
    e_styled = warping_error_along([_display(f) for f in sub(styled, late)], sub(shot.backward, late),
                                   sub(shot.valid, late))
    e_steady = warping_error_along([_display(f) for f in sub(steady, late)], sub(shot.backward, late),
                                   sub(shot.valid, late))
    assert e_steady < 0.5 * e_styled  # fine grain is carried weakly on purpose (temporal.carry)
    e_early = warping_error_along([_display(f) for f in sub(steady, early)], sub(shot.backward, early),
                                  sub(shot.valid, early))
    assert e_steady < 1.2 * e_early  # and it does not drift over the shot


def test_alpha_zero_and_non_finite_pixels_keep_their_own_values():
    shot = moving_shot("pan", 3, 48, 32)
    frames = []
    for f in shot.frames:
        px = f.pixels.copy()
        px[:, :8, 3] = 0.0  # transparent strip
        px[5, 20, 0] = np.nan
        frames.append(f.replace(pixels=px))
    st = Steadier(TemporalSettings.make("vectors"))
    for f in frames:
        styled = boil(f)
        out = st(f, styled)
        np.testing.assert_array_equal(out.channels(RGB)[:, :8], styled.channels(RGB)[:, :8])
        assert np.isnan(out.channel("R")[5, 20])
        np.testing.assert_array_equal(out.channel("A"), f.channel("A"))


def test_stereo_frames_hold_each_eye_on_its_own_vectors():
    from vfx_nodes.engine.parts import Frame

    shot = moving_shot("pan", 4, 48, 32)
    other = moving_shot("rotate", 4, 48, 32)
    frames = []
    for a, b in zip(shot.frames, other.frames):
        chans = {f"left.{n}": b.channel(n) for n in ("R", "G", "B", "A")}
        chans.update({f"forward.left.{c}": b.channel(f"forward.{c}") for c in "uv"})
        chans.update({f"backward.left.{c}": b.channel(f"backward.{c}") for c in "uv"})
        frames.append(Frame([a.with_channels(chans).replace(header={"multiView": ["right", "left"]})]))
    st = Steadier(TemporalSettings.make("vectors"))
    for f in frames:
        st(f, Frame([boil(f[0])]))
    assert set(st.last_motion) == {(0, ""), (0, "left")}
    np.testing.assert_allclose(st.last_motion[(0, "")].backward, shot.backward[3], atol=1e-5)
    np.testing.assert_allclose(st.last_motion[(0, "left")].backward, other.backward[3], atol=1e-5)


def test_the_cross_fade_keeps_the_strokes_contrast():
    """Two unrelated stroke layers mixed half and half keep the detail energy of one layer
    (a plain average keeps half of it); two equal layers come back as they are."""
    from vfx_nodes.engine.temporal import DETAIL_SIGMA, cross_fade

    rng = np.random.default_rng(0)
    a, b = (rng.normal(0, 0.1, (64, 96, 3)).astype(np.float32) for _ in range(2))

    def detail(x):
        import cv2

        d = x - cv2.GaussianBlur(x, (0, 0), DETAIL_SIGMA)
        return float(np.mean(d * d))

    mixed = cross_fade((a, b), (0.5, 0.5))
    assert detail(0.5 * a + 0.5 * b) < 0.6 * detail(a)
    assert 0.85 * detail(a) < detail(mixed) < 1.15 * detail(a)
    np.testing.assert_allclose(cross_fade((a, a.copy()), (0.3, 0.7)), a, atol=1e-6)
    np.testing.assert_array_equal(cross_fade((a, b), (0.0, 1.0)), b)


def test_each_layer_starts_again_on_fixed_frames():
    from vfx_nodes.engine.temporal import layer_ages

    st = Steadier(TemporalSettings.make("vectors", preroll=8))
    assert layer_ages(1016, 8) == (0, 4) and layer_ages(1013, 8) == (5, 1)
    assert st.lead(1013) == 1008 and st.lead(1016) == 1012  # the older layer's start


def test_strokes_are_carried_on_the_looks_grid():
    """A look painted at a quarter of the frame's lines (stroke scale ≤ 0.5): the strokes
    are carried on its grid — still far steadier than per-frame, and a look that changes
    nothing still gives the plates back exactly."""
    import types

    from vfx_nodes.engine.temporal import _Grid

    shot = moving_shot("pan", 8, 128, 80)
    look = types.SimpleNamespace(metadata={"frame_height": 20})  # scale 0.25

    def coarse_boil(plate):  # grain on the look's grid, upsampled as stylize does
        import cv2

        fine = boil(plate, amount=0.1).channels(RGB) - plate.channels(RGB)
        small = cv2.resize(fine, (32, 20), interpolation=cv2.INTER_AREA)
        grain = cv2.resize(small, (128, 80), interpolation=cv2.INTER_LINEAR)
        return plate.with_channels({n: (plate.channels(RGB) + grain)[..., i] for i, n in enumerate(RGB)})

    st = Steadier(TemporalSettings.make("vectors"), look=look)
    assert _Grid((80, 128), st._stroke_scale(shot.frames[0])).size == (20, 32)
    styled = [coarse_boil(f) for f in shot.frames]
    steady = [st(f, s) for f, s in zip(shot.frames, styled)]
    assert _e(steady, shot) < 0.3 * _e(styled, shot)
    same = Steadier(TemporalSettings.make("vectors"), look=look)
    for f in shot.frames:
        np.testing.assert_array_equal(same(f, f).channels(RGB), f.channels(RGB))


# --- the renderer ----------------------------------------------------------------------------

FRAMES = "1001-1012"


@pytest.fixture(scope="module")
def plates(tmp_path_factory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("steady")
    shot = moving_shot("pan", 12, 64, 40)
    for i, f in enumerate(shot.frames):
        write_plate(f.replace(pixel_types=("float",) * len(f.channel_names)), root / f"plate.{1001 + i}.exr")
    return root, shot


def _render(root: Path, out: str, **kw):
    io = seq.RenderIO(stylize=boil, load_look=lambda path: "look")
    return seq.render_sequence(str(root / "plate.####.exr"), str(root / out / "s.####.exr"), "look.safetensors",
                               FRAMES, io=io, **kw)


def _outputs(root: Path, out: str) -> list[Plate]:
    return [read_plate(str(root / out / f"s.{f}.exr")) for f in range(1001, 1013)]


def test_render_temporal_is_steadier_and_says_so(plates):
    root, shot = plates
    off = _render(root, "off")
    on = _render(root, "vec", temporal="vectors")
    assert off.temporal == {} and on.temporal["temporal"] == "vectors"
    assert "temporal vectors (weight 0.99)" in on.summary()
    e_off, e_on = _e(_outputs(root, "off"), shot), _e(_outputs(root, "vec"), shot)
    assert e_on < 0.3 * e_off


def test_farm_chunks_and_a_resume_match_the_straight_render(plates):
    """A frame depends on at most ``preroll − 1`` frames before it (the two carried layers
    start again on fixed frame numbers), so chunks rendered in any order and a render
    resumed after a kill give every frame exactly what the straight render gave it."""
    root, shot = plates
    straight = _outputs(root, "vec6") if (root / "vec6").exists() else None
    if straight is None:
        _render(root, "vec6", temporal="vectors", preroll=6)
        straight = _outputs(root, "vec6")
    # three chunks rendered "in parallel": each starts before the one before it finished;
    # life 6: layer 0 starts on frames ≡ 0 (mod 6), layer 1 on frames ≡ 3, so 1005 leads in
    # from 1002 (layer 0's start, the older of the two) and 1009 from 1005 (layer 1's)
    rolls = {3: (1005, 1006, 1007, 1008), 2: (1002, 1003, 1004), 1: ()}
    for k in (3, 2, 1):
        rep = _render(root, "chunks", temporal="vectors", chunk=f"{k}/3", preroll=6)
        assert rep.prerolled == rolls[k] and rep.rendered == tuple(range(1001 + 4 * (k - 1), 1005 + 4 * (k - 1)))
    for a, b in zip(_outputs(root, "chunks"), straight):
        np.testing.assert_allclose(a.channels(RGB), b.channels(RGB), atol=1e-5)
    # a resume (kill -9 after frame 1006): the rerun pre-rolls what frame 1007 depends on
    for f in range(1007, 1013):
        (root / "vec6" / f"s.{f}.exr").unlink()
    rep = _render(root, "vec6", temporal="vectors", preroll=6)
    assert rep.rendered == tuple(range(1007, 1013)) and rep.prerolled == tuple(range(1002, 1007))
    for a, b in zip(_outputs(root, "vec6"), straight):
        np.testing.assert_allclose(a.channels(RGB), b.channels(RGB), atol=1e-5)
    # and the pairs across the chunk boundaries are like any other pair
    pairs = [_e(straight[i - 1:i + 1], _sub(shot, i)) for i in range(1, 12)]
    assert max(pairs[3], pairs[7]) < 2.0 * np.mean(pairs)


def _sub(shot, i):
    """The motion of the frame pair (i-1, i) alone, as a two-frame shot."""
    import types

    return types.SimpleNamespace(backward=[None, shot.backward[i]], valid=[None, shot.valid[i]])


def test_temporal_settings_fail_before_any_frame(plates, tmp_path):
    root, _shot = plates
    with pytest.raises(SettingsError, match="temporal="):
        _render(root, "bad", temporal="smooth")
    bare = tmp_path / "bare"
    bare.mkdir()
    for f in (1001, 1002):
        p = read_plate(str(root / f"plate.{f}.exr"))
        write_plate(p.without_channels([c for c in p.channel_names if "ward" in c]), bare / f"plate.{f}.exr")
    io = seq.RenderIO(stylize=boil, load_look=lambda path: "look")
    render = functools.partial(seq.render_sequence, str(bare / "plate.####.exr"), str(bare / "o" / "s.####.exr"),
                               "look.safetensors", "1001-1002", io=io)
    with pytest.raises(MotionError, match="has no motion vectors"):
        render(temporal="vectors")
    assert not (bare / "o" / "s.1001.exr").exists()
    rep = render(temporal="auto")  # auto: no vectors → optical flow
    assert rep.rendered == (1001, 1002)


def test_stats_file_records_the_temporal_settings():
    prov = seq.stats_provenance("look", (1001, 1002), {"temporal": "vectors", "temporal_weight": "0.9"})
    assert prov["settings"] == {"temporal": "vectors", "temporal_weight": "0.9"}
    assert seq.stats_provenance("look", (1001, 1002), {})["settings"] == {}


def test_cli_render_temporal_flags(plates, tmp_path):
    from vfx_nodes.cli.main import main

    root, _shot = plates
    with pytest.raises(SystemExit):
        main(["render", "--input", str(root / "plate.####.exr"), "--output", str(tmp_path / "x.####.exr"),
              "--look", "none.safetensors", "--frames", FRAMES, "--temporal", "sideways"])
    assert "--temporal" in capsys_help(main)


def capsys_help(main) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit):
        main(["render", "--help"])
    text = buf.getvalue()
    assert "--temporal-weight" in text and "--motion-layer" in text and "--preroll" in text
    return text

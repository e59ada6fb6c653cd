"""Motion between frames: each renderer's vector convention read into the one field,
optical flow, the confidence masks, and the errors for vectors that cannot be used."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")

from vfx_nodes.color import display_view_rgb
from vfx_nodes.engine import motion as M
from vfx_nodes.engine.metrics import warping_error_along
from vfx_nodes.errors import MotionError
from vfx_nodes.plate import Plate
from vfx_nodes.shots import moving_shot


def _display(plate: Plate) -> np.ndarray:
    return np.clip(display_view_rgb(plate.channels(("R", "G", "B")), "ACEScg"), 0, 1)


def _with_vectors(names: tuple[str, ...], planes: list[np.ndarray], h: int = 8, w: int = 10,
                  **kw: object) -> Plate:
    rgb = [np.full((h, w), 0.5, np.float32)] * 3
    return Plate(np.stack(rgb + planes, -1), ("R", "G", "B", *names), **kw)  # type: ignore[arg-type]


# --- conventions -----------------------------------------------------------------------------

def test_each_convention_reads_into_backward_pixels_y_down():
    """A pixel that was 2 px to the left and 1 px *above* in the previous frame: every
    convention's spelling of that motion reads as backward (dx, dy) = (-2, -1)."""
    h, w = 8, 10
    c = lambda v: np.full((h, w), v, np.float32)  # noqa: E731
    # Nuke backward: points to where it was, v up → (-2, +1)
    nuke_b = _with_vectors(("backward.u", "backward.v"), [c(-2), c(1)])
    # Blender: XY is the motion previous → current (+2 right, 1 down = -1 up)
    blender = _with_vectors(("Vector.X", "Vector.Y", "Vector.Z", "Vector.W"), [c(2), c(-1), c(3), c(0)])
    for plate, name in ((nuke_b, "nuke-backward"), (blender, "blender")):
        vec = M.find_vectors(plate)
        assert vec is not None and vec.convention.name == name
        _fwd, bwd = M.vector_fields(plate, vec)
        assert bwd is not None
        np.testing.assert_allclose(bwd[0, 0], [-2.0, -1.0])
    fwd, _ = M.vector_fields(blender, M.find_vectors(blender))  # type: ignore[arg-type]
    np.testing.assert_allclose(fwd[0, 0], [3.0, 0.0])  # type: ignore[index]
    # Nuke forward and Arnold: current → next, v up
    for names, conv in ((("forward.u", "forward.v"), "nuke-forward"), (("motionvector.R", "motionvector.G"), "arnold")):
        plate = _with_vectors(names, [c(4), c(2)])
        vec = M.find_vectors(plate)
        assert vec is not None and vec.convention.name == conv
        fwd, bwd = M.vector_fields(plate, vec)
        assert bwd is None
        np.testing.assert_allclose(fwd[0, 0], [4.0, -2.0])  # type: ignore[index]


def test_stereo_views_find_their_own_vectors():
    """OpenEXR multi-view naming (layer.view.channel): the left eye's vectors for the
    'left' layer, the default view's for the main RGB."""
    c = lambda v: np.full((4, 4), v, np.float32)  # noqa: E731
    plate = _with_vectors(("forward.left.u", "forward.left.v", "forward.right.u", "forward.right.v"),
                          [c(1), c(0), c(5), c(0)], h=4, w=4, header={"multiView": ["right", "left"]})
    left = M.find_vectors(plate, layer="left")
    right = M.find_vectors(plate, layer="")
    assert left is not None and left.layer == "forward.left"
    assert right is not None and right.layer == "forward.right"


def test_named_motion_layer_and_its_errors():
    c = lambda v: np.full((4, 4), v, np.float32)  # noqa: E731
    plate = _with_vectors(("mv2d.x", "mv2d.y"), [c(1), c(0)], h=4, w=4)
    with pytest.raises(MotionError, match="cannot tell how its vectors are written"):
        M.find_vectors(plate, motion_layer="mv2d")
    vec = M.find_vectors(plate, motion_layer="mv2d:arnold")
    assert vec is not None and vec.forward == ("mv2d.x", "mv2d.y")
    with pytest.raises(MotionError, match="has no such layer.*mv2d"):
        M.find_vectors(plate, motion_layer="motion")
    with pytest.raises(MotionError, match="unknown convention 'nuke'"):
        M.find_vectors(plate, motion_layer="mv2d:nuke")
    assert M.find_vectors(_with_vectors((), [], h=4, w=4)) is None


def test_non_finite_vectors_are_one_clear_error():
    c = np.zeros((4, 4), np.float32)
    bad = c.copy()
    bad[1, 2] = np.nan
    plate = _with_vectors(("backward.u", "backward.v"), [bad, c], h=4, w=4)
    with pytest.raises(MotionError, match="1 non-finite pixels"):
        M.vector_fields(plate, M.find_vectors(plate))  # type: ignore[arg-type]


def test_no_vectors_with_source_vectors_says_use_flow():
    shot = moving_shot("pan", 3, 40, 24)
    bare = [f.without_channels([c for c in f.channel_names if "ward" in c]) for f in shot.frames]
    with pytest.raises(MotionError, match="temporal='flow'"):
        M.motion_between(bare[2], bare[1], _display(bare[2]), _display(bare[1]), source="vectors")


# --- the fields ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["pan", "rotate", "parallax"])
def test_vectors_and_flow_match_the_true_motion(kind):
    shot = moving_shot(kind, 3, 128, 80)
    cur, prev = shot.frames[2], shot.frames[1]
    truth, valid = shot.backward[2], shot.valid[2]
    for source, tol in (("vectors", 1e-4), ("flow", 0.2)):
        m = M.motion_between(cur, prev, _display(cur), _display(prev), source=source)
        err = np.abs(m.backward - truth).sum(-1)[valid & (m.confidence > 0.5)]
        assert np.median(err) < tol, (kind, source, np.median(err))
        assert m.confidence[valid].mean() > 0.85


def test_forward_only_vectors_are_inverted():
    shot = moving_shot("rotate", 3, 96, 64)
    fwd_only = [f.without_channels(["backward.u", "backward.v"]) for f in shot.frames]
    cur, prev = fwd_only[2], fwd_only[1]
    m = M.motion_between(cur, prev, _display(cur), _display(prev), source="vectors")
    assert m.source.startswith("vectors:nuke-forward")
    err = np.abs(m.backward - shot.backward[2]).sum(-1)[shot.valid[2]]
    assert np.median(err) < 0.01


def test_occlusion_is_flagged_where_the_card_revealed_background():
    shot = moving_shot("parallax", 3, 128, 80)
    cur, prev = shot.frames[2], shot.frames[1]
    revealed = ~shot.valid[2]
    assert revealed.sum() > 50
    for source, most in (("vectors", 0.35), ("flow", 0.5)):
        m = M.motion_between(cur, prev, _display(cur), _display(prev), source=source)
        # most revealed pixels (a 3–4 px strip: half of them on its edge) get no trust (the
        # photometric and forward-backward checks; flow finds look-alike background for some)
        assert m.confidence[revealed].mean() < most, source
        assert m.confidence[shot.valid[2]].mean() > 0.85, source


def test_moving_data_windows_line_up_on_the_canvas():
    """Frame t's data window starts 3 px right of frame t−1's: the warp accounts for it."""
    shot = moving_shot("pan", 3, 64, 40)
    prev, cur = shot.frames[1], shot.frames[2]
    cur_moved = cur.replace(pixels=np.ascontiguousarray(cur.pixels[:, 3:]), data_window=(3, 0, 63, 39))
    m = M.motion_between(cur_moved, prev, _display(cur_moved), _display(prev), source="vectors")
    warped, inside = M.warp(_display(prev), m.backward, (3.0, 0.0))
    ok = (inside > 0) & shot.valid[2][:, 3:]
    assert np.abs(warped - _display(cur_moved))[ok].mean() < 0.01


def test_motion_on_a_coarser_grid_is_in_its_pixels():
    """Matching images given at half size: the field is made at that size, in its pixels."""
    import cv2

    shot = moving_shot("pan", 3, 96, 64)
    cur, prev = shot.frames[2], shot.frames[1]
    half = [cv2.resize(_display(f), (48, 32), interpolation=cv2.INTER_AREA) for f in (cur, prev)]
    for source in ("vectors", "flow"):
        m = M.motion_between(cur, prev, half[0], half[1], source=source)
        assert m.backward.shape == (32, 48, 2) and m.confidence.shape == (32, 48)
        truth = cv2.resize(shot.backward[2], (48, 32), interpolation=cv2.INTER_AREA) / 2
        ok = m.confidence > 0.5
        assert ok.mean() > 0.7, source
        assert np.median(np.abs(m.backward - truth).sum(-1)[ok]) < 0.15, source


def test_warping_error_along_is_the_plates_own_small_error():
    shot = moving_shot("rotate", 5, 96, 64)
    disp = [_display(f) for f in shot.frames]
    e = warping_error_along(disp, shot.backward, shot.valid)
    assert 0 < e < 1e-4
    noisy = [d + np.random.default_rng(i).normal(0, 0.05, d.shape).astype(np.float32) for i, d in enumerate(disp)]
    assert warping_error_along(noisy, shot.backward, shot.valid) > 20 * e


@pytest.mark.skipif(not os.environ.get("VFX_NODES_TEST_DATA"), reason="VFX_NODES_TEST_DATA is not set")
def test_beachball_stereo_vectors_read_per_view():
    """OpenEXR's Beachball sample: forward vectors for both eyes (u right, v up)."""
    from vfx_nodes.io import read_plate

    path = Path(os.environ["VFX_NODES_TEST_DATA"]) / "exr/Beachball/singlepart.0001.exr"
    if not path.exists():
        pytest.skip(f"{path} not in the corpus")
    plate = read_plate(str(path))
    for layer, want in (("left", "forward.left"), ("", "forward.right")):
        vec = M.find_vectors(plate, layer=layer)
        assert vec is not None and vec.layer == want and vec.convention.name == "nuke-forward"
        fwd, _ = M.vector_fields(plate, vec)
        assert fwd is not None and np.isfinite(fwd).all()
        # the file's v is ≤ 0 (moving down in Nuke's y-up): down in rows is +y here
        assert fwd[..., 1].max() >= 0 and fwd[..., 1].min() >= -1e-3

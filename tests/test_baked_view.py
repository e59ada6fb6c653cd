"""A display/view baked into OCIO LUTs (color/baked.py): how close to the exact view,
the round trip, OCIO's isolated black points, views not worth baking, bakes kept apart
from OCIO's processor cache, one bake for many threads, the cache and bad arguments."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from vfx_nodes.color import baked as baked_mod
from vfx_nodes.color import clear_caches, display_view_rgb
from vfx_nodes.color.baked import BAKE_SIZE, ROUND_TRIP_TOLERANCE, baked_view
from vfx_nodes.errors import ColorSpaceError

DISPLAY, VIEW = "sRGB - Display", "ACES 2.0 - SDR 100 nits (Rec.709)"


def _scene(n: int = 60_000, seed: int = 3) -> np.ndarray:
    """ACEScg values as a photograph holds them: exposures over ~12 stops, greys and
    saturated colours, some grain below 0."""
    rng = np.random.default_rng(seed)
    light = np.exp(rng.normal(-1.5, 1.6, n)).astype(np.float32)
    tint = rng.uniform(0.15, 1.0, (n, 3)).astype(np.float32)
    tint[: n // 4] = 1.0  # greys
    rgb = light[:, None] * tint
    rgb[: n // 50] = rng.normal(0.0, 0.004, (n // 50, 3))  # grain in the blacks
    return rgb.astype(np.float32)


def _exact(rgb: np.ndarray) -> np.ndarray:
    return np.clip(display_view_rgb(rgb, "ACEScg", DISPLAY, VIEW), 0.0, 1.0)


def _close_to_the_view(rgb: np.ndarray) -> None:
    """The forward and the inverse against OCIO's exact view (display units)."""
    b = baked_view("ACEScg", DISPLAY, VIEW)
    shown = _exact(rgb)
    off = np.abs(np.clip(b.to_display(rgb), 0.0, 1.0) - shown).max(axis=-1)
    assert np.median(off) < 3e-4 and np.quantile(off, 0.99) < 3e-3, (np.median(off), np.quantile(off, 0.99))
    # any display picture (the network's) back through the baked inverse, seen again exactly
    painted = np.clip(shown + np.random.default_rng(0).normal(0, 0.08, shown.shape), 0, 1).astype(np.float32)
    seen = np.abs(_exact(b.from_display(painted)) - painted).max(axis=-1)
    assert np.median(seen) < 2e-4 and np.quantile(seen, 0.99) < 2e-3, (np.median(seen), np.quantile(seen, 0.99))


def test_the_bake_is_the_view_to_a_fraction_of_an_8bit_code():
    _close_to_the_view(_scene())


def test_on_the_sample_photographs():
    root = os.environ.get("VFX_NODES_TEST_DATA")
    if not root:
        pytest.skip("VFX_NODES_TEST_DATA not set")
    from vfx_nodes.io import read_exr

    rgb = [read_exr(Path(root) / "exr" / "ScanLines" / f"{n}.exr").channels(("R", "G", "B")).reshape(-1, 3)
           for n in ("Cannon", "Desk")]
    _close_to_the_view(np.nan_to_num(np.concatenate(rgb).astype(np.float32)))


def test_the_round_trip_brings_most_values_back_and_finds_the_rest():
    """Within ROUND_TRIP_TOLERANCE for what the view can show; light above the view's
    white and values below the shaper do not come back, and the check finds them."""
    b = baked_view("ACEScg", DISPLAY, VIEW)
    rgb = _scene()
    back = b.from_display(np.clip(b.to_display(rgb), 0, 1))
    rel, tol = ROUND_TRIP_TOLERANCE
    kept = (np.abs(back - rgb) <= rel * np.abs(rgb) + tol).all(axis=-1)
    assert kept.mean() > 0.75
    greys = rgb[: len(rgb) // 4]
    shown_grey = (greys.max(axis=-1) < 8.0) & (greys.min(axis=-1) > 0.01)
    assert kept[: len(rgb) // 4][shown_grey].mean() > 0.99  # the neutral axis is the tone curve itself
    far = np.array([[500.0, 500.0, 500.0], [-0.5, 0.2, 0.2]], np.float32)
    back_far = b.from_display(np.clip(b.to_display(far), 0, 1))
    assert not (np.abs(back_far - far) <= rel * np.abs(far) + tol).all(axis=-1).any()
    assert 128.0 <= b.top <= 512.0  # twice the view's white (128 × diffuse white for ACES 2.0 SDR)


class _Smooth:
    """A stand-in CPU processor: a smooth function, black at one input (as OCIO's ACES 2.0
    output transform is at a few isolated points)."""

    def __init__(self, black: np.ndarray):
        self.black = black

    def applyRGB(self, rgb: np.ndarray) -> None:
        hit = np.all(np.abs(rgb - self.black) < 1e-6, axis=-1)
        rgb[...] = 0.2 + 0.5 * rgb ** 2
        rgb[hit] = 0.0


def test_an_isolated_black_sample_is_taken_again_beside_itself():
    size = 9
    axis = np.linspace(0, 1, size, dtype=np.float32)
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    black = grid[4 * 81 + 5 * 9 + 6].copy()
    table = baked_mod._sample(_Smooth(black), grid, size)
    want = 0.2 + 0.5 * grid ** 2
    np.testing.assert_allclose(table, want, atol=2e-3)
    assert baked_mod._spikes(want, size).size == 0  # a smooth table has none


def test_ocios_black_point_in_aces2_does_not_reach_the_bake():
    """(98.8, 159.1, 84.3) ACEScg sat on a cube sample and came out black: before the
    spike check a whole cell of highlights around it read 0.17–0.35."""
    b = baked_view("ACEScg", DISPLAY, VIEW)
    near = np.array([[100.75, 157.75, 83.5625], [99.5625, 160.75, 83.375]], np.float32)
    assert b.to_display(near).min() > 0.99


def test_cached_non_finite_kept_and_bad_arguments():
    b = baked_view("ACEScg", DISPLAY, VIEW)
    assert baked_view("ACEScg", DISPLAY, VIEW) is b
    out = b.to_display(np.array([[np.nan, 0.2, 0.3], [np.inf, 0.2, 0.3]], np.float32))
    assert np.isnan(out[0, 0]) and np.isinf(out[1, 0]) and np.isfinite(out[:, 1:]).all()
    with pytest.raises(ValueError, match="2-129"):
        baked_view("ACEScg", DISPLAY, VIEW, size=200)
    with pytest.raises(ColorSpaceError):
        baked_view("ACEScg", DISPLAY, "No Such View")
    with pytest.raises(ColorSpaceError):
        baked_view("not a space", DISPLAY, VIEW)
    assert BAKE_SIZE == 129


def test_a_view_of_matrices_and_curves_is_not_baked():
    """A view without a fixed function (no tone scale: a matrix and the sRGB curve) is as
    fast exact as baked, and a cube would round off its clip: it comes back exact."""
    b = baked_view("ACEScg", DISPLAY, "Un-tone-mapped")
    assert not b.baked and b.top == float("inf")
    rgb = _scene(2000)
    np.testing.assert_array_equal(b.to_display(rgb), display_view_rgb(rgb, "ACEScg", DISPLAY, "Un-tone-mapped"))
    assert baked_view("ACEScg", DISPLAY, VIEW).baked
    clear_caches()
    assert baked_view("ACEScg", DISPLAY, "Un-tone-mapped") is not b


def test_two_views_with_the_same_shaper_each_get_their_own_bake():
    """OCIO caches a config's processors by the transforms' text, which for an in-memory
    LUT is its size and range, not its values: baked in a shared config, the second of two
    views with the same shaper and range (a colorimetric view and Raw, both ending at
    twice white) came back as the first."""
    from vfx_nodes.color import get_display_view_processor

    x = np.array([[0.5, 0.5, 0.5], [0.1, 0.2, 0.3], [0.9, 0.1, 0.5]], np.float32)
    for v in ("Video (colorimetric)", "Raw"):
        exact = [get_display_view_processor("ACEScg", DISPLAY, v, inverse=inv) for inv in (False, True)]
        b = baked_mod._bake(*exact, 17)
        np.testing.assert_allclose(b.from_display(x), display_view_rgb(x, "ACEScg", DISPLAY, v, inverse=True),
                                   rtol=3e-2, atol=3e-3)


def test_threads_asking_at_once_wait_for_one_bake():
    """The recipe's strip workers all ask on a frame's first strips: one bakes (all cores,
    ~0.3 GB while it runs), the others wait for it and share it."""
    import threading

    from vfx_nodes.color.baked import bakes_made

    clear_caches()
    before = bakes_made()
    got = []
    start = threading.Barrier(6)

    def ask():
        start.wait()
        got.append(baked_view("ACEScg", DISPLAY, VIEW, size=9))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bakes_made() - before == 1 and len(got) == 6 and all(g is got[0] for g in got)

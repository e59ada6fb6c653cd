"""Premultiplication: golden values, alpha 0 / negative / NaN / >1, round trips, inputs."""

from __future__ import annotations

import numpy as np
import pytest

from vfx_nodes.color import alpha_mask, premultiply, unpremultiply
from vfx_nodes.errors import ColorError


def test_golden_values():
    rgb = np.array([[0.25, 0.5, 1.0], [2.0, 0.0, -1.0]], np.float32)
    alpha = np.array([0.5, 4.0], np.float32)
    np.testing.assert_array_equal(unpremultiply(rgb, alpha), [[0.5, 1.0, 2.0], [0.5, 0.0, -0.25]])
    np.testing.assert_array_equal(premultiply(rgb, alpha), [[0.125, 0.25, 0.5], [8.0, 0.0, -4.0]])


@pytest.mark.parametrize("a", [0.0, -0.0, -0.5, np.nan, np.inf, -np.inf])
def test_colour_is_left_as_is_where_alpha_is_not_positive_and_finite(a):
    rgb = np.array([[3.0, -0.5, 0.0]], np.float32)   # light on a transparent pixel
    alpha = np.array([a], np.float32)
    assert not alpha_mask(alpha)[0]
    assert unpremultiply(rgb, alpha).tobytes() == rgb.tobytes()
    assert premultiply(rgb, alpha).tobytes() == rgb.tobytes()


def test_round_trip_is_bit_exact_where_alpha_is_zero_and_within_rounding_elsewhere():
    rng = np.random.default_rng(0)
    rgb = rng.uniform(-1.0, 1000.0, (32, 32, 3)).astype(np.float32)
    alpha = rng.uniform(-0.2, 1.6, (32, 32)).astype(np.float32)   # negative and >1 too
    alpha[:4] = 0.0
    alpha[4, :3] = (np.nan, np.inf, -np.inf)
    back = premultiply(unpremultiply(rgb, alpha), alpha)
    off = ~alpha_mask(alpha)
    assert off[:4].all() and off[4, :3].all() and (alpha[off & np.isfinite(alpha)] <= 0).all()
    assert back[off].tobytes() == rgb[off].tobytes()
    np.testing.assert_allclose(back[~off], rgb[~off], rtol=2.5e-7, atol=0)  # one rounding each way

    # and the other way round (straight → premultiplied → straight)
    again = unpremultiply(premultiply(rgb, alpha), alpha)
    assert again[off].tobytes() == rgb[off].tobytes()
    np.testing.assert_allclose(again[~off], rgb[~off], rtol=2.5e-7, atol=0)


def test_alpha_above_one_is_divided_like_any_positive_alpha():
    out = unpremultiply(np.array([[3.0, 3.0, 3.0]], np.float32), np.array([1.5], np.float32))
    np.testing.assert_array_equal(out, [[2.0, 2.0, 2.0]])


def test_non_finite_colour_stays_non_finite():
    rgb = np.array([[np.nan, np.inf, -np.inf]], np.float32)
    out = unpremultiply(rgb, np.array([0.5], np.float32))
    assert np.isnan(out[0, 0]) and out[0, 1] == np.inf and out[0, 2] == -np.inf
    out = premultiply(rgb, np.array([0.5], np.float32))
    assert np.isnan(out[0, 0]) and out[0, 1] == np.inf and out[0, 2] == -np.inf


def test_alpha_may_carry_a_trailing_axis_and_inputs_are_not_modified():
    rng = np.random.default_rng(1)
    rgb = rng.uniform(0, 1, (4, 5, 3)).astype(np.float32)
    alpha = rng.uniform(0, 1, (4, 5, 1)).astype(np.float32)
    rgb_before, alpha_before = rgb.copy(), alpha.copy()
    rgb.flags.writeable = alpha.flags.writeable = False
    out = unpremultiply(rgb, alpha)
    assert out.dtype == np.float32 and out.shape == rgb.shape and not np.shares_memory(out, rgb)
    np.testing.assert_array_equal(out, unpremultiply(rgb, alpha[..., 0]))
    premultiply(rgb, alpha)
    np.testing.assert_array_equal(rgb, rgb_before)
    np.testing.assert_array_equal(alpha, alpha_before)


def test_float64_inputs_give_float32():
    out = premultiply(np.ones((2, 3)), np.full(2, 0.5))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.full((2, 3), 0.5, np.float32))


@pytest.mark.parametrize("rgb_shape,alpha_shape", [((4, 4, 3), (4, 5)), ((4, 4, 4), (4, 4)), ((4, 3), (4, 3))])
def test_shape_mismatch(rgb_shape, alpha_shape):
    with pytest.raises(ColorError, match="shape"):
        unpremultiply(np.zeros(rgb_shape, np.float32), np.zeros(alpha_shape, np.float32))
    with pytest.raises(ColorError, match="shape"):
        premultiply(np.zeros(rgb_shape, np.float32), np.zeros(alpha_shape, np.float32))

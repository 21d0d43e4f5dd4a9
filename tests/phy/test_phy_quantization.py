"""Tests for wmoe.phy.quantization (eq. 10-11)."""

from __future__ import annotations

import numpy as np
import pytest

from wmoe.phy.quantization import dequantize, quantization_step, quantize


def test_round_trip_error_is_at_most_half_a_step() -> None:
    rng = np.random.default_rng(0)
    z = rng.uniform(-2.0, 3.0, size=(200, 50))
    z_min, z_max = -2.0, 3.0
    levels = quantize(z, z_min, z_max)
    assert levels.dtype == np.int64 and levels.min() >= 0 and levels.max() <= 255
    step = quantization_step(z_min, z_max)
    assert step == pytest.approx(5.0 / 255)
    error = np.abs(dequantize(levels, z_min, z_max) - z)
    assert error.max() <= step / 2 * (1 + 1e-9)


def test_end_points_map_to_extreme_levels_and_back() -> None:
    z = np.array([-1.0, 1.0, 0.0])
    levels = quantize(z, -1.0, 1.0)
    np.testing.assert_array_equal(levels, [0, 255, 128])  # 127.5 rounds half to even
    np.testing.assert_allclose(dequantize(levels[:2], -1.0, 1.0), [-1.0, 1.0], atol=1e-15)


@pytest.mark.parametrize("num_bits", [1, 4, 12])
def test_other_resolutions(num_bits: int) -> None:
    z = np.linspace(0.0, 1.0, 1001)
    levels = quantize(z, 0.0, 1.0, num_bits)
    assert levels.max() == 2**num_bits - 1
    step = quantization_step(0.0, 1.0, num_bits)
    assert np.abs(dequantize(levels, 0.0, 1.0, num_bits) - z).max() <= step / 2 * (1 + 1e-9)


def test_per_dimension_ranges_broadcast() -> None:
    z = np.array([[0.0, 10.0], [1.0, 20.0]])
    z_min, z_max = np.array([0.0, 10.0]), np.array([1.0, 20.0])
    levels = quantize(z, z_min, z_max)
    np.testing.assert_array_equal(levels, [[0, 0], [255, 255]])
    np.testing.assert_allclose(dequantize(levels, z_min, z_max), z)


def test_out_of_range_raises_or_saturates() -> None:
    with pytest.raises(ValueError, match=r"z has a value 1.5 outside the quantiser range"):
        quantize(np.array([0.0, 1.5]), 0.0, 1.0)
    np.testing.assert_array_equal(quantize(np.array([-3.0, 1.5]), 0.0, 1.0, clip=True), [0, 255])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"z_min": 1.0, "z_max": 1.0}, "needs finite z_min < z_max, got z_min=1.0"),
        ({"z_min": 0.0, "z_max": float("inf")}, "needs finite z_min < z_max"),
        ({"z_min": 0.0, "z_max": 1.0, "num_bits": 0}, r"num_bits must be an int in \[1, 16\]"),
        ({"z_min": 0.0, "z_max": 1.0, "num_bits": 17}, "got 17"),
    ],
)
def test_quantize_rejects_bad_parameters(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        quantize(np.array([0.5]), **kwargs)


def test_quantize_rejects_non_finite_features() -> None:
    with pytest.raises(ValueError, match="z must be finite"):
        quantize(np.array([np.nan]), 0.0, 1.0)


def test_dequantize_rejects_bad_levels() -> None:
    with pytest.raises(ValueError, match=r"levels must be integers in \[0, 255\]"):
        dequantize(np.array([0, 256]), 0.0, 1.0)
    with pytest.raises(ValueError, match="levels must be integers"):
        dequantize(np.array([0.5]), 0.0, 1.0)

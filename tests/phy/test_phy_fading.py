"""Tests for wmoe.phy.fading: Rayleigh statistics and the Jakes / Gauss-Markov time correlation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import j0

from wmoe.phy.fading import (
    gauss_markov_sequence,
    gauss_markov_step,
    jakes_correlation,
    rayleigh_gains,
)

NUM_DRAWS = 200_000
# Tolerance of a sample mean of unit-variance terms over NUM_DRAWS draws, about 4.5 sigma.
MEAN_TOL = 0.01


def test_rayleigh_gains_are_circular_unit_power_gaussians() -> None:
    h = rayleigh_gains(np.random.default_rng(0), NUM_DRAWS)
    assert h.dtype == np.complex128 and h.shape == (NUM_DRAWS,)
    assert np.mean(np.abs(h) ** 2) == pytest.approx(1.0, abs=MEAN_TOL)
    assert abs(np.mean(h)) < MEAN_TOL
    assert abs(np.mean(h**2)) < MEAN_TOL  # circular symmetry: E[h^2] = 0
    assert np.var(h.real) == pytest.approx(0.5, abs=MEAN_TOL)
    assert np.var(h.imag) == pytest.approx(0.5, abs=MEAN_TOL)
    # |h|^2 is exponential with mean 1.
    assert np.mean(np.abs(h) ** 2 > 1.0) == pytest.approx(math.exp(-1.0), abs=MEAN_TOL)


def test_rayleigh_gains_shapes_and_seeding() -> None:
    assert rayleigh_gains(np.random.default_rng(1), (3, 4)).shape == (3, 4)
    assert rayleigh_gains(np.random.default_rng(1), ()).shape == ()
    np.testing.assert_array_equal(
        rayleigh_gains(np.random.default_rng(2), 5), rayleigh_gains(np.random.default_rng(2), 5)
    )


def test_rayleigh_gains_rejects_bad_shape() -> None:
    with pytest.raises(ValueError, match=r"shape must be a non-negative int"):
        rayleigh_gains(np.random.default_rng(0), (3, -1))


def test_jakes_correlation_matches_bessel_function() -> None:
    assert jakes_correlation(0.0, 1e-3) == 1.0
    assert jakes_correlation(100.0, 0.0) == 1.0
    # First zero of J0 at 2.4048: f_D T = 0.3827.
    assert jakes_correlation(2.404825557695773 / (2 * math.pi), 1.0) == pytest.approx(0, abs=1e-12)
    assert jakes_correlation(100.0, 1e-3) == pytest.approx(float(j0(0.2 * math.pi)), rel=1e-12)
    assert isinstance(jakes_correlation(10.0, 1e-3), float)
    rho = jakes_correlation(np.array([0.0, 10.0, 100.0]), 1e-3)
    np.testing.assert_allclose(rho, j0(2 * math.pi * np.array([0.0, 0.01, 0.1])), rtol=1e-12)


@pytest.mark.parametrize(
    ("doppler_hz", "interval_s", "match"),
    [
        (-1.0, 1e-3, "doppler_hz must be finite and >= 0"),
        (10.0, -1e-3, "interval_s must be finite and >= 0"),
        (float("nan"), 1e-3, "doppler_hz must be finite"),
    ],
)
def test_jakes_correlation_rejects_bad_inputs(
    doppler_hz: float, interval_s: float, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        jakes_correlation(doppler_hz, interval_s)


def test_gauss_markov_step_has_lag_one_correlation_rho_and_is_stationary() -> None:
    rng = np.random.default_rng(3)
    rho = jakes_correlation(100.0, 1e-3)  # about 0.904
    h = rayleigh_gains(rng, NUM_DRAWS)
    h_next = gauss_markov_step(h, rho, rng)
    assert np.mean(np.abs(h_next) ** 2) == pytest.approx(1.0, abs=MEAN_TOL)
    correlation = np.mean(h_next * np.conj(h))
    assert correlation.real == pytest.approx(rho, abs=MEAN_TOL)
    assert abs(correlation.imag) < MEAN_TOL


def test_gauss_markov_step_extremes_and_per_link_rho() -> None:
    rng = np.random.default_rng(4)
    h = rayleigh_gains(rng, (4, 2))
    np.testing.assert_array_equal(gauss_markov_step(h, 1.0, rng), h)
    h_next = gauss_markov_step(h, np.array([1.0, 0.0]), rng)
    np.testing.assert_array_equal(h_next[:, 0], h[:, 0])
    assert not np.any(h_next[:, 1] == h[:, 1])


def test_gauss_markov_sequence_is_stationary_with_geometric_correlation() -> None:
    rng = np.random.default_rng(5)
    rho = 0.8
    h = gauss_markov_sequence(rng, 6, 40_000, rho)
    assert h.shape == (6, 40_000)
    power = np.mean(np.abs(h) ** 2, axis=1)
    np.testing.assert_allclose(power, 1.0, atol=0.03)
    for lag in (1, 2, 3):
        correlation = np.mean(h[lag:] * np.conj(h[:-lag]))
        assert correlation.real == pytest.approx(rho**lag, abs=0.02)


@pytest.mark.parametrize(
    ("rho", "match"),
    [
        (1.5, r"rho must lie in \[-1, 1\], got 1.5"),
        (0.5 + 0.1j, "rho must be real"),
        (np.array([0.5, 0.5, 0.5]), "does not broadcast to h of shape"),
    ],
)
def test_gauss_markov_step_rejects_bad_rho(rho: float | np.ndarray, match: str) -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=match):
        gauss_markov_step(rayleigh_gains(rng, (4, 2)), rho, rng)


def test_gauss_markov_sequence_rejects_bad_length() -> None:
    with pytest.raises(ValueError, match="num_steps must be an int >= 1, got 0"):
        gauss_markov_sequence(np.random.default_rng(0), 0, 3, 0.5)

"""Tests for wmoe.phy.analog_link against the closed forms of eq. (5)-(6)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wmoe.phy.analog_link import (
    apply_analog_link,
    draw_effective_noise_std,
    draw_link_snrs_db,
    effective_noise_std,
)


def test_effective_noise_std_equals_sigma_over_p_h() -> None:
    # y = h p z + n with E[z^2] = 1.5, p = 2, sigma = 0.3: SNR = p^2 E[z^2] / sigma^2 = 66.7.
    p, sigma, feature_power = 2.0, 0.3, 1.5
    amplitude = np.array([0.1, 0.5, 1.0, 2.0])
    snr_db = 10 * math.log10(p**2 * feature_power / sigma**2)
    np.testing.assert_allclose(
        effective_noise_std(snr_db, amplitude, feature_power), sigma / (p * amplitude), rtol=1e-12
    )


def test_effective_noise_std_known_values_and_broadcasting() -> None:
    assert effective_noise_std(20.0, 0.5) == pytest.approx(0.2, rel=1e-12)
    assert effective_noise_std(0.0, 1.0, feature_power=4.0) == pytest.approx(2.0, rel=1e-12)
    std = effective_noise_std(np.array([[0.0], [20.0]]), np.array([1.0, 2.0, 4.0]))
    np.testing.assert_allclose(std, [[1.0, 0.5, 0.25], [0.1, 0.05, 0.025]], rtol=1e-12)


def test_apply_analog_link_noise_matches_effective_std() -> None:
    rng = np.random.default_rng(0)
    batch, links, dim = 400, 3, 120
    z = rng.standard_normal((batch, 1, dim))
    std = np.broadcast_to(np.array([0.0, 0.1, 2.0]), (batch, links))
    received = apply_analog_link(z, std, rng)
    assert received.shape == (batch, links, dim) and received.dtype == np.float64
    noise = received - z
    np.testing.assert_array_equal(noise[:, 0], 0.0)  # a perfect link
    # 48,000 samples per link: the sample variance is within about 1 % (3 sigma = 2 %).
    np.testing.assert_allclose(np.var(noise[:, 1:], axis=(0, 2)), [0.01, 4.0], rtol=0.02)
    np.testing.assert_allclose(np.mean(noise[:, 1:], axis=(0, 2)), 0.0, atol=0.03)


def test_analog_link_end_to_end_from_snr_and_fading() -> None:
    rng = np.random.default_rng(1)
    z = rng.standard_normal((2000, 64))  # unit feature power
    std = effective_noise_std(10.0, 0.5)  # SNR 10 dB, |h| = 0.5: sigma~^2 = 0.1 / 0.25
    noise = apply_analog_link(z, std, rng) - z
    assert np.var(noise) == pytest.approx(0.4, rel=0.02)


def test_draw_link_snrs_db_reads_variance_2500_as_std_50() -> None:
    snr_db = draw_link_snrs_db(np.random.default_rng(2), (50_000, 2))
    assert snr_db.shape == (50_000, 2)
    assert np.mean(snr_db) == pytest.approx(30.0, abs=1.0)
    assert np.std(snr_db) == pytest.approx(50.0, abs=1.0)
    np.testing.assert_array_equal(draw_link_snrs_db(np.random.default_rng(3), 4, 7.0, 0.0), 7.0)


def test_draw_effective_noise_std_follows_rayleigh_fading() -> None:
    # Fixed SNR of 20 dB: (0.1 / sigma~)^2 = |h|^2, exponential with mean 1.
    std = draw_effective_noise_std(np.random.default_rng(4), 100_000, mean_db=20.0, std_db=0.0)
    gain = (0.1 / std) ** 2
    assert np.mean(gain) == pytest.approx(1.0, abs=0.015)
    assert np.mean(gain > 1.0) == pytest.approx(math.exp(-1.0), abs=0.01)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((float("nan"), 1.0), "snr_db must be finite"),
        ((10.0, 0.0), r"channel_amplitude must be finite and > 0, got 0.0"),
        ((10.0, 1.0, -1.0), r"feature_power must be finite and > 0, got -1.0"),
    ],
)
def test_effective_noise_std_rejects_bad_inputs(args: tuple[float, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        effective_noise_std(*args)


def test_apply_analog_link_rejects_bad_inputs() -> None:
    rng = np.random.default_rng(0)
    z = np.zeros((4, 8))
    with pytest.raises(ValueError, match="noise_std must be finite and >= 0"):
        apply_analog_link(z, -0.1, rng)
    with pytest.raises(ValueError, match=r"does not broadcast with the batch shape \(4,\)"):
        apply_analog_link(z, np.ones((4, 3)), rng)
    with pytest.raises(ValueError, match="z must be a real array"):
        apply_analog_link(z + 1j, 0.1, rng)
    with pytest.raises(ValueError, match="z must be finite"):
        apply_analog_link(np.full((2, 3), np.nan), 0.1, rng)


def test_draw_link_snrs_db_rejects_negative_std() -> None:
    with pytest.raises(ValueError, match=r"std_db must be finite and >= 0, got -1.0"):
        draw_link_snrs_db(np.random.default_rng(0), 3, std_db=-1.0)

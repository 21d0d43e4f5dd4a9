"""Tests for wmoe.phy.qam: the Gray 16-QAM map and its AWGN bit error rate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import erfc

from wmoe.phy.digital_link import equalized_fading_channel
from wmoe.phy.qam import qam16_awgn_ber, qam16_demodulate, qam16_modulate

ALL_BITS = np.array([[(i >> (3 - k)) & 1 for k in range(4)] for i in range(16)], dtype=np.uint8)


def test_constellation_has_unit_energy_and_gray_neighbours() -> None:
    points = qam16_modulate(ALL_BITS.reshape(-1))
    assert points.shape == (16,)
    assert np.mean(np.abs(points) ** 2) == pytest.approx(1.0, abs=1e-12)
    levels = np.sort(np.unique(np.round(points.real * math.sqrt(10), 9)))
    np.testing.assert_allclose(levels, [-3, -1, 1, 3])
    distance = np.abs(points[:, None] - points[None, :])
    nearest = np.isclose(distance, 2 / math.sqrt(10))
    differing_bits = (ALL_BITS[:, None, :] != ALL_BITS[None, :, :]).sum(axis=-1)
    assert nearest.sum() == 48  # 24 neighbour pairs
    np.testing.assert_array_equal(differing_bits[nearest], 1)


def test_ieee_802_11_mapping_examples() -> None:
    bits = np.array([0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1], dtype=np.uint8)
    np.testing.assert_allclose(
        qam16_modulate(bits) * math.sqrt(10), [-3 - 3j, 3 + 3j, -1 + 1j], atol=1e-12
    )


def test_modulate_demodulate_round_trip_with_batch_shape() -> None:
    bits = np.random.default_rng(0).integers(0, 2, (3, 2, 40)).astype(np.uint8)
    symbols = qam16_modulate(bits)
    assert symbols.shape == (3, 2, 10)
    np.testing.assert_array_equal(qam16_demodulate(symbols), bits)


@pytest.mark.parametrize("snr_db", [6.0, 10.0, 14.0])
def test_awgn_ber_matches_the_closed_form(snr_db: float) -> None:
    rng = np.random.default_rng(int(snr_db))
    bits = rng.integers(0, 2, 400_000).astype(np.uint8)
    received = equalized_fading_channel(qam16_modulate(bits), 1.0, snr_db, rng)
    errors = int(np.sum(qam16_demodulate(received) != bits))
    expected = float(qam16_awgn_ber(snr_db))
    # Bit errors of one symbol are correlated; 5 binomial sigmas still bound them loosely.
    sigma = math.sqrt(bits.size * expected)
    assert abs(errors - bits.size * expected) < 5 * sigma


def test_closed_form_tends_to_the_leading_erfc_term() -> None:
    snr = 10 ** (np.array([6.0, 20.0]) / 10)
    leading = 3 / 8 * erfc(np.sqrt(snr / 10))
    ratio = qam16_awgn_ber(np.array([6.0, 20.0])) / leading
    assert ratio[1] == pytest.approx(1.0, abs=1e-6)
    assert 1.0 < ratio[0] < 1.1


def test_modulate_rejects_bad_bits() -> None:
    with pytest.raises(ValueError, match=r"zero-pad the last axis to a multiple of 4"):
        qam16_modulate(np.zeros(6, dtype=np.uint8))
    with pytest.raises(ValueError, match="bits must be 0/1"):
        qam16_modulate(np.full(4, 2))


def test_demodulate_rejects_non_finite_symbols() -> None:
    with pytest.raises(ValueError, match="symbols must be finite"):
        qam16_demodulate(np.array([np.nan + 0j]))

"""Tests for wmoe.phy.digital_link: the fading channel and the end-to-end digital feature link."""

from __future__ import annotations

import numpy as np
import pytest

from wmoe.phy.convolutional import conv_encode, viterbi_decode
from wmoe.phy.digital_link import equalized_fading_channel, transmit_features
from wmoe.phy.fading import rayleigh_gains
from wmoe.phy.qam import qam16_demodulate, qam16_modulate
from wmoe.phy.quantization import dequantize, quantize


def _quantized(z: np.ndarray, z_min: float | None = None, z_max: float | None = None) -> np.ndarray:
    low = z.min() if z_min is None else z_min
    high = z.max() if z_max is None else z_max
    return dequantize(quantize(z, low, high), low, high)


def test_zero_forcing_noise_variance_is_one_over_snr_gain() -> None:
    rng = np.random.default_rng(0)
    gains = np.array([[1.0], [0.5j], [2.0 - 1.0j]])
    sent = qam16_modulate(rng.integers(0, 2, (3, 80_000)).astype(np.uint8))
    noise = equalized_fading_channel(sent, gains, 10.0, rng) - sent
    expected = 0.1 / np.abs(gains[:, 0]) ** 2
    np.testing.assert_allclose(np.mean(np.abs(noise) ** 2, axis=1), expected, rtol=0.03)
    np.testing.assert_allclose(np.mean(noise.real**2, axis=1), expected / 2, rtol=0.03)


@pytest.mark.parametrize("snr_db", [15.0, 20.0])
def test_coded_link_beats_uncoded_over_rayleigh_fading(snr_db: float) -> None:
    # Independent fading per symbol (ideal interleaving), equal E_s/N_0 per channel symbol.
    rng = np.random.default_rng(int(snr_db))
    message = rng.integers(0, 2, (100, 250)).astype(np.uint8)
    uncoded_bits = message[:, :248]
    symbols = qam16_modulate(uncoded_bits)
    received = equalized_fading_channel(symbols, rayleigh_gains(rng, symbols.shape), snr_db, rng)
    uncoded_ber = np.mean(qam16_demodulate(received) != uncoded_bits)
    coded, num_coded = conv_encode(message, np.full(100, 250))
    symbols = qam16_modulate(coded)
    received = equalized_fading_channel(symbols, rayleigh_gains(rng, symbols.shape), snr_db, rng)
    decoded, _ = viterbi_decode(qam16_demodulate(received), num_coded)
    coded_ber = np.mean(decoded != message)
    assert uncoded_ber > 0.01
    assert coded_ber < uncoded_ber / 4


def test_very_high_snr_returns_the_quantised_features_exactly() -> None:
    rng = np.random.default_rng(1)
    z = rng.standard_normal((50, 120))
    np.testing.assert_array_equal(transmit_features(z, 200.0, rng), _quantized(z))
    awgn = transmit_features(z, 200.0, rng, channel_gains=1.0, num_bits=6)
    low, high = z.min(), z.max()
    np.testing.assert_array_equal(
        awgn, dequantize(quantize(z, low, high, 6), low, high, num_bits=6)
    )


def test_links_broadcast_and_reconstruction_degrades_with_snr() -> None:
    rng = np.random.default_rng(2)
    z = rng.standard_normal((60, 1, 32))
    snr_db = np.broadcast_to(np.array([0.0, 10.0, 40.0]), (60, 3))
    out = transmit_features(z, snr_db, rng, channel_gains=1.0)
    assert out.shape == (60, 3, 32)
    error = np.mean((out - _quantized(z)) ** 2, axis=(0, 2))
    assert error[0] > 1.0 > error[1] > error[2] == 0.0
    # Every output entry is one of the quantiser's levels, also when decoding failed.
    levels = (out - z.min()) * 255 / (z.max() - z.min())
    np.testing.assert_allclose(levels, np.rint(levels), atol=1e-9)


def test_training_histogram_and_fixed_range() -> None:
    rng = np.random.default_rng(3)
    train = rng.standard_normal((500, 16))
    z_min, z_max = -5.0, 5.0
    counts = np.bincount(quantize(train, z_min, z_max).ravel(), minlength=256)
    z = np.concatenate([rng.standard_normal((10, 16)), np.full((1, 16), 4.9)])  # unseen levels
    out = transmit_features(z, 200.0, rng, z_min=z_min, z_max=z_max, symbol_counts=counts)
    np.testing.assert_array_equal(out, _quantized(z, z_min, z_max))
    with pytest.raises(ValueError, match="outside the quantiser range"):
        transmit_features(z, 200.0, rng, z_min=-1.0, z_max=1.0)
    clipped = transmit_features(z, 200.0, rng, z_min=-1.0, z_max=1.0, clip=True)
    assert clipped.max() == pytest.approx(1.0)


def test_constant_features_and_seeding() -> None:
    z = np.full((4, 8), 0.25)
    np.testing.assert_array_equal(transmit_features(z, 0.0, np.random.default_rng(4)), z)
    noisy = np.random.default_rng(5).standard_normal((20, 24))
    first = transmit_features(noisy, 8.0, np.random.default_rng(6))
    np.testing.assert_array_equal(first, transmit_features(noisy, 8.0, np.random.default_rng(6)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"snr_db": float("nan")}, "snr_db must be finite"),
        ({"channel_gains": np.array([1.0, 0.0])}, "channel gains must be finite and non-zero"),
        ({"snr_db": np.zeros(3)}, r"do not broadcast"),
        ({"symbol_counts": np.ones(16)}, r"symbol_counts must have one count per level, shape"),
        ({"num_bits": 0}, r"num_bits must be an int in \[1, 16\]"),
    ],
)
def test_transmit_features_rejects_bad_inputs(kwargs: dict[str, object], match: str) -> None:
    arguments: dict[str, object] = {"snr_db": 10.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        transmit_features(np.zeros((2, 5)), rng=np.random.default_rng(0), **arguments)


def test_transmit_features_rejects_complex_or_empty_features() -> None:
    with pytest.raises(ValueError, match="z must be a real array"):
        transmit_features(np.zeros((2, 5)) + 1j, 10.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="d >= 1"):
        transmit_features(np.zeros((2, 0)), 10.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="z must be finite"):
        transmit_features(np.full((2, 5), np.inf), 10.0, np.random.default_rng(0))

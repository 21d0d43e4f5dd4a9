"""Tests for wmoe.phy.convolutional: the (133, 171) encoder and the batched Viterbi decoder."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from wmoe.phy.convolutional import GENERATORS_OCTAL, conv_encode, viterbi_decode


def _reference_encode(message: np.ndarray) -> np.ndarray:
    """Shift-register encoder, one bit at a time, with six zero tail bits."""
    register = [0] * 7  # register[k] = input k steps ago
    out = []
    for bit in [*message.tolist(), 0, 0, 0, 0, 0, 0]:
        register = [bit, *register[:-1]]
        for generator in GENERATORS_OCTAL:
            taps = [(generator >> (6 - k)) & 1 for k in range(7)]
            out.append(sum(t * r for t, r in zip(taps, register, strict=True)) % 2)
    return np.array(out, dtype=np.uint8)


def test_impulse_response_is_the_generators_with_weight_ten() -> None:
    coded, num_coded = conv_encode(np.array([1], dtype=np.uint8), np.array(1))
    # 133 = 1 011 011 and 171 = 1 111 001, interleaved.
    np.testing.assert_array_equal(coded, [1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1])
    assert num_coded == 14 and coded.sum() == 10  # the free distance


def test_encoder_matches_a_shift_register() -> None:
    rng = np.random.default_rng(0)
    lengths = np.array([0, 1, 7, 30, 50])
    bits = rng.integers(0, 2, (5, 50)).astype(np.uint8)
    coded, num_coded = conv_encode(bits, lengths)
    assert coded.shape == (5, 112)
    np.testing.assert_array_equal(num_coded, 2 * (lengths + 6))
    for row, length in enumerate(lengths):
        np.testing.assert_array_equal(
            coded[row, : num_coded[row]], _reference_encode(bits[row, :length])
        )
        assert not coded[row, num_coded[row] :].any()


def test_noiseless_codewords_decode_exactly() -> None:
    rng = np.random.default_rng(1)
    lengths = rng.integers(0, 300, size=(3, 40))
    bits = rng.integers(0, 2, (3, 40, 300)).astype(np.uint8)
    coded, num_coded = conv_encode(bits, lengths)
    decoded, num_bits = viterbi_decode(coded, num_coded)
    assert decoded.shape == (3, 40, 300)
    np.testing.assert_array_equal(num_bits, lengths)
    np.testing.assert_array_equal(decoded, np.where(np.arange(300) < lengths[..., None], bits, 0))


def test_every_pair_of_bit_errors_is_corrected() -> None:
    rng = np.random.default_rng(2)
    message = rng.integers(0, 2, 30).astype(np.uint8)
    coded, num_coded = conv_encode(message, np.array(30))
    pairs = np.array(list(combinations(range(coded.size), 2)))  # all 2,556 error patterns
    received = np.tile(coded, (len(pairs), 1))
    received[np.arange(len(pairs))[:, None], pairs] ^= 1
    decoded, _ = viterbi_decode(received, np.full(len(pairs), num_coded))
    np.testing.assert_array_equal(decoded, np.tile(message, (len(pairs), 1)))


def test_four_well_separated_errors_are_corrected() -> None:
    rng = np.random.default_rng(3)
    message = rng.integers(0, 2, (200, 120)).astype(np.uint8)
    coded, num_coded = conv_encode(message, np.full(200, 120))
    starts = rng.integers(0, 8, size=(200, 1)) + np.array([0, 60, 120, 180])
    coded[np.arange(200)[:, None], starts] ^= 1
    decoded, _ = viterbi_decode(coded, num_coded)
    np.testing.assert_array_equal(decoded, message)


def test_decoder_reduces_errors_of_a_noisy_channel() -> None:
    rng = np.random.default_rng(4)
    message = rng.integers(0, 2, (100, 200)).astype(np.uint8)
    coded, num_coded = conv_encode(message, np.full(100, 200))
    received = coded ^ (rng.random(coded.shape) < 0.02).astype(np.uint8)
    decoded, _ = viterbi_decode(received, num_coded)
    assert np.mean(decoded != message) < 0.002  # from 2 % raw errors


@pytest.mark.parametrize(
    ("coded", "num_coded", "match"),
    [
        (np.zeros((2, 20), np.uint8), np.array([20, 15]), r"num_coded must be even .*, got 15"),
        (np.zeros((2, 20), np.uint8), np.array([20, 10]), r"num_coded must lie in \[12, 20\]"),
        (np.full((1, 20), 2, np.uint8), np.array([20]), "coded must hold bits 0 or 1"),
        (np.zeros((2, 20), np.uint8), np.array([20]), r"coded must have shape \(..., M\)"),
        (np.zeros((1, 20), np.uint8), np.array([20.0]), "num_coded integer shape"),
    ],
)
def test_viterbi_rejects_bad_inputs(coded: np.ndarray, num_coded: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        viterbi_decode(coded, num_coded)


def test_encoder_rejects_bad_lengths() -> None:
    with pytest.raises(ValueError, match=r"num_bits must lie in \[0, 4\]"):
        conv_encode(np.zeros((1, 4), np.uint8), np.array([5]))

"""Tests for wmoe.phy.huffman: optimality bounds, prefix-freeness, batched round trips, desync."""

from __future__ import annotations

import numpy as np
import pytest

from wmoe.phy.huffman import HuffmanCode, build_huffman_code


def _entropy_bits(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def _codeword_strings(code: HuffmanCode) -> list[str]:
    return [
        format(int(word), f"0{length}b")
        for word, length in zip(code.codewords, code.lengths, strict=True)
    ]


def _gaussian_levels(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """8-bit levels of unit-Gaussian features quantised over [-4, 4] (a realistic histogram)."""
    return np.clip(np.rint((rng.standard_normal(shape) + 4.0) * 255 / 8), 0, 255).astype(np.int64)


def test_small_code_has_the_textbook_lengths_and_canonical_codewords() -> None:
    code = build_huffman_code(np.array([5, 2, 1, 1]))
    np.testing.assert_array_equal(code.lengths, [1, 2, 3, 3])
    assert _codeword_strings(code) == ["0", "10", "110", "111"]
    assert code.most_probable_symbol == 0
    assert code.max_length == 3 and code.num_symbols == 4


def test_code_is_prefix_free_and_complete() -> None:
    rng = np.random.default_rng(0)
    counts = np.bincount(_gaussian_levels(rng, (5000,)), minlength=256)
    code = build_huffman_code(counts)
    words = sorted(_codeword_strings(code))
    # In lexicographic order a codeword that prefixes any other prefixes its successor.
    assert not any(b.startswith(a) for a, b in zip(words, words[1:], strict=False))
    assert len(set(words)) == 256
    assert sum(2.0 ** -int(length) for length in code.lengths) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_expected_length_is_within_one_bit_of_entropy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts = rng.dirichlet(np.full(40, 0.3)) * 1e4
    code = build_huffman_code(counts)
    entropy = _entropy_bits(counts)
    assert entropy <= code.expected_length(counts) < entropy + 1.0


def test_gaussian_levels_code_close_to_entropy_and_dyadic_code_meets_it() -> None:
    counts = np.bincount(_gaussian_levels(np.random.default_rng(4), (100_000,)), minlength=256)
    code = build_huffman_code(counts)
    entropy = _entropy_bits(counts)
    assert entropy <= code.expected_length(counts) < entropy + 0.05
    dyadic = np.array([8, 4, 2, 1, 1])
    assert build_huffman_code(dyadic).expected_length(dyadic) == pytest.approx(
        _entropy_bits(dyadic), abs=1e-12
    )


def test_batched_round_trip_with_variable_lengths() -> None:
    rng = np.random.default_rng(5)
    train = _gaussian_levels(rng, (2000,))
    code = build_huffman_code(np.bincount(train, minlength=256))
    symbols = _gaussian_levels(rng, (2, 3, 40))
    bits, num_bits = code.encode(symbols)
    assert bits.shape == (2, 3, int(num_bits.max())) and bits.dtype == np.uint8
    np.testing.assert_array_equal(num_bits, code.lengths[symbols].sum(axis=-1))
    for row in np.ndindex(2, 3):
        expected = "".join(_codeword_strings(code)[s] for s in symbols[row])
        assert "".join(map(str, bits[row][: num_bits[row]])) == expected
        assert not bits[row][num_bits[row] :].any()
    decoded = code.decode(bits, num_bits, 40)
    np.testing.assert_array_equal(decoded.symbols, symbols)
    np.testing.assert_array_equal(decoded.num_decoded, 40)
    np.testing.assert_array_equal(decoded.num_bits_left, 0)


def test_zero_count_symbols_get_codewords() -> None:
    counts = np.zeros(256)
    counts[[10, 11, 12]] = [50, 30, 20]
    code = build_huffman_code(counts)
    symbols = np.array([[0, 255, 10, 11, 12, 128]])
    bits, num_bits = code.encode(symbols)
    np.testing.assert_array_equal(code.decode(bits, num_bits, 6).symbols, symbols)
    assert code.lengths[[10, 11, 12]].max() <= 3


def test_desynchronisation_always_yields_the_expected_length() -> None:
    code = build_huffman_code(np.array([5, 2, 1, 1]))  # 0, 10, 110, 111
    bits = np.array([[0, 0, 1, 0], [1, 1, 1, 0], [1, 0, 0, 0]], dtype=np.uint8)
    # "0010" (sent "1010" = 1 1 with its first bit flipped): 0 0, then stops at d = 2.
    # "1110" (second bit flipped): 3 0, wrong symbols, right count.
    # "10" (sent "00" = 0 0 with its first bit flipped): 1, then the bits run out.
    decoded = code.decode(bits, np.array([4, 4, 2]), 2)
    np.testing.assert_array_equal(decoded.symbols, [[0, 0], [3, 0], [1, 0]])
    np.testing.assert_array_equal(decoded.num_decoded, [2, 2, 1])
    np.testing.assert_array_equal(decoded.num_bits_left, [2, 0, 0])
    padded = code.decode(bits, np.array([4, 4, 2]), 2, fill_symbol=3)
    np.testing.assert_array_equal(padded.symbols[2], [1, 3])


def test_random_bit_errors_keep_the_shape() -> None:
    rng = np.random.default_rng(6)
    code = build_huffman_code(np.bincount(_gaussian_levels(rng, (5000,)), minlength=256))
    symbols = _gaussian_levels(rng, (300, 30))
    bits, num_bits = code.encode(symbols)
    flips = rng.random(bits.shape) < 0.01
    decoded = code.decode(bits ^ flips, num_bits, 30)
    assert decoded.symbols.shape == (300, 30)
    assert decoded.symbols.min() >= 0 and decoded.symbols.max() <= 255
    assert np.all(decoded.num_decoded <= 30) and np.all(decoded.num_bits_left >= 0)
    assert np.mean(decoded.symbols != symbols) > 0.05  # errors propagate past the flipped bit


def test_incomplete_final_codeword_is_not_decoded() -> None:
    code = build_huffman_code(np.array([5, 2, 1, 1]))
    decoded = code.decode(np.array([[1, 1, 0, 1, 1]], dtype=np.uint8), np.array([5]), 3)
    np.testing.assert_array_equal(decoded.symbols, [[2, 0, 0]])
    np.testing.assert_array_equal(decoded.num_decoded, [1])
    np.testing.assert_array_equal(decoded.num_bits_left, [2])


@pytest.mark.parametrize(
    ("counts", "match"),
    [
        (np.array([1.0, -1.0]), "finite non-negative counts"),
        (np.zeros(4), "positive sum, got all zeros"),
        (np.array([3.0]), "at least 2 symbols"),
        (2.0 ** -np.arange(70), r"codeword lengths must lie in \[1, 64\].*pseudo-count"),
    ],
)
def test_build_rejects_bad_histograms(counts: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_huffman_code(counts)


def test_code_rejects_incomplete_lengths_and_bad_symbols() -> None:
    with pytest.raises(ValueError, match="Kraft equality"):
        HuffmanCode(np.array([1, 2, 3]))
    code = build_huffman_code(np.array([5, 2, 1, 1]))
    with pytest.raises(ValueError, match=r"symbols must lie in \[0, 3\], got range \[0, 4\]"):
        code.encode(np.array([[0, 4]]))
    with pytest.raises(ValueError, match="symbols must be an integer array"):
        code.encode(np.array([[0.5]]))
    bits, num_bits = code.encode(np.array([[1, 2]]))
    with pytest.raises(ValueError, match=r"num_bits must lie in \[0, 5\]"):
        code.decode(bits, num_bits + 1, 2)
    with pytest.raises(ValueError, match=r"fill_symbol must be a symbol in \[0, 3\], got 9"):
        code.decode(bits, num_bits, 2, fill_symbol=9)
    with pytest.raises(ValueError, match="one entry per symbol"):
        code.expected_length(np.ones(3))

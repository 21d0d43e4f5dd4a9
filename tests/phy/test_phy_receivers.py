"""Tests for wmoe.phy.receivers, against brute-force receive filters."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from wmoe.phy.codebook import tpmi_two_port_codebook
from wmoe.phy.receivers import (
    effective_gram,
    mmse_sinr,
    mmse_sinr_from_gram,
    sum_rate,
    zf_sinr,
    zf_sinr_from_gram,
)


def _crandn(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


def _brute_force_mmse(h: np.ndarray, s2: float) -> np.ndarray:
    nr, r = h.shape
    filters = np.linalg.solve(h @ h.conj().T + s2 * np.eye(nr), h)  # column k is w_k
    sinr = np.empty(r)
    for k in range(r):
        w = filters[:, k]
        signal = abs(np.vdot(w, h[:, k])) ** 2
        interference = sum(abs(np.vdot(w, h[:, j])) ** 2 for j in range(r) if j != k)
        sinr[k] = signal / (interference + s2 * np.vdot(w, w).real)
    return sinr


def _brute_force_zf(h: np.ndarray, s2: float) -> np.ndarray:
    filters = np.linalg.pinv(h)  # row k is w_k^H, with w_k^H h_j = delta_kj
    return 1.0 / (s2 * np.sum(np.abs(filters) ** 2, axis=1))


@pytest.mark.parametrize(("nr", "r"), [(4, 1), (4, 2), (2, 2), (6, 3), (8, 4)])
def test_mmse_matches_brute_force(nr: int, r: int) -> None:
    rng = np.random.default_rng(10 * nr + r)
    for _ in range(5):
        h = _crandn(rng, nr, r)
        s2 = rng.uniform(0.05, 2.0)
        np.testing.assert_allclose(mmse_sinr(h, s2), _brute_force_mmse(h, s2), rtol=1e-9)


@pytest.mark.parametrize(("nr", "r"), [(4, 1), (4, 2), (2, 2), (6, 3)])
def test_zf_matches_brute_force(nr: int, r: int) -> None:
    rng = np.random.default_rng(100 + 10 * nr + r)
    for _ in range(5):
        h = _crandn(rng, nr, r)
        s2 = rng.uniform(0.05, 2.0)
        np.testing.assert_allclose(zf_sinr(h, s2), _brute_force_zf(h, s2), rtol=1e-9)


def test_single_stream_is_maximum_ratio_combining() -> None:
    rng = np.random.default_rng(3)
    h = _crandn(rng, 5, 1)
    expected = np.sum(np.abs(h) ** 2) / 0.3
    assert mmse_sinr(h, 0.3) == pytest.approx([expected], rel=1e-12)
    assert zf_sinr(h, 0.3) == pytest.approx([expected], rel=1e-12)


def test_mmse_beats_zf_and_interference_costs_sinr() -> None:
    rng = np.random.default_rng(4)
    h = _crandn(rng, 3, 2)
    mmse = mmse_sinr(h, 0.5)
    zf = zf_sinr(h, 0.5)
    single = mmse_sinr(h[:, :1], 0.5)
    assert np.all(mmse >= zf)
    assert mmse[0] < single[0]


def _random_grams(rng: np.random.Generator, batch: tuple[int, ...], r: int) -> np.ndarray:
    h = _crandn(rng, *batch, 4, r) * rng.uniform(0.1, 10.0, size=(*batch, 1, 1))
    return np.conj(np.swapaxes(h, -1, -2)) @ h


@pytest.mark.parametrize("r", [1, 2])
def test_fast_paths_equal_generic_inverse(r: int) -> None:
    rng = np.random.default_rng(5)
    gram = _random_grams(rng, (7, 3), r)
    inverse = np.linalg.inv(np.eye(r) + gram)
    generic = 1.0 / np.diagonal(inverse, axis1=-2, axis2=-1).real - 1.0
    fast = mmse_sinr_from_gram(gram)
    assert fast.shape == (7, 3, r)
    np.testing.assert_allclose(fast, generic, rtol=1e-9, atol=1e-12)


def test_generic_path_for_three_streams_matches_brute_force_in_batch() -> None:
    rng = np.random.default_rng(6)
    h = _crandn(rng, 4, 2, 5, 3)  # batch (4, 2), Nr = 5, r = 3
    sinr = mmse_sinr(h, 0.7)
    assert sinr.shape == (4, 2, 3)
    np.testing.assert_allclose(sinr[2, 1], _brute_force_mmse(h[2, 1], 0.7), rtol=1e-9)


def test_zero_padded_stream_gets_zero_sinr_and_no_rate() -> None:
    rng = np.random.default_rng(7)
    h = _crandn(rng, 4, 2)
    codebook = tpmi_two_port_codebook()
    gram = h.conj().T @ h / 0.2
    precoders = codebook.matrices  # (9, 2, 2); the first six have a zero second column
    g_eff = effective_gram(gram, precoders)
    sinr = mmse_sinr_from_gram(g_eff)
    assert sinr.shape == (9, 2)
    np.testing.assert_array_equal(sinr[:6, 1], 0.0)
    rank_one = mmse_sinr_from_gram(effective_gram(gram, precoders[:6, :, :1]))
    np.testing.assert_allclose(sum_rate(sinr[:6]), np.log2(1.0 + rank_one[:, 0]), rtol=1e-12)
    # The rank-2 codewords do use their second stream.
    assert np.all(sinr[6:, 1] > 0.0)


def test_effective_gram_is_precoded_channel_gram_and_broadcasts() -> None:
    rng = np.random.default_rng(8)
    h = _crandn(rng, 3, 4, 2)  # batch of 3, Nr = 4, Nt = 2
    gram = np.conj(np.swapaxes(h, -1, -2)) @ h
    precoders = tpmi_two_port_codebook().matrices  # (9, 2, 2)
    g_eff = effective_gram(gram[:, np.newaxis], precoders)
    assert g_eff.shape == (3, 9, 2, 2)
    hw = h[1] @ precoders[7]
    np.testing.assert_allclose(g_eff[1, 7], hw.conj().T @ hw, atol=1e-12)
    np.testing.assert_allclose(mmse_sinr_from_gram(g_eff[1, 7]), mmse_sinr(hw), rtol=1e-12)


def test_noise_variance_broadcasts_over_batch() -> None:
    rng = np.random.default_rng(9)
    h = _crandn(rng, 3, 4, 2)
    noise = np.array([0.1, 1.0, 10.0])
    sinr = mmse_sinr(h, noise)
    for b in range(3):
        np.testing.assert_allclose(sinr[b], mmse_sinr(h[b], float(noise[b])), rtol=1e-12)


def test_singular_zf_raises() -> None:
    rng = np.random.default_rng(11)
    h = _crandn(rng, 4, 1)
    rank_deficient = np.concatenate([h, 2j * h], axis=1)  # two identical directions
    with pytest.raises(ValueError, match="full column rank"):
        zf_sinr(rank_deficient)
    with pytest.raises(ValueError, match="full column rank"):
        zf_sinr(_crandn(rng, 2, 3))  # more streams than receive antennas
    padded = np.zeros((5, 2, 2), dtype=complex)
    padded[:, 0, 0] = 1.0
    padded[3] = np.eye(2)
    with pytest.raises(
        ValueError, match=r"4 of 5 Gram matrices are singular \(first at index \(0,\)"
    ):
        zf_sinr_from_gram(padded)
    # MMSE is fine with the same inputs.
    assert mmse_sinr(rank_deficient).shape == (2,)


def test_sum_rate() -> None:
    sinr = np.array([[0.0, 1.0], [3.0, 7.0]])
    np.testing.assert_allclose(sum_rate(sinr), [1.0, 5.0])
    with pytest.raises(ValueError, match="SINRs >= 0, got a minimum of -0.5"):
        sum_rate(np.array([1.0, -0.5]))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mmse_sinr_from_gram(np.ones((2, 3))), r"square matrices.*\(2, 3\)"),
        (lambda: mmse_sinr(np.ones(3)), r"shape \(\.\.\., Nr, r\)"),
        (lambda: mmse_sinr(np.ones((2, 2)), 0.0), "noise_var must be positive"),
        (lambda: effective_gram(np.eye(2), np.ones((3, 1))), "Nt = 2"),
    ],
)
def test_input_validation(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()

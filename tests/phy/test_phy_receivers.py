"""Tests for wmoe.phy.receivers, against brute-force receive filters."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from wmoe.phy import receivers
from wmoe.phy.codebook import tpmi_two_port_codebook
from wmoe.phy.receivers import (
    effective_gram,
    hermitian_inverse_diagonal,
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


@pytest.mark.parametrize("r", [1, 2, 3, 4, 5])
def test_fast_paths_equal_generic_inverse(r: int) -> None:
    rng = np.random.default_rng(5)
    gram = _random_grams(rng, (7, 3), r)
    inverse = np.linalg.inv(np.eye(r) + gram)
    generic = 1.0 / np.diagonal(inverse, axis1=-2, axis2=-1).real - 1.0
    fast = mmse_sinr_from_gram(gram)
    assert fast.shape == (7, 3, r)
    np.testing.assert_allclose(fast, generic, rtol=1e-9, atol=1e-12)


_EPS = float(np.finfo(np.float64).eps)


def _inverse_sinr(gram: np.ndarray, shift: float) -> np.ndarray:
    """``1 / [(shift I + G)^{-1}]_kk - shift`` through numpy.linalg.inv, the old generic path."""
    inverse = np.linalg.inv(shift * np.eye(gram.shape[-1]) + gram)
    return 1.0 / np.diagonal(inverse, axis1=-2, axis2=-1).real - shift


def _exact_mmse_sinr(gram: np.ndarray) -> np.ndarray:
    """``1 / [(I + G)^{-1}]_kk - 1`` of the float64 inputs, in 50-digit arithmetic."""
    mpmath = pytest.importorskip("mpmath")
    r = gram.shape[-1]
    out = np.empty(gram.shape[:-1])
    with mpmath.workdps(50):
        for index in np.ndindex(gram.shape[:-2]):
            g = gram[index]
            a = mpmath.matrix(
                [
                    [mpmath.mpc(g[i, j].real, g[i, j].imag) + (i == j) for j in range(r)]
                    for i in range(r)
                ]
            )
            inverse = a**-1
            out[index] = [float(1 / mpmath.re(inverse[k, k]) - 1) for k in range(r)]
    return out


def _ill_conditioned_grams(rng: np.random.Generator, n: int, r: int) -> np.ndarray:
    """HPSD ``G = U diag(lam) U^H``, lam log-uniform in 1..1e8 and one often ~0 (rank loss)."""
    q, _ = np.linalg.qr(_crandn(rng, n, r, r))
    lam = 1e8 ** rng.uniform(0.0, 1.0, (n, r))
    lam[:, 0] *= 1e-11 * (rng.uniform(size=n) < 0.7)
    gram = (q * lam[:, np.newaxis, :]) @ np.conj(np.swapaxes(q, -1, -2))
    return 0.5 * (gram + np.conj(np.swapaxes(gram, -1, -2)))


def _correlated_grams(rng: np.random.Generator, n: int, r: int) -> np.ndarray:
    """SNR up to 1e8 and, for half the channels, a last stream nearly parallel to the first."""
    h = _crandn(rng, n, 8, r)
    h[: n // 2, :, -1] = (
        h[: n // 2, :, 0] + 10 ** rng.uniform(-4, -1, (n // 2, 1)) * h[: n // 2, :, -1]
    )
    return 10 ** rng.uniform(0.0, 8.0, (n, 1, 1)) * (np.conj(np.swapaxes(h, -1, -2)) @ h)


@pytest.mark.parametrize("r", [3, 4])
@pytest.mark.parametrize("ensemble", [_ill_conditioned_grams, _correlated_grams])
def test_closed_form_is_backward_stable_on_ill_conditioned_grams(
    r: int, ensemble: Callable[[np.random.Generator, int, int], np.ndarray]
) -> None:
    # cond(I + G) up to ~1e8 and SINRs up to ~1e9: no method in float64 beats an error of
    # order eps * cond(I + G) * (1 + g_kk); numpy.linalg.inv reaches ~0.7 of it on these
    # ensembles, the closed form ~0.4.
    rng = np.random.default_rng(20 + r)
    gram = ensemble(rng, 120, r)
    exact = _exact_mmse_sinr(gram)
    eigenvalues = np.linalg.eigvalsh(np.eye(r) + gram)
    cond = eigenvalues[:, -1] / eigenvalues[:, 0]
    assert cond.max() > 1e7
    g_kk = np.diagonal(gram, axis1=-2, axis2=-1).real
    bound = 4.0 * _EPS * cond[:, np.newaxis] * (1.0 + g_kk)
    fast = mmse_sinr_from_gram(gram)
    assert np.all(np.abs(fast - exact) <= bound)
    assert np.all(np.abs(_inverse_sinr(gram, 1.0) - exact) <= bound)  # the bound is fair


@pytest.mark.parametrize("r", [3, 4])
def test_closed_form_is_accurate_to_round_off_on_well_conditioned_grams(r: int) -> None:
    rng = np.random.default_rng(30 + r)
    h = _crandn(rng, 100, 8, r)
    gram = 10 ** rng.uniform(-1.0, 8.0, (100, 1, 1)) * (np.conj(np.swapaxes(h, -1, -2)) @ h)
    exact = _exact_mmse_sinr(gram)
    g_kk = np.diagonal(gram, axis1=-2, axis2=-1).real
    fast = mmse_sinr_from_gram(gram)
    assert np.all(np.abs(fast - exact) <= 16.0 * _EPS * (1.0 + g_kk))
    np.testing.assert_allclose(fast, exact, rtol=1e-12)


@pytest.mark.parametrize("r", [3, 4])
def test_closed_form_matches_inverse_over_leading_dims(r: int) -> None:
    rng = np.random.default_rng(40 + r)
    h = _crandn(rng, 2, 3, 5, 8, r) * 10 ** rng.uniform(-1.0, 4.0, (2, 3, 5, 1, 1))
    gram = np.conj(np.swapaxes(h, -1, -2)) @ h
    fast = mmse_sinr_from_gram(gram)
    assert fast.shape == (2, 3, 5, r)
    np.testing.assert_allclose(fast, _inverse_sinr(gram, 1.0), rtol=1e-11)
    # A single matrix, an empty batch and a non-contiguous (conjugate-transposed) view.
    np.testing.assert_array_equal(mmse_sinr_from_gram(gram[1, 2, 3]), fast[1, 2, 3])
    assert mmse_sinr_from_gram(gram[:0]).shape == (0, 3, 5, r)
    view = np.conj(np.swapaxes(gram, -1, -2))[:, ::2]
    np.testing.assert_allclose(mmse_sinr_from_gram(view), fast[:, ::2], rtol=1e-13)


@pytest.mark.parametrize("r", [3, 4])
def test_closed_form_is_independent_of_the_block_size(
    r: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(50 + r)
    gram = _random_grams(rng, (4, 23), r)
    whole = mmse_sinr_from_gram(gram)
    monkeypatch.setattr(receivers, "_BLOCK", 7)  # 92 matrices: 13 blocks, the last partial
    np.testing.assert_array_equal(mmse_sinr_from_gram(gram), whole)


@pytest.mark.parametrize("r", [3, 4])
def test_zero_padded_streams_get_exactly_zero_sinr(r: int) -> None:
    rng = np.random.default_rng(60 + r)
    h = _crandn(rng, 6, 8, r)
    padded = [0, r - 1] if r == 4 else [0]  # first and last stream, or the first only
    h[:, :, padded] = 0.0
    gram = np.conj(np.swapaxes(h, -1, -2)) @ h * 1e4
    sinr = mmse_sinr_from_gram(gram)
    np.testing.assert_array_equal(sinr[:, padded], 0.0)
    active = [k for k in range(r) if k not in padded]
    sub = gram[:, active][:, :, active]
    np.testing.assert_allclose(sinr[:, active], mmse_sinr_from_gram(sub), rtol=1e-12)
    np.testing.assert_array_equal(mmse_sinr_from_gram(np.zeros((2, r, r))), 0.0)


@pytest.mark.parametrize("r", [1, 2, 3, 4, 5, 6])
def test_hermitian_inverse_diagonal_matches_inverse(r: int) -> None:
    rng = np.random.default_rng(70 + r)
    h = _crandn(rng, 3, 4, r + 3, r)
    a = 0.3 * np.eye(r) + np.conj(np.swapaxes(h, -1, -2)) @ h * 2e3  # HPD, arbitrary scale
    expected = np.diagonal(np.linalg.inv(a), axis1=-2, axis2=-1).real
    diagonal = hermitian_inverse_diagonal(a)
    assert diagonal.shape == (3, 4, r)
    np.testing.assert_allclose(diagonal, expected, rtol=1e-11)
    with pytest.raises(ValueError, match="square matrices"):
        hermitian_inverse_diagonal(np.ones((3, 2)))


@pytest.mark.parametrize("r", [2, 3, 4, 5])
def test_zf_matches_inverse_in_batch(r: int) -> None:
    rng = np.random.default_rng(80 + r)
    h = _crandn(rng, 5, 2, r + 2, r)
    gram = np.conj(np.swapaxes(h, -1, -2)) @ h * rng.uniform(0.1, 1e6, (5, 2, 1, 1))
    np.testing.assert_allclose(zf_sinr_from_gram(gram), _inverse_sinr(gram, 0.0), rtol=1e-10)


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

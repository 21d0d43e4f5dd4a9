"""Coloured-interference MMSE (Woodbury whitening) and wideband responses against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from wmoe.phy.interference import whitened_gram
from wmoe.phy.receivers import mmse_sinr_from_gram
from wmoe.phy.wideband import frequency_response, subband_offsets_hz

PORTS, NT, M, NUM_BS = 8, 4, 6, 3


def _complex(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


def _stacked(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-BS channels H_b (B, ports, Nt), G_b (B, ports, M) and interferer SNRs q (M,)."""
    h = _complex(rng, NUM_BS, PORTS, NT)
    g = 3.0 * _complex(rng, NUM_BS, PORTS, M)
    q = rng.uniform(0.5, 20.0, size=M)
    q[[1, 4]] = 0.0  # inactive interferers
    return h, g, q


def _per_bs_terms(h: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums over BSs of H_b^H H_b, H_b^H G_b and G_b^H G_b (what the cache holds per BS)."""
    hh = np.einsum("bpi,bpj->ij", h.conj(), h)
    hg = np.einsum("bpi,bpm->im", h.conj(), g)
    gg = np.einsum("bpm,bpk->mk", g.conj(), g)
    return hh, hg, gg


def _covariance(g_stacked: np.ndarray, q: np.ndarray) -> np.ndarray:
    """R / sigma^2 = I + sum_i q_i g_i g_i^H of the stacked ports."""
    return np.eye(len(g_stacked)) + (g_stacked * q) @ g_stacked.conj().T


def test_woodbury_gram_equals_explicit_whitening():
    rng = np.random.default_rng(0)
    for _ in range(5):
        h, g, q = _stacked(rng)
        h_s, g_s = h.reshape(-1, NT), g.reshape(-1, M)  # ports of the set stacked
        brute = h_s.conj().T @ np.linalg.solve(_covariance(g_s, q), h_s)
        got = whitened_gram(*_per_bs_terms(h, g), q)
        np.testing.assert_allclose(got, brute, rtol=1e-10, atol=1e-10 * np.abs(brute).max())
    # The interference costs something, and without interferers nothing is whitened.
    assert np.trace(got).real < np.trace(h_s.conj().T @ h_s).real
    hh, hg, gg = _per_bs_terms(h, g)
    np.testing.assert_allclose(whitened_gram(hh, hg, gg, np.zeros(M)), hh, atol=1e-12)


def test_woodbury_broadcasts_over_batches():
    rng = np.random.default_rng(1)
    terms = [_per_bs_terms(*_stacked(rng)[:2]) for _ in range(4)]
    q = rng.uniform(0.0, 5.0, size=(4, M))
    batched = whitened_gram(*(np.stack(t) for t in zip(*terms, strict=True)), q)
    for k, (hh, hg, gg) in enumerate(terms):
        np.testing.assert_allclose(batched[k], whitened_gram(hh, hg, gg, q[k]), rtol=1e-12)


def test_coloured_mmse_sinr_equals_explicit_filter():
    rng = np.random.default_rng(2)
    rho = 50.0
    h, g, q = _stacked(rng)
    h_s, g_s = h.reshape(-1, NT), g.reshape(-1, M)
    w = np.linalg.qr(_complex(rng, NT, 3))[0] / np.sqrt(3)  # a rank-3 precoder, power 1
    effective = np.sqrt(rho) * h_s @ w  # columns h_k: streams as received
    covariance = _covariance(g_s, q)
    brute = []
    for k in range(3):
        others = np.delete(effective, k, axis=1)
        r_k = covariance + others @ others.conj().T  # noise, interference, other streams
        filt = np.linalg.solve(r_k, effective[:, k])  # w_k = R_k^{-1} h_k
        signal = abs(filt.conj() @ effective[:, k]) ** 2
        brute.append(signal / (filt.conj() @ r_k @ filt).real)
    gram = rho * w.conj().T @ whitened_gram(*_per_bs_terms(h, g), q) @ w
    np.testing.assert_allclose(mmse_sinr_from_gram(gram), brute, rtol=1e-9)


def test_woodbury_rejects_bad_input():
    hh, hg, gg = _per_bs_terms(*_stacked(np.random.default_rng(3))[:2])
    with pytest.raises(ValueError, match=">= 0"):
        whitened_gram(hh, hg, gg, -np.ones(M))
    with pytest.raises(ValueError, match="do not fit"):
        whitened_gram(hh, hg, gg, np.ones(M + 1))


def test_subband_offsets_closed_form():
    np.testing.assert_array_equal(subband_offsets_hz(100e6, 1), [0.0])
    np.testing.assert_allclose(subband_offsets_hz(100e6, 4), [-37.5e6, -12.5e6, 12.5e6, 37.5e6])
    offsets = subband_offsets_hz(20e6, 8)
    np.testing.assert_allclose(np.diff(offsets), 2.5e6)
    np.testing.assert_allclose(offsets.mean(), 0.0, atol=1e-6)
    with pytest.raises(ValueError, match="num_subbands"):
        subband_offsets_hz(100e6, 0)


def test_frequency_response_is_the_path_sum():
    rng = np.random.default_rng(4)
    gains = _complex(rng, 5, 2, 3, 7)  # (users, rx, tx, paths)
    delay = rng.uniform(0.0, 2e-6, size=(5, 7))
    gains[2, ..., 5:] = 0.0
    delay[2, 5:] = np.nan  # DeepMIMO's padding of a user with fewer paths
    offsets = np.array([-30e6, 0.0, 12.5e6])
    got = frequency_response(gains, delay, offsets)
    assert got.shape == (5, 3, 2, 3)
    for n in range(5):
        for s, f in enumerate(offsets):
            brute = sum(
                gains[n, ..., p] * np.exp(-2j * np.pi * f * np.nan_to_num(delay[n, p]))
                for p in range(7)
            )
            np.testing.assert_allclose(got[n, s], brute, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[:, 1], gains.sum(axis=-1), rtol=1e-12)  # f = 0: carrier


def test_one_path_has_the_same_gram_on_every_subband():
    rng = np.random.default_rng(5)
    gains = _complex(rng, 4, 8, 4, 1)  # zero delay spread: one path per user
    delay = rng.uniform(1e-7, 1e-6, size=(4, 1))
    response = frequency_response(gains, delay, subband_offsets_hz(100e6, 8))
    gram = np.einsum("nspi,nspj->nsij", response.conj(), response)
    narrowband = np.einsum("npi,npj->nij", gains[..., 0].conj(), gains[..., 0])
    np.testing.assert_allclose(gram, np.broadcast_to(narrowband[:, None], gram.shape), rtol=1e-12)

"""Tests for wmoe.phy.codebook."""

from __future__ import annotations

import numpy as np
import pytest

from wmoe.phy.codebook import Codebook, dft_codebook, make_codebook, tpmi_two_port_codebook

S2 = np.sqrt(2.0)


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix)


def test_tpmi_entries_equal_the_3gpp_tables_after_normalisation() -> None:
    cb = tpmi_two_port_codebook()
    assert (cb.name, cb.num_codewords, cb.num_antennas, cb.max_rank) == ("3gpp-2port", 9, 2, 2)
    np.testing.assert_array_equal(cb.ranks, [1, 1, 1, 1, 1, 1, 2, 2, 2])
    # TS 38.211 Table 6.3.1.5-1 (single layer, two ports), TPMI 0..5.
    rank_one = [[1, 0], [0, 1], [1, 1], [1, -1], [1, 1j], [1, -1j]]
    for tpmi, column in enumerate(rank_one):
        expected = _unit(np.array(column, dtype=complex) / S2)
        np.testing.assert_allclose(cb.matrices[tpmi, :, 0], expected, atol=1e-15)
    # TS 38.211 Table 6.3.1.5-4 (two layers, two ports), TPMI 0..2; rows are ports.
    rank_two = [
        np.array([[1, 0], [0, 1]]) / S2,
        np.array([[1, 1], [1, -1]]) / 2,
        np.array([[1, 1], [1j, -1j]]) / 2,
    ]
    for tpmi, matrix in enumerate(rank_two):
        np.testing.assert_allclose(cb.matrices[6 + tpmi], _unit(matrix), atol=1e-15)
    # The normalisation changes the table's scaling only for the non-coherent rank-1 TPMIs.
    np.testing.assert_allclose(cb.matrices[0, :, 0], [1.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(cb.matrices[2, :, 0], [1 / S2, 1 / S2], atol=1e-15)


@pytest.mark.parametrize(
    "cb",
    [tpmi_two_port_codebook(), dft_codebook(4), dft_codebook(3, 4, ranks=(1, 2, 3))],
    ids=["tpmi", "dft4", "dft3-rank3"],
)
def test_every_codeword_has_unit_frobenius_norm(cb: Codebook) -> None:
    np.testing.assert_allclose(np.linalg.norm(cb.matrices, axis=(1, 2)), 1.0, atol=1e-12)


def test_lower_rank_codewords_are_zero_padded() -> None:
    for cb in (tpmi_two_port_codebook(), dft_codebook(4, ranks=(1, 3))):
        for matrix, rank in zip(cb.matrices, cb.ranks, strict=True):
            assert np.all(matrix[:, rank:] == 0)
            assert np.all(np.linalg.norm(matrix[:, :rank], axis=0) > 0)


def test_dft_rank_one_beams_match_closed_form() -> None:
    n, o = 4, 2
    cb = dft_codebook(n, o, ranks=(1,))
    assert (cb.num_codewords, cb.num_antennas, cb.max_rank) == (o * n, n, 1)
    for k in range(o * n):
        expected = np.exp(1j * 2 * np.pi * np.arange(n) * k / (o * n)) / np.sqrt(n)
        np.testing.assert_allclose(cb.matrices[k, :, 0], expected, atol=1e-12)


def test_dft_ordering_and_rank_two_columns() -> None:
    n, o = 4, 2
    cb = dft_codebook(n, o, ranks=(2, 1, 2))  # duplicates ignored, sorted
    np.testing.assert_array_equal(cb.ranks, [1] * 8 + [2] * 8)
    beams = cb.matrices[:8, :, 0]
    for k in range(o * n):
        matrix = cb.matrices[8 + k]
        np.testing.assert_allclose(matrix[:, 0], beams[k] / S2, atol=1e-12)
        np.testing.assert_allclose(matrix[:, 1], beams[(k + o) % (o * n)] / S2, atol=1e-12)
        # Orthogonal columns of equal power: W^H W = I / 2.
        np.testing.assert_allclose(matrix.conj().T @ matrix, np.eye(2) / 2, atol=1e-12)


def test_dft_general_rank_columns_are_orthonormal_up_to_scale() -> None:
    cb = dft_codebook(5, 3, ranks=(4,))
    gram = np.conj(np.swapaxes(cb.matrices, 1, 2)) @ cb.matrices
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(4) / 4, gram.shape), atol=1e-12)


def test_make_codebook_dispatch() -> None:
    dft = make_codebook("dft", 4, oversampling=3, max_rank=2)
    assert (dft.name, dft.num_codewords, dft.max_rank) == ("dft", 24, 2)
    single = make_codebook("dft", 1)  # max_rank is capped at the number of antennas
    assert (single.num_codewords, single.max_rank) == (2, 1)
    tpmi = make_codebook("3gpp-2port", 2)
    np.testing.assert_array_equal(tpmi.matrices, tpmi_two_port_codebook().matrices)
    rank_one = make_codebook("3gpp-2port", 2, max_rank=1)
    assert (rank_one.num_codewords, rank_one.max_rank) == (6, 1)
    np.testing.assert_array_equal(rank_one.matrices, tpmi.matrices[:6, :, :1])


def test_make_codebook_errors() -> None:
    with pytest.raises(ValueError, match=r"unknown codebook name 'foo'.*dft, 3gpp-2port"):
        make_codebook("foo", 2)
    with pytest.raises(ValueError, match=r"'3gpp-2port' needs 2 antennas.*num_antennas=4"):
        make_codebook("3gpp-2port", 4)
    with pytest.raises(ValueError, match="max_rank must be an integer >= 1, got 0"):
        make_codebook("dft", 2, max_rank=0)


def test_dft_codebook_errors() -> None:
    with pytest.raises(ValueError, match=r"ranks must .* \[1, 2\], got \(1, 3\)"):
        dft_codebook(2, ranks=(1, 3))
    with pytest.raises(ValueError, match="ranks must be a non-empty"):
        dft_codebook(2, ranks=())
    with pytest.raises(ValueError, match="num_antennas must be an integer >= 1, got 0"):
        dft_codebook(0)
    with pytest.raises(ValueError, match="oversampling must be an integer >= 1, got 0"):
        dft_codebook(4, oversampling=0)


def test_codebook_validates_its_invariants() -> None:
    good = np.zeros((1, 2, 2), dtype=complex)
    good[0, :, 0] = [1.0, 0.0]
    Codebook("ok", good, np.array([1]))
    with pytest.raises(ValueError, match=r"shape \(C, Nt, r_max\)"):
        Codebook("bad", good[0], np.array([1]))
    with pytest.raises(ValueError, match="one rank per codeword"):
        Codebook("bad", good, np.array([1, 1]))
    with pytest.raises(ValueError, match="every rank must lie in"):
        Codebook("bad", good, np.array([3]))
    padded_badly = good.copy()
    padded_badly[0, 1, 1] = 1e-3
    with pytest.raises(ValueError, match="beyond its rank must be zero"):
        Codebook("bad", padded_badly, np.array([1]))
    with pytest.raises(ValueError, match="codeword 0 has norm 2.0"):
        Codebook("bad", 2 * good, np.array([1]))


def test_codebook_arrays_are_read_only_copies() -> None:
    source = np.zeros((1, 1, 1), dtype=complex)
    source[0, 0, 0] = 1.0
    cb = Codebook("one", source, np.array([1]))
    source[0, 0, 0] = 5.0
    assert cb.matrices[0, 0, 0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        cb.matrices[0, 0, 0] = 2.0

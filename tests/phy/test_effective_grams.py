"""EffectiveGrams against the brute-force product W^H G W."""

from __future__ import annotations

import numpy as np
import pytest

from wmoe.phy.codebook import make_codebook
from wmoe.phy.effective_grams import EffectiveGrams, hermitian_parameter_columns


def _hermitian(rng: np.random.Generator, batch: int, nt: int) -> np.ndarray:
    a = rng.normal(size=(batch, nt, nt + 2)) + 1j * rng.normal(size=(batch, nt, nt + 2))
    return a @ a.conj().transpose(0, 2, 1)


@pytest.mark.parametrize(("nt", "rank", "count"), [(1, 1, 3), (2, 1, 4), (2, 2, 3), (4, 3, 5)])
def test_matches_the_matrix_product(nt: int, rank: int, count: int) -> None:
    rng = np.random.default_rng(nt * 10 + rank)
    precoders = rng.normal(size=(count, nt, rank)) + 1j * rng.normal(size=(count, nt, rank))
    gram = _hermitian(rng, 6, nt)
    expected = np.einsum("cai,bak,ckj->bcij", precoders.conj(), gram, precoders)
    got = EffectiveGrams.of(precoders)(gram)
    assert got.shape == (6, count, rank, rank)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


def test_the_result_is_exactly_hermitian() -> None:
    codebook = make_codebook("tpmi", 4, max_rank=4)
    rank4 = codebook.matrices[codebook.ranks == 4]
    got = EffectiveGrams.of(rank4)(_hermitian(np.random.default_rng(0), 5, 4))
    assert np.array_equal(got, got.conj().swapaxes(-1, -2))


def test_shared_parameters_give_the_same_result() -> None:
    rng = np.random.default_rng(1)
    gram = _hermitian(rng, 4, 2)
    grams = EffectiveGrams.of(rng.normal(size=(3, 2, 2)) + 0j)
    assert np.array_equal(grams(gram, grams.parameters(gram)), grams(gram))


def test_parameter_columns_read_the_diagonal_then_the_upper_triangle() -> None:
    gram = np.arange(9).reshape(1, 3, 3) * (1 + 2j)
    values = gram.reshape(1, -1).view(np.float64)[0, hermitian_parameter_columns(3)]
    # Re G00, G11, G22; Re G01, G02, G12; Im G01, G02, G12
    assert values.tolist() == [0, 4, 8, 1, 2, 5, 2, 4, 10]


def test_rejects_a_flat_precoder_array() -> None:
    with pytest.raises(ValueError, match=r"shape \(C, Nt, r\), got \(4, 2\)"):
        EffectiveGrams.of(np.ones((4, 2)))


def test_a_row_does_not_depend_on_the_batch_it_is_in() -> None:
    # Native vector envs must equal single envs bitwise: no batch-size-dependent summation.
    codebook = make_codebook("tpmi", 4, max_rank=4)
    grams = EffectiveGrams.of(codebook.matrices[codebook.ranks == 2, :, :2])
    gram = _hermitian(np.random.default_rng(2), 64, 4) * 1e3
    whole = grams(gram)
    for start, size in [(0, 1), (5, 1), (3, 4), (17, 30)]:
        assert np.array_equal(grams(gram[start : start + size]), whole[start : start + size])

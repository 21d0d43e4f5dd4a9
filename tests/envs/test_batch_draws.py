"""``wmoe.envs.batch_draws``: variates from words and uniform blocks follow their laws."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from wmoe.envs.batch_draws import (
    UniformBlock,
    box_muller,
    circular_normals,
    draw_words,
    standard_gammas,
    standard_normals,
    uniform_indices,
    unit_uniforms,
)

EXTREME_WORDS = np.array([0, 1, 2**32 - 1, 2**32, 2**63, 2**64 - 1], dtype=np.uint64)


def _words(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).bit_generator.random_raw(count)


def test_draw_words_reads_each_envs_own_generator_once() -> None:
    rngs = [np.random.default_rng(seed) for seed in range(3)]
    words = draw_words(np.array([2, 0]), rngs, 5)
    assert words.shape == (2, 5) and words.dtype == np.uint64
    np.testing.assert_array_equal(words[0], np.random.default_rng(2).bit_generator.random_raw(5))
    np.testing.assert_array_equal(words[1], np.random.default_rng(0).bit_generator.random_raw(5))
    # The next call continues each generator where it stopped; env 1 was not touched.
    later = draw_words(np.array([0, 1]), rngs, 2)
    np.testing.assert_array_equal(
        later[0], np.random.default_rng(0).bit_generator.random_raw(7)[5:]
    )
    np.testing.assert_array_equal(later[1], np.random.default_rng(1).bit_generator.random_raw(2))


def test_unit_uniforms_lie_in_the_open_unit_interval() -> None:
    extremes = unit_uniforms(EXTREME_WORDS)
    assert extremes.dtype == np.float64
    assert extremes[0] == 2.0**-53 and extremes[-1] == 1.0 - 2.0**-53
    assert np.all(np.isfinite(np.log(extremes))) and np.all(np.log(extremes) < 0)
    u = unit_uniforms(_words(200_000))
    assert 0.0 < u.min() and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / u.size)


@pytest.mark.parametrize("n", [1, 7, 1000, 2**32])
def test_uniform_indices_cover_their_range(n: int) -> None:
    extremes = uniform_indices(EXTREME_WORDS, n)
    assert extremes.dtype == np.int64
    assert extremes[0] == 0 and extremes[-1] == n - 1
    assert np.all((extremes >= 0) & (extremes < n))


def test_uniform_indices_are_uniform_by_chi_square() -> None:
    for n, size in ((7, 70_000), (1000, 200_000)):
        counts = np.bincount(uniform_indices(_words(size, seed=n), n), minlength=n)
        assert counts.shape == (n,)
        assert stats.chisquare(counts).pvalue > 1e-3, n


def test_uniform_indices_reject_a_range_they_cannot_draw() -> None:
    for n in (0, 2**32 + 1):
        with pytest.raises(ValueError, match=f"n={n} is out of range"):
            uniform_indices(EXTREME_WORDS, n)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_standard_normals_are_standard_normal(dtype: type[np.floating]) -> None:
    words = _words(100_000, seed=3).reshape(2, 50_000)
    x = standard_normals(words, dtype)
    assert x.dtype == dtype and x.shape == (2, 100_000) and np.all(np.isfinite(x))
    sample = x.ravel().astype(np.float64)
    se = 1 / np.sqrt(sample.size)
    assert abs(sample.mean()) < 4 * se
    assert abs(sample.var() - 1) < 4 * np.sqrt(2) * se
    assert abs(np.mean(sample**4) - 3) < 4 * np.sqrt(96) * se  # Var(x^4) = 105 - 9
    assert stats.kstest(sample, "norm").pvalue > 1e-3
    # The two normals of a Box-Muller pair (positions j and m + j) are independent.
    cos_part, sin_part = x[:, :50_000].ravel(), x[:, 50_000:].ravel()
    assert abs(np.corrcoef(cos_part, sin_part)[0, 1]) < 4 * se
    assert abs(np.corrcoef(cos_part**2, sin_part**2)[0, 1]) < 4 * se


@pytest.mark.parametrize(("dtype", "largest"), [(np.float64, 6.77), (np.float32, 5.77)])
def test_standard_normals_stay_finite_and_bounded_at_extreme_words(
    dtype: type[np.floating], largest: float
) -> None:
    x = standard_normals(EXTREME_WORDS[None, :], dtype)
    assert np.all(np.isfinite(x)) and np.abs(x).max() < largest


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_variates_do_not_depend_on_the_batch(dtype: type[np.floating]) -> None:
    words = _words(3 * 41, seed=5).reshape(3, 41)
    for row in range(3):
        alone = words[row : row + 1, 1:]  # a batch of one, from a column slice as the envs use
        np.testing.assert_array_equal(
            standard_normals(words[:, 1:], dtype)[row], standard_normals(alone, dtype)[0]
        )
        np.testing.assert_array_equal(unit_uniforms(words)[row], unit_uniforms(words[row]))
        np.testing.assert_array_equal(
            uniform_indices(words, 10)[row], uniform_indices(words[row], 10)
        )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_circular_normals_have_unit_power_and_exponential_power(
    dtype: type[np.floating],
) -> None:
    normals = standard_normals(_words(100_000, seed=8).reshape(1000, 100), dtype)
    h = circular_normals(normals)
    assert h.dtype == np.complex128 and h.shape == (1000, 100)
    np.testing.assert_array_equal(h.real, normals[:, :100] * np.sqrt(0.5))
    power = np.abs(h.ravel()) ** 2
    se = 1 / np.sqrt(power.size)
    assert abs(power.mean() - 1) < 4 * se  # E|h|^2 = 1, Var |h|^2 = 1
    assert abs(np.mean(h**2)) < 4 * se  # circular: E[h^2] = 0
    assert stats.kstest(power, "expon").pvalue > 1e-3  # Rayleigh: |h|^2 ~ Exp(1)


def test_box_muller_is_the_closed_form_in_both_precisions() -> None:
    rng = np.random.default_rng(1)
    u, v = rng.random((3, 5)) + 1e-9, rng.random((3, 5))
    radius, angle = np.sqrt(-2.0 * np.log(u)), 2.0 * np.pi * v
    expected = np.concatenate([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    np.testing.assert_allclose(box_muller(np.log(u), v.copy()), expected, rtol=1e-14)
    single = box_muller(np.log(u).astype(np.float32), v.astype(np.float32))
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, expected, rtol=2e-5, atol=2e-6)


def test_block_draws_have_their_distributions() -> None:
    rng = np.random.default_rng(0)
    block = UniformBlock([rng], np.zeros(1, dtype=np.int64), 300_000)
    uniform, normal = block.uniform(100_000), block.normal(100_000)
    exponential = block.exponential(100_000)
    block.check_used()
    assert np.all((uniform >= 0.0) & (uniform < 1.0)) and abs(uniform.mean() - 0.5) < 0.005
    assert abs(normal.mean()) < 0.01 and abs(normal.var() - 1.0) < 0.02
    assert abs(np.mean(normal**4) - 3.0) < 0.1  # Gaussian kurtosis
    assert np.all(np.isfinite(exponential)) and abs(exponential.mean() - 1.0) < 0.01
    assert abs(np.mean(exponential > 2.0) - np.exp(-2.0)) < 0.005
    with pytest.raises(ValueError, match="even count"):
        UniformBlock([rng], np.zeros(1, dtype=np.int64), 3).normal(3)
    with pytest.raises(ValueError, match="left unread"):
        UniformBlock([rng], np.zeros(1, dtype=np.int64), 3).check_used()
    with pytest.raises(ValueError, match="cannot give 4 more after 0"):
        UniformBlock([rng], np.zeros(1, dtype=np.int64), 3).uniform(4)


def test_block_rows_and_gammas_read_each_envs_own_generator() -> None:
    envs = np.array([1, 0])
    block = UniformBlock([np.random.default_rng(s) for s in range(2)], envs, 6)
    np.testing.assert_array_equal(block.values[0], np.random.default_rng(1).random(6))
    np.testing.assert_array_equal(block.values[1], np.random.default_rng(0).random(6))
    u = block.values.copy()
    normals = block.normal(6)
    radius, angle = np.sqrt(-2.0 * np.log1p(-u[:, 0::2])), 2.0 * np.pi * u[:, 1::2]
    np.testing.assert_array_equal(
        normals, np.concatenate([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    )
    gammas = standard_gammas([np.random.default_rng(s) for s in range(2)], envs, 2.5, 4)
    np.testing.assert_array_equal(gammas[0], np.random.default_rng(1).standard_gamma(2.5, 4))

"""Statistics against values computed by hand on small fixed tables."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from wmoe.benchmarks.statistics import (
    BETTER,
    NOT_RESOLVED,
    WORSE,
    Interval,
    aggregate_estimates,
    improvement_probability,
    iqm_curves,
    performance_profiles,
    verdict,
)


def test_iqm_and_mean_of_a_fixed_table() -> None:
    # 8 runs x 1 task, scores 1..8: the IQM drops the lowest and highest 2 -> mean(3,4,5,6).
    scores = np.arange(1.0, 9.0)[:, None]
    estimate = aggregate_estimates({"a": scores}, reps=500)["a"]
    assert estimate["iqm"].point == pytest.approx(4.5)
    assert estimate["mean"].point == pytest.approx(4.5)
    assert estimate["iqm"].low < 4.5 < estimate["iqm"].high
    # 4 runs x 2 tasks: IQM over all 8 values, mean over all 8 values.
    table = np.array([[0.0, 10.0], [1.0, 11.0], [2.0, 12.0], [3.0, 13.0]])
    estimate = aggregate_estimates({"b": table}, reps=500)["b"]
    assert estimate["iqm"].point == pytest.approx(np.mean([2.0, 3.0, 10.0, 11.0]))
    assert estimate["mean"].point == pytest.approx(6.5)
    constant = aggregate_estimates({"c": np.full((5, 1), 0.3)}, reps=200)["c"]["iqm"]
    assert (constant.low, constant.point, constant.high) == pytest.approx((0.3, 0.3, 0.3))


def test_probability_of_improvement_counts_ties_half() -> None:
    x = np.array([[3.0], [4.0], [5.0]])
    y = np.array([[1.0], [2.0], [3.0]])
    # pairs x > y: 8 of 9, one tie (3, 3) counts 1/2 -> 8.5 / 9.
    probability = improvement_probability(x, y, reps=500)
    assert probability.point == pytest.approx(8.5 / 9)
    assert improvement_probability(y, x, reps=500).point == pytest.approx(0.5 / 9)
    # two tasks: the mean of the per-task probabilities (1 and 0).
    two = improvement_probability(
        np.array([[5.0, 0.0], [6.0, 1.0]]), np.array([[1.0, 5.0], [2.0, 6.0]]), reps=200
    )
    assert two.point == pytest.approx(0.5)


def test_verdicts_follow_the_interval_and_need_five_runs() -> None:
    assert verdict(Interval(0.9, 0.6, 1.0), runs=5) == BETTER
    assert verdict(Interval(0.1, 0.0, 0.4), runs=5) == WORSE
    assert verdict(Interval(0.6, 0.4, 0.8), runs=5) == NOT_RESOLVED
    assert verdict(Interval(1.0, 1.0, 1.0), runs=2) == NOT_RESOLVED
    separated = improvement_probability(np.arange(10.0, 15.0)[:, None], np.arange(5.0)[:, None])
    assert separated == Interval(1.0, 1.0, 1.0)
    assert verdict(separated, runs=5) == BETTER


def test_performance_profile_and_curves_of_a_fixed_table() -> None:
    scores = np.array([[0.1], [0.4], [0.6], [0.9]])
    profiles = performance_profiles({"a": scores}, np.array([0.0, 0.5, 1.0]), reps=200)
    fractions, interval = profiles["a"]
    np.testing.assert_allclose(fractions, [1.0, 0.5, 0.0])
    assert interval.shape == (2, 3)
    curves = np.array([[[0.0, 1.0, np.nan]], [[0.0, 2.0, 3.0]], [[0.0, 3.0, 4.0]]])
    iqm, bounds = iqm_curves({"a": curves}, reps=200)["a"]
    assert iqm[0] == 0.0 and iqm[1] == pytest.approx(2.0) and np.isnan(iqm[2])
    assert bounds.shape == (2, 3) and np.isnan(bounds[:, 2]).all()


_SCRIPT = """
import numpy as np
from wmoe.benchmarks.statistics import aggregate_estimates, improvement_probability
rng = np.random.default_rng(0)
x, y = rng.random((8, 2)), rng.random((6, 2))
print(improvement_probability(x, y, 500).text(6))
print(aggregate_estimates({"x": x}, 500)["x"]["iqm"].text(6))
"""


def test_intervals_repeat_across_processes() -> None:
    # rliable draws its bootstrap indices from NumPy's global generator, which a new process
    # seeds from the OS: without seeding it per estimate two reports of one store differ.
    runs = [
        subprocess.run(
            [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and runs[0].strip()


def test_an_interval_depends_only_on_its_own_scores_and_leaves_global_draws_alone() -> None:
    rng = np.random.default_rng(1)
    x, y, z = rng.random((8, 2)), rng.random((8, 2)), rng.random((5, 2))
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    alone = aggregate_estimates({"x": x}, reps=300)["x"]
    assert np.array_equal(np.random.get_state()[1], before)  # the caller's draws untouched
    np.random.random(10)  # another global state
    with_others = aggregate_estimates({"z": z, "x": x, "y": y}, reps=300)["x"]
    assert with_others == alone
    pair = improvement_probability(x, y, reps=300)
    np.random.random(10)
    assert improvement_probability(x, y, reps=300) == pair
    profiles = performance_profiles({"x": x}, np.linspace(0, 1, 5), reps=300)["x"]
    both = performance_profiles({"y": y, "x": x}, np.linspace(0, 1, 5), reps=300)["x"]
    np.testing.assert_array_equal(both[1], profiles[1])

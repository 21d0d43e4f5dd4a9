"""Statistics with rliable (Agarwal et al., "Deep RL at the edge of the statistical precipice").

IQM and mean with stratified bootstrap CIs, probability of improvement, performance profiles
and sample-efficiency curves (Agarwal et al., NeurIPS 2021).

Score matrices are ``(runs, tasks)``; curves are ``(runs, tasks, points)``. Every bootstrap
is seeded (``seed``) and drawn for one label at a time, so a report is reproducible from its
store and an estimate depends only on its own scores. (rliable's stratified bootstraps draw
their indices from NumPy's global generator, whatever ``random_state`` they are given, so
:func:`seeded_global_draws` seeds that generator for each estimate and restores it after.)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rliable import library as rly
from rliable import metrics

BETTER, WORSE, NOT_RESOLVED = "better", "worse", "not resolved at this budget"
DEFAULT_REPS = 2000
"""Bootstrap replications."""
MIN_RUNS_FOR_VERDICT = 5
"""Runs per side (per task) below which no verdict is given."""


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval.

    Attributes:
        point: The estimate.
        low: Lower bound of the 95 % CI.
        high: Upper bound of the 95 % CI.
    """

    point: float
    low: float
    high: float

    def text(self, digits: int = 2) -> str:
        """``point [low, high]``."""
        return f"{self.point:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


@contextmanager
def seeded_global_draws(seed: int) -> Iterator[None]:
    """NumPy's global generator seeded with ``seed`` inside, restored to its state after."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _bootstrap(
    scores: dict[str, NDArray[np.float64]] | dict[str, list[NDArray[np.float64]]],
    func: Callable[..., NDArray[np.float64]],
    reps: int,
    seed: int,
) -> tuple[dict[str, NDArray[np.float64]], dict[str, NDArray[np.float64]]]:
    """Interval estimates of rliable, each label's from the same seeded draws."""
    points: dict[str, NDArray[np.float64]] = {}
    intervals: dict[str, NDArray[np.float64]] = {}
    for label, label_scores in scores.items():
        with warnings.catch_warnings(), seeded_global_draws(seed):
            warnings.simplefilter("ignore", FutureWarning)  # arch's RandomState deprecation
            point, interval = rly.get_interval_estimates(
                {label: label_scores}, func, reps=reps, random_state=np.random.RandomState(seed)
            )
        points[label], intervals[label] = point[label], interval[label]
    return points, intervals


def _iqm_and_mean(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.array([metrics.aggregate_iqm(scores), metrics.aggregate_mean(scores)])


def aggregate_estimates(
    scores: dict[str, NDArray[np.float64]], reps: int = DEFAULT_REPS, seed: int = 0
) -> dict[str, dict[str, Interval]]:
    """IQM and mean of each score matrix, with stratified bootstrap 95 % CIs.

    Returns:
        Label -> ``{"iqm": Interval, "mean": Interval}``.
    """
    if not scores:
        return {}
    points, intervals = _bootstrap(scores, _iqm_and_mean, reps, seed)
    return {
        label: {
            name: Interval(float(points[label][i]), *map(float, intervals[label][:, i]))
            for i, name in enumerate(("iqm", "mean"))
        }
        for label in scores
    }


def _improvement(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.array([metrics.probability_of_improvement(x, y)])


def improvement_probability(
    x: NDArray[np.float64], y: NDArray[np.float64], reps: int = DEFAULT_REPS, seed: int = 0
) -> Interval:
    """P(X > Y) (ties count half, averaged over tasks) with a 95 % bootstrap CI."""
    points, intervals = _bootstrap({"pair": [x, y]}, _improvement, reps, seed)
    return Interval(float(points["pair"][0]), *map(float, intervals["pair"][:, 0]))


def verdict(probability: Interval, runs: int) -> str:
    """Better when the CI of P(MoE > plain) lies above 1/2, worse below, else not resolved.

    With fewer than :data:`MIN_RUNS_FOR_VERDICT` runs per side the bootstrap CI is too
    coarse to decide anything (two runs per side give a CI of [0, 0] whenever both runs
    of one side lie below both of the other), so the verdict is "not resolved".
    """
    if runs < MIN_RUNS_FOR_VERDICT:
        return NOT_RESOLVED
    if probability.low > 0.5:
        return BETTER
    if probability.high < 0.5:
        return WORSE
    return NOT_RESOLVED


def performance_profiles(
    scores: dict[str, NDArray[np.float64]],
    taus: NDArray[np.float64],
    reps: int = DEFAULT_REPS,
    seed: int = 0,
) -> dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Score distributions: fraction of runs with normalised score > tau, with 95 % CIs.

    Returns:
        Label -> ``(fractions, intervals)`` of shapes ``(len(taus),)`` and ``(2, len(taus))``.
    """
    if not scores:
        return {}
    profiles = {}
    for label, label_scores in scores.items():
        with warnings.catch_warnings(), seeded_global_draws(seed):
            warnings.simplefilter("ignore", FutureWarning)
            points, intervals = rly.create_performance_profile(
                {label: label_scores}, taus, reps=reps
            )
        profiles[label] = (points[label], intervals[label])
    return profiles


def _iqm_per_point(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.array([metrics.aggregate_iqm(scores[..., j]) for j in range(scores.shape[-1])])


def iqm_curves(
    curves: dict[str, NDArray[np.float64]], reps: int = DEFAULT_REPS, seed: int = 0
) -> dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """IQM over runs and tasks at each curve point, with 95 % CIs (sample efficiency).

    Points where some run has no value (NaN: no training episode ended in that window) are
    NaN in the result.

    Returns:
        Label -> ``(iqm, intervals)`` of shapes ``(points,)`` and ``(2, points)``.
    """
    results: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}
    for label, curve in curves.items():
        finite = np.all(np.isfinite(curve), axis=(0, 1))
        iqm = np.full(curve.shape[2], np.nan)
        interval = np.full((2, curve.shape[2]), np.nan)
        if finite.any():
            kept = curve[:, :, finite]

            points, intervals = _bootstrap({label: kept}, _iqm_per_point, reps, seed)
            iqm[finite] = points[label]
            interval[:, finite] = intervals[label]
        results[label] = (iqm, interval)
    return results

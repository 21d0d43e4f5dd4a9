"""``wmoe tune --backend ray``: the same study as :mod:`wmoe.agents.tuning`, run by Ray Tune.

Each Ray Tune trial runs :func:`~wmoe.agents.tuning.train_and_score` (the optuna backend's
training and validation scoring) on one CPU. Ray Tune's ``OptunaSearch`` samples the same
declared search space with a seeded TPE sampler (through
:func:`~wmoe.agents.tuning.sample_trial`, the optuna backend's sampling) and keeps its Optuna
study in ``args.storage`` under the same study name, so :func:`~wmoe.agents.tuning.best_entry`
reads the result as it reads the optuna backend's. Ray's ``MedianStoppingRule`` sees the
validation scores the Optuna pruner sees, at the same env steps, and stops a trial whose best
score is below the median of the others' once :data:`~wmoe.agents.tuning.MEDIAN_STARTUP_TRIALS`
trials reached that step; the study records such a trial as pruned.

Without an address a local Ray is started with ``num_cpus=workers``, no dashboard and its
node address on 127.0.0.1; with one (``auto`` or ``host:port``) the study joins that
cluster. An already initialised Ray (e.g. ``ray.init`` by a test) is used as it is. Ray has
no authentication of its own to rely on: any process that can reach a Ray cluster's ports
can run code on its nodes (see ``benchmarks/leaderboard/PROTOCOL.md``), so keep it on
127.0.0.1 or a private network.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Any

import optuna
import torch
from ray.tune.search.optuna import OptunaSearch

from wmoe.agents.registry import AlgorithmEntry
from wmoe.agents.tuning import (
    MEDIAN_STARTUP_TRIALS,
    Distribution,
    TuneArgs,
    sample_trial,
    search_space,
    study_base,
    train_and_score,
    trial_hyperparameters,
)
from wmoe.ray_session import ray_session

METRIC = "validation_return"
"""Name of the score in the results a Ray Tune trial reports."""
STEPS = "steps"
"""Env steps of a checkpoint (the scheduler's time axis, Optuna's ``step``)."""
FINAL = "final"
"""True in the result of a trial that trained to the end."""


@dataclass(frozen=True)
class DefineByRun:
    """``OptunaSearch``'s define-by-run space: :func:`~wmoe.agents.tuning.sample_trial`.

    Attributes:
        space: The algorithm's declared search space.
        entry: The study's algorithm.
        base: The hyperparameters the trials start from.
    """

    space: dict[str, Distribution]
    entry: AlgorithmEntry
    base: dict[str, Any]

    def __call__(self, trial: optuna.Trial) -> None:
        """Sample ``trial`` (``OptunaSearch`` captures the suggested values)."""
        sample_trial(trial, self.space, self.entry, self.base)


class PrunedAwareOptunaSearch(OptunaSearch):
    """``OptunaSearch`` that records a trial the scheduler stopped as pruned, not complete.

    Ray tells the searcher of a stopped trial with its last (intermediate) result, which
    ``OptunaSearch`` would store as the trial's value; here only a result marked
    :data:`FINAL` completes a trial, as only a finished trial completes in the optuna backend.
    """

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        """Record the trial: complete with a final result, else pruned (or failed)."""
        finished = result is not None and bool(result.get(FINAL)) and not error
        super().on_trial_complete(trial_id, result if finished else None, error)


def ray_trial(
    config: dict[str, Any], args: TuneArgs, entry: AlgorithmEntry, base: dict[str, Any]
) -> None:
    """One Ray Tune trial: train with ``config``'s sample and report every checkpoint."""
    from ray import tune as ray_tune

    torch.set_num_threads(1)

    def report(score: float, steps: int) -> bool:
        ray_tune.report({METRIC: score, STEPS: steps, FINAL: False})
        return False  # the scheduler stops a trial itself

    hyperparameters = trial_hyperparameters(entry, base, config)
    score = train_and_score(args, entry, hyperparameters, report)
    if score is not None:
        ray_tune.report({METRIC: score, STEPS: args.n_timesteps, FINAL: True})


def tune_on_ray(args: TuneArgs, address: str | None = None, workers: int = 1) -> optuna.Study:
    """Run ``args.n_trials`` trials of the study as Ray Tune trials, ``workers`` at a time.

    Args:
        args: The study's settings (as for :func:`wmoe.agents.tuning.tune`).
        address: Ray cluster to join (``auto`` or ``host:port``); None starts a local Ray.
        workers: Trials run at once (and the local Ray's CPUs).

    Returns:
        The Optuna study in ``args.storage`` that holds the trials.

    Raises:
        ValueError: Unknown algorithm, env, preset or hyperparameter, or no search space.
    """
    from ray import tune as ray_tune
    from ray.tune.schedulers import MedianStoppingRule

    entry, base = study_base(args)
    searcher = PrunedAwareOptunaSearch(
        space=DefineByRun(search_space(entry.name), entry, base),
        metric=METRIC,
        mode="max",
        sampler=optuna.samplers.TPESampler(seed=args.seed),
        study_name=args.name(),
        storage=optuna.storages.RDBStorage(args.storage),
    )
    scheduler = MedianStoppingRule(
        time_attr=STEPS,
        metric=METRIC,
        mode="max",
        grace_period=0,
        min_samples_required=MEDIAN_STARTUP_TRIALS,
    )
    trainable = ray_tune.with_resources(
        ray_tune.with_parameters(ray_trial, args=args, entry=entry, base=base), {"cpu": 1}
    )
    with ray_session(address, workers), tempfile.TemporaryDirectory() as results:
        ray_tune.Tuner(
            trainable,
            tune_config=ray_tune.TuneConfig(
                search_alg=searcher,
                scheduler=scheduler,
                num_samples=args.n_trials,
                max_concurrent_trials=workers,
            ),
            run_config=ray_tune.RunConfig(name=args.name(), storage_path=results, verbose=0),
        ).fit()
    return optuna.load_study(study_name=args.name(), storage=args.storage)

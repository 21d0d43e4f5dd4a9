"""``wmoe tune``: Optuna search of an algorithm's hyperparameters, on validation seeds only.

In the manner of rl-baselines3-zoo's ``-optimize``: each trial samples the algorithm's
declared search space (``hyperparams/search_spaces.yml``) over the packaged hyperparameters
of the env, trains through the same pieces as ``wmoe train`` (:func:`make_training_env`,
:func:`new_model`), and is scored by the mean return of the deterministic policy on episodes
seeded from :data:`VALIDATION_FIRST_SEED` (never the test seeds of the benchmark protocol;
envs with a data split train on ``split: train`` and are scored on ``split: validation``).
The score is reported at ``evaluations`` checkpoints during training (training stops at the
last one; the trial's score is that last evaluation), so Optuna's median pruner can stop
hopeless trials; the sampler is TPE.

The study lives in an Optuna RDB storage (``sqlite:///study.db`` by default), so several
``wmoe tune`` processes pointed at the same storage and study name share the work. A MoE
preset and its matched plain preset get the same budget by naming both (``--policy moe-top2
mlp-matched``): one study each, the same trials and steps. ``--backend ray``
(:mod:`wmoe.agents.tuning_ray`) runs the same trials (:func:`sample_trial`,
:func:`train_and_score`) as Ray Tune trials into the same storage.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import gymnasium as gym
import numpy as np
import optuna
import sqlalchemy
import yaml
from stable_baselines3.common.callbacks import BaseCallback

from wmoe.agents.evaluate import agent_policy, data_splits, run_episodes
from wmoe.agents.hyperparams import algorithm_defaults, merge_hyperparameters
from wmoe.agents.registry import AlgorithmEntry, check_action_space, get_algorithm
from wmoe.agents.train import (
    TrainArgs,
    check_env_id,
    make_training_env,
    new_model,
    resolve_hyperparameters,
)
from wmoe.config import deep_merge

VALIDATION_FIRST_SEED = 500
"""Seed of the first validation episode: the benchmark suites' validation seeds start here
(``seeds.validation``), and their test episodes from 1,000,000 are never looked at."""

Distribution = Mapping[str, Sequence[Any]]

MEDIAN_STARTUP_TRIALS = 3
"""Trials that finish before the median rule stops any (on either backend)."""


def search_space(algo: str) -> dict[str, Distribution]:
    """The declared search space of ``algo`` (``hyperparams/search_spaces.yml``).

    Raises:
        ValueError: If the algorithm has none, or a distribution is malformed.
    """
    text = resources.files("wmoe.agents").joinpath("hyperparams", "search_spaces.yml")
    spaces = yaml.safe_load(text.read_text()) or {}
    if algo not in spaces:
        raise ValueError(f"no search space for {algo!r}; declared for: {', '.join(spaces)}")
    space: dict[str, Distribution] = spaces[algo]
    for name, distribution in space.items():
        kinds = set(distribution)
        if len(kinds) != 1 or not kinds <= {"log_uniform", "uniform", "choice"}:
            raise ValueError(
                f"search space of {algo}.{name} must be one of log_uniform, uniform or "
                f"choice, got {distribution!r}"
            )
    return space


def sample(trial: optuna.Trial, space: Mapping[str, Distribution]) -> dict[str, Any]:
    """One draw of every hyperparameter of ``space``."""
    values: dict[str, Any] = {}
    for name, distribution in space.items():
        ((kind, arguments),) = distribution.items()
        if kind == "choice":
            values[name] = trial.suggest_categorical(name, list(arguments))
        else:
            low, high = (float(a) for a in arguments)
            values[name] = trial.suggest_float(name, low, high, log=kind == "log_uniform")
    return values


def packaged_point(space: Mapping[str, Distribution], base: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``base`` (the packaged hyperparameters) that lie in ``space``.

    A study runs them as its first trial, so its best trial is at least as good as the packaged
    values on the validation episodes; a value outside its declared range is left to the
    sampler.
    """
    point: dict[str, Any] = {}
    for name, distribution in space.items():
        if name not in base:
            continue
        ((kind, arguments),) = distribution.items()
        value = base[name]
        if kind == "choice":
            if value in arguments:
                point[name] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            low, high = (float(a) for a in arguments)
            if low <= float(value) <= high:
                point[name] = float(value)
    return point


@dataclass
class TuneArgs:
    """Settings of one ``wmoe tune`` study.

    Attributes:
        algo: Algorithm name.
        env: Registered env id.
        policy: Network preset (the study tunes the algorithm around it).
        n_trials: Trials this process runs (others may run in parallel on the storage).
        n_timesteps: Training steps per trial.
        evaluations: Pruning checkpoints per trial (the last is the trial's score).
        eval_episodes: Validation episodes per checkpoint.
        storage: Optuna storage URL (``sqlite:///path.db`` lets processes share it).
        study_name: Study name; default ``<algo>-<env name>-<policy>``.
        seed: Seed of the sampler and of every trial's training.
        env_kwargs: Overrides of the ``gym.make`` kwargs.
    """

    algo: str
    env: str
    policy: str
    n_trials: int = 20
    n_timesteps: int = 50_000
    evaluations: int = 4
    eval_episodes: int = 5
    storage: str = "sqlite:///wmoe-tune.db"
    study_name: str | None = None
    seed: int = 0
    env_kwargs: dict[str, Any] = field(default_factory=dict)

    def name(self) -> str:
        """The study name."""
        return self.study_name or f"{self.algo}-{self.env.split('/')[-1]}-{self.policy}"


def _split_kwargs(env_id: str, split: str) -> dict[str, Any]:
    """``{"config": {"split": split}}`` for envs with a data split, else nothing."""
    if data_splits(env_id):
        return {"config": {"split": split}}
    return {}


Report = Callable[[float, int], bool]
"""``report(score, steps)``: a trial's validation score at a checkpoint; True stops the trial."""


class PruningEvaluation(BaseCallback):
    """Scores the policy on validation episodes at ``evaluations`` checkpoints; may stop early.

    The checkpoints are at ``every, 2 every, ...`` env steps (the first ``_on_step`` at or
    past each), whatever the rollout length, so every trial reports the same steps.

    Args:
        report: Called with each checkpoint's score and step; True stops training (pruned).
        env: The validation env (single).
        every: Env steps between checkpoints.
        evaluations: Number of checkpoints.
        episodes: Episodes per evaluation.
    """

    def __init__(
        self,
        report: Report,
        env: gym.Env[Any, Any],
        every: int,
        evaluations: int,
        episodes: int,
    ) -> None:
        super().__init__()
        self.report, self.env, self.every, self.episodes = report, env, every, episodes
        self.evaluations = evaluations
        self.done = 0
        self.score = -math.inf
        self.pruned = False

    def evaluate(self) -> float:
        """Mean validation return of the current deterministic policy."""
        normalizer = self.model.get_vec_normalize_env()
        policy = agent_policy(self.model, normalizer)
        returns, _ = run_episodes(self.env, policy, self.episodes, VALIDATION_FIRST_SEED)
        return float(np.mean(returns))

    def _on_step(self) -> bool:
        checkpoint = (self.done + 1) * self.every
        if self.done >= self.evaluations or self.num_timesteps < checkpoint:
            return True
        self.done += 1
        self.score = self.evaluate()
        if self.report(self.score, checkpoint):
            self.pruned = True
            return False
        return self.done < self.evaluations


def trial_hyperparameters(
    entry: AlgorithmEntry, base: dict[str, Any], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The hyperparameters a trial trains with: ``base`` with a sample's ``overrides``.

    A minibatch larger than the rollout is cut to the rollout (as rl-zoo does).
    """
    hyperparameters = merge_hyperparameters(entry, base, overrides)
    if "n_steps" in hyperparameters and "batch_size" in hyperparameters:
        rollout = int(hyperparameters["n_steps"]) * int(hyperparameters["n_envs"])
        hyperparameters["batch_size"] = min(int(hyperparameters["batch_size"]), rollout)
    return hyperparameters


def sample_trial(
    trial: optuna.Trial,
    space: Mapping[str, Distribution],
    entry: AlgorithmEntry,
    base: dict[str, Any],
) -> dict[str, Any]:
    """Sample ``space`` in ``trial``; record the values as trained (user attr) and return them.

    Returns:
        The sampled hyperparameters, after :func:`trial_hyperparameters`' clamping; the trial's
        user attr ``hyperparameters`` holds the same mapping.
    """
    overrides = sample(trial, space)
    hyperparameters = trial_hyperparameters(entry, base, overrides)
    used = {k: hyperparameters[k] for k in overrides}
    trial.set_user_attr("hyperparameters", used)
    return used


def train_and_score(
    args: TuneArgs, entry: AlgorithmEntry, hyperparameters: dict[str, Any], report: Report
) -> float | None:
    """Train one trial, reporting its validation score at each checkpoint.

    Returns:
        The trial's score (its last evaluation), or None when ``report`` stopped it.
    """
    n_envs = int(hyperparameters["n_envs"])
    train_kwargs = deep_merge(hyperparameters, {"env_kwargs": _split_kwargs(args.env, "train")})
    venv = make_training_env(args.env, train_kwargs, n_envs, args.seed)
    check_action_space(entry, args.env, venv.action_space)
    eval_kwargs = deep_merge(hyperparameters["env_kwargs"], _split_kwargs(args.env, "validation"))
    eval_env = gym.make(args.env, **eval_kwargs)
    model = new_model(entry, venv, hyperparameters, args.seed)
    every = max(args.n_timesteps // args.evaluations, 1)
    callback = PruningEvaluation(report, eval_env, every, args.evaluations, args.eval_episodes)
    try:
        model.learn(args.n_timesteps, callback=callback)
        if callback.pruned:
            return None
        if callback.done < args.evaluations:  # learning stopped short of the last one
            callback.score = callback.evaluate()
        return callback.score
    finally:
        venv.close()
        eval_env.close()


def objective(args: TuneArgs, entry: AlgorithmEntry, base: dict[str, Any]) -> Any:
    """The Optuna objective of a study: train with a trial's sample, return its score."""
    space = search_space(entry.name)

    def run_trial(trial: optuna.Trial) -> float:
        overrides = sample_trial(trial, space, entry, base)

        def report(score: float, steps: int) -> bool:
            trial.report(score, steps)
            return trial.should_prune()

        score = train_and_score(args, entry, trial_hyperparameters(entry, base, overrides), report)
        if score is None:
            raise optuna.TrialPruned
        return score

    return run_trial


def study_base(args: TuneArgs) -> tuple[AlgorithmEntry, dict[str, Any]]:
    """The study's algorithm and the hyperparameters its trials start from.

    Raises:
        ValueError: Unknown algorithm, env, preset or hyperparameter, or no search space.
    """
    entry = get_algorithm(args.algo)
    check_env_id(args.env)
    base = resolve_hyperparameters(
        TrainArgs(
            algo=args.algo,
            env=args.env,
            policy=args.policy,
            n_timesteps=args.n_timesteps,
            env_kwargs=args.env_kwargs,
            verbose=0,
        ),
        entry,
    )
    search_space(entry.name)
    return entry, base


def tune(args: TuneArgs) -> optuna.Study:
    """Run ``args.n_trials`` trials of the study (created or joined in ``args.storage``).

    A new study's first trial is the packaged hyperparameters, the algorithm's defaults where
    the file sets none (:func:`packaged_point`).

    Raises:
        ValueError: Unknown algorithm, env, preset or hyperparameter, or no search space.
    """
    entry, base = study_base(args)
    study = _shared(
        lambda: optuna.create_study(
            study_name=args.name(),
            storage=args.storage,
            load_if_exists=True,
            direction="maximize",
            sampler=optuna.samplers.TPESampler(seed=args.seed),
            pruner=optuna.pruners.MedianPruner(
                n_startup_trials=MEDIAN_STARTUP_TRIALS, n_warmup_steps=1
            ),
        )
    )
    if not study.trials:
        packaged = {**algorithm_defaults(entry), **base}
        study.enqueue_trial(packaged_point(search_space(entry.name), packaged), skip_if_exists=True)
    study.optimize(objective(args, entry, base), n_trials=args.n_trials)
    return study


def _shared(open_study: Callable[[], optuna.Study], attempts: int = 8) -> optuna.Study:
    """Open a study that other processes may be creating at the same moment.

    Two processes that find a fresh SQLite storage both create its tables (or the study);
    the loser of that race gets a database error and simply retries, finding it made.
    """
    for attempt in range(attempts - 1):
        try:
            return open_study()
        except (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.DuplicatedStudyError):
            time.sleep(0.1 * (attempt + 1))
    return open_study()


def best_entry(study: optuna.Study, args: TuneArgs) -> str:
    """The best trial as a ``hyperparams/<algo>.yml`` entry, with a comment naming the study."""
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not completed:
        raise ValueError(f"study {study.study_name!r} has no completed trial yet")
    best = study.best_trial
    header = (
        f"# tuned: study {study.study_name!r} in {args.storage}, trial {best.number}, "
        f"validation return {best.value:.4g} (best of {len(completed)} completed trials, "
        f"{args.n_timesteps} steps each)"
    )
    effective = best.user_attrs.get("hyperparameters", best.params)  # as trained (clamped)
    body = yaml.safe_dump({args.env: effective}, sort_keys=True)
    return f"{header}\n{body}"

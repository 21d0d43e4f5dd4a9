"""``wmoe evaluate``: returns of a trained run over seeded episodes, beside the env's baselines.

The agent and every baseline of the env (see ``EnvSpecEntry.baselines``) play the same
episodes: episode ``i`` starts from ``env.reset(seed=seed + i)``, so the comparison is paired.
Observations are normalised with the run's ``VecNormalize`` statistics when it used them;
returns are always the env's raw rewards.

An env whose config has a ``split`` key (the data split its samples come from, see
:func:`data_splits`) is scored on the held-out :data:`HELD_OUT_SPLIT` by default, with the
training run's own split beside it (in-sample); a split the caller names, or a
``config.split`` in the caller's env kwargs, is scored alone (:func:`split_plan`). Every
:class:`EvaluationReport` carries the split its numbers come from.
"""

from __future__ import annotations

import importlib
import pickle
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np
import yaml
from numpy.typing import NDArray
from sb3_contrib import MaskablePPO, RecurrentPPO
from stable_baselines3.common.base_class import BaseAlgorithm

from wmoe.agents.checkpoints import checkpoint_paths, latest_checkpoint
from wmoe.agents.registry import get_algorithm
from wmoe.agents.runs import env_name, existing_run
from wmoe.agents.train import check_env_id
from wmoe.config import deep_merge
from wmoe.envs.registration import config_schema, env_entry

Policy = Callable[[Any, gym.Env[Any, Any]], Any]


@dataclass(frozen=True)
class SplitChoice:
    """One data split to score, and why.

    Attributes:
        split: The split.
        in_sample: Whether it is the split the run was trained on.
        reason: How it was chosen, e.g. ``the default``.
    """

    split: str
    in_sample: bool
    reason: str

    @property
    def note(self) -> str:
        """``held out; the default``, ``in-sample; the training run's split`` and the like."""
        return f"{'in-sample' if self.in_sample else 'held out'}; {self.reason}"


@dataclass
class EvaluationReport:
    """Episode returns of the agent and of each baseline, on the same episodes.

    Attributes:
        returns: Policy name (``"agent"`` first) -> returns, one per episode.
        episode_length: Mean episode length of the agent [steps].
        model_path: The evaluated model file.
        split: The data split every episode drew its samples from; None for an env without
            data splits.
        choice: Why ``split`` was scored and whether it is in-sample; None without a split.
        env_kwargs: The ``gym.make`` kwargs the episodes were played with.
    """

    returns: dict[str, NDArray[np.float64]]
    episode_length: float
    model_path: Path
    split: str | None = None
    choice: SplitChoice | None = None
    env_kwargs: dict[str, Any] = field(default_factory=dict)

    def heading(self) -> str:
        """``split test (held out; the default)``; empty for an env without data splits."""
        if self.split is None:
            return ""
        return f"split {self.split}" + (f" ({self.choice.note})" if self.choice else "")

    def label(self) -> str:
        """``split test`` or ``split train (in-sample)``; empty for an env without splits."""
        if self.split is None:
            return ""
        return f"split {self.split}" + (
            " (in-sample)" if self.choice and self.choice.in_sample else ""
        )

    def table(self) -> str:
        """A text table: mean, std, min and max return per policy."""
        width = max(len(name) for name in self.returns)
        lines = [f"{'policy':<{width}}  {'mean':>9}  {'std':>8}  {'min':>9}  {'max':>9}"]
        for name, values in self.returns.items():
            lines.append(
                f"{name:<{width}}  {values.mean():9.3f}  {values.std():8.3f}  "
                f"{values.min():9.3f}  {values.max():9.3f}"
            )
        return "\n".join(lines)


def run_episodes(
    env: gym.Env[Any, Any], policy: Policy, n_episodes: int, seed: int
) -> tuple[NDArray[np.float64], float]:
    """Returns of ``policy(obs, env)`` over ``n_episodes`` episodes seeded ``seed + i``.

    A policy with memory (an :class:`EpisodicPolicy`) is reset at each episode start.
    """
    returns = np.zeros(n_episodes)
    steps = 0
    for episode in range(n_episodes):
        obs, _ = env.reset(seed=seed + episode)
        if isinstance(policy, EpisodicPolicy):
            policy.reset()
        done = False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(policy(obs, env))
            returns[episode] += float(reward)
            steps += 1
            done = terminated or truncated
    return returns, steps / n_episodes


@runtime_checkable
class EpisodicPolicy(Protocol):
    """A :data:`Policy` with memory across the steps of an episode, cleared by ``reset``."""

    def __call__(self, obs: Any, env: gym.Env[Any, Any]) -> Any:
        """The action for ``obs``."""

    def reset(self) -> None:
        """Forget the episode so far (called after each ``env.reset``)."""


class AgentPolicy:
    """Deterministic actions of ``model`` (with action masks when the env has them).

    A recurrent model (sb3-contrib's ``RecurrentPPO``) carries its LSTM state from step to
    step and starts each episode from a zero state after :meth:`reset`, as in training.

    Args:
        model: The trained model.
        obs_normalizer: The run's ``VecNormalize`` statistics, or None.
    """

    def __init__(self, model: BaseAlgorithm, obs_normalizer: Any | None) -> None:
        self.model, self.obs_normalizer = model, obs_normalizer
        self.recurrent = isinstance(model, RecurrentPPO)
        self.state: tuple[NDArray[np.float32], ...] | None = None
        self.episode_start = True

    def reset(self) -> None:
        """Start a new episode: the LSTM state goes back to zeros."""
        self.state = None
        self.episode_start = True

    def __call__(self, obs: Any, env: gym.Env[Any, Any]) -> Any:
        """The deterministic action for ``obs`` in ``env``."""
        if self.obs_normalizer is not None:
            obs = self.obs_normalizer.normalize_obs(obs)
        kwargs: dict[str, Any] = {"deterministic": True}
        masks = getattr(env.unwrapped, "action_masks", None)
        if masks is not None and isinstance(self.model, MaskablePPO):
            kwargs["action_masks"] = masks()
        if not self.recurrent:
            return self.model.predict(obs, **kwargs)[0]
        start = np.array([self.episode_start])
        action, self.state = self.model.predict(
            obs, state=self.state, episode_start=start, **kwargs
        )
        self.episode_start = False
        return action


def agent_policy(model: BaseAlgorithm, obs_normalizer: Any | None) -> AgentPolicy:
    """Deterministic actions of ``model`` (see :class:`AgentPolicy`)."""
    return AgentPolicy(model, obs_normalizer)


def baseline_policies(env_id: str, seed: int) -> dict[str, Policy]:
    """The env's baselines as policies (empty when it has none)."""
    entry = env_entry(env_id)
    if entry is None or entry.baselines is None:
        return {}
    module = importlib.import_module(entry.baselines)
    rng = np.random.default_rng(seed)

    def policy(name: str) -> Policy:
        return lambda obs, env: module.baseline_action(name, env.unwrapped, rng)

    return {name: policy(name) for name in module.BASELINES}


UPPER_BOUND = "upper_bound"
"""Name under which an env's upper bound on the return is reported beside its baselines."""

Bound = Callable[[gym.Env[Any, Any], list[int]], NDArray[np.float64]]


def upper_bound_of(env_id: str) -> Bound | None:
    """The env's upper bound on the return of its episodes, where its baselines module has one.

    A baselines module may define ``upper_bound(env, seeds)``: one bound per episode seeded
    ``seeds[i]``, which no policy's return on that episode can exceed.
    """
    entry = env_entry(env_id)
    if entry is None or entry.baselines is None:
        return None
    bound: Bound | None = getattr(importlib.import_module(entry.baselines), UPPER_BOUND, None)
    return bound


@dataclass
class TrainedRun:
    """A trained run loaded for evaluation.

    Attributes:
        model: The loaded model (on the CPU).
        normalizer: The run's ``VecNormalize`` statistics, or None when it used none.
        hyperparameters: The run's hyperparameters (``config.yml``).
        model_path: The loaded model file.
    """

    model: BaseAlgorithm
    normalizer: Any | None
    hyperparameters: dict[str, Any]
    model_path: Path

    def policy(self) -> Policy:
        """The run's deterministic policy (observations normalised as in training)."""
        return agent_policy(self.model, self.normalizer)


def load_run(
    algo: str, env_id: str, log_folder: Path, exp_id: int | None = None, load: str = "final"
) -> TrainedRun:
    """Load a trained run's model (``load``: ``final``, ``best`` or ``checkpoint``).

    Raises:
        ValueError: Unknown algorithm, env or ``load`` choice.
        FileNotFoundError: No such run or model file.
    """
    entry = get_algorithm(algo)
    check_env_id(env_id)
    folder = existing_run(log_folder, entry.name, env_id, exp_id)
    name = env_name(env_id)
    models = {"final": folder / f"{name}.zip", "best": folder / "best_model.zip"}
    if load == "checkpoint":
        steps = latest_checkpoint(folder)
        models["checkpoint"] = checkpoint_paths(folder, steps or 0)["model"]
    if load not in models:
        raise ValueError(f"unknown model to load {load!r}; valid: final, best, checkpoint")
    model_path = models[load]
    if not model_path.exists():
        raise FileNotFoundError(f"{model_path} does not exist (was the run finished?)")
    hyperparameters = yaml.safe_load((folder / name / "config.yml").read_text())
    model = entry.algorithm.load(model_path, device="cpu")
    normalizer = None
    stats = folder / name / "vecnormalize.pkl"
    if hyperparameters.get("normalize") and stats.exists():
        normalizer = pickle.loads(stats.read_bytes())
    return TrainedRun(model, normalizer, hyperparameters, model_path)


HELD_OUT_SPLIT = "test"
"""The data split scored by default, for envs whose config has a ``split`` key."""


def data_splits(env_id: str) -> tuple[str, ...]:
    """The data splits ``env_id``'s config may draw from: its schema's ``split`` choices.

    Empty for an env whose config schema has no ``split`` key, or that is outside the suite.
    """
    if env_entry(env_id) is None:
        return ()
    split = config_schema(env_id).model_fields.get("split")
    return () if split is None else tuple(typing.get_args(split.annotation))


def check_split(env_id: str, split: str | None, option: str = "--split") -> None:
    """Raise a ValueError unless ``split`` (given as ``option``) is None or one of the env's.

    Raises:
        ValueError: ``split`` is given and the env has no data splits, or not that one.
    """
    if split is None:
        return
    splits = data_splits(env_id)
    if not splits:
        raise ValueError(
            f"{option} {split}: {env_id} has no data splits (its config has no 'split' key); "
            f"drop {option}"
        )
    if split not in splits:
        raise ValueError(f"unknown {option} {split!r} for {env_id}; valid: {', '.join(splits)}")


def split_plan(
    env_id: str,
    run_env_kwargs: dict[str, Any],
    split: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
    in_sample: bool = True,
) -> list[SplitChoice]:
    """The data splits to score a run on; empty for an env without data splits.

    ``config.split`` of ``env_kwargs`` wins when given, then ``split``; each is scored
    alone. Otherwise :data:`HELD_OUT_SPLIT`, then (with ``in_sample``) the training run's
    split (``config.split`` of ``run_env_kwargs``, else the schema's default) where it
    differs.

    Raises:
        ValueError: A split the env does not have, or ``split`` and ``config.split`` of
            ``env_kwargs`` disagree.
    """
    explicit = (env_kwargs or {}).get("config", {}).get("split")
    check_split(env_id, split)
    check_split(env_id, explicit, "config.split of --env-kwargs")
    splits = data_splits(env_id)
    if not splits:
        return []
    if explicit is not None and split is not None and explicit != split:
        raise ValueError(
            f"--split {split} and config.split:{explicit} of --env-kwargs disagree; give one"
        )
    trained_on = run_env_kwargs.get("config", {}).get(
        "split", config_schema(env_id).model_fields["split"].default
    )

    def choice(chosen: str, reason: str) -> SplitChoice:
        return SplitChoice(chosen, chosen == trained_on, reason)

    if explicit is not None:
        return [choice(explicit, "config.split of --env-kwargs wins")]
    if split is not None:
        return [choice(split, "chosen by --split")]
    if HELD_OUT_SPLIT not in splits:
        raise ValueError(
            f"{env_id} has no {HELD_OUT_SPLIT!r} split to score by default; choose one with "
            f"--split ({', '.join(splits)})"
        )
    plan = [choice(HELD_OUT_SPLIT, "the default")]
    if in_sample and trained_on != HELD_OUT_SPLIT:
        plan.append(choice(trained_on, "the training run's split"))
    return plan


def evaluate_on(
    run: TrainedRun,
    env_id: str,
    env_kwargs: dict[str, Any],
    n_episodes: int = 10,
    seed: int = 0,
    with_baselines: bool = True,
) -> EvaluationReport:
    """Returns of ``run`` (and of the env's baselines) in ``gym.make(env_id, **env_kwargs)``.

    The report's split is ``config.split`` of ``env_kwargs`` (None for an env without data
    splits; the env's default split when ``env_kwargs`` names none).
    """
    env = gym.make(env_id, **env_kwargs)
    try:
        returns, length = run_episodes(env, run.policy(), n_episodes, seed)
        results = {"agent": returns}
        if with_baselines:
            for baseline, policy in baseline_policies(env_id, seed).items():
                results[baseline] = run_episodes(env, policy, n_episodes, seed)[0]
            bound = upper_bound_of(env_id)
            if bound is not None:
                results[UPPER_BOUND] = bound(env, list(range(seed, seed + n_episodes)))
        split = getattr(env.unwrapped, "config", {}).get("split") if data_splits(env_id) else None
    finally:
        env.close()
    return EvaluationReport(results, length, run.model_path, split, env_kwargs=env_kwargs)


def evaluate_splits(
    algo: str,
    env_id: str,
    log_folder: Path,
    exp_id: int | None = None,
    n_episodes: int = 10,
    seed: int = 0,
    load: str = "final",
    with_baselines: bool = True,
    split: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
    in_sample: bool = True,
) -> list[EvaluationReport]:
    """Evaluate a trained run on each split of :func:`split_plan`, one report per split.

    ``env_kwargs`` are deep-merged over the run's own. An env without data splits gets one
    report. ``load``: ``final``, ``best`` or ``checkpoint``.

    Raises:
        ValueError: Unknown algorithm, env, ``load`` choice or split (see :func:`split_plan`).
        FileNotFoundError: No such run or model file.
    """
    check_env_id(env_id)
    check_split(env_id, split)  # before the model loads
    run = load_run(algo, env_id, log_folder, exp_id, load)
    run_kwargs = run.hyperparameters.get("env_kwargs", {})
    kwargs = deep_merge(run_kwargs, env_kwargs or {})
    plan = split_plan(env_id, run_kwargs, split, env_kwargs, in_sample)
    if not plan:
        return [evaluate_on(run, env_id, kwargs, n_episodes, seed, with_baselines)]
    reports = []
    for choice in plan:
        split_kwargs = deep_merge(kwargs, {"config": {"split": choice.split}})
        report = evaluate_on(run, env_id, split_kwargs, n_episodes, seed, with_baselines)
        report.choice = choice
        reports.append(report)
    return reports


def split_summary(reports: list[EvaluationReport]) -> str:
    """The agent's mean return per split on one line.

    For example ``agent: split test: mean 25.400 ; split train (in-sample): mean 27.350``.
    """
    means = [f"{r.label()}: mean {r.returns['agent'].mean():.3f}" for r in reports]
    return "agent: " + " ; ".join(means)


def evaluate_run(
    algo: str,
    env_id: str,
    log_folder: Path,
    exp_id: int | None = None,
    n_episodes: int = 10,
    seed: int = 0,
    load: str = "final",
    with_baselines: bool = True,
    split: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
) -> EvaluationReport:
    """Evaluate a trained run on one split (``load``: ``final``, ``best`` or ``checkpoint``).

    An env with data splits is scored on :data:`HELD_OUT_SPLIT` unless ``split`` or
    ``config.split`` of ``env_kwargs`` names another (:func:`evaluate_splits` without the
    in-sample score).

    Raises:
        ValueError: Unknown algorithm, env, ``load`` choice or split.
        FileNotFoundError: No such run or model file.
    """
    return evaluate_splits(
        algo,
        env_id,
        log_folder,
        exp_id,
        n_episodes,
        seed,
        load,
        with_baselines,
        split,
        env_kwargs,
        in_sample=False,
    )[0]

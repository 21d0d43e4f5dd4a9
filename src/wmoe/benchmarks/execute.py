"""Run one cell: train through ``wmoe train``, play the test episodes as ``wmoe evaluate`` does.

An agent cell trains with :func:`wmoe.agents.train.train` (the run folder under
``runs_folder/<cell key>``, no checkpoints or periodic evaluations), loads the final model
with :func:`wmoe.agents.evaluate.load_run` and plays the test episodes with
:func:`wmoe.agents.evaluate.run_episodes` in the env built from the run's kwargs with the
test kwargs over them (e.g. the test split). A baselines cell plays every baseline of the
env (:func:`wmoe.agents.evaluate.baseline_policies`) on the same episodes, and records the
env's upper bound on them where it has one (:func:`wmoe.agents.evaluate.upper_bound_of`).
Each policy's episode starts are hashed, so the report can show that every policy saw the
same episodes.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pandas
from stable_baselines3.common.monitor import load_results

from wmoe.agents.evaluate import (
    UPPER_BOUND,
    Policy,
    baseline_policies,
    load_run,
    run_episodes,
    upper_bound_of,
)
from wmoe.agents.reception_diagnostics import decision_diagnostics
from wmoe.agents.train import train
from wmoe.benchmarks.cells import Cell
from wmoe.benchmarks.costs import LATENCY_BATCH_SIZES, decision_latency_ms, parameter_counts
from wmoe.envs.multi_bs_reception.core import ReceptionCore

AGENT = "agent"
"""The policy name of an agent cell's returns."""


@dataclass
class CellResult:
    """What a finished cell stores.

    Attributes:
        returns: Policy name -> return of each test episode (``agent`` for an agent cell,
            each baseline's name for a baselines cell).
        digests: Policy name -> observation shape and hash of its test episodes' initial
            observations (:meth:`EpisodeDigest.take_digest`).
        episode_length: Mean test episode length [steps].
        curve: Mean return of the training episodes that ended in each of the
            ``curve_points`` equal windows of env steps (NaN for a window without one).
        curve_steps: Env steps at the end of each window.
        costs: ``train_seconds``, ``eval_seconds``, ``env_steps_per_second``,
            ``parameters_total``, ``parameters_active``, ``latency_ms_batch<B>``.
        diagnostics: What an agent learned beside its return: each MoE layer's last logged
            routing statistics (``moe/<layer>/load_<e>``, ``.../aux/entropy``, dormant
            neurons ``.../dormant_tau0.1_<e>``, feature rank ``.../srank_<e>``), and on a
            reception env the decisions on the test episodes (``decision/<statistic>``,
            :func:`wmoe.agents.reception_diagnostics.decision_diagnostics`).
    """

    returns: dict[str, list[float]]
    digests: dict[str, str]
    episode_length: float
    curve: list[float] = field(default_factory=list)
    curve_steps: list[int] = field(default_factory=list)
    costs: dict[str, float] = field(default_factory=dict)
    diagnostics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON; NaN curve points as None)."""
        data = asdict(self)
        data["curve"] = [None if math.isnan(v) else v for v in self.curve]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CellResult:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        data["curve"] = [math.nan if v is None else float(v) for v in data.get("curve", [])]
        return cls(**data)


NO_EPISODES = hashlib.sha256().hexdigest()[:16]
"""The hash part of a digest taken with no reset in between (e.g. an upper bound that reads
its episodes' draws without playing them): evidence of nothing."""


class EpisodeDigest(gym.Wrapper[Any, Any, Any, Any]):
    """Hashes the initial observation of every episode (evidence of common random numbers)."""

    def __init__(self, env: gym.Env[Any, Any]) -> None:
        super().__init__(env)
        self._hash = hashlib.sha256()

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        """Reset the env and add the initial observation to the digest."""
        obs, info = self.env.reset(**kwargs)
        self._hash.update(np.ascontiguousarray(obs).tobytes())
        return obs, info

    def take_digest(self) -> str:
        """``<observation shape>:<hash>`` of the episodes since the last call; start anew.

        Policies whose envs observe differently (e.g. with or without extra features) have
        different digests even on the same episodes, so digests compare per shape.
        """
        shape = "x".join(str(n) for n in (self.observation_space.shape or ()))
        digest = f"{shape}:{self._hash.hexdigest()[:16]}"
        self._hash = hashlib.sha256()
        return digest


def execute_cell(cell: Cell, runs_folder: Path) -> CellResult:
    """Run ``cell`` with one torch thread (the entry point of pool and Ray workers)."""
    import torch

    import wmoe  # noqa: F401  (registers the environments in a fresh worker)

    torch.set_num_threads(1)
    if cell.is_baselines:
        return run_baselines_cell(cell)
    return run_agent_cell(cell, runs_folder)


def play(env: EpisodeDigest, policy: Policy, cell: Cell) -> tuple[list[float], str, float]:
    """Returns, digest and mean length of ``policy`` on the cell's test episodes."""
    returns, length = run_episodes(env, policy, cell.test_episodes, cell.test_first)
    return [float(r) for r in returns], env.take_digest(), float(length)


def run_baselines_cell(cell: Cell) -> CellResult:
    """Every baseline of the cell's env on the test episodes."""
    env = EpisodeDigest(gym.make(cell.env_id, **cell.test_kwargs()))
    returns, digests, lengths = {}, {}, []
    try:
        for name, policy in baseline_policies(cell.env_id, cell.test_first).items():
            returns[name], digests[name], length = play(env, policy, cell)
            lengths.append(length)
        bound = upper_bound_of(cell.env_id)
        if bound is not None:
            seeds = list(range(cell.test_first, cell.test_first + cell.test_episodes))
            returns[UPPER_BOUND] = [float(r) for r in bound(env, seeds)]
            digests[UPPER_BOUND] = env.take_digest()
    finally:
        env.close()
    return CellResult(returns, digests, float(np.mean(lengths)))


def run_agent_cell(cell: Cell, runs_folder: Path) -> CellResult:
    """Train the cell's agent, then play the test episodes and measure its costs."""
    if cell.algo is None:
        raise ValueError(f"{cell.name} is a baselines cell")
    log_folder = runs_folder / cell.key
    shutil.rmtree(log_folder, ignore_errors=True)  # an unfinished attempt starts afresh
    start = time.perf_counter()
    folder = train(cell.train_args(log_folder))
    train_seconds = time.perf_counter() - start
    run = load_run(cell.algo, cell.env_id, log_folder)
    start = time.perf_counter()
    env = EpisodeDigest(
        gym.make(cell.env_id, **cell.test_kwargs(run.hyperparameters["env_kwargs"]))
    )
    try:
        returns, digest, length = play(env, run.policy(), cell)
        eval_seconds = time.perf_counter() - start  # the diagnostics' replay is not evaluation
        diagnostics = last_moe_statistics(folder)
        if isinstance(getattr(env.unwrapped, "core", None), ReceptionCore):
            decisions = decision_diagnostics(env, run.policy(), cell.test_episodes, cell.test_first)
            diagnostics.update({f"decision/{k}": v for k, v in decisions.as_dict().items()})
    finally:
        env.close()
    total, active = parameter_counts(run.model.policy)
    costs = {
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds,
        "env_steps_per_second": cell.n_timesteps / train_seconds,
        "parameters_total": float(total),
        "parameters_active": float(active),
    }
    for batch in LATENCY_BATCH_SIZES:
        costs[f"latency_ms_batch{batch}"] = decision_latency_ms(run.model, batch)
    steps, curve = training_curve(folder, cell.n_timesteps, cell.curve_points)
    return CellResult({AGENT: returns}, {AGENT: digest}, length, curve, steps, costs, diagnostics)


def last_moe_statistics(folder: Path) -> dict[str, float]:
    """The last logged value of every ``moe/`` column of a run's progress logs."""
    statistics: dict[str, float] = {}
    for progress in sorted((folder / "log").glob("*/progress.csv")):
        table = pandas.read_csv(progress)
        for column in table.columns:
            if column.startswith("moe/"):
                logged = table[column].dropna()
                if len(logged):
                    statistics[column] = float(logged.iloc[-1])
    return statistics


def training_curve(folder: Path, n_timesteps: int, points: int) -> tuple[list[int], list[float]]:
    """Mean training-episode return per window of env steps, from the run's monitor log."""
    episodes = load_results(str(folder))
    ends = np.cumsum(episodes["l"].to_numpy())
    returns = episodes["r"].to_numpy(dtype=np.float64)
    edges = np.linspace(0, n_timesteps, points + 1)
    upper = np.append(edges[1:-1], np.inf)  # steps past the budget (a last rollout) count last
    curve = []
    for low, high in zip(edges[:-1], upper, strict=True):
        inside = (ends > low) & (ends <= high)
        curve.append(float(returns[inside].mean()) if inside.any() else math.nan)
    return [int(round(edge)) for edge in edges[1:]], curve

"""Agents learn, not just run: PPO on MultiBSReception-v0 and ChannelAwareClassification-v0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wmoe.agents.evaluate import evaluate_run
from wmoe.agents.train import TrainArgs, train

ENV_ID = "wmoe/MultiBSReception-v0"


@pytest.mark.slow
def test_ppo_moe_top2_approaches_strongest_n(
    tmp_path: Path, reception_config: dict[str, Any]
) -> None:
    args = TrainArgs(
        algo="ppo",
        env=ENV_ID,
        log_folder=tmp_path,
        policy="moe-top2",
        n_timesteps=61_440,
        env_kwargs={"config": reception_config},
        eval_freq=-1,
        save_freq=-1,
        verbose=0,
    )
    train(args)  # ppo.yml: gamma 0, reward normalisation, received powers observed
    report = evaluate_run("ppo", ENV_ID, tmp_path, n_episodes=10, seed=1000)
    means = {name: float(returns.mean()) for name, returns in report.returns.items()}
    random, strongest, agent = means["random"], means["strongest_n"], means["agent"]
    assert strongest > random
    assert agent >= random + 0.9 * (strongest - random), means


@pytest.mark.slow
def test_ppo_beats_the_naive_gate_on_channel_aware_classification(tmp_path: Path) -> None:
    env_id = "wmoe/ChannelAwareClassification-v0"
    args = TrainArgs(
        algo="ppo",
        env=env_id,
        log_folder=tmp_path,
        n_timesteps=61_440,
        eval_freq=-1,
        save_freq=-1,
        verbose=0,
    )
    train(args)  # ppo.yml: gamma 0, mlp
    report = evaluate_run("ppo", env_id, tmp_path, n_episodes=20, seed=1000)
    means = {name: float(returns.mean()) for name, returns in report.returns.items()}
    assert means["agent"] > means["naive_gate"] + 1.0, means  # per 32-step episode
    assert means["oracle"] > means["agent"] > means["random"], means


@pytest.mark.slow
def test_ppo_beats_the_best_heuristic_on_expert_routing(tmp_path: Path) -> None:
    env_id = "wmoe/ExpertRouting-v0"
    args = TrainArgs(
        algo="ppo", env=env_id, log_folder=tmp_path, eval_freq=-1, save_freq=-1, verbose=0
    )
    train(args)  # ppo.yml: 1e5 steps, gamma 0.9, reward normalisation, mlp
    report = evaluate_run("ppo", env_id, tmp_path, n_episodes=5, seed=1000)
    means = {name: float(returns.mean()) for name, returns in report.returns.items()}
    heuristics = ("naive_gate", "channel_aware_gate", "best_snr", "join_shortest_queue")
    best = max(means[name] for name in (*heuristics, "min_cost", "random"))
    assert means["agent"] > best, means


@pytest.mark.slow
def test_diffusion_sac_approaches_strongest_n(
    tmp_path: Path, reception_config: dict[str, Any]
) -> None:
    args = TrainArgs(
        algo="diffusion-sac",
        env=ENV_ID,
        log_folder=tmp_path,
        n_timesteps=30_000,
        env_kwargs={"config": reception_config},
        eval_freq=-1,
        save_freq=-1,
        verbose=0,
    )
    train(args)  # diffusion_sac.yml: continuous scores, gamma 0, imitation of the expert precoder
    report = evaluate_run("diffusion-sac", ENV_ID, tmp_path, n_episodes=10, seed=1000)
    means = {name: float(returns.mean()) for name, returns in report.returns.items()}
    random, strongest, agent = means["random"], means["strongest_n"], means["agent"]
    assert agent >= random + 0.8 * (strongest - random), means

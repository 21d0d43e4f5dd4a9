"""Baselines of ``wmoe/ExpertRouting-v0``; only ``gate_minus_cost`` and ``myopic_oracle`` drop.

- ``naive_gate``: the stage-1 gate ``G(z)``, blind to links and queues (the paper's naive
  gating);
- ``channel_aware_gate``: the stage-2 gate ``G_AW(z, sigma~)`` on the links' distortion now
  (the paper's proposal), blind to queues;
- ``best_snr``: the device with the highest instantaneous SNR, blind to queues and feature;
- ``join_shortest_queue``: the device that finishes its queue soonest (least work left;
  ties broken at random), blind to links and feature;
- ``min_cost``: the device with the least weighted latency and energy for this task (link
  wait, transmission, processor wait and compute, all known at dispatch), blind to accuracy;
- ``gate_minus_cost``: the device maximising ``w G_AW,k(z, sigma~) - cost_k``, the
  channel-aware gate's probability as a stand-in for the chance of a right answer, less the
  weighted latency and energy (as ``min_cost`` computes it); it drops the task when every
  score is below ``-drop_penalty``. ``w = 0.5`` (:data:`GATE_WEIGHT`) was the best of
  0.25, 0.5, 0.75, 1, 1.5, 2 on the validation split (10 episodes seeded from 2,000,000:
  160.9, 163.4, 160.6, 159.2, 155.7, 152.4), a split the test episodes never use;
- ``random``: a uniformly drawn device;
- ``myopic_oracle``: the action with the highest reward now, knowing which experts would be
  right on what their links deliver (the label and the noise: not realisable); it may drop.
  It is greedy, so it is no upper bound of the sequential problem: it ignores the queues it
  leaves for later tasks.

:func:`upper_bound` is a bound, not a policy: per task the best reward with every
queue empty (the right-or-wrong answer of each expert on what its link delivers, less the
latency of transmission and compute alone and the energy), or the drop penalty if higher.
Queues only add latency and every draw (arrivals, fading, samples, link noise) is independent
of the actions, so no policy's return on the same episode exceeds its sum.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from wmoe.envs.action_checks import encode_choice
from wmoe.envs.expert_routing.core import RoutingCore, TaskCosts

_ENV0 = np.zeros(1, dtype=np.int64)

GATE_WEIGHT = 0.5
"""``w`` of ``gate_minus_cost`` (chosen on the validation split, see the module docstring)."""

Baseline = Callable[[RoutingCore, NDArray[np.int64], np.random.Generator], NDArray[np.int64]]


def _naive_gate(
    core: RoutingCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    z = core.features[core.sample[envs]]
    return core.model.naive_choice(z).numpy()


def _channel_aware_gate(
    core: RoutingCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    z = core.features[core.sample[envs]]
    return core.model.channel_aware_choice(z, core.sigma(envs)).numpy()


def _best_snr(
    core: RoutingCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    return core.instantaneous_snr(envs).argmax(-1)


def _join_shortest_queue(
    core: RoutingCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    backlog = core.compute_backlog_s[envs]
    shortest = backlog == backlog.min(-1, keepdims=True)
    return np.where(shortest, rng.random(backlog.shape), -1.0).argmax(-1)


def _min_cost(
    core: RoutingCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    return core.weighted_cost(core.costs(envs)).argmin(-1)


def _best_or_drop(core: RoutingCore, scores: NDArray[np.float64]) -> NDArray[np.int64]:
    """The highest-scoring device, or the drop action when every score is below dropping."""
    drop = scores.max(-1) < -core.config["drop_penalty"]
    return np.where(drop, core.drop_action, scores.argmax(-1))


@torch.no_grad()
def _gate_minus_cost(
    core: RoutingCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    z = core.features[core.sample[envs]]
    gate = core.model.channel_gate_probs(z, core.sigma(envs)).numpy()
    return _best_or_drop(core, GATE_WEIGHT * gate - core.weighted_cost(core.costs(envs)))


def _random(
    core: RoutingCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    return rng.integers(core.num_experts, size=len(envs))


def _myopic_oracle(
    core: RoutingCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    return _best_or_drop(core, core.expert_correct(envs) - core.weighted_cost(core.costs(envs)))


BASELINES: dict[str, Baseline] = {
    "naive_gate": _naive_gate,
    "channel_aware_gate": _channel_aware_gate,
    "best_snr": _best_snr,
    "join_shortest_queue": _join_shortest_queue,
    "min_cost": _min_cost,
    "gate_minus_cost": _gate_minus_cost,
    "random": _random,
    "myopic_oracle": _myopic_oracle,
}


def baseline_action(name: str, env: Any, rng: np.random.Generator | None = None) -> Any:
    """The action a baseline takes in a single :class:`ExpertRoutingEnv` now.

    Args:
        name: Key of :data:`BASELINES`.
        env: The (unwrapped) single environment.
        rng: Generator for the random choices (``random``, ties of ``join_shortest_queue``).
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose from {sorted(BASELINES)}")
    core: RoutingCore = env.core
    action = int(BASELINES[name](core, _ENV0, rng or np.random.default_rng())[0])
    return encode_choice(action, core.num_experts + 1, core.config["action_type"])


def queue_free_reward_bound(core: RoutingCore, envs: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per env, a bound on the current task's reward: the best one with every queue empty."""
    costs = core.costs(envs)
    unqueued = TaskCosts(
        tx_time_s=costs.tx_time_s,
        queue_s=np.zeros_like(costs.queue_s),
        compute_s=costs.compute_s,
        latency_s=costs.tx_time_s + costs.compute_s,
        energy_j=costs.energy_j,
    )
    best = (core.expert_correct(envs) - core.weighted_cost(unqueued)).max(-1)
    bound: NDArray[np.float64] = np.maximum(best, -float(core.config["drop_penalty"]))
    return bound


def upper_bound(env: Any, seeds: list[int]) -> NDArray[np.float64]:
    """An upper bound on any policy's return in the episodes ``seeds`` (see the module doc).

    Args:
        env: A single ``wmoe/ExpertRouting-v0`` env (wrapped or not); its episodes are
            replayed (dropping every task, which leaves the draws unchanged).
        seeds: Episode seeds.
    """
    core: RoutingCore = env.unwrapped.core
    drop = encode_choice(core.drop_action, core.num_experts + 1, core.config["action_type"])
    returns = np.zeros(len(seeds))
    for episode, seed in enumerate(seeds):
        env.reset(seed=seed)
        done = False
        while not done:
            returns[episode] += float(queue_free_reward_bound(core, _ENV0)[0])
            _, _, terminated, truncated, _ = env.step(drop)
            done = terminated or truncated
    return returns

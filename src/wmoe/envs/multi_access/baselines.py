"""Baselines of ``wmoe/MultiAccess-v0`` and ``-v1``.

Realisable policies (they use only what the agent observes, plus the episode's mix to look up
a tuned parameter where said):

- ``always_wait``: never transmits (throughput 0; the legacy nodes' undisturbed share);
- ``always_transmit``: transmits on channel 0 every slot (starves sensing nodes, collides
  with the rest);
- ``random``: a uniformly drawn action;
- ``best_aloha_q``: slotted ALOHA, transmitting with probability ``q*`` on a uniformly drawn
  channel, ``q*`` tuned per mix (see :func:`tuned_parameter`);
- ``p_persistent_lbt``: p-persistent listen-before-talk: transmits with probability ``p*``
  on a channel that was clear in the last slot (sensed idle, its own success, or not
  sensed), waits when none was; ``p*`` tuned per mix.

Oracle heuristics (they read the simulator's hidden state; neither is a bound, see
:mod:`wmoe.envs.multi_access.bounds` for one):

- ``idle_genie``: knows which legacy nodes would transmit in the coming slot if it waited
  (with sub-slot contention, the backoff's outcome too) and sends on a channel none of them
  uses (waits when all are used): every slot it sends in would have been idle, so it never
  collides or takes a packet from another node. It does delay the backoff of sensing nodes
  (with packet-slot contention a sensing node counts down only in idle slots, so the genie
  filling them silences WiFi), so it is not harmless, and it is not the optimum of an
  alpha-fair reward: it ignores fairness and can score below ``always_wait`` at
  ``alpha = 1``.
- ``model_aware_optimum``: the stationary optimum of the ``tdma+aloha`` mix on one channel,
  knowing the TDMA pattern and ``q`` (derived below) for the long-run throughputs; on every
  other mix or with ``C > 1`` it plays ``idle_genie``. The reward's windowed, floored
  throughputs make it close to but not exactly optimal on ``tdma+aloha`` for ``alpha > 0``.

**TDMA + q-ALOHA optimum** (after DLMA, Yu, Wang and Liew, IEEE JSAC 2019, Sec. IV-A). A
saturated TDMA node owns ``x`` of every ``X`` slots (``f = x / X``); a saturated q-ALOHA node
sends with probability ``q``. In a TDMA slot the agent cannot succeed and only destroys a
possible TDMA success, so it waits. In a TDMA-idle slot, sending with probability ``p``
gives the agent ``p (1 - q)`` and the ALOHA node ``q (1 - p)``; over time the throughputs
are ``a = (1 - f) p (1 - q)``, ``b = (1 - f) q (1 - p)`` and ``t = f (1 - q)`` (TDMA, not
depending on ``p``).

* ``reward="success"``: ``a`` is largest at ``p* = 1``: ``a* = (1 - f)(1 - q)``.
* ``reward="alpha_fair"``, ``alpha = 0`` (sum throughput): ``a + b`` is linear in ``p``;
  ``p* = 1`` if ``q <= 1/2``, else 0.
* ``alpha > 0``: maximise ``u(a) + u(b)`` with ``u'(x) = x^(-alpha)``: the stationarity
  condition ``(1 - q) a^(-alpha) = q b^(-alpha)`` gives
  ``((1 - p) / p)^alpha = (q / (1 - q))^(1 - alpha)``, so
  ``p* = 1 / (1 + (q / (1 - q))^((1 - alpha) / alpha))``: ``1/2`` at ``alpha = 1``
  (proportional fairness), tending to ``q`` as ``alpha -> inf`` and to the sum-throughput
  rule as ``alpha -> 0``. The utility is concave in ``p``, so this is the maximum.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium.utils.seeding import np_random
from numpy.typing import NDArray

from wmoe.envs.action_checks import encode_choice
from wmoe.envs.multi_access.bounds import reward_range
from wmoe.envs.multi_access.core import BUSY, COLLISION, OUTCOMES, MultiAccessCore
from wmoe.envs.multi_access.protocols import KIND_Q_ALOHA, KIND_TDMA
from wmoe.envs.multi_access.scenarios import MIX_NAMES

_ENV0 = np.zeros(1, dtype=np.int64)

# Tuning: grid of q (ALOHA) and p (LBT), episodes per grid value, and the seeds of those
# episodes, far from the evaluation seeds (``wmoe evaluate --seed s`` uses s, s + 1, ...).
TUNING_GRID = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
TUNING_EPISODES = 8
TUNING_SEED = 1_000_000

Baseline = Callable[
    [MultiAccessCore, NDArray[np.int64], np.random.Generator, NDArray[np.float64]],
    NDArray[np.int64],
]


def _on_random_channel(
    core: MultiAccessCore, send: NDArray[np.bool_], rng: np.random.Generator
) -> NDArray[np.int64]:
    channel = rng.integers(core.num_channels, size=len(send))
    actions: NDArray[np.int64] = np.where(send, 1 + channel, 0)
    return actions


def _always_wait(
    core: MultiAccessCore, envs: NDArray[np.int64], rng: np.random.Generator, _: Any
) -> NDArray[np.int64]:
    return np.zeros(len(envs), dtype=np.int64)


def _always_transmit(
    core: MultiAccessCore, envs: NDArray[np.int64], rng: np.random.Generator, _: Any
) -> NDArray[np.int64]:
    return np.ones(len(envs), dtype=np.int64)


def _random(
    core: MultiAccessCore, envs: NDArray[np.int64], rng: np.random.Generator, _: Any
) -> NDArray[np.int64]:
    return rng.integers(1 + core.num_channels, size=len(envs))


def _aloha(
    core: MultiAccessCore,
    envs: NDArray[np.int64],
    rng: np.random.Generator,
    q: NDArray[np.float64],
) -> NDArray[np.int64]:
    return _on_random_channel(core, rng.random(len(envs)) < q, rng)


def _lbt(
    core: MultiAccessCore,
    envs: NDArray[np.int64],
    rng: np.random.Generator,
    p: NDArray[np.float64],
) -> NDArray[np.int64]:
    c = core.num_channels
    last = core.history[envs, 0, -1, 1 + c :].reshape(len(envs), c, len(OUTCOMES))
    clear = (last[..., BUSY] == 0) & (last[..., COLLISION] == 0)
    # A uniformly drawn clear channel: the largest of random keys over the clear ones.
    keys = np.where(clear, rng.random(clear.shape), -1.0)
    send = clear.any(1) & (rng.random(len(envs)) < p)
    actions: NDArray[np.int64] = np.where(send, 1 + keys.argmax(1), 0)
    return actions


def _idle_genie(
    core: MultiAccessCore, envs: NDArray[np.int64], rng: np.random.Generator, _: Any
) -> NDArray[np.int64]:
    legacy_tx = core.legacy_plan(envs)
    used = (
        legacy_tx[..., None] & (core.nodes.channel[envs][..., None] == np.arange(core.num_channels))
    ).any(1)
    actions: NDArray[np.int64] = np.where(used.all(1), 0, 1 + (~used).argmax(1))
    return actions


def optimal_idle_slot_probability(q: float, reward: str, alpha: float) -> float:
    """The optimal send probability ``p*`` in TDMA-idle slots beside q-ALOHA (module doc)."""
    if reward == "success" or q == 0.0:
        return 1.0
    if q == 1.0:
        return 0.0
    if alpha == 0.0:
        return 1.0 if q <= 0.5 else 0.0
    return 1.0 / (1.0 + (q / (1.0 - q)) ** ((1.0 - alpha) / alpha))


def tdma_aloha_parameters(core: MultiAccessCore, env: int) -> tuple[NDArray[np.bool_], float]:
    """The TDMA pattern (one frame) and ALOHA ``q`` of a ``tdma+aloha`` env (hidden state)."""
    kind = core.nodes.kind[env]
    tdma_node = int(np.flatnonzero(kind == KIND_TDMA)[0])
    aloha_node = int(np.flatnonzero(kind == KIND_Q_ALOHA)[0])
    frame = int(core.nodes.frame[env, tdma_node])
    return core.nodes.pattern[env, tdma_node, :frame], float(core.nodes.q[env, aloha_node])


def _model_aware_optimum(
    core: MultiAccessCore, envs: NDArray[np.int64], rng: np.random.Generator, _: Any
) -> NDArray[np.int64]:
    actions = _idle_genie(core, envs, rng, None)
    if core.num_channels > 1:
        return actions
    config = core.config
    for row, env in enumerate(envs):
        if MIX_NAMES[core.mix[env]] != "tdma+aloha":
            continue
        pattern, q = tdma_aloha_parameters(core, int(env))
        p = optimal_idle_slot_probability(q, config["reward"], float(config["alpha"]))
        tdma_slot = pattern[core.slot[env] % len(pattern)]
        actions[row] = int(not tdma_slot and rng.random() < p)
    return actions


BASELINES: dict[str, Baseline] = {
    "always_wait": _always_wait,
    "always_transmit": _always_transmit,
    "random": _random,
    "best_aloha_q": _aloha,
    "p_persistent_lbt": _lbt,
    "idle_genie": _idle_genie,
    "model_aware_optimum": _model_aware_optimum,
}
TUNED = ("best_aloha_q", "p_persistent_lbt")


def mean_returns(
    config: dict[str, Any],
    name: str,
    parameters: NDArray[np.float64],
    seeds: list[int],
) -> NDArray[np.float64]:
    """Mean episode return of baseline ``name`` at each parameter over episodes ``seeds``.

    All parameter values play the same episodes (common random numbers), in one batch.

    Args:
        config: A full env config.
        name: Key of :data:`BASELINES`.
        parameters: The values to try (``q`` or ``p``).
        seeds: Episode seeds.
    """
    rows = len(parameters) * len(seeds)
    core = MultiAccessCore(config, rows)
    rngs = [np_random(seed)[0] for _ in parameters for seed in seeds]
    envs = np.arange(rows)
    core.reset(envs, rngs)
    policy_rng = np.random.default_rng(seeds[0])
    per_row = np.repeat(np.asarray(parameters, dtype=np.float64), len(seeds))
    returns = np.zeros(rows)
    for _ in range(int(config["episode_slots"])):
        actions = BASELINES[name](core, envs, policy_rng, per_row)
        rewards, _, _ = core.step(envs, actions[:, None], rngs)
        returns += rewards[:, 0]
    means: NDArray[np.float64] = returns.reshape(len(parameters), len(seeds)).mean(1)
    return means


def upper_bound_returns(config: dict[str, Any], seeds: list[int]) -> NDArray[np.float64]:
    """An upper bound on any policy's return in the episodes ``seeds``, one per episode.

    The sum over the episode of :func:`~wmoe.envs.multi_access.bounds.reward_range`'s bound
    on each slot's reward (normalised as the env normalises it); a bound, not a policy.

    Args:
        config: A full env config.
        seeds: Episode seeds.
    """
    core = MultiAccessCore(config, len(seeds))
    rngs = [np_random(seed)[0] for seed in seeds]
    envs = np.arange(len(seeds))
    core.reset(envs, rngs)
    returns = np.zeros(len(seeds))
    for slot in range(1, int(config["episode_slots"]) + 1):
        _, bound = reward_range(core.nodes, envs, config, slot)
        if config["reward"] == "alpha_fair":
            bound = (bound - core.reward_offset) / core.reward_scale
        returns += bound
    return returns


@functools.lru_cache(maxsize=64)
def _tuned(name: str, config_json: str, mix: str) -> float:
    config = {**json.loads(config_json), "scenario": mix, "num_agents": 1}
    seeds = [TUNING_SEED + episode for episode in range(TUNING_EPISODES)]
    means = mean_returns(config, name, np.asarray(TUNING_GRID), seeds)
    return float(TUNING_GRID[int(np.argmax(means))])


def tuned_parameter(name: str, config: dict[str, Any], mix: str) -> float:
    """The grid value of :data:`TUNING_GRID` with the best mean return on ``mix``.

    Tuned once per (baseline, config, mix) and cached: ``TUNING_EPISODES`` episodes seeded
    from :data:`TUNING_SEED` (disjoint from evaluation seeds below it), same episodes for
    every value, under the env's configured reward.

    Args:
        name: ``"best_aloha_q"`` or ``"p_persistent_lbt"``.
        config: The env's full config.
        mix: The mix to tune for (a key of ``scenarios.MIXES``).
    """
    return _tuned(name, json.dumps(config, sort_keys=True), mix)


def baseline_action(name: str, env: Any, rng: np.random.Generator | None = None) -> Any:
    """The action a baseline takes in a single :class:`MultiAccessEnv` now.

    Args:
        name: Key of :data:`BASELINES`.
        env: The (unwrapped) single environment.
        rng: Generator for the random choices.
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose from {sorted(BASELINES)}")
    core: MultiAccessCore = env.core
    parameter = np.zeros(1)
    if name in TUNED:
        parameter[0] = tuned_parameter(name, core.config, MIX_NAMES[core.mix[0]])
    action = int(BASELINES[name](core, _ENV0, rng or np.random.default_rng(), parameter)[0])
    return encode_choice(action, 1 + core.num_channels, core.config["action_type"])


def upper_bound(env: Any, seeds: list[int]) -> NDArray[np.float64]:
    """:func:`upper_bound_returns` for the episodes ``seeds`` of a single env (wrapped or not).

    The benchmark layer and ``wmoe evaluate`` report it beside the baselines (a bound, not a
    policy: nothing is played).
    """
    return upper_bound_returns(env.unwrapped.config, seeds)

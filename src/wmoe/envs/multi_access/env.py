"""``wmoe/MultiAccess-v0`` and ``-v1``: thin Gymnasium adapters over the multiple-access core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from wmoe.config import ConfigError
from wmoe.envs.action_checks import choice_space, decode_choices
from wmoe.envs.core_env import BatchStep, CoreBinding, CoreEnv
from wmoe.envs.multi_access.config import MultiAccessConfig, MultiAccessV1Config
from wmoe.envs.multi_access.core import MultiAccessCore
from wmoe.envs.multi_access.render import MultiAccessRenderer

# Info keys holding one value per agent; the single env reports agent 0's as a scalar.
PER_AGENT_INFO = ("success", "collision", "agent_throughput")


def observation_space(core: MultiAccessCore) -> spaces.Box:
    """``Box(0, 1)`` of one agent's observation length."""
    return spaces.Box(0.0, 1.0, (core.observation_size,), dtype=np.float32)


def action_meaning(num_channels: int) -> str:
    """What an action index means, for error messages."""
    return f"0 waits, 1..{num_channels} transmit on channel 0..{num_channels - 1}"


class MultiAccessBinding(CoreBinding):
    """Spaces and actions of one learning node over :class:`MultiAccessCore`."""

    config_schema = MultiAccessConfig
    renderer_class = MultiAccessRenderer
    core: MultiAccessCore

    def __init__(self, config: dict[str, Any], batch_size: int) -> None:
        super().__init__(config, batch_size)
        if config["num_agents"] != 1:
            raise ConfigError(
                f"config['num_agents']={config['num_agents']!r} is invalid: the Gymnasium env "
                "has one learning node; set num_agents=1 (the default), or use "
                "wmoe.envs.multi_access.parallel.MultiAccessParallelEnv for several"
            )
        self.core = MultiAccessCore(config, batch_size)
        self.observation_space = observation_space(self.core)
        self.action_space = choice_space(1 + self.core.num_channels, config["action_type"])

    def observations(self, envs: NDArray[np.int64]) -> NDArray[Any]:
        """The learning node's observations of ``envs``."""
        return self.core.observations(envs)[:, 0]

    def step(
        self, envs: NDArray[np.int64], actions: Any, rngs: Sequence[np.random.Generator]
    ) -> BatchStep:
        """Play one slot with each env's action."""
        c = self.core.num_channels
        choices = decode_choices(
            actions, len(envs), 1 + c, self.config["action_type"], action_meaning(c)
        )
        rewards, truncated, info = self.core.step(envs, choices[:, None], rngs)
        for key in PER_AGENT_INFO:
            info[key] = info[key][:, 0]
        return rewards[:, 0], np.zeros(len(envs), dtype=np.bool_), truncated, info


class MultiAccessEnv(CoreEnv):
    """A learning node gets medium access beside legacy TDMA, ALOHA, WiFi, NR-U and IoT nodes.

    ## Description

    The HetNet multi-access scenario of the MoE-for-wireless survey (a meta-RL agent with an
    MoE encoder coexisting with 5G, WiFi and IoT nodes) built on the DLMA model (Yu, Wang and
    Liew, "Deep-Reinforcement Learning Multiple Access for Heterogeneous Wireless Networks",
    IEEE JSAC 37(6), 2019). Time is slotted; ``C`` shared channels; one slot carries one
    packet. Each slot the agent waits or transmits on a channel; a channel with exactly one
    transmitter carries a success, with more a collision. Legacy nodes run fixed protocols
    (TDMA, q-ALOHA, fixed-window and exponential-backoff ALOHA, IEEE 802.11 CSMA/CA, NR-U
    Cat-4 listen-before-talk with scheduled bursts, duty-cycled LoRa-like IoT ALOHA; see
    :mod:`wmoe.envs.multi_access.protocols` for each with its parameters and sources). An
    episode is one task: a coexistence mix and its parameters drawn at reset from the
    scenario sampler (:mod:`wmoe.envs.multi_access.scenarios`), hidden from the agent unless
    ``expose_task``. The agent must infer the mix from what its radio observes and exploit
    the idle slots without destroying the others' transmissions.

    ## Action Space

    ``Discrete(1 + C)``: 0 waits, ``1 + c`` transmits on channel ``c``. With
    ``action_type="continuous"``, ``Box(-1, 1, (1 + C,))`` scores; the highest is taken.

    ## Observation Space

    ``Box(0, 1, (H (1 + 5 C) [+ 5],), float32)``: the last ``H = history_slots`` slots,
    oldest first, each the action one-hot ``(1 + C)`` and per channel the outcome one-hot
    (idle, success, collision, busy): after transmitting, success or collision on its channel
    (ACK) and nothing on the others (half-duplex); after waiting, idle or busy on every
    channel. All zeros before the episode's first slots. With ``expose_task`` the one-hot of
    the mix (of ``scenarios.MIX_NAMES``) follows. A feed-forward policy over this window is a
    history-window policy.

    ## Rewards

    ``reward="alpha_fair"`` (default): the alpha-fair utility of all nodes' running
    (exponentially windowed) throughputs; ``alpha = 0`` (default) is the sum throughput of all
    nodes (DLMA's objective), 1 proportional fairness; see :mod:`wmoe.envs.multi_access.core`.
    ``reward="success"``: 1 when the agent's transmission succeeds, else 0 (solved by always
    transmitting, since the legacy nodes never retaliate). ``normalise_reward`` maps each
    slot's reward affinely with per-episode constants (see :class:`MultiAccessV1Env`).

    ## Starting State

    A mix is drawn (or fixed by ``scenario``), then its nodes' parameters and channels;
    saturated queues start full, backoff counters uniform in ``{0, ..., CWmin}``, on-off
    sources in their stationary state; the history is empty.

    ## Episode End

    Never terminates; truncates after ``episode_slots`` slots.

    ## Arguments

    ``gym.make("wmoe/MultiAccess-v0", config={...})`` with keys of
    :class:`~wmoe.envs.multi_access.config.MultiAccessConfig` (table below; an unknown key or
    an invalid value raises :class:`~wmoe.config.ConfigError`, as does ``num_agents`` other
    than 1: this env has one learning node). ``info``: ``success`` and ``collision`` (the
    agent's, this slot), ``agent_throughput`` (its successes per slot so far), ``throughput``
    and ``collisions`` of every node (agent first, then the legacy nodes padded to the most
    nodes of the configured mixes), ``node_mask`` (which entries are nodes),
    ``sum_throughput``, ``jain_index`` (Jain's fairness index of the nodes' throughputs) and
    ``mix`` (index into ``scenarios.MIX_NAMES``).

    ## Vectorized environment

    ``gym.make_vec("wmoe/MultiAccess-v0", num_envs=n)`` returns the native batched
    ``MultiAccessVectorEnv`` (:mod:`wmoe.envs.multi_access.vector`), equal to
    ``SyncVectorEnv`` over the same seeds.

    ## Version History

    * v0: initial version (backoff in packet slots, ``alpha = 0``, 20-slot history).
    * v1: :class:`MultiAccessV1Env` (sub-slot contention, ``alpha = 1``, normalised
      reward, 80-slot history).
    """

    binding_class = MultiAccessBinding
    binding: MultiAccessBinding

    @property
    def core(self) -> MultiAccessCore:
        """The simulator (for baselines and analysis)."""
        return self.binding.core


class MultiAccessV1Binding(MultiAccessBinding):
    """:class:`MultiAccessBinding` with the defaults of ``wmoe/MultiAccess-v1``."""

    config_schema = MultiAccessV1Config


class MultiAccessV1Env(MultiAccessEnv):
    """``wmoe/MultiAccess-v1``: medium access beside legacy nodes, with Bianchi-exact DCF and LBT.

    ## Description

    The task of :class:`MultiAccessEnv` (``wmoe/MultiAccess-v0``; same mixes, nodes and
    observations) with three new defaults. The sensing nodes (IEEE 802.11 DCF and NR-U Cat-4
    LBT) back off in 9 us sub-slots inside each packet slot's contention budget
    (``contention="sub_slots"``, ``K = subslots_per_slot = 16``; see
    :mod:`wmoe.envs.multi_access.protocols`), so ``n`` saturated WiFi stations run at
    Bianchi's saturation throughput and a lone station uses every slot: idle slots are rare
    where they are rare in reality. The agent and the other slotted nodes start at sub-slot
    0, before any backoff ends: the agent can take a slot from WiFi without colliding, but at
    the WiFi stations' expense, which the proportionally fair reward (``alpha = 1``) charges
    for.

    ## Action Space

    As v0: ``Discrete(1 + C)`` (0 waits, ``1 + c`` transmits on channel ``c``), or
    ``Box(-1, 1, (1 + C,))`` scores with ``action_type="continuous"``.

    ## Observation Space

    As v0, with ``history_slots = 80`` by default (two of the longest NR-U burst periods, 40
    slots): ``Box(0, 1, (80 (1 + 5 C) [+ 5],), float32)``.

    ## Rewards

    The alpha-fair utility of all nodes' windowed throughputs at ``alpha = 1`` (proportional
    fairness, the sum of their logarithms, each floored at ``1 / W``), so starving a legacy
    node costs ``log(theta / floor)`` every slot and cannot maximise the return.
    ``normalise_reward`` (default on) reports ``(r - r_min) / (r_max - r_min)`` per slot with
    per-episode constants: ``r_min`` every node at the floor, ``r_max`` the long-run upper
    bound of :mod:`wmoe.envs.multi_access.bounds` (capacity, TDMA and duty-cycle caps) of the
    episode's nodes. An affine map with positive per-episode constants leaves each episode's
    optimal policy unchanged while putting every mix on the scale 0 (all starved) to 1 (the
    bound), so a return is comparable across mixes and numbers of nodes. The bound is loose
    where its caps know little (IoT arrivals, NR-U schedules), so 1 is out of reach there.

    ## Starting State

    As v0.

    ## Episode End

    Never terminates; truncates after ``episode_slots`` slots.

    ## Arguments

    ``gym.make("wmoe/MultiAccess-v1", config={...})`` with the keys of
    :class:`~wmoe.envs.multi_access.config.MultiAccessV1Config` (table below; the v0 keys
    with v1's defaults). ``info`` as v0.

    ## Vectorized environment

    ``gym.make_vec("wmoe/MultiAccess-v1", num_envs=n)`` returns the native batched
    ``MultiAccessV1VectorEnv``, equal to ``SyncVectorEnv`` over the same seeds.

    ## Version History

    * v1: backoff of the WiFi and NR-U nodes in 9 us sub-slots (v0 counted whole packet
      slots, which ran DCF 10-26 % below Bianchi's saturation throughput and left idle
      slots that a learner could fill at no cost); ``alpha = 1`` (v0: 0, whose optimum
      starves the legacy nodes); rewards normalised per episode by the upper bound (v0: raw
      utilities, ~5x apart across mixes); 80-slot history (v0: 20, shorter than an NR-U
      burst period).
    * v0: :class:`MultiAccessEnv`.
    """

    binding_class = MultiAccessV1Binding
    binding: MultiAccessV1Binding

"""Batched simulator of learning nodes sharing slotted channels with legacy MAC nodes.

Per env and slot (no Gymnasium import; model of the legacy protocols in
:mod:`wmoe.envs.multi_access.protocols`, of the task distribution in
:mod:`wmoe.envs.multi_access.scenarios`):

1. Every legacy node has decided whether it transmits in the slot (from its state and what
   it sensed up to the previous slot); each learning node (agent) waits or transmits on one
   of the ``C`` channels. With ``contention="sub_slots"`` these start at sub-slot 0 and the
   sensing nodes then contend for the channels left free (``LegacyNodes.contend``).
2. A channel with exactly one transmitter carries a success; with more, every transmission
   on it collides (DLMA, Yu, Wang and Liew, IEEE JSAC 2019, Sec. II).
3. Each agent observes what a half-duplex radio can (DLMA Sec. III-B): after transmitting,
   the ACK outcome (success or collision) on its channel and nothing on the others; after
   waiting, whether each channel was idle or busy (energy detection).
4. The legacy nodes update their backoff, duty cycle and queues; they sense the agents'
   transmissions like anyone else's.

Rewards (``reward`` config):

* ``"success"``: 1 per successful transmission of the agent (its throughput in packets per
  slot, averaged over the episode, is the return / ``episode_slots``). Against legacy nodes
  that never retaliate this is maximised by always transmitting, so it is not the default.
* ``"alpha_fair"`` (default, with ``alpha = 0``: DLMA's sum-throughput objective): the
  alpha-fair utility of all nodes' running throughputs, ``r_t = sum_i u(theta_i(t))`` with
  ``u(x) = x^(1 - alpha) / (1 - alpha)`` (``log x`` at ``alpha = 1``; Mo and Walrand, "Fair
  end-to-end window-based congestion control", IEEE/ACM ToN 8(5), 2000) over the agents and
  the legacy nodes. ``theta_i`` is node ``i``'s exponentially windowed throughput including
  slot ``t``, ``theta_i <- (1 - 1/W) theta_i + s_i(t) / W`` (``W = fairness_window_slots``,
  ``s_i = 1`` on success, ``theta_i = 0`` at reset); for ``alpha >= 1`` it is floored at
  ``1 / W`` (one success per window) so the utility stays finite. With ``normalise_reward``
  the reward is ``(r - r_min) / (r_max - r_min)`` with the episode's constants from
  :func:`~wmoe.envs.multi_access.bounds.reward_range` (every node at the floor; the long-run
  upper bound). The mean reward over an
  episode approximates the utility of the nodes' throughputs; at ``alpha = 0`` the return
  is the sum of all nodes' successes, each spread over the ``W`` slots after it. All agents
  get the same reward. The agent does not observe ``theta``.

State is held as arrays ``(B, nodes)`` padded to the most nodes of the configured mixes; an
env draws its task and every random number from its own generator in a fixed order (one
uniform vector per slot), so a batch of ``B`` reproduces ``B`` single environments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.multi_access.bounds import alpha_fair_utility, reward_range
from wmoe.envs.multi_access.config import ANY_SCENARIO
from wmoe.envs.multi_access.protocols import (
    U_ACCESS,
    UNIFORMS_PER_NODE,
    LegacyNodes,
    resolve_slot,
)
from wmoe.envs.multi_access.scenarios import MIX_NAMES, max_nodes, sample_nodes

# Outcome one-hot per channel in the observation.
OUTCOMES = ("idle", "success", "collision", "busy")
IDLE, SUCCESS, COLLISION, BUSY = range(4)


def episode_mixes(config: dict[str, Any]) -> tuple[str, ...]:
    """The mixes episodes are drawn from: the fixed ``scenario`` or ``mixes``."""
    if config["scenario"] == ANY_SCENARIO:
        return tuple(config["mixes"])
    return (config["scenario"],)


def jain_index(throughput: NDArray[np.float64], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Jain's fairness index of the masked throughputs per row, 1 when all are 0.

    ``(sum x)^2 / (n sum x^2)`` (Jain, Chiu and Hawe, DEC-TR-301, 1984).
    """
    x = np.where(mask, throughput, 0.0)
    squares = (x**2).sum(-1)
    index = x.sum(-1) ** 2 / np.maximum(mask.sum(-1) * squares, 1e-300)
    result: NDArray[np.float64] = np.where(squares > 0, index, 1.0)
    return result


class MultiAccessCore:
    """``batch_size`` multiple-access systems, stepped together.

    Args:
        config: A config validated by :class:`~.config.MultiAccessConfig`.
        batch_size: Number of environments.
    """

    def __init__(self, config: dict[str, Any], batch_size: int) -> None:
        self.config = config
        self.batch_size = b = batch_size
        self.num_channels = c = int(config["num_channels"])
        self.num_agents = a = int(config["num_agents"])
        self.history_slots = h = int(config["history_slots"])
        self.mixes = episode_mixes(config)
        self.num_legacy = n = max_nodes(self.mixes)
        self.num_nodes = a + n  # agents first, then legacy nodes
        self.slot_features = (1 + c) + len(OUTCOMES) * c
        self.observation_size = h * self.slot_features + (
            len(MIX_NAMES) if config["expose_task"] else 0
        )
        self.nodes = LegacyNodes(b, n)
        self.mix = np.zeros(b, dtype=np.int64)  # index into MIX_NAMES
        self.slot = np.zeros(b, dtype=np.int64)  # the coming slot [slots since reset]
        # Legacy nodes starting the coming slot (at sub-slot 0 with sub-slot contention).
        self.legacy_tx = np.zeros((b, n), dtype=np.bool_)
        self.history = np.zeros((b, a, h, self.slot_features), dtype=np.float32)
        self.successes = np.zeros((b, a + n), dtype=np.int64)
        self.collisions = np.zeros((b, a + n), dtype=np.int64)
        self.running_throughput = np.zeros((b, a + n))  # theta of the alpha-fair reward
        self.reward_offset = np.zeros(b)  # normalise_reward: (r - offset) / scale
        self.reward_scale = np.ones(b)
        self.sub_slots = config["contention"] == "sub_slots"
        self.subslots = int(config["subslots_per_slot"])
        self._uniforms = np.zeros((b, n * UNIFORMS_PER_NODE))

    @property
    def node_mask(self) -> NDArray[np.bool_]:
        """Which of the ``A + N`` node slots hold a node (agents, active legacy), ``(B, A+N)``."""
        agents = np.ones((self.batch_size, self.num_agents), dtype=np.bool_)
        return np.concatenate([agents, self.nodes.active], axis=1)

    def _draw(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> NDArray[Any]:
        """One slot's uniforms of ``envs``, ``(n, N, UNIFORMS_PER_NODE)``."""
        for i in envs:
            rngs[i].random(out=self._uniforms[i])
        return self._uniforms[envs].reshape(len(envs), self.num_legacy, UNIFORMS_PER_NODE)

    def reset(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> None:
        """Start new episodes in ``envs``: draw a task, its nodes and their initial state."""
        config = self.config
        for i in envs:
            rng = rngs[i]
            mix = self.mixes[int(rng.integers(len(self.mixes)))]
            specs, channels = sample_nodes(rng, mix, config["traffic"], self.num_channels)
            self.mix[i] = MIX_NAMES.index(mix)
            uniforms = self._draw(np.array([i]), rngs)[0]
            self.nodes.write(int(i), specs, channels, uniforms)
        self.slot[envs] = 0
        self.history[envs] = 0.0
        self.successes[envs] = 0
        self.collisions[envs] = 0
        self.running_throughput[envs] = 0.0
        if config["normalise_reward"]:
            least, steady = reward_range(self.nodes, envs, config, None)
            span = steady - least
            self.reward_offset[envs] = least
            self.reward_scale[envs] = np.where(span > 0, span, 1.0)
        u_access = self._draw(envs, rngs)[..., U_ACCESS]
        self.legacy_tx[envs] = self.nodes.decide(envs, self.slot[envs], u_access)

    def legacy_plan(self, envs: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Which legacy nodes of ``envs`` transmit in the coming slot if no agent does."""
        starting = self.legacy_tx[envs]
        if not self.sub_slots:
            return starting.copy()
        taken = resolve_slot(starting, self.nodes.channel[envs], self.num_channels) > 0
        return self.nodes.contend(envs, starting, taken, self.subslots)[0]

    def observations(self, envs: NDArray[np.int64]) -> NDArray[np.float32]:
        """Observations of ``envs``, ``(n, A, observation_size)``.

        Each agent's last ``history_slots`` slots, oldest first, each ``[action one-hot
        (wait, channel 0..C-1), then per channel the one-hot of (idle, success, collision,
        busy)]`` (all 0 before the episode's first slots and for channels not sensed), then
        the mix one-hot if ``expose_task``.
        """
        n = len(envs)
        flat = self.history[envs].reshape(n, self.num_agents, -1)
        if not self.config["expose_task"]:
            return flat.copy()
        task = np.zeros((n, self.num_agents, len(MIX_NAMES)), dtype=np.float32)
        task[np.arange(n), :, self.mix[envs]] = 1.0
        return np.concatenate([flat, task], axis=-1)

    def step(
        self,
        envs: NDArray[np.int64],
        actions: NDArray[np.int64],
        rngs: Sequence[np.random.Generator],
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], dict[str, NDArray[Any]]]:
        """Play one slot.

        Args:
            envs: The envs to step.
            actions: ``(n, A)``: 0 waits, ``1 + c`` transmits on channel ``c``.
            rngs: One generator per env of the batch (indexed by env).

        Returns:
            Rewards ``(n, A)``, truncation flags ``(n,)`` and info arrays, one row per env:
            ``success`` and ``collision`` ``(n, A)`` of the agents in this slot;
            ``throughput`` (successes per slot so far), ``collisions`` (count so far) and
            ``node_mask`` of every node ``(n, A + N)``, agents first; ``agent_throughput``
            ``(n, A)``; ``sum_throughput``, ``jain_index`` (over the masked nodes) and
            ``mix`` (index into ``MIX_NAMES``) ``(n,)``.
        """
        n, c = len(envs), self.num_channels
        rows = np.arange(n)[:, None]
        legacy_tx = self.legacy_tx[envs]
        agent_tx = actions > 0
        agent_channel = np.maximum(actions - 1, 0)
        legacy_channel = self.nodes.channel[envs]
        channel = np.concatenate([agent_channel, legacy_channel], axis=1)
        if self.sub_slots:  # the sensing nodes contend for what sub-slot 0 left free
            taken = resolve_slot(np.concatenate([agent_tx, legacy_tx], axis=1), channel, c) > 0
            legacy_tx, countdown, _ = self.nodes.contend(envs, legacy_tx, taken, self.subslots)
        tx = np.concatenate([agent_tx, legacy_tx], axis=1)
        counts = resolve_slot(tx, channel, c)  # (n, C)
        on_own = counts[rows, channel]
        success = tx & (on_own == 1)
        collision = tx & (on_own > 1)
        a = self.num_agents
        if not self.sub_slots:
            countdown = self.nodes.packet_slot_countdown(envs, legacy_tx, on_own[:, a:] == 0)
        # Legacy nodes move on.
        uniforms = self._draw(envs, rngs)
        slot = self.slot[envs]
        self.nodes.update(envs, slot, legacy_tx, success[:, a:], countdown, uniforms)
        # What each agent saw.
        features = np.zeros((n, a, self.slot_features), dtype=np.float32)
        features[rows, np.arange(a), actions] = 1.0
        outcome = np.where(counts > 0, BUSY, IDLE)[:, None, :].repeat(a, axis=1)  # (n, A, C)
        sensed = np.broadcast_to(~agent_tx[..., None], outcome.shape).copy()
        own = np.arange(c) == agent_channel[..., None]
        transmitted_here = agent_tx[..., None] & own
        outcome = np.where(
            transmitted_here, np.where(success[:, :a, None], SUCCESS, COLLISION), outcome
        )
        sensed |= transmitted_here
        one_hot = (outcome[..., None] == np.arange(len(OUTCOMES))) & sensed[..., None]
        features[..., 1 + c :] = one_hot.reshape(n, a, -1)
        history = self.history[envs]
        history[:, :, :-1] = history[:, :, 1:]
        history[:, :, -1] = features
        self.history[envs] = history
        # Statistics and reward.
        mask = self.node_mask[envs]
        window = float(self.config["fairness_window_slots"])
        theta = self.running_throughput[envs]
        theta += (success - theta) / window
        self.running_throughput[envs] = theta
        if self.config["reward"] == "success":
            rewards = success[:, :a].astype(np.float64)
        else:
            utility = alpha_fair_utility(theta, float(self.config["alpha"]), 1.0 / window)
            shared = np.where(mask, utility, 0.0).sum(1)
            shared = (shared - self.reward_offset[envs]) / self.reward_scale[envs]
            rewards = np.repeat(shared[:, None], a, axis=1)
        self.successes[envs] += success
        self.collisions[envs] += collision
        self.slot[envs] = slot + 1
        truncated = slot + 1 >= self.config["episode_slots"]
        throughput = self.successes[envs] / (slot + 1)[:, None]
        u_access = uniforms[..., U_ACCESS]
        self.legacy_tx[envs] = self.nodes.decide(envs, slot + 1, u_access)
        info = {
            "success": success[:, :a],
            "collision": collision[:, :a],
            "throughput": throughput,
            "collisions": self.collisions[envs],
            "node_mask": mask,
            "agent_throughput": throughput[:, :a],
            "sum_throughput": np.where(mask, throughput, 0.0).sum(1),
            "jain_index": jain_index(throughput, mask),
            "mix": self.mix[envs],
        }
        return rewards, truncated, info

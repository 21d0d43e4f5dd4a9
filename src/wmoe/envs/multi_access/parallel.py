"""Several learning nodes on the multiple-access channels, through PettingZoo's parallel API.

Needs the optional dependency ``pettingzoo`` (``pip install wmoe[marl]``). The simulator is
the same batched core as ``wmoe/MultiAccess-v0`` with a batch of one and ``num_agents``
learning nodes: they act simultaneously in every slot, collide with each other as with the
legacy nodes, each observes its own action and outcome history (the same layout as the
single-agent env), and all share the env's reward (cooperative: the alpha-fair utility of
every node's throughput by default; with ``reward="success"`` each gets its own successes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils.seeding import np_random
from numpy.typing import NDArray
from pettingzoo import ParallelEnv

from wmoe.envs.action_checks import choice_space, decode_choices
from wmoe.envs.core_env import check_render_mode
from wmoe.envs.multi_access.config import MultiAccessConfig
from wmoe.envs.multi_access.core import MultiAccessCore
from wmoe.envs.multi_access.env import PER_AGENT_INFO, action_meaning, observation_space

_ENV0 = np.zeros(1, dtype=np.int64)
DEFAULT_AGENTS = 2  # learning nodes when the config does not set num_agents


class MultiAccessParallelEnv(ParallelEnv[str, NDArray[np.float32], Any]):
    """``num_agents`` learning nodes beside the legacy nodes of one drawn coexistence mix.

    Agents are named ``node_0 .. node_{A-1}``. Spaces, rewards, episode end and config keys
    are those of :class:`~wmoe.envs.multi_access.env.MultiAccessEnv` (see
    :class:`~wmoe.envs.multi_access.config.MultiAccessConfig`; ``num_agents`` defaults to 2
    here).
    Each agent's ``info`` holds its ``success``, ``collision`` and ``agent_throughput`` and
    the shared ``throughput``, ``collisions``, ``node_mask`` (agents first), ``sum_throughput``,
    ``jain_index`` and ``mix``. All agents truncate together after ``episode_slots`` slots.

    Args:
        config: Config overrides (an unknown key or an invalid value raises
            :class:`~wmoe.config.ConfigError`).
        render_mode: Must be None.
    """

    metadata: dict[str, Any] = {"name": "wmoe_multi_access_v0", "render_modes": []}

    def __init__(self, config: dict[str, Any] | None = None, render_mode: str | None = None):
        check_render_mode(render_mode)
        self.render_mode = render_mode
        overrides = {} if config is None else config
        if isinstance(overrides, Mapping):
            overrides = {"num_agents": DEFAULT_AGENTS, **overrides}
        self.config = MultiAccessConfig.resolve(overrides)
        self.core = MultiAccessCore(self.config, batch_size=1)
        self.possible_agents = [f"node_{k}" for k in range(self.core.num_agents)]
        self.agents: list[str] = []
        self._observation_space = observation_space(self.core)
        self._action_space = choice_space(1 + self.core.num_channels, self.config["action_type"])
        self._rng: np.random.Generator | None = None

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        """Every agent's observation space (that of the single-agent env)."""
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Space[Any]:
        """Every agent's action space (that of the single-agent env)."""
        return self._action_space

    def _observations(self) -> dict[str, NDArray[np.float32]]:
        observations = self.core.observations(_ENV0)[0]
        return {agent: observations[k] for k, agent in enumerate(self.possible_agents)}

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, NDArray[np.float32]], dict[str, dict[str, Any]]]:
        """Start an episode (a new mix); ``seed`` reseeds the env's generator."""
        if seed is not None or self._rng is None:
            self._rng = np_random(seed)[0]
        self.core.reset(_ENV0, [self._rng])
        self.agents = list(self.possible_agents)
        return self._observations(), {agent: {} for agent in self.agents}

    def step(
        self, actions: dict[str, Any]
    ) -> tuple[
        dict[str, NDArray[np.float32]],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        """Play one slot with every live agent's action."""
        if self._rng is None or not self.agents:
            raise RuntimeError("call reset() before step() (and after an episode ends)")
        if set(actions) != set(self.agents):
            raise ValueError(
                f"actions for {sorted(actions)}; expected one for each of {self.agents}"
            )
        c = self.core.num_channels
        stacked = np.stack([np.asarray(actions[agent]) for agent in self.possible_agents])
        choices = decode_choices(
            stacked, len(self.agents), 1 + c, self.config["action_type"], action_meaning(c)
        )
        rewards, truncated, info = self.core.step(_ENV0, choices[None], [self._rng])
        shared = {key: value[0] for key, value in info.items() if key not in PER_AGENT_INFO}
        infos = {
            agent: {**shared, **{key: info[key][0, k] for key in PER_AGENT_INFO}}
            for k, agent in enumerate(self.possible_agents)
        }
        done = bool(truncated[0])
        observations = self._observations()
        agents = self.possible_agents
        self.agents = [] if done else list(agents)
        return (
            observations,
            {agent: float(rewards[0, k]) for k, agent in enumerate(agents)},
            dict.fromkeys(agents, False),
            dict.fromkeys(agents, done),
            infos,
        )

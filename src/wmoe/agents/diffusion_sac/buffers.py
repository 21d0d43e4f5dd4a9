"""Replay buffer that also keeps the expert action an env reports in ``info``."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecNormalize

from wmoe.agents.info_buffer import InfoReplayBuffer
from wmoe.envs.core_env import EXPERT_ACTION_KEY


class ExpertReplayBufferSamples(NamedTuple):
    """SB3's replay samples plus each transition's expert action and whether it has one."""

    observations: torch.Tensor
    actions: torch.Tensor
    next_observations: torch.Tensor
    dones: torch.Tensor
    rewards: torch.Tensor
    expert_actions: torch.Tensor
    has_expert: torch.Tensor


class ExpertReplayBuffer(InfoReplayBuffer):
    """SB3 ``ReplayBuffer`` that stores ``info[EXPERT_ACTION_KEY]`` next to each transition.

    Expert actions of ``Box`` spaces are stored scaled to ``[-1, 1]``, like the actions SB3
    stores; transitions whose info has no expert action are marked and carry zeros.

    Args:
        buffer_size: Transitions kept (over all envs).
        observation_space: Observation space.
        action_space: Action space.
        device: Torch device of the samples.
        n_envs: Number of envs adding transitions.
        optimize_memory_usage: Must be False (the memory-saving layout is not supported).
        handle_timeout_termination: As SB3: time-limit truncations do not cut bootstrapping.
    """

    def __init__(
        self,
        buffer_size: int,
        observation_space: spaces.Space[Any],
        action_space: spaces.Space[Any],
        device: torch.device | str = "auto",
        n_envs: int = 1,
        optimize_memory_usage: bool = False,
        handle_timeout_termination: bool = True,
    ) -> None:
        super().__init__(
            buffer_size,
            observation_space,
            action_space,
            device,
            n_envs,
            optimize_memory_usage,
            handle_timeout_termination,
        )
        self.expert_actions = np.zeros_like(self.actions)
        self.has_expert = np.zeros((self.buffer_size, self.n_envs), dtype=np.bool_)

    def _scaled(self, action: Any) -> np.ndarray:
        array = np.asarray(action, dtype=self.expert_actions.dtype).reshape(self.action_dim)
        if isinstance(self.action_space, spaces.Box):
            low, high = self.action_space.low, self.action_space.high
            array = 2.0 * (array - low) / (high - low) - 1.0
        return array

    def add(
        self,
        obs: np.ndarray,
        next_obs: np.ndarray,
        action: np.ndarray,
        reward: np.ndarray,
        done: np.ndarray,
        infos: list[dict[str, Any]],
    ) -> None:
        """Store a transition of every env, with the expert actions found in ``infos``."""
        for env, info in enumerate(infos):
            expert = info.get(EXPERT_ACTION_KEY)
            self.has_expert[self.pos, env] = expert is not None
            self.expert_actions[self.pos, env] = 0 if expert is None else self._scaled(expert)
        super().add(obs, next_obs, action, reward, done, infos)

    def _get_samples(  # type: ignore[override]
        self, batch_inds: np.ndarray, env: VecNormalize | None = None
    ) -> ExpertReplayBufferSamples:
        rows = self.sample_rows(batch_inds)
        return ExpertReplayBufferSamples(
            **self.base_samples(rows, env),
            expert_actions=self.to_torch(self.expert_actions[rows]),
            has_expert=torch.as_tensor(self.has_expert[rows], device=self.device),
        )

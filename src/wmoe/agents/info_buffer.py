"""Base of the replay buffers that keep, per transition, something the env reports in ``info``."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.vec_env import VecNormalize


class InfoReplayBuffer(ReplayBuffer):
    """SB3 ``ReplayBuffer`` whose subclasses add arrays filled from each step's ``infos``.

    Subclasses store their arrays in ``add`` (at ``self.pos``, before calling this ``add``)
    and build their samples from :meth:`sample_rows` and :meth:`base_samples`.

    Args:
        buffer_size: Transitions kept (over all envs).
        observation_space: Observation space.
        action_space: Action space.
        device: Torch device of the samples.
        n_envs: Number of envs adding transitions.
        optimize_memory_usage: Must be False (the memory-saving layout is not supported).
        handle_timeout_termination: As SB3: time-limit truncations do not cut bootstrapping.

    Raises:
        ValueError: With ``optimize_memory_usage=True``.
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
        if optimize_memory_usage:
            raise ValueError(f"{type(self).__name__} does not support optimize_memory_usage=True")
        super().__init__(
            buffer_size,
            observation_space,
            action_space,
            device,
            n_envs=n_envs,
            handle_timeout_termination=handle_timeout_termination,
        )

    def sample_rows(self, batch_inds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(buffer rows, env columns)`` of a batch: one random env per sampled row."""
        env_indices = np.random.randint(0, high=self.n_envs, size=(len(batch_inds),))
        return batch_inds, env_indices

    def base_samples(
        self, rows: tuple[np.ndarray, np.ndarray], env: VecNormalize | None
    ) -> dict[str, torch.Tensor]:
        """SB3's five sample fields of ``rows`` (observations normalised as SB3 does)."""
        not_timeout = 1 - self.timeouts[rows]
        return {
            "observations": self.to_torch(
                np.asarray(self._normalize_obs(self.observations[rows], env))
            ),
            "actions": self.to_torch(self.actions[rows]),
            "next_observations": self.to_torch(
                np.asarray(self._normalize_obs(self.next_observations[rows], env))
            ),
            "dones": self.to_torch((self.dones[rows] * not_timeout).reshape(-1, 1)),
            "rewards": self.to_torch(
                self._normalize_reward(self.rewards[rows].reshape(-1, 1), env)
            ),
        }

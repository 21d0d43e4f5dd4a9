"""Replay buffer that keeps the reception env's expert precoder and its rate per transition."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecNormalize

from wmoe.agents.info_buffer import InfoReplayBuffer

EXPERT_PRECODER_KEY = "expert_precoder"
EXPERT_RATE_KEY = "expert_rate"


class TwoPartReplayBufferSamples(NamedTuple):
    """SB3's replay samples plus the expert codeword of the chosen set and its rate."""

    observations: torch.Tensor
    actions: torch.Tensor
    next_observations: torch.Tensor
    dones: torch.Tensor
    rewards: torch.Tensor
    expert_precoders: torch.Tensor
    expert_rates: torch.Tensor


class TwoPartReplayBuffer(InfoReplayBuffer):
    """SB3 ``ReplayBuffer`` that stores ``info["expert_precoder"]`` and ``info["expert_rate"]``.

    ``wmoe/MultiBSReception-v0`` reports, for the set the agent chose, the best codeword
    (the case study's expert knowledge) and the rate it reaches [bit/s/Hz].

    Args:
        buffer_size: Transitions kept (over all envs).
        observation_space: Observation space.
        action_space: Action space.
        device: Torch device of the samples.
        n_envs: Number of envs adding transitions.
        optimize_memory_usage: Must be False (the memory-saving layout is not supported).
        handle_timeout_termination: As SB3.

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
        super().__init__(
            buffer_size,
            observation_space,
            action_space,
            device,
            n_envs,
            optimize_memory_usage,
            handle_timeout_termination,
        )
        self.expert_precoders = np.zeros((self.buffer_size, self.n_envs), dtype=np.int64)
        self.expert_rates = np.zeros((self.buffer_size, self.n_envs), dtype=np.float32)

    def add(
        self,
        obs: np.ndarray,
        next_obs: np.ndarray,
        action: np.ndarray,
        reward: np.ndarray,
        done: np.ndarray,
        infos: list[dict[str, Any]],
    ) -> None:
        """Store a transition of every env with the expert codeword and rate of its info.

        Raises:
            KeyError: When an info lacks them (the env is not the reception env).
        """
        for env, info in enumerate(infos):
            missing = [k for k in (EXPERT_PRECODER_KEY, EXPERT_RATE_KEY) if k not in info]
            if missing:
                raise KeyError(
                    f"the step info of env {env} has no {missing}: two_part learns from "
                    "wmoe/MultiBSReception-v0 with precoder_selection='agent'"
                )
            self.expert_precoders[self.pos, env] = int(info[EXPERT_PRECODER_KEY])
            self.expert_rates[self.pos, env] = float(info[EXPERT_RATE_KEY])
        super().add(obs, next_obs, action, reward, done, infos)

    def _get_samples(  # type: ignore[override]
        self, batch_inds: np.ndarray, env: VecNormalize | None = None
    ) -> TwoPartReplayBufferSamples:
        rows = self.sample_rows(batch_inds)
        return TwoPartReplayBufferSamples(
            **self.base_samples(rows, env),
            expert_precoders=torch.as_tensor(self.expert_precoders[rows], device=self.device),
            expert_rates=self.to_torch(self.expert_rates[rows].reshape(-1, 1)),
        )

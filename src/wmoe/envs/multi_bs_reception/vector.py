"""Native batched ``wmoe/MultiBSReception-v0``: one :class:`ReceptionCore` for all sub-envs.

It reproduces ``SyncVectorEnv`` over :class:`MultiBSReceptionEnv` exactly (observations,
rewards, flags and infos, including Gymnasium's ``_key`` info masks) for the same seeds and
autoreset mode (see :class:`~wmoe.envs.vector_base.CoreVectorEnv`), while computing every
sub-env's step in one set of array operations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode
from numpy.typing import NDArray

from wmoe.config import merge_config
from wmoe.envs.multi_bs_reception.core import ReceptionCore, default_config
from wmoe.envs.multi_bs_reception.env import action_codec, observation_space
from wmoe.envs.vector_base import CoreVectorEnv, StepResult, check_vector_args


class MultiBSReceptionVectorEnv(CoreVectorEnv):
    """``num_envs`` reception environments stepped together (see :class:`MultiBSReceptionEnv`).

    Args:
        num_envs: Number of sub-environments.
        config: Config overrides, as for the single env; shared by all sub-envs.
        autoreset_mode: Gymnasium's ``NEXT_STEP`` (default), ``SAME_STEP`` or ``DISABLED``.
        render_mode: Must be None.
    """

    def __init__(
        self,
        num_envs: int,
        config: dict[str, Any] | None = None,
        autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
    ) -> None:
        check_vector_args(num_envs, render_mode)  # before building the core
        self.config = merge_config(default_config(), config)
        self._core = ReceptionCore(self.config, batch_size=num_envs)
        self._codec = action_codec(self._core)
        super().__init__(num_envs, observation_space(self._core), self._codec.space, autoreset_mode)

    @property
    def core(self) -> ReceptionCore:
        """The batched simulator."""
        return self._core

    def _reseeded(self, envs: NDArray[np.int64]) -> None:
        self._core.forget_draws(envs)

    def _reset_envs(self, envs: NDArray[np.int64], rngs: list[np.random.Generator]) -> None:
        self._core.reset(envs, rngs)

    def _observations(self) -> NDArray[np.float32]:
        return self._core.observations(self._all)

    def _step_envs(
        self, envs: NDArray[np.int64], actions: NDArray[Any], rngs: list[np.random.Generator]
    ) -> StepResult:
        set_index, precoder = self._codec.decode(actions, len(envs))
        rewards, truncated, info = self._core.step(envs, set_index, precoder, rngs)
        return rewards, np.zeros(len(envs), dtype=np.bool_), truncated, info

    def action_masks(self) -> NDArray[np.bool_]:
        """(num_envs, mask size) valid actions for MaskablePPO."""
        return self._codec.masks(self._core.allowed_sets(self._core.user[self._all]))

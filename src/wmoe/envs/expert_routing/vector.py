"""Native batched ``wmoe/ExpertRouting-v0``: one core for all sub-envs.

It reproduces ``SyncVectorEnv`` over :class:`ExpertRoutingEnv` for the same seeds and autoreset
mode (see :class:`~wmoe.envs.vector_base.CoreVectorEnv`), running the experts of every sub-env
in one batched forward.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode
from numpy.typing import NDArray

from wmoe.config import merge_config
from wmoe.envs.expert_routing.core import RoutingCore, default_config
from wmoe.envs.expert_routing.env import action_space, decode_actions, observation_space
from wmoe.envs.vector_base import CoreVectorEnv, StepResult, check_vector_args


class ExpertRoutingVectorEnv(CoreVectorEnv):
    """``num_envs`` expert-routing environments stepped together.

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
        self._core = RoutingCore(self.config, batch_size=num_envs)
        super().__init__(
            num_envs, observation_space(self._core), action_space(self._core), autoreset_mode
        )

    @property
    def core(self) -> RoutingCore:
        """The batched simulator."""
        return self._core

    def _reset_envs(self, envs: NDArray[np.int64], rngs: list[np.random.Generator]) -> None:
        self._core.reset(envs, rngs)

    def _observations(self) -> NDArray[np.float32]:
        return self._core.observations(self._all)

    def _step_envs(
        self, envs: NDArray[np.int64], actions: NDArray[Any], rngs: list[np.random.Generator]
    ) -> StepResult:
        routes = decode_actions(self._core, actions, len(envs))
        rewards, truncated, info = self._core.step(envs, routes, rngs)
        return rewards, np.zeros(len(envs), dtype=np.bool_), truncated, info

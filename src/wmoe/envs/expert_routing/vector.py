"""Native batched ``wmoe/ExpertRouting-v0`` and ``-v1``: one core for all sub-envs.

It reproduces ``SyncVectorEnv`` over :class:`ExpertRoutingEnv` for the same seeds and autoreset
mode (see :class:`~wmoe.envs.core_env.CoreVectorEnv`), running the experts of every sub-env
in one batched forward.
"""

from __future__ import annotations

from wmoe.envs.core_env import CoreVectorEnv
from wmoe.envs.expert_routing.core import RoutingCore
from wmoe.envs.expert_routing.env import RoutingBinding, RoutingV1Binding


class ExpertRoutingVectorEnv(CoreVectorEnv):
    """``num_envs`` expert-routing environments stepped together.

    Args:
        num_envs: Number of sub-environments.
        config: Config overrides, as for the single env; shared by all sub-envs.
        autoreset_mode: Gymnasium's ``NEXT_STEP`` (default), ``SAME_STEP`` or ``DISABLED``.
        render_mode: None, or ``"rgb_array"``: one frame per sub-env (see ``CoreVectorEnv``).
    """

    binding_class = RoutingBinding
    binding: RoutingBinding

    @property
    def core(self) -> RoutingCore:
        """The batched simulator."""
        return self.binding.core


class ExpertRoutingV1VectorEnv(ExpertRoutingVectorEnv):
    """``num_envs`` ``wmoe/ExpertRouting-v1`` environments stepped together (args as v0's)."""

    binding_class = RoutingV1Binding
    binding: RoutingV1Binding

"""Native batched ``wmoe/MultiAccess-v0`` and ``-v1``: one core for all sub-envs.

It reproduces ``SyncVectorEnv`` over :class:`MultiAccessEnv` for the same seeds and autoreset
mode (see :class:`~wmoe.envs.core_env.CoreVectorEnv`), stepping every sub-env's nodes in one
set of array operations.
"""

from __future__ import annotations

from wmoe.envs.core_env import CoreVectorEnv
from wmoe.envs.multi_access.core import MultiAccessCore
from wmoe.envs.multi_access.env import MultiAccessBinding, MultiAccessV1Binding


class MultiAccessVectorEnv(CoreVectorEnv):
    """``num_envs`` multiple-access environments stepped together.

    Args:
        num_envs: Number of sub-environments.
        config: Config overrides, as for the single env; shared by all sub-envs.
        autoreset_mode: Gymnasium's ``NEXT_STEP`` (default), ``SAME_STEP`` or ``DISABLED``.
        render_mode: None, or ``"rgb_array"``: one frame per sub-env (see ``CoreVectorEnv``).
    """

    binding_class = MultiAccessBinding
    binding: MultiAccessBinding

    @property
    def core(self) -> MultiAccessCore:
        """The batched simulator."""
        return self.binding.core


class MultiAccessV1VectorEnv(MultiAccessVectorEnv):
    """``num_envs`` ``wmoe/MultiAccess-v1`` environments stepped together (args as v0's)."""

    binding_class = MultiAccessV1Binding
    binding: MultiAccessV1Binding

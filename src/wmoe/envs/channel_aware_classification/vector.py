"""Native batched ``wmoe/ChannelAwareClassification-v0`` and ``-v1``: one core for all sub-envs.

It reproduces ``SyncVectorEnv`` over :class:`ChannelAwareClassificationEnv` for the same
seeds and autoreset mode (see :class:`~wmoe.envs.core_env.CoreVectorEnv`), running the
experts of every sub-env in one batched forward.
"""

from __future__ import annotations

from wmoe.envs.channel_aware_classification.core import ClassificationCore
from wmoe.envs.channel_aware_classification.env import (
    ClassificationBinding,
    ClassificationV1Binding,
)
from wmoe.envs.core_env import CoreVectorEnv


class ChannelAwareClassificationVectorEnv(CoreVectorEnv):
    """``num_envs`` expert-selection environments stepped together.

    Args:
        num_envs: Number of sub-environments.
        config: Config overrides, as for the single env; shared by all sub-envs.
        autoreset_mode: Gymnasium's ``NEXT_STEP`` (default), ``SAME_STEP`` or ``DISABLED``.
        render_mode: None, or ``"rgb_array"``: one frame per sub-env (see ``CoreVectorEnv``).
    """

    binding_class = ClassificationBinding
    binding: ClassificationBinding

    @property
    def core(self) -> ClassificationCore:
        """The batched simulator."""
        return self.binding.core


class ChannelAwareClassificationV1VectorEnv(ChannelAwareClassificationVectorEnv):
    """``num_envs`` ``wmoe/ChannelAwareClassification-v1`` environments (args as v0's)."""

    binding_class = ClassificationV1Binding
    binding: ClassificationV1Binding

"""Native batched ``wmoe/MultiBSReception-v0`` and v1 variants: one core for all sub-envs.

It reproduces ``SyncVectorEnv`` over :class:`MultiBSReceptionEnv` exactly (observations,
rewards, flags and infos, including Gymnasium's ``_key`` info masks) for the same seeds and
autoreset mode (see :class:`~wmoe.envs.core_env.CoreVectorEnv`), while computing every
sub-env's step in one set of array operations.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.core_env import CoreVectorEnv
from wmoe.envs.multi_bs_reception.core import ReceptionCore
from wmoe.envs.multi_bs_reception.env import (
    ReceptionBinding,
    ReceptionMobilityV1Binding,
    ReceptionRSRPV1Binding,
    ReceptionV1Binding,
    ReceptionWidebandV1Binding,
)


class MultiBSReceptionVectorEnv(CoreVectorEnv):
    """``num_envs`` reception environments stepped together (see :class:`MultiBSReceptionEnv`).

    Args:
        num_envs: Number of sub-environments.
        config: Config overrides, as for the single env; shared by all sub-envs.
        autoreset_mode: Gymnasium's ``NEXT_STEP`` (default), ``SAME_STEP`` or ``DISABLED``.
        render_mode: None, or ``"rgb_array"``: one frame per sub-env (see ``CoreVectorEnv``).
    """

    binding_class = ReceptionBinding
    binding: ReceptionBinding

    @property
    def core(self) -> ReceptionCore:
        """The batched simulator."""
        return self.binding.core

    def action_masks(self) -> NDArray[np.bool_]:
        """(num_envs, mask size) valid actions for MaskablePPO."""
        return self.binding.action_masks(self._all)


class MultiBSReceptionV1VectorEnv(MultiBSReceptionVectorEnv):
    """``num_envs`` ``wmoe/MultiBSReception-v1`` environments stepped together (args as v0's)."""

    binding_class = ReceptionV1Binding
    binding: ReceptionV1Binding


class MultiBSReceptionRSRPV1VectorEnv(MultiBSReceptionVectorEnv):
    """``num_envs`` ``wmoe/MultiBSReceptionRSRP-v1`` environments stepped together."""

    binding_class = ReceptionRSRPV1Binding
    binding: ReceptionRSRPV1Binding


class MultiBSReceptionMobilityV1VectorEnv(MultiBSReceptionVectorEnv):
    """``num_envs`` ``wmoe/MultiBSReceptionMobility-v1`` environments stepped together."""

    binding_class = ReceptionMobilityV1Binding
    binding: ReceptionMobilityV1Binding


class MultiBSReceptionWidebandV1VectorEnv(MultiBSReceptionVectorEnv):
    """``num_envs`` ``wmoe/MultiBSReceptionWideband-v1`` environments stepped together."""

    binding_class = ReceptionWidebandV1Binding
    binding: ReceptionWidebandV1Binding

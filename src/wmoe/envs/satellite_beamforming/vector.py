"""Native batched ``wmoe/SatelliteBeamforming-v0`` and ``-v1``: one core for all sub-envs.

It reproduces ``SyncVectorEnv`` over :class:`SatelliteBeamformingEnv` for the same seeds and
autoreset mode (see :class:`~wmoe.envs.core_env.CoreVectorEnv`), computing the precoders and
SINRs of every sub-env in one batched pass.
"""

from __future__ import annotations

from wmoe.envs.core_env import CoreVectorEnv
from wmoe.envs.satellite_beamforming.actions import ActionCodec
from wmoe.envs.satellite_beamforming.core import SatelliteCore
from wmoe.envs.satellite_beamforming.env import SatelliteBinding, SatelliteV1Binding


class SatelliteBeamformingVectorEnv(CoreVectorEnv):
    """``num_envs`` satellite downlink environments stepped together.

    Args:
        num_envs: Number of sub-environments.
        config: Config overrides, as for the single env; shared by all sub-envs.
        autoreset_mode: Gymnasium's ``NEXT_STEP`` (default), ``SAME_STEP`` or ``DISABLED``.
        render_mode: None, or ``"rgb_array"``: one frame per sub-env (see ``CoreVectorEnv``).
    """

    binding_class = SatelliteBinding
    binding: SatelliteBinding

    @property
    def core(self) -> SatelliteCore:
        """The batched simulator."""
        return self.binding.core

    @property
    def codec(self) -> ActionCodec:
        """The action codec."""
        return self.binding.codec


class SatelliteBeamformingV1VectorEnv(SatelliteBeamformingVectorEnv):
    """``num_envs`` ``wmoe/SatelliteBeamforming-v1`` envs stepped together (args as v0's)."""

    binding_class = SatelliteV1Binding
    binding: SatelliteV1Binding

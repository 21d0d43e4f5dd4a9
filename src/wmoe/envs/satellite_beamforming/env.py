"""``wmoe/SatelliteBeamforming-v0``: a thin Gymnasium adapter over the satellite core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from wmoe.envs.core_env import BatchStep, CoreBinding, CoreEnv
from wmoe.envs.satellite_beamforming.actions import ActionCodec
from wmoe.envs.satellite_beamforming.config import SatelliteConfig
from wmoe.envs.satellite_beamforming.core import SatelliteCore
from wmoe.envs.satellite_beamforming.render import SatelliteRenderer


class SatelliteBinding(CoreBinding):
    """Spaces and actions of the LEO multibeam downlink over :class:`SatelliteCore`."""

    config_schema = SatelliteConfig
    renderer_class = SatelliteRenderer
    core: SatelliteCore

    def __init__(self, config: dict[str, Any], batch_size: int) -> None:
        super().__init__(config, batch_size)
        self.core = SatelliteCore(config, batch_size)
        self.codec = ActionCodec(
            config["action_type"],
            self.core.num_users,
            self.core.num_subbands,
            config["power_levels"],
            config["beam_power_cap"],
        )
        self.observation_space = spaces.Box(
            -np.inf, np.inf, (self.core.observation_size,), dtype=np.float32
        )
        self.action_space = self.codec.space

    def step(
        self, envs: NDArray[np.int64], actions: Any, rngs: Sequence[np.random.Generator]
    ) -> BatchStep:
        """Decode each env's decision, serve the users, and move the satellite on."""
        decision = self.codec.decode(actions, self.core.cell_colours(envs))
        rewards, truncated, info = self.core.step(envs, decision, rngs)
        return rewards, np.zeros(len(envs), dtype=np.bool_), truncated, info


class SatelliteBeamformingEnv(CoreEnv):
    """Beam power, frequency reuse and precoding of a LEO multibeam downlink beside a GEO.

    ## Description

    The survey's satellite scenario (MoE-PPO for power control, beamforming and spectrum
    tasks over LEO and GEO satellites). A LEO satellite at 600 km passes over an area with
    ``K`` users; its nadir-pointing planar array forms one beam per user. Each step (2 s of
    the pass) the agent sets, jointly, every beam's power under the satellite's power budget,
    every beam's sub-band (one of ``C`` frequency-reuse colours, or the whole band) and the
    precoder (matched filter, regularised ZF or ZF, each with or without nulls towards the
    GEO terminals). A GEO satellite shares the band: its earth stations in the area receive the
    LEO's beams through their off-axis gain, and exceeding the protection I/N costs reward.
    Channels follow 3GPP TR 38.811 / TR 38.821 (free space, LOS and shadowing by elevation,
    clutter, gases), ITU-R P.838/P.618 rain and shadowed-Rician fading; the model, its
    parameters and their sources are in :mod:`wmoe.envs.satellite_beamforming.core` and
    :mod:`wmoe.envs.satellite_beamforming.config`.

    ## Action Space

    ``action_type="continuous"`` (default): ``Box(-1, 1, (K + K (C + 1) + 6,))`` (54 for the
    defaults); ``"multi_discrete"``: ``MultiDiscrete([L]*K + [C+1]*K + [6])``;
    ``"discrete"``: ``Discrete(72)`` composite schemes. See
    :mod:`wmoe.envs.satellite_beamforming.actions`.

    ## Observation Space

    ``Box(-inf, inf, (5 K + K (K - 1) / 2 + K M + 5 M + 1,), float32)`` (121 for the defaults):
    per user its direction cosines ``u, v`` in the array frame, its full-power beam SNR
    (``gamma P_beam N / W``) in dB / 20, its known fading power in dB / 10 and its cell colour
    / (C - 1); the beam overlaps ``|a_k^H a_j| / N`` of user pairs (upper triangle); the
    overlaps of users and GEO terminals; per GEO terminal ``u, v``, its dish's off-axis angle
    towards the LEO / 90 deg, the I/N a full-power beam pointed at it would cause in dB / 20,
    and the I/N it received at the previous step in dB / 20 (floor -60 dB); the pass progress
    ``step / episode_length``.

    ## Rewards

    The users' mean spectral efficiency [bit/s/Hz] (sum over sub-bands of
    ``log2(1 + SINR) / C``, co-channel interference of the beams on the same sub-band),
    minus ``geo_penalty_per_db`` per dB of I/N above ``geo_i_over_n_threshold_db`` (-12.2 dB)
    at each GEO terminal. ``reward_type="energy_efficiency"`` scales the rate term by the
    consumed power at full power over the consumed power.

    ## Starting State

    A pass with a random cross-track offset, users and GEO terminals placed in the area,
    rain with probability ``rain_probability``; the satellite ``episode_length / 2`` steps
    before its closest approach.

    ## Episode End

    Never terminates; truncates after ``episode_length`` steps (the pass).

    ## Arguments

    ``gym.make("wmoe/SatelliteBeamforming-v0", config={...})`` with keys of
    :class:`~wmoe.envs.satellite_beamforming.config.SatelliteConfig` (table below; an unknown
    key or an invalid value raises :class:`~wmoe.config.ConfigError`, as does a pass whose
    satellite would sink below the 10 deg elevation of the TR 38.811 tables for some user or
    GEO terminal: ``episode_length x step_s`` too long for ``altitude_m`` and the area).
    ``info``: ``user_se_bps_hz`` and ``user_rate_bps`` per user, ``sum_se_bps_hz``,
    ``geo_i_over_n_db`` per terminal, ``geo_penalty``, ``power_w``,
    ``energy_efficiency_bit_per_j``, ``elevation_deg`` per user; the decision as applied:
    ``beam_power_w`` per beam (within the budget), ``beam_subband`` per beam (``C``: all
    sub-bands) and ``precoder`` (index into ``core.PRECODERS``).

    ## Vectorized environment

    ``gym.make_vec("wmoe/SatelliteBeamforming-v0", num_envs=n)`` returns the native batched
    :class:`~wmoe.envs.satellite_beamforming.vector.SatelliteBeamformingVectorEnv`, equal to
    ``SyncVectorEnv`` over the same seeds.

    ## Version History

    * v0: initial version.
    """

    binding_class = SatelliteBinding
    binding: SatelliteBinding

    @property
    def core(self) -> SatelliteCore:
        """The simulator (for baselines and analysis)."""
        return self.binding.core

    @property
    def codec(self) -> ActionCodec:
        """The action codec."""
        return self.binding.codec

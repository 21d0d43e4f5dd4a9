"""``wmoe/MultiBSReception-v0``: a thin Gymnasium adapter over :class:`ReceptionCore`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from wmoe.envs.core_env import EXPERT_ACTION_KEY, BatchStep, CoreBinding, CoreEnv
from wmoe.envs.multi_bs_reception.actions import ActionCodec
from wmoe.envs.multi_bs_reception.config import ReceptionConfig
from wmoe.envs.multi_bs_reception.core import ReceptionCore
from wmoe.envs.multi_bs_reception.render import ReceptionRenderer


def observation_space(core: ReceptionCore) -> spaces.Box:
    """Observation space: normalised (x, y), then optional per-BS SNR and interference."""
    low = [0.0, 0.0]
    high = [1.0, 1.0]
    if core.config["observe_rx_power"]:
        low += [-2.0] * core.num_bs
        high += [2.0] * core.num_bs
    if core.config["observe_interference"]:
        low += [0.0] * core.num_bs
        high += [5.0] * core.num_bs
    return spaces.Box(
        np.array(low, dtype=np.float32), np.array(high, dtype=np.float32), dtype=np.float32
    )


def action_codec(core: ReceptionCore) -> ActionCodec:
    """The action form the core's config asks for."""
    return ActionCodec(
        core.config["action_type"],
        core.bs_sets,
        core.num_bs,
        core.codebook.num_codewords,
        agent_picks_precoder=core.config["precoder_selection"] == "agent",
        set_index_of=core.set_index_of,
    )


class ReceptionBinding(CoreBinding):
    """Spaces and action forms of the reception env over :class:`ReceptionCore`."""

    config_schema = ReceptionConfig
    renderer_class = ReceptionRenderer
    core: ReceptionCore

    def __init__(self, config: dict[str, Any], batch_size: int) -> None:
        super().__init__(config, batch_size)
        self.core = ReceptionCore(config, batch_size)
        self.codec = action_codec(self.core)
        self.observation_space = observation_space(self.core)
        self.action_space = self.codec.space

    def step(
        self, envs: NDArray[np.int64], actions: Any, rngs: Sequence[np.random.Generator]
    ) -> BatchStep:
        """Serve each env's UE with its set and precoder, then move to the next UE.

        When the agent picks the precoder, ``info[EXPERT_ACTION_KEY]`` is the action with the
        same set and the expert (best) precoder for it: the case study's expert knowledge.
        """
        set_index, precoder = self.codec.decode(actions, len(envs))
        rewards, truncated, info = self.core.step(envs, set_index, precoder, rngs)
        if self.codec.agent_picks_precoder:
            info[EXPERT_ACTION_KEY] = self.codec.encode(set_index, info["expert_precoder"])
        return rewards, np.zeros(len(envs), dtype=np.bool_), truncated, info

    def reseeded(self, envs: NDArray[np.int64]) -> None:
        """Forget the users buffered from the old seed."""
        self.core.forget_draws(envs)

    def action_masks(self, envs: NDArray[np.int64]) -> NDArray[np.bool_]:
        """``(len(envs), mask size)`` valid actions for MaskablePPO."""
        return self.codec.masks(self.core.allowed_sets(self.core.user[envs]))


class MultiBSReceptionEnv(CoreEnv):
    """Multi-BS coordinated uplink reception on DeepMIMO O1 (synthetic O1-like by default).

    ## Description

    The case study of Xu et al., "Decentralization of Generative AI via Mixture of Experts for
    Wireless Networks" (Sec. V-A): each step a user equipment (UE) with a single-polarised
    uniform linear array appears on the O1 street grid and must be served by a cooperative set
    of ``N`` of the scenario's ``U = 18`` base stations, each with a cross-polarised uniform
    planar array, which jointly equalise its streams with a linear MMSE receiver. The agent
    picks the set and the UE's codebook precoder. Channels come from a DeepMIMO v4 scenario
    through the ``deepmimo`` package; by default wmoe's SYNTHETIC O1-like scenario (image-method
    paths in a street layout built from public O1 facts), which is written on first use.

    ## Action Space

    See :mod:`wmoe.envs.multi_bs_reception.actions`: ``Discrete(C(U, N) * C)``,
    ``MultiDiscrete([C(U, N), C])`` or ``Box(-1, 1, (U + C,))`` scores, with ``C`` codewords;
    with ``precoder_selection="expert"`` only the set is chosen and the env applies the best
    codeword for it. ``action_masks()`` (MaskablePPO) excludes sets with a BS that has no path
    to the UE when the UE reaches at least ``N`` BSs.

    ## Observation Space

    ``Box(0, 1, (2,), float32)``: the UE's (x, y) normalised to the scenario's user area (the
    case study's state). With ``observe_rx_power`` ``U`` more entries: each BS's per-antenna
    receive SNR in dB divided by 50, clipped to [-2, 2].

    ## Rewards

    ``sum_k log2(1 + SINR_k)`` [bit/s/Hz] over the UE's streams after joint MMSE equalisation at
    the cooperating BSs, with UE power ``tx_power_dbm``, thermal noise over ``bandwidth_hz`` and
    BS noise figure ``noise_figure_db``. With ``se_ceiling`` each stream's term is capped at the
    highest spectral efficiency of a TS 38.214 MCS table (5.5547 bit/s/Hz for 64-QAM, 7.4063
    for 256-QAM): NR schedules no higher rate whatever the SINR.

    ## Starting State

    A uniformly drawn user of the scenario.

    ## Episode End

    Never terminates; truncates after ``episode_length`` steps. Each step moves to a new UE:
    a uniform draw (``user_sequence="uniform"``) or the next user along the grid in DeepMIMO's
    user order (``"trajectory"``, ``trajectory_step_users`` users per step).

    ## Arguments

    ``gym.make("wmoe/MultiBSReception-v0", config={...})`` with keys of
    :class:`~wmoe.envs.multi_bs_reception.config.ReceptionConfig` (table below; an unknown key
    or an invalid value raises :class:`~wmoe.config.ConfigError`).
    ``info`` holds ``rate``, ``bs_set``, ``precoder``, ``expert_precoder`` (best codeword for
    the chosen set), ``expert_rate``, ``user_index`` and, with ``info_oracle``, ``oracle_rate``
    and ``regret`` (exhaustive search over all sets and codewords).

    ## Vectorized environment

    ``gym.make_vec("wmoe/MultiBSReception-v0", num_envs=n)`` returns the native batched
    :class:`~wmoe.envs.multi_bs_reception.vector.MultiBSReceptionVectorEnv`, equal to
    ``SyncVectorEnv`` over the same seeds.

    ## Version History

    * v0: initial version. Later opt-in keys whose defaults keep v0's numbers bitwise:
      ``codebook="tpmi"`` (the TS 38.211 PUSCH tables for 2 or 4 ports), ``codebook_dedup``,
      ``se_ceiling`` and ``interferer_num_rb`` / ``subcarrier_spacing_khz`` (the bandwidth
      term of TS 38.213 Sec. 7.1.1 power control).
    """

    binding_class = ReceptionBinding
    binding: ReceptionBinding

    @property
    def core(self) -> ReceptionCore:
        """The simulator (for baselines and analysis)."""
        return self.binding.core

    @property
    def codec(self) -> ActionCodec:
        """The action form."""
        return self.binding.codec

    def action_masks(self) -> NDArray[np.bool_]:
        """Valid actions for MaskablePPO (discrete and multi-discrete action forms)."""
        return self.binding.action_masks(np.zeros(1, dtype=np.int64))[0]

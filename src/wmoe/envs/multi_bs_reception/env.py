"""``wmoe/MultiBSReception-v0`` and the v1 variants: thin Gymnasium adapters over the core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from wmoe.envs.core_env import EXPERT_ACTION_KEY, BatchStep, CoreBinding, CoreEnv
from wmoe.envs.multi_bs_reception.actions import ActionCodec
from wmoe.envs.multi_bs_reception.config import (
    ReceptionConfig,
    ReceptionMobilityV1Config,
    ReceptionRSRPV1Config,
    ReceptionV1Config,
    ReceptionWidebandV1Config,
)
from wmoe.envs.multi_bs_reception.core import ReceptionCore
from wmoe.envs.multi_bs_reception.render import ReceptionRenderer


def observation_space(core: ReceptionCore) -> spaces.Box:
    """Observation space: the parts of :meth:`ReceptionCore.observations`, in its order.

    Normalised (x, y), per-BS RSRP reports (index / 126), per-BS SRS SNRs (v1's
    ``observe_srs``, [-30, 70] dB onto [0, 1]), the current set (0/1 per BS), per-BS SNR
    [dB / 50] and interference [dB / 20], each where the config asks for it.
    """
    low: list[float] = []
    high: list[float] = []
    if core.config["observe_position"]:
        low += [0.0, 0.0]
        high += [1.0, 1.0]
    for observed in (
        core.config["observe_rsrp"],
        core.observe_srs,
        core.config["observe_current_set"],
    ):
        if observed:
            low += [0.0] * core.num_bs
            high += [1.0] * core.num_bs
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
      term of TS 38.213 Sec. 7.1.1 power control); ``observe_position``, ``observe_rsrp``
      (measured RSRP reports), ``observe_current_set``, ``user_sequence="mobility"`` and
      ``reassociation_latency_s`` (see :class:`MultiBSReceptionV1Env`).
      2026-12-04: codeword rates come from one real matrix product per rank
      (:class:`~wmoe.phy.effective_grams.EffectiveGrams`) instead of complex products through
      the codebook's beams: same rates up to round-off (below 1.6e-10 bit/s/Hz), and the
      expert codeword and oracle action are the lowest index among codewords whose rates are
      equal up to round-off (before, whichever round-off favoured: a different one of equal
      rate in about 10 % of v0's steps with its DFT codebook). Seeded runs are therefore not
      bitwise those of earlier releases; the rewards of a given action are unchanged.
    * v1: :class:`MultiBSReceptionV1Env`, :class:`MultiBSReceptionRSRPV1Env` and
      :class:`MultiBSReceptionMobilityV1Env`.
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


class ReceptionV1Binding(ReceptionBinding):
    """:class:`ReceptionBinding` with the defaults of ``wmoe/MultiBSReception-v1``."""

    config_schema = ReceptionV1Config


class ReceptionRSRPV1Binding(ReceptionBinding):
    """:class:`ReceptionBinding` with the defaults of ``wmoe/MultiBSReceptionRSRP-v1``."""

    config_schema = ReceptionRSRPV1Config


class ReceptionMobilityV1Binding(ReceptionBinding):
    """:class:`ReceptionBinding` with the defaults of ``wmoe/MultiBSReceptionMobility-v1``."""

    config_schema = ReceptionMobilityV1Config


class ReceptionWidebandV1Binding(ReceptionBinding):
    """:class:`ReceptionBinding` with the defaults of ``wmoe/MultiBSReceptionWideband-v1``."""

    config_schema = ReceptionWidebandV1Config


class MultiBSReceptionV1Env(MultiBSReceptionEnv):
    """``wmoe/MultiBSReception-v1``: the case study's bandit with 3GPP-grounded physics.

    ## Description

    The task of :class:`MultiBSReceptionEnv` (``wmoe/MultiBSReception-v0``; the paper's
    contextual bandit: each step a new uniformly drawn UE, observed by its location only)
    with the v0-era physics defaults fixed. Two registered variants of the same code change
    what the agent observes and whether its actions shape the future:
    ``wmoe/MultiBSReceptionRSRP-v1`` (:class:`MultiBSReceptionRSRPV1Env`, measured RSRP
    reports instead of the location) and ``wmoe/MultiBSReceptionMobility-v1``
    (:class:`MultiBSReceptionMobilityV1Env`, UEs moving along the streets with a
    re-association cost).

    Defaults changed from v0:

    * ``codebook="tpmi"``: the UE's precoders are every TPMI of the TS 38.211 Sec. 6.3.1.5
      4-port PUSCH tables (62 codewords of ranks 1-4; v0: an oversampled DFT codebook);
    * ``se_ceiling="mcs-256qam"``: each layer's rate is capped at 7.4063 bit/s/Hz, the
      highest entry of TS 38.214 Table 5.1.3.1-2 (v0: uncapped Shannon rates up to ~15);
    * ``interferer_num_rb=273`` with ``interferer_p0_dbm=-100``: the co-channel UEs send
      TS 38.213 Sec. 7.1.1 power with its bandwidth term ``10 log10(2^mu M_RB)`` (+27.4 dB
      for 273 RB at 30 kHz), and P0 is retuned so that interference stays realistic. The
      interference over thermal (IoT) of the 18 BSs with the six interferers (min / median /
      max over BSs, default scenario ``o1_geometry_3p5``, measured 2026-12-03) for P0
      [dBm]: -80: 10.2 / 20.2 / 25.5 dB (v0's P0 with the bandwidth term: far above a
      loaded cell's few dB); -96: 0.9 / 5.6 / 9.9; **-100: 0.4 / 3.1 / 6.5**; -103: 0.2 /
      1.8 / 4.4; -106: 0.1 / 1.0 / 2.7 dB (on ``o1_synthetic_3p5``, where P0 was chosen:
      14.7 / 19.5 / 24.9, 2.3 / 5.1 / 9.4, 1.1 / 2.8 / 6.1, 0.6 / 1.6 / 4.1, 0.3 / 0.9 /
      2.5 dB). (v0 leaves the bandwidth term out, P0 per 15 kHz resource block at -80
      dBm.)

    ## Action Space

    As v0: ``Discrete(C(18, 3) * 62) = Discrete(50592)`` by default (a set and a TPMI), or
    the multi-discrete and continuous forms; ``precoder_selection="expert"`` leaves the
    TPMI to the env (as the gNB picks it from the UE's SRS, TS 38.214 Sec. 6.1.1.1).

    ## Observation Space

    As v0, built from the ``observe_*`` keys in this order: ``observe_position`` (default)
    the UE's (x, y) normalised to the user area; ``observe_rsrp`` 18 RSRP reports (index /
    126, see :class:`MultiBSReceptionRSRPV1Env`); ``observe_srs`` 18 SRS SNRs (below);
    ``observe_current_set`` 18 entries, 1 for each BS of the current set; the genie
    ``observe_rx_power`` (true SNR) and ``observe_interference`` (true IoT). Default:
    ``Box(0, 1, (2,), float32)``.

    **SRS SNR** (``observe_srs``, off by default, any v1 id). What the network measures from
    the UE's uplink sounding reference signal (TS 38.211 Sec. 6.4.1.4; the SRS resource of TS
    38.214 Sec. 6.2.1 from which the gNB picks the TPMI, TS 38.214 Sec. 6.1.1.1), at low
    resolution: each BS's wideband received SRS power per resource element, BS port and UE
    port over the thermal noise, ``SNR_b = P_tx / (N_t N_0 B F) * trace(H_b^H H_b) /
    (ports N_t)`` (the UE's ``tx_power_dbm`` split evenly over its ``N_t = ue_antennas``
    ports, TS 38.213 Sec. 7.3.1, sounding the whole ``bandwidth_hz``; the trace averaged
    over the sub-bands with ``num_subbands > 1``; interference not included), measured with
    an independent Gaussian error of ``srs_error_std_db = 1`` dB per BS and step (drawn from
    the env's generator after the RSRP errors), rounded to a multiple of
    ``srs_quantization_db = 1`` dB and clipped to [-30, 70] dB, observed as ``(SNR + 30) /
    100``; a BS without a path observes 0 (:mod:`wmoe.phy.nr_srs`). Only this wideband power
    is observed: no precoder indication (TPMI) and no sub-band values.

    ## Rewards

    As v0: the joint-MMSE sum rate [bit/s/Hz], now with each layer capped at 7.4063
    bit/s/Hz, less a share ``reassociation_latency_s / step_duration_s`` of it in a step
    whose set differs from the current one (``reassociation_latency_s = 0`` here, so no
    cost).

    ## Starting State

    A uniformly drawn user; its current set is its N strongest BSs (initial access).

    ## Episode End

    Never terminates; truncates after ``episode_length = 64`` steps.

    ## Arguments

    ``gym.make("wmoe/MultiBSReception-v1", config={...})`` with the keys of
    :class:`~wmoe.envs.multi_bs_reception.config.ReceptionV1Config` (table below; the v0
    keys with v1's defaults). ``info`` as v0, plus ``reassociated`` where a re-association
    costs and ``ue_position_m`` with mobility.

    ## Headroom

    Each baseline's mean return per episode as a share of the upper bound ``upper_bound``
    (:mod:`~wmoe.envs.multi_bs_reception.bounds`: the hindsight optimum over each episode's
    UE trajectory, re-association costs included; the oracle's return where a change of set
    costs nothing, as in v1 and RSRP-v1), 10 episodes seeded from 1,000,000 (the suites' test
    seeds), default config of each id (3 minutes on one core)::

        .venv/bin/python benchmarks/headroom/multi_bs_reception.py --env
            wmoe/MultiBSReception-v1 --env wmoe/MultiBSReceptionRSRP-v1 --env
            wmoe/MultiBSReceptionMobility-v1

    (one command line).

    ===================  ===============  ===============  ===============
    policy               v1 (location)    RSRP-v1          Mobility-v1
    ===================  ===============  ===============  ===============
    random               623.1 (33.3 %)   1110.7 (59.4 %)  788.8 (42.3 %)
    strongest_n          1709.8 (91.5 %)  1716.1 (91.8 %)  1402.6 (75.1 %)
    strongest_n_genie    1709.8 (91.5 %)  1709.8 (91.5 %)  1595.1 (85.5 %)
    hysteresis_handover  1696.4 (90.8 %)  1693.5 (90.6 %)  1725.5 (92.4 %)
    best_sinr_n          1731.1 (92.6 %)  1731.1 (92.6 %)  1602.5 (85.9 %)
    nearest_n            1565.6 (83.8 %)  1565.6 (83.8 %)  1462.8 (78.4 %)
    nearest_n_fixed      1412.3 (75.6 %)  1565.6 (83.8 %)  1462.8 (78.4 %)
    knn_oracle           1802.6 (96.4 %)  1824.8 (97.6 %)  1703.8 (91.3 %)
    oracle               1869.0 (100 %)   1869.0 (100 %)   1714.9 (91.9 %)
    upper_bound          1869.0 (100 %)   1869.0 (100 %)   1866.5 (100 %)
    ===================  ===============  ===============  ===============

    Measured 2026-12-03 on the default scenario ``o1_geometry_3p5`` (41,001 users with a
    path). v1 lets the agent pick the TPMI (random: a random set and TPMI); the RSRP and
    mobility variants leave it to the env. The 256-QAM ceiling (4 layers x 7.41 = 29.6
    bit/s/Hz per step) is close: the oracle reaches 29.2 per step in v1, so the headroom
    over the classical association rules is 7-9 % (best-SINR-N 92.6 %, strongest-N 91.5 %),
    and 16 % over the position-only nearest-N. O1's geometry leaves more room than the
    O1-like layout did (there: strongest-N 94.4 %, nearest-N 92.9 %, k-NN 96.5 %). In the
    mobility variant ``strongest_n`` re-associates on every noisy report and loses 25 %,
    while ``hysteresis_handover`` keeps 92.4 %; the per-step oracle is myopic there (it
    changes the set when that pays within the step, and keeps it when a change would pay
    only over the next steps), and the bound, which plans the changes knowing the whole
    trajectory, is 8.8 % above it: the headroom left to a policy that plans ahead.

    ## Vectorized environment

    ``gym.make_vec("wmoe/MultiBSReception-v1", num_envs=n)`` returns the native batched
    ``MultiBSReceptionV1VectorEnv``, equal to ``SyncVectorEnv`` over the same seeds (also
    for the RSRP and mobility variants, whose measurement errors and row changes are drawn
    from each sub-env's own generator).

    ## Version History

    * v1: v0's contextual bandit with the TPMI codebook, the 256-QAM MCS ceiling and
      interferers with the bandwidth term at P0 = -100 dBm (v0: DFT codebook, uncapped
      rates, no bandwidth term at P0 = -80 dBm); the RSRP and mobility variants (new ids).
      Later opt-in keys whose defaults keep v1's numbers bitwise: ``num_subbands``
      (wideband rate), ``interference="coloured"`` and ``interferer_activity`` (see
      :class:`MultiBSReceptionWidebandV1Env`, new id); ``observe_srs``,
      ``srs_error_std_db`` and ``srs_quantization_db`` (the SRS SNR observation).
      Reviewers found v0 a contextual bandit with genie observations (true SNR and IoT) and
      v0-era physics; the variants give it realisable observations and a sequential task.
      2026-12-03 (before any leaderboard cell ran on a v1 reception id): the default
      ``scenario`` is ``o1_geometry_3p5``, O1's published geometry with its three user grids
      (was the O1-like ``o1_synthetic_3p5``, still v0's default; why:
      ``src/wmoe/scenarios/README.md``), and the new key ``active_users_only`` (default on)
      draws users, labelled users and interferers only among the users with a path to some
      BS. On ``o1_synthetic_3p5`` every user has one, so ``scenario="o1_synthetic_3p5"``
      gives the earlier v1 draws and numbers (tests pin them). 2026-12-04: rates through
      :class:`~wmoe.phy.effective_grams.EffectiveGrams`, equal up to round-off (see v0).
    * v0: :class:`MultiBSReceptionEnv`.
    """

    binding_class = ReceptionV1Binding
    binding: ReceptionV1Binding


class MultiBSReceptionRSRPV1Env(MultiBSReceptionEnv):
    """``wmoe/MultiBSReceptionRSRP-v1``: the v1 bandit observed through measured RSRP reports.

    ## Description

    :class:`MultiBSReceptionV1Env` (each step a new uniformly drawn UE) where the agent sees
    what a network has of a UE: its RSRP measurement report of each BS, not its location,
    and the env picks the TPMI for the chosen set (``precoder_selection="expert"``, as the gNB
    does from the SRS, TS 38.214 Sec. 6.1.1.1). No genie quantity is observed.

    **RSRP.** TS 38.215 Sec. 5.1.1 defines RSRP as a power per resource element (RE) of the
    BS's SSS / CSI-RS. Assumed here: each BS spreads ``bs_tx_power_dbm = 46`` dBm evenly over
    ``bs_num_rb = 273`` resource blocks of 12 subcarriers (100 MHz at 30 kHz), i.e.
    ``46 - 10 log10(3276) = 10.85`` dBm per RE, and the channel gain is the scenario's mean
    gain per BS port and UE antenna (``mean_gain_db``; the uplink gain, equal to the downlink
    one by TDD reciprocity in band n78). So ``RSRP = 10.85 dBm + mean_gain_db``: -69 to -58
    dBm from the strongest BS for 80 % of the users of the default scenario (10th and 90th
    percentiles over its 41,001 users with a path; median -64.6 dBm). The UE measures it
    with an independent Gaussian error of ``rsrp_error_std_db = 2`` dB per BS and step
    (TS 38.133 Sec. 10.1.2-10.1.3 bound the SS-RSRP error by +-4.5 dB absolute, +-9 dB in
    extreme conditions, and +-2 to +-3 dB relative between cells: 2 dB puts 95 % of the
    errors inside +-3.9 dB), and reports it as TS 38.133 Table 10.1.6.1-1 maps it:
    ``RSRP_0`` below -156 dBm, ``RSRP_k`` for ``-157 + k <= RSRP < -156 + k`` dBm and
    ``RSRP_126`` at or above -31 dBm (1 dB steps; :mod:`wmoe.phy.nr_measurements`). A BS
    without a path reports ``RSRP_0``.

    ## Action Space

    ``Discrete(C(18, 3)) = Discrete(816)``: the cooperative set (multi-discrete and
    continuous forms as v0); ``precoder_selection="agent"`` adds the 62 TPMIs.

    ## Observation Space

    ``Box(0, 1, (18,), float32)``: each BS's report index divided by 126.

    ## Rewards

    As :class:`MultiBSReceptionV1Env`.

    ## Starting State

    A uniformly drawn user and its first reports.

    ## Episode End

    Never terminates; truncates after ``episode_length = 64`` steps.

    ## Arguments

    ``gym.make("wmoe/MultiBSReceptionRSRP-v1", config={...})`` with the keys of
    :class:`~wmoe.envs.multi_bs_reception.config.ReceptionRSRPV1Config` (table below). The
    baselines are those of :mod:`~wmoe.envs.multi_bs_reception.baselines_v1`;
    ``strongest_n`` ranks the BSs by the reports (a realisable policy), ``strongest_n_genie``
    by the true gains. See :class:`MultiBSReceptionV1Env` for the headroom tables.

    ## Vectorized environment

    ``gym.make_vec("wmoe/MultiBSReceptionRSRP-v1", num_envs=n)`` returns the native batched
    ``MultiBSReceptionRSRPV1VectorEnv``, equal to ``SyncVectorEnv`` over the same seeds.

    ## Version History

    * v1: initial version (a variant of ``wmoe/MultiBSReception-v1``).
    """

    binding_class = ReceptionRSRPV1Binding
    binding: ReceptionRSRPV1Binding


class MultiBSReceptionMobilityV1Env(MultiBSReceptionEnv):
    """``wmoe/MultiBSReceptionMobility-v1``: UEs moving along O1's streets, with handover costs.

    ## Description

    :class:`MultiBSReceptionRSRPV1Env` made sequential: the UE of an episode moves along the
    streets, on straight tracks through the scenario's user grids along each grid's longer
    side (O1's grids are rows across the street stacked along it, so a track is a column:
    UG1's run 550 m along the main street), at ``ue_speed_mps = 8.33`` m/s (30 km/h, TR
    38.913 Sec. 6.1's vehicular speed), one step per ``step_duration_s = 0.1`` s (0.83 m),
    with the channel of the nearest grid user; at a track's end it continues on a uniformly
    drawn track with probability ``street_change_probability = 0.5``, else it turns back
    (:mod:`~wmoe.envs.multi_bs_reception.mobility`). Only users with a path lie on tracks.
    A change of the cooperative set costs: the step's rate is lost for
    ``reassociation_latency_s = 0.03`` s of the 0.1 s step (30 % of it), the order of TS
    38.133 Sec. 6.1.1's handover interruption time (``T_interrupt = T_IU + 20 ms processing
    + T_Delta + 2 ms margin``, tens of ms in FR1). So actions shape the future: the set
    chosen now is the current set of the next step, and the observation includes it.

    ## Action Space

    As :class:`MultiBSReceptionRSRPV1Env`: ``Discrete(816)``, the next cooperative set.

    ## Observation Space

    ``Box(0, 1, (36,), float32)``: the 18 RSRP reports (index / 126), then the current set
    (1 for each of its 3 BSs, else 0).

    ## Rewards

    The joint-MMSE sum rate [bit/s/Hz] (layers capped at 7.4063 bit/s/Hz) of the chosen set,
    times 0.7 when it differs from the current set. ``info["reassociated"]`` says when.

    ## Starting State

    A uniformly drawn grid user (with a path) with a uniform heading along its track,
    served by its 3 strongest BSs (initial access).

    ## Episode End

    Never terminates; truncates after ``episode_length = 64`` steps (6.4 s, 53 m).

    ## Arguments

    ``gym.make("wmoe/MultiBSReceptionMobility-v1", config={...})`` with the keys of
    :class:`~wmoe.envs.multi_bs_reception.config.ReceptionMobilityV1Config` (table below).
    ``info`` adds ``ue_position_m`` (x, y) [m]. Baselines: those of the RSRP variant and
    ``hysteresis_handover`` (A3-style, 3 dB offset); ``oracle`` is the best set and TPMI of
    each step, re-association cost included (myopic: it does not plan ahead). The reference is
    ``upper_bound`` (:mod:`~wmoe.envs.multi_bs_reception.bounds`): the UEs of an episode do
    not depend on the actions, so the best return over its known trajectory (a Viterbi search
    over the sets with the re-association cost) bounds any policy's return on it, and
    replaying its plan from the same seed earns it. See :class:`MultiBSReceptionV1Env` for
    the headroom tables.

    ## Vectorized environment

    ``gym.make_vec("wmoe/MultiBSReceptionMobility-v1", num_envs=n)`` returns the native
    batched ``MultiBSReceptionMobilityV1VectorEnv``, equal to ``SyncVectorEnv`` over the same
    seeds.

    ## Version History

    * v1: initial version (a variant of ``wmoe/MultiBSReception-v1``). 2026-12-03: the UE
      moves along the streets; before, along the grids' rows, which in both synthetic
      scenarios cross the street (36 m), so it went back and forth across the street and
      jumped between rows. Also v1's new default scenario and ``active_users_only``.
    """

    binding_class = ReceptionMobilityV1Binding
    binding: ReceptionMobilityV1Binding


class MultiBSReceptionWidebandV1Env(MultiBSReceptionEnv):
    """``wmoe/MultiBSReceptionWideband-v1``: the v1 bandit over 8 sub-bands, coloured interference.

    ## Description

    :class:`MultiBSReceptionV1Env` (each step a new uniformly drawn UE, observed by its
    location; the agent picks the set and the TPMI) with two v1 keys set that make the
    physics frequency- and interference-aware:

    * ``num_subbands = 8``: the 100 MHz carrier is cut into 8 sub-bands of 12.5 MHz; the
      channel of every BS is evaluated at each sub-band's centre frequency from the ray-traced
      paths (each path's complex gain times ``exp(-j 2 pi f tau_p)``, :mod:`wmoe.phy.wideband`),
      and the rate is the mean over sub-bands of the MMSE sum rate, each layer capped at the
      256-QAM MCS ceiling. One set and one TPMI serve the whole band (a wideband TPMI, TS
      38.214 Sec. 6.1.1.1), so the carrier-optimal choice is no longer the optimum where the
      channel is frequency-selective.
    * ``interference = "coloured"``: the ``num_interferers = 6`` co-channel UEs (drawn once
      with ``interferer_seed`` from all users of the scenario, as the white model's) send one
      layer each on the dominant eigenvector of their channel to their strongest BS, at the
      TS 38.213 Sec. 7.1.1 open-loop power ``min(P_CMAX, P0 + 10 log10(2^mu M_RB) + alpha
      PL)`` (P0 = -100 dBm, alpha = 0.8, 273 RB at 30 kHz). The set's joint MMSE receiver
      whitens their stacked covariance ``R = sigma^2 I + sum_i p_i g_i g_i^H``; its Gram
      ``H_S^H R^{-1} H_S`` is computed per set from per-BS cached terms by the Woodbury
      identity (:mod:`wmoe.phy.interference`). Which BSs are combined thus changes which
      interferers can be nulled. ``interferer_activity = 1`` (full buffer); below 1 each
      interferer transmits in a step with that probability, drawn from the env's generator
      (then the baselines that call the core without the step's activity, such as
      ``oracle``, optimise for the mean covariance).

    ## Action Space

    As v1: ``Discrete(C(18, 3) * 62) = Discrete(50592)`` (a set and a TPMI) by default.

    ## Observation Space

    As v1: ``Box(0, 1, (2,), float32)``, the UE's normalised (x, y). ``observe_interference``
    gives each BS's mean interference over thermal (the activity-weighted received
    interference power per port over the noise, averaged over sub-bands).

    ## Rewards

    The mean over the 8 sub-bands of the joint-MMSE sum rate [bit/s/Hz] in the coloured
    interference, each layer capped at 7.4063 bit/s/Hz.

    ## Starting State

    A uniformly drawn user.

    ## Episode End

    Never terminates; truncates after ``episode_length = 64`` steps.

    ## Arguments

    ``gym.make("wmoe/MultiBSReceptionWideband-v1", config={...})`` with the keys of
    :class:`~wmoe.envs.multi_bs_reception.config.ReceptionWidebandV1Config` (table below).
    The channel cache holds per (user, BS, sub-band) ``H_b^H H_b`` and ``H_b^H G_b`` (see
    :mod:`wmoe.scenarios.channel_cache`): 2.1 GiB for the default scenario's 48,347 users
    (0.83 GiB Grams, 1.25 GiB interferer terms; v1's is 106 MiB; 1.35 GiB for the 30,821
    users of ``o1_synthetic_3p5``), built on first use (minutes); ``user_stride`` keeps a
    share of the users.

    Why 8 sub-bands, and what the two changes do (small test scenario, 60 users, the rate
    averaged over 32 sub-bands as reference): the carrier-optimal (set, TPMI) is the best
    choice on 50 % of the 32 sub-bands (49 % with coloured interference) and reaches 98.1 %
    of the wideband optimum on average (worst user 87 %); choosing on 4 sub-bands reaches
    99.7 % (worst 97.6 %), on 8 sub-bands 99.8 % (worst 98.4 %). With coloured instead of
    white interference (narrowband) the oracle's set changes for 44 % of the users, and the
    white-optimal choice keeps 99.7 % of the coloured optimum (worst user 94.7 %).

    ## Headroom

    As :class:`MultiBSReceptionV1Env`'s table, on every 4th user of the default scenario
    (``user_stride=4``: 12,088 users, a temporary cache), v1 beside this id, 10 episodes
    from seed 1,000,000, measured 2026-12-03 on ``o1_geometry_3p5`` (the tables of
    ``benchmarks/headroom/multi_bs_reception.py --env wmoe/MultiBSReception-v1 --env
    wmoe/MultiBSReceptionWideband-v1 --config '{"user_stride": 4}'``; the full scenario's
    cache takes minutes to build), each baseline's mean return as a share of the upper bound
    (equal to the oracle's here: no re-association cost):

    ===================  ===============  ================
    policy               v1               Wideband-v1
    ===================  ===============  ================
    random               622.3 (33.4 %)   621.4 (33.3 %)
    strongest_n          1702.5 (91.4 %)  1738.8 (93.2 %)
    strongest_n_genie    1702.5 (91.4 %)  1738.8 (93.2 %)
    hysteresis_handover  1689.8 (90.7 %)  1723.9 (92.4 %)
    best_sinr_n          1720.4 (92.4 %)  1739.4 (93.2 %)
    nearest_n            1553.3 (83.4 %)  1599.6 (85.7 %)
    nearest_n_fixed      1398.1 (75.1 %)  1458.2 (78.2 %)
    knn_oracle           1776.0 (95.4 %)  1830.9 (98.1 %)
    oracle               1862.1 (100 %)   1865.5 (100 %)
    ===================  ===============  ================

    The 256-QAM ceiling still binds (the oracle reaches 29.1 of 29.6 bit/s/Hz per step):
    averaging over the band and whitening the interferers move which choice is best for
    many users but hardly the headroom over the classical rules (7 % here, 5-6 % on the
    O1-like ``o1_synthetic_3p5``).

    ## Vectorized environment

    ``gym.make_vec("wmoe/MultiBSReceptionWideband-v1", num_envs=n)`` returns the native
    batched ``MultiBSReceptionWidebandV1VectorEnv``, equal to ``SyncVectorEnv`` over the
    same seeds (also with ``interferer_activity < 1``: each sub-env draws from its own
    generator).

    ## Version History

    * v1: initial version (a variant of ``wmoe/MultiBSReception-v1``).
    """

    binding_class = ReceptionWidebandV1Binding
    binding: ReceptionWidebandV1Binding

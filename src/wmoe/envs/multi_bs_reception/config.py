"""Config schemas of ``wmoe/MultiBSReception-v0`` and its v1 variants: keys, units and ranges."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo

from wmoe.config import ConfigSchema, Flag, Int, Number, Text, setting
from wmoe.phy.nr_codebooks import TPMI_PORT_COUNTS
from wmoe.phy.nr_measurements import SUBCARRIERS_PER_RB
from wmoe.phy.nr_power_control import MAX_RESOURCE_BLOCKS
from wmoe.phy.nr_srs import SRS_SNR_HIGH_DB, SRS_SNR_LOW_DB
from wmoe.scenarios.synthetic_o1 import O1GeometryConfig, SyntheticO1Config

SYNTHETIC_SCENARIO = SyntheticO1Config().name
O1_GEOMETRY_SCENARIO = O1GeometryConfig().name
# NR uplink carries at most 4 layers (3GPP TS 38.211 Sec. 6.3.1.3).
NR_MAX_UPLINK_LAYERS = 4
# O1 has 18 BSs; the action space enumerates the C(18, N) cooperative sets.
MAX_BASE_STATIONS = 18
# Resource blocks of a 100 MHz carrier at 30 kHz subcarrier spacing (TS 38.101-1 Table 5.3.2-1).
FULL_CARRIER_RB = 273

CodebookName = Literal["dft", "3gpp-2port", "tpmi"]
SeCeiling = Literal["none", "mcs-64qam", "mcs-256qam"]
PrecoderSelection = Literal["agent", "expert"]
UserSequence = Literal["uniform", "trajectory", "mobility"]
Interference = Literal["white", "coloured"]
# Sub-bands of the Wideband-v1 preset: 100 MHz in 8 x 12.5 MHz (~34 RB at 30 kHz each).
WIDEBAND_SUBBANDS = 8


class ReceptionConfig(ConfigSchema):
    """Config of the multi-BS coordinated reception env (survey case study, Sec. V-A)."""

    scenarios_dir: Text | None = setting(
        None,
        "folder of DeepMIMO scenario folders; null: <data dir>/deepmimo_scenarios "
        "($WMOE_DATA_DIR or ~/.cache/wmoe). Put DeepMIMO's ray-traced 'o1_3p5' there for real O1",
    )
    scenario: Text = setting(
        SYNTHETIC_SCENARIO,
        "scenario folder name; the default is wmoe's synthetic O1-like scenario, written on "
        "first use (any other missing scenario is an error)",
    )
    cache_dir: Text | None = setting(None, "channel cache folder; null: <data dir>/cache")
    user_grids: Annotated[list[Annotated[Int, Field(ge=0)]], Field(min_length=1)] | None = setting(
        None,
        "RX set ids of the user grids to keep (DeepMIMO O1: 0, 1, 2 for UG1-UG3); null: "
        "every RX set that is not a TX set",
    )
    user_stride: Int = setting(
        1,
        "keep every k-th user of each kept grid (in the scenario's user order); 1 keeps all",
        unit="count",
        ge=1,
        le=1_000_000,
    )
    num_cooperating_bs: Int = setting(
        3, "N, BSs in the cooperative set", unit="count", ge=1, le=MAX_BASE_STATIONS
    )
    bs_panel: list[Annotated[Int, Field(ge=1, le=8)]] = setting(
        [2, 2],
        "(horizontal, vertical) elements per polarisation of each BS's cross-polarised UPA",
        unit="count",
        min_length=2,
        max_length=2,
    )
    ue_antennas: Int = setting(
        4, "elements of the UE's single-polarised ULA", unit="count", ge=1, le=8
    )
    codebook: CodebookName = setting(
        "dft",
        "UE precoder codebook, ranks 1..max_rank: oversampled DFT; 'tpmi': every TPMI of the "
        "TS 38.211 Sec. 6.3.1.5 PUSCH tables (Tables 6.3.1.5-1, -3 to -7; ue_antennas 2 or 4); "
        "'3gpp-2port': the same for ue_antennas = 2 only",
    )
    codebook_oversampling: Int = setting(2, "DFT oversampling factor", ge=1, le=8)
    codebook_dedup: Flag = setting(
        False,
        "drop codewords that repeat an earlier one up to column order and phase (same rate "
        "for every channel; the DFT codebook of 4 antennas has 6 such rank-4 repeats)",
    )
    se_ceiling: SeCeiling = setting(
        "none",
        "cap each layer's rate log2(1 + SINR) at the highest spectral efficiency of a TS 38.214 "
        "MCS table: 'mcs-64qam' Table 5.1.3.1-1 (5.5547 bit/s/Hz), 'mcs-256qam' Table "
        "5.1.3.1-2 (7.4063 bit/s/Hz); 'none': uncapped Shannon rate",
    )
    max_rank: Int = setting(
        NR_MAX_UPLINK_LAYERS,
        "highest number of layers (streams) of a codeword; at most ue_antennas",
        unit="count",
        ge=1,
        le=NR_MAX_UPLINK_LAYERS,
    )
    tx_power_dbm: Number = setting(
        23.0, "UE transmit power (3GPP power class 3: 23 dBm)", unit="dBm", ge=-40.0, le=40.0
    )
    noise_figure_db: Number = setting(5.0, "BS receiver noise figure", unit="dB", ge=0.0, le=20.0)
    bandwidth_hz: Number = setting(
        100e6, "noise bandwidth (a 100 MHz NR carrier in band n78)", unit="Hz", ge=1e3, le=2e9
    )
    action_type: Literal["discrete", "multi_discrete", "continuous"] = setting(
        "discrete",
        "'discrete': one index over (set, precoder); 'multi_discrete': [set, precoder]; "
        "'continuous': scores in [-1, 1] per BS (the top N form the set) and per codeword",
    )
    precoder_selection: PrecoderSelection = setting(
        "agent",
        "'agent': the action picks the precoder; 'expert': the env applies the best precoder "
        "for the chosen set (the case study's expert knowledge; in NR the gNB picks the TPMI "
        "from the UE's SRS, TS 38.214 Sec. 6.1.1.1)",
    )
    num_interferers: Int = setting(
        6,
        "co-channel UEs of other cells at fixed positions with TS 38.213 Sec. 7.1.1 fractional "
        "power control towards their strongest BS; 0 disables interference",
        unit="count",
        ge=0,
        le=100,
    )
    interferer_seed: Int = setting(0, "seed of the interferer positions", ge=0)
    interferer_p0_dbm: Number = setting(
        -80.0, "power control target P0 (TS 38.213 range)", unit="dBm", ge=-202.0, le=24.0
    )
    interferer_alpha: Number = setting(
        0.8, "fractional path-loss compensation alpha", ge=0.0, le=1.0
    )
    interferer_num_rb: Int | None = setting(
        None,
        "resource blocks M_RB each interferer is allocated: adds TS 38.213 Sec. 7.1.1's "
        "bandwidth term 10 log10(2^mu M_RB) to its power (273 fills 100 MHz at 30 kHz); "
        "null: no bandwidth term (P0 per 15 kHz resource block)",
        unit="count",
        ge=1,
        le=MAX_RESOURCE_BLOCKS,
    )
    subcarrier_spacing_khz: Literal[15, 30, 60, 120] = setting(
        30,
        "subcarrier spacing 15 * 2^mu (TS 38.211 Table 4.2-1) of the interferers' allocation "
        "(with interferer_num_rb) and of the BSs' reference signals (with observe_rsrp)",
        unit="kHz",
    )
    observe_position: Flag = setting(
        True, "observe the UE's (x, y), normalised to the user area (the case study's state)"
    )
    observe_rsrp: Flag = setting(
        False,
        "append each BS's measured RSRP as the UE reports it: the TS 38.133 Table 10.1.6.1-1 "
        "index RSRP_0..RSRP_126 (1 dB steps over -156..-31 dBm) divided by 126",
    )
    rsrp_error_std_db: Number = setting(
        2.0,
        "standard deviation of the Gaussian RSRP measurement error, independent per BS and "
        "report (2 dB: 95 % of errors within the +-4.5 dB absolute accuracy of TS 38.133 "
        "Sec. 10.1.2)",
        unit="dB",
        ge=0.0,
        le=20.0,
    )
    bs_tx_power_dbm: Number = setting(
        46.0,
        "BS total downlink power, spread evenly over bs_num_rb resource blocks: the reference "
        "signal power per resource element of the RSRP (an assumption; 46 dBm over 273 RB: "
        "10.85 dBm per RE)",
        unit="dBm",
        ge=0.0,
        le=80.0,
    )
    bs_num_rb: Int = setting(
        FULL_CARRIER_RB,
        "resource blocks of the BSs' downlink carrier (273: 100 MHz at 30 kHz, TS 38.101-1 "
        "Table 5.3.2-1)",
        unit="count",
        ge=1,
        le=MAX_RESOURCE_BLOCKS,
    )
    observe_current_set: Flag = setting(
        False, "append the current cooperative set (1 for each of its BSs, else 0)"
    )
    observe_rx_power: Flag = setting(
        False, "append each BS's per-antenna receive SNR to the observation [dB / 50] (genie)"
    )
    observe_interference: Flag = setting(
        False, "append each BS's interference over thermal to the observation [dB / 20] (genie)"
    )
    user_sequence: UserSequence = setting(
        "uniform",
        "'uniform': a fresh uniform user each step; 'trajectory': walk DeepMIMO's user order; "
        "'mobility': a UE moves along the grid rows (streets) at ue_speed_mps, with the channel "
        "of the nearest grid user",
    )
    ue_speed_mps: Number = setting(
        8.33,
        "UE speed of 'mobility' (8.33 m/s = 30 km/h, the vehicular UE speed of TR 38.913 Sec. 6.1)",
        unit="m/s",
        ge=0.0,
        le=100.0,
    )
    step_duration_s: Number = setting(
        0.1, "time between decisions (one step)", unit="s", ge=1e-3, le=10.0
    )
    street_change_probability: Number = setting(
        0.5,
        "probability that a 'mobility' UE reaching a row end continues on a uniformly drawn "
        "row instead of turning back",
        ge=0.0,
        le=1.0,
    )
    reassociation_latency_s: Number = setting(
        0.0,
        "interruption when the cooperative set changes: the step's rate is lost for this time "
        "of step_duration_s (TS 38.133 Sec. 6.1.1 handover interruption, ~30 ms); 0: free",
        unit="s",
        ge=0.0,
        le=10.0,
    )
    trajectory_step_users: Int = setting(
        1, "users advanced per step of 'trajectory'", unit="count", ge=1, le=100_000
    )
    episode_length: Int = setting(64, "steps before truncation", unit="steps", ge=1, le=1_000_000)
    info_oracle: Flag = setting(
        False, "add the exhaustive-search oracle rate and the regret to info"
    )
    mask_unreachable_bs: Flag = setting(True, "action_masks() excludes BSs with no path to the UE")

    @model_validator(mode="after")
    def _antenna_counts(self) -> ReceptionConfig:
        if self.max_rank > self.ue_antennas:
            raise ValueError(
                f"max_rank={self.max_rank} exceeds ue_antennas={self.ue_antennas}: a UE sends "
                f"at most one layer per antenna; set max_rank <= {self.ue_antennas}"
            )
        if self.codebook == "3gpp-2port" and self.ue_antennas != 2:
            raise ValueError(
                f"codebook='3gpp-2port' needs ue_antennas=2 (the two-port tables of TS 38.211), "
                f"got ue_antennas={self.ue_antennas}; set ue_antennas=2 or codebook='dft'"
            )
        if self.codebook == "tpmi" and self.ue_antennas not in TPMI_PORT_COUNTS:
            raise ValueError(
                f"codebook='tpmi' needs ue_antennas=2 or 4 (TS 38.211 has PUSCH tables for 2 "
                f"and 4 ports), got ue_antennas={self.ue_antennas}; set ue_antennas to 2 or 4 "
                "or codebook='dft'"
            )
        if self.interferer_num_rb is not None:
            self._check_fits_bandwidth("interferer_num_rb", self.interferer_num_rb)
        if self.observe_rsrp:
            self._check_fits_bandwidth("bs_num_rb", self.bs_num_rb)
        if not self._observes_something():
            raise ValueError(
                "every observe_* key is False, so the observation would be empty; set "
                "observe_position or observe_rsrp to True"
            )
        if self.reassociation_latency_s > self.step_duration_s:
            raise ValueError(
                f"reassociation_latency_s={self.reassociation_latency_s} exceeds "
                f"step_duration_s={self.step_duration_s}: an interruption longer than a step "
                "is not modelled; shorten the latency or lengthen the step"
            )
        return self

    def _observes_something(self) -> bool:
        """Whether any ``observe_*`` key adds a part to the observation."""
        return (
            self.observe_position
            or self.observe_rsrp
            or self.observe_current_set
            or self.observe_rx_power
            or self.observe_interference
        )

    def _check_fits_bandwidth(self, key: str, num_rb: int) -> None:
        """Raise if ``num_rb`` resource blocks do not fit into ``bandwidth_hz``."""
        rb_hz = SUBCARRIERS_PER_RB * self.subcarrier_spacing_khz * 1e3
        if num_rb * rb_hz > self.bandwidth_hz:
            raise ValueError(
                f"{key}={num_rb} resource blocks of 12 x {self.subcarrier_spacing_khz} kHz "
                f"subcarriers occupy {num_rb * rb_hz:g} Hz, more than bandwidth_hz="
                f"{self.bandwidth_hz:g}; use at most {int(self.bandwidth_hz // rb_hz)} "
                "resource blocks"
            )


def _default(key: str, value: Any, schema: type[ReceptionConfig] = ReceptionConfig) -> Any:
    """The ``schema`` field ``key`` (meaning, unit, range) with another default."""
    field: FieldInfo = schema.model_fields[key]
    return FieldInfo.merge_field_infos(field, default=value)


V1_INTERFERER_P0_DBM = -100.0
"""P0 of the v1 interferers: with 273 RB the median interference over thermal is a few dB."""


class ReceptionV1Config(ReceptionConfig):
    """Config of ``wmoe/MultiBSReception-v1``: the v0 keys with 3GPP-grounded defaults.

    Also the v1-only keys of a wideband channel, spatially coloured interference and an
    SRS-based CSI observation.
    """

    scenario: Text = setting(
        O1_GEOMETRY_SCENARIO,
        "scenario folder name; the default is wmoe's synthetic scenario in O1's published "
        f"geometry (UG1-UG3), written on first use like v0's default {SYNTHETIC_SCENARIO!r} "
        "(any other missing scenario is an error)",
    )
    active_users_only: Flag = setting(
        True,
        "draw users (and label the k-NN baseline's users) only among those with a path to at "
        "least one BS, DeepMIMO's active users; a UE with no path has rate 0 whatever the "
        "action (O1's UG3 reaches into the buildings)",
    )
    codebook: CodebookName = _default("codebook", "tpmi")
    se_ceiling: SeCeiling = _default("se_ceiling", "mcs-256qam")
    interferer_num_rb: Int | None = _default("interferer_num_rb", FULL_CARRIER_RB)
    interferer_p0_dbm: Number = _default("interferer_p0_dbm", V1_INTERFERER_P0_DBM)
    num_subbands: Int = setting(
        1,
        "S equal sub-bands of bandwidth_hz: the channel at each sub-band's centre frequency "
        "(each ray-traced path with its delay), the rate the mean over sub-bands of the MMSE "
        "sum rate (each layer capped by se_ceiling); 1: narrowband, at the carrier",
        unit="count",
        ge=1,
        le=64,
    )
    interference: Interference = setting(
        "white",
        "'white': each BS's interference over thermal from the interferers' mean gains, added "
        "to its noise (the same for every UE and set); 'coloured': the interferers' own "
        "channels (one layer each, on its dominant eigenvector towards its strongest BS), "
        "whitened by the set's joint MMSE receiver",
    )
    interferer_activity: Number = setting(
        1.0,
        "with 'coloured': probability that an interferer transmits in a step, drawn each step "
        "from the env's generator (1: full buffer, always)",
        ge=0.0,
        le=1.0,
    )

    observe_srs: Flag = setting(
        False,
        "append each BS's wideband SRS SNR as the network measures it from the UE's uplink "
        "sounding reference signal (TS 38.211 Sec. 6.4.1.4): the received SRS power per "
        "resource element, BS port and UE port (tx_power_dbm split over the ue_antennas ports, "
        "TS 38.213 Sec. 7.3.1; mean over sub-bands) over the thermal noise, with a Gaussian "
        f"error of srs_error_std_db, rounded to srs_quantization_db and clipped to "
        f"{SRS_SNR_LOW_DB:g}..{SRS_SNR_HIGH_DB:g} dB, mapped linearly onto [0, 1]",
    )
    srs_error_std_db: Number = setting(
        1.0,
        "standard deviation of the Gaussian SRS SNR measurement error, independent per BS and "
        "step (an assumption: a wideband estimate averages many resource elements)",
        unit="dB",
        ge=0.0,
        le=20.0,
    )
    srs_quantization_db: Number = setting(
        1.0,
        "resolution of the observed SRS SNR: rounded to a multiple of it (ties to even)",
        unit="dB",
        ge=0.1,
        le=20.0,
    )

    def _observes_something(self) -> bool:
        """Whether any ``observe_*`` key, v1's ``observe_srs`` included, adds a part."""
        return super()._observes_something() or self.observe_srs

    @model_validator(mode="after")
    def _coloured_needs_interferers(self) -> ReceptionV1Config:
        if self.interference == "coloured" and self.num_interferers == 0:
            raise ValueError(
                "interference='coloured' needs num_interferers >= 1 (0 leaves nothing to "
                "whiten); set num_interferers, or interference='white' for no interference"
            )
        return self


class ReceptionRSRPV1Config(ReceptionV1Config):
    """Config of ``wmoe/MultiBSReceptionRSRP-v1``: v1, observing measured RSRP reports."""

    observe_position: Flag = _default("observe_position", False)
    observe_rsrp: Flag = _default("observe_rsrp", True)
    precoder_selection: PrecoderSelection = _default("precoder_selection", "expert")


class ReceptionMobilityV1Config(ReceptionRSRPV1Config):
    """Config of ``wmoe/MultiBSReceptionMobility-v1``: moving UEs, re-association costs."""

    user_sequence: UserSequence = _default("user_sequence", "mobility")
    observe_current_set: Flag = _default("observe_current_set", True)
    reassociation_latency_s: Number = _default("reassociation_latency_s", 0.03)


class ReceptionWidebandV1Config(ReceptionV1Config):
    """Config of ``wmoe/MultiBSReceptionWideband-v1``: v1 over sub-bands, coloured interference."""

    num_subbands: Int = _default("num_subbands", WIDEBAND_SUBBANDS, ReceptionV1Config)
    interference: Interference = _default("interference", "coloured", ReceptionV1Config)

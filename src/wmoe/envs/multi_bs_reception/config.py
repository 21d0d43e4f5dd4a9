"""Config schema of ``wmoe/MultiBSReception-v0``: every key with its default, unit and range."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from wmoe.config import ConfigSchema, Flag, Int, Number, Text, setting
from wmoe.phy.nr_codebooks import TPMI_PORT_COUNTS
from wmoe.phy.nr_power_control import MAX_RESOURCE_BLOCKS
from wmoe.scenarios.synthetic_o1 import SyntheticO1Config

SYNTHETIC_SCENARIO = SyntheticO1Config().name
# NR uplink carries at most 4 layers (3GPP TS 38.211 Sec. 6.3.1.3).
NR_MAX_UPLINK_LAYERS = 4
# O1 has 18 BSs; the action space enumerates the C(18, N) cooperative sets.
MAX_BASE_STATIONS = 18


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
    codebook: Literal["dft", "3gpp-2port", "tpmi"] = setting(
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
    se_ceiling: Literal["none", "mcs-64qam", "mcs-256qam"] = setting(
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
    precoder_selection: Literal["agent", "expert"] = setting(
        "agent",
        "'agent': the action picks the precoder; 'expert': the env applies the best precoder "
        "for the chosen set (the case study's expert knowledge)",
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
        "subcarrier spacing 15 * 2^mu of the interferers' allocation (TS 38.211 Table 4.2-1); "
        "used only with interferer_num_rb",
        unit="kHz",
    )
    observe_rx_power: Flag = setting(
        False, "append each BS's per-antenna receive SNR to the observation [dB / 50]"
    )
    observe_interference: Flag = setting(
        False, "append each BS's interference over thermal to the observation [dB / 20]"
    )
    user_sequence: Literal["uniform", "trajectory"] = setting(
        "uniform",
        "'uniform': a fresh uniform user each step; 'trajectory': walk DeepMIMO's user order",
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
            occupied_hz = self.interferer_num_rb * 12 * self.subcarrier_spacing_khz * 1e3
            if occupied_hz > self.bandwidth_hz:
                raise ValueError(
                    f"interferer_num_rb={self.interferer_num_rb} resource blocks of 12 x "
                    f"{self.subcarrier_spacing_khz} kHz subcarriers occupy {occupied_hz:g} Hz, "
                    f"more than bandwidth_hz={self.bandwidth_hz:g}; allocate at most "
                    f"{int(self.bandwidth_hz // (12 * self.subcarrier_spacing_khz * 1e3))} "
                    "resource blocks"
                )
        return self

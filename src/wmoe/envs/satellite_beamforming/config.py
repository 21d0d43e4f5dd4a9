"""Configuration of ``wmoe/SatelliteBeamforming-v0``: defaults, band presets and validation."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from wmoe.phy.geo_coexistence import GEO_PROTECTION_I_OVER_N_DB
from wmoe.phy.ntn_channel import NTN_SCENARIOS

ACTION_TYPES = ("continuous", "multi_discrete", "discrete")
USER_DISTRIBUTIONS = ("uniform", "clustered")
REWARD_TYPES = ("spectral_efficiency", "energy_efficiency")


@dataclass(frozen=True)
class BandPreset:
    """Link parameters of one band, 3GPP TR 38.821 V16.1.0 Table 6.1.1.1-1 (LEO-600, Set-1).

    Attributes:
        carrier_hz: Downlink carrier [Hz].
        bandwidth_hz: Downlink bandwidth of the satellite [Hz].
        eirp_density_dbw_per_mhz: Satellite EIRP density per beam [dBW/MHz].
        satellite_max_gain_dbi: Satellite antenna gain the EIRP density refers to [dBi].
        array_size: UPA elements (along-track, cross-track) whose boresight gain (with the
            8 dBi element) is close to ``satellite_max_gain_dbi``.
        ue_gain_dbi: User terminal antenna gain [dBi].
        ue_g_over_t_db_per_k: User terminal G/T [dB/K]; the noise temperature is
            ``ue_gain_dbi - ue_g_over_t_db_per_k`` [dBK].
        footprint_radius_m: Radius of the served area [m] (a few beam widths).
        ntn_band: Column of the TR 38.811 shadow-fading and clutter tables.
    """

    carrier_hz: float
    bandwidth_hz: float
    eirp_density_dbw_per_mhz: float
    satellite_max_gain_dbi: float
    array_size: tuple[int, int]
    ue_gain_dbi: float
    ue_g_over_t_db_per_k: float
    footprint_radius_m: float
    ntn_band: str


BAND_PRESETS: dict[str, BandPreset] = {
    # Ka band: 20 GHz, 400 MHz, 4 dBW/MHz, 38.5 dBi (0.5 m aperture); VSAT 39.7 dBi, G/T
    # 15.9 dB/K (60 cm dish). 32 x 32 elements: 38.1 dBi, 3 dB beam ~33 km wide at nadir.
    "ka": BandPreset(20e9, 400e6, 4.0, 38.5, (32, 32), 39.7, 15.9, 100e3, "ka"),
    # S band: 2 GHz, 30 MHz, 34 dBW/MHz, 30 dBi (2 m aperture); handheld 0 dBi, G/T
    # -31.6 dB/K (7 dB noise figure). 12 x 12 elements: 29.6 dBi, beam ~90 km wide.
    "s": BandPreset(2e9, 30e6, 34.0, 30.0, (12, 12), 0.0, -31.6, 250e3, "s"),
}


def default_config() -> dict[str, Any]:
    """Return the default configuration (units in the key names; sources in the comments)."""
    return {
        "band": "ka",  # "ka" or "s": preset of BAND_PRESETS (TR 38.821 Table 6.1.1.1-1)
        "num_users": 8,  # K users, one beam each [count]
        "num_subbands": 4,  # C sub-bands (frequency-reuse colours) of equal width [count]
        "altitude_m": 600e3,  # LEO altitude (TR 38.821 Sec. 6.1, LEO-600) [m]
        # Served area: centre latitude/longitude. At 5 deg N the GEO is 84 deg high, so a LEO
        # pass crosses the GEO terminals' lines of sight (the in-line interference case).
        "reference_latitude_deg": 5.0,  # [deg]
        "reference_longitude_deg": 0.0,  # [deg]
        "pass_heading_deg": 0.0,  # ground-track azimuth of the pass, clockwise from north [deg]
        # The ground track misses the area centre by U(-x, x) across track, per episode [m].
        "max_cross_track_offset_m": 100e3,
        "step_s": 2.0,  # time between decisions [s]
        "episode_length": 64,  # steps of one pass (64 x 2 s: elevation > ~45 deg) [count]
        "footprint_radius_m": None,  # radius of the served area; None: band preset [m]
        "user_distribution": "uniform",  # "uniform" in the disc, or "clustered" hot spots
        "num_clusters": 2,  # hot spots of "clustered" [count]
        "cluster_std_m": 8e3,  # per-axis spread of users around their hot spot [m]
        "user_speed_mps": 10.0,  # speed of every user, random direction [m/s]
        "arrival_probability": 0.05,  # per user and step: a new user replaces it [-]
        "ntn_scenario": "suburban_rural",  # TR 38.811 Sec. 6.6 scenario of the user links
        # A rain event covers the area for the whole pass with this probability, at a rate
        # drawn log-uniformly in rain_rate_range_mm_per_h (ITU-R P.838-3 / P.618-13).
        "rain_probability": 0.1,  # [-]
        "rain_rate_range_mm_per_h": [1.0, 50.0],  # [mm/h]
        # A beam may take up to beam_power_cap times the equal share P_total / K (flexible
        # payload), the total never exceeding P_total = K x TR 38.821's per-beam power.
        "beam_power_cap": 3.0,  # [-], >= 1
        "num_geo_terminals": 4,  # GEO earth stations in the area; 0: no GEO [count]
        "geo_longitude_deg": 0.0,  # orbital longitude of the GEO satellite [deg]
        "geo_dish_diameter_m": 0.6,  # GEO terminal dish (the TR 38.821 VSAT size) [m]
        "geo_i_over_n_threshold_db": GEO_PROTECTION_I_OVER_N_DB,  # -12.2 dB (S.1323/S.1432)
        "geo_penalty_per_db": 0.05,  # reward lost per dB of I/N above it, per terminal
        # Outdated CSI: the fading known to the satellite is as old as the round trip
        # 2 d / c plus csi_processing_delay_s, decorrelated by Jakes' J0(2 pi f_D tau).
        "outdated_csi": False,
        "csi_processing_delay_s": 0.01,  # [s]
        "reward_type": "spectral_efficiency",  # or "energy_efficiency"
        "pa_efficiency": 0.35,  # power-amplifier efficiency (energy model only) [-]
        "circuit_power_w": 1.0,  # static payload power (energy model only) [W]
        "action_type": "continuous",  # "continuous", "multi_discrete" or "discrete"
        "power_levels": 5,  # per-beam levels of "multi_discrete": 0, 1/4, ..., 1 of the cap
    }


def _number(config: dict[str, Any], key: str, low: float, strict: bool) -> None:
    value = config[key]
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < low or (strict and value == low):
        bound = f"> {low:g}" if strict else f">= {low:g}"
        raise ValueError(f"config[{key!r}]={value!r} is invalid; expected a finite number {bound}")


def _integer(config: dict[str, Any], key: str, low: int) -> None:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"config[{key!r}]={value!r} is invalid; expected an int >= {low}")


def check_config(config: dict[str, Any]) -> None:
    """Raise a ``ValueError`` naming the first invalid value of a full config."""
    for key, valid in (
        ("band", tuple(BAND_PRESETS)),
        ("action_type", ACTION_TYPES),
        ("user_distribution", USER_DISTRIBUTIONS),
        ("reward_type", REWARD_TYPES),
        ("ntn_scenario", NTN_SCENARIOS),
    ):
        if config[key] not in valid:
            raise ValueError(
                f"config[{key!r}]={config[key]!r} is invalid; valid: {', '.join(valid)}"
            )
    for key, low in (("num_users", 1), ("num_subbands", 1), ("episode_length", 1)):
        _integer(config, key, low)
    for key, low in (("num_clusters", 1), ("power_levels", 2), ("num_geo_terminals", 0)):
        _integer(config, key, low)
    for key in ("altitude_m", "step_s", "cluster_std_m", "geo_dish_diameter_m", "pa_efficiency"):
        _number(config, key, 0.0, strict=True)
    for key in (
        "max_cross_track_offset_m",
        "user_speed_mps",
        "arrival_probability",
        "rain_probability",
        "geo_penalty_per_db",
        "csi_processing_delay_s",
        "circuit_power_w",
    ):
        _number(config, key, 0.0, strict=False)
    _number(config, "beam_power_cap", 1.0, strict=False)
    for key in ("arrival_probability", "rain_probability", "pa_efficiency"):
        if config[key] > 1.0:
            raise ValueError(f"config[{key!r}]={config[key]!r} is invalid; expected <= 1")
    for key in ("reference_latitude_deg", "reference_longitude_deg", "pass_heading_deg"):
        _number(config, key, -math.inf, strict=False)
    _number(config, "geo_longitude_deg", -math.inf, strict=False)
    _number(config, "geo_i_over_n_threshold_db", -math.inf, strict=False)
    if abs(config["reference_latitude_deg"]) > 80.0:
        raise ValueError(
            f"config['reference_latitude_deg']={config['reference_latitude_deg']!r} is "
            "invalid; expected |latitude| <= 80 deg"
        )
    if config["footprint_radius_m"] is not None:
        _number(config, "footprint_radius_m", 0.0, strict=True)
    rates = config["rain_rate_range_mm_per_h"]
    if (
        not isinstance(rates, list | tuple)
        or len(rates) != 2
        or not all(isinstance(r, int | float) and math.isfinite(r) for r in rates)
        or not 0.0 < rates[0] <= rates[1]
    ):
        raise ValueError(
            f"config['rain_rate_range_mm_per_h']={rates!r} is invalid; expected [low, high] "
            "in mm/h with 0 < low <= high, e.g. [1.0, 50.0]"
        )

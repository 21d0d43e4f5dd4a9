"""Config schema of ``wmoe/SatelliteBeamforming-v0``: band presets and every key with its range."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, model_validator

from wmoe.config import ConfigSchema, Flag, Int, Number, setting
from wmoe.envs.satellite_beamforming import geometry
from wmoe.phy.geo_coexistence import GEO_PROTECTION_I_OVER_N_DB
from wmoe.phy.ntn_channel import ELEVATION_GRID_DEG

MIN_ELEVATION_DEG = float(ELEVATION_GRID_DEG[0])
"""Lowest elevation of the TR 38.811 tables [deg] (10 deg); the core rejects any user below it."""
CLUSTER_SPREAD_STDS = 4.0
"""Standard deviations of a hot spot's spread counted in the served area by the pass rule."""
# LEO altitudes of 3GPP TR 38.811 V15.4.0 Table 4.1-1 [m].
LEO_ALTITUDE_RANGE_M = (300e3, 1500e3)
# Ground distance at which a LEO at 1500 km is seen at 10 deg elevation: ~2600 km; the radius
# and offset bounds below stay well inside it (the pass rule checks the actual geometry) [m].
MAX_GROUND_DISTANCE_M = 1500e3


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


class SatelliteConfig(ConfigSchema):
    """Config of the LEO multibeam downlink with GEO coexistence (sources in the meanings)."""

    band: Literal["ka", "s"] = setting(
        "ka",
        "band preset of BAND_PRESETS: carrier, bandwidth, EIRP, array and terminals of "
        "TR 38.821 V16.1.0 Table 6.1.1.1-1 (Ka: 20 GHz VSAT; S: 2 GHz handheld)",
    )
    num_users: Int = setting(8, "K users, one beam each", unit="count", ge=1, le=64)
    num_subbands: Int = setting(
        4, "C sub-bands (frequency-reuse colours) of equal width", unit="count", ge=1, le=16
    )
    altitude_m: Number = setting(
        600e3,
        "LEO altitude (TR 38.821 Sec. 6.1 LEO-600; LEO range of TR 38.811 Table 4.1-1)",
        unit="m",
        ge=LEO_ALTITUDE_RANGE_M[0],
        le=LEO_ALTITUDE_RANGE_M[1],
    )
    reference_latitude_deg: Number = setting(
        5.0,
        "latitude of the served area's centre; at 5 deg N the GEO is 84 deg high, so a LEO pass "
        "crosses the GEO terminals' lines of sight (the in-line interference case)",
        unit="deg",
        ge=-80.0,
        le=80.0,
    )
    reference_longitude_deg: Number = setting(
        0.0, "longitude of the served area's centre", unit="deg", ge=-180.0, le=180.0
    )
    pass_heading_deg: Number = setting(
        0.0,
        "ground-track azimuth of the pass, clockwise from north",
        unit="deg",
        ge=-360.0,
        le=360.0,
    )
    max_cross_track_offset_m: Number = setting(
        100e3,
        "the ground track misses the area centre by U(-x, x) across track, drawn per episode",
        unit="m",
        ge=0.0,
        le=MAX_GROUND_DISTANCE_M,
    )
    step_s: Number = setting(2.0, "time between decisions", unit="s", gt=0.0, le=60.0)
    episode_length: Int = setting(
        64,
        "decisions of one pass, centred on the closest approach (64 x 2 s at 600 km: above "
        "43 deg everywhere in the area); the pass must keep the satellite above 10 deg",
        unit="steps",
        ge=1,
        le=100_000,
    )
    footprint_radius_m: Number | None = setting(
        None,
        "radius of the served area; null: the band preset's (Ka 100 km, S 250 km)",
        unit="m",
        gt=0.0,
        le=MAX_GROUND_DISTANCE_M,
    )
    user_distribution: Literal["uniform", "clustered"] = setting(
        "uniform", "'uniform' in the served disc, or 'clustered' around hot spots"
    )
    num_clusters: Int = setting(2, "hot spots of 'clustered'", unit="count", ge=1, le=64)
    cluster_std_m: Number = setting(
        8e3, "per-axis spread of users around their hot spot", unit="m", gt=0.0, le=100e3
    )
    user_speed_mps: Number = setting(
        10.0,
        "speed of every user, in a random direction (NTN terminals range up to aircraft at "
        "1000 km/h = 278 m/s, TR 38.821)",
        unit="m/s",
        ge=0.0,
        le=300.0,
    )
    arrival_probability: Number = setting(
        0.05, "per user and step: a newly arrived user replaces it", ge=0.0, le=1.0
    )
    ntn_scenario: Literal["dense_urban", "urban", "suburban_rural"] = setting(
        "suburban_rural", "TR 38.811 Sec. 6.6 scenario of the user links (LOS, shadowing, clutter)"
    )
    rain_probability: Number = setting(
        0.1,
        "probability that a rain event covers the area for the whole pass",
        ge=0.0,
        le=1.0,
    )
    rain_rate_range_mm_per_h: list[Annotated[Number, Field(gt=0.0, le=250.0)]] = setting(
        [1.0, 50.0],
        "[low, high] of the rain rate of a rain event, drawn log-uniformly (attenuation of "
        "ITU-R P.838-3 / P.618-13; ITU-R P.837-7's R0.01 stays below ~150 mm/h)",
        unit="mm/h",
        min_length=2,
        max_length=2,
    )
    beam_power_cap: Number = setting(
        3.0,
        "a beam may take up to this many times the equal share P_total / K (flexible payload); "
        "the total never exceeds P_total = K x TR 38.821's per-beam power",
        ge=1.0,
        le=64.0,
    )
    num_geo_terminals: Int = setting(
        4, "GEO earth stations in the area; 0: no GEO", unit="count", ge=0, le=64
    )
    geo_longitude_deg: Number = setting(
        0.0, "orbital longitude of the GEO satellite", unit="deg", ge=-180.0, le=180.0
    )
    geo_dish_diameter_m: Number = setting(
        0.6,
        "GEO terminal dish diameter (the TR 38.821 VSAT size; ITU-R S.465 off-axis pattern)",
        unit="m",
        ge=0.3,
        le=15.0,
    )
    geo_i_over_n_threshold_db: Number = setting(
        GEO_PROTECTION_I_OVER_N_DB,
        "protection I/N of a GEO terminal: -12.2 dB, Delta T / T = 6 % (ITU-R S.1323/S.1432); "
        "at least the -60 dB floor of the computed I/N",
        unit="dB",
        ge=-60.0,
        le=0.0,
    )
    geo_penalty_per_db: Number = setting(
        0.05,
        "reward lost per dB of I/N above the threshold, per GEO terminal",
        unit="1/dB",
        ge=0.0,
        le=10.0,
    )
    outdated_csi: Flag = setting(
        False,
        "the fading known to the satellite is as old as the round trip 2 d / c plus "
        "csi_processing_delay_s, decorrelated by Jakes' J0(2 pi f_D tau)",
    )
    csi_processing_delay_s: Number = setting(
        0.01, "CSI processing delay added to the round trip", unit="s", ge=0.0, le=1.0
    )
    reward_type: Literal["spectral_efficiency", "energy_efficiency"] = setting(
        "spectral_efficiency",
        "users' mean spectral efficiency, or that scaled by full over consumed power",
    )
    pa_efficiency: Number = setting(
        0.35, "power-amplifier efficiency (energy model only)", gt=0.0, le=1.0
    )
    circuit_power_w: Number = setting(
        1.0, "static payload power (energy model only)", unit="W", ge=0.0, le=10e3
    )
    action_type: Literal["continuous", "multi_discrete", "discrete"] = setting(
        "continuous",
        "'continuous': Box scores; 'multi_discrete': power level, colour and precoder "
        "indices; 'discrete': 72 composite schemes",
    )
    power_levels: Int = setting(
        5,
        "per-beam power levels of 'multi_discrete': 0, 1/(L-1), ..., 1 of the cap",
        unit="count",
        ge=2,
        le=64,
    )

    @model_validator(mode="after")
    def _rain_range(self) -> SatelliteConfig:
        low, high = self.rain_rate_range_mm_per_h
        if low > high:
            raise ValueError(
                f"rain_rate_range_mm_per_h={self.rain_rate_range_mm_per_h!r} has low > high; "
                f"give [low, high] in mm/h, e.g. [{high!r}, {low!r}]"
            )
        return self

    def area_radius_m(self, episode_length: int) -> float:
        """Radius around the area centre that holds every user and GEO terminal of a pass [m].

        The served disc, widened by the users' drift over the pass and, for ``"clustered"``,
        by :data:`CLUSTER_SPREAD_STDS` standard deviations around the hot spots (a Gaussian
        spread has no bound: a user beyond it is rare, not impossible).

        Args:
            episode_length: Decisions per pass.
        """
        radius = self.footprint_radius_m
        if radius is None:
            radius = BAND_PRESETS[self.band].footprint_radius_m
        radius += self.user_speed_mps * self.step_s * episode_length
        if self.user_distribution == "clustered":
            radius += CLUSTER_SPREAD_STDS * self.cluster_std_m
        return radius

    def lowest_elevation_deg(self, episode_length: int) -> float:
        """Lowest elevation of the satellite from any user or GEO terminal in a pass [deg].

        Args:
            episode_length: Decisions per pass (the other keys as configured).
        """
        return geometry.lowest_elevation_deg(
            altitude_m=self.altitude_m,
            step_s=self.step_s,
            episode_length=episode_length,
            area_radius_m=self.area_radius_m(episode_length),
            max_cross_track_offset_m=self.max_cross_track_offset_m,
            heading_deg=self.pass_heading_deg,
            reference_latitude_deg=self.reference_latitude_deg,
            reference_longitude_deg=self.reference_longitude_deg,
        )

    def longest_episode(self) -> int:
        """The largest ``episode_length`` up to the configured one that the pass rule accepts.

        The other keys stay as configured; 0 if even one step is too long. The lowest
        elevation falls as the pass gets longer, so a bisection finds it.
        """
        if self.lowest_elevation_deg(self.episode_length) >= MIN_ELEVATION_DEG:
            return self.episode_length
        accepted, rejected = 0, self.episode_length
        while rejected - accepted > 1:
            middle = (accepted + rejected) // 2
            if self.lowest_elevation_deg(middle) >= MIN_ELEVATION_DEG:
                accepted = middle
            else:
                rejected = middle
        return accepted

    @model_validator(mode="after")
    def _pass_geometry(self) -> SatelliteConfig:
        # Users need 10 deg (TR 38.811 tables); GEO terminals, drawn in the served disc, need
        # 5 deg (gases, rain): the users' widened area at 10 deg covers both.
        elevation = self.lowest_elevation_deg(self.episode_length)
        if elevation >= MIN_ELEVATION_DEG:
            return self
        radius = self.footprint_radius_m
        area = (
            f"footprint_radius_m={radius!r}"
            if radius is not None
            else f"footprint_radius_m=None (band {self.band!r}: "
            f"{BAND_PRESETS[self.band].footprint_radius_m:g} m)"
        )
        clustered = self.user_distribution == "clustered"
        spread = f", cluster_std_m={self.cluster_std_m!r}" if clustered else ""
        widening = "footprint_radius_m, max_cross_track_offset_m, user_speed_mps"
        widening += ", cluster_std_m" if clustered else ""
        longest = self.longest_episode()
        fix = (
            f"shorten the pass (episode_length <= {longest} with the other keys as they are, "
            f"or a smaller step_s), raise altitude_m, or shrink the area ({widening})"
            if longest
            else f"even a one-step pass is too long: raise altitude_m or shrink the area "
            f"({widening})"
        )
        raise ValueError(
            f"the pass is too long for its geometry: with altitude_m={self.altitude_m!r}, "
            f"step_s={self.step_s!r}, episode_length={self.episode_length!r}, {area}, "
            f"max_cross_track_offset_m={self.max_cross_track_offset_m!r}, "
            f"user_speed_mps={self.user_speed_mps!r}{spread}, the satellite is seen at "
            f"{elevation:.1f} deg elevation from the edge of the area at an end of the pass, "
            f"below the {MIN_ELEVATION_DEG:g} deg minimum of the TR 38.811 channel tables; "
            f"{fix}"
        )

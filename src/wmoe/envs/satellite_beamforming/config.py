"""Config schemas of ``wmoe/SatelliteBeamforming-v0`` and ``-v1``: band presets, every key, ranges.

:class:`SatelliteConfig` holds the keys of the simulator core (v0's defaults switch every
sequential, traffic and rate-splitting feature off); :class:`SatelliteV1Config` adds the
per-episode task draws of v1 and changes the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

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
GEO_LAYOUTS = ("uniform", "hot_spot", "near_users")
"""Layouts of the GEO terminals: uniform in the served disc (v0), around one hot spot (a town
of VSATs), or each beside a user (the in-line worst case)."""
USER_DISTRIBUTIONS = ("uniform", "clustered")
"""Values of ``user_distribution``, in the order of ``user_distribution_weights``."""
REWARD_PROFILES = ("balanced", "protect_geo", "low_latency")
"""Reward-weight profiles of v1: ``balanced`` (``geo_penalty_per_db``,
``backlog_cost_per_bit_per_hz``), ``protect_geo`` (``protect_geo_penalty_per_db`` instead of
the first) and ``low_latency`` (``low_latency_backlog_cost`` instead of the second)."""
GEO_PENALTY_CAP = 0.5
"""Default ``geo_penalty_cap`` of v1 [reward per GEO terminal and step]. With the four default
terminals, ignoring the GEO costs up to 2 per step, about the reference's whole rate term (~1.7
bit/s/Hz), so in S band a GEO-blind planner returns ~0 per episode against ~105; and the span
``R_ref - R_random`` of the leaderboard's score stays within a factor ~2 across the bands and
reward profiles (unbounded, a random S-band ``protect_geo`` episode returned about -8,800).
Measurements: the Headroom section of ``SatelliteBeamformingV1Env``."""
TASK_WEIGHT_KEYS = {
    "band_weights": ("band", ("ka", "s")),
    "user_distribution_weights": ("user_distribution", USER_DISTRIBUTIONS),
    "geo_layout_weights": ("geo_layout", GEO_LAYOUTS),
    "reward_profile_weights": ("reward_profile", REWARD_PROFILES),
}
"""Task factors drawn per episode by v1: weights key -> (fixed key, choices in weight order)."""


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
    channel_memory: Literal["independent", "gauss_markov"] = setting(
        "independent",
        "'independent': LOS state and shadow fading drawn anew each step (TR 38.811 "
        "marginals); 'gauss_markov': a two-state LOS Markov chain (Lutz et al. 1991) and AR(1) "
        "shadowing (Gudmundson 1991) with those marginals, decorrelating over the distance "
        "the user and its line of sight through the clutter move",
    )
    shadowing_correlation_distance_m: Number = setting(
        37.0,
        "decorrelation distance of the shadow fading of 'gauss_markov' (TR 38.901 Table 7.5-6: "
        "37 m LOS, UMa and RMa, whose procedure TR 38.811 Sec. 6.7 carries over)",
        unit="m",
        gt=0.0,
        le=10e3,
    )
    los_correlation_distance_m: Number = setting(
        50.0,
        "decorrelation distance of the LOS state of 'gauss_markov' (TR 38.901 Sec. 7.6.3.3, "
        "UMa: 50 m)",
        unit="m",
        gt=0.0,
        le=10e3,
    )
    clutter_height_m: Number = setting(
        20.0,
        "height of the obstacles round a user: as the elevation changes, the line of sight "
        "crosses them h |cot(el') - cot(el)| further along ('gauss_markov' only)",
        unit="m",
        ge=0.0,
        le=200.0,
    )
    traffic: Literal["full_buffer", "queues"] = setting(
        "full_buffer",
        "'full_buffer': every user takes any rate; 'queues': users have backlogs fed by "
        "random arrivals, and only backlogged bits can be served",
    )
    traffic_load_range_se: list[Annotated[Number, Field(gt=0.0, le=50.0)]] = setting(
        [0.5, 6.0],
        "[low, high] of each user's mean arrival rate, drawn log-uniformly per user and "
        "episode, in bit/s per Hz of the band ('queues')",
        unit="bit/s/Hz",
        min_length=2,
        max_length=2,
    )
    max_backlog_bit_per_hz: Number = setting(
        40.0,
        "backlog a user's buffer holds, in bits per Hz of the band; arrivals beyond are dropped",
        unit="bit/Hz",
        gt=0.0,
        le=1e4,
    )
    backlog_cost_per_bit_per_hz: Number = setting(
        0.0,
        "reward lost per bit/Hz of mean backlog left after serving ('queues'; the 'balanced' "
        "profile of v1)",
        unit="1/(bit/Hz)",
        ge=0.0,
        le=10.0,
    )
    rate_splitting: Flag = setting(
        False,
        "add a common stream (1-layer RSMA): the action also sets its share of the power "
        "budget; every user decodes it first, by SIC (Mao, Clerckx and Li 2018)",
    )
    beam_switch_cost: Number = setting(
        0.0,
        "reward lost per beam whose sub-band differs from the previous step's (retuning and "
        "signalling), as a share of the K beams",
        ge=0.0,
        le=10.0,
    )
    power_change_cost: Number = setting(
        0.0,
        "reward lost per unit of the beams' mean |change of power / cap| from the previous step "
        "(payload reconfiguration)",
        ge=0.0,
        le=10.0,
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
    def _ranges(self) -> SatelliteConfig:
        for key, unit in (
            ("rain_rate_range_mm_per_h", "mm/h"),
            ("traffic_load_range_se", "bit/s/Hz"),
        ):
            low, high = getattr(self, key)
            if low > high:
                raise ValueError(
                    f"{key}={getattr(self, key)!r} has low > high; give [low, high] in {unit}, "
                    f"e.g. [{high!r}, {low!r}]"
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
        served = self.served_radius_m()
        spread = CLUSTER_SPREAD_STDS * self.cluster_std_m
        users = served + self.user_speed_mps * self.step_s * episode_length
        if "clustered" in self.possible("user_distribution"):
            users += spread
        terminals = served
        if set(self.possible("geo_layout")) - {"uniform"}:  # beside a hot spot or a user
            terminals += spread * (1 + ("clustered" in self.possible("user_distribution")))
        return max(users, terminals)

    def possible(self, key: str) -> tuple[str, ...]:
        """The values a task factor (``band``, ``user_distribution``, ...) can take in an episode.

        Args:
            key: A task factor; v0 has no draws, so it is the configured value (``geo_layout``:
                ``"uniform"``).
        """
        return (str(getattr(self, key, "uniform")),)

    def served_radius_m(self) -> float:
        """Radius of the served disc [m]: the configured one, else the largest of the bands."""
        if self.footprint_radius_m is not None:
            return self.footprint_radius_m
        return max(BAND_PRESETS[band].footprint_radius_m for band in self.possible("band"))

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
            else f"footprint_radius_m=None (band {' or '.join(map(repr, self.possible('band')))}: "
            f"{self.served_radius_m():g} m)"
        )
        clustered = "clustered" in self.possible("user_distribution") or bool(
            set(self.possible("geo_layout")) - {"uniform"}
        )
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


Weight = Annotated[Number, Field(ge=0.0, le=1e3)]
TwoWeights = Annotated[list[Weight], Field(min_length=2, max_length=2)]
ThreeWeights = Annotated[list[Weight], Field(min_length=3, max_length=3)]


def _weights(default: list[float] | None, factor: str, choices: tuple[str, ...]) -> Any:
    """A ``*_weights`` key of a task factor: relative weights of its choices, or null."""
    return setting(
        default,
        f"relative weights of {', '.join(map(repr, choices))}, drawn per episode; null: "
        f"always the '{factor}' key",
    )


class SatelliteV1Config(SatelliteConfig):
    """Config of ``wmoe/SatelliteBeamforming-v1``: v0's keys with v1's defaults, plus task draws.

    Each task factor (band, user distribution, GEO layout, reward profile) is either fixed by
    its key or, when its ``*_weights`` list is given, drawn per episode with probabilities
    proportional to the weights (the order of :data:`TASK_WEIGHT_KEYS`).
    """

    geo_penalty_per_db: Number = setting(
        0.2,
        "reward lost per dB of I/N above the threshold, per GEO terminal ('balanced' and "
        "'low_latency' profiles)",
        unit="1/dB",
        ge=0.0,
        le=10.0,
    )
    geo_penalty_cap: Number | None = setting(
        GEO_PENALTY_CAP,
        "most reward one GEO terminal can cost per step: its penalty is cap (1 - exp(-w x / "
        "cap)), x its dB of I/N above the threshold and w the profile's penalty per dB (slope w "
        "at the threshold, saturating at cap; see GEO_PENALTY_CAP); null: unbounded w x (v0's)",
        unit="reward",
        gt=0.0,
        le=100.0,
    )
    channel_memory: Literal["independent", "gauss_markov"] = setting(
        "gauss_markov", SatelliteConfig.model_fields["channel_memory"].description or ""
    )
    traffic: Literal["full_buffer", "queues"] = setting(
        "queues", SatelliteConfig.model_fields["traffic"].description or ""
    )
    backlog_cost_per_bit_per_hz: Number = setting(
        0.02,
        SatelliteConfig.model_fields["backlog_cost_per_bit_per_hz"].description or "",
        unit="1/(bit/Hz)",
        ge=0.0,
        le=10.0,
    )
    rate_splitting: Flag = setting(
        True, SatelliteConfig.model_fields["rate_splitting"].description or ""
    )
    beam_switch_cost: Number = setting(
        0.05,
        SatelliteConfig.model_fields["beam_switch_cost"].description or "",
        ge=0.0,
        le=10.0,
    )
    power_change_cost: Number = setting(
        0.05,
        SatelliteConfig.model_fields["power_change_cost"].description or "",
        ge=0.0,
        le=10.0,
    )
    geo_layout: Literal["uniform", "hot_spot", "near_users"] = setting(
        "uniform",
        "GEO terminals uniform in the disc, around one hot spot (cluster_std_m), or each "
        "beside a random user (cluster_std_m)",
    )
    reward_profile: Literal["balanced", "protect_geo", "low_latency"] = setting(
        "balanced", "reward weights; see REWARD_PROFILES"
    )
    protect_geo_penalty_per_db: Number = setting(
        2.0,
        "GEO penalty per dB of the 'protect_geo' profile",
        unit="1/dB",
        ge=0.0,
        le=10.0,
    )
    low_latency_backlog_cost: Number = setting(
        0.1,
        "backlog cost of the 'low_latency' profile",
        unit="1/(bit/Hz)",
        ge=0.0,
        le=10.0,
    )
    band_weights: TwoWeights | None = _weights([1.0, 1.0], "band", ("ka", "s"))
    user_distribution_weights: TwoWeights | None = _weights(
        [1.0, 1.0], "user_distribution", USER_DISTRIBUTIONS
    )
    geo_layout_weights: ThreeWeights | None = _weights([1.0, 1.0, 1.0], "geo_layout", GEO_LAYOUTS)
    reward_profile_weights: ThreeWeights | None = _weights(
        [1.0, 1.0, 1.0], "reward_profile", REWARD_PROFILES
    )
    expose_task: Flag = setting(
        True,
        "append the episode's task as one-hot blocks (band, user distribution, GEO layout, "
        "reward profile) to the observation",
    )

    @model_validator(mode="after")
    def _task_weights(self) -> SatelliteV1Config:
        for key in TASK_WEIGHT_KEYS:
            weights = getattr(self, key)
            if weights is None:
                continue
            if sum(weights) <= 0.0:
                raise ValueError(
                    f"{key}={weights!r} sums to 0; give at least one positive weight, or null "
                    "to use the fixed key"
                )
        return self

    def possible(self, key: str) -> tuple[str, ...]:
        """The values a task factor can take: those of positive weight, else the fixed key."""
        for weights_key, (factor, choices) in TASK_WEIGHT_KEYS.items():
            weights = getattr(self, weights_key)
            if factor == key and weights is not None:
                drawn = tuple(c for c, w in zip(choices, weights, strict=True) if w > 0.0)
                return drawn or choices  # all zero: _task_weights rejects it
        return super().possible(key)

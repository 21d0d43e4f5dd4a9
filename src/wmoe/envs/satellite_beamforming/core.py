"""Batched simulator of a LEO multibeam downlink sharing its band with a GEO system.

Model, per env (SI units; dB only in the config, the observation and ``info``):

* **Pass.** A LEO satellite on a circular orbit (``altitude_m``, Kepler period) flies over the
  served area on a ground track of azimuth ``pass_heading_deg`` that misses the area centre
  by a cross-track offset drawn per episode; the episode spans ``episode_length`` decisions
  ``step_s`` apart, centred on the closest approach (:mod:`.geometry`,
  :func:`wmoe.phy.orbits.satellite_positions`). The config schema admits only passes that keep
  the satellite above the 10 deg of the TR 38.811 tables for every user and GEO terminal.
* **Users.** ``K`` users in a disc of ``footprint_radius_m`` (uniform, or around hot spots),
  each moving straight at ``user_speed_mps``; each step a user is replaced by a newly arrived
  one with ``arrival_probability``. Slant range and elevation come from the geometry
  (:func:`wmoe.phy.orbits.slant_range_and_elevation`).
* **Satellite antenna.** A nadir-pointing UPA (band preset, e.g. 32 x 32 at Ka band) forms one
  beam per user (a documented simplification: ``B = K``). Every beamformer is a combination of
  the steering vectors towards users and GEO terminals, so all gains follow from their Gram
  matrix in closed form (:mod:`wmoe.phy.satellite_antennas`); the 3GPP element pattern
  weights each direction.
* **Channel.** User ``k``'s channel is rank one, ``h_k = c_k sqrt(gamma_k) a_k`` (You et al.,
  IEEE JSAC 38(8), 2020: scatterers near the user, none near the satellite): ``a_k`` the
  steering vector, ``gamma_k`` the large-scale gain over the noise density,
  ``G_E G_UE / (PL k T)``, with ``PL`` of 3GPP TR 38.811 Sec. 6.6 (free space, LOS drawn from
  the elevation, shadow fading, clutter, gases above 10 GHz) plus rain (ITU-R P.838-3 /
  P.618-13, :mod:`wmoe.phy.rain`), and ``c_k`` shadowed-Rician fading (Abdi et al. 2003,
  average shadowing, unit power), drawn anew each step (steps are seconds apart).
* **CSI.** The satellite knows the geometry (ephemeris and reported positions) and the fading,
  exactly by default; with ``outdated_csi`` it knows ``rho c_k + sqrt(1 - rho^2) e_k`` with
  ``e_k ~ CN(0, 1)`` and ``rho = J0(2 pi f_D tau)``, ``tau = 2 d / c + csi_processing_delay_s``
  (round-trip feedback delay) and ``f_D`` the user's Doppler (Jakes; :mod:`wmoe.phy.fading`).
* **Frequency reuse.** The band ``W`` has ``C`` equal sub-bands; each beam uses one sub-band
  (a colour) or all of them (full reuse, enabled by precoding; Vazquez et al., "Precoding in
  multibeam satellite communications", IEEE Wireless Commun. 23(6), 2016). A beam's power is
  spread evenly over its sub-bands.
* **Precoders.** A codebook of six linear precoders computed per sub-band over the beams that
  use it, from the known channels: matched filter (MRT, the conventional fixed beam towards
  the user), regularised ZF with the equal-power regulariser ``K sigma^2 / P`` and ZF
  (Peel, Hochwald and Swindlehurst, IEEE Trans. Commun. 53(1), 2005), each also with nulls
  towards the GEO terminals (projection onto the orthogonal complement of their steering
  vectors). Columns have unit norm.
* **SINR and reward.** In sub-band ``s``, user ``k`` with power ``p_k,s`` gets
  ``SINR = p_k,s g_kk / (sum_{j != k in s} p_j,s g_kj + W / C)`` with
  ``g_kj = |c_k|^2 gamma_k |a_k^H w_j|^2``; its spectral efficiency is
  ``sum_s (1 / C) log2(1 + SINR)`` [bit/s/Hz of the whole band]. The reward is the mean over
  users, minus ``geo_penalty_per_db`` per dB by which each GEO terminal's I/N exceeds
  ``geo_i_over_n_threshold_db`` (v1: bounded per terminal by ``geo_penalty_cap``, see
  :func:`geo_penalty`); with ``reward_type = "energy_efficiency"`` the rate term is
  scaled by ``P_full / P_consumed`` (power model ``P_tx / eta_PA + P_circuit``; G. Auer et al.,
  IEEE Wireless Commun. 18(5), 2011), equal to the spectral efficiency at full power.
* **GEO terminals.** ``num_geo_terminals`` earth stations in the area point their dishes at a
  GEO satellite (:mod:`wmoe.phy.geo_coexistence`); the LEO's beams reach them through the
  array response and their off-axis gain (ITU-R S.465), over free space, gases and rain (LOS,
  no clutter: roof-top dishes). Their I/N is taken in the worst sub-band. They stand uniformly
  in the disc, or (``geo_layout``, per env) around one hot spot or each beside a user.

Features of v1, each off in v0's config (see :mod:`.config`):

* **Channel memory** (``channel_memory="gauss_markov"``). The LOS state of each user follows a
  two-state Markov chain (the good/bad-state land-mobile-satellite model of E. Lutz et al.,
  IEEE Trans. Veh. Technol. 40(2), 1991) whose stationary LOS probability is TR 38.811
  Table 6.6.1-1's at the current elevation ``p`` and whose second eigenvalue is
  ``lambda = exp(-dx / d_LOS)``: ``P(LOS -> LOS) = p + (1 - p) lambda``,
  ``P(NLOS -> LOS) = p (1 - lambda)``. The shadow fading is ``sigma_SF(el, LOS) z`` with ``z`` a
  unit Gauss-Markov process, ``z' = rho z + sqrt(1 - rho^2) n``, ``rho = exp(-dx / d_SF)``
  (M. Gudmundson, Electron. Lett. 27(23), 1991; correlation distances of TR 38.901
  Table 7.5-6 and Sec. 7.6.3.3, whose spatial-consistency procedure TR 38.811 Sec. 6.7 reuses).
  ``dx`` is the distance the user moves in a step plus the distance its line of sight moves
  through the clutter, ``h |cot(el') - cot(el)|`` (a documented geometric simplification).
  A newly arrived user starts from the stationary law. Small-scale fading stays independent
  (its coherence time is milliseconds; steps are seconds apart).
* **Traffic** (``traffic="queues"``). User ``k`` has a backlog ``Q_k`` [bit/Hz of the band];
  each step ``A_k = a_k dt E`` arrive (``E ~ Exp(1)``, a fluid queue with exponentially
  distributed batch volumes; ``a_k`` log-uniform per user and episode, in bit/s/Hz), after
  the service ``min(Q_k, R_k dt)``; the buffer holds ``max_backlog_bit_per_hz``. The rate term
  of the reward counts served bits only, and ``backlog_cost`` charges the mean backlog left.
* **Rate splitting** (``rate_splitting``): 1-layer RSMA (Y. Mao, B. Clerckx and V. O. K. Li,
  "Rate-splitting multiple access for downlink communication systems", EURASIP J. Wireless
  Commun. Netw. 2018:133; B. Clerckx et al., IEEE Commun. Mag. 54(10), 2016; for multibeam
  satellites L. Yin and B. Clerckx, IEEE Trans. Commun. 69(3), 2021). A common stream of
  power ``P_c = f_c P_total`` on the dominant left singular vector of the known channel (the
  SVD-based common precoder of Mao et al., Sec. 4) spans every sub-band; the private beams
  share ``(1 - f_c) P_total``. Every user decodes the common stream first, treating all
  private beams of the sub-band as noise, and removes it by SIC; its rate is
  ``sum_s (1 / C) min_k log2(1 + SINR_c,k,s)`` (decodable by all). It is split in proportion
  to the users' demand left after their private rates (equally under full buffer), which
  maximises the served bits. GEO terminals receive the common stream too.
* **Switching costs**: ``beam_switch_cost`` per beam whose sub-band changed (as a share of
  ``K``) and ``power_change_cost`` per unit of the mean ``|change of power / cap|``.

State is held as arrays with a leading batch dimension; each env draws from its own
``numpy.random.Generator`` in the order a single env does, so a batch of ``B`` reproduces
``B`` single envs seeded alike. v0 calls each env's generator once per quantity; v1
(``block_draws``) takes each step's draws of an env in two calls, a block of uniforms
(:class:`~wmoe.envs.batch_draws.UniformBlock`: normals by Box-Muller, exponentials by
inversion) and the gamma variates of the fading, and transforms them for the whole batch at
once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.batch_draws import UniformBlock, standard_gammas
from wmoe.envs.satellite_beamforming.config import BAND_PRESETS, GEO_LAYOUTS, BandPreset
from wmoe.envs.satellite_beamforming.geometry import ground_positions_m, pass_time_s
from wmoe.phy.fading import jakes_correlation, rayleigh_gains
from wmoe.phy.geo_coexistence import geo_position, off_axis_angle_deg
from wmoe.phy.ntn_channel import (
    AVERAGE_SHADOWING,
    clutter_loss_db,
    los_probability,
    shadow_fading_std_db,
    shadowed_rician_from_draws,
    shadowed_rician_gains,
    tr38811_gas_loss_db,
)
from wmoe.phy.orbits import satellite_positions, slant_range_and_elevation
from wmoe.phy.propagation import free_space_path_loss_db
from wmoe.phy.rain import rain_attenuation_db
from wmoe.phy.satellite_antennas import (
    array_frame,
    direction_cosines,
    earth_station_gain_dbi,
    element_gain_db,
    upa_gram,
    upper_triangle,
)
from wmoe.phy.units import BOLTZMANN, SPEED_OF_LIGHT

PRECODERS = ("mrt", "rzf", "zf", "mrt_geo_null", "rzf_geo_null", "zf_geo_null")
"""The precoder codebook, in action order."""
MRT, RZF, ZF = 0, 1, 2
FLOOR_DB = -60.0  # floor of dB values in the observation [dB]
SNR_SCALE_DB = 20.0  # dB values in the observation are divided by this
BACKLOG_SCALE_SE = 10.0  # backlogs in the observation, in steps of 1 bit/s/Hz, are divided by this
_RIDGE = 1e-9  # relative diagonal loading of ZF Gram matrices (coincident users)
# Uniform draws per user of a step's block (v1): arrival, hot spot, radius, angle, heading,
# load and arrival volume, then two for the position normals of a hot-spot user.
STEP_DRAWS_PER_USER = 9


@dataclass(frozen=True)
class Decision:
    """One decoded decision per env, each with a leading env axis.

    Attributes:
        power_fraction: Requested power of each beam as a fraction of its cap, ``(n, K)``.
        colour: Sub-band of each beam, ``0..C-1``, or ``C`` for all sub-bands, ``(n, K)``.
        precoder: Index into :data:`PRECODERS`, ``(n,)``.
        common_fraction: Share of the power budget of the common stream (rate splitting),
            ``(n,)``; None: no common stream.
    """

    power_fraction: NDArray[np.float64]
    colour: NDArray[np.int64]
    precoder: NDArray[np.int64]
    common_fraction: NDArray[np.float64] | None = None

    @staticmethod
    def stack(decisions: Sequence[Decision]) -> Decision:
        """One decision with the rows of ``decisions`` one after another.

        A missing common stream counts as a zero share if any of them has one.
        """
        common = None
        if any(d.common_fraction is not None for d in decisions):
            common = np.concatenate(
                [
                    np.zeros(len(d.precoder)) if d.common_fraction is None else d.common_fraction
                    for d in decisions
                ]
            )
        return Decision(
            np.concatenate([d.power_fraction for d in decisions]),
            np.concatenate([d.colour for d in decisions]),
            np.concatenate([d.precoder for d in decisions]),
            common,
        )

    def rows(self, index: NDArray[np.int64]) -> Decision:
        """The decisions of the rows ``index``."""
        common = None if self.common_fraction is None else self.common_fraction[index]
        return Decision(
            self.power_fraction[index], self.colour[index], self.precoder[index], common
        )


@dataclass(frozen=True)
class Outcome:
    """What a decision yields, per env.

    Attributes:
        user_se: Spectral efficiency of each user [bit/s/Hz of the band], ``(n, K)``: its
            private rate plus its share of the common rate.
        served_se: The part of ``user_se`` that carries backlogged bits (``user_se`` under
            full buffer), ``(n, K)``.
        common_se: Rate of the common stream [bit/s/Hz of the band], ``(n,)``.
        backlog_left: Backlog after the service, before new arrivals [bit/Hz], ``(n, K)``.
        switching_cost: Beam-switching and power-change cost included in the reward, ``(n,)``.
        backlog_cost: Backlog cost included in the reward, ``(n,)``.
        i_over_n_db: I/N of each GEO terminal in its worst sub-band [dB], ``(n, M)``.
        beam_power_w: Transmit power of each beam within the budget [W], ``(n, K)``.
        power_w: Total transmit power [W], ``(n,)``.
        reward: Reward, ``(n,)``.
        penalty: GEO penalty included in the reward, ``(n,)``.
        energy_efficiency: Sum rate over consumed power [bit/J], ``(n,)``.
    """

    user_se: NDArray[np.float64]
    i_over_n_db: NDArray[np.float64]
    beam_power_w: NDArray[np.float64]
    power_w: NDArray[np.float64]
    reward: NDArray[np.float64]
    penalty: NDArray[np.float64]
    energy_efficiency: NDArray[np.float64]
    served_se: NDArray[np.float64]
    common_se: NDArray[np.float64]
    backlog_left: NDArray[np.float64]
    switching_cost: NDArray[np.float64]
    backlog_cost: NDArray[np.float64]


class MatchedFilter(NamedTuple):
    """The matched filter of each env's known channels, as responses on the steering vectors.

    Every precoder of the codebook is ``w_j = A Phi y_j`` for some coefficients ``y_j``
    (``A``: steering vectors towards users and GEO terminals as columns), so its response
    ``a_p^H w_j`` is ``(R Phi y_j)_p`` and its norm ``||w_j||^2 = y_j^H (Phi^H R Phi) y_j``.

    Attributes:
        response: ``R Phi``: the response of each matched-filter column towards each user and
            GEO terminal, ``(n, K+M, K)``.
        q: ``Phi^H R Phi``, ``(n, K, K)``.
    """

    response: NDArray[np.complex128]
    q: NDArray[np.complex128]


class ChannelDraws(NamedTuple):
    """The random parts of a step's channels, one row per env.

    Attributes:
        los_uniforms: ``U[0, 1)`` draws of the LOS states, ``(n, K)``.
        shadow_normals: ``N(0, 1)`` innovations of the shadow fading, ``(n, K)``.
        fading: Shadowed-Rician fading, unit power, ``(n, K)``.
        csi_errors: ``CN(0, 1)`` errors of outdated CSI (zeros without), ``(n, K)``.
    """

    los_uniforms: NDArray[np.float64]
    shadow_normals: NDArray[np.float64]
    fading: NDArray[np.complex128]
    csi_errors: NDArray[np.complex128]


def _squared_magnitude(z: NDArray[np.complex128]) -> NDArray[np.float64]:
    """``|z|^2`` as ``Re^2 + Im^2`` (not ``abs(z)**2``, which rounds through a square root)."""
    return z.real**2 + z.imag**2


def _db(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return 10.0 * np.log10(np.maximum(x, 10.0 ** (FLOOR_DB / 10.0)))


def geo_penalty(
    excess_db: NDArray[np.float64], per_db: NDArray[np.float64], cap: float | None
) -> NDArray[np.float64]:
    """GEO penalty of each env, ``(n,)``: the sum over its terminals of their penalties.

    Unbounded (``cap`` None, v0): ``w x`` per terminal. Bounded (v1): ``cap (1 - exp(-w x /
    cap))``, which rises with slope ``w`` at the threshold, keeps rising with every dB and
    tends to ``cap`` (reached within rounding beyond ~37 ``cap / w`` dB).

    Args:
        excess_db: dB of I/N above the protection threshold of each terminal (``x >= 0``),
            ``(n, M)``.
        per_db: Penalty per dB ``w`` of each env's reward profile, ``(n,)``.
        cap: Most one terminal can cost per step, or None for no bound.
    """
    if cap is None:
        unbounded: NDArray[np.float64] = per_db * excess_db.sum(-1)
        return unbounded
    bounded: NDArray[np.float64] = -cap * np.expm1(-per_db[:, None] * excess_db / cap)
    return bounded.sum(-1)


def split_common_rate(
    common_se: NDArray[np.float64],
    private_se: NDArray[np.float64],
    demand_se: NDArray[np.float64] | None,
) -> NDArray[np.float64]:
    """Each user's share of the common rate, ``(n, K)``.

    In proportion to the demand left after the private rates, and never above it (the rest is
    wasted), which serves the most bits; equal shares when the demand is unbounded.

    Args:
        common_se: Common rate, ``(n,)``.
        private_se: Private rates, ``(n, K)``.
        demand_se: Rates the backlogs could use, ``(n, K)``; None: full buffer.
    """
    k = private_se.shape[-1]
    if demand_se is None:
        return np.repeat(common_se[:, None] / k, k, axis=1)
    residual = np.maximum(demand_se - private_se, 0.0)
    total = residual.sum(-1, keepdims=True)
    scale: NDArray[np.float64] = np.minimum(1.0, common_se[:, None] / np.maximum(total, 1e-300))
    return residual * scale


@dataclass(frozen=True)
class BandLink:
    """The link constants of one band under a config (TR 38.821 Table 6.1.1.1-1).

    Attributes:
        name: Key of :data:`~.config.BAND_PRESETS`.
        preset: The band's preset.
        footprint_radius_m: Radius of the served area [m].
        beam_power_w: Per-beam power of TR 38.821: EIRP density x bandwidth / satellite
            gain [W].
        total_power_w: The satellite's power budget, ``K`` beams' worth [W].
        beam_cap_w: Most power one beam may take [W].
        noise_density_w_per_hz: Noise density of the user terminal [W/Hz].
        cell_size_m: Width of the nadir 3 dB beam, the cells of the four-colour map [m].
    """

    name: str
    preset: BandPreset
    footprint_radius_m: float
    beam_power_w: float
    total_power_w: float
    beam_cap_w: float
    noise_density_w_per_hz: float
    cell_size_m: float

    @staticmethod
    def of(config: dict[str, Any], band: str) -> BandLink:
        """The constants of ``band`` under ``config``."""
        preset = BAND_PRESETS[band]
        radius = config["footprint_radius_m"]
        eirp_dbw = preset.eirp_density_dbw_per_mhz + 10.0 * math.log10(preset.bandwidth_hz / 1e6)
        beam_power_w = 10.0 ** ((eirp_dbw - preset.satellite_max_gain_dbi) / 10.0)
        noise_temperature_k = 10.0 ** ((preset.ue_gain_dbi - preset.ue_g_over_t_db_per_k) / 10.0)
        # Width of the 3 dB beam at nadir, 2 h tan(0.886 / (N d) / 2) (Van Trees 2002).
        beamwidth = 0.886 / (max(preset.array_size) * 0.5)  # [rad], half-wavelength spacing
        return BandLink(
            name=band,
            preset=preset,
            footprint_radius_m=float(preset.footprint_radius_m if radius is None else radius),
            beam_power_w=beam_power_w,
            total_power_w=int(config["num_users"]) * beam_power_w,
            beam_cap_w=config["beam_power_cap"] * beam_power_w,
            noise_density_w_per_hz=BOLTZMANN * noise_temperature_k,
            cell_size_m=2.0 * float(config["altitude_m"]) * math.tan(beamwidth / 2.0),
        )


class SatelliteCore:
    """``batch_size`` LEO downlink environments (see the module docstring).

    Every env has a band (:meth:`set_band`; by default the config's): the band's constants are
    held per env (``carrier_hz``, ``bandwidth_hz``, ``beam_power_w``, ... of shape ``(B,)``,
    ``array_size`` ``(B, 2)``), so envs of several bands step in one batch.

    Args:
        config: A config validated by :class:`~.config.SatelliteConfig`.
        batch_size: Number of environments.
        block_draws: Draw each env's step from one block of uniforms and one gamma call (v1)
            instead of one generator call per quantity (v0); same distributions, other values.
        bands: Bands the envs may take (default: the config's ``band`` only).
    """

    def __init__(
        self,
        config: dict[str, Any],
        batch_size: int,
        block_draws: bool = False,
        bands: Sequence[str] | None = None,
    ) -> None:
        self.config = config
        self.block_draws = block_draws
        self.num_users = k = int(config["num_users"])
        self.num_terminals = m = int(config["num_geo_terminals"])
        self.num_subbands = int(config["num_subbands"])
        self.links = tuple(BandLink.of(config, band) for band in (bands or (config["band"],)))
        b = batch_size
        self.band = np.zeros(b, dtype=np.int64)  # index into self.links
        self.carrier_hz = np.zeros(b)
        self.bandwidth_hz = np.zeros(b)
        self.array_size = np.zeros((b, 2), dtype=np.int64)
        self.num_elements = np.zeros(b, dtype=np.int64)
        self.footprint_radius_m = np.zeros(b)
        self.beam_power_w = np.zeros(b)
        self.total_power_w = np.zeros(b)
        self.beam_cap_w = np.zeros(b)
        self.noise_density_w_per_hz = np.zeros(b)
        self.cell_size_m = np.zeros(b)
        self.set_band(np.arange(b), 0)
        # GEO terminals use the same receiver noise as the VSAT of the preset table.
        self.geo_noise_density_w_per_hz = BOLTZMANN * 10.0 ** ((39.7 - 15.9) / 10.0)
        self.geo_m = geo_position(config["geo_longitude_deg"])
        self.steps = np.zeros(b, dtype=np.int64)
        self.cross_offset_m = np.zeros(b)
        self.user_offsets_m = np.zeros((b, k, 2))  # (east, north) from the area centre
        self.user_velocity_mps = np.zeros((b, k, 2))
        self.cluster_m = np.zeros((b, int(config["num_clusters"]), 2))
        self.terminal_offsets_m = np.zeros((b, m, 2))
        self.terminal_ground_m = np.zeros((b, m, 3))  # Earth-centred; set at reset [m]
        self.rain_rate_mm_per_h = np.zeros(b)
        self.gram = np.zeros((b, k + m, k + m), dtype=np.complex128)
        self.cosines = np.zeros((b, k + m, 3))
        self.gamma = np.ones((b, k))  # user large-scale gain over noise density [1/W * Hz]
        self.geo_gamma = np.zeros((b, m))  # same for the GEO terminals
        self.geo_off_axis_deg = np.zeros((b, m))
        self.fading = np.ones((b, k), dtype=np.complex128)  # true c_k
        self.fading_known = np.ones((b, k), dtype=np.complex128)  # what the satellite knows
        self.previous_i_over_n_db = np.full((b, m), FLOOR_DB)
        self.elevation_deg = np.full((b, k), 90.0)
        # Per-env task (v1 draws them per episode; v0 takes the config's).
        self.clustered = np.full(b, config["user_distribution"] == "clustered")
        self.geo_layout = np.full(b, GEO_LAYOUTS.index(config.get("geo_layout", "uniform")))
        self.geo_penalty_per_db = np.full(b, float(config["geo_penalty_per_db"]))
        self.backlog_cost = np.full(b, float(config["backlog_cost_per_bit_per_hz"]))
        # Channel memory, traffic and the previous decision (v1 features).
        self.markov = config["channel_memory"] == "gauss_markov"
        self.queues = config["traffic"] == "queues"
        self.switching = config["beam_switch_cost"] > 0.0 or config["power_change_cost"] > 0.0
        self.rate_splitting = bool(config["rate_splitting"])
        self.fresh = np.ones((b, k), dtype=np.bool_)  # users without channel history
        self.los = np.ones((b, k), dtype=np.bool_)
        self.shadow_z = np.zeros((b, k))  # unit shadowing process
        self.load_se = np.zeros((b, k))  # mean arrival rate [bit/s/Hz]
        self.backlog = np.zeros((b, k))  # [bit/Hz]
        self.has_previous = np.zeros(b, dtype=np.bool_)
        self.previous_colour = np.zeros((b, k), dtype=np.int64)
        self.previous_fraction = np.zeros((b, k))
        # Satellite position and array axes at each step of the pass, the same in every env.
        self.pass_satellite_m: NDArray[np.float64] = np.zeros((0, 3))
        self.pass_frame: NDArray[np.float64] = np.zeros((0, 3, 3))

    def set_band(self, envs: NDArray[np.int64], band: int) -> None:
        """Put ``envs`` on ``self.links[band]``: their band constants from its preset."""
        link = self.links[band]
        preset = link.preset
        self.band[envs] = band
        self.carrier_hz[envs] = preset.carrier_hz
        self.bandwidth_hz[envs] = preset.bandwidth_hz
        self.array_size[envs] = preset.array_size
        self.num_elements[envs] = preset.array_size[0] * preset.array_size[1]
        self.footprint_radius_m[envs] = link.footprint_radius_m
        self.beam_power_w[envs] = link.beam_power_w
        self.total_power_w[envs] = link.total_power_w
        self.beam_cap_w[envs] = link.beam_cap_w
        self.noise_density_w_per_hz[envs] = link.noise_density_w_per_hz
        self.cell_size_m[envs] = link.cell_size_m

    def band_rows(self, envs: NDArray[np.int64]) -> list[tuple[BandLink, NDArray[np.int64]]]:
        """Each band that holds some of ``envs``, with the positions in ``envs`` of its envs."""
        if len(self.links) == 1:
            return [(self.links[0], np.arange(len(envs)))]
        bands = self.band[envs]
        return [
            (link, np.flatnonzero(bands == index))
            for index, link in enumerate(self.links)
            if np.any(bands == index)
        ]

    # ----------------------------------------------------------------- draws and geometry
    def _disc_points(self, i: int, rng: np.random.Generator, count: int) -> NDArray[np.float64]:
        """``count`` points uniform in env ``i``'s served disc, ``(count, 2)`` [m]."""
        return self._disc(
            self.footprint_radius_m[i], rng.random(count), rng.uniform(0.0, 2.0 * np.pi, count)
        )

    @staticmethod
    def _disc(
        footprint_radius_m: Any, radius_u: NDArray[Any], angle_rad: NDArray[Any]
    ) -> NDArray[np.float64]:
        """Points of a served disc at ``R sqrt(u)`` and an angle, ``(..., 2)`` [m]."""
        radius = footprint_radius_m * np.sqrt(radius_u)
        return np.stack([radius * np.cos(angle_rad), radius * np.sin(angle_rad)], axis=-1)

    def _velocities(self, heading_rad: NDArray[Any]) -> NDArray[np.float64]:
        """Velocities of users moving towards ``heading_rad``, ``(..., 2)`` [m/s]."""
        return self.config["user_speed_mps"] * np.stack(
            [np.cos(heading_rad), np.sin(heading_rad)], -1
        )

    def _new_users(self, i: int, rng: np.random.Generator) -> tuple[NDArray[Any], NDArray[Any]]:
        """Positions and velocities of ``K`` candidate users of env ``i``."""
        k, config = self.num_users, self.config
        if not self.clustered[i]:
            positions = self._disc_points(i, rng, k)
        else:
            centres = self.cluster_m[i][rng.integers(len(self.cluster_m[i]), size=k)]
            positions = centres + config["cluster_std_m"] * rng.standard_normal((k, 2))
        return positions, self._velocities(rng.uniform(0.0, 2.0 * np.pi, k))

    def _new_users_from(
        self, envs: NDArray[np.int64], block: UniformBlock
    ) -> tuple[NDArray[Any], NDArray[Any]]:
        """Positions and velocities of ``K`` candidate users per env of ``envs`` (v1 block)."""
        k, n = self.num_users, len(envs)
        spots = self.cluster_m.shape[1]
        spot = np.minimum(block.uniform(k) * spots, spots - 1).astype(np.int64)
        radius = self.footprint_radius_m[envs][:, None]
        disc = self._disc(radius, block.uniform(k), 2.0 * np.pi * block.uniform(k))
        velocity = self._velocities(2.0 * np.pi * block.uniform(k))
        spread = self.config["cluster_std_m"] * block.normal(2 * k).reshape(n, k, 2)
        around_spots = self.cluster_m[envs[:, None], spot] + spread
        positions = np.where(self.clustered[envs][:, None, None], around_spots, disc)
        return positions, velocity

    def _terminal_points(self, i: int, rng: np.random.Generator) -> NDArray[np.float64]:
        """GEO terminal positions of env ``i`` in its layout, ``(M, 2)`` [m]."""
        layout, m = GEO_LAYOUTS[int(self.geo_layout[i])], self.num_terminals
        if layout == "uniform":
            return self._disc_points(i, rng, m)
        if layout == "hot_spot":
            centres = np.repeat(self._disc_points(i, rng, 1), m, axis=0)
        else:  # "near_users"
            centres = self.user_offsets_m[i][rng.integers(self.num_users, size=m)]
        return centres + self.config["cluster_std_m"] * rng.standard_normal((m, 2))

    def _new_loads(self, rng: np.random.Generator) -> NDArray[np.float64]:
        """Mean arrival rates of ``K`` users, log-uniform in the configured range [bit/s/Hz]."""
        low, high = np.log(np.asarray(self.config["traffic_load_range_se"], dtype=np.float64))
        return np.exp(rng.uniform(low, high, self.num_users))

    def _arrivals(self, i: int, rng: np.random.Generator) -> NDArray[np.float64]:
        """One step of arrivals of env ``i``'s users [bit/Hz]."""
        return self.load_se[i] * self.config["step_s"] * rng.exponential(size=self.num_users)

    def reset(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> None:
        """Start new passes in ``envs``: offset, users, GEO terminals, rain; first channel."""
        config = self.config
        low, high = np.log(np.asarray(config["rain_rate_range_mm_per_h"], dtype=np.float64))
        offset = config["max_cross_track_offset_m"]
        for i in envs:
            rng = rngs[i]
            self.cross_offset_m[i] = rng.uniform(-offset, offset)
            self.cluster_m[i] = self._disc_points(i, rng, len(self.cluster_m[i]))
            self.user_offsets_m[i], self.user_velocity_mps[i] = self._new_users(i, rng)
            self.terminal_offsets_m[i] = self._terminal_points(i, rng)
            raining = rng.random() < config["rain_probability"]
            self.rain_rate_mm_per_h[i] = np.exp(rng.uniform(low, high)) if raining else 0.0
            if self.queues:
                self.load_se[i] = self._new_loads(rng)
                self.backlog[i] = self._arrivals(i, rng)
        self.terminal_ground_m[envs] = self._ground_m(envs, self.terminal_offsets_m[envs])
        self.steps[envs] = 0
        self.previous_i_over_n_db[envs] = FLOOR_DB
        self.fresh[envs] = True
        self.has_previous[envs] = False
        self.previous_colour[envs] = 0  # observed: nothing of the last episode carries over
        self.previous_fraction[envs] = 0.0
        if self.block_draws:
            block = UniformBlock(rngs, envs, self._channel_block_size)
            self._draw_channels(envs, self._channel_draws_from(envs, rngs, block))
            block.check_used()
        else:
            self._draw_channels(envs, self._channel_draws_per_env(envs, rngs))

    def _ground_m(self, envs: NDArray[np.int64], offsets: NDArray[Any]) -> NDArray[np.float64]:
        """Earth-centred positions of (east, north) offsets from the area centre of ``envs``."""
        return ground_positions_m(
            offsets,
            self.cross_offset_m[envs],
            self.config["pass_heading_deg"],
            self.config["reference_latitude_deg"],
            self.config["reference_longitude_deg"],
        )

    def _pass_geometry(
        self, steps: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Satellite positions [m], ``(n, 3)``, and array axes, ``(n, 3, 3)``, at ``steps``.

        They depend on the step only, so they are tabulated for the whole pass (and beyond,
        should an env be stepped past its end) when first needed.
        """
        if len(steps) and steps.max() >= len(self.pass_satellite_m):
            config = self.config
            time_s = pass_time_s(
                np.arange(max(int(steps.max()), config["episode_length"]) + 1),
                config["step_s"],
                config["episode_length"],
            )
            satellite = satellite_positions(
                np.stack([time_s, time_s + 1.0], -1),
                config["reference_latitude_deg"],
                config["reference_longitude_deg"],
                config["pass_heading_deg"],
                config["altitude_m"],
            )  # (T, 2, 3): now and one second later (the velocity)
            self.pass_satellite_m = satellite[:, 0].copy()
            self.pass_frame = array_frame(satellite[:, 0], satellite[:, 1] - satellite[:, 0])
        return self.pass_satellite_m[steps], self.pass_frame[steps]

    def _los_and_shadow(
        self,
        envs: NDArray[np.int64],
        elevation_deg: NDArray[np.float64],
        uniforms: NDArray[np.float64],
        normals: NDArray[np.float64],
    ) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
        """LOS states and unit shadowing of the users of ``envs`` at their new elevations.

        Independent draws (v0), or one step of the LOS Markov chain and the Gauss-Markov
        shadowing from the users' previous states (see the module docstring), from the same
        uniform and normal draws.
        """
        p = los_probability(elevation_deg, self.config["ntn_scenario"])
        if not self.markov:
            return uniforms < p, normals
        config, fresh = self.config, self.fresh[envs]
        cot_now = 1.0 / np.tan(np.deg2rad(elevation_deg))
        cot_before = 1.0 / np.tan(np.deg2rad(self.elevation_deg[envs]))
        moved_m = config["user_speed_mps"] * config["step_s"] + config["clutter_height_m"] * (
            np.abs(cot_now - cot_before)
        )
        lam = np.exp(-moved_m / config["los_correlation_distance_m"])
        stay = np.where(self.los[envs], p + (1.0 - p) * lam, p * (1.0 - lam))
        los = uniforms < np.where(fresh, p, stay)
        rho = np.where(fresh, 0.0, np.exp(-moved_m / config["shadowing_correlation_distance_m"]))
        shadow_z = rho * self.shadow_z[envs] + np.sqrt(1.0 - rho**2) * normals
        self.los[envs], self.shadow_z[envs], self.fresh[envs] = los, shadow_z, False
        return los, shadow_z

    def _channel_draws_per_env(
        self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]
    ) -> ChannelDraws:
        """A step's channel draws of ``envs``, one generator call per quantity and env (v0)."""
        k = self.num_users
        uniforms = np.empty((len(envs), k))
        normals = np.empty((len(envs), k))
        fading = np.empty((len(envs), k), dtype=np.complex128)
        errors = np.zeros((len(envs), k), dtype=np.complex128)
        for row, i in enumerate(envs):
            rng = rngs[i]
            uniforms[row] = rng.random(k)
            normals[row] = rng.standard_normal(k)
            fading[row] = shadowed_rician_gains(rng, k, AVERAGE_SHADOWING, normalize=True)
            if self.config["outdated_csi"]:
                errors[row] = rayleigh_gains(rng, k)
        return ChannelDraws(uniforms, normals, fading, errors)

    @property
    def _channel_block_size(self) -> int:
        """Uniform draws per env of a step's channel (v1): LOS, phase, normals in pairs."""
        k = self.num_users
        return 2 * k + 2 * math.ceil(5 * k / 2)

    def _channel_draws_from(
        self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator], block: UniformBlock
    ) -> ChannelDraws:
        """A step's channel draws of ``envs`` from the rest of ``block`` and one gamma call each.

        The block gives the LOS uniforms, the fading phases and ``5 K`` normals (shadowing,
        scattered part, CSI error; drawn whether or not ``outdated_csi`` uses them, so a seed
        means the same under every config).
        """
        k, n, params = self.num_users, len(envs), AVERAGE_SHADOWING
        uniforms = block.uniform(k)
        phase = 2.0 * np.pi * block.uniform(k)
        normals = block.normal(2 * math.ceil(5 * k / 2))
        los_power = standard_gammas(rngs, envs, params.m, k) * (params.omega / params.m)
        scattered = normals[:, k : 3 * k].reshape(n, k, 2)
        fading = shadowed_rician_from_draws(los_power, phase, scattered, params, normalize=True)
        errors: NDArray[np.complex128] = np.zeros((n, k), dtype=np.complex128)
        if self.config["outdated_csi"]:
            parts = np.ascontiguousarray(normals[:, 3 * k : 5 * k]) * math.sqrt(0.5)
            errors = parts.reshape(n, k, 2).view(np.complex128)[..., 0]
        return ChannelDraws(uniforms, normals[:, :k], fading, errors)

    def _draw_channels(self, envs: NDArray[np.int64], draws: ChannelDraws) -> None:
        """Geometry at the current step of ``envs`` and the new fading and shadowing."""
        config, k = self.config, self.num_users
        uniforms, normals, fading, errors = draws
        satellite, frame = self._pass_geometry(self.steps[envs])
        users = self._ground_m(envs, self.user_offsets_m[envs])
        terminals = self.terminal_ground_m[envs]
        ground = np.concatenate([users, terminals], axis=1)
        _, elevation = slant_range_and_elevation(ground, satellite[:, None])
        elevation = elevation[..., 0]
        cosines, distance = direction_cosines(satellite, frame, ground)
        self.cosines[envs] = cosines
        self.gram[envs] = upa_gram(cosines[..., :2], self.array_size[envs])
        off_nadir = np.rad2deg(np.arccos(np.clip(cosines[..., 2], -1.0, 1.0)))
        element_db = element_gain_db(off_nadir)
        user_el = elevation[:, :k]
        los, shadow_z = self._los_and_shadow(envs, user_el, uniforms, normals)
        self.elevation_deg[envs] = user_el
        off_axis = off_axis_angle_deg(terminals, self.geo_m, satellite)
        self.geo_off_axis_deg[envs] = off_axis
        user_db = np.zeros((len(envs), k))
        geo_db = np.zeros((len(envs), self.num_terminals))
        scenario = config["ntn_scenario"]
        for link, rows in self.band_rows(envs):  # the loss tables take one band at a time
            carrier, band = link.preset.carrier_hz, link.preset.ntn_band
            common_db = (
                element_db[rows]
                - free_space_path_loss_db(distance[rows], carrier)
                - tr38811_gas_loss_db(elevation[rows], carrier)
                - rain_attenuation_db(
                    self.rain_rate_mm_per_h[envs[rows], None],
                    carrier,
                    elevation[rows],
                    config["reference_latitude_deg"],
                )
            )
            el, on_sight = user_el[rows], los[rows]
            shadow_db = shadow_fading_std_db(el, on_sight, scenario, band) * shadow_z[rows]
            user_db[rows] = (
                common_db[:, :k]
                + link.preset.ue_gain_dbi
                - shadow_db
                - clutter_loss_db(el, on_sight, scenario, band)
            )
            if self.num_terminals:
                geo_db[rows] = common_db[:, k:] + earth_station_gain_dbi(
                    off_axis[rows], config["geo_dish_diameter_m"], carrier
                )
        noise = self.noise_density_w_per_hz[envs][:, None]
        self.gamma[envs] = 10.0 ** (user_db / 10.0) / noise
        self.geo_gamma[envs] = 10.0 ** (geo_db / 10.0) / self.geo_noise_density_w_per_hz
        self.fading[envs] = fading
        if config["outdated_csi"]:
            delay = 2.0 * distance[:, :k] / SPEED_OF_LIGHT + config["csi_processing_delay_s"]
            doppler = config["user_speed_mps"] * self.carrier_hz[envs] / SPEED_OF_LIGHT
            rho = jakes_correlation(np.broadcast_to(doppler[:, None], delay.shape), delay)
            self.fading_known[envs] = rho * fading + np.sqrt(1.0 - rho**2) * errors
        else:
            self.fading_known[envs] = fading

    def cell_colours(self, envs: NDArray[np.int64]) -> NDArray[np.int64]:
        """Colour of each user's earth-fixed cell in a 2 x 2 four-colour map, ``(n, K)``.

        Square cells of the nadir 3 dB beam width tile the area; cell ``(i, j)`` has colour
        ``2 (i mod 2) + (j mod 2)`` (modulo ``C``): the conventional four-colour reuse of
        multibeam satellites (e.g. TR 38.821 Sec. 6.1.1.2, frequency reuse factor 4).
        """
        cell_size = self.cell_size_m[envs][:, None, None]
        cells = np.floor(self.user_offsets_m[envs] / cell_size).astype(np.int64)
        return (2 * (cells[..., 0] % 2) + cells[..., 1] % 2) % self.num_subbands

    # ------------------------------------------------------------------------- physics
    def coupling(
        self,
        envs: NDArray[np.int64],
        decision: Decision,
        known: bool,
        matched: MatchedFilter | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
        """Power gains of the decided precoders, per sub-band.

        Sub-band ``s`` precodes over the columns ``Phi_s`` of its beams: ``w_j = A Phi y_j``
        with ``y_j`` column ``j`` of ``D_s`` (MRT) or of ``D_s (Phi_s^H R Phi_s + alpha I)^-1``
        (RZF ``alpha = 1``, ZF ``alpha = 0`` plus a ridge), ``D_s`` selecting its beams.

        Args:
            envs: Envs to evaluate.
            decision: Their decisions.
            known: Use the fading the satellite knows (for planning) instead of the true one.
            matched: :meth:`matched_filter` of ``envs`` and ``decision``, if already computed.

        Returns:
            ``(user_gain, geo_gain, active)``: ``g_kj / (W / C)`` from beam ``j`` (unit power
            per sub-band) to user ``k``, ``(n, C, K, K)`` [1/W]; the same to GEO terminal
            ``m``, ``(n, C, M, K)``; whether beam ``k`` uses sub-band ``s``, ``(n, C, K)``.
        """
        k, c = self.num_users, self.num_subbands
        colours = decision.colour
        active = (colours[:, None, :] == np.arange(c)[None, :, None]) | (colours[:, None, :] == c)
        kind = decision.precoder % 3
        response, q = self.matched_filter(envs, decision) if matched is None else matched
        scaled = response * np.sqrt(self._direction_gains(envs, known))[..., None]
        power = np.empty((len(envs), c, scaled.shape[1], k))  # (n, C, K+M, K)
        mrt = np.flatnonzero(kind == MRT)
        if len(mrt):
            # y_j = e_j: beam j's responses are column j of the matched filter's, ||w_j||^2 Q_jj.
            norm = np.real(np.diagonal(q[mrt], axis1=-2, axis2=-1))
            gains = _squared_magnitude(scaled[mrt]) / np.where(norm > 0.0, norm, np.inf)[:, None]
            power[mrt] = np.where(active[mrt, :, None, :], gains[:, None], 0.0)
        solved = np.flatnonzero(kind != MRT)
        if len(solved):
            on = active[solved]
            # Phi_s^H R Phi_s: the rows and columns of Phi^H R Phi of the sub-band's beams,
            # with the regulariser, the ridge and the identity on the unused beams on the
            # diagonal; its inverse is the identity there, which D_s removes.
            gram_s = np.where(on[..., :, None] & on[..., None, :], q[solved, None], 0.0)
            scale = np.maximum(np.abs(np.trace(gram_s, axis1=-2, axis2=-1)), 1e-300)
            alpha = np.where(kind[solved] == RZF, 1.0, 0.0)[:, None, None]
            diagonal = np.arange(k)
            gram_s[..., diagonal, diagonal] += alpha + ~on + _RIDGE * scale[..., None]
            coefficients = np.linalg.inv(gram_s) * on[..., :, None]
            products = q[solved, None] @ coefficients
            norm = np.real(np.sum(np.conj(coefficients) * products, axis=-2))
            norm = np.where(on & (norm > 0.0), norm, np.inf)  # ||w_j||^2, (n, C, K)
            amplitude = scaled[solved, None] @ coefficients
            power[solved] = _squared_magnitude(amplitude) / norm[..., None, :]
        return power[..., :k, :], power[..., k:, :], active

    def _direction_gains(self, envs: NDArray[np.int64], known: bool) -> NDArray[np.float64]:
        """``|c_k|^2 gamma_k`` of each user, then the GEO terminals' gains, per sub-band [1/W].

        Over the noise of a sub-band ``W / C``, ``(n, K+M)``; with the fading the satellite
        knows if ``known``.
        """
        fading = self.fading_known[envs] if known else self.fading[envs]
        users = np.abs(fading) ** 2 * self.gamma[envs]
        gains = np.concatenate([users, self.geo_gamma[envs]], axis=1)
        return gains / (self.bandwidth_hz[envs][:, None] / self.num_subbands)

    def matched_filter(self, envs: NDArray[np.int64], decision: Decision) -> MatchedFilter:
        """The matched filter's responses towards every direction and its Gram matrix.

        Args:
            envs: Envs to evaluate.
            decision: Their decisions (``*_geo_null`` precoders null the GEO terminals).
        """
        k, m = self.num_users, self.num_terminals
        n = len(envs)
        gram = self.gram[envs]
        null = decision.precoder >= 3
        # Directions of each column: [I_K; -R_GG^-1 R_GA] (null steering) or [I_K; 0].
        basis = np.zeros((n, k + m, k), dtype=np.complex128)
        basis[:, :k] = np.eye(k)
        if m and null.any():
            rows = np.flatnonzero(null)
            ridge = _RIDGE * self.num_elements[envs[rows]][:, None, None]
            r_gg = gram[rows, k:, k:] + ridge * np.eye(m)
            basis[rows, k:] = -np.linalg.solve(r_gg, gram[rows, k:, :k])
        # Matched filter of the known channel rows h_k = c_k sqrt(snr_k) a_k^H; snr_k is the
        # per-element SNR of an equal-share beam over the band (Peel et al.: alpha = 1).
        snr = self.gamma[envs] * self.beam_power_w[envs][:, None] / self.bandwidth_hz[envs][:, None]
        phi = basis * np.conj(self.fading_known[envs] * np.sqrt(snr))[:, None, :]
        response = gram @ phi
        return MatchedFilter(response, np.conj(np.swapaxes(phi, -1, -2)) @ response)

    def common_coupling(
        self,
        envs: NDArray[np.int64],
        decision: Decision,
        known: bool,
        matched: MatchedFilter | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Power gains of the common stream's precoder, per sub-band.

        The precoder is the dominant left singular vector of the known channel matrix
        (restricted to the GEO null space for a ``*_geo_null`` precoder): ``w = A Phi v`` with
        ``v`` the top eigenvector of ``Phi^H R Phi`` (Mao, Clerckx and Li 2018, Sec. 4).

        Args:
            envs: Envs to evaluate.
            decision: Their decisions.
            known: Use the fading the satellite knows (for planning) instead of the true one.
            matched: :meth:`matched_filter` of ``envs`` and ``decision``, if already computed.

        Returns:
            ``(user_gain, geo_gain)``: ``g_k / (W / C)`` for unit power per sub-band, ``(n, K)``
            [1/W]; the same to the GEO terminals, ``(n, M)``.
        """
        k = self.num_users
        response, q = self.matched_filter(envs, decision) if matched is None else matched
        eigenvalues, eigenvectors = np.linalg.eigh(q)
        top = eigenvectors[..., -1:]  # (n, K, 1), unit norm: ||w||^2 = v^H Q v
        amplitude = (response @ top)[..., 0]
        power = np.abs(amplitude) ** 2 / np.maximum(eigenvalues[:, -1:], 1e-300)
        power = power * self._direction_gains(envs, known)
        return power[:, :k], power[:, k:]

    def beam_powers(self, envs: NDArray[np.int64], decision: Decision) -> NDArray[np.float64]:
        """Transmit power of each beam [W], ``(n, K)``: the requests, scaled into the budget."""
        requested = decision.power_fraction * self.beam_cap_w[envs][:, None]
        total = requested.sum(-1, keepdims=True)
        budget: Any = self.total_power_w[envs][:, None]
        if decision.common_fraction is not None:  # the common stream takes its share first
            budget = budget * (1.0 - decision.common_fraction[:, None])
        return requested * np.minimum(1.0, budget / np.maximum(total, 1e-300))

    def evaluate(self, envs: NDArray[np.int64], decision: Decision, known: bool = False) -> Outcome:
        """Spectral efficiencies, GEO interference and reward of a decision, without stepping.

        Args:
            envs: Envs to evaluate.
            decision: Their decisions.
            known: Evaluate on the fading the satellite knows (what a planner can compute).
        """
        config, c, n = self.config, self.num_subbands, len(envs)
        matched = self.matched_filter(envs, decision)
        user_gain, geo_gain, active = self.coupling(envs, decision, known, matched)
        powers = self.beam_powers(envs, decision)
        bands = active.sum(1)  # sub-bands per beam, (n, K)
        per_band = np.where(active, (powers / np.maximum(bands, 1))[:, None, :], 0.0)
        received = user_gain * per_band[:, :, None, :]  # (n, C, K, K) [-] (over noise)
        signal = np.diagonal(received, axis1=-2, axis2=-1)
        received_total = received.sum(-1)  # private beams at each user, (n, C, K)
        interference = received_total - signal
        sinr = signal / (interference + 1.0)
        user_se = np.sum(np.where(active, np.log2(1.0 + sinr), 0.0), axis=1) / c
        if self.num_terminals:
            geo_received = np.einsum("ncmk,nck->ncm", geo_gain, per_band)
        power_w = powers.sum(-1)
        common_se = np.zeros(n)
        if decision.common_fraction is not None:
            common_w = decision.common_fraction * self.total_power_w[envs]
            # The common precoder (an eigendecomposition per env) only where it has power.
            common_user = np.zeros((n, self.num_users))
            common_geo = np.zeros((n, self.num_terminals))
            on = np.flatnonzero(common_w > 0.0)
            if len(on):
                common_user[on], common_geo[on] = self.common_coupling(
                    envs[on],
                    decision.rows(on),
                    known,
                    MatchedFilter(*(part[on] for part in matched)),
                )
            per_band_common = (common_w / c)[:, None, None]
            sinr_common = per_band_common * common_user[:, None, :] / (received_total + 1.0)
            common_se = np.log2(1.0 + sinr_common).min(-1).sum(-1) / c  # decodable by all
            if self.num_terminals:
                geo_received = geo_received + per_band_common * common_geo[:, None, :]
            power_w = power_w + common_w
        if self.num_terminals:
            i_over_n = geo_received.max(axis=1)
        else:
            i_over_n = np.zeros((n, 0))
        i_over_n_db = _db(i_over_n)
        excess = np.maximum(i_over_n_db - config["geo_i_over_n_threshold_db"], 0.0)
        penalty = geo_penalty(excess, self.geo_penalty_per_db[envs], config.get("geo_penalty_cap"))
        demand = self.backlog[envs] / config["step_s"] if self.queues else None
        if decision.common_fraction is not None:
            user_se = user_se + split_common_rate(common_se, user_se, demand)
        served_se = user_se if demand is None else np.minimum(user_se, demand)
        consumed = power_w / config["pa_efficiency"] + config["circuit_power_w"]
        mean_se = served_se.mean(-1)
        energy_efficiency = self.bandwidth_hz[envs] * served_se.sum(-1) / consumed
        rate_term = mean_se
        if config["reward_type"] == "energy_efficiency":
            full = self.total_power_w[envs] / config["pa_efficiency"] + config["circuit_power_w"]
            rate_term = mean_se * full / consumed
        reward = rate_term - penalty
        backlog_left = np.maximum(self.backlog[envs] - served_se * config["step_s"], 0.0)
        backlog_cost: NDArray[np.float64] = np.zeros(n)
        if self.queues:
            backlog_cost = self.backlog_cost[envs] * backlog_left.mean(-1)
            reward = reward - backlog_cost
        switching_cost: NDArray[np.float64] = np.zeros(n)
        if self.switching:
            switching_cost = self._switching_cost(envs, decision.colour, powers)
            reward = reward - switching_cost
        return Outcome(
            user_se=user_se,
            i_over_n_db=i_over_n_db,
            beam_power_w=powers,
            power_w=power_w,
            reward=reward,
            penalty=penalty,
            energy_efficiency=energy_efficiency,
            served_se=served_se,
            common_se=common_se,
            backlog_left=backlog_left,
            switching_cost=switching_cost,
            backlog_cost=backlog_cost,
        )

    def _switching_cost(
        self, envs: NDArray[np.int64], colour: NDArray[np.int64], powers: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Cost of the beams' sub-band and power changes from the previous step, ``(n,)``."""
        config = self.config
        switched = (colour != self.previous_colour[envs]).mean(-1)
        cap = self.beam_cap_w[envs][:, None]
        change = np.abs(powers / cap - self.previous_fraction[envs]).mean(-1)
        cost = config["beam_switch_cost"] * switched + config["power_change_cost"] * change
        return np.where(self.has_previous[envs], cost, 0.0)

    # ---------------------------------------------------------------- observation, step
    @property
    def observation_size(self) -> int:
        """Length of an observation."""
        k, m = self.num_users, self.num_terminals
        return (
            5 * k + k * (k - 1) // 2 + k * m + 5 * m + 1 + k * self.queues + 2 * k * self.switching
        )

    def observations(self, envs: NDArray[np.int64]) -> NDArray[np.float32]:
        """Observations of ``envs``, ``(n, observation_size)``; see the env's docstring."""
        k = self.num_users
        n_el = self.num_elements[envs].astype(np.float64)[:, None]
        power, bandwidth = self.beam_power_w[envs][:, None], self.bandwidth_hz[envs][:, None]
        cosines = self.cosines[envs]
        coupling = np.abs(self.gram[envs]) / n_el[:, :, None]
        upper = upper_triangle(k)
        beam_snr_db = _db(self.gamma[envs] * power * n_el / bandwidth)
        parts = [
            cosines[:, :k, 0],
            cosines[:, :k, 1],
            beam_snr_db / SNR_SCALE_DB,
            _db(np.abs(self.fading_known[envs]) ** 2) / 10.0,
            self.cell_colours(envs) / max(self.num_subbands - 1, 1),
            coupling[:, :k, :k][:, upper[0], upper[1]],
            coupling[:, :k, k:].reshape(len(envs), -1),
            cosines[:, k:, 0],
            cosines[:, k:, 1],
            self.geo_off_axis_deg[envs] / 90.0,
            _db(self.geo_gamma[envs] * power * n_el / bandwidth) / SNR_SCALE_DB,
            self.previous_i_over_n_db[envs] / SNR_SCALE_DB,
            (self.steps[envs] / self.config["episode_length"])[:, None],
        ]
        if self.queues:
            parts.append(self.backlog[envs] / self.config["step_s"] / BACKLOG_SCALE_SE)
        if self.switching:
            parts += [
                self.previous_colour[envs] / max(self.num_subbands, 1),
                self.previous_fraction[envs],
            ]
        return np.concatenate(parts, axis=1).astype(np.float32)

    def step(
        self, envs: NDArray[np.int64], decision: Decision, rngs: Sequence[np.random.Generator]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], dict[str, NDArray[Any]]]:
        """Apply the decisions on the current channels, then move on by ``step_s``.

        Returns:
            Rewards, truncation flags and info arrays, one row per env.
        """
        outcome = self.evaluate(envs, decision)
        info: dict[str, NDArray[Any]] = {
            "user_se_bps_hz": outcome.user_se,
            "user_rate_bps": outcome.user_se * self.bandwidth_hz[envs][:, None],
            "sum_se_bps_hz": outcome.user_se.sum(-1),
            "geo_i_over_n_db": outcome.i_over_n_db,
            "geo_penalty": outcome.penalty,
            "power_w": outcome.power_w,
            "energy_efficiency_bit_per_j": outcome.energy_efficiency,
            "elevation_deg": self.elevation_deg[envs].copy(),
            # The decision as applied: beam powers within the budget, sub-bands, precoder.
            "beam_power_w": outcome.beam_power_w,
            "beam_subband": decision.colour.copy(),
            "precoder": decision.precoder.copy(),
        }
        info.update(self._sequential_info(envs, outcome, decision))
        self.previous_i_over_n_db[envs] = outcome.i_over_n_db
        self.previous_colour[envs] = decision.colour
        self.previous_fraction[envs] = outcome.beam_power_w / self.beam_cap_w[envs][:, None]
        self.has_previous[envs] = True
        self.backlog[envs] = outcome.backlog_left
        self.steps[envs] += 1
        truncated = self.steps[envs] >= self.config["episode_length"]
        dt = self.config["step_s"]
        self.user_offsets_m[envs] += dt * self.user_velocity_mps[envs]
        if self.block_draws:
            dropped = self._move_on_from_block(envs, rngs)
        else:
            dropped = np.zeros((len(envs), self.num_users))
            for row, i in enumerate(envs):
                rng = rngs[i]
                arriving = rng.random(self.num_users) < self.config["arrival_probability"]
                positions, velocity = self._new_users(i, rng)
                self.user_offsets_m[i, arriving] = positions[arriving]
                self.user_velocity_mps[i, arriving] = velocity[arriving]
                self.fresh[i, arriving] = True
                if self.queues:
                    dropped[row] = self._queue_arrivals(i, rng, arriving)
            self._draw_channels(envs, self._channel_draws_per_env(envs, rngs))
        if self.queues:
            info["dropped_bit_per_hz"] = dropped
        return outcome.reward, truncated, info

    def _move_on_from_block(
        self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]
    ) -> NDArray[np.float64]:
        """Arrivals of users and traffic and the new channels of ``envs`` from one block each.

        The v1 counterpart of the per-env draws of :meth:`step`: the same events with the same
        distributions, drawn as one block of uniforms per env (plus the fading's gammas).

        Returns:
            What the full buffers dropped [bit/Hz], ``(n, K)`` (zeros under full buffer).
        """
        k, config = self.num_users, self.config
        block = UniformBlock(rngs, envs, STEP_DRAWS_PER_USER * k + self._channel_block_size)
        arriving = block.uniform(k) < config["arrival_probability"]
        positions, velocity = self._new_users_from(envs, block)
        moved = arriving[..., None]
        self.user_offsets_m[envs] = np.where(moved, positions, self.user_offsets_m[envs])
        self.user_velocity_mps[envs] = np.where(moved, velocity, self.user_velocity_mps[envs])
        self.fresh[envs] |= arriving
        low, high = np.log(np.asarray(config["traffic_load_range_se"], dtype=np.float64))
        loads = np.exp(low + (high - low) * block.uniform(k))
        volumes = block.exponential(k)
        dropped = np.zeros((len(envs), k))
        if self.queues:  # as _queue_arrivals: new users bring new loads and no backlog
            self.load_se[envs] = np.where(arriving, loads, self.load_se[envs])
            backlog = np.where(arriving, 0.0, self.backlog[envs])
            backlog = backlog + self.load_se[envs] * config["step_s"] * volumes
            cap = config["max_backlog_bit_per_hz"]
            self.backlog[envs] = np.minimum(backlog, cap)
            dropped = np.maximum(backlog - cap, 0.0)
        self._draw_channels(envs, self._channel_draws_from(envs, rngs, block))
        block.check_used()
        return dropped

    def _queue_arrivals(
        self, i: int, rng: np.random.Generator, replaced: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """Add a step of arrivals to env ``i``'s backlogs; new users bring new loads.

        Returns:
            What the full buffers dropped [bit/Hz], ``(K,)``.
        """
        loads = self._new_loads(rng)
        self.load_se[i, replaced] = loads[replaced]
        self.backlog[i, replaced] = 0.0  # a departed user's backlog leaves with it
        backlog = self.backlog[i] + self._arrivals(i, rng)
        cap = self.config["max_backlog_bit_per_hz"]
        self.backlog[i] = np.minimum(backlog, cap)
        return np.maximum(backlog - cap, 0.0)

    def _sequential_info(
        self, envs: NDArray[np.int64], outcome: Outcome, decision: Decision
    ) -> dict[str, NDArray[Any]]:
        """Info arrays of the v1 features that are on (none in v0)."""
        info: dict[str, NDArray[Any]] = {}
        if self.queues:
            info["served_se_bps_hz"] = outcome.served_se
            info["backlog_left_bit_per_hz"] = outcome.backlog_left
            info["backlog_cost"] = outcome.backlog_cost
        if self.switching:
            info["switching_cost"] = outcome.switching_cost
        if self.rate_splitting:
            fraction = decision.common_fraction
            info["common_se_bps_hz"] = outcome.common_se
            info["common_power_w"] = self.total_power_w[envs] * (
                np.zeros(len(outcome.common_se)) if fraction is None else fraction
            )
        return info

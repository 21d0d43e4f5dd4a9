"""Batched simulator of uplink multi-BS coordinated reception (no Gymnasium import).

The survey's case study (Sec. V-A): a UE with a single-polarised ULA transmits ``r`` streams
through a codebook precoder ``W``; a cooperative set ``S`` of ``N`` base stations with
cross-polarised UPAs jointly equalises them with a linear MMSE receiver. With every BS's
channel ``H_b`` (ports x UE antennas) the stacked channel of the set has Gram matrix
``sum_{b in S} H_b^H H_b``, so the post-MMSE SINR of stream ``k`` is
``1 / [(I + rho W^H (sum_b H_b^H H_b) W)^{-1}]_{kk} - 1`` with ``rho = P_tx / (N_0 B F)``
(Tse & Viswanath, Sec. 8.3.3), and the rate is ``sum_k log2(1 + SINR_k)`` [bit/s/Hz]; with
``se_ceiling`` each term is capped at the highest spectral efficiency of a TS 38.214 MCS table.
The reward is the rate, less the share ``reassociation_latency_s / step_duration_s`` of it in
a step whose set differs from the UE's current set (the interruption of a handover).

Interference (v1 keys). ``interference="white"``: each BS's noise is raised by its interference
over thermal (IoT) from the interferers' mean gains, so a BS's Gram is weighted by
``P_tx / (N_0 B F IoT_b)``. ``"coloured"``: the M interferers (users drawn once with
``interferer_seed`` from all users of the scenario, each sending one layer on its dominant
eigenvector towards its strongest BS with the TS 38.213 open-loop power ``p_i``, active in a
step with probability ``interferer_activity``) are whitened by the set's joint MMSE receiver:
its Gram is ``rho H_S^H R^{-1} H_S`` with ``R = I + sum_i q_i g_{S,i} g_{S,i}^H``,
``q_i = p_i / (N_0 B F)``, computed per set from per-BS terms by the Woodbury identity
(:func:`~wmoe.phy.interference.whitened_gram`). So the BSs combined decide which interferers
the receiver can null.

Wideband (``num_subbands = S > 1``). The Grams are cached at the centres of ``S`` equal
sub-bands (:mod:`wmoe.phy.wideband`); the rate is the mean over sub-bands of the (capped) sum
rate, with the set and codeword shared by the whole band.

With ``observe_rsrp`` the UE reports each BS's downlink RSRP per resource element as TS
38.215/38.133 define it (:mod:`wmoe.phy.nr_measurements`): the reference-signal power per
resource element (``bs_tx_power_dbm`` over ``bs_num_rb`` resource blocks) times the mean
channel gain per BS port and UE antenna. The gain is the uplink one (``mean_gain_db``), which
is the downlink one by reciprocity on a TDD carrier such as O1's 3.5 GHz band n78. A fresh
measurement error is drawn each step.

With ``observe_srs`` (a v1 key) each BS measures the UE's uplink SRS (:mod:`wmoe.phy.nr_srs`):
the wideband SRS SNR per resource element, BS port and UE port, ``rho / N_t`` times the mean
channel gain (``mean_gain_db``: ``trace(H_b^H H_b) / (ports N_t)``, averaged over sub-bands),
with a fresh Gaussian error in dB each step (drawn after the RSRP errors from the same
generator), rounded to ``srs_quantization_db`` and clipped to -30..70 dB.

State is held as arrays with a leading batch dimension; each batch member draws its users from
its own ``numpy.random.Generator`` so that a batch of ``B`` reproduces ``B`` single
environments seeded alike.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.config import ConfigError
from wmoe.envs.multi_bs_reception.mobility import StreetTracks, move_along_tracks, street_tracks
from wmoe.paths import WRITE_SCENARIOS_ENV_VAR, default_data_dir, scenarios_may_be_written
from wmoe.phy.codebook import Codebook, make_codebook
from wmoe.phy.effective_grams import EffectiveGrams
from wmoe.phy.interference import whitened_gram
from wmoe.phy.nr_mcs import MCS_TABLES, cap_sinr
from wmoe.phy.nr_measurements import (
    HIGHEST_RSRP_REPORT,
    measure_rsrp_dbm,
    reference_signal_power_per_re_dbm,
    rsrp_per_re_dbm,
    rsrp_report_dbm,
    rsrp_report_index,
)
from wmoe.phy.nr_power_control import pusch_tx_power_dbm
from wmoe.phy.nr_srs import normalized_srs_snr, quantize_srs_snr_db, srs_snr_db
from wmoe.phy.receivers import mmse_sinr_from_gram, sum_rate
from wmoe.phy.units import dbm_to_watt, thermal_noise_dbm
from wmoe.scenarios.channel_cache import (
    InterfererChannels,
    Subbands,
    UplinkGrams,
    load_uplink_grams,
)
from wmoe.scenarios.deepmimo_loader import (
    ArrayConfig,
    UserSubset,
    UserSubsetError,
    read_scenario_info,
)
from wmoe.scenarios.synthetic_o1 import (
    LAYOUTS,
    O1GeometryConfig,
    SyntheticO1Config,
    write_synthetic_o1,
)

DRAW_BUFFER = 256


@dataclass(frozen=True)
class ScenarioChannels:
    """Channel data of one scenario and array setup, shared by every env of a process.

    Attributes:
        grams: The per-user, per-BS uplink Gram matrices.
        mean_gain_db: (users, BSs) mean channel power gain per BS port and UE antenna (and
            sub-band) [dB].
        reachable: (users, BSs) whether the BS has any path to the user.
        normalized_positions: (users, 2) user (x, y) scaled to [0, 1] over the user area.
    """

    grams: UplinkGrams
    mean_gain_db: NDArray[np.float64]
    reachable: NDArray[np.bool_]
    normalized_positions: NDArray[np.float32]

    @property
    def users_with_a_path(self) -> NDArray[np.int64]:
        """The users some BS has a path to (DeepMIMO's "active" users), ascending."""
        return np.flatnonzero(self.reachable.any(axis=1)).astype(np.int64)


@functools.lru_cache(maxsize=4)
def load_scenario_channels(
    folder: str,
    bs_panel: tuple[int, int],
    ue_antennas: int,
    cache_dir: str,
    subset: UserSubset,
    subbands: Subbands | None = None,
    interferers: tuple[int, ...] | None = None,
) -> ScenarioChannels:
    """Load (once per process) a scenario's Gram matrices and the statistics derived from them."""
    arrays = ArrayConfig(bs_panel=bs_panel, ue_antennas=ue_antennas)
    rows = None if interferers is None else np.array(interferers, dtype=np.int64)
    grams = load_uplink_grams(folder, arrays, cache_dir, subset, subbands, rows)
    energy = np.trace(grams.gram, axis1=-2, axis2=-1).real
    if subbands is not None and subbands.count > 1:
        energy = energy.mean(axis=-1)
    with np.errstate(divide="ignore"):
        mean_gain_db = 10.0 * np.log10(energy / (arrays.bs_ports * ue_antennas))
    positions = grams.user_positions[:, :2]
    low, high = positions.min(axis=0), positions.max(axis=0)
    normalized = ((positions - low) / np.maximum(high - low, 1e-9)).astype(np.float32)
    return ScenarioChannels(grams, mean_gain_db, energy > 0.0, normalized)


# wmoe's synthetic scenarios, written on first use (DeepMIMO's and Sionna's must be put there).
WRITTEN_ON_FIRST_USE = {config.name: config for config in (SyntheticO1Config(), O1GeometryConfig())}
_LAYOUT_OPTION = {kind: option for option, kind in LAYOUTS.items()}


def resolve_scenario_folder(config: dict[str, Any]) -> Path:
    """Return the scenario folder a config points to, writing a synthetic one if missing."""
    base = default_data_dir()
    scenarios_dir = Path(config["scenarios_dir"] or base / "deepmimo_scenarios").expanduser()
    folder = scenarios_dir / config["scenario"]
    synthetic = WRITTEN_ON_FIRST_USE.get(config["scenario"])
    if synthetic is not None and not (folder / "params.json").exists():
        if not scenarios_may_be_written():
            raise ConfigError(
                f"scenario {config['scenario']!r} is missing from {scenarios_dir} and "
                f"{WRITE_SCENARIOS_ENV_VAR}=0 forbids writing it on first use; write it with "
                f"'wmoe scenario generate --scenarios-dir {scenarios_dir} --layout "
                f"{_LAYOUT_OPTION[type(synthetic)]}' or point 'scenarios_dir' at a folder that "
                "holds it"
            )
        write_synthetic_o1(scenarios_dir, synthetic, overwrite=folder.exists())
    return folder


# Rates within this relative distance of the best are ties (codewords that differ only by
# column phases or order have equal rates up to round-off).
TIE_TOLERANCE = 1e-9


def first_best(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Index of the first entry of each row within round-off of the row's maximum.

    Ties go to the lowest index whatever the floating-point summation order, so the expert
    codeword and the oracle's action do not depend on round-off.

    Args:
        values: (B, C) rates.
    """
    best = values.max(axis=1, keepdims=True)
    return np.asarray(np.argmax(values >= best - TIE_TOLERANCE * np.abs(best), axis=1))


@dataclass(frozen=True)
class StepResult:
    """What one batched step computed.

    Attributes:
        rate: (B,) sum rate of the chosen set and precoder [bit/s/Hz].
        precoder: (B,) codeword applied.
        expert_precoder: (B,) best codeword for the chosen set.
        expert_rate: (B,) its rate [bit/s/Hz].
    """

    rate: NDArray[np.float64]
    precoder: NDArray[np.int64]
    expert_precoder: NDArray[np.int64]
    expert_rate: NDArray[np.float64]


class ReceptionCore:
    """Channel data, action-independent physics and episode state for a batch of environments.

    Args:
        config: A validated configuration, see
            :class:`~wmoe.envs.multi_bs_reception.config.ReceptionConfig`.
        batch_size: Number of environments simulated together.

    Raises:
        ConfigError: If N is larger than the scenario's number of BSs.
        ScenarioNotFoundError: If a non-synthetic scenario folder is missing.
        ScenarioFormatError: If the scenario folder's layout is malformed.
        ConfigError: If ``user_grids`` names a grid the scenario does not have.
    """

    def __init__(self, config: dict[str, Any], batch_size: int) -> None:
        self.config = config
        self.batch_size = batch_size
        folder = resolve_scenario_folder(config)
        self.data_folder = folder
        cache_dir = Path(config["cache_dir"] or default_data_dir() / "cache").expanduser()
        grids = config["user_grids"]
        subset = UserSubset(
            grids=None if grids is None else tuple(int(g) for g in grids),
            stride=int(config["user_stride"]),
        )
        # v1 keys (v0's config has neither: narrowband, white interference).
        self.num_subbands = int(config.get("num_subbands", 1))
        self.coloured = config.get("interference", "white") == "coloured"
        self.interferer_activity = float(config.get("interferer_activity", 1.0))
        subbands = Subbands(self.num_subbands, float(config["bandwidth_hz"]))
        # Scenario, arrays, cache and users: what every channel load of this config shares.
        source = (
            str(folder),
            tuple(config["bs_panel"]),
            int(config["ue_antennas"]),
            str(cache_dir),
            subset,
        )
        try:
            interferers = None
            if self.coloured:  # their channels' terms are cached with the Grams
                candidates: NDArray[np.int64] = np.arange(
                    len(subset.indices(read_scenario_info(folder)))
                )
                if config.get("active_users_only", False):  # the narrowband Grams say which
                    narrowband = load_scenario_channels(
                        *source, Subbands(1, float(config["bandwidth_hz"])), None
                    )
                    candidates = narrowband.users_with_a_path
                interferers = tuple(self._draw_interferers(candidates).tolist())
            self.channels = load_scenario_channels(*source, subbands, interferers)
        except UserSubsetError as error:
            raise ConfigError(f"config['user_grids']={grids!r} is invalid: {error}") from None
        self.data = self.channels.grams
        # (users, BSs, S, Nt, Nt): a view with a sub-band axis also for the narrowband cache.
        self._subband_gram = self.data.gram if self.num_subbands > 1 else self.data.gram[:, :, None]
        self.reachable = self.channels.reachable
        self.normalized_positions = self.channels.normalized_positions
        self.num_users, self.num_bs = self.data.gram.shape[:2]
        # The users episodes visit (v1: those with a path to some BS; v0: all).
        self.active_users: NDArray[np.int64] = np.arange(self.num_users, dtype=np.int64)
        if config.get("active_users_only", False):
            self.active_users = self.channels.users_with_a_path
            if len(self.active_users) == 0:
                raise ConfigError(
                    f"no user of scenario {config['scenario']!r} has a path to any BS; choose "
                    "other user_grids or set active_users_only=false"
                )
        n = int(config["num_cooperating_bs"])
        if n > self.num_bs:
            raise ConfigError(
                f"config['num_cooperating_bs']={n} exceeds the scenario's {self.num_bs} "
                f"base stations; choose N between 1 and {self.num_bs}"
            )
        self.bs_sets = np.array(list(itertools.combinations(range(self.num_bs), n)), dtype=np.int64)
        bitmasks = np.bitwise_or.reduce(np.left_shift(1, self.bs_sets), axis=1)
        self._set_of_bitmask = np.full(1 << self.num_bs, -1, dtype=np.int64)
        self._set_of_bitmask[bitmasks] = np.arange(len(self.bs_sets))
        self.codebook: Codebook = make_codebook(
            config["codebook"],
            int(config["ue_antennas"]),
            oversampling=int(config["codebook_oversampling"]),
            max_rank=int(config["max_rank"]),
            drop_duplicates=bool(config["codebook_dedup"]),
        )
        ceiling = config["se_ceiling"]
        # Per-layer rate ceiling [bit/s/Hz] of the configured MCS table; None: Shannon, uncapped.
        self.max_spectral_efficiency: float | None = (
            None if ceiling == "none" else MCS_TABLES[ceiling].max_spectral_efficiency
        )
        # Codewords of each rank, and the map from a Gram to their effective Grams.
        self._rank_groups = [
            (members, EffectiveGrams.of(self.codebook.matrices[members, :, :rank]))
            for rank in np.unique(self.codebook.ranks)
            for members in [np.flatnonzero(self.codebook.ranks == rank)]
        ]
        noise_w = dbm_to_watt(thermal_noise_dbm(config["bandwidth_hz"], config["noise_figure_db"]))
        self.snr_scale = float(dbm_to_watt(config["tx_power_dbm"]) / noise_w)
        # Interferers' transmit power over the noise power, q_i (with "coloured").
        self.interferer_snr: NDArray[np.float64] = np.zeros(0)
        if self.coloured:
            self.interferer_snr = self._coloured_interferer_snr()
            self.interference_over_thermal_db = self._coloured_interference_over_thermal_db()
        else:
            self.interference_over_thermal_db = self._interference_over_thermal_db()
        self.bs_snr_scale = self.snr_scale / 10.0 ** (self.interference_over_thermal_db / 10.0)
        # Which interferers transmit in each env's current step (with "coloured").
        self.active = np.ones((batch_size, len(self.interferer_snr)))
        # (sets, S, M, M) sum over each set's BSs of G_b^H G_b (with "coloured").
        self._set_interferer_gram = (
            self.interferer_terms.gram[self.bs_sets].sum(axis=1) if self.coloured else None
        )
        self.user = np.zeros(batch_size, dtype=np.int64)
        self.elapsed = np.zeros(batch_size, dtype=np.int64)
        self._draws = np.zeros((batch_size, DRAW_BUFFER), dtype=np.int64)
        self._draw_pos = np.full(batch_size, DRAW_BUFFER, dtype=np.int64)
        # The set serving each UE: its N strongest BSs at the start of an episode (initial
        # access), then the last chosen set.
        self.current_set = np.zeros(batch_size, dtype=np.int64)
        # Share of a step's rate lost when the set changes (handover interruption).
        self.reassociation_loss = float(config["reassociation_latency_s"]) / float(
            config["step_duration_s"]
        )
        self.rs_power_per_re_dbm = reference_signal_power_per_re_dbm(
            float(config["bs_tx_power_dbm"]), int(config["bs_num_rb"])
        )
        # Last RSRP report of each BS, TS 38.133 indices RSRP_0..RSRP_126 (with observe_rsrp).
        self.rsrp_report = np.zeros((batch_size, self.num_bs), dtype=np.int64)
        # Last measured SRS SNR of each BS [dB], quantised and clipped (with observe_srs, v1).
        self.observe_srs = bool(config.get("observe_srs", False))
        self.srs_snr_report_db = np.zeros((batch_size, self.num_bs))
        self.mobile = config["user_sequence"] == "mobility"
        positions = self.data.user_positions[:, :2]
        self._area_low = positions.min(axis=0)
        self._area_span = np.maximum(positions.max(axis=0) - self._area_low, 1e-9)
        self.tracks: StreetTracks | None = (
            street_tracks(self.data.user_positions, self.active_users) if self.mobile else None
        )
        self.track = np.zeros(batch_size, dtype=np.int64)
        self.distance_m = np.zeros(batch_size)  # along the track [m]
        self.heading = np.ones(batch_size, dtype=np.int64)

    def rx_snr_db(self, users: NDArray[np.int64]) -> NDArray[np.float64]:
        """(len(users), BSs) mean receive SNR per BS port and UE antenna, without interference."""
        return np.asarray(self.channels.mean_gain_db[users] + 10.0 * np.log10(self.snr_scale))

    def true_rsrp_dbm(self, users: NDArray[np.int64]) -> NDArray[np.float64]:
        """(len(users), BSs) true downlink RSRP per resource element [dBm] (-inf: no path)."""
        return rsrp_per_re_dbm(self.rs_power_per_re_dbm, self.channels.mean_gain_db[users])

    def measure_rsrp_report(
        self, users: NDArray[np.int64], rng: np.random.Generator
    ) -> NDArray[np.int64]:
        """(len(users), BSs) RSRP report indices of fresh measurements drawn from ``rng``."""
        measured = measure_rsrp_dbm(
            self.true_rsrp_dbm(users), float(self.config["rsrp_error_std_db"]), rng
        )
        return rsrp_report_index(measured)

    def true_srs_snr_db(self, users: NDArray[np.int64]) -> NDArray[np.float64]:
        """(len(users), BSs) true wideband SRS SNR per RE, BS and UE port [dB] (-inf: no path)."""
        return srs_snr_db(
            self.snr_scale, self.channels.mean_gain_db[users], int(self.config["ue_antennas"])
        )

    def measure_srs_snr_db(
        self, users: NDArray[np.int64], rng: np.random.Generator
    ) -> NDArray[np.float64]:
        """(len(users), BSs) quantised SRS SNRs [dB] of fresh measurements drawn from ``rng``.

        The error model of the RSRP (:func:`~wmoe.phy.nr_measurements.measure_rsrp_dbm`: a
        Gaussian error in dB, independent per BS and step) with ``srs_error_std_db``.
        """
        measured = measure_rsrp_dbm(
            self.true_srs_snr_db(users), float(self.config["srs_error_std_db"]), rng
        )
        return quantize_srs_snr_db(measured, float(self.config["srs_quantization_db"]))

    def reported_rsrp_dbm(self, envs: NDArray[np.int64]) -> NDArray[np.float64]:
        """(len(envs), BSs) the last reported RSRP of ``envs``, as its bin's lower edge [dBm]."""
        return rsrp_report_dbm(self.rsrp_report[envs])

    def _measure(self, envs: NDArray[np.int64], generators: Sequence[np.random.Generator]) -> None:
        """Draw ``envs``' RSRP reports (``observe_rsrp``), then their SRS SNRs (``observe_srs``)."""
        if not (self.config["observe_rsrp"] or self.observe_srs):
            return
        for env in envs:
            user = self.user[env : env + 1]
            if self.config["observe_rsrp"]:
                self.rsrp_report[env] = self.measure_rsrp_report(user, generators[env])[0]
            if self.observe_srs:
                self.srs_snr_report_db[env] = self.measure_srs_snr_db(user, generators[env])[0]

    def ue_position_m(self, envs: NDArray[np.int64]) -> NDArray[np.float64]:
        """(len(envs), 2) UE (x, y) [m]: on its track with mobility, else its grid user's."""
        if self.tracks is None:
            return np.asarray(self.data.user_positions[self.user[envs], :2], dtype=np.float64)
        return self.tracks.position_m(self.track[envs], self.distance_m[envs])

    def top_n_sets(self, score: NDArray[np.float64]) -> NDArray[np.int64]:
        """The set of the N BSs with the highest ``score`` (rows, BSs); ties to the lower BS."""
        top = np.argsort(-score, axis=1, kind="stable")[:, : self.bs_sets.shape[1]]
        return self.set_index_of(np.sort(top, axis=1))

    def reward_factor(
        self, envs: NDArray[np.int64], set_index: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """(len(envs),) share of the rate a step keeps: ``1 - loss`` where the set changes."""
        changed = set_index != self.current_set[envs]
        return np.asarray(1.0 - self.reassociation_loss * changed)

    def _draw_interferers(self, candidates: NDArray[np.int64]) -> NDArray[np.int64]:
        """The interfering users: ``num_interferers`` of ``candidates``, drawn with their seed."""
        count = int(self.config["num_interferers"])
        rng = np.random.default_rng(self.config["interferer_seed"])
        if count > len(candidates):
            raise ConfigError(
                f"config['num_interferers']={count} exceeds the {len(candidates)} users that "
                "can interfere; choose fewer interferers"
            )
        drawn = rng.choice(len(candidates), size=count, replace=False)
        return np.asarray(candidates[drawn], dtype=np.int64)

    def _interferer_power_dbm(self, path_loss_db: NDArray[np.float64]) -> NDArray[np.float64]:
        """Open-loop PUSCH power of TS 38.213 Sec. 7.1.1 at each interferer's path loss [dBm]."""
        return np.asarray(
            pusch_tx_power_dbm(
                self.config["tx_power_dbm"],
                self.config["interferer_p0_dbm"],
                self.config["interferer_alpha"],
                path_loss_db,
                num_rb=self.config["interferer_num_rb"],
                subcarrier_spacing_khz=self.config["subcarrier_spacing_khz"],
            )
        )

    def _interference_over_thermal_db(self) -> NDArray[np.float64]:
        """Per-BS interference over thermal [dB] from the configured co-channel UEs.

        Each interferer sends the open-loop PUSCH power of TS 38.213 Sec. 7.1.1
        (:func:`~wmoe.phy.nr_power_control.pusch_tx_power_dbm`) towards its strongest BS.
        """
        count = int(self.config["num_interferers"])
        if count == 0:
            return np.zeros(self.num_bs)
        interferers = self._draw_interferers(self.active_users)
        gain_db = self.channels.mean_gain_db[interferers]  # (K, U)
        path_loss_db = -gain_db.max(axis=1)  # towards each interferer's strongest BS
        power_dbm = self._interferer_power_dbm(path_loss_db)
        noise_dbm = self.config["tx_power_dbm"] - 10.0 * np.log10(self.snr_scale)
        interference_mw = (10.0 ** ((power_dbm[:, None] + gain_db - noise_dbm) / 10.0)).sum(axis=0)
        return np.asarray(10.0 * np.log10(1.0 + interference_mw))

    @property
    def interferer_terms(self) -> InterfererChannels:
        """The cached interferer terms (with ``interference="coloured"``)."""
        terms = self.data.interferers
        if terms is None:
            raise RuntimeError("interferer terms exist only with interference='coloured'")
        return terms

    def _coloured_interferer_snr(self) -> NDArray[np.float64]:
        """(M,) ``q_i = p_i / (N_0 B F)``, each at the path loss to its serving BS."""
        terms = self.interferer_terms
        path_loss_db = -self.channels.mean_gain_db[terms.users, terms.serving_bs]
        noise_dbm = self.config["tx_power_dbm"] - 10.0 * np.log10(self.snr_scale)
        return np.asarray(10.0 ** ((self._interferer_power_dbm(path_loss_db) - noise_dbm) / 10.0))

    def _coloured_interference_over_thermal_db(self) -> NDArray[np.float64]:
        """Per-BS mean interference over thermal [dB] of the coloured interferers.

        ``1 + a sum_i q_i ||g_{b,i}||^2 / ports``, averaged over sub-bands, ``a`` the activity:
        the observed IoT (``observe_interference``) and the ``best_sinr_n`` baseline's.
        """
        received = np.diagonal(self.interferer_terms.gram, axis1=-2, axis2=-1).real  # (B, S, M)
        ports = 2 * int(np.prod(self.config["bs_panel"]))
        per_port = (received * self.interferer_snr).sum(axis=-1).mean(axis=-1) / ports
        return np.asarray(10.0 * np.log10(1.0 + self.interferer_activity * per_port))

    def _draw_activity(
        self, envs: NDArray[np.int64], generators: Sequence[np.random.Generator]
    ) -> None:
        """Draw which interferers transmit in ``envs``' new step (coloured, activity < 1)."""
        if not self.coloured or self.interferer_activity >= 1.0:
            return
        count = len(self.interferer_snr)
        for env in envs:
            self.active[env] = generators[env].random(count) < self.interferer_activity

    def step_activity(self, envs: NDArray[np.int64]) -> NDArray[np.float64] | None:
        """(len(envs), M) interferers transmitting in ``envs``' current step; None if fixed.

        None (white interference, or every interferer always active) lets :meth:`set_gram`
        use the fixed interference.
        """
        if not self.coloured or self.interferer_activity >= 1.0:
            return None
        return np.asarray(self.active[envs].copy())

    @property
    def num_sets(self) -> int:
        """Number of cooperative sets, C(U, N)."""
        return len(self.bs_sets)

    def set_index_of(self, members: NDArray[np.int64]) -> NDArray[np.int64]:
        """Return the index of the set holding each row of distinct BS indices (B, N)."""
        return self._set_of_bitmask[np.bitwise_or.reduce(np.left_shift(1, members), axis=1)]

    def forget_draws(self, envs: NDArray[np.int64] | Sequence[int]) -> None:
        """Drop buffered draws of ``envs`` (their generators were replaced by a new seed)."""
        self._draw_pos[np.asarray(envs, dtype=np.int64)] = DRAW_BUFFER

    def _draw_users(
        self, envs: NDArray[np.int64], generators: Sequence[np.random.Generator]
    ) -> NDArray[np.int64]:
        """Take one uniform user index per env in ``envs`` from its generator's buffer."""
        empty = envs[self._draw_pos[envs] >= DRAW_BUFFER]
        for env in empty:
            drawn = generators[env].integers(0, len(self.active_users), size=DRAW_BUFFER)
            self._draws[env] = self.active_users[drawn]
            self._draw_pos[env] = 0
        drawn = self._draws[envs, self._draw_pos[envs]]
        self._draw_pos[envs] += 1
        return drawn

    def reset(self, envs: NDArray[np.int64], generators: Sequence[np.random.Generator]) -> None:
        """Start new episodes for ``envs``: a random first user, step counter at zero.

        A mobile UE starts at a uniform grid user with a uniform heading. Every UE starts served
        by its N strongest BSs (by true RSRP: initial access).
        """
        if self.tracks is None:
            self.user[envs] = self._draw_users(envs, generators)
        else:
            for env in envs:
                self.user[env] = self.active_users[
                    generators[env].integers(0, len(self.active_users))
                ]
                self.heading[env] = 2 * generators[env].integers(0, 2) - 1
            self.track[envs] = self.tracks.track_of_user[self.user[envs]]
            self.distance_m[envs] = self.tracks.distance_of_user(self.user[envs])
        self.elapsed[envs] = 0
        self.current_set[envs] = self.top_n_sets(self.channels.mean_gain_db[self.user[envs]])
        self._measure(envs, generators)
        self._draw_activity(envs, generators)

    def advance(
        self, envs: NDArray[np.int64], generators: Sequence[np.random.Generator]
    ) -> NDArray[np.bool_]:
        """Move ``envs`` to their next user; return which of them reached the episode length."""
        self.elapsed[envs] += 1
        if self.config["user_sequence"] == "uniform":
            self.user[envs] = self._draw_users(envs, generators)
        elif self.tracks is None:
            self.user[envs] = (
                self.user[envs] + self.config["trajectory_step_users"]
            ) % self.num_users
        else:
            track, distance, heading = move_along_tracks(
                self.tracks,
                self.track[envs],
                self.distance_m[envs],
                self.heading[envs],
                float(self.config["ue_speed_mps"]) * float(self.config["step_duration_s"]),
                float(self.config["street_change_probability"]),
                [generators[env] for env in envs],
            )
            self.track[envs], self.distance_m[envs], self.heading[envs] = track, distance, heading
            self.user[envs] = self.tracks.nearest_user(track, distance)
        self._measure(envs, generators)
        self._draw_activity(envs, generators)
        return np.asarray(self.elapsed[envs] >= self.config["episode_length"])

    def observations(self, envs: NDArray[np.int64]) -> NDArray[np.float32]:
        """Return (len(envs), obs_dim) observations of the current users."""
        users = self.user[envs]
        obs: NDArray[np.float32] = np.zeros((len(envs), 0), dtype=np.float32)
        if self.config["observe_position"]:
            obs = self.normalized_positions[users]
            if self.tracks is not None:
                position = (self.ue_position_m(envs) - self._area_low) / self._area_span
                obs = np.clip(position, 0.0, 1.0).astype(np.float32)
        if self.config["observe_rsrp"]:
            reports = (self.rsrp_report[envs] / HIGHEST_RSRP_REPORT).astype(np.float32)
            obs = np.concatenate([obs, reports], axis=1)
        if self.observe_srs:
            srs = normalized_srs_snr(self.srs_snr_report_db[envs])
            obs = np.concatenate([obs, srs], axis=1)
        if self.config["observe_current_set"]:
            members = np.zeros((len(envs), self.num_bs), dtype=np.float32)
            members[np.arange(len(envs))[:, None], self.bs_sets[self.current_set[envs]]] = 1.0
            obs = np.concatenate([obs, members], axis=1)
        if self.config["observe_rx_power"]:
            power = np.clip(self.rx_snr_db(users) / 50.0, -2.0, 2.0).astype(np.float32)
            obs = np.concatenate([obs, power], axis=1)
        if self.config["observe_interference"]:
            iot = np.broadcast_to(
                self.interference_over_thermal_db / 20.0, (len(users), self.num_bs)
            )
            obs = np.concatenate([obs, np.clip(iot, 0.0, 5.0).astype(np.float32)], axis=1)
        return np.asarray(obs, dtype=np.float32)

    def set_gram(
        self,
        users: NDArray[np.int64],
        set_index: NDArray[np.int64],
        activity: NDArray[np.float64] | None = None,
    ) -> NDArray[np.complex128]:
        """Return the SINR-scaled Gram matrix of each user's chosen BS set.

        White interference: each BS's Gram is weighted by P_tx / (noise + interference) at that
        BS; after whitening, the set's MMSE receiver sees the sum. Coloured: the set's Gram
        whitened by its interference-plus-noise covariance (see the module docstring).

        Args:
            users: (B,) the users.
            set_index: (B,) their sets.
            activity: (B, M) which interferers transmit (1) or not (0), with "coloured"; None:
                each at its activity probability (the mean covariance; exact when it is 1).

        Returns:
            (B, Nt, Nt) narrowband with white interference, else (B, S, Nt, Nt) per sub-band.
        """
        members = self.bs_sets[set_index]  # (B, N)
        if self._set_interferer_gram is not None:
            gram = self._subband_gram[users[:, None], members].sum(axis=1)
            cross = self.interferer_terms.cross[users[:, None], members].sum(axis=1)
            fraction = self.interferer_activity if activity is None else activity
            q = np.broadcast_to(self.interferer_snr * fraction, (len(users), cross.shape[-1]))
            interferer_gram = self._set_interferer_gram[set_index]
            whitened = whitened_gram(gram, cross, interferer_gram, q[:, None, :])
            return np.asarray(self.snr_scale * whitened)
        weights = self.bs_snr_scale[members][..., None, None]
        if self.num_subbands > 1:
            weights = weights[..., None]
        return np.asarray((self.data.gram[users[:, None], members] * weights).sum(axis=1))

    def codeword_rates(self, gram: NDArray[np.complex128]) -> NDArray[np.float64]:
        """Return every codeword's MMSE sum rate (B, C) [bit/s/Hz] for Gram matrices.

        The one rate function of the env (reward, expert precoder, oracle and baselines): with
        ``se_ceiling`` each layer's ``log2(1 + SINR)`` is capped at the MCS table's highest
        spectral efficiency (:func:`~wmoe.phy.nr_mcs.cap_sinr`). Gram matrices (B, S, Nt, Nt)
        of S sub-bands give the mean over sub-bands of these (capped) rates.

        Each rank's effective Grams ``W^H G W`` are one real matrix product for the batch
        (:class:`~wmoe.phy.effective_grams.EffectiveGrams`), equalised without zero padding.

        Args:
            gram: (B, Nt, Nt), or (B, S, Nt, Nt) per sub-band, as :meth:`set_gram` returns.
        """
        if gram.ndim == 4:
            batch, subbands = gram.shape[:2]
            flat = self.codeword_rates(gram.reshape(batch * subbands, *gram.shape[2:]))
            return np.asarray(flat.reshape(batch, subbands, -1).mean(axis=1))
        parameters = self._rank_groups[0][1].parameters(gram)
        rates = np.empty((len(gram), self.codebook.num_codewords))
        for members, effective_grams in self._rank_groups:
            sinr = mmse_sinr_from_gram(effective_grams(gram, parameters))
            if self.max_spectral_efficiency is not None:
                sinr = cap_sinr(sinr, self.max_spectral_efficiency)
            rates[:, members] = sum_rate(sinr)
        return rates

    def evaluate(
        self,
        users: NDArray[np.int64],
        set_index: NDArray[np.int64],
        precoder: NDArray[np.int64] | None,
        activity: NDArray[np.float64] | None = None,
    ) -> StepResult:
        """Rate of each (user, set, precoder); ``precoder=None`` applies the expert precoder.

        ``activity``: the interferers transmitting, see :meth:`set_gram`.
        """
        rates = self.codeword_rates(self.set_gram(users, set_index, activity))
        expert = first_best(rates)
        rows = np.arange(len(users))
        chosen = expert if precoder is None else precoder
        return StepResult(
            rate=rates[rows, chosen],
            precoder=chosen,
            expert_precoder=expert,
            expert_rate=rates[rows, expert],
        )

    def oracle(
        self,
        users: NDArray[np.int64],
        current_sets: NDArray[np.int64] | None = None,
        activity: NDArray[np.float64] | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """Exhaustive search over every set and codeword: (set, precoder, reward) per user.

        Args:
            users: The users.
            current_sets: Each user's current set; with a re-association loss the search
                maximises the reward (rate times :meth:`reward_factor`). None: the rate.
            activity: (len(users), M) the interferers transmitting, see :meth:`set_gram`.
        """
        best_set = np.zeros(len(users), dtype=np.int64)
        best_precoder = np.zeros(len(users), dtype=np.int64)
        best_rate = np.full(len(users), -np.inf)
        all_sets = np.arange(self.num_sets)
        for i, user in enumerate(users):
            active = None if activity is None else np.repeat(activity[i : i + 1], self.num_sets, 0)
            gram = self.set_gram(np.full(self.num_sets, user), all_sets, active)
            rates = self.codeword_rates(gram)
            if current_sets is not None and self.reassociation_loss > 0.0:
                keep = np.where(all_sets == current_sets[i], 1.0, 1.0 - self.reassociation_loss)
                rates *= keep[:, None]
            flat = int(first_best(rates.reshape(1, -1))[0])
            best_set[i], best_precoder[i] = divmod(flat, rates.shape[1])
            best_rate[i] = rates.flat[flat]
        return best_set, best_precoder, best_rate

    def allowed_sets(self, users: NDArray[np.int64]) -> NDArray[np.bool_]:
        """(B, num_sets) sets that use as many reachable BSs as the user has (up to N)."""
        reachable = self.reachable[users]  # (B, U)
        if not self.config["mask_unreachable_bs"]:
            return np.ones((len(users), self.num_sets), dtype=bool)
        in_set = reachable[:, self.bs_sets].sum(axis=-1)  # (B, num_sets)
        wanted = np.minimum(reachable.sum(axis=1), self.bs_sets.shape[1])
        return np.asarray(in_set == wanted[:, None])

    def step(
        self,
        envs: NDArray[np.int64],
        set_index: NDArray[np.int64],
        precoder: NDArray[np.int64] | None,
        generators: Sequence[np.random.Generator],
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], dict[str, NDArray[Any]]]:
        """Apply decisions for ``envs`` and move them to their next users.

        Returns:
            Rewards [bit/s/Hz], truncation flags and per-env info arrays (leading axis ``envs``):
            ``rate``, ``bs_set``, ``precoder``, ``expert_precoder``, ``expert_rate``,
            ``user_index``; with a re-association loss ``reassociated`` (the set changed);
            with mobility ``ue_position_m``; with ``info_oracle``, ``oracle_rate`` (the best
            reward of the step, re-association loss included) and ``regret``.
        """
        users = self.user[envs].copy()
        activity = self.step_activity(envs)
        result = self.evaluate(users, set_index, precoder, activity)
        current_sets = self.current_set[envs].copy()
        reward = result.rate
        info: dict[str, NDArray[Any]] = {
            "rate": result.rate,
            "bs_set": self.bs_sets[set_index],
            "precoder": result.precoder.astype(np.int64),
            "expert_precoder": result.expert_precoder.astype(np.int64),
            "expert_rate": result.expert_rate,
            "user_index": users,
        }
        if self.reassociation_loss > 0.0:
            reward = result.rate * self.reward_factor(envs, set_index)
            info["reassociated"] = set_index != current_sets
        if self.tracks is not None:
            info["ue_position_m"] = self.ue_position_m(envs)
        if self.config["info_oracle"]:
            oracle_rate = self.oracle(users, current_sets, activity)[2]
            info["oracle_rate"] = oracle_rate
            info["regret"] = oracle_rate - reward
        self.current_set[envs] = set_index
        truncated = self.advance(envs, generators)
        return reward, truncated, info

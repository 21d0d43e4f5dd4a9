"""Reference policies for multi-BS reception: random, position-only, strongest-N and the oracle.

They answer with (set, codeword) choices that :meth:`ActionCodec.encode` turns into actions of
any form. In expert mode (``precoder_selection="expert"``) the env applies the best codeword
for the chosen set whatever the policy says, so there every baseline below is scored with it.

Every policy is called as ``policy(core, users, rng, envs)``: ``envs`` are the core's rows
whose state (RSRP reports, current set) the users are in, or None for users drawn outside an
episode (:func:`evaluate_baselines`), where a report is measured afresh with ``rng`` and no set
is current.

Channel-aware (genie) policies, which read the simulator's channel knowledge:

* ``random``: a uniform set, and a uniform codeword (the expert one in expert mode);
* ``strongest_n``: the N BSs with the largest received power and the best codeword for that
  set — the classical association rule. With ``observe_rsrp`` it ranks the BSs by the UE's
  reported RSRP (what the observation holds, so a realisable policy; its codeword is the one
  the gNB would pick from SRS, TS 38.214 Sec. 6.1.1.1); else by the true mean channel gain;
* ``strongest_n_genie``: the N BSs with the largest true mean channel gain, whatever is
  observed (the v1 tables only; in v0 it is ``strongest_n``);
* ``best_sinr_n``: the N BSs with the largest per-BS SINR, i.e. received power over that BS's
  noise plus interference (it knows the interference map), and the best codeword;
* ``hysteresis_handover`` (v1 tables): keep the current set until the strongest-N set by
  reported RSRP (true gain without ``observe_rsrp``) beats it by :data:`HANDOVER_MARGIN_DB`
  in total received power: the A3 event ("neighbour becomes offset better than serving") of
  TS 38.331 Sec. 5.5.4.4 with an offset of 3 dB, applied to the whole set;
* ``oracle``: exhaustive search over all ``C(U, N)`` sets and all codewords for the best
  reward of the step (the rate, less the re-association loss where the set changes): an
  upper bound per step, and over an episode where there is no re-association loss (with one
  it is myopic; the bound over an episode is
  :func:`~wmoe.envs.multi_bs_reception.bounds.upper_bound`).

Position-only policies, which see only the UE's position, as the agent does (the case
study's observation), plus a fixed labelled subset of the scenario's users:

* ``nearest_n``: the N BSs nearest to the UE; its codeword is the best one for that set, which
  uses channel knowledge (in agent mode; in expert mode the env applies it anyway);
* ``nearest_n_fixed``: the N nearest BSs with one fixed codeword, the one of highest mean rate
  over the labelled users served by their own N nearest BSs: position-only in both modes;
* ``knn_oracle``: the oracle's (set, codeword) of the labelled user nearest to the UE in
  (x, y), the UE itself left out (leave-one-out; equidistant neighbours are tied as the k-d
  tree returns them), so it is a 1-nearest-neighbour regression of the oracle, not the oracle
  in disguise.

The labelled users are :data:`LABEL_FRACTION` of the scenario's users, drawn without
replacement with ``numpy.random.default_rng(LABEL_SEED)``, the same for every env of a
scenario; their oracle labels are computed on first use.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from wmoe.envs.multi_bs_reception.core import ReceptionCore
from wmoe.phy.nr_measurements import rsrp_report_dbm

Choice = tuple[NDArray[np.int64], NDArray[np.int64]]

LABEL_FRACTION = 0.1
"""Share of the scenario's users whose oracle action the position-only baselines may read."""
LABEL_SEED = 0
"""Seed of the draw of the labelled users."""
HANDOVER_MARGIN_DB = 3.0
"""A3 offset of ``hysteresis_handover`` [dB] (TS 38.331 Sec. 5.5.4.4, ``a3-Offset``)."""


def _with_expert_codeword(
    core: ReceptionCore, users: NDArray[np.int64], sets: NDArray[np.int64], codewords: Any
) -> Choice:
    """``(sets, codewords)``, with the expert codeword in expert mode (the env applies it)."""
    if core.config["precoder_selection"] == "expert":
        return sets, core.evaluate(users, sets, None).expert_precoder
    return sets, np.broadcast_to(np.asarray(codewords, dtype=np.int64), sets.shape).copy()


def random_choice(
    core: ReceptionCore,
    users: NDArray[np.int64],
    rng: np.random.Generator,
    envs: NDArray[np.int64] | None = None,
) -> Choice:
    """A uniformly random set per user; a random codeword, or the expert one in expert mode."""
    sets = rng.integers(0, core.num_sets, size=len(users))
    codewords = rng.integers(0, core.codebook.num_codewords, size=len(users))
    return _with_expert_codeword(core, users, sets, codewords)


def _top_n_choice(
    core: ReceptionCore, users: NDArray[np.int64], score: NDArray[np.float64]
) -> Choice:
    """The N BSs with the highest per-BS ``score`` (users, BSs), with their best codeword."""
    sets = core.top_n_sets(score)
    return sets, core.evaluate(users, sets, None).expert_precoder


def _received_power_db(
    core: ReceptionCore,
    users: NDArray[np.int64],
    rng: np.random.Generator | None,
    envs: NDArray[np.int64] | None,
) -> NDArray[np.float64]:
    """Per-BS received power [dB] as the policy knows it.

    The RSRP reports with ``observe_rsrp`` (the envs' last ones, or fresh measurements with
    ``rng``), else the true per-antenna SNR (the true gain plus a constant).
    """
    if not core.config["observe_rsrp"]:
        return core.rx_snr_db(users)
    if envs is not None:
        return core.reported_rsrp_dbm(envs)
    return rsrp_report_dbm(core.measure_rsrp_report(users, rng or np.random.default_rng()))


def strongest_n_choice(
    core: ReceptionCore,
    users: NDArray[np.int64],
    rng: np.random.Generator | None = None,
    envs: NDArray[np.int64] | None = None,
) -> Choice:
    """The N strongest BSs per user (by reported RSRP where observed) with their best codeword."""
    return _top_n_choice(core, users, _received_power_db(core, users, rng, envs))


def strongest_n_genie_choice(
    core: ReceptionCore,
    users: NDArray[np.int64],
    rng: np.random.Generator | None = None,
    envs: NDArray[np.int64] | None = None,
) -> Choice:
    """The N BSs of the largest true mean channel gain, with their best codeword."""
    return _top_n_choice(core, users, core.rx_snr_db(users))


def hysteresis_handover_choice(
    core: ReceptionCore,
    users: NDArray[np.int64],
    rng: np.random.Generator | None = None,
    envs: NDArray[np.int64] | None = None,
) -> Choice:
    """Keep the current set unless the strongest N are :data:`HANDOVER_MARGIN_DB` stronger.

    The sets are compared by their total received power, ``10 log10 sum_b 10^(P_b / 10)``
    [dB] over their BSs. Without ``envs`` no set is current and it takes the strongest N.
    """
    power_db = _received_power_db(core, users, rng, envs)
    strongest = core.top_n_sets(power_db)
    if envs is None:
        return strongest, core.evaluate(users, strongest, None).expert_precoder
    current = core.current_set[envs]

    def total_db(sets: NDArray[np.int64]) -> NDArray[np.float64]:
        members = np.take_along_axis(power_db, core.bs_sets[sets], axis=1)
        with np.errstate(divide="ignore"):
            return np.asarray(10.0 * np.log10((10.0 ** (members / 10.0)).sum(axis=1)))

    switch = total_db(strongest) > total_db(current) + HANDOVER_MARGIN_DB
    sets = np.where(switch, strongest, current)
    return sets, core.evaluate(users, sets, None).expert_precoder


def best_sinr_n_choice(
    core: ReceptionCore,
    users: NDArray[np.int64],
    rng: np.random.Generator | None = None,
    envs: NDArray[np.int64] | None = None,
) -> Choice:
    """The N BSs with the best per-BS SINR (knowing each BS's interference), best codeword."""
    return _top_n_choice(core, users, core.rx_snr_db(users) - core.interference_over_thermal_db)


def _nearest_sets(core: ReceptionCore, users: NDArray[np.int64]) -> NDArray[np.int64]:
    """Index of the set of the N BSs nearest to each user (3-D distance, ties to lower BS)."""
    offsets = core.data.user_positions[users, None, :] - core.data.bs_positions[None, :, :]
    distance = np.linalg.norm(offsets, axis=-1)  # (users, BSs) [m]
    top = np.argsort(distance, axis=1, kind="stable")[:, : core.bs_sets.shape[1]]
    return core.set_index_of(np.sort(top, axis=1))


@dataclass
class LabelledUsers:
    """The labelled users of a scenario and their lazily computed oracle actions.

    Attributes:
        users: Indices of the labelled users, ascending.
        tree: k-d tree over their (x, y) positions [m].
        oracle_set: Oracle set of each labelled user; -1 until computed.
        oracle_codeword: Oracle codeword of each labelled user; -1 until computed.
        fixed_codeword: The codeword of ``nearest_n_fixed``; None until computed.
    """

    users: NDArray[np.int64]
    tree: cKDTree
    oracle_set: NDArray[np.int64]
    oracle_codeword: NDArray[np.int64]
    fixed_codeword: int | None = None


_LABELS: weakref.WeakKeyDictionary[ReceptionCore, LabelledUsers] = weakref.WeakKeyDictionary()


def labelled_users(core: ReceptionCore) -> LabelledUsers:
    """The labelled users of ``core``'s scenario (drawn once per simulator, see module doc)."""
    if core not in _LABELS:
        active = core.active_users
        count = max(2, round(LABEL_FRACTION * len(active)))
        rng = np.random.default_rng(LABEL_SEED)
        users = np.sort(active[rng.choice(len(active), size=count, replace=False)])
        _LABELS[core] = LabelledUsers(
            users=users,
            tree=cKDTree(core.data.user_positions[users, :2]),
            oracle_set=np.full(count, -1, dtype=np.int64),
            oracle_codeword=np.full(count, -1, dtype=np.int64),
        )
    return _LABELS[core]


def nearest_n_choice(
    core: ReceptionCore,
    users: NDArray[np.int64],
    rng: np.random.Generator | None = None,
    envs: NDArray[np.int64] | None = None,
) -> Choice:
    """The N BSs nearest to each user with the best codeword for them (channel knowledge)."""
    sets = _nearest_sets(core, users)
    return sets, core.evaluate(users, sets, None).expert_precoder


def nearest_n_fixed_choice(
    core: ReceptionCore,
    users: NDArray[np.int64],
    rng: np.random.Generator | None = None,
    envs: NDArray[np.int64] | None = None,
) -> Choice:
    """The N nearest BSs with the codeword of highest mean rate over the labelled users."""
    labels = labelled_users(core)
    if labels.fixed_codeword is None:
        rates = core.codeword_rates(core.set_gram(labels.users, _nearest_sets(core, labels.users)))
        labels.fixed_codeword = int(rates.mean(axis=0).argmax())
    sets = _nearest_sets(core, users)
    return _with_expert_codeword(core, users, sets, labels.fixed_codeword)


def knn_oracle_choice(
    core: ReceptionCore,
    users: NDArray[np.int64],
    rng: np.random.Generator | None = None,
    envs: NDArray[np.int64] | None = None,
) -> Choice:
    """The oracle action of the labelled user nearest in (x, y), other than the user itself."""
    labels = labelled_users(core)
    _, neighbours = labels.tree.query(core.data.user_positions[users, :2], k=2)
    is_self = labels.users[neighbours[:, 0]] == users
    nearest = np.where(is_self, neighbours[:, 1], neighbours[:, 0])
    missing = np.unique(nearest[labels.oracle_set[nearest] < 0])
    if len(missing):
        sets, codewords, _ = core.oracle(labels.users[missing])
        labels.oracle_set[missing] = sets
        labels.oracle_codeword[missing] = codewords
    return _with_expert_codeword(
        core, users, labels.oracle_set[nearest], labels.oracle_codeword[nearest]
    )


def oracle_choice(
    core: ReceptionCore,
    users: NDArray[np.int64],
    rng: np.random.Generator | None = None,
    envs: NDArray[np.int64] | None = None,
) -> Choice:
    """The best set and codeword per user by exhaustive search (re-association loss included)."""
    sets, codewords, _ = core.oracle(users, None if envs is None else core.current_set[envs])
    return sets, codewords


BASELINES: dict[str, Callable[..., Choice]] = {
    "random": random_choice,
    "strongest_n": strongest_n_choice,
    "best_sinr_n": best_sinr_n_choice,
    "nearest_n": nearest_n_choice,
    "nearest_n_fixed": nearest_n_fixed_choice,
    "knn_oracle": knn_oracle_choice,
    "oracle": oracle_choice,
}
"""The baselines of ``wmoe/MultiBSReception-v0``."""

V1_BASELINES: dict[str, Callable[..., Choice]] = {
    "random": random_choice,
    "strongest_n": strongest_n_choice,
    "strongest_n_genie": strongest_n_genie_choice,
    "hysteresis_handover": hysteresis_handover_choice,
    "best_sinr_n": best_sinr_n_choice,
    "nearest_n": nearest_n_choice,
    "nearest_n_fixed": nearest_n_fixed_choice,
    "knn_oracle": knn_oracle_choice,
    "oracle": oracle_choice,
}
"""The baselines of the v1 variants (:mod:`~wmoe.envs.multi_bs_reception.baselines_v1`)."""


@dataclass(frozen=True)
class BaselineRates:
    """Sum rates [bit/s/Hz] of each baseline over the same users.

    Attributes:
        users: The evaluated user indices.
        rates: Baseline name -> per-user rate.
    """

    users: NDArray[np.int64]
    rates: dict[str, NDArray[np.float64]]

    def summary(self) -> dict[str, dict[str, float]]:
        """Mean, standard deviation and 95 % confidence half-width of each baseline's rate."""
        out = {}
        for name, rate in self.rates.items():
            half_width = 1.96 * rate.std(ddof=1) / np.sqrt(len(rate)) if len(rate) > 1 else 0.0
            out[name] = {
                "mean": float(rate.mean()),
                "std": float(rate.std()),
                "ci95": float(half_width),
            }
        return out

    def table(self) -> str:
        """The summary as a text table, with each rate as a share of the oracle's."""
        summary = self.summary()
        oracle = summary.get("oracle", {}).get("mean")
        lines = [f"{'policy':<16} {'mean rate':>10} {'95% CI':>8} {'of oracle':>10}"]
        for name, stats in summary.items():
            share = f"{100 * stats['mean'] / oracle:9.1f}%" if oracle else ""
            lines.append(f"{name:<16} {stats['mean']:10.2f} {stats['ci95']:8.2f} {share:>10}")
        return "\n".join(lines)


def evaluate_baselines(
    core: ReceptionCore, num_users: int, seed: int, names: tuple[str, ...] = tuple(BASELINES)
) -> BaselineRates:
    """Rate of each baseline on the same ``num_users`` uniformly drawn users.

    Args:
        core: A simulator (any batch size).
        num_users: Users to draw.
        seed: Seed of the user draws and of the random baseline.
        names: Baselines to evaluate (keys of :data:`V1_BASELINES`, which holds those of
            :data:`BASELINES`).

    Raises:
        ValueError: For an unknown baseline name.
    """
    unknown = [n for n in names if n not in V1_BASELINES]
    if unknown:
        raise ValueError(f"unknown baselines {unknown}; choose from {sorted(V1_BASELINES)}")
    rng = np.random.default_rng(seed)
    users = core.active_users[rng.integers(0, len(core.active_users), size=num_users)]
    rates = {}
    for name in names:
        sets, codewords = V1_BASELINES[name](core, users, rng)
        rates[name] = core.evaluate(users, sets, codewords).rate
    return BaselineRates(users=users, rates=rates)


def baseline_action(
    name: str,
    env: Any,
    rng: np.random.Generator | None = None,
    baselines: dict[str, Callable[..., Choice]] = BASELINES,
) -> Any:
    """The action a baseline takes in a single :class:`MultiBSReceptionEnv` right now.

    Args:
        name: Key of ``baselines``.
        env: The (unwrapped) single environment.
        rng: Generator for the random baseline.
        baselines: The table to pick from (:data:`BASELINES` or :data:`V1_BASELINES`).
    """
    if name not in baselines:
        raise ValueError(f"unknown baseline {name!r}; choose from {sorted(baselines)}")
    core: ReceptionCore = env.core
    envs = np.zeros(1, dtype=np.int64)
    sets, codewords = baselines[name](core, core.user[envs], rng or np.random.default_rng(), envs)
    return env.codec.encode(sets, codewords)[0]

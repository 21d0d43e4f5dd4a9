"""Reference policies for multi-BS reception: random, strongest-N and the exhaustive oracle.

They read the simulator's channel knowledge (they are genie policies, not observation-based
agents) and answer with (set, codeword) choices that :meth:`ActionCodec.encode` turns into
actions of any form.

* ``random``: a uniform set, and a uniform codeword (the expert one in expert mode);
* ``strongest_n``: the N BSs with the largest received power (channel Frobenius norm) and the
  best codeword for that set — the classical association rule;
* ``best_sinr_n``: the N BSs with the largest per-BS SINR, i.e. received power over that BS's
  noise plus interference (it knows the interference map), and the best codeword;
* ``oracle``: exhaustive search over all ``C(U, N)`` sets and all codewords (the upper bound).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.multi_bs_reception.core import ReceptionCore

Choice = tuple[NDArray[np.int64], NDArray[np.int64]]


def random_choice(
    core: ReceptionCore, users: NDArray[np.int64], rng: np.random.Generator
) -> Choice:
    """A uniformly random set per user; a random codeword, or the expert one in expert mode."""
    sets = rng.integers(0, core.num_sets, size=len(users))
    codewords = rng.integers(0, core.codebook.num_codewords, size=len(users))
    if core.config["precoder_selection"] == "expert":
        codewords = core.evaluate(users, sets, None).expert_precoder
    return sets, codewords


def _top_n_choice(
    core: ReceptionCore, users: NDArray[np.int64], score: NDArray[np.float64]
) -> Choice:
    """The N BSs with the highest per-BS ``score`` (users, BSs), with their best codeword."""
    top = np.argsort(-score, axis=1, kind="stable")[:, : core.bs_sets.shape[1]]
    sets = core.set_index_of(np.sort(top, axis=1))
    return sets, core.evaluate(users, sets, None).expert_precoder


def strongest_n_choice(
    core: ReceptionCore, users: NDArray[np.int64], rng: np.random.Generator | None = None
) -> Choice:
    """The N strongest BSs per user with the best codeword for them."""
    return _top_n_choice(core, users, core.rx_snr_db(users))


def best_sinr_n_choice(
    core: ReceptionCore, users: NDArray[np.int64], rng: np.random.Generator | None = None
) -> Choice:
    """The N BSs with the best per-BS SINR (knowing each BS's interference), best codeword."""
    return _top_n_choice(core, users, core.rx_snr_db(users) - core.interference_over_thermal_db)


def oracle_choice(
    core: ReceptionCore, users: NDArray[np.int64], rng: np.random.Generator | None = None
) -> Choice:
    """The best set and codeword per user by exhaustive search."""
    sets, codewords, _ = core.oracle(users)
    return sets, codewords


BASELINES: dict[str, Callable[..., Choice]] = {
    "random": random_choice,
    "strongest_n": strongest_n_choice,
    "best_sinr_n": best_sinr_n_choice,
    "oracle": oracle_choice,
}


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
        lines = [f"{'policy':<12} {'mean rate':>10} {'95% CI':>8} {'of oracle':>10}"]
        for name, stats in summary.items():
            share = f"{100 * stats['mean'] / oracle:9.1f}%" if oracle else ""
            lines.append(f"{name:<12} {stats['mean']:10.2f} {stats['ci95']:8.2f} {share:>10}")
        return "\n".join(lines)


def evaluate_baselines(
    core: ReceptionCore, num_users: int, seed: int, names: tuple[str, ...] = tuple(BASELINES)
) -> BaselineRates:
    """Rate of each baseline on the same ``num_users`` uniformly drawn users.

    Args:
        core: A simulator (any batch size).
        num_users: Users to draw.
        seed: Seed of the user draws and of the random baseline.
        names: Baselines to evaluate (keys of :data:`BASELINES`).

    Raises:
        ValueError: For an unknown baseline name.
    """
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise ValueError(f"unknown baselines {unknown}; choose from {sorted(BASELINES)}")
    rng = np.random.default_rng(seed)
    users = rng.integers(0, core.num_users, size=num_users)
    rates = {}
    for name in names:
        sets, codewords = BASELINES[name](core, users, rng)
        rates[name] = core.evaluate(users, sets, codewords).rate
    return BaselineRates(users=users, rates=rates)


def baseline_action(name: str, env: Any, rng: np.random.Generator | None = None) -> Any:
    """The action a baseline takes in a single :class:`MultiBSReceptionEnv` right now.

    Args:
        name: Key of :data:`BASELINES`.
        env: The (unwrapped) single environment.
        rng: Generator for the random baseline.
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose from {sorted(BASELINES)}")
    core: ReceptionCore = env.core
    users = core.user[:1]
    sets, codewords = BASELINES[name](core, users, rng or np.random.default_rng())
    return env.codec.encode(sets, codewords)[0]

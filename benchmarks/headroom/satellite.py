"""Headroom of ``wmoe/SatelliteBeamforming-v1``: every baseline and the reference, per task regime.

Run from the repository root::

    .venv/bin/python benchmarks/headroom/satellite.py [--episodes 3] [--episode-length 64]

Prints a markdown table: per regime (the band and the reward profile fixed, the user
distribution and the GEO layout drawn as the default config draws them), the mean return over
episodes seeded 1,000,000, 1,000,001, ... (the benchmark suites' test seeds) of each baseline
of :mod:`wmoe.envs.satellite_beamforming.reference` (returns can be negative: GEO, backlog
and switching costs), the reference ``wmmse_search`` last, each with its share of the
reference's return in brackets; then the span ``R_ref - R_random`` of the leaderboard's
normalised score in that regime. The last row averages the regimes (the default config draws
the bands and the profiles with equal weights).
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np
import torch

import wmoe  # noqa: F401
from wmoe.agents.evaluate import baseline_policies, run_episodes
from wmoe.envs.satellite_beamforming.config import REWARD_PROFILES
from wmoe.envs.satellite_beamforming.reference import REFERENCE

ENV_ID = "wmoe/SatelliteBeamforming-v1"
FIRST_SEED = 1_000_000


def regime_returns(band: str, profile: str, episodes: int, episode_length: int) -> dict[str, float]:
    """Mean return of each baseline over the seeded episodes of one regime."""
    config = {
        "band_weights": None,
        "band": band,
        "reward_profile_weights": None,
        "reward_profile": profile,
        "episode_length": episode_length,
    }
    env = gym.make(ENV_ID, config=config)
    return {
        name: float(np.mean(run_episodes(env, policy, episodes, FIRST_SEED)[0]))
        for name, policy in baseline_policies(ENV_ID, FIRST_SEED).items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--episode-length", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    names = list(baseline_policies(ENV_ID, FIRST_SEED))
    print(
        f"{ENV_ID}, {args.episodes} episodes of {args.episode_length} steps from seed "
        f"{FIRST_SEED} per regime; mean return (share of {REFERENCE})"
    )
    print("| band | profile | " + " | ".join(names) + " | span |")
    print("|---|---|" + "---|" * (len(names) + 1))
    regimes = []
    for band in ("ka", "s"):
        for profile in REWARD_PROFILES:
            means = regime_returns(band, profile, args.episodes, args.episode_length)
            print(f"| {band} | {profile} | {_cells(means, names)} |", flush=True)
            regimes.append(means)
    overall = {name: float(np.mean([means[name] for means in regimes])) for name in names}
    print(f"| all | | {_cells(overall, names)} |")


def _cells(means: dict[str, float], names: list[str]) -> str:
    """Each baseline's mean return with its share of the reference's, then the span."""
    reference = means[REFERENCE]
    cells = [f"{means[name]:.1f} ({means[name] / reference:.2f})" for name in names]
    cells.append(f"{reference - means['random']:.1f}")
    return " | ".join(cells)


if __name__ == "__main__":
    main()

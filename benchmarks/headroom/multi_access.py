"""Headroom of ``wmoe/MultiAccess-v*``: every baseline and the upper bound, per mix.

Run from the repository root::

    .venv/bin/python benchmarks/headroom/multi_access.py wmoe/MultiAccess-v1 [--episodes 10]

Prints a markdown table: the mean return over episodes seeded 0, 1, ... of each baseline
(the tuned ones at their per-mix tuned parameter, tuned on seeds from 1,000,000) and of the
upper bound (``baselines.upper_bound_returns``), per mix, with the tuned parameters.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from wmoe.envs.multi_access.baselines import (
    BASELINES,
    TUNED,
    mean_returns,
    tuned_parameter,
    upper_bound_returns,
)
from wmoe.envs.multi_access.scenarios import MIX_NAMES
from wmoe.envs.registration import config_schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_id", help="wmoe/MultiAccess-v0 or wmoe/MultiAccess-v1")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--config", default="{}", help="JSON config overrides")
    args = parser.parse_args()
    seeds = list(range(args.episodes))
    names = list(BASELINES)
    print("| mix | " + " | ".join(names) + " | upper bound | tuned parameters |")
    print("|" + "---|" * (len(names) + 3))
    for mix in MIX_NAMES:
        config = config_schema(args.env_id).resolve({**json.loads(args.config), "scenario": mix})
        returns, tuned = [], []
        for name in names:
            parameter = tuned_parameter(name, config, mix) if name in TUNED else 0.0
            if name in TUNED:
                tuned.append(parameter)
            returns.append(mean_returns(config, name, np.array([parameter]), seeds)[0])
        bound = upper_bound_returns(config, seeds).mean()
        cells = " | ".join(f"{value:.1f}" for value in returns)
        print(f"| {mix} | {cells} | {bound:.1f} | {tuned} |", flush=True)


if __name__ == "__main__":
    main()

"""Headroom of ``wmoe/MultiBSReception-v0`` and the v1 variants: every baseline vs a reference.

Run from the repository root::

    .venv/bin/python benchmarks/headroom/multi_bs_reception.py [--episodes 10] [--env ID]
        [--config JSON]

Prints one markdown table per env id: the mean return per episode (64 steps) over episodes
seeded 1,000,000, 1,000,001, ... (the benchmark suites' test seeds) of each baseline of the
env's baselines module (the exhaustive-search ``oracle`` among them) and, where the module has
one, its upper bound (``upper_bound``), each as a share of the reference: the upper bound where
there is one, else the oracle. For v0 two configs: the leaderboard's flagship config (expert
precoder, receive power observed) and the 3GPP one (the TS 38.211 TPMI codebook chosen by the
agent, each layer's rate capped at the 256-QAM MCS table's 7.4063 bit/s/Hz); for each v1
variant its default config. The v1 variants' bound is the hindsight optimum over each episode's UE
trajectory (:mod:`wmoe.envs.multi_bs_reception.bounds`): the oracle's return without a
re-association cost (v1, RSRP-v1), above it in the mobility variant, where the oracle is the
best set per step with the re-association cost (myopic) and a policy that plans ahead can beat
it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import wmoe  # noqa: F401
from wmoe.agents.evaluate import UPPER_BOUND, baseline_policies, run_episodes, upper_bound_of

FIRST_SEED = 1_000_000
DEFAULT = "default config"
CONFIGS: dict[str, dict[str, dict[str, Any]]] = {
    "wmoe/MultiBSReception-v0": {
        "flagship (expert precoder)": {"precoder_selection": "expert", "observe_rx_power": True},
        "tpmi + mcs-256qam (agent precoder)": {
            "precoder_selection": "agent",
            "observe_rx_power": True,
            "codebook": "tpmi",
            "se_ceiling": "mcs-256qam",
        },
    },
    "wmoe/MultiBSReception-v1": {DEFAULT: {}},
    "wmoe/MultiBSReceptionRSRP-v1": {DEFAULT: {}},
    "wmoe/MultiBSReceptionMobility-v1": {DEFAULT: {}},
    "wmoe/MultiBSReceptionWideband-v1": {DEFAULT: {}},
}


def headroom_table(env_id: str, episodes: int, overrides: dict[str, Any] | None = None) -> str:
    """The markdown table of ``env_id``: each baseline's mean return and share of the reference.

    ``overrides`` are merged into every config of the id (e.g. ``{"user_stride": 4}``).
    """
    configs = {label: {**config, **(overrides or {})} for label, config in CONFIGS[env_id].items()}
    bound = upper_bound_of(env_id)
    reference = UPPER_BOUND if bound is not None else "oracle"
    seeds = list(range(FIRST_SEED, FIRST_SEED + episodes))
    returns: dict[str, dict[str, float]] = {}
    for label, config in configs.items():
        env = gym.make(env_id, config=config)
        returns[label] = {
            name: float(np.mean(run_episodes(env, policy, episodes, FIRST_SEED)[0]))
            for name, policy in baseline_policies(env_id, FIRST_SEED).items()
        }
        if bound is not None:
            returns[label][UPPER_BOUND] = float(np.mean(bound(env, seeds)))
    lines = [
        f"{env_id}, {episodes} episodes from seed {FIRST_SEED}; mean return (share of {reference})",
        "| policy | " + " | ".join(configs) + " |",
        "|---|" + "---|" * len(configs),
    ]
    for name in next(iter(returns.values())):
        cells = [
            f"{returns[label][name]:.1f} ({returns[label][name] / returns[label][reference]:.1%})"
            for label in configs
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [f"\n{label}: config={config}" for label, config in configs.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument(
        "--env", choices=list(CONFIGS), action="append", help="env id (repeatable); default all"
    )
    parser.add_argument(
        "--config",
        type=json.loads,
        default={},
        help="JSON merged into every config, e.g. '{\"user_stride\": 4}'",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    for env_id in args.env or list(CONFIGS):
        print(headroom_table(env_id, args.episodes, args.config), end="\n\n", flush=True)


if __name__ == "__main__":
    main()

"""Headroom of ``wmoe/MultiBSReception-v0`` and the v1 variants: every baseline vs the oracle.

Run from the repository root::

    .venv/bin/python benchmarks/headroom/multi_bs_reception.py [--episodes 10] [--env ID]

Prints one markdown table per env id: the mean return per episode (64 steps) over episodes
seeded 1,000,000, 1,000,001, ... (the benchmark suites' test seeds) of each baseline of the
env's baselines module (the exhaustive-search ``oracle`` among them), each as a share of the
oracle's. For v0 two configs: the leaderboard's flagship config (expert precoder, receive
power observed) and the 3GPP one (the TS 38.211 TPMI codebook chosen by the agent, each
layer's rate capped at the 256-QAM MCS table's 7.4063 bit/s/Hz); for each v1 variant its
default config. In the mobility variant the oracle is the best set per step with the
re-association cost (myopic), so a policy that plans ahead could exceed it.
"""

from __future__ import annotations

import argparse
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import wmoe  # noqa: F401
from wmoe.agents.evaluate import baseline_policies, run_episodes

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
}


def headroom_table(env_id: str, episodes: int) -> str:
    """The markdown table of ``env_id``: each baseline's mean return and share of the oracle."""
    configs = CONFIGS[env_id]
    returns: dict[str, dict[str, float]] = {}
    for label, config in configs.items():
        env = gym.make(env_id, config=config)
        returns[label] = {
            name: float(np.mean(run_episodes(env, policy, episodes, FIRST_SEED)[0]))
            for name, policy in baseline_policies(env_id, FIRST_SEED).items()
        }
    lines = [
        f"{env_id}, {episodes} episodes from seed {FIRST_SEED}; mean return (share of oracle)",
        "| policy | " + " | ".join(configs) + " |",
        "|---|" + "---|" * len(configs),
    ]
    for name in next(iter(returns.values())):
        cells = [
            f"{returns[label][name]:.1f} ({returns[label][name] / returns[label]['oracle']:.1%})"
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
    args = parser.parse_args()
    torch.set_num_threads(1)
    for env_id in args.env or list(CONFIGS):
        print(headroom_table(env_id, args.episodes), end="\n\n", flush=True)


if __name__ == "__main__":
    main()

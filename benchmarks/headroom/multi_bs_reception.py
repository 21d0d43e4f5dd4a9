"""Headroom of ``wmoe/MultiBSReception-v0``: every baseline, incl. the oracle, per config.

Run from the repository root::

    .venv/bin/python benchmarks/headroom/multi_bs_reception.py [--episodes 10]

Prints a markdown table: the mean return per episode (64 steps) over episodes seeded
1,000,000, 1,000,001, ... (the benchmark suites' test seeds) of each baseline of
``wmoe.envs.multi_bs_reception.baselines`` (the exhaustive-search ``oracle`` among them), each
as a share of the oracle's, for two configs: the leaderboard's flagship config (expert
precoder, receive power observed) and the 3GPP one (the TS 38.211 TPMI codebook chosen by the
agent, each layer's rate capped at the 256-QAM MCS table's 7.4063 bit/s/Hz).
"""

from __future__ import annotations

import argparse
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import wmoe  # noqa: F401
from wmoe.agents.evaluate import baseline_policies, run_episodes

ENV_ID = "wmoe/MultiBSReception-v0"
FIRST_SEED = 1_000_000
CONFIGS: dict[str, dict[str, Any]] = {
    "flagship (expert precoder)": {"precoder_selection": "expert", "observe_rx_power": True},
    "tpmi + mcs-256qam (agent precoder)": {
        "precoder_selection": "agent",
        "observe_rx_power": True,
        "codebook": "tpmi",
        "se_ceiling": "mcs-256qam",
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    returns: dict[str, dict[str, float]] = {}
    for label, config in CONFIGS.items():
        env = gym.make(ENV_ID, config=config)
        returns[label] = {
            name: float(np.mean(run_episodes(env, policy, args.episodes, FIRST_SEED)[0]))
            for name, policy in baseline_policies(ENV_ID, FIRST_SEED).items()
        }
    print(
        f"{ENV_ID}, {args.episodes} episodes from seed {FIRST_SEED}; mean return (share of oracle)"
    )
    print("| policy | " + " | ".join(CONFIGS) + " |")
    print("|---|" + "---|" * len(CONFIGS))
    for name in next(iter(returns.values())):
        cells = [
            f"{returns[label][name]:.1f} ({returns[label][name] / returns[label]['oracle']:.1%})"
            for label in CONFIGS
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    for label, config in CONFIGS.items():
        print(f"\n{label}: config={config}")


if __name__ == "__main__":
    main()

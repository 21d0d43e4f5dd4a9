"""Headroom of ``wmoe/ExpertRouting-v0``: every baseline and the queue-free upper bound.

Run from the repository root::

    .venv/bin/python benchmarks/headroom/expert_routing.py [--episodes 10] [--split test]

Prints a markdown table: the mean return over episodes seeded 1,000,000, 1,000,001, ... (the
benchmark suites' test seeds) of each baseline and of the bound
(``baselines.upper_bound``), each as a share of the bound.
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np
import torch

import wmoe  # noqa: F401
from wmoe.agents.evaluate import baseline_policies, run_episodes
from wmoe.envs.expert_routing.baselines import upper_bound

ENV_ID = "wmoe/ExpertRouting-v0"
FIRST_SEED = 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    torch.set_num_threads(1)
    env = gym.make(ENV_ID, config={"split": args.split})
    seeds = list(range(FIRST_SEED, FIRST_SEED + args.episodes))
    bound = float(upper_bound(env, seeds).mean())
    print(f"{ENV_ID}, split {args.split}, {args.episodes} episodes from seed {FIRST_SEED}")
    print("| policy | mean return | share of the bound |")
    print("|---|---|---|")
    for name, policy in baseline_policies(ENV_ID, FIRST_SEED).items():
        mean = float(np.mean(run_episodes(env, policy, args.episodes, FIRST_SEED)[0]))
        print(f"| {name} | {mean:.1f} | {mean / bound:.0%} |", flush=True)
    print(f"| queue-free upper bound | {bound:.1f} | 100% |")


if __name__ == "__main__":
    main()

"""Throughput of the channel-aware MoE envs: native batched env vs SyncVectorEnv vs single env.

Run from the repository root::

    .venv/bin/python benchmarks/perf/channel_aware_envs.py [--num-envs 64] [--repeats 5]

For ``wmoe/ChannelAwareClassification-v0`` and ``wmoe/ExpertRouting-v0`` (default configs,
analog links, the cached default system), all three are measured in this one run,
alternating, and reported as env-steps per second (median over repeats) with ratios.
Actions are random experts (routing: random devices or drops).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from env_throughput import discrete_steppers, median_rates, print_rates, seeded_envs

import wmoe  # noqa: F401

ENV_IDS = ("wmoe/ChannelAwareClassification-v0", "wmoe/ExpertRouting-v0")


def measure(env_id: str, args: argparse.Namespace) -> None:
    n = args.num_envs
    native, sync, single = seeded_envs(env_id, n)
    choices = int(native.single_action_space.n)
    batches = np.random.default_rng(0).integers(0, choices, size=(16, n))
    steppers = discrete_steppers(
        (native, sync, single), batches, (args.vector_calls, args.sync_calls, args.single_calls)
    )
    rates = median_rates(steppers, args.repeats)
    print(f"{env_id}, default config, {n} envs")
    print_rates(rates)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--vector-calls", type=int, default=200, help="native steps per repeat")
    parser.add_argument("--sync-calls", type=int, default=20, help="sync steps per repeat")
    parser.add_argument("--single-calls", type=int, default=1000, help="single steps per repeat")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for env_id in ENV_IDS:
        measure(env_id, args)


if __name__ == "__main__":
    main()

"""Throughput of ``wmoe/MultiAccess-v0``/``-v1``: native batched env vs SyncVectorEnv vs single env.

Run from the repository root::

    .venv/bin/python benchmarks/perf/multi_access.py [--num-envs 64] [--repeats 5]
        [--env wmoe/MultiAccess-v1]

All three are measured in this one run, alternating, and reported as env-steps per second
(the median over repeats) with ratios. Actions are random (wait or transmit); the default
config draws a coexistence mix per episode, so resets of every mix are included.
"""

from __future__ import annotations

import argparse

import numpy as np
from env_throughput import discrete_steppers, median_rates, print_rates, seeded_envs

import wmoe  # noqa: F401

ENV_IDS = ("wmoe/MultiAccess-v0", "wmoe/MultiAccess-v1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--vector-calls", type=int, default=1000, help="native steps per repeat")
    parser.add_argument("--sync-calls", type=int, default=100, help="sync steps per repeat")
    parser.add_argument("--single-calls", type=int, default=5000, help="single steps per repeat")
    parser.add_argument("--env", choices=ENV_IDS, default=ENV_IDS[0])
    args = parser.parse_args()
    n = args.num_envs

    native, sync, single = seeded_envs(args.env, n)
    rng = np.random.default_rng(0)
    batches = rng.integers(0, 2, size=(16, n))
    steppers = discrete_steppers(
        (native, sync, single), batches, (args.vector_calls, args.sync_calls, args.single_calls)
    )
    rates = median_rates(steppers, args.repeats)
    core = single.unwrapped.core
    print(
        f"{args.env}, default config: {core.num_legacy} legacy node slots, "
        f"{core.num_channels} channel(s), {core.observation_size} observation entries, {n} envs"
    )
    print_rates(rates)


if __name__ == "__main__":
    main()

"""Throughput of ``wmoe/MultiBSReception-v0``: native batched env vs SyncVectorEnv vs single env.

Run from the repository root (uses the default synthetic scenario, written on first use)::

    .venv/bin/python benchmarks/perf/multi_bs_reception.py [--num-envs 4096] [--repeats 5]
    .venv/bin/python benchmarks/perf/multi_bs_reception.py --env wmoe/MultiBSReception-v1

All three are measured in this one run, alternating, and reported as env-steps per second
(the median over repeats) with ratios, plus the time of one exhaustive oracle evaluation.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from env_throughput import median_rates, print_rates, seeded_envs

import wmoe  # noqa: F401

DEFAULT_ENV_ID = "wmoe/MultiBSReception-v0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=DEFAULT_ENV_ID, help="a reception id, default config")
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--vector-calls", type=int, default=20, help="native steps per repeat")
    parser.add_argument("--sync-calls", type=int, default=2, help="sync steps per repeat")
    parser.add_argument("--single-calls", type=int, default=2000, help="single steps per repeat")
    args = parser.parse_args()
    n = args.num_envs

    native, sync, single = seeded_envs(args.env, n)
    rng = np.random.default_rng(0)
    batch = rng.integers(0, native.single_action_space.n, size=n)
    one = int(batch[0])

    def single_step() -> None:
        _, _, _, truncated, _ = single.step(one)
        if truncated:
            single.reset()

    rates = median_rates(
        {
            "native vector": (lambda: native.step(batch), n, args.vector_calls),
            "SyncVectorEnv": (lambda: sync.step(batch), n, args.sync_calls),
            "single env": (single_step, 1, args.single_calls),
        },
        args.repeats,
    )

    core = single.unwrapped.core
    users = rng.integers(0, core.num_users, size=20)
    start = time.perf_counter()
    core.oracle(users)
    oracle_ms = 1000 * (time.perf_counter() - start) / len(users)

    print(
        f"{args.env}, default config: {core.num_users} users, "
        f"{core.num_sets} sets x {core.codebook.num_codewords} codewords, {n} envs"
    )
    print_rates(rates)
    print(f"oracle (exhaustive search, one user): {oracle_ms:.1f} ms")


if __name__ == "__main__":
    main()

"""Throughput of ``wmoe/MultiBSReception-v0``: native batched env vs SyncVectorEnv vs single env.

Run from the repository root (uses the default synthetic scenario, written on first use)::

    .venv/bin/python benchmarks/perf/multi_bs_reception.py [--num-envs 4096] [--repeats 5]

All three are measured in this one run, alternating, and reported as env-steps per second
(the median over repeats) with ratios, plus the time of one exhaustive oracle evaluation.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import SyncVectorEnv

import wmoe  # noqa: F401

ENV_ID = "wmoe/MultiBSReception-v0"


def steps_per_second(step: Callable[[], Any], env_steps_per_call: int, calls: int) -> float:
    """Env-steps per second of ``calls`` calls of ``step``."""
    start = time.perf_counter()
    for _ in range(calls):
        step()
    return env_steps_per_call * calls / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--vector-calls", type=int, default=20, help="native steps per repeat")
    parser.add_argument("--sync-calls", type=int, default=2, help="sync steps per repeat")
    parser.add_argument("--single-calls", type=int, default=2000, help="single steps per repeat")
    args = parser.parse_args()
    n = args.num_envs

    native = gym.make_vec(ENV_ID, num_envs=n)
    sync = SyncVectorEnv([lambda: gym.make(ENV_ID) for _ in range(n)])
    single = gym.make(ENV_ID)
    native.reset(seed=0)
    sync.reset(seed=0)
    single.reset(seed=0)
    rng = np.random.default_rng(0)
    batch = rng.integers(0, native.single_action_space.n, size=n)
    one = int(batch[0])

    def single_step() -> None:
        _, _, _, truncated, _ = single.step(one)
        if truncated:
            single.reset()

    results: dict[str, list[float]] = {"native vector": [], "SyncVectorEnv": [], "single env": []}
    for _ in range(args.repeats):
        results["native vector"].append(
            steps_per_second(lambda: native.step(batch), n, args.vector_calls)
        )
        results["SyncVectorEnv"].append(
            steps_per_second(lambda: sync.step(batch), n, args.sync_calls)
        )
        results["single env"].append(steps_per_second(single_step, 1, args.single_calls))

    core = single.unwrapped.core
    users = rng.integers(0, core.num_users, size=20)
    start = time.perf_counter()
    core.oracle(users)
    oracle_ms = 1000 * (time.perf_counter() - start) / len(users)

    median = {name: statistics.median(values) for name, values in results.items()}
    print(
        f"wmoe/MultiBSReception-v0, default config: {core.num_users} users, "
        f"{core.num_sets} sets x {core.codebook.num_codewords} codewords, {n} envs"
    )
    print(f"{'env':<16} {'env-steps/s':>12} {'native / this':>14}")
    for name, value in median.items():
        print(f"{name:<16} {value:12,.0f} {median['native vector'] / value:14.1f}x")
    print(f"oracle (exhaustive search, one user): {oracle_ms:.1f} ms")


if __name__ == "__main__":
    main()

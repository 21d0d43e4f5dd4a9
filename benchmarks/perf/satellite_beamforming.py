"""Throughput of ``wmoe/SatelliteBeamforming-v0``: native batched env vs SyncVectorEnv.

Run from the repository root::

    .venv/bin/python benchmarks/perf/satellite_beamforming.py [--num-envs 64] [--repeats 5]

Both are measured in this one run, alternating, with the same uniformly drawn actions of the
default (continuous) form, and reported as env-steps per second (the median over repeats)
with their ratio, plus the time of one call of each classical baseline on a single env.
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
from wmoe.envs.satellite_beamforming.baselines import PLANNERS, baseline_action

ENV_ID = "wmoe/SatelliteBeamforming-v0"


def steps_per_second(step: Callable[[], Any], env_steps_per_call: int, calls: int) -> float:
    """Env-steps per second of ``calls`` calls of ``step``."""
    start = time.perf_counter()
    for _ in range(calls):
        step()
    return env_steps_per_call * calls / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50, help="vector steps per repeat")
    args = parser.parse_args()
    n = args.num_envs

    native = gym.make_vec(ENV_ID, num_envs=n)
    sync = SyncVectorEnv([lambda: gym.make(ENV_ID) for _ in range(n)])
    native.reset(seed=0)
    sync.reset(seed=0)
    native.action_space.seed(0)
    batch = native.action_space.sample()

    results: dict[str, list[float]] = {"native vector": [], "SyncVectorEnv": []}
    for _ in range(args.repeats):
        results["native vector"].append(steps_per_second(lambda: native.step(batch), n, args.calls))
        results["SyncVectorEnv"].append(steps_per_second(lambda: sync.step(batch), n, args.calls))
    median = {name: statistics.median(values) for name, values in results.items()}

    single = gym.make(ENV_ID)
    single.reset(seed=0)
    baseline_ms = {}
    for name in PLANNERS:
        start = time.perf_counter()
        for _ in range(10):
            baseline_action(name, single.unwrapped, np.random.default_rng(0))
        baseline_ms[name] = 100 * (time.perf_counter() - start)

    core = native.unwrapped.core  # type: ignore[attr-defined]
    print(
        f"{ENV_ID}, default config: K={core.num_users} beams, C={core.num_subbands} "
        f"sub-bands, {core.array_size[0]}x{core.array_size[1]} array, "
        f"{core.num_terminals} GEO terminals, {n} envs"
    )
    print(f"{'env':<16} {'env-steps/s':>12} {'native / this':>14}")
    for name, value in median.items():
        print(f"{name:<16} {value:12,.0f} {median['native vector'] / value:14.1f}x")
    for name, ms in baseline_ms.items():
        print(f"baseline {name} (one env): {ms:.1f} ms")


if __name__ == "__main__":
    main()

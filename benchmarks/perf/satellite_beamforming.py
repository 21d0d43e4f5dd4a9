"""Throughput of ``wmoe/SatelliteBeamforming-v0``: native batched env vs SyncVectorEnv.

Run from the repository root::

    .venv/bin/python benchmarks/perf/satellite_beamforming.py [--num-envs 64] [--repeats 5]

Both are measured in this one run, alternating, with the same uniformly drawn actions of the
default (continuous) form, and reported as env-steps per second (the median over repeats)
with their ratio, plus the time of one call of each classical baseline on a single env.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from env_throughput import median_rates, print_rates, seeded_envs

import wmoe  # noqa: F401
from wmoe.envs.satellite_beamforming.baselines import PLANNERS, baseline_action

ENV_ID = "wmoe/SatelliteBeamforming-v0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50, help="vector steps per repeat")
    args = parser.parse_args()
    n = args.num_envs

    native, sync, single = seeded_envs(ENV_ID, n)
    native.action_space.seed(0)
    batch = native.action_space.sample()

    rates = median_rates(
        {
            "native vector": (lambda: native.step(batch), n, args.calls),
            "SyncVectorEnv": (lambda: sync.step(batch), n, args.calls),
        },
        args.repeats,
    )

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
    print_rates(rates)
    for name, ms in baseline_ms.items():
        print(f"baseline {name} (one env): {ms:.1f} ms")


if __name__ == "__main__":
    main()

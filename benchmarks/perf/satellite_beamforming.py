"""Throughput of ``wmoe/SatelliteBeamforming-v0`` and ``-v1``: native batched env vs SyncVectorEnv.

Run from the repository root::

    .venv/bin/python benchmarks/perf/satellite_beamforming.py [--num-envs 64] [--repeats 5]
        [--env wmoe/SatelliteBeamforming-v1] [--config '{"band_weights": null}']

Both are measured in this one run, alternating, with the same uniformly drawn actions of the
default (continuous) form, and reported as env-steps per second (the median over repeats)
with their ratio, plus the time of one call of each classical baseline on a single env.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
from env_throughput import median_rates, print_rates, seeded_envs

import wmoe  # noqa: F401
from wmoe.envs.satellite_beamforming import baselines, reference

ENV_IDS = ("wmoe/SatelliteBeamforming-v0", "wmoe/SatelliteBeamforming-v1")
BASELINE_MODULES = {ENV_IDS[0]: baselines, ENV_IDS[1]: reference}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50, help="vector steps per repeat")
    parser.add_argument("--env", choices=ENV_IDS, action="append", help="default: both")
    parser.add_argument("--config", type=json.loads, help="config overrides, JSON")
    args = parser.parse_args()
    for env_id in args.env or ENV_IDS:
        measure(env_id, args.num_envs, args.repeats, args.calls, args.config)


def measure(
    env_id: str, n: int, repeats: int, calls: int, config: dict[str, Any] | None = None
) -> None:
    """Print the env-steps per second of the native and sync vector envs and the baselines."""
    native, sync, single = seeded_envs(env_id, n, config)
    native.action_space.seed(0)
    batch = native.action_space.sample()

    rates = median_rates(
        {
            "native vector": (lambda: native.step(batch), n, calls),
            "SyncVectorEnv": (lambda: sync.step(batch), n, calls),
        },
        repeats,
    )

    module = BASELINE_MODULES[env_id]
    baseline_ms = {}
    for name, planner in module.BASELINES.items():
        if planner is None:
            continue
        start = time.perf_counter()
        for _ in range(10):
            module.baseline_action(name, single.unwrapped, np.random.default_rng(0))
        baseline_ms[name] = 100 * (time.perf_counter() - start)

    core = native.unwrapped.core  # type: ignore[attr-defined]
    print(
        f"{env_id}, default config: K={core.num_users} beams, C={core.num_subbands} "
        f"sub-bands, {core.num_terminals} GEO terminals, {n} envs"
    )
    print_rates(rates)
    for name, ms in baseline_ms.items():
        print(f"baseline {name} (one env): {ms:.1f} ms")


if __name__ == "__main__":
    main()

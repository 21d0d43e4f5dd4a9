"""Throughput of the channel-aware MoE envs, v0 and v1 side by side: native vs SyncVectorEnv.

Run from the repository root::

    .venv/bin/python benchmarks/perf/channel_aware_envs.py [--num-envs 64] [--repeats 5]

For ``wmoe/ChannelAwareClassification-v0``/``-v1`` and ``wmoe/ExpertRouting-v0``/``-v1``
(default configs, analog links, the cached default system) the native batched env,
``SyncVectorEnv`` and a single env of both versions are measured in this one run,
alternating, and reported as env-steps per second (median over repeats) with the ratios
native / SyncVectorEnv and v1 / v0. v1 differs from v0 only in how each env draws its
randomness (one generator call per env and step). Actions are random experts (routing: random
devices or drops).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import torch
from env_throughput import Stepper, discrete_steppers, median_rates, seeded_envs

import wmoe  # noqa: F401

FAMILIES = ("wmoe/ChannelAwareClassification", "wmoe/ExpertRouting")
VERSIONS = ("v0", "v1")
ENV_KINDS = ("native vector", "SyncVectorEnv", "single env")


def print_versions(rates: dict[str, float]) -> None:
    """Each env kind's rate per version, v1 / v0, and native / SyncVectorEnv per version."""
    print(f"{'env':<16} {'v0 env-steps/s':>15} {'v1 env-steps/s':>15} {'v1 / v0':>8}")
    for kind in ENV_KINDS:
        v0, v1 = rates[f"v0 {kind}"], rates[f"v1 {kind}"]
        print(f"{kind:<16} {v0:15,.0f} {v1:15,.0f} {v1 / v0:7.2f}x")
    ratios = [rates[f"{v} native vector"] / rates[f"{v} SyncVectorEnv"] for v in VERSIONS]
    print(f"{'native / Sync':<16} {ratios[0]:14.1f}x {ratios[1]:14.1f}x")


def measure(family: str, args: argparse.Namespace) -> None:
    n = args.num_envs
    steppers: dict[str, Stepper] = {}
    for version in VERSIONS:
        envs = seeded_envs(f"{family}-{version}", n)
        choices = int(envs[0].single_action_space.n)
        batches = np.random.default_rng(0).integers(0, choices, size=(16, n))
        calls = (args.vector_calls, args.sync_calls, args.single_calls)
        for kind, stepper in discrete_steppers(envs, batches, calls).items():
            steppers[f"{version} {kind}"] = stepper
    rates = median_rates(steppers, args.repeats)
    print(f"{family}-v0/-v1, default config, {n} envs")
    print_versions(rates)
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
    # Gymnasium warns on every make of a v0 whose v1 exists; v0 is measured on purpose.
    warnings.filterwarnings("ignore", message=".*is out of date", category=DeprecationWarning)
    for family in FAMILIES:
        measure(family, args)


if __name__ == "__main__":
    main()

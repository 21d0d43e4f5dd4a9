"""Cost of the wideband rate and coloured interference of the ``wmoe/MultiBSReception*-v1`` core.

Run from the repository root (the default synthetic scenario, written on first use)::

    .venv/bin/python benchmarks/perf/multi_bs_reception_wideband.py [--user-stride 16]
        [--num-envs 1024] [--repeats 3] [--subbands 8]

(one command line). Four configs of ``wmoe/MultiBSReception-v1`` side by side, stepped in turn
in every repeat: narrowband (S = 1) or ``--subbands`` sub-bands, white or coloured
interference (the ``Wideband-v1`` preset is S = 8, coloured). For each: native vector
env-steps per second (median over repeats), the time of one exhaustive oracle evaluation,
and the channel cache's size per user and extrapolated to all users of the scenario. To keep
the run short the caches are built for every ``--user-stride``-th user only (throughput hardly
depends on the number of users), in a temporary folder (``--cache-dir`` to keep them); the
default scenario's own cache is never touched.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from typing import Any

import gymnasium as gym
import numpy as np
from env_throughput import median_rates

import wmoe  # noqa: F401
from wmoe.scenarios.deepmimo_loader import UserSubset, read_scenario_info

ENV_ID = "wmoe/MultiBSReception-v1"
MIB = 2**20


def cache_bytes(core: Any) -> int:
    """Bytes of the core's per-user cached arrays (Grams, interferer cross terms)."""
    total = core.data.gram.nbytes
    if core.data.interferers is not None:
        total += core.data.interferers.cross.nbytes
    return int(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calls", type=int, default=5, help="native steps per repeat")
    parser.add_argument("--subbands", type=int, default=8)
    parser.add_argument("--user-stride", type=int, default=16)
    parser.add_argument("--cache-dir", default=None, help="default: a temporary folder")
    args = parser.parse_args()
    cache_dir = args.cache_dir or tempfile.mkdtemp(prefix="wmoe-wideband-perf-")
    base = {"user_stride": args.user_stride, "cache_dir": cache_dir}
    configs = {
        f"S={s} {kind}": {**base, "num_subbands": s, "interference": kind}
        for s in (1, args.subbands)
        for kind in ("white", "coloured")
    }
    envs, build_s = {}, {}
    for name, config in configs.items():
        start = time.perf_counter()
        envs[name] = gym.make_vec(ENV_ID, num_envs=args.num_envs, config=config)
        build_s[name] = time.perf_counter() - start
        envs[name].reset(seed=0)
    rng = np.random.default_rng(0)
    first = next(iter(envs.values()))
    batch = rng.integers(0, first.single_action_space.n, size=args.num_envs)
    rates = median_rates(
        {
            name: (lambda env=env: env.step(batch), args.num_envs, args.calls)
            for name, env in envs.items()
        },
        args.repeats,
    )
    core = first.core
    all_users = len(UserSubset().indices(read_scenario_info(core.data_folder)))
    users = rng.integers(0, core.num_users, size=5)
    print(
        f"{ENV_ID}: {core.num_users} of {all_users} users (stride {args.user_stride}), "
        f"{core.num_sets} sets x {core.codebook.num_codewords} codewords, {args.num_envs} envs"
    )
    header = (
        f"{'config':<16} {'env-steps/s':>12} {'vs S=1 white':>13} {'oracle/user':>12} "
        f"{'cache/user':>11} {'cache, all users':>17} {'build':>8}"
    )
    print(header)
    reference = rates["S=1 white"]
    for name, env in envs.items():
        start = time.perf_counter()
        env.core.oracle(users)
        oracle_ms = 1000 * (time.perf_counter() - start) / len(users)
        per_user = cache_bytes(env.core) / env.core.num_users
        print(
            f"{name:<16} {rates[name]:12,.0f} {reference / rates[name]:12.1f}x "
            f"{oracle_ms:10.1f}ms {per_user / 1024:9.1f}kB "
            f"{per_user * all_users / MIB:13,.0f} MiB {build_s[name]:7.1f}s"
        )


if __name__ == "__main__":
    main()

"""Render time per frame beside step time, for every env (``render_mode="rgb_array"``).

Run from the repository root: ``python benchmarks/perf/rendering.py [--steps N]``. Each env
(default config, seed 0, seeded random actions) is stepped and rendered alternately in the
same run: the step time and the render time of each step are measured back to back, and the
medians over all steps are printed with their ratio. ``first frame`` is the first render
after building the env: it draws the static scene that later frames reuse. ``vector x4`` is
one ``render()`` of the native vector env with 4 sub-envs (4 frames from one figure).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import gymnasium as gym
import torch

import wmoe  # noqa: F401  (registers the envs)
from wmoe.envs.registration import ENV_TABLE

VECTOR_ENVS = 4


def timed(call: Any) -> float:
    """Seconds one call of ``call`` takes."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def measure(env_id: str, steps: int) -> dict[str, float]:
    """Median step and render times [ms] of ``steps`` steps, the first frame, the vector."""
    env = gym.make(env_id, render_mode="rgb_array")
    env.action_space.seed(0)
    env.reset(seed=0)
    first_ms = 1e3 * timed(env.render)
    step_s, render_s = [], []
    for _ in range(steps):
        action = env.action_space.sample()
        step_s.append(timed(lambda: env.step(action)))  # noqa: B023 (called at once)
        render_s.append(timed(env.render))
    env.close()
    vector = gym.make_vec(env_id, num_envs=VECTOR_ENVS, render_mode="rgb_array")
    vector.action_space.seed(0)
    vector.reset(seed=0)
    vector_s = []
    for _ in range(max(steps // 4, 1)):
        vector.step(vector.action_space.sample())
        vector_s.append(timed(vector.render))
    vector.close()
    step_ms = 1e3 * statistics.median(step_s)
    render_ms = 1e3 * statistics.median(render_s)
    return {
        "step": step_ms,
        "render": render_ms,
        "ratio": render_ms / step_ms,
        "first": first_ms,
        "vector": 1e3 * statistics.median(vector_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=40, help="steps per env (default 40)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"median over {args.steps} steps, default config, one torch thread [ms]")
    header = (
        f"{'env':<36} {'step':>8} {'render':>8} {'render/step':>12} {'first frame':>12} "
        f"{f'vector x{VECTOR_ENVS}':>10}"
    )
    print(header)
    for entry in ENV_TABLE:
        r = measure(entry.env_id, args.steps)
        print(
            f"{entry.env_id:<36} {r['step']:8.2f} {r['render']:8.2f} {r['ratio']:11.1f}x "
            f"{r['first']:12.1f} {r['vector']:10.1f}"
        )


if __name__ == "__main__":
    main()

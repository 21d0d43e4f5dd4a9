"""Timing shared by the env throughput benchmarks: env-steps per second, measured alternately.

Imported by the ``benchmarks/perf/<env>.py`` scripts (run from the repository root, so this
folder is on ``sys.path``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
from gymnasium.vector import SyncVectorEnv

import wmoe  # noqa: F401  (registers the envs)

# A way to step an env: (function doing one call, env-steps per call, calls per repeat).
Stepper = tuple[Callable[[], Any], int, int]


def seeded_envs(
    env_id: str, num_envs: int, config: dict[str, Any] | None = None
) -> tuple[Any, SyncVectorEnv, gym.Env[Any, Any]]:
    """Native vector env, ``SyncVectorEnv`` and one single env; seed 0.

    Args:
        env_id: Registered id.
        num_envs: Sub-envs of the vector envs.
        config: Config overrides of every env (None: the default config).
    """
    kwargs: dict[str, Any] = {} if config is None else {"config": config}
    native = gym.make_vec(env_id, num_envs=num_envs, **kwargs)
    sync = SyncVectorEnv([lambda: gym.make(env_id, **kwargs) for _ in range(num_envs)])
    single = gym.make(env_id, **kwargs)
    for env in (native, sync, single):
        env.reset(seed=0)
    return native, sync, single


def steps_per_second(step: Callable[[], Any], env_steps_per_call: int, calls: int) -> float:
    """Env-steps per second of ``calls`` calls of ``step``."""
    start = time.perf_counter()
    for _ in range(calls):
        step()
    return env_steps_per_call * calls / (time.perf_counter() - start)


def median_rates(steppers: dict[str, Stepper], repeats: int) -> dict[str, float]:
    """Median env-steps per second of each stepper; all are timed in turn in every repeat."""
    results: dict[str, list[float]] = {name: [] for name in steppers}
    for _ in range(repeats):
        for name, (step, env_steps, calls) in steppers.items():
            results[name].append(steps_per_second(step, env_steps, calls))
    return {name: statistics.median(values) for name, values in results.items()}


def print_rates(rates: dict[str, float], reference: str = "native vector") -> None:
    """Print each rate and how many times slower it is than ``reference``."""
    print(f"{'env':<16} {'env-steps/s':>12} {'native / this':>14}")
    for name, value in rates.items():
        print(f"{name:<16} {value:12,.0f} {rates[reference] / value:14.1f}x")


def discrete_steppers(
    envs: tuple[Any, SyncVectorEnv, gym.Env[Any, Any]],
    batches: Any,
    calls: tuple[int, int, int],
) -> dict[str, Stepper]:
    """Steppers of :func:`seeded_envs`'s three envs cycling through integer action batches.

    Args:
        envs: Native vector env, ``SyncVectorEnv`` and single env.
        batches: ``(k, num_envs)`` integer actions; call ``i`` uses row ``i % k`` (the single
            env its first entry, resetting when an episode ends).
        calls: Calls per repeat of the native, sync and single env.
    """
    native, sync, single = envs
    counter = iter(range(10**12))

    def native_step() -> None:
        native.step(batches[next(counter) % len(batches)])

    def sync_step() -> None:
        sync.step(batches[next(counter) % len(batches)])

    def single_step() -> None:
        _, _, terminated, truncated, _ = single.step(int(batches[next(counter) % len(batches), 0]))
        if terminated or truncated:
            single.reset()

    num_envs = batches.shape[1]
    return {
        "native vector": (native_step, num_envs, calls[0]),
        "SyncVectorEnv": (sync_step, num_envs, calls[1]),
        "single env": (single_step, 1, calls[2]),
    }

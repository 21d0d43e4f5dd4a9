"""Timing shared by the env throughput benchmarks: env-steps per second, measured alternately.

Imported by the ``benchmarks/perf/<env>.py`` scripts (run from the repository root, so this
folder is on ``sys.path``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

# A way to step an env: (function doing one call, env-steps per call, calls per repeat).
Stepper = tuple[Callable[[], Any], int, int]


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

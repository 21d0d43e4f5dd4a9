"""PNG figures of a leaderboard (matplotlib, Agg backend), all of normalised scores.

Interval estimates per task, performance profiles and sample-efficiency curves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from wmoe.benchmarks.leaderboard import Leaderboard
from wmoe.benchmarks.statistics import (
    DEFAULT_REPS,
    aggregate_estimates,
    iqm_curves,
    performance_profiles,
)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def plot_intervals(board: Leaderboard, path: Path, reps: int = DEFAULT_REPS) -> None:
    """Normalised IQM with 95 % CI per agent, one panel per task."""
    plt = _pyplot()
    tasks = board.tasks
    height = max(2.0, 0.35 * max(len(t.agents) for t in tasks) + 1.0)
    figure, axes = plt.subplots(1, len(tasks), figsize=(4.5 * len(tasks), height), squeeze=False)
    for axis, task in zip(axes[0], tasks, strict=True):
        scores = task.normalised_matrices()
        estimates = aggregate_estimates(scores, reps)
        labels = sorted(scores, key=lambda name: estimates[name]["iqm"].point)
        for row, label in enumerate(labels):
            iqm = estimates[label]["iqm"]
            axis.plot([iqm.low, iqm.high], [row, row], linewidth=6, alpha=0.5)
            axis.plot([iqm.point], [row], "k|", markersize=12)
        axis.set_yticks(range(len(labels)), labels, fontsize=8)
        axis.axvline(0.0, color="grey", linestyle=":", linewidth=0.8)
        axis.axvline(1.0, color="grey", linestyle="--", linewidth=0.8)
        axis.set_xlabel("normalised score (IQM, 95 % CI)")
        axis.set_title(task.task, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_profiles(board: Leaderboard, path: Path, reps: int = DEFAULT_REPS) -> None:
    """Performance profiles (fraction of runs above tau) of the agents run on every task."""
    plt = _pyplot()
    matrices = board.matrices
    values = np.concatenate([m.ravel() for m in matrices.values()])
    low, high = min(0.0, float(values.min())), max(1.0, float(values.max()))
    taus = np.linspace(low, high, 61, dtype=np.float64)
    profiles = performance_profiles(matrices, taus, reps)
    figure, axis = plt.subplots(figsize=(6.5, 4.0))
    for label, (fractions, interval) in profiles.items():
        axis.plot(taus, fractions, label=label)
        axis.fill_between(taus, interval[0], interval[1], alpha=0.15)
    axis.set_xlabel(r"normalised score $\tau$")
    axis.set_ylabel(r"fraction of runs with score > $\tau$")
    axis.set_title(f"Performance profiles over {len(board.tasks)} task(s)", fontsize=9)
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_curves(board: Leaderboard, path: Path, reps: int = DEFAULT_REPS) -> None:
    """Normalised training return (IQM over runs, 95 % CI) against env steps, per task."""
    plt = _pyplot()
    tasks = board.tasks
    figure, axes = plt.subplots(1, len(tasks), figsize=(4.8 * len(tasks), 3.6), squeeze=False)
    for axis, task in zip(axes[0], tasks, strict=True):
        for label in sorted(task.agents):
            steps, curves = task.agent_curves(label)
            iqm, interval = iqm_curves({label: curves[:, None, :]}, reps)[label]
            axis.plot(steps, iqm, label=label)
            axis.fill_between(steps, interval[0], interval[1], alpha=0.15)
        axis.axhline(1.0, color="grey", linestyle="--", linewidth=0.8)
        axis.axhline(0.0, color="grey", linestyle=":", linewidth=0.8)
        axis.set_xlabel("env steps")
        axis.set_ylabel("normalised training return")
        axis.set_title(task.task, fontsize=9)
        axis.legend(fontsize=6)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)

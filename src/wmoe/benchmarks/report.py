"""Write a suite's leaderboard: README.md, index.html, CSV and JSON exports, PNG figures.

Files (in the output folder): ``README.md`` (tables, verdicts, a reading, figures),
``index.html`` (the same, self-contained and sortable), ``cells.csv`` (one row per policy and
run), ``curves.csv`` (learning curves), ``results.json`` (every stored row), and
``intervals.png``, ``profiles.png``, ``curves.png``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from wmoe.benchmarks.figures import plot_curves, plot_intervals, plot_profiles
from wmoe.benchmarks.html import page
from wmoe.benchmarks.leaderboard import Leaderboard, markdown
from wmoe.benchmarks.scores import TaskScores
from wmoe.benchmarks.store import StoredCell

_COST_KEYS = (
    "train_seconds",
    "eval_seconds",
    "env_steps_per_second",
    "parameters_total",
    "parameters_active",
    "latency_ms_batch1",
    "latency_ms_batch256",
)


def preamble(board: Leaderboard, stored: list[StoredCell]) -> list[str]:
    """The paragraphs above the tables: what the suite is, its budget and progress."""
    suite = board.suite
    seconds = sum(item.result.costs.get("train_seconds", 0.0) for item in stored)
    seeds = suite.seeds
    return [
        suite.description,
        f"Budget: {suite.budget}",
        f"Cells finished: {board.done} of {board.total}; training wall-clock summed over cells "
        f"{seconds / 3600:.2f} h (one torch thread per cell).",
        f"Training seeds {list(seeds.train)}; validation seeds {list(seeds.validation)} "
        f"(tuning only); {seeds.test_episodes} test episodes with seeds {seeds.test_first}..."
        f"{seeds.test_first + seeds.test_episodes - 1}, the same for every agent and baseline.",
        "Normalised score = (R - R_random) / (R_ref - R_random); CIs are 95 % stratified "
        "bootstrap intervals (rliable) over training runs. Protocol: "
        "benchmarks/leaderboard/PROTOCOL.md.",
    ]


def reading(board: Leaderboard) -> list[str]:
    """Plain statements read off the tables: the best agent per task, the verdict counts."""
    lines = []
    for task in board.tasks:
        if not task.agents:
            continue
        best = max(task.agents, key=lambda label: float(np.median(_normalised(task, label))))
        lines.append(
            f"{task.task}: the best agent by median normalised score is {best} "
            f"({float(np.median(_normalised(task, best))):.2f}; 1 = {task.reference})."
        )
    counts = {
        outcome: sum(f": {outcome} (" in line for line in board.verdicts)
        for outcome in ("better", "worse", "not resolved at this budget")
    }
    if board.verdicts:
        lines.append(
            "MoE against the matched plain network: "
            + ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
            + "."
        )
    return lines


def _normalised(task: TaskScores, label: str) -> np.ndarray:
    return task.normalise(task.agent_returns(label))


def leaderboard_markdown(board: Leaderboard, stored: list[StoredCell]) -> str:
    """The leaderboard as markdown (the README's body, without figures)."""
    parts = [f"# wmoe benchmark: {board.suite.name}", ""]
    parts += [f"{line}\n" for line in preamble(board, stored) if line]
    parts += [f"**{note}**\n" for note in board.notes]
    parts += [markdown(table) + "\n" for table in board.tables]
    if board.verdicts:
        parts += ["## Verdicts", ""] + [f"- {line}" for line in board.verdicts] + [""]
    lines = reading(board)
    if lines:
        parts += ["## Reading", ""] + [f"- {line}" for line in lines] + [""]
    return "\n".join(parts)


def write_report(board: Leaderboard, stored: list[StoredCell], folder: Path) -> list[Path]:
    """Write every output of the leaderboard into ``folder``; return the paths written.

    Args:
        board: The leaderboard.
        stored: The suite's finished cells it was built from.
        folder: Output folder (created if missing).
    """
    folder.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Path] = {}
    if board.tasks and any(task.agents for task in board.tasks):
        figures["Normalised score per task (IQM, 95 % CI)"] = folder / "intervals.png"
        plot_intervals(board, figures["Normalised score per task (IQM, 95 % CI)"])
        figures["Sample efficiency (training return, IQM, 95 % CI)"] = folder / "curves.png"
        plot_curves(board, figures["Sample efficiency (training return, IQM, 95 % CI)"])
    if board.matrices:
        figures["Performance profiles"] = folder / "profiles.png"
        plot_profiles(board, figures["Performance profiles"])
    text = leaderboard_markdown(board, stored)
    text += "\n" + "\n".join(f"![{title}]({path.name})\n" for title, path in figures.items())
    readme = folder / "README.md"
    readme.write_text(text)
    html = folder / "index.html"
    html.write_text(page(board, figures, preamble(board, stored)))
    paths = [readme, html, *figures.values()]
    paths += [_write_cells_csv(board, stored, folder / "cells.csv")]
    paths += [_write_curves_csv(stored, folder / "curves.csv")]
    results = folder / "results.json"
    rows = [
        {
            "cell": item.cell.to_dict(),
            "name": item.cell.name,
            "result": item.result.to_dict(),
            "wmoe_version": item.wmoe_version,
        }
        for item in sorted(stored, key=lambda item: item.cell.name)
    ]
    results.write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n")
    return [*paths, results]


def _write_cells_csv(board: Leaderboard, stored: list[StoredCell], path: Path) -> Path:
    tasks = {task.task: task for task in board.tasks}
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["cell", "task", "algo", "preset", "seed", "policy", "mean_return", "normalised"]
            + list(_COST_KEYS)
        )
        for item in sorted(stored, key=lambda item: item.cell.name):
            cell, task = item.cell, tasks.get(item.cell.task)
            for policy, returns in item.result.returns.items():
                mean = float(np.mean(returns))
                normalised = "" if task is None else f"{task.normalise(np.array(mean)):.6f}"
                costs = [item.result.costs.get(key, "") for key in _COST_KEYS]
                writer.writerow(
                    [cell.name, cell.task, cell.algo or "", cell.preset or "", cell.seed, policy]
                    + [f"{mean:.6f}", normalised]
                    + [f"{c:.6g}" if isinstance(c, float) else c for c in costs]
                )
    return path


def _write_curves_csv(stored: list[StoredCell], path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["cell", "env_steps", "mean_training_return"])
        for item in sorted(stored, key=lambda item: item.cell.name):
            for step, value in zip(item.result.curve_steps, item.result.curve, strict=True):
                writer.writerow([item.cell.name, step, "" if np.isnan(value) else f"{value:.6f}"])
    return path

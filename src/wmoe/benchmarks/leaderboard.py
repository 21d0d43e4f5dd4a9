"""The leaderboard of a suite as data: tables, verdicts and notes, rendered by the writers.

Per task one table (agents and baselines on the same test episodes: raw and normalised
scores with CIs, costs); one aggregate table over tasks for the agents run on every task;
one table of MoE presets against the suite's parameter-matched plain preset (probability
of improvement and verdict). Markdown (:func:`markdown`) and HTML (:mod:`.html`) render the
same :class:`Table` objects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from wmoe.benchmarks.cells import expand_cells
from wmoe.benchmarks.scores import TaskScores, score_matrices, task_scores
from wmoe.benchmarks.statistics import (
    DEFAULT_REPS,
    MIN_RUNS_FOR_VERDICT,
    Interval,
    aggregate_estimates,
    improvement_probability,
    verdict,
)
from wmoe.benchmarks.store import StoredCell
from wmoe.benchmarks.suite import Suite
from wmoe.moe_policies.presets import MATCHED_PLAIN, resolve_network

AGENT_COLUMNS = (
    "policy",
    "kind",
    "runs",
    "return: mean [95 % CI]",
    "normalised: IQM [95 % CI]",
    "normalised: mean [95 % CI]",
    "parameters (total / active)",
    "latency b1 [ms/action]",
    "latency b256 [ms/action]",
    "env-steps/s",
    "train wall-clock [s]",
)


@dataclass(frozen=True)
class Entry:
    """One table cell: its text and the value it sorts by (NaN: sorts last).

    Attributes:
        text: What is shown.
        sort: Sort key.
    """

    text: str
    sort: float | str = math.nan


@dataclass(frozen=True)
class Table:
    """A titled table.

    Attributes:
        title: Heading.
        columns: Column headings.
        rows: Rows of entries.
        note: A line under the table.
    """

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Entry, ...]]
    note: str = ""


@dataclass
class Leaderboard:
    """The suite's leaderboard.

    Attributes:
        suite: The suite.
        done: Finished cells of the suite.
        total: Cells in the suite.
        tasks: Scores per task.
        tables: Per-task tables, then the aggregate and the MoE-vs-plain table.
        verdicts: One line per task, algorithm and MoE preset.
        notes: Warnings (unfinished cells, episodes that differ).
        matrices: Normalised score matrices of the agents run on every task.
    """

    suite: Suite
    done: int
    total: int
    tasks: list[TaskScores]
    tables: list[Table] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    matrices: dict[str, NDArray[np.float64]] = field(default_factory=dict)


def build_leaderboard(
    suite: Suite, stored: list[StoredCell], reps: int = DEFAULT_REPS, seed: int = 0
) -> Leaderboard:
    """Tables, verdicts and notes of ``suite`` from its finished cells."""
    cells = expand_cells(suite)
    keys = {cell.key for cell in cells}
    stored = [item for item in stored if item.cell.key in keys]
    tasks = task_scores(suite, stored)
    board = Leaderboard(suite, len(stored), len(cells), tasks)
    if board.done < board.total:
        board.notes.append(f"{board.total - board.done} of {board.total} cells are unfinished.")
    for task in tasks:
        board.tables.append(_task_table(task, reps, seed))
        if not task.digests_agree():
            board.notes.append(f"{task.task}: policies saw different test episodes.")
    labels = sorted({label for task in tasks for label in task.agents})
    board.matrices = score_matrices(tasks, labels)
    if len(tasks) > 1 and board.matrices:
        board.tables.append(_aggregate_table(board.matrices, len(tasks), reps, seed))
    comparison = _comparison_table(suite, tasks, board, reps, seed)
    if comparison.rows:
        board.tables.append(comparison)
    return board


def _interval_entry(interval: Interval | None) -> Entry:
    if interval is None:
        return Entry("–")
    return Entry(interval.text(), interval.point)


def _number(value: float, digits: int = 0) -> Entry:
    return Entry(f"{value:,.{digits}f}", value)


def _task_table(task: TaskScores, reps: int, seed: int) -> Table:
    rows: list[tuple[Entry, ...]] = []
    raw = {label: task.agent_returns(label)[:, None] for label in task.agents}
    raw_estimates = aggregate_estimates(raw, reps, seed)
    estimates = aggregate_estimates(task.normalised_matrices(), reps, seed)
    for label in sorted(task.agents, key=lambda name: -estimates[name]["iqm"].point):
        costs = [run.result.costs for run in task.agents[label]]

        def mean_cost(key: str, costs: list[dict[str, float]] = costs) -> float:
            return float(np.mean([c[key] for c in costs]))

        total, active = mean_cost("parameters_total"), mean_cost("parameters_active")
        rows.append(
            (
                Entry(label, label),
                Entry("agent", "agent"),
                _number(len(costs)),
                _interval_entry(raw_estimates[label]["mean"]),
                _interval_entry(estimates[label]["iqm"]),
                _interval_entry(estimates[label]["mean"]),
                Entry(f"{total:,.0f} / {active:,.0f}", total),
                _number(mean_cost("latency_ms_batch1"), 3),
                _number(mean_cost("latency_ms_batch256"), 4),
                _number(mean_cost("env_steps_per_second")),
                _number(mean_cost("train_seconds"), 1),
            )
        )
    baselines = sorted(task.baselines.items(), key=lambda item: -float(item[1].mean()))
    for name, returns in baselines:
        mean = float(returns.mean())
        normalised = float(task.normalise(np.array([mean]))[0])
        kind = "baseline (R_ref)" if name == task.reference else "baseline"
        rows.append(
            (
                Entry(name, name),
                Entry(kind, kind),
                _number(1),
                _number(mean, 2),
                _number(normalised, 2),
                _number(normalised, 2),
                *(Entry("–") for _ in range(5)),
            )
        )
    reference = task.reference
    if task.reference_declared != reference:
        reference = f"{reference} (the best baseline)"
    note = (
        f"R_random = {task.random_return:.3f} (random), R_ref = {task.reference_return:.3f} "
        f"({reference}); {len(next(iter(task.baselines.values())))} test episodes."
    )
    return Table(task.task, AGENT_COLUMNS, rows, note)


def _aggregate_table(
    matrices: dict[str, NDArray[np.float64]], num_tasks: int, reps: int, seed: int
) -> Table:
    estimates = aggregate_estimates(matrices, reps, seed)
    rows: list[tuple[Entry, ...]] = [
        (
            Entry(label, label),
            _number(matrices[label].shape[0]),
            _interval_entry(estimates[label]["iqm"]),
            _interval_entry(estimates[label]["mean"]),
        )
        for label in sorted(matrices, key=lambda name: -estimates[name]["iqm"].point)
    ]
    return Table(
        f"Aggregate over {num_tasks} tasks (normalised score)",
        ("policy", "runs per task", "IQM [95 % CI]", "mean [95 % CI]"),
        rows,
        "Stratified bootstrap over runs within each task.",
    )


def matched_plain_for(preset: str, presets: tuple[str, ...], default: str) -> str:
    """The plain preset an MoE preset is compared with.

    Its own size-matched preset (:data:`~wmoe.moe_policies.presets.MATCHED_PLAIN`) when the
    agent runs it, else the suite's ``matched_plain``.
    """
    own = MATCHED_PLAIN.get(preset)
    return own if own is not None and own in presets else default


def _comparison_table(
    suite: Suite, tasks: list[TaskScores], board: Leaderboard, reps: int, seed: int
) -> Table:
    columns = ("task", "algorithm", "MoE preset", "plain preset", "P(MoE > plain) [95 % CI]")
    rows: list[tuple[Entry, ...]] = []
    if suite.matched_plain is None:
        return Table("MoE against the parameter-matched plain network", columns, rows)
    scopes: list[tuple[str, dict[str, NDArray[np.float64]]]] = [
        (task.task, task.normalised_matrices()) for task in tasks
    ]
    if len(tasks) > 1:
        scopes.append(("all tasks", board.matrices))
    for scope, matrices in scopes:
        for agent in suite.agents:
            for preset in agent.presets:
                plain = matched_plain_for(preset, agent.presets, suite.matched_plain)
                label, baseline = f"{agent.algo} {preset}", f"{agent.algo} {plain}"
                if label not in matrices or baseline not in matrices:
                    continue
                if not resolve_network(preset).is_moe:
                    continue
                probability = improvement_probability(
                    matrices[label], matrices[baseline], reps, seed
                )
                runs = min(len(matrices[label]), len(matrices[baseline]))
                outcome = verdict(probability, runs)
                rows.append(
                    (
                        Entry(scope, scope),
                        Entry(agent.algo, agent.algo),
                        Entry(preset, preset),
                        Entry(plain, plain),
                        _interval_entry(probability),
                        Entry(outcome, outcome),
                    )
                )
                board.verdicts.append(
                    f"{scope}, {agent.algo}: {preset} vs {plain}: {outcome} "
                    f"(P(MoE > plain) = {probability.text()})"
                )
    return Table(
        "MoE against the parameter-matched plain network",
        (*columns, "verdict"),
        rows,
        "Better / worse when the 95 % CI of the probability of improvement lies above / below "
        f"1/2, with at least {MIN_RUNS_FOR_VERDICT} runs per side.",
    )


def markdown(table: Table) -> str:
    """A table as a markdown section (``|`` in texts escaped)."""

    def line(values: list[str]) -> str:
        return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"

    lines = [f"### {table.title}", "", line(list(table.columns))]
    lines.append("|" + "---|" * len(table.columns))
    lines += [line([entry.text for entry in row]) for row in table.rows]
    if table.note:
        lines += ["", table.note]
    return "\n".join(lines)

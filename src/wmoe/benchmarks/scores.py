"""Scores of a suite per task: raw test returns, normalised scores, learning curves.

The score of an agent cell is its mean return over the test episodes. The normalised score
is ``(R - R_random) / (R_ref - R_random)``: ``R_random`` the mean return of the env's
``random`` baseline and ``R_ref`` that of the suite's declared reference baseline (an oracle
or upper bound), or of the best baseline on the test episodes when it declares ``best``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from wmoe.agents.evaluate import UPPER_BOUND
from wmoe.benchmarks.cells import Cell, expand_cells
from wmoe.benchmarks.execute import AGENT, NO_EPISODES
from wmoe.benchmarks.store import StoredCell
from wmoe.benchmarks.suite import BEST_BASELINE, RANDOM_BASELINE, Suite


@dataclass
class TaskScores:
    """Everything finished on one task (env x variant).

    Attributes:
        task: ``<env name>/<variant>``.
        env_id: The env id.
        reference_declared: The suite's ``reference`` for the env.
        reference: The baseline giving R_ref (the best one when ``best`` was declared).
        random_return: R_random [return].
        reference_return: R_ref [return].
        baselines: Baseline name -> returns of the test episodes.
        baseline_digests: Baseline name -> digest of its test episodes.
        agents: Agent label (``<algo> <preset>``) -> its finished cells, by training seed.
    """

    task: str
    env_id: str
    reference_declared: str
    reference: str
    random_return: float
    reference_return: float
    baselines: dict[str, NDArray[np.float64]]
    baseline_digests: dict[str, str]
    agents: dict[str, list[StoredCell]] = field(default_factory=dict)

    def normalise(self, returns: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(R - R_random) / (R_ref - R_random)``."""
        span = self.reference_return - self.random_return
        return (np.asarray(returns, dtype=np.float64) - self.random_return) / span

    def agent_returns(self, label: str) -> NDArray[np.float64]:
        """Mean test return of each finished run of ``label`` (seed order)."""
        return np.array([np.mean(s.result.returns[AGENT]) for s in self.agents[label]])

    def normalised_matrices(self) -> dict[str, NDArray[np.float64]]:
        """Agent label -> normalised scores as a ``(runs, 1)`` matrix (this task only)."""
        return {label: self.normalise(self.agent_returns(label))[:, None] for label in self.agents}

    def agent_curves(self, label: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Env steps and the normalised training curves ``(runs, points)`` of ``label``."""
        runs = self.agents[label]
        steps = np.asarray(runs[0].result.curve_steps, dtype=np.int64)
        curves = np.array([run.result.curve for run in runs], dtype=np.float64)
        return steps, self.normalise(curves)

    def digests_agree(self) -> bool:
        """Whether every agent and baseline observing alike saw the same test episodes.

        Digests of no episodes (:data:`~wmoe.benchmarks.execute.NO_EPISODES`) are left out.
        """
        digests = set(self.baseline_digests.values())
        for runs in self.agents.values():
            digests |= {run.result.digests[AGENT] for run in runs}
        digests = {digest for digest in digests if not digest.endswith(f":{NO_EPISODES}")}
        shapes = [digest.split(":")[0] for digest in digests]
        return len(shapes) == len(set(shapes))


def task_scores(suite: Suite, stored: list[StoredCell]) -> list[TaskScores]:
    """Scores of every task whose baselines cell has finished, in suite order.

    Raises:
        ValueError: When R_ref equals R_random on a task (no normalisation possible).
    """
    by_key = {item.cell.key: item for item in stored}
    tasks: dict[str, TaskScores] = {}
    for cell in expand_cells(suite):
        item = by_key.get(cell.key)
        if item is None:
            continue
        if cell.is_baselines:
            tasks[cell.task] = _baselines_task(suite, cell, item)
        elif cell.task in tasks:
            tasks[cell.task].agents.setdefault(cell.agent, []).append(item)
    return list(tasks.values())


def _baselines_task(suite: Suite, cell: Cell, item: StoredCell) -> TaskScores:
    returns = {name: np.asarray(v, dtype=np.float64) for name, v in item.result.returns.items()}
    declared = suite.env(cell.env_id).reference
    reference = declared
    if declared == BEST_BASELINE:
        candidates = [name for name in returns if name not in (RANDOM_BASELINE, UPPER_BOUND)]
        reference = max(candidates, key=lambda name: float(returns[name].mean()))
    random_return = float(returns[RANDOM_BASELINE].mean())
    reference_return = float(returns[reference].mean())
    if np.isclose(reference_return, random_return):
        raise ValueError(
            f"{cell.task}: R_ref ({reference}: {reference_return}) equals R_random "
            f"({random_return}); the normalised score is undefined"
        )
    return TaskScores(
        task=cell.task,
        env_id=cell.env_id,
        reference_declared=declared,
        reference=reference,
        random_return=random_return,
        reference_return=reference_return,
        baselines=returns,
        baseline_digests=dict(item.result.digests),
    )


def score_matrices(tasks: list[TaskScores], labels: list[str]) -> dict[str, NDArray[np.float64]]:
    """Normalised score matrices ``(runs, tasks)`` of the labels finished equally on all tasks."""
    matrices = {}
    for label in labels:
        if not all(label in task.agents for task in tasks):
            continue
        columns = [task.normalise(task.agent_returns(label)) for task in tasks]
        if len({len(column) for column in columns}) == 1:
            matrices[label] = np.stack(columns, axis=1)
    return matrices

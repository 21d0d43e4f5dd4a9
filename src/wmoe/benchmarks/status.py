"""Progress of a suite in its store: cells done, running and left, with an ETA."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wmoe.benchmarks.cells import expand_cells
from wmoe.benchmarks.store import ResultStore
from wmoe.benchmarks.suite import Suite


@dataclass(frozen=True)
class SuiteStatus:
    """Where a suite stands.

    Attributes:
        total: Cells in the suite.
        done: Finished cells.
        running: Cells in flight (at most the live sweeps' workers).
        left: Cells neither finished nor in flight.
        workers: Workers of the live sweeps (0 when none runs).
        eta_seconds: Estimated wall-clock to finish at ``max(workers, 1)`` workers, from the
            finished cells' wall-clock per env and algorithm; None before any agent cell.
        cell_seconds: Summed wall-clock of the finished cells.
    """

    total: int
    done: int
    running: int
    left: int
    workers: int
    eta_seconds: float | None
    cell_seconds: float

    def text(self) -> str:
        """One line per fact."""
        eta = "unknown (no agent cell finished yet)"
        if self.eta_seconds is not None:
            eta = f"{self.eta_seconds / 60:.1f} min at {max(self.workers, 1)} worker(s)"
        return (
            f"cells: {self.done} done, {self.running} running, {self.left} left "
            f"(of {self.total})\n"
            f"finished cells' wall-clock: {self.cell_seconds / 3600:.2f} cell-hours\n"
            f"ETA: {eta}"
        )


def suite_status(suite: Suite, store: ResultStore) -> SuiteStatus:
    """The status of ``suite`` in ``store``."""
    cells = expand_cells(suite)
    keys = {cell.key for cell in cells}
    stored = store.read(keys)
    done = {item.cell.key for item in stored}
    seconds: dict[tuple[str, str | None], list[float]] = {}
    for item in stored:
        costs = item.result.costs
        elapsed = costs.get("train_seconds", 0.0) + costs.get("eval_seconds", 0.0)
        seconds.setdefault((item.cell.env_id, item.cell.algo), []).append(elapsed)
    agent_times = [t for (_, algo), ts in seconds.items() if algo is not None for t in ts]
    remaining = [cell for cell in cells if cell.key not in done]
    workers = sum(driver.workers for driver in store.drivers())
    running = min(workers, len(remaining))
    eta = None
    if agent_times:
        fallback = float(np.mean(agent_times))
        total = sum(
            float(np.mean(seconds.get((cell.env_id, cell.algo), [fallback])))
            for cell in remaining
            if not cell.is_baselines
        )
        eta = total / max(workers, 1)
    return SuiteStatus(
        total=len(cells),
        done=len(done),
        running=running,
        left=len(remaining) - running,
        workers=workers,
        eta_seconds=eta,
        cell_seconds=sum(sum(ts) for ts in seconds.values()),
    )

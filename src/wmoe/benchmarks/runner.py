"""Run a suite's unfinished cells on a local process pool or on Ray; the driver writes the store.

Backends yield ``(cell, result or exception)`` as cells finish; the driver alone writes each
finished cell's row (one transaction), so killing it or a worker loses only the cells in
flight. Every worker runs torch with one thread.

Ray (``backend="ray"``): each cell is a ``ray.remote`` task asking for one CPU. Without an
address the driver starts a local Ray with ``num_cpus=workers``, no dashboard, and its node
address on 127.0.0.1; with one (``auto`` or ``host:port``) it joins that cluster, whose
nodes need wmoe installed. An already initialised Ray (e.g. ``ray.init`` by a test) is used
as it is. Ray's own authentication and network exposure are described in
``benchmarks/leaderboard/PROTOCOL.md``.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from tqdm import tqdm

from wmoe.agents.train import sigterm_as_interrupt
from wmoe.benchmarks.cells import Cell, check_cells, expand_cells
from wmoe.benchmarks.execute import CellResult, execute_cell
from wmoe.benchmarks.store import ResultStore
from wmoe.benchmarks.suite import Suite
from wmoe.ray_session import ray_session

BACKENDS = ("local", "ray")

Outcome = tuple[Cell, CellResult | Exception]


@dataclass
class RunSummary:
    """What a sweep did.

    Attributes:
        total: Cells in the suite.
        already_done: Cells finished before this sweep.
        ran: Cells this sweep finished.
        failed: Cell name -> error of the cells that raised.
        seconds: Wall-clock of the sweep.
    """

    total: int
    already_done: int
    ran: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def run_suite(
    suite: Suite,
    store: ResultStore,
    backend: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    force: bool = False,
    progress: bool = True,
    only: Sequence[str] = (),
) -> RunSummary:
    """Validate ``suite``, then run the cells the store has not finished (all with ``force``).

    With ``only``, just the cells whose name (e.g. ``MultiAccess-v1/default/dqn/moe-top2/seed0``)
    matches one of these shell patterns (:func:`fnmatch.fnmatchcase`) are run (or forced);
    the summary counts those cells.

    Raises:
        ValueError: Unknown backend, fewer than one worker, or ``only`` patterns that match
            no cell.
        SuiteError: The suite fails a check that needs built envs (see
            :func:`wmoe.benchmarks.cells.check_cells`).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    start = time.perf_counter()
    cells = expand_cells(suite)
    check_cells(suite, cells)
    if only:
        cells = [cell for cell in cells if any(fnmatchcase(cell.name, p) for p in only)]
        if not cells:
            raise ValueError(
                f"--only {' '.join(only)} matches no cell of suite {suite.name}; cell names "
                "look like MultiBSReception-v0/default/ppo/moe-top2/seed0 or "
                "MultiBSReception-v0/default/baselines"
            )
    if force:
        store.delete(cell.key for cell in cells)
    finished = store.finished_keys()
    pending = [cell for cell in cells if cell.key not in finished]
    summary = RunSummary(total=len(cells), already_done=len(cells) - len(pending))
    if not pending:
        return summary
    driver = store.register_driver(workers)
    outcomes = (
        _pool_outcomes(pending, workers, store.runs_folder)
        if backend == "local"
        else _ray_outcomes(pending, workers, ray_address, store.runs_folder)
    )
    bar = tqdm(total=len(pending), unit="cell", disable=not progress, dynamic_ncols=True)
    try:
        with sigterm_as_interrupt():  # SIGTERM stops the workers as Ctrl-C does
            for cell, outcome in outcomes:
                if isinstance(outcome, Exception):
                    summary.failed[cell.name] = f"{type(outcome).__name__}: {outcome}"
                    bar.write(f"failed: {cell.name}: {summary.failed[cell.name]}")
                else:
                    store.write(cell, outcome)
                    summary.ran += 1
                bar.set_postfix_str(cell.name, refresh=False)
                bar.update()
    finally:
        bar.close()
        store.deregister_driver(driver)
    summary.seconds = time.perf_counter() - start
    return summary


def _pool_outcomes(cells: list[Cell], workers: int, runs_folder: Path) -> Iterator[Outcome]:
    """Run cells in this process (one worker) or in a pool of spawned processes."""
    if workers == 1:
        for cell in cells:
            try:
                yield cell, execute_cell(cell, runs_folder)
            except Exception as error:  # noqa: BLE001  (reported, the sweep goes on)
                yield cell, error
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures: dict[Future[CellResult], Cell] = {
            pool.submit(execute_cell, cell, runs_folder): cell for cell in cells
        }
        completed = False
        try:
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    cell = futures.pop(future)
                    failure = future.exception()
                    yield cell, future.result() if failure is None else _as_exception(failure)
            completed = True
        finally:
            if not completed:
                _stop_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's workers: an interrupted sweep abandons its unfinished cells.

    Their results would never be stored (the driver alone writes the store), so letting them
    run on would only keep the cores busy after the driver is gone.
    """
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def _ray_outcomes(
    cells: list[Cell], workers: int, address: str | None, runs_folder: Path
) -> Iterator[Outcome]:
    """Run cells as Ray tasks (one CPU each); start a local Ray unless one is running."""
    import ray

    with ray_session(address, workers):
        task = ray.remote(num_cpus=1)(execute_cell)
        pending = {task.remote(cell, runs_folder): cell for cell in cells}
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                cell = pending.pop(done[0])
                try:
                    yield cell, ray.get(done[0])
                except Exception as error:  # noqa: BLE001  (reported, the sweep goes on)
                    yield cell, error
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)


def _as_exception(error: BaseException) -> Exception:
    return error if isinstance(error, Exception) else RuntimeError(repr(error))

"""The result store: one SQLite database per suite (standard library ``sqlite3``).

Table ``cells`` holds one row per *finished* cell, written in one transaction after the
cell's evaluation completed: its config, seeds, scores (test returns), learning curve and
costs. A killed sweep leaves no partial row, so a rerun runs exactly the cells without one.
Table ``drivers`` records the sweeps in progress (process id, host, workers) for
``wmoe benchmark status``. Only the driver process writes; workers return their results.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wmoe import __version__
from wmoe.benchmarks.cells import Cell
from wmoe.benchmarks.execute import CellResult
from wmoe.paths import default_data_dir

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cells (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    suite TEXT NOT NULL,
    env_id TEXT NOT NULL,
    variant TEXT NOT NULL,
    algo TEXT,
    preset TEXT,
    seed INTEGER,
    config TEXT NOT NULL,
    seeds TEXT NOT NULL,
    scores TEXT NOT NULL,
    curve TEXT NOT NULL,
    costs TEXT NOT NULL,
    finished_at REAL NOT NULL,
    wmoe_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS drivers (
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at REAL NOT NULL,
    workers INTEGER NOT NULL,
    PRIMARY KEY (pid, host)
);
"""


def default_store_path(suite_name: str) -> Path:
    """``<data folder>/benchmarks/<suite>.sqlite`` (data folder: ``$WMOE_DATA_DIR``)."""
    return default_data_dir() / "benchmarks" / f"{suite_name}.sqlite"


@dataclass(frozen=True)
class StoredCell:
    """A finished cell read back from the store.

    Attributes:
        cell: The cell.
        result: Its result.
        finished_at: When its row was written [s since the epoch].
        wmoe_version: The wmoe version that ran it.
    """

    cell: Cell
    result: CellResult
    finished_at: float
    wmoe_version: str


@dataclass(frozen=True)
class Driver:
    """A sweep in progress (or one that was killed before it could deregister).

    Attributes:
        pid: Process id of the driver.
        host: Host name of the driver.
        started_at: Start time [s since the epoch].
        workers: Worker processes it uses.
    """

    pid: int
    host: str
    started_at: float
    workers: int

    def alive(self) -> bool:
        """Whether the driver still runs (known only on its own host)."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class ResultStore:
    """The SQLite store of one suite's finished cells.

    Args:
        path: The database file (created with its folder if missing).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=60.0)) as connection, connection:
            yield connection

    @property
    def runs_folder(self) -> Path:
        """Where agent cells keep their ``wmoe train`` run folders (beside the database)."""
        return self.path.with_name(self.path.stem + ".runs")

    def finished_keys(self) -> set[str]:
        """Keys of the finished cells."""
        with self._connect() as connection:
            return {row[0] for row in connection.execute("SELECT key FROM cells")}

    def write(self, cell: Cell, result: CellResult) -> None:
        """Write a finished cell's row in one transaction (replacing an older one)."""
        seeds = {
            "train": cell.seed,
            "test": [cell.test_first, cell.test_first + cell.test_episodes - 1],
        }
        curve = {"steps": result.curve_steps, "values": result.to_dict()["curve"]}
        scores = {
            "returns": result.returns,
            "digests": result.digests,
            "episode_length": result.episode_length,
            "diagnostics": result.diagnostics,
        }
        row = (
            cell.key,
            cell.name,
            cell.suite,
            cell.env_id,
            cell.variant,
            cell.algo,
            cell.preset,
            cell.seed,
            json.dumps(cell.to_dict(), sort_keys=True),
            json.dumps(seeds),
            json.dumps(scores),
            json.dumps(curve),
            json.dumps(result.costs, sort_keys=True),
            time.time(),
            __version__,
        )
        with self._connect() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    def delete(self, keys: Iterable[str]) -> None:
        """Forget the given cells (``--force``)."""
        with self._connect() as connection:
            connection.executemany("DELETE FROM cells WHERE key = ?", [(k,) for k in keys])

    def read(self, keys: Iterable[str] | None = None) -> list[StoredCell]:
        """The finished cells (only those in ``keys`` when given), in the order written."""
        wanted = None if keys is None else set(keys)
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT key, config, scores, curve, costs, finished_at, wmoe_version "
                "FROM cells ORDER BY finished_at"
            ).fetchall()
        return [_stored(*row) for row in rows if wanted is None or row[0] in wanted]

    def register_driver(self, workers: int) -> Driver:
        """Record this process as a running sweep."""
        driver = Driver(os.getpid(), socket.gethostname(), time.time(), workers)
        with self._connect() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO drivers VALUES (?, ?, ?, ?)",
                (driver.pid, driver.host, driver.started_at, driver.workers),
            )
        return driver

    def deregister_driver(self, driver: Driver) -> None:
        """Remove a sweep's record when it ends."""
        with self._connect() as connection:
            connection.execute(
                "DELETE FROM drivers WHERE pid = ? AND host = ?", (driver.pid, driver.host)
            )

    def drivers(self) -> list[Driver]:
        """The recorded sweeps that still run."""
        with self._connect() as connection:
            rows = connection.execute("SELECT pid, host, started_at, workers FROM drivers")
            drivers = [Driver(*row) for row in rows]
        return [driver for driver in drivers if driver.alive()]


def _stored(
    key: str,
    config: str,
    scores: str,
    curve: str,
    costs: str,
    finished_at: float,
    version: str,
) -> StoredCell:
    cell = Cell(**json.loads(config))
    score_data: dict[str, Any] = json.loads(scores)
    curve_data: dict[str, Any] = json.loads(curve)
    result = CellResult.from_dict(
        {
            "returns": score_data["returns"],
            "digests": score_data["digests"],
            "episode_length": score_data["episode_length"],
            "curve": curve_data["values"],
            "curve_steps": curve_data["steps"],
            "costs": json.loads(costs),
            "diagnostics": score_data.get("diagnostics", {}),  # rows before diagnostics
        }
    )
    if cell.key != key:
        raise ValueError(f"store row {key} does not match its config (key {cell.key})")
    return StoredCell(cell, result, finished_at, version)

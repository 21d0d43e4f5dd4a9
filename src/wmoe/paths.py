"""Where wmoe keeps generated data (synthetic scenarios, channel caches), written atomically."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

DATA_DIR_ENV_VAR = "WMOE_DATA_DIR"
# "0" forbids writing a missing synthetic scenario on first use (a read-only or shared data
# folder; the test suite, whose envs must use its small scenarios).
WRITE_SCENARIOS_ENV_VAR = "WMOE_WRITE_SCENARIOS"


def default_data_dir() -> Path:
    """Return the data folder: ``$WMOE_DATA_DIR`` if set, else ``~/.cache/wmoe``."""
    configured = os.environ.get(DATA_DIR_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "wmoe"


def scenarios_may_be_written() -> bool:
    """Return False when ``$WMOE_WRITE_SCENARIOS`` is ``0``: missing scenarios are an error."""
    return os.environ.get(WRITE_SCENARIOS_ENV_VAR, "1").strip() != "0"


def atomic_write(path: Path, write: Callable[[io.BufferedWriter], object]) -> None:
    """Write ``path`` through ``write(file)`` so readers see the old or the new file only.

    The data goes to a uniquely named temporary file in the same folder (created if
    missing), is flushed to disk, then renamed over ``path``; concurrent writers of the same
    path (e.g. test workers building the same cache) cannot interleave their bytes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)

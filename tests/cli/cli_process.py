"""Run the ``wmoe`` CLI in a subprocess with its own data folder (the CLI tests' helper)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, env_dir: Path) -> subprocess.CompletedProcess[str]:
    """``python -m wmoe.cli ARGS`` with ``WMOE_DATA_DIR=env_dir``; output captured, no check."""
    env = {**os.environ, "WMOE_DATA_DIR": str(env_dir)}
    return subprocess.run(
        [sys.executable, "-m", "wmoe.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )

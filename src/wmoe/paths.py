"""Where wmoe keeps generated data (synthetic scenarios, channel caches)."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV_VAR = "WMOE_DATA_DIR"


def default_data_dir() -> Path:
    """Return the data folder: ``$WMOE_DATA_DIR`` if set, else ``~/.cache/wmoe``."""
    configured = os.environ.get(DATA_DIR_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "wmoe"

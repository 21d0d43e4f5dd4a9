"""Shared fixtures: an isolated data folder, one torch thread, a small synthetic scenario.

Also the Hypothesis profiles of the property-based tests.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# A fixed number of derandomised examples, so the property-based suite has a bounded run time
# and every run draws the same cases. HYPOTHESIS_PROFILE=explore draws new cases, many more.
settings.register_profile("ci", max_examples=12, derandomize=True, deadline=None)
settings.register_profile("explore", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_DATA_DIR = tempfile.mkdtemp(prefix="wmoe-test-data-")
os.environ["WMOE_DATA_DIR"] = _DATA_DIR
# An env that would write a full-size default scenario (minutes of CPU) fails instead: tests
# point the reception envs at the small scenarios (``reception_config``).
os.environ["WMOE_WRITE_SCENARIOS"] = "0"

SMALL_SCENARIO = {"row_stride": 60, "user_stride": 45}


def pytest_configure(config: pytest.Config) -> None:
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def small_scenarios_dir() -> Path:
    """A scenarios folder holding both synthetic scenarios, small, under their default names.

    v0 defaults to the O1-like ``o1_synthetic_3p5``, v1 to ``o1_geometry_3p5`` (O1's geometry:
    here 532 users of UG1-UG3, 80 of them without a path, inside UG3's buildings).
    """
    from wmoe.scenarios.synthetic_o1 import O1GeometryConfig, SyntheticO1Config, write_synthetic_o1

    folder = Path(_DATA_DIR) / "small_scenarios"
    write_synthetic_o1(folder, SyntheticO1Config(**SMALL_SCENARIO), overwrite=True)
    write_synthetic_o1(folder, O1GeometryConfig(**SMALL_SCENARIO), overwrite=True)
    return folder


@pytest.fixture(scope="session")
def reception_config(small_scenarios_dir: Path) -> dict[str, Any]:
    """Env config overrides pointing the reception envs at the small scenarios."""
    return {
        "scenarios_dir": str(small_scenarios_dir),
        "cache_dir": str(Path(_DATA_DIR) / "cache"),
    }


# Every 700th row of O1's user grids: 4 + 2 + 2 rows, 1,808 users in DeepMIMO's O1 layout.
O1_FORMAT_ROW_STRIDE = 700


@pytest.fixture(scope="session")
def o1_format_scenario() -> Path:
    """A folder in the file layout of DeepMIMO's o1_3p5 (random paths); treat it as read-only."""
    from wmoe.scenarios.o1_format import O1FormatConfig, write_o1_format

    return write_o1_format(
        Path(_DATA_DIR) / "o1_format_scenarios",
        O1FormatConfig(name="o1_3p5", row_stride=O1_FORMAT_ROW_STRIDE),
    )

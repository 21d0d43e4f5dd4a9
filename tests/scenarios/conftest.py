"""Shared fixtures of the scenario tests: one small synthetic O1-like scenario per session."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from wmoe.scenarios.synthetic_o1 import SyntheticO1Config, write_synthetic_o1

SMALL_CONFIG = SyntheticO1Config(name="o1_scen_test", row_stride=60, user_stride=45)


@pytest.fixture(scope="session")
def small_config() -> SyntheticO1Config:
    """The generator settings of the session's small scenario."""
    return SMALL_CONFIG


@pytest.fixture(scope="session")
def small_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write the small synthetic scenario once and return its folder (treat it as read-only)."""
    scenarios_dir = tmp_path_factory.mktemp("scen_scenarios")
    with contextlib.redirect_stdout(io.StringIO()):
        return write_synthetic_o1(scenarios_dir, SMALL_CONFIG)

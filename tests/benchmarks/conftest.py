"""A tiny suite on the small synthetic scenario, and its store after one uninterrupted sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tiny_suite import tiny_suite_data

from wmoe.benchmarks.runner import run_suite
from wmoe.benchmarks.store import ResultStore
from wmoe.benchmarks.suite import Suite, load_suite


@pytest.fixture(scope="session")
def tiny_suite_file(
    tmp_path_factory: pytest.TempPathFactory, reception_config: dict[str, Any]
) -> Path:
    path = tmp_path_factory.mktemp("suite") / "tiny.yml"
    path.write_text(yaml.safe_dump(tiny_suite_data(reception_config)))
    return path


@pytest.fixture(scope="session")
def tiny_suite(tiny_suite_file: Path) -> Suite:
    return load_suite(tiny_suite_file)


@pytest.fixture(scope="session")
def finished_store(tmp_path_factory: pytest.TempPathFactory, tiny_suite: Suite) -> ResultStore:
    """The tiny suite run to completion in this process (one worker)."""
    store = ResultStore(tmp_path_factory.mktemp("store") / "tiny.sqlite")
    summary = run_suite(tiny_suite, store, progress=False)
    assert summary.failed == {} and summary.ran == summary.total == 5
    return store

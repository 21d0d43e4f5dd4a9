"""The case-study page built from a finished (tiny) suite: per-step rewards, ordering, routing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wmoe.benchmarks import case_study_page
from wmoe.benchmarks.case_study_page import (
    case_study_result,
    ordering_table,
    routing_table,
    write_case_study_page,
)
from wmoe.benchmarks.execute import AGENT
from wmoe.benchmarks.store import ResultStore
from wmoe.benchmarks.suite import Suite


def test_runs_are_the_stored_cells_per_step(tiny_suite: Suite, finished_store: ResultStore) -> None:
    stored = finished_store.read()
    result = case_study_result(tiny_suite, stored)
    assert result.agent == "ppo" and result.settings.seeds == (0, 1)
    assert {(run.network, run.seed) for run in result.runs} == {
        (preset, seed) for preset in ("mlp-matched", "moe-top2") for seed in (0, 1)
    }
    item = next(s for s in stored if s.cell.preset == "moe-top2" and s.cell.seed == 1)
    run = next(r for r in result.runs if r.network == "moe-top2" and r.seed == 1)
    length = item.result.episode_length  # 16 steps per test episode
    assert run.final_reward == pytest.approx(np.mean(item.result.returns[AGENT]) / length)
    np.testing.assert_allclose(run.curve, np.asarray(item.result.curve) / length)
    assert (
        run.diagnostics["oracle_rate_share"]
        == item.result.diagnostics["decision/oracle_rate_share"]
    )
    baselines = next(s for s in stored if s.cell.is_baselines).result
    assert result.baselines["oracle"] == pytest.approx(
        np.mean(baselines.returns["oracle"]) / baselines.episode_length
    )


def test_ordering_and_routing_tables(
    tiny_suite: Suite, finished_store: ResultStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = finished_store.read()
    assert ordering_table(tiny_suite, stored, reps=50).count("\n") == 1  # no Table VII runs
    monkeypatch.setattr(case_study_page, "PAPER_ORDER", ("moe-top2", "mlp-matched"))
    rows = ordering_table(tiny_suite, stored, reps=50).splitlines()[2:]
    assert len(rows) == 1 and rows[0].startswith("| moe-top2 > mlp-matched | 2 vs 2 |")
    assert rows[0].endswith("| not resolved at this budget |")  # 2 runs per side decide nothing
    routing = routing_table(tiny_suite, stored).splitlines()[2:]
    assert [row.split(" | ")[1] for row in routing] == ["`pi`", "`vf`"]  # the MoE preset only
    assert all(row.startswith("| moe-top2 (`moe-top2`)") for row in routing)


def test_page_files(tiny_suite: Suite, finished_store: ResultStore, tmp_path: Path) -> None:
    paths = write_case_study_page(tiny_suite, finished_store.read(), tmp_path, reps=50)
    assert [path.name for path in paths] == [
        "case_study.png",
        "case_study_curves.csv",
        "case_study.md",
    ]
    page = (tmp_path / "case_study.md").read_text()
    assert "Runs finished: 4 of 4" in page and "## The paper's ordering" in page
    assert "| baseline: oracle |" in page and "## Routing of the MoE denoisers" in page


def test_one_run_is_shown_without_an_interval() -> None:
    from wmoe.agents.case_study import mean_with_interval

    assert mean_with_interval(np.array([42.634])) == "42.63 (1 run)"
    assert mean_with_interval(np.array([1.0, 3.0])) == "2.00 ± 12.71"  # t(0.975, 1) x 1

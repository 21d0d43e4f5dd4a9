"""Sweeps: end to end on both backends, resume after a killed driver, common random numbers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

from wmoe.agents.evaluate import baseline_policies, run_episodes
from wmoe.benchmarks.cells import expand_cells
from wmoe.benchmarks.execute import AGENT
from wmoe.benchmarks.leaderboard import build_leaderboard
from wmoe.benchmarks.runner import run_suite
from wmoe.benchmarks.status import suite_status
from wmoe.benchmarks.store import ResultStore
from wmoe.benchmarks.suite import Suite


def _returns(store: ResultStore) -> dict[str, dict[str, list[float]]]:
    return {item.cell.key: item.result.returns for item in store.read()}


def test_local_sweep_stores_every_cell_once_and_resumes_to_nothing(
    tiny_suite: Suite, finished_store: ResultStore
) -> None:
    cells = expand_cells(tiny_suite)
    stored = finished_store.read()
    assert sorted(item.cell.name for item in stored) == sorted(cell.name for cell in cells)
    agent = next(item for item in stored if not item.cell.is_baselines)
    assert len(agent.result.returns[AGENT]) == 2 and len(agent.result.curve) == 4
    costs = agent.result.costs
    assert costs["parameters_total"] >= costs["parameters_active"] > 0
    assert costs["latency_ms_batch1"] > 0 and costs["latency_ms_batch256"] > 0
    again = run_suite(tiny_suite, finished_store, progress=False)
    assert (again.ran, again.already_done) == (0, 5)
    status = suite_status(tiny_suite, finished_store)
    assert (status.done, status.running, status.left) == (5, 0, 0)


def test_agent_cells_store_routing_and_decision_diagnostics(
    finished_store: ResultStore,
) -> None:
    by_preset = {
        item.cell.preset: item.result.diagnostics
        for item in finished_store.read()
        if not item.cell.is_baselines and item.cell.seed == 0
    }
    plain, moe = by_preset["mlp-matched"], by_preset["moe-top2"]
    assert not any(key.startswith("moe/") for key in plain)
    for layer in ("pi", "vf"):  # the share of tokens each of the 4 experts took
        loads = [moe[f"moe/{layer}/load_{expert}"] for expert in range(4)]
        assert sum(loads) == pytest.approx(1.0)
    assert any(key.endswith("aux/entropy") for key in moe)
    assert any("/dormant_tau0.1_" in key for key in moe)
    for diagnostics in (plain, moe):
        assert diagnostics["decision/steps"] == 2 * 16  # the test episodes
        assert 0 < diagnostics["decision/oracle_rate_share"] <= 1
        assert diagnostics["decision/distinct_sets"] >= 1


def test_force_reruns_a_finished_suite_with_equal_results(
    tmp_path: Path, tiny_suite: Suite, finished_store: ResultStore
) -> None:
    copy = tmp_path / "copy.sqlite"
    shutil.copy(finished_store.path, copy)
    summary = run_suite(tiny_suite, ResultStore(copy), force=True, progress=False)
    assert (summary.already_done, summary.ran) == (0, 5)
    assert _returns(ResultStore(copy)) == _returns(finished_store)


def test_only_forces_the_matching_cells(
    tmp_path: Path, tiny_suite: Suite, finished_store: ResultStore
) -> None:
    copy = tmp_path / "copy.sqlite"
    shutil.copy(finished_store.path, copy)
    baselines = [cell for cell in expand_cells(tiny_suite) if cell.is_baselines]
    pattern = "*/baselines"
    summary = run_suite(tiny_suite, ResultStore(copy), force=True, only=[pattern], progress=False)
    assert (summary.total, summary.already_done, summary.ran) == (len(baselines), 0, 1)
    assert _returns(ResultStore(copy)) == _returns(finished_store)
    with pytest.raises(ValueError, match=r"--only nope/\* matches no cell of suite"):
        run_suite(tiny_suite, ResultStore(copy), only=["nope/*"], progress=False)


def test_every_policy_sees_the_same_test_episodes(
    tiny_suite: Suite, finished_store: ResultStore, reception_config: dict[str, Any]
) -> None:
    stored = finished_store.read()
    digests = {d for item in stored for d in item.result.digests.values()}
    assert len(digests) == 1  # 4 agents and 4 baselines, one set of test episodes
    board = build_leaderboard(tiny_suite, stored, reps=200)
    assert board.notes == [] and all(task.digests_agree() for task in board.tasks)

    # Two different policies, every observation of every test episode recorded: identical.
    cell = expand_cells(tiny_suite)[0]
    seen: dict[str, list[np.ndarray]] = {}
    for name, policy in baseline_policies(cell.env_id, 0).items():
        if name not in ("random", "strongest_n"):
            continue
        env = gym.make(cell.env_id, **cell.test_kwargs())
        observations: list[np.ndarray] = []

        def recording(obs: Any, env: Any, policy: Any = policy, log: list = observations) -> Any:
            log.append(np.array(obs))
            return policy(obs, env)

        run_episodes(env, recording, cell.test_episodes, cell.test_first)
        seen[name] = observations
    assert len(seen["random"]) == len(seen["strongest_n"]) == 2 * 16
    for first, second in zip(seen["random"], seen["strongest_n"], strict=True):
        np.testing.assert_array_equal(first, second)


def test_killed_driver_reruns_only_unfinished_cells(
    tmp_path: Path, tiny_suite_file: Path, finished_store: ResultStore
) -> None:
    store_path = tmp_path / "killed.sqlite"
    command = [
        sys.executable,
        "-m",
        "wmoe.cli",
        "benchmark",
        "run",
        str(tiny_suite_file),
        "--store",
        str(store_path),
        "--workers",
        "2",
    ]
    driver = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    before: dict[str, float] = {}
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and driver.poll() is None:
        if store_path.exists():
            before = {i.cell.key: i.finished_at for i in ResultStore(store_path).read()}
            if len(before) >= 2:  # the baselines and at least one agent
                break
        time.sleep(0.1)
    assert driver.poll() is None, "the sweep finished before it could be killed"
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its pool workers
    driver.wait()
    store = ResultStore(store_path)
    killed = {i.cell.key: i.finished_at for i in store.read()}
    assert 2 <= len(killed) < 5 and killed.items() >= before.items()

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(killed)} already done, {5 - len(killed)} run now, 0 failed" in rerun.stdout
    finished = {i.cell.key: i.finished_at for i in store.read()}
    assert len(finished) == 5
    assert all(finished[key] == when for key, when in killed.items())  # not run again
    assert _returns(store) == _returns(finished_store)  # same as the uninterrupted sweep


def test_sigterm_to_the_driver_stops_its_workers(tmp_path: Path, tiny_suite_file: Path) -> None:
    store_path = tmp_path / "terminated.sqlite"
    command = [sys.executable, "-m", "wmoe.cli", "benchmark", "run", str(tiny_suite_file)]
    command += ["--store", str(store_path), "--workers", "2"]
    driver = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and driver.poll() is None:
        if store_path.exists() and len(ResultStore(store_path).read()) >= 1:
            break  # the workers are busy with agent cells now
        time.sleep(0.1)
    assert driver.poll() is None, "the sweep finished before it could be stopped"
    os.kill(driver.pid, signal.SIGTERM)  # the driver only, as `kill PID` does
    assert driver.wait(timeout=60) != 0
    deadline = time.monotonic() + 30
    survivors = True
    while survivors and time.monotonic() < deadline:
        try:
            os.killpg(driver.pid, 0)  # any process left in the driver's group?
            time.sleep(0.2)
        except ProcessLookupError:
            survivors = False
    assert not survivors, "pool workers outlived the driver"


def test_ray_backend_gives_the_local_results(
    tmp_path: Path, tiny_suite: Suite, finished_store: ResultStore
) -> None:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1")
    try:
        store = ResultStore(tmp_path / "ray.sqlite")
        summary = run_suite(tiny_suite, store, backend="ray", workers=2, progress=False)
    finally:
        ray.shutdown()
    assert (summary.ran, summary.failed) == (5, {})
    assert _returns(store) == _returns(finished_store)

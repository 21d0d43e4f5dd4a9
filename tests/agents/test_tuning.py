"""``wmoe tune``: search spaces, validation-only scoring, pruning and shared storage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import optuna
import pytest

from wmoe.agents import tuning
from wmoe.agents.registry import ALGORITHMS
from wmoe.agents.tuning import VALIDATION_FIRST_SEED, TuneArgs, best_entry, search_space, tune

TINY = {"config": {"episode_slots": 40}}


def _args(tmp_path: Path, **kwargs: Any) -> TuneArgs:
    settings: dict[str, Any] = {
        "algo": "ppo",
        "env": "wmoe/MultiAccess-v0",
        "policy": "mlp",
        "n_trials": 2,
        "n_timesteps": 256,
        "evaluations": 2,
        "eval_episodes": 1,
        "storage": f"sqlite:///{tmp_path / 'study.db'}",
        "env_kwargs": TINY,
    }
    settings.update(kwargs)
    return TuneArgs(**settings)


def test_every_algorithm_has_a_search_space_of_its_own_hyperparameters() -> None:
    from wmoe.agents.hyperparams import valid_keys
    from wmoe.agents.registry import get_algorithm

    for algo in ALGORITHMS:
        space = search_space(algo)
        assert space and set(space) <= set(valid_keys(get_algorithm(algo))), algo


def test_trials_score_on_validation_seeds_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds: list[int] = []
    original = tuning.run_episodes

    def recording(env: Any, policy: Any, n_episodes: int, seed: int) -> Any:
        seeds.append(seed)
        return original(env, policy, n_episodes, seed)

    monkeypatch.setattr(tuning, "run_episodes", recording)
    study = tune(_args(tmp_path))
    assert len(study.trials) == 2
    assert seeds and set(seeds) == {VALIDATION_FIRST_SEED}
    assert VALIDATION_FIRST_SEED + 100 < 1_000_000  # far from the suites' test episodes
    entry = best_entry(study, _args(tmp_path))
    assert entry.startswith("# tuned: study 'ppo-MultiAccess-v0-mlp' in sqlite:///")
    assert "wmoe/MultiAccess-v0:" in entry and "learning_rate:" in entry


def test_a_minibatch_never_exceeds_the_rollout(tmp_path: Path) -> None:
    study = tune(_args(tmp_path, n_trials=3))
    for trial in study.trials:
        used = trial.user_attrs["hyperparameters"]
        assert used["batch_size"] <= used["n_steps"] * 8  # n_envs of ppo.yml's entry


def test_the_median_rule_prunes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Three trials report 10 at both checkpoints, the fourth -50 at its first: pruned there.
    scores = iter([10.0] * 6 + [-50.0])
    monkeypatch.setattr(tuning.PruningEvaluation, "evaluate", lambda self: next(scores))
    study = tune(_args(tmp_path, n_trials=4))
    states = [t.state for t in study.trials]
    assert states[:3] == [optuna.trial.TrialState.COMPLETE] * 3
    assert states[3] == optuna.trial.TrialState.PRUNED


def test_two_workers_share_one_sqlite_study(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    command = [sys.executable, "-m", "wmoe.cli", "tune", "--algo", "ppo"]
    command += ["--env", "wmoe/MultiAccess-v0", "--n-trials", "2", "-n", "256"]
    command += ["--evaluations", "1", "--eval-episodes", "1", "--storage", storage]
    command += ["--study-name", "shared", "--env-kwargs", "config.episode_slots:40"]
    environment = {**os.environ, "WMOE_DATA_DIR": str(tmp_path)}
    workers = [
        subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr.decode()[-3000:]
    study = optuna.load_study(study_name="shared", storage=storage)
    assert sorted(t.number for t in study.trials) == [0, 1, 2, 3]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown algorithm 'ppo3'"):
        tune(_args(tmp_path, algo="ppo3"))
    with pytest.raises(ValueError, match="unknown network preset 'nope'"):
        tune(_args(tmp_path, policy="nope"))
    with pytest.raises(ValueError, match="no search space for 'x'"):
        search_space("x")


def test_a_new_study_first_runs_the_packaged_hyperparameters(tmp_path: Path) -> None:
    from wmoe.agents.hyperparams import algorithm_defaults, load_defaults
    from wmoe.agents.registry import get_algorithm

    entry = get_algorithm("ppo")
    defaults = {**algorithm_defaults(entry), **load_defaults(entry, "wmoe/MultiAccess-v0")[0]}
    point = tuning.packaged_point(search_space("ppo"), defaults)
    assert point["n_epochs"] == 10 and point["clip_range"] == 0.2  # PPO's own defaults
    assert all(point[name] == defaults[name] for name in point)
    study = tune(_args(tmp_path, n_trials=1))
    params = study.trials[0].params  # the values outside the space are sampled
    assert {name: params[name] for name in point} == point


def test_packaged_values_outside_the_space_are_left_to_the_sampler() -> None:
    space = {
        "batch_size": {"choice": [32, 64]},
        "learning_rate": {"log_uniform": [1e-5, 1e-3]},
        "gamma": {"uniform": [0.9, 1.0]},
    }
    base = {"batch_size": 512, "learning_rate": 3e-4, "gamma": 0.0, "n_epochs": 10}
    assert tuning.packaged_point(space, base) == {"learning_rate": 3e-4}

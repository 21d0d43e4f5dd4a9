"""``wmoe tune --backend ray``: the same study on Ray Tune (OptunaSearch, median stopping)."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from wmoe.agents.tuning import search_space
from wmoe.cli import main

ray = pytest.importorskip("ray")
pytest.importorskip("ray.tune")


def test_a_tiny_ray_study_samples_the_declared_space(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    command = ["tune", "--backend", "ray", "--workers", "2", "--algo", "ppo"]
    command += ["--env", "wmoe/MultiAccess-v0", "--n-trials", "2", "-n", "256"]
    command += ["--evaluations", "2", "--eval-episodes", "1", "--storage", storage]
    command += ["--env-kwargs", "config.episode_slots:40"]
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1")
    try:
        assert main(command) == 0
    finally:
        ray.shutdown()
    printed = capsys.readouterr().out
    assert "study ppo-MultiAccess-v0-mlp: 2 trials, 2 completed" in printed
    assert "# tuned: study 'ppo-MultiAccess-v0-mlp' in sqlite:///" in printed
    assert "wmoe/MultiAccess-v0:" in printed and "learning_rate:" in printed

    study = optuna.load_study(study_name="ppo-MultiAccess-v0-mlp", storage=storage)
    space = search_space("ppo")
    assert len(study.trials) == 2
    for trial in study.trials:
        assert trial.state == optuna.trial.TrialState.COMPLETE
        assert set(trial.params) == set(space)
        for name, value in trial.params.items():
            ((kind, arguments),) = space[name].items()
            if kind == "choice":
                assert value in arguments, name
            else:
                assert float(arguments[0]) <= value <= float(arguments[1]), name
        used = trial.user_attrs["hyperparameters"]
        assert used["batch_size"] <= used["n_steps"] * 8  # clamped as on the optuna backend
        assert len(trial.intermediate_values) == 3  # two checkpoints and the final score


def test_only_a_trial_that_trained_to_the_end_completes(tmp_path: Path) -> None:
    from wmoe.agents.tuning_ray import FINAL, METRIC, PrunedAwareOptunaSearch

    def space(trial: optuna.Trial) -> None:
        trial.suggest_float("x", 0.0, 1.0)

    storage = f"sqlite:///{tmp_path / 'study.db'}"
    searcher = PrunedAwareOptunaSearch(
        space=space,
        metric=METRIC,
        mode="max",
        study_name="s",
        storage=optuna.storages.RDBStorage(storage),
    )
    for trial_id, final in (("stopped", False), ("finished", True)):
        assert searcher.suggest(trial_id) is not None
        searcher.on_trial_result(trial_id, {METRIC: 1.0, "training_iteration": 1})
        searcher.on_trial_complete(trial_id, {METRIC: 1.0, FINAL: final})
    states = [t.state for t in optuna.load_study(study_name="s", storage=storage).trials]
    assert states == [optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.COMPLETE]

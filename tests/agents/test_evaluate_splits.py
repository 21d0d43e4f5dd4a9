"""``wmoe evaluate`` on envs with data splits: held-out test by default, in-sample beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wmoe.agents.evaluate import (
    HELD_OUT_SPLIT,
    SplitChoice,
    data_splits,
    evaluate_run,
    evaluate_splits,
    split_plan,
)
from wmoe.agents.train import TrainArgs, train
from wmoe.cli import main

ENV_ID = "wmoe/ChannelAwareClassification-v0"
# A system trained for one epoch per stage, 8-step episodes: a run in seconds.
TINY_SYSTEM = {"stage1_epochs": 1, "stage2_epochs": 1, "episode_length": 8}


@pytest.fixture(scope="module")
def log_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 128-step PPO run on the train split of ChannelAwareClassification-v0."""
    folder = tmp_path_factory.mktemp("split-runs")
    train(
        TrainArgs(
            algo="ppo",
            env=ENV_ID,
            log_folder=folder,
            n_timesteps=128,
            env_kwargs={"config": TINY_SYSTEM},
            hyperparams={"n_envs": 2, "n_steps": 64, "batch_size": 64},
            eval_freq=-1,
            save_freq=-1,
            verbose=0,
        )
    )
    return folder


def test_envs_with_a_split_key_are_found_from_their_config_schema() -> None:
    assert data_splits(ENV_ID) == ("train", "validation", "test")
    assert data_splits("wmoe/ExpertRouting-v0") == ("train", "validation", "test")
    assert data_splits("wmoe/MultiBSReception-v0") == ()
    assert data_splits("CartPole-v1") == ()


@pytest.mark.parametrize(
    ("run_kwargs", "split", "env_kwargs", "expected"),
    [
        (
            {},
            None,
            None,
            [
                SplitChoice("test", False, "the default"),
                SplitChoice("train", True, "the training run's split"),
            ],
        ),
        (
            {"config": {"split": "validation"}},
            None,
            None,
            [
                SplitChoice("test", False, "the default"),
                SplitChoice("validation", True, "the training run's split"),
            ],
        ),
        (
            {"config": {"split": "test"}},
            None,
            None,
            [SplitChoice("test", True, "the default")],
        ),
        ({}, "validation", None, [SplitChoice("validation", False, "chosen by --split")]),
        ({}, "train", None, [SplitChoice("train", True, "chosen by --split")]),
        (
            {},
            None,
            {"config": {"split": "train"}},
            [SplitChoice("train", True, "config.split of --env-kwargs wins")],
        ),
        (
            {},
            "test",
            {"config": {"split": "test"}},
            [SplitChoice("test", False, "config.split of --env-kwargs wins")],
        ),
    ],
)
def test_split_plan(
    run_kwargs: dict[str, Any],
    split: str | None,
    env_kwargs: dict[str, Any] | None,
    expected: list[SplitChoice],
) -> None:
    assert split_plan(ENV_ID, run_kwargs, split, env_kwargs) == expected


def test_split_plan_without_in_sample_and_on_an_env_without_splits() -> None:
    assert split_plan(ENV_ID, {}, in_sample=False) == [SplitChoice("test", False, "the default")]
    assert split_plan("wmoe/MultiBSReception-v0", {"config": {"episode_length": 4}}) == []


@pytest.mark.parametrize(
    ("env_id", "split", "env_kwargs", "match"),
    [
        (ENV_ID, "bogus", None, r"unknown --split 'bogus' for .*; valid: train, validation, test"),
        (
            ENV_ID,
            None,
            {"config": {"split": "dev"}},
            r"unknown config.split of --env-kwargs 'dev' .*valid: train, validation, test",
        ),
        (ENV_ID, "test", {"config": {"split": "train"}}, r"--split test and config.split:train"),
        (
            "wmoe/MultiBSReception-v0",
            "test",
            None,
            r"--split test: wmoe/MultiBSReception-v0 has no data splits .*drop --split",
        ),
    ],
)
def test_split_plan_rejects_bad_splits(
    env_id: str, split: str | None, env_kwargs: dict[str, Any] | None, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        split_plan(env_id, {}, split, env_kwargs)


def test_default_scores_test_then_the_training_split(log_folder: Path) -> None:
    reports = evaluate_splits("ppo", ENV_ID, log_folder, n_episodes=2, seed=3)
    assert [r.split for r in reports] == [HELD_OUT_SPLIT, "train"]
    assert [r.label() for r in reports] == ["split test", "split train (in-sample)"]
    assert reports[0].heading() == "split test (held out; the default)"
    assert reports[0].env_kwargs["config"] == {**TINY_SYSTEM, "split": "test"}
    assert "naive_gate" in reports[1].returns
    single = evaluate_run("ppo", ENV_ID, log_folder, n_episodes=2, seed=3)
    assert single.split == "test"
    for name, values in reports[0].returns.items():
        assert list(values) == list(single.returns[name]), name


def test_split_validation_scores_only_validation(
    log_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = evaluate_splits("ppo", ENV_ID, log_folder, n_episodes=2, split="validation")
    assert [r.split for r in reports] == ["validation"]
    assert reports[0].env_kwargs["config"]["split"] == "validation"

    common = ["evaluate", "--algo", "ppo", "--env", ENV_ID, "-f", str(log_folder)]
    assert main([*common, "--n-episodes", "2", "--split", "validation", "--no-baselines"]) == 0
    out = capsys.readouterr().out
    headings = [line for line in out.splitlines() if line.startswith("split ")]
    assert headings == ["split validation (held out; chosen by --split):"]
    assert "agent: split" not in out  # no two-split summary


def test_config_split_in_env_kwargs_wins_and_says_so(
    log_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["evaluate", "--algo", "ppo", "--env", ENV_ID, "-f", str(log_folder)]
    args = ["--n-episodes", "1", "--no-baselines", "--env-kwargs", "config.split:train"]
    assert main([*common, *args]) == 0
    headings = [line for line in capsys.readouterr().out.splitlines() if line.startswith("split")]
    assert headings == ["split train (in-sample; config.split of --env-kwargs wins):"]

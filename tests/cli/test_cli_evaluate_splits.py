"""``wmoe evaluate`` through the console script on an env with data splits."""

from __future__ import annotations

import os
from pathlib import Path

import gymnasium as gym
import pytest
from cli_process import run

from wmoe.agents.evaluate import load_run, run_episodes
from wmoe.config import deep_merge

ENV_ID = "wmoe/ChannelAwareClassification-v0"


def agent_means(stdout: str) -> dict[str, str]:
    """The heading of each split's table -> the agent's mean return as printed."""
    means, heading = {}, None
    for line in stdout.splitlines():
        if line.startswith("split "):
            heading = line.rstrip(":")
        elif line.startswith("agent ") and heading is not None:
            means[heading] = line.split()[1]
    return means


def test_evaluate_reports_the_test_split_and_the_in_sample_split(tmp_path: Path) -> None:
    # The session's data folder holds the classifier system, shared with this process.
    cache = os.environ["WMOE_DATA_DIR"]
    common = ["--algo", "ppo", "--env", ENV_ID, "-f", str(tmp_path / "logs")]
    trained = run(
        "train",
        *common,
        "-n",
        "256",
        "--env-kwargs",
        "config.stage1_epochs:1",
        "config.stage2_epochs:1",
        "config.episode_length:8",
        f"config.cache_dir:{cache}",
        "--hyperparams",
        "n_envs:2",
        "n_steps:64",
        "batch_size:64",
        "--eval-freq",
        "-1",
        "--save-freq",
        "-1",
        "--verbose",
        "0",
        env_dir=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr

    evaluated = run("evaluate", *common, "--n-episodes", "3", "--seed", "3", env_dir=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    means = agent_means(evaluated.stdout)
    test, train = (
        "split test (held out; the default)",
        "split train (in-sample; the training run's split)",
    )
    assert list(means) == [test, train]
    summary = evaluated.stdout.splitlines()[-1]
    assert summary == (
        f"agent: split test: mean {means[test]} ; split train (in-sample): mean {means[train]}"
    )
    for heading in means:  # baselines are scored on each split beside the agent
        section = evaluated.stdout.split(heading)[1]
        assert "naive_gate" in section and "oracle" in section

    run_ = load_run("ppo", ENV_ID, tmp_path / "logs")
    for split, heading in (("test", test), ("train", train)):
        kwargs = deep_merge(run_.hyperparameters["env_kwargs"], {"config": {"split": split}})
        env = gym.make(ENV_ID, **kwargs)
        returns, _ = run_episodes(env, run_.policy(), 3, 3)
        env.close()
        assert f"{returns.mean():.3f}" == means[heading], split


@pytest.mark.parametrize(
    ("env_id", "message"),
    [
        (ENV_ID, "wmoe: error: unknown --split 'bogus' for " + ENV_ID),
        (
            "wmoe/MultiBSReception-v0",
            "wmoe: error: --split bogus: wmoe/MultiBSReception-v0 has no data splits "
            "(its config has no 'split' key); drop --split",
        ),
    ],
)
def test_evaluate_rejects_a_bad_split(tmp_path: Path, env_id: str, message: str) -> None:
    result = run("evaluate", "--algo", "ppo", "--env", env_id, "--split", "bogus", env_dir=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    if env_id == ENV_ID:
        assert "valid: train, validation, test" in result.stderr


def test_evaluate_help_says_it_scores_the_test_split(tmp_path: Path) -> None:
    result = run("evaluate", "--help", env_dir=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "held-out test split by default" in text and "--split" in text

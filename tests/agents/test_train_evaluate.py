"""``wmoe.agents.train`` / ``evaluate``: run layout, resume, interruption, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from stable_baselines3 import PPO, SAC

from wmoe.agents.checkpoints import latest_checkpoint
from wmoe.agents.evaluate import evaluate_run
from wmoe.agents.train import TrainArgs, train
from wmoe.envs.multi_bs_reception.baselines import BASELINES as RECEPTION_BASELINES
from wmoe.moe_policies.callback import MoELoggingCallback

ENV_ID = "wmoe/MultiBSReception-v0"


def _args(tmp_path: Path, config: dict[str, Any], **overrides: Any) -> TrainArgs:
    settings: dict[str, Any] = {
        "algo": "ppo",
        "env": ENV_ID,
        "log_folder": tmp_path / "logs",
        "policy": "moe-top2",
        "n_timesteps": 512,
        "env_kwargs": {"config": {**config, "episode_length": 16}},
        "hyperparams": {"n_envs": 2, "n_steps": 64, "batch_size": 64},
        "eval_freq": 256,
        "eval_episodes": 2,
        "save_freq": 256,
        "verbose": 0,
    }
    settings.update(overrides)
    return TrainArgs(**settings)


def test_run_layout_logs_and_evaluation(tmp_path: Path, reception_config: dict[str, Any]) -> None:
    folder = train(_args(tmp_path, reception_config))
    assert folder == tmp_path / "logs" / "ppo" / "wmoe-MultiBSReception-v0_1"
    name = "wmoe-MultiBSReception-v0"
    for path in [f"{name}.zip", "best_model.zip", "evaluations.npz", "rl_model_512_steps.zip"]:
        assert (folder / path).is_file(), path
    config = yaml.safe_load((folder / name / "config.yml").read_text())
    assert config["policy"] == "moe-top2" and config["n_envs"] == 2
    assert config["env_kwargs"]["config"]["precoder_selection"] == "expert"  # from ppo.yml
    header = (folder / "log" / "0" / "progress.csv").read_text().splitlines()[0].split(",")
    assert {"moe/pi/load_0", "moe/vf/aux/load_balancing", "train/value_loss"} <= set(header)
    assert list((folder / "log" / "0").glob("events.out.tfevents.*"))
    evaluations = np.load(folder / "evaluations.npz")
    assert list(evaluations["timesteps"]) == [256, 512]

    report = evaluate_run("ppo", ENV_ID, tmp_path / "logs", n_episodes=3, seed=5)
    assert list(report.returns) == ["agent", *RECEPTION_BASELINES]
    assert report.episode_length == 16
    assert all(len(values) == 3 for values in report.returns.values())
    assert np.all(report.returns["oracle"] >= report.returns["strongest_n"] - 1e-6)
    again = evaluate_run("ppo", ENV_ID, tmp_path / "logs", n_episodes=3, seed=5)
    for key, values in report.returns.items():
        np.testing.assert_array_equal(values, again.returns[key])
    assert "agent" in report.table().splitlines()[1]

    second = train(_args(tmp_path, reception_config, n_timesteps=128, eval_freq=-1))
    assert second.name.endswith("_2")


def test_interrupted_run_resumes_from_the_step_it_reached(
    tmp_path: Path, reception_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt_at_300(self: MoELoggingCallback) -> bool:
        if self.num_timesteps >= 300:
            raise KeyboardInterrupt
        return True

    args = _args(
        tmp_path,
        {**reception_config, "action_type": "continuous"},
        algo="sac",
        hyperparams={"n_envs": 2, "learning_starts": 32, "batch_size": 16},
        n_timesteps=400,
        save_freq=10_000,
    )
    with monkeypatch.context() as patch:
        patch.setattr(MoELoggingCallback, "_on_step", interrupt_at_300)
        with pytest.raises(KeyboardInterrupt):
            train(args)
    folder = tmp_path / "logs" / "sac" / "wmoe-MultiBSReception-v0_1"
    assert latest_checkpoint(folder) == 300
    assert (folder / "rl_model_replay_buffer_300_steps.pkl").is_file()
    interrupted = SAC.load(folder / "rl_model_300_steps.zip")
    assert interrupted.num_timesteps == 300

    args.resume = True
    train(args)
    final = SAC.load(folder / "wmoe-MultiBSReception-v0.zip")
    # SB3 stops at its collection granularity: train_freq (4 in sac.yml) x n_envs steps.
    assert 400 <= final.num_timesteps < 400 + 4 * 2
    assert (folder / "log" / "resume_300" / "progress.csv").is_file()


def test_resume_needs_a_checkpoint(tmp_path: Path, reception_config: dict[str, Any]) -> None:
    train(_args(tmp_path, reception_config, n_timesteps=128, save_freq=-1, eval_freq=-1))
    with pytest.raises(FileNotFoundError, match="no checkpoint to resume from"):
        train(_args(tmp_path, reception_config, resume=True))
    model = PPO.load(
        tmp_path / "logs" / "ppo" / "wmoe-MultiBSReception-v0_1" / ("wmoe-MultiBSReception-v0.zip")
    )
    assert model.num_timesteps == 128


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"algo": "ppo2"}, ValueError, r"unknown algorithm 'ppo2'; valid: a2c, ppo, ppo_mask"),
        ({"env": "wmoe/Nope-v0"}, ValueError, r"unknown environment .*wmoe/MultiBSReception-v0"),
        ({"policy": "moe-top3"}, ValueError, r"unknown network preset 'moe-top3'; valid: mlp"),
        (
            {"hyperparams": {"n_stepz": 3}},
            ValueError,
            r"unknown hyperparameter\(s\) \['n_stepz'\] for ppo; valid: .*n_steps",
        ),
        (
            {"algo": "dqn", "action_type": "multi_discrete"},
            ValueError,
            r"dqn needs a Discrete action space; .* has MultiDiscrete.*config.action_type",
        ),
        ({"resume": True}, FileNotFoundError, r"no ppo run on wmoe/MultiBSReception-v0"),
    ],
)
def test_bad_input_names_the_valid_choices(
    tmp_path: Path,
    reception_config: dict[str, Any],
    overrides: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    overrides = dict(overrides)
    config = {**reception_config, "action_type": overrides.pop("action_type", "discrete")}
    with pytest.raises(error, match=match):
        train(_args(tmp_path, config, **overrides))

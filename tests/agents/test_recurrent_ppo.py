"""sb3-contrib's RecurrentPPO in the registry: learning, save/load, LSTM state in evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from sb3_contrib import RecurrentPPO

from wmoe.agents.evaluate import AgentPolicy, agent_policy, evaluate_run, run_episodes
from wmoe.agents.registry import get_algorithm
from wmoe.agents.train import TrainArgs, train
from wmoe.agents.vec_env import make_sb3_vec_env

ENV_ID = "wmoe/MultiAccess-v1"
CONFIG = {"episode_slots": 24, "history_slots": 8}
SMALL = {"n_steps": 32, "batch_size": 32, "n_epochs": 2}


class ActionLog(gym.Wrapper[Any, Any, Any, Any]):
    """Records every action taken in the wrapped env."""

    def __init__(self, env: gym.Env[Any, Any]) -> None:
        super().__init__(env)
        self.actions: list[Any] = []

    def step(self, action: Any) -> Any:
        """Record ``action`` and step."""
        self.actions.append(np.array(action))
        return super().step(action)


def _train(preset: str, seed: int = 1) -> RecurrentPPO:
    entry = get_algorithm("recurrent-ppo")
    venv = make_sb3_vec_env(ENV_ID, 2, seed=seed, env_kwargs={"config": CONFIG})
    policy_kwargs = {"network": preset, "lstm_hidden_size": 16}
    model = entry.algorithm(entry.policy, venv, policy_kwargs=policy_kwargs, seed=seed, **SMALL)
    assert isinstance(model, RecurrentPPO)
    return model.learn(128)


def _episode(policy: AgentPolicy, seed: int) -> tuple[list[Any], float]:
    env = ActionLog(gym.make(ENV_ID, config=CONFIG))
    try:
        returns, _ = run_episodes(env, policy, 1, seed)
    finally:
        env.close()
    return env.actions, float(returns[0])


@pytest.fixture(scope="module")
def model() -> RecurrentPPO:
    torch.set_num_threads(1)
    return _train("moe-top2")


def test_names_and_aliases_find_recurrent_ppo() -> None:
    assert get_algorithm("recurrent-ppo") is get_algorithm("recurrent_ppo")
    assert get_algorithm("Recurrent-PPO").algorithm is RecurrentPPO


@pytest.mark.parametrize("preset", ["mlp", "mmoe"])
def test_learn_save_load_gives_the_same_actions(preset: str, tmp_path: Path) -> None:
    model = _train(preset)
    assert model.num_timesteps >= 128
    model.save(tmp_path / "model.zip")
    loaded = RecurrentPPO.load(tmp_path / "model.zip", device="cpu")
    assert loaded.policy.network == model.policy.network
    for (key, a), (_, b) in zip(
        model.policy.state_dict().items(), loaded.policy.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), key
    actions, value = _episode(agent_policy(model, None), seed=7)
    loaded_actions, loaded_value = _episode(agent_policy(loaded, None), seed=7)
    np.testing.assert_array_equal(np.stack(actions), np.stack(loaded_actions))
    assert value == loaded_value


def test_the_moe_body_sits_after_the_lstm(model: RecurrentPPO) -> None:
    policy = model.policy
    assert policy.lstm_actor.hidden_size == 16
    router = next(m for m in policy.mlp_extractor.modules() if isinstance(m, torch.nn.Linear))
    assert router.in_features == 16  # the first layer after the LSTM takes its output


def test_evaluation_carries_the_lstm_state_and_resets_it_per_episode(
    model: RecurrentPPO,
) -> None:
    policy = agent_policy(model, None)
    first_actions, first_return = _episode(policy, seed=3)
    assert policy.state is not None and np.any(policy.state[0] != 0)  # carried across steps
    second_actions, second_return = _episode(policy, seed=3)  # same policy object, reset
    assert len(first_actions) == CONFIG["episode_slots"]
    np.testing.assert_array_equal(np.stack(first_actions), np.stack(second_actions))
    assert first_return == second_return


def test_wmoe_train_and_evaluate_run_recurrent_ppo(tmp_path: Path) -> None:
    args = TrainArgs(
        algo="recurrent-ppo",
        env=ENV_ID,
        log_folder=tmp_path,
        policy="moe-top1",
        n_timesteps=64,
        env_kwargs={"config": {"episode_slots": 24}},
        hyperparams={"n_envs": 2, **SMALL, "policy_kwargs": {"lstm_hidden_size": 16}},
        eval_freq=-1,
        save_freq=-1,
        verbose=0,
    )
    folder = train(args)
    assert folder.name == "wmoe-MultiAccess-v1_1"
    first = evaluate_run("recurrent_ppo", ENV_ID, tmp_path, n_episodes=2, seed=5)
    again = evaluate_run("recurrent_ppo", ENV_ID, tmp_path, n_episodes=2, seed=5)
    np.testing.assert_array_equal(first.returns["agent"], again.returns["agent"])
    assert first.episode_length == 24


def test_a_bad_preset_names_the_valid_ones() -> None:
    entry = get_algorithm("recurrent_ppo")
    venv = make_sb3_vec_env(ENV_ID, 1, seed=0, env_kwargs={"config": CONFIG})
    with pytest.raises(ValueError, match="unknown network preset 'nope'; valid: mlp, "):
        entry.algorithm(entry.policy, venv, policy_kwargs={"network": "nope"})
    with pytest.raises(ValueError, match="multi-gate"):
        entry.algorithm(entry.policy, venv, policy_kwargs={"network": "mmoe", "moe_in": "actor"})

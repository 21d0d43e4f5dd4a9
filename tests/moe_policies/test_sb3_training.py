"""Every algorithm x policy preset trains on MultiBSReception-v0, round-trips, and is seeded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.base_class import BaseAlgorithm

from wmoe.agents.registry import ALGORITHMS, get_algorithm
from wmoe.agents.vec_env import make_sb3_vec_env

ENV_ID = "wmoe/MultiBSReception-v0"
PRESETS = ["mlp", "moe-top1", "moe-top2", "moe-soft", "moe-random", "mlp-matched-soft"]
OFF_POLICY = {"learning_starts": 64, "batch_size": 32, "train_freq": 4}
# Discrete algorithms pick the BS set only (816 actions) and the env applies the expert
# precoder; MaskablePPO picks set and precoder as a masked multi-discrete action.
DISCRETE = {"action_type": "discrete", "precoder_selection": "expert"}
SETTINGS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "ppo": (DISCRETE, {"n_steps": 64, "batch_size": 64}),
    "a2c": (DISCRETE, {"n_steps": 16}),
    "ppo_mask": ({"action_type": "multi_discrete"}, {"n_steps": 64, "batch_size": 64}),
    "sac": ({"action_type": "continuous"}, OFF_POLICY),
    "td3": ({"action_type": "continuous"}, OFF_POLICY),
    "dqn": (DISCRETE, OFF_POLICY),
    "qrdqn": (DISCRETE, OFF_POLICY),
    "diffusion_sac": ({"action_type": "continuous"}, OFF_POLICY),
    # BS scores pick the set, codeword scores the precoder (the env's continuous form).
    "two_part": ({"action_type": "continuous"}, OFF_POLICY),
    "recurrent_ppo": (DISCRETE, {"n_steps": 64, "batch_size": 64}),
}
STEPS = 256


def _train(name: str, preset: str, config: dict[str, Any], seed: int) -> BaseAlgorithm:
    entry = get_algorithm(name)
    actions, kwargs = SETTINGS[name]
    env_config = {**config, **actions, "episode_length": 16}
    env = make_sb3_vec_env(ENV_ID, 4, seed=seed, env_kwargs={"config": env_config})
    policy_kwargs: dict[str, Any] = {"network": preset}
    if name == "qrdqn":
        policy_kwargs["n_quantiles"] = 8
    model = entry.algorithm(entry.policy, env, policy_kwargs=policy_kwargs, seed=seed, **kwargs)
    return model.learn(STEPS)


def _observations(model: BaseAlgorithm) -> np.ndarray:
    space = model.observation_space
    space.seed(123)
    return np.stack([space.sample() for _ in range(32)])


def _actions(model: BaseAlgorithm, obs: np.ndarray) -> np.ndarray:
    if isinstance(model, MaskablePPO):
        masks = np.stack(model.get_env().env_method("action_masks"))  # type: ignore[union-attr]
        masks = np.repeat(masks[:1], len(obs), axis=0)
        return model.predict(obs, deterministic=True, action_masks=masks)[0]
    return model.predict(obs, deterministic=True)[0]


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("name", ALGORITHMS)
def test_learn_save_load_and_seeding(
    name: str, preset: str, reception_config: dict[str, Any], tmp_path: Path
) -> None:
    model = _train(name, preset, reception_config, seed=3)
    assert model.num_timesteps >= STEPS
    obs = _observations(model)
    actions = _actions(model, obs)

    model.save(tmp_path / "model.zip")
    loaded = type(model).load(tmp_path / "model.zip", env=model.get_env())
    assert loaded.policy.network == model.policy.network
    np.testing.assert_array_equal(_actions(loaded, obs), actions)
    for (key, a), (_, b) in zip(
        model.policy.state_dict().items(), loaded.policy.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), key

    again = _train(name, preset, reception_config, seed=3)
    for a, b in zip(model.policy.parameters(), again.policy.parameters(), strict=True):
        assert torch.equal(a, b)
    np.testing.assert_array_equal(_actions(again, obs), actions)

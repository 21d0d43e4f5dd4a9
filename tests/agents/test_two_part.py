"""TwoPart: learns and round-trips, deterministic acting, Plackett-Luce picks, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

from wmoe.agents.evaluate import agent_policy, baseline_policies
from wmoe.agents.hyperparams import load_defaults, merge_hyperparameters
from wmoe.agents.reception_diagnostics import decision_diagnostics
from wmoe.agents.registry import get_algorithm
from wmoe.agents.train import make_training_env, new_model
from wmoe.agents.two_part import TwoPart
from wmoe.agents.two_part.plackett_luce import multi_hot, ordered_log_prob, sample_orders
from wmoe.agents.vec_env import make_sb3_vec_env
from wmoe.moe_policies.presets import resolve_network
from wmoe.moe_policies.sb3_policies import routed_layers

ENV_ID = "wmoe/MultiBSReception-v0"


def _env(config: dict[str, Any], seed: int, **overrides: Any) -> Any:
    env_config = {**config, "action_type": "continuous", "episode_length": 16, **overrides}
    return make_sb3_vec_env(ENV_ID, 2, seed=seed, env_kwargs={"config": env_config})


def _model(config: dict[str, Any], seed: int, **kwargs: Any) -> TwoPart:
    settings: dict[str, Any] = {"learning_starts": 32, "batch_size": 32, "train_freq": 4}
    settings.update(kwargs)
    return TwoPart("MlpPolicy", _env(config, seed), seed=seed, **settings)


def _observations(model: TwoPart) -> np.ndarray:
    space = model.observation_space
    space.seed(5)
    return np.stack([space.sample() for _ in range(16)])


def test_learn_save_load_and_seeding(reception_config: dict[str, Any], tmp_path: Path) -> None:
    policy_kwargs = {"network": "moe-top2"}
    model = _model(reception_config, seed=1, policy_kwargs=policy_kwargs).learn(160)
    logged = model.logger.name_to_value
    for key in ("critic_loss", "set_loss", "precoder_loss", "set_entropy"):
        assert np.isfinite(logged[f"train/{key}"]), key
    assert routed_layers(model.policy.precoder)  # the MoE denoiser
    obs = _observations(model)
    actions = model.predict(obs, deterministic=True)[0]
    assert actions.shape == (16, 18 + model.policy.num_codewords)
    assert np.all((actions == 1.0) | (actions == -1.0))
    assert np.all((actions[:, :18] > 0).sum(axis=1) == 3)
    assert np.all((actions[:, 18:] > 0).sum(axis=1) == 1)
    np.testing.assert_array_equal(model.predict(obs, deterministic=True)[0], actions)

    model.save(tmp_path / "model.zip")
    loaded = TwoPart.load(tmp_path / "model.zip", env=model.get_env())
    assert loaded.policy.network == resolve_network("moe-top2")
    np.testing.assert_array_equal(loaded.predict(obs, deterministic=True)[0], actions)
    for (key, a), (_, b) in zip(
        model.policy.state_dict().items(), loaded.policy.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), key
    loaded.learn(64, reset_num_timesteps=False)  # the optimisers came back too
    no_env = TwoPart.load(tmp_path / "model.zip")
    np.testing.assert_array_equal(no_env.predict(obs, deterministic=True)[0], actions)

    again = _model(reception_config, seed=1, policy_kwargs=policy_kwargs).learn(160)
    np.testing.assert_array_equal(again.predict(obs, deterministic=True)[0], actions)


def test_registered_for_wmoe_train() -> None:
    entry = get_algorithm("two-part")
    assert entry.algorithm is TwoPart


def test_teacher_labels_add_the_privileged_term(reception_config: dict[str, Any]) -> None:
    model = _model(reception_config, seed=0, teacher_labels=8).learn(96)
    assert model.teacher_sets is not None and model.teacher_sets.shape == (8, 3)
    assert np.isfinite(model.logger.name_to_value["train/teacher_loss"])
    plain = _model(reception_config, seed=0).learn(96)
    assert "train/teacher_loss" not in plain.logger.name_to_value


def test_plackett_luce_picks_follow_the_scores() -> None:
    scores = torch.tensor([[3.0, 0.0, 1.0, -2.0]])
    orders = sample_orders(scores.expand(4000, -1), 2, torch.Generator().manual_seed(0))
    assert torch.all(orders[:, 0] != orders[:, 1])
    first = torch.bincount(orders[:, 0], minlength=4).float() / len(orders)
    torch.testing.assert_close(first, scores.softmax(-1)[0], atol=0.02, rtol=0)
    # P(0 then 2) = p0 * p2 / (1 - p0); summed over all ordered pairs the probabilities are 1.
    pairs = torch.tensor([[i, j] for i in range(4) for j in range(4) if i != j])
    log_p = ordered_log_prob(scores.expand(len(pairs), -1), pairs)
    torch.testing.assert_close(log_p.exp().sum(), torch.tensor(1.0))
    p = scores.softmax(-1)[0]
    torch.testing.assert_close(log_p[1].exp(), p[0] * p[2] / (1 - p[0]))
    assert multi_hot(torch.tensor([[2, 0]]), 4).tolist() == [[1.0, 0.0, 1.0, 0.0]]


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"action_type": "discrete"}, "action_type='continuous'"),
        ({"precoder_selection": "expert"}, "precoder_selection='agent'"),
    ],
)
def test_an_env_it_cannot_act_in_raises(
    reception_config: dict[str, Any], overrides: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        TwoPart("MlpPolicy", _env(reception_config, 0, **overrides))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"set_samples": 1}, "set_samples"),
        ({"ent_coef": -1.0}, "ent_coef"),
        ({"set_reward": "oracle"}, "set_reward"),
        ({"teacher_labels": -1}, "teacher_labels"),
        (
            {"policy_kwargs": {"set_activation": "gelu"}},
            r"set_activation must be one of \['mish', 'relu', 'silu'\]",
        ),
    ],
)
def test_bad_settings_raise(
    reception_config: dict[str, Any], kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        TwoPart("MlpPolicy", _env(reception_config, 0), **kwargs)


@pytest.mark.slow
def test_learns_the_small_scenario_above_strongest_n_within_1e4_steps(
    reception_config: dict[str, Any],
) -> None:
    """The packaged hyperparameters at 1e4 steps, deterministic actions on episodes 1000+.

    Measured (seed 0): 98.7 % of the oracle's rate against strongest-N's 93.6 % on the same
    episodes (random: 34 %); 72 distinct sets, the expert codeword on 98.3 % of steps (98.4 %
    and 96.6 % with Mish in the set part). Without the Fourier features of the position:
    91.0 %, the expert codeword on 16 % of steps.
    """
    entry = get_algorithm("two_part")
    defaults, _ = load_defaults(entry, ENV_ID)
    hyperparameters = merge_hyperparameters(
        entry, defaults, {"env_kwargs": {"config": reception_config}}
    )
    venv = make_training_env(ENV_ID, hyperparameters, int(hyperparameters["n_envs"]), seed=0)
    model = new_model(entry, venv, hyperparameters, seed=0).learn(10_000)
    env = gym.make(ENV_ID, **hyperparameters["env_kwargs"])
    diagnostics = decision_diagnostics(env, agent_policy(model, None), 10, seed=1000)
    strongest_n = baseline_policies(ENV_ID, seed=0)["strongest_n"]
    reference = decision_diagnostics(env, strongest_n, 10, seed=1000)
    assert diagnostics.oracle_rate_share > reference.oracle_rate_share + 0.02
    assert diagnostics.expert_codeword_share >= 0.8
    assert diagnostics.distinct_sets >= 10

"""``wmoe/ChannelAwareClassification-v0``: API checks, seeding, vectorisation, baselines."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from vector_checks import assert_infos_equal

import wmoe  # noqa: F401
from wmoe.config import ConfigError
from wmoe.envs.action_checks import InvalidActionError
from wmoe.envs.channel_aware_classification.baselines import BASELINES, baseline_action
from wmoe.envs.channel_aware_classification.vector import ChannelAwareClassificationVectorEnv

ENV_ID = "wmoe/ChannelAwareClassification-v0"


def _make(**config: Any) -> gym.Env[Any, Any]:
    return gym.make(ENV_ID, config=config)


@pytest.mark.parametrize("action_type", ["discrete", "continuous"])
@pytest.mark.filterwarnings("ignore:.*Box observation space (minimum|maximum)")
def test_gymnasium_and_sb3_checks(action_type: str) -> None:
    env = _make(action_type=action_type)
    check_env(env.unwrapped)
    sb3_check_env(env.unwrapped)
    observation, _ = env.reset(seed=0)
    core = env.unwrapped.core  # type: ignore[attr-defined]
    assert observation.shape == (core.feature_dim + core.num_experts,)


def test_observation_holds_the_feature_and_each_link_distortion() -> None:
    env = _make(observe_snr_db=True)
    observation, _ = env.reset(seed=3)
    core = env.unwrapped.core  # type: ignore[attr-defined]
    d, k = core.feature_dim, core.num_experts
    rms = float(core.model.feature_rms)
    np.testing.assert_allclose(observation[:d], core.features[core.sample[0]].numpy() / rms)
    np.testing.assert_allclose(observation[d : d + k], np.log1p(core.sigma[0].numpy() / rms))
    instantaneous_db = core.snr_db[0] + 20 * np.log10(core.amplitude[0])
    np.testing.assert_allclose(observation[d + k :], instantaneous_db / 50, rtol=1e-6)


@pytest.mark.parametrize("reward", ["accuracy", "log_likelihood"])
def test_reward_is_the_chosen_experts_result(reward: str) -> None:
    env = _make(reward=reward)
    env.reset(seed=1)
    for expert in range(8):
        _, value, terminated, _, info = env.step(expert)
        assert not terminated and info["expert"] == expert
        assert info["correct"] == info["expert_correct"][expert]
        if reward == "accuracy":
            assert value == float(info["correct"])
        else:
            assert value <= 0.0 and (value > np.log(0.5)) <= info["correct"]


def test_seeded_runs_repeat_and_episodes_truncate() -> None:
    runs = []
    for _ in range(2):
        env = _make(episode_length=4)
        observation, _ = env.reset(seed=7)
        trace = [observation]
        for step in range(4):
            observation, reward, _, truncated, _ = env.step(step % 8)
            trace += [observation, np.array([reward])]
            assert truncated == (step == 3)
        runs.append(np.concatenate(trace))
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("action_type", ["discrete", "continuous"])
def test_native_vector_equals_sync(mode: AutoresetMode, action_type: str) -> None:
    config = {"action_type": action_type, "episode_length": 3, "reward": "log_likelihood"}
    native = gym.make_vec(ENV_ID, num_envs=3, config=config, autoreset_mode=mode)
    assert isinstance(native, ChannelAwareClassificationVectorEnv)
    sync = SyncVectorEnv([lambda: _make(**config) for _ in range(3)], autoreset_mode=mode)
    assert native.action_space == sync.action_space
    np.testing.assert_allclose(native.reset(seed=5)[0], sync.reset(seed=5)[0], rtol=1e-6)
    native.action_space.seed(2)
    for _ in range(8):
        actions = native.action_space.sample()
        ours, theirs = native.step(actions), sync.step(actions)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(ours[2], theirs[2])
        np.testing.assert_array_equal(ours[3], theirs[3])
        for info in (ours[4], theirs[4]):
            info.pop("final_info", None), info.pop("final_obs", None)
        assert_infos_equal(ours[4], theirs[4])


def test_digital_links_deliver_quantised_features_and_match_sync() -> None:
    config = {"link": "digital", "episode_length": 2}
    native = gym.make_vec(ENV_ID, num_envs=2, config=config)
    sync = SyncVectorEnv([lambda: _make(**config) for _ in range(2)])
    np.testing.assert_allclose(native.reset(seed=9)[0], sync.reset(seed=9)[0], rtol=1e-6)
    for step in range(3):
        actions = np.array([step, 7 - step])
        ours, theirs = native.step(actions), sync.step(actions)
        np.testing.assert_array_equal(ours[1], theirs[1])
        assert_infos_equal(ours[4], theirs[4])
    core = native.unwrapped.core  # type: ignore[attr-defined]
    low, high = core.model.quantizer_range
    levels = (core.delivered - low) * 255 / (high - low)
    torch_round = levels.round()
    assert (levels - torch_round).abs().max() < 1e-3  # every entry is a quantiser level


def test_baselines_rank_as_the_paper_expects_on_test_samples() -> None:
    env = _make(split="test")
    means = {}
    for name in BASELINES:
        env.reset(seed=11)
        rng = np.random.default_rng(0)
        rewards = [env.step(baseline_action(name, env.unwrapped, rng))[1] for _ in range(600)]
        means[name] = float(np.mean(rewards))
    assert means["oracle"] > means["channel_aware_gate"] > means["naive_gate"] + 0.05
    assert means["naive_gate"] > means["random"]
    assert means["best_link"] > means["random"]


def test_continuous_baseline_action_selects_the_same_expert() -> None:
    discrete, continuous = _make(), _make(action_type="continuous")
    discrete.reset(seed=4)
    continuous.reset(seed=4)
    scores = baseline_action("channel_aware_gate", continuous.unwrapped)
    assert int(np.argmax(scores)) == baseline_action("channel_aware_gate", discrete.unwrapped)


@pytest.mark.parametrize(
    ("action_type", "action", "match"),
    [
        ("discrete", 8, r"out of range; expected an integer in \[0, 7\]"),
        ("discrete", 1.5, "not integer-valued"),
        ("continuous", np.full(8, np.nan), "NaN or infinity"),
        ("continuous", np.zeros(3), r"shape \(1, 3\).*expected \(1, 8\)"),
        ("continuous", np.full(8, 2.0), r"leaves \[-1, 1\]"),
    ],
)
def test_bad_actions_raise(action_type: str, action: Any, match: str) -> None:
    env = _make(action_type=action_type)
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=match):
        env.step(action)


def test_bad_config_raises() -> None:
    with pytest.raises(ConfigError, match="unknown config key 'snr'"):
        _make(snr=3)
    with pytest.raises(ConfigError, match=r"config\['split'\]='dev' is invalid: .*'train'"):
        _make(split="dev")
    with pytest.raises(ValueError, match="unknown baseline 'best'"):
        baseline_action("best", _make().unwrapped)

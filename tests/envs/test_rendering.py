"""``render_mode="rgb_array"`` of every env and native vector env: frames, determinism, errors."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import wmoe  # noqa: F401
from wmoe.envs.rendering import FRAME_SIZE_PX

ENV_IDS = [
    "wmoe/MultiBSReception-v0",
    "wmoe/SatelliteBeamforming-v0",
    "wmoe/MultiAccess-v0",
    "wmoe/ExpertRouting-v0",
    "wmoe/ChannelAwareClassification-v0",
]
FRAME_SHAPE = (FRAME_SIZE_PX[1], FRAME_SIZE_PX[0], 3)
STEPS = 3


@pytest.fixture
def configs(reception_config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Config overrides per env id: the reception env on the small scenario, oracle drawn."""
    return {"wmoe/MultiBSReception-v0": {**reception_config, "info_oracle": True}}


def rendered_episode(env_id: str, config: dict[str, Any], seed: int) -> list[np.ndarray]:
    """Frames after reset and after each of ``STEPS`` seeded random actions."""
    env = gym.make(env_id, config=config, render_mode="rgb_array")
    env.action_space.seed(seed)
    env.reset(seed=seed)
    frames = [env.render()]
    for _ in range(STEPS):
        env.step(env.action_space.sample())
        frames.append(env.render())
    env.close()
    return frames


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_frames_are_rgb_change_with_state_and_repeat_with_seed(env_id, configs):
    config = configs.get(env_id, {})
    frames = rendered_episode(env_id, config, seed=3)
    for frame in frames:
        assert frame.shape == FRAME_SHAPE and frame.dtype == np.uint8
    assert all(not np.array_equal(frames[0], frame) for frame in frames[1:])
    assert not np.array_equal(frames[1], frames[2])
    again = rendered_episode(env_id, config, seed=3)
    for frame, repeated in zip(frames, again, strict=True):
        np.testing.assert_array_equal(frame, repeated)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_vector_env_renders_one_frame_per_sub_env_equal_to_single_envs(env_id, configs):
    config = configs.get(env_id, {})
    vector = gym.make_vec(env_id, num_envs=2, config=config, render_mode="rgb_array")
    singles = [gym.make(env_id, config=config, render_mode="rgb_array") for _ in range(2)]
    vector.reset(seed=[5, 9])
    for single, seed in zip(singles, (5, 9), strict=True):
        single.reset(seed=seed)
    vector.action_space.seed(0)
    for _ in range(2):
        actions = vector.action_space.sample()
        vector.step(actions)
        for i, single in enumerate(singles):
            single.step(actions[i])
        frames = vector.render()
        assert isinstance(frames, tuple) and len(frames) == 2
        for frame, single in zip(frames, singles, strict=True):
            assert frame.shape == FRAME_SHAPE and frame.dtype == np.uint8
            np.testing.assert_array_equal(frame, single.render())
    assert not np.array_equal(*frames)
    assert vector.metadata["render_fps"] > 0
    vector.close()


def test_reset_forgets_the_last_step(reception_config):
    env = gym.make("wmoe/MultiBSReception-v0", config=reception_config, render_mode="rgb_array")
    env.reset(seed=1)
    first = env.render()
    env.step(env.action_space.sample())
    env.reset(seed=1)
    np.testing.assert_array_equal(env.render(), first)


def test_gymnasium_render_checks_pass(reception_config):
    env = gym.make("wmoe/MultiBSReception-v0", config=reception_config, render_mode="rgb_array")
    check_env(env.unwrapped)
    assert "rgb_array" in env.metadata["render_modes"]


def test_no_render_mode_renders_nothing(reception_config):
    env = gym.make("wmoe/MultiBSReception-v0", config=reception_config)
    env.reset(seed=0)
    assert env.render() is None
    vector = gym.make_vec("wmoe/MultiAccess-v0", num_envs=2)
    vector.reset(seed=0)
    assert vector.render() is None


@pytest.mark.filterwarnings("ignore:.*render_mode")
def test_unsupported_render_mode_names_it_and_the_supported_ones(reception_config):
    with pytest.raises(ValueError, match=r"render_mode='ansi'.*'rgb_array'"):
        gym.make("wmoe/MultiBSReception-v0", config=reception_config, render_mode="ansi")
    with pytest.raises(ValueError, match=r"render_mode='ansi'.*'rgb_array'"):
        gym.make_vec("wmoe/MultiAccess-v0", num_envs=2, render_mode="ansi")

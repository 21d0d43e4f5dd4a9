"""The native batched reception env equals ``SyncVectorEnv`` over the single env."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from vector_checks import assert_infos_equal

import wmoe  # noqa: F401
from wmoe.envs.multi_bs_reception.vector import MultiBSReceptionVectorEnv

ENV_ID = "wmoe/MultiBSReception-v0"


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("action_type", ["discrete", "multi_discrete", "continuous"])
def test_native_equals_sync(reception_config, mode, action_type):
    config = {
        **reception_config,
        "action_type": action_type,
        "episode_length": 3,
        "info_oracle": action_type == "discrete",
    }
    native = gym.make_vec(ENV_ID, num_envs=4, config=config, autoreset_mode=mode)
    assert isinstance(native, MultiBSReceptionVectorEnv)
    sync = SyncVectorEnv(
        [lambda: gym.make(ENV_ID, config=config) for _ in range(4)], autoreset_mode=mode
    )
    assert native.action_space == sync.action_space
    assert native.observation_space == sync.observation_space
    obs_native, info_native = native.reset(seed=11)
    obs_sync, info_sync = sync.reset(seed=11)
    np.testing.assert_array_equal(obs_native, obs_sync)
    assert_infos_equal(info_native, info_sync)
    native.action_space.seed(5)
    for _ in range(10):
        actions = native.action_space.sample()
        result_native = native.step(actions)
        result_sync = sync.step(actions)
        for a, b in zip(result_native[:4], result_sync[:4], strict=True):
            np.testing.assert_array_equal(a, b)
        assert_infos_equal(result_native[4], result_sync[4])
    if action_type != "continuous":
        expected = np.stack([env.unwrapped.action_masks() for env in sync.envs])
        np.testing.assert_array_equal(native.action_masks(), expected)


def test_reset_mask_and_seed_list(reception_config):
    config = {**reception_config, "episode_length": 2}
    native = gym.make_vec(ENV_ID, num_envs=3, config=config, autoreset_mode=AutoresetMode.SAME_STEP)
    sync = SyncVectorEnv(
        [lambda: gym.make(ENV_ID, config=config) for _ in range(3)],
        autoreset_mode=AutoresetMode.SAME_STEP,
    )
    seeds = [4, 5, 9]
    np.testing.assert_array_equal(native.reset(seed=seeds)[0], sync.reset(seed=seeds)[0])
    mask = np.array([False, True, False])
    np.testing.assert_array_equal(
        native.reset(options={"reset_mask": mask})[0],
        sync.reset(options={"reset_mask": mask})[0],
    )
    with pytest.raises(ValueError, match="2 seeds for num_envs=3"):
        native.reset(seed=[1, 2])


def test_vector_bad_action_raises(reception_config):
    native = gym.make_vec(ENV_ID, num_envs=2, config=reception_config)
    native.reset(seed=0)
    with pytest.raises(ValueError, match="out of range"):
        native.step(np.array([0, 10**9]))

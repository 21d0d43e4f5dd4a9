"""Comparison helpers for native vector envs against ``SyncVectorEnv``."""

from __future__ import annotations

from typing import Any

import numpy as np


def assert_infos_equal(native: dict[str, Any], sync: dict[str, Any]) -> None:
    """Vector infos equal key by key, ``_key`` masks, ``final_obs`` and ``final_info`` too."""
    assert set(native) == set(sync)
    for key, value in native.items():
        if key == "final_obs":
            for a, b in zip(value, sync[key], strict=True):
                assert (a is None and b is None) or np.array_equal(a, b)
        elif isinstance(value, dict):
            assert_infos_equal(value, sync[key])
        else:
            assert value.dtype == sync[key].dtype, key
            np.testing.assert_array_equal(value, sync[key], err_msg=key)


def assert_native_equals_sync(
    env_id: str, config: dict[str, Any], num_envs: int = 3, steps: int = 8, seed: int = 5
) -> dict[str, Any]:
    """A seeded rollout of random actions: native vector env == ``SyncVectorEnv``, step by step.

    Both use Gymnasium's same-step autoreset. Returns the native env's last infos.
    """
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode, SyncVectorEnv

    mode = AutoresetMode.SAME_STEP
    native = gym.make_vec(env_id, num_envs=num_envs, config=config, autoreset_mode=mode)
    sync = SyncVectorEnv(
        [lambda: gym.make(env_id, config=config) for _ in range(num_envs)], autoreset_mode=mode
    )
    np.testing.assert_array_equal(native.reset(seed=seed)[0], sync.reset(seed=seed)[0])
    native.action_space.seed(2)
    infos: dict[str, Any] = {}
    for _ in range(steps):
        actions = native.action_space.sample()
        result_native, result_sync = native.step(actions), sync.step(actions)
        for a, b in zip(result_native[:4], result_sync[:4], strict=True):
            np.testing.assert_array_equal(a, b)
        assert_infos_equal(result_native[4], result_sync[4])
        infos = result_native[4]
    return infos

"""SB3 over Gymnasium vector envs: the adapter equals ``DummyVecEnv`` and trains."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.utils import get_action_masks, is_masking_supported
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecMonitor

import wmoe  # noqa: F401
from wmoe.agents.vec_env import GymnasiumVectorEnvAdapter, make_sb3_vec_env

ENV_ID = "wmoe/MultiBSReception-v0"
NUM_ENVS = 3


def assert_same(a: Any, b: Any, where: str = "") -> None:
    """Equal values of the same types (dict keys in the same order, arrays of one dtype)."""
    assert type(a) is type(b), (where, type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    else:
        assert a == b, where


def make_dummy(config: dict[str, Any]) -> DummyVecEnv:
    return DummyVecEnv([lambda: gym.make(ENV_ID, config=config) for _ in range(NUM_ENVS)])


def make_adapter(config: dict[str, Any], backend: str) -> VecEnv:
    if backend == "make_sb3_vec_env":
        venv = make_sb3_vec_env(ENV_ID, NUM_ENVS, seed=None, env_kwargs={"config": config})
        assert isinstance(venv, VecMonitor)
        assert isinstance(venv.venv, GymnasiumVectorEnvAdapter)
        return venv.venv
    if backend == "native":
        vector_env = gym.make_vec(
            ENV_ID, num_envs=NUM_ENVS, config=config, autoreset_mode=AutoresetMode.SAME_STEP
        )
    else:
        vector_env = SyncVectorEnv(
            [lambda: gym.make(ENV_ID, config=config) for _ in range(NUM_ENVS)],
            autoreset_mode=AutoresetMode.SAME_STEP,
        )
    return GymnasiumVectorEnvAdapter(vector_env)


def sample_actions(venv: VecEnv, steps: int, seed: int) -> list[np.ndarray]:
    space = venv.action_space
    space.seed(seed)
    return [np.array([space.sample() for _ in range(venv.num_envs)]) for _ in range(steps)]


@pytest.mark.parametrize("backend", ["native", "sync", "make_sb3_vec_env"])
@pytest.mark.parametrize("action_type", ["discrete", "multi_discrete"])
def test_adapter_equals_dummy_vec_env(reception_config, action_type, backend):
    config = {
        **reception_config,
        "action_type": action_type,
        "episode_length": 3,
        "info_oracle": action_type == "discrete" and backend == "native",
    }
    adapter, dummy = make_adapter(config, backend), make_dummy(config)
    assert adapter.observation_space == dummy.observation_space
    assert adapter.action_space == dummy.action_space
    assert adapter.seed(11) == dummy.seed(11) == [11, 12, 13]
    assert_same(adapter.reset(), dummy.reset(), "reset obs")
    assert_same(adapter.reset_infos, dummy.reset_infos, "reset infos")
    episode_ends = 0
    for step, actions in enumerate(sample_actions(adapter, steps=8, seed=5)):
        got, expected = adapter.step(actions), dummy.step(actions)
        for part, name in zip(range(3), ("obs", "rewards", "dones"), strict=True):
            assert_same(got[part], expected[part], f"step {step} {name}")
        assert_same(got[3], expected[3], f"step {step} infos")
        assert_same(adapter.reset_infos, dummy.reset_infos, f"step {step} reset infos")
        assert_same(adapter.env_method("action_masks"), dummy.env_method("action_masks"))
        episode_ends += int(got[2].sum())
        for info, done in zip(got[3], got[2], strict=True):
            assert ("terminal_observation" in info) == done
            assert info["TimeLimit.truncated"] == done  # the env only truncates
    assert episode_ends == 2 * NUM_ENVS  # steps 3 and 6 end every sub-env's episode
    adapter.close()


def test_action_masks_and_attributes(reception_config):
    config = {**reception_config, "action_type": "multi_discrete", "episode_length": 4}
    adapter, dummy = make_adapter(config, "native"), make_dummy(config)
    adapter.seed(2)
    dummy.seed(2)
    adapter.reset()
    dummy.reset()
    for actions in [None, *sample_actions(adapter, steps=5, seed=0)]:
        if actions is not None:
            adapter.step(actions)
            dummy.step(actions)
        assert is_masking_supported(adapter)
        masks = get_action_masks(adapter)  # what MaskablePPO does: np.stack(env_method(...))
        assert masks.shape == (NUM_ENVS, sum(adapter.action_space.nvec))
        np.testing.assert_array_equal(masks, get_action_masks(dummy))
        subset = adapter.env_method("action_masks", indices=[2, 0])
        np.testing.assert_array_equal(np.stack(subset), masks[[2, 0]])
        np.testing.assert_array_equal(adapter.env_method("action_masks", indices=1)[0], masks[1])
    assert not adapter.has_attr("no_such_attribute")
    with pytest.raises(AttributeError, match="no_such_attribute"):
        adapter.get_attr("no_such_attribute")
    assert adapter.get_attr("observation_space") == dummy.get_attr("observation_space")
    assert adapter.get_attr("action_space", indices=[1]) == [dummy.action_space]
    assert [c["episode_length"] for c in adapter.get_attr("config")] == [4] * NUM_ENVS
    assert adapter.get_attr("render_mode") == [None] * NUM_ENVS
    assert adapter.env_is_wrapped(gym.Wrapper) == [False] * NUM_ENVS
    with pytest.raises(ValueError, match="shared by all sub-envs"):
        adapter.set_attr("config", {}, indices=[0])
    adapter.set_attr("marker", 7)
    assert adapter.get_attr("marker", indices=[0, 2]) == [7, 7]
    with pytest.raises(NotImplementedError, match="does not render"):
        adapter.render()


def test_sync_vector_env_attributes_are_the_sub_envs(reception_config):
    adapter = make_adapter(reception_config, "sync")
    adapter.set_attr("marker", 3, indices=[1])
    assert adapter.get_attr("marker", indices=[1]) == [3]
    assert not adapter.has_attr("marker")  # only sub-env 1 has it
    assert adapter.env_is_wrapped(gym.wrappers.OrderEnforcing) == [True] * NUM_ENVS


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.DISABLED])
def test_other_autoreset_modes_raise(reception_config, mode):
    vector_env = gym.make_vec(ENV_ID, num_envs=2, config=reception_config, autoreset_mode=mode)
    with pytest.raises(ValueError, match=r"needs AutoresetMode\.SAME_STEP.*terminal_observation"):
        GymnasiumVectorEnvAdapter(vector_env)
    with pytest.raises(TypeError, match="VectorEnv"):
        GymnasiumVectorEnvAdapter(gym.make(ENV_ID, config=reception_config))


# CartPole-v1's vector entry point has no autoreset_mode; MountainCar-v0 has none at all.
@pytest.mark.parametrize("env_id", ["CartPole-v1", "MountainCar-v0"])
def test_make_sb3_vec_env_falls_back_to_dummy_vec_env(env_id):
    venv = make_sb3_vec_env(env_id, 2, seed=0, monitor=False)
    assert isinstance(venv, DummyVecEnv)
    assert venv.get_attr("render_mode") == [None, None]
    with pytest.raises(ValueError, match="render_mode"):
        make_sb3_vec_env("CartPole-v1", 2, env_kwargs={"render_mode": "rgb_array"})


@pytest.mark.parametrize("algo", ["ppo", "maskable_ppo"])
def test_sb3_learns_on_adapter(reception_config, algo):
    config = {**reception_config, "episode_length": 8}
    venv = make_sb3_vec_env(ENV_ID, 4, seed=0, env_kwargs={"config": config})
    cls = MaskablePPO if algo == "maskable_ppo" else PPO
    model = cls(
        "MlpPolicy",
        venv,
        n_steps=16,
        batch_size=32,
        n_epochs=1,
        policy_kwargs={"net_arch": [16]},
        device="cpu",
        seed=0,
    )
    model.learn(total_timesteps=128)
    assert model.num_timesteps == 128
    assert len(model.ep_info_buffer) == 128 // 8  # VecMonitor saw every episode end
    obs = venv.reset()
    actions, _ = model.predict(obs, deterministic=True)
    assert actions.shape == (4,)
    venv.close()


def rollout(venv: VecEnv, seed: int | None, steps: int = 7) -> list[Any]:
    if seed is not None:
        venv.seed(seed)
    out: list[Any] = [venv.reset()]
    for actions in sample_actions(venv, steps, seed=1):
        obs, rewards, dones, infos = venv.step(actions)
        out += [obs, rewards, dones, [info.get("terminal_observation") for info in infos]]
    return out


def same_rollouts(a: list[Any], b: list[Any]) -> bool:
    return all(
        all(np.array_equal(x, y) for x, y in zip(u, v, strict=True))
        if isinstance(u, list)
        else np.array_equal(u, v)
        for u, v in zip(a, b, strict=True)
    )


def test_seed_semantics(reception_config):
    config = {**reception_config, "episode_length": 3}
    first, second, other = (make_adapter(config, "native") for _ in range(3))
    assert first.seed(21) == [21, 22, 23]
    run = rollout(first, seed=None)
    assert same_rollouts(run, rollout(second, seed=21))
    assert not same_rollouts(run, rollout(other, seed=22))
    # seeds are used once: a plain reset goes on from the current random state
    assert not np.array_equal(first.reset(), run[0])
    first.seed(21)
    np.testing.assert_array_equal(first.reset(), run[0])
    # reset seeds sub-env i with seed + i: each sub-env equals a single env reset with it
    singles = [gym.make(ENV_ID, config=config) for _ in range(NUM_ENVS)]
    expected = [env.reset(seed=21 + i)[0] for i, env in enumerate(singles)]
    np.testing.assert_array_equal(run[0], np.stack(expected))

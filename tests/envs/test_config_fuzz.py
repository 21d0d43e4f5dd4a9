"""Property-based checks of every env's config schema, actions, pickling and vectorisation.

Hypothesis draws configs from each env's schema (so a new key is fuzzed without a test
change): valid configs construct and step, invalid values raise ``ConfigError`` naming the
key, malformed actions raise ``InvalidActionError``, envs pickle, and the native vector env
equals ``SyncVectorEnv`` on random valid configs and seeds. The ``ci`` profile in
``conftest.py`` fixes the number of examples and derandomises the draws.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from config_strategies import invalid_values, malformed_actions, valid_config
from gymnasium.error import ResetNeeded
from gymnasium.vector import SyncVectorEnv
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import wmoe  # noqa: F401
from wmoe.config import ConfigError, ConfigSchema
from wmoe.envs.action_checks import InvalidActionError
from wmoe.envs.registration import ENV_TABLE, config_schema

# Keys that pick the trained classification system: drawing them would train new systems.
SYSTEM_KEYS = frozenset(
    {"dataset", "dataset_root", "backbone", "num_experts", "stage1_epochs", "stage2_epochs"}
    | {"training_seed", "cache_dir"}
)


@dataclass(frozen=True)
class FuzzSetup:
    """How to fuzz one env cheaply.

    Attributes:
        fixed: Keys held at the base value or default (data paths, trained systems).
        caps: Upper bounds on drawn values that keep the simulation small.
    """

    fixed: frozenset[str] = frozenset()
    caps: dict[str, float] = field(default_factory=dict)


RECEPTION_SETUP = FuzzSetup(
    fixed=frozenset(
        {"scenarios_dir", "scenario", "cache_dir", "bs_panel", "ue_antennas", "codebook"}
        | {"user_grids", "user_stride"}  # data-dependent, and each subset builds a cache
    ),
    caps={"num_cooperating_bs": 4, "num_interferers": 20, "trajectory_step_users": 50}
    | {"num_subbands": 4},  # each sub-band multiplies the cache and the step's work
)
SETUPS: dict[str, FuzzSetup] = {
    "wmoe/MultiBSReception-v0": RECEPTION_SETUP,
    "wmoe/MultiBSReception-v1": RECEPTION_SETUP,
    "wmoe/MultiBSReceptionRSRP-v1": RECEPTION_SETUP,
    "wmoe/MultiBSReceptionMobility-v1": RECEPTION_SETUP,
    "wmoe/MultiBSReceptionWideband-v1": RECEPTION_SETUP,
    "wmoe/ChannelAwareClassification-v0": FuzzSetup(fixed=SYSTEM_KEYS | {"link"}),
    "wmoe/ChannelAwareClassification-v1": FuzzSetup(fixed=SYSTEM_KEYS | {"link"}),
    "wmoe/ExpertRouting-v0": FuzzSetup(fixed=SYSTEM_KEYS),
    "wmoe/ExpertRouting-v1": FuzzSetup(fixed=SYSTEM_KEYS),
    "wmoe/SatelliteBeamforming-v0": FuzzSetup(
        caps={"num_users": 8, "num_subbands": 4, "num_geo_terminals": 4, "num_clusters": 4}
        | {"power_levels": 8, "episode_length": 64}
    ),
    "wmoe/SatelliteBeamforming-v1": FuzzSetup(
        caps={"num_users": 8, "num_subbands": 4, "num_geo_terminals": 4, "num_clusters": 4}
        | {"power_levels": 8, "episode_length": 64}
    ),
    "wmoe/MultiAccess-v0": FuzzSetup(
        fixed=frozenset({"num_agents"}),
        caps={"num_channels": 4, "history_slots": 40, "fairness_window_slots": 200},
    ),
    "wmoe/MultiAccess-v1": FuzzSetup(
        fixed=frozenset({"num_agents"}),
        caps={"num_channels": 4, "history_slots": 80, "fairness_window_slots": 200}
        | {"subslots_per_slot": 64},
    ),
}
ENV_IDS = [entry.env_id for entry in ENV_TABLE]


def test_every_env_has_a_fuzz_setup() -> None:
    assert set(SETUPS) == set(ENV_IDS)


@pytest.fixture(scope="module")
def bases(reception_config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Config overrides every example starts from (the small test scenario)."""
    return {env_id: dict(reception_config) if "Reception" in env_id else {} for env_id in ENV_IDS}


def _resolved(schema: type[ConfigSchema], config: dict[str, Any]) -> bool:
    try:
        schema.resolve(config)
    except ConfigError:
        return False
    return True


def _draw_valid(data: st.DataObject, env_id: str, base: dict[str, Any]) -> dict[str, Any]:
    schema, setup = config_schema(env_id), SETUPS[env_id]
    config = data.draw(valid_config(schema, base, setup.fixed, setup.caps), label="config")
    assume(_resolved(schema, config))  # cross-field rules
    return config


FUZZ = settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None
)


@pytest.mark.parametrize("env_id", ENV_IDS)
@FUZZ
@given(data=st.data())
def test_valid_configs_construct_and_step(
    env_id: str, bases: dict[str, dict[str, Any]], data: st.DataObject
) -> None:
    config = _draw_valid(data, env_id, bases[env_id])
    env = gym.make(env_id, config=config).unwrapped
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    observation, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    for _ in range(2):
        assert env.observation_space.contains(observation)
        observation, reward, *_ = env.step(env.action_space.sample())
        assert np.isfinite(reward)


@pytest.mark.parametrize("env_id", ENV_IDS)
@FUZZ
@given(data=st.data())
def test_invalid_values_raise_config_error_naming_the_key(
    env_id: str, bases: dict[str, dict[str, Any]], data: st.DataObject
) -> None:
    schema = config_schema(env_id)
    key = data.draw(st.sampled_from(list(schema.model_fields)), label="key")
    value = data.draw(invalid_values(schema.model_fields[key]), label="value")
    with pytest.raises(ConfigError, match=rf"config\['{key}'\]"):
        gym.make(env_id, config={**bases[env_id], key: value})


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_unknown_key_and_non_mapping_config_raise(
    env_id: str, bases: dict[str, dict[str, Any]]
) -> None:
    with pytest.raises(ConfigError, match="unknown config key 'no_such_key'; valid keys are: "):
        gym.make(env_id, config={**bases[env_id], "no_such_key": 1})
    with pytest.raises(ConfigError, match="expected a mapping of config keys"):
        gym.make(env_id, config=[("episode_length", 3)])


@pytest.mark.parametrize("env_id", ENV_IDS)
@FUZZ
@given(data=st.data())
def test_malformed_actions_raise_invalid_action_error(
    env_id: str, bases: dict[str, dict[str, Any]], data: st.DataObject
) -> None:
    config = _draw_valid(data, env_id, bases[env_id])
    env = gym.make(env_id, config=config).unwrapped
    env.reset(seed=0)
    action = data.draw(malformed_actions(env.action_space), label="action")
    with pytest.raises(InvalidActionError):
        env.step(action)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_step_before_reset_raises(env_id: str, bases: dict[str, dict[str, Any]]) -> None:
    env = gym.make(env_id, config=bases[env_id]).unwrapped
    with pytest.raises(ResetNeeded, match="before calling env.reset"):
        env.step(env.action_space.sample())
    vector = gym.make_vec(env_id, num_envs=2, config=bases[env_id])
    with pytest.raises(ResetNeeded, match="before calling env.reset"):
        vector.step(vector.action_space.sample())


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_vector_env_checks_the_batch_dimension(
    env_id: str, bases: dict[str, dict[str, Any]]
) -> None:
    vector = gym.make_vec(env_id, num_envs=4, config=bases[env_id])
    vector.reset(seed=0)
    single = vector.single_action_space
    five = np.stack([single.sample() for _ in range(5)])
    for actions in (five, five[:3], five[0]):
        with pytest.raises(InvalidActionError, match=r"for num_envs=4; expected shape"):
            vector.step(actions)
    vector.step(five[:4])


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_envs_pickle_and_continue_identically(
    env_id: str, bases: dict[str, dict[str, Any]]
) -> None:
    env = gym.make(env_id, config=bases[env_id]).unwrapped
    env.reset(seed=5)
    env.action_space.seed(5)
    actions = [env.action_space.sample() for _ in range(4)]
    copy = pickle.loads(pickle.dumps(env))
    for action in actions:
        expected, got = env.step(action), copy.step(action)
        np.testing.assert_array_equal(expected[0], got[0])
        assert expected[1:4] == got[1:4]
    vector = gym.make_vec(env_id, num_envs=2, config=bases[env_id])
    vector.reset(seed=1)
    vector_copy = pickle.loads(pickle.dumps(vector))
    batch = np.stack(actions[:2])
    np.testing.assert_array_equal(vector.step(batch)[0], vector_copy.step(batch)[0])


@pytest.mark.parametrize("env_id", ENV_IDS)
@settings(FUZZ, max_examples=8)
@given(data=st.data())
def test_native_vector_equals_sync_on_random_configs(
    env_id: str, bases: dict[str, dict[str, Any]], data: st.DataObject
) -> None:
    config = _draw_valid(data, env_id, bases[env_id])
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    native = gym.make_vec(env_id, num_envs=2, config=config)
    sync = SyncVectorEnv([lambda: gym.make(env_id, config=config) for _ in range(2)])
    np.testing.assert_array_equal(native.reset(seed=seed)[0], sync.reset(seed=seed)[0])
    native.single_action_space.seed(seed)
    for _ in range(3):
        actions = np.stack([native.single_action_space.sample() for _ in range(2)])
        got, expected = native.step(actions), sync.step(actions)
        for index in (0, 2, 3):  # observations, terminated, truncated
            np.testing.assert_array_equal(got[index], expected[index])
        # Rewards from batched float32 torch inference (log-likelihood rewards) may differ
        # from one-row inference by the rounding of the float32 logits (seen: 6e-6 absolute,
        # the same before and after issue 15's speed-up); everything else must be bitwise.
        np.testing.assert_allclose(got[1], expected[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_a_seeded_reset_forgets_the_previous_episode(
    env_id: str, bases: dict[str, dict[str, Any]]
) -> None:
    """``reset(seed=s)`` after some steps gives what a fresh env's ``reset(seed=s)`` gives.

    The benchmark's common random numbers rest on it: every policy's test episode ``s`` must
    start alike whatever the policy did in the episode before.
    """
    used = gym.make(env_id, config=bases[env_id]).unwrapped
    used.reset(seed=3)
    used.action_space.seed(3)
    for _ in range(3):
        used.step(used.action_space.sample())
    fresh = gym.make(env_id, config=bases[env_id]).unwrapped
    np.testing.assert_array_equal(used.reset(seed=11)[0], fresh.reset(seed=11)[0])
    fresh.action_space.seed(11)
    for _ in range(2):
        action = fresh.action_space.sample()
        got, expected = used.step(action), fresh.step(action)
        np.testing.assert_array_equal(got[0], expected[0])
        assert got[1:4] == expected[1:4]

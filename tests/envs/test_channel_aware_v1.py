"""``wmoe/ExpertRouting-v1`` and ``wmoe/ChannelAwareClassification-v1``: v0's tasks, new draws.

v1 draws each env's randomness with one generator call per reset and step. These tests check
that it is still a faithful env (API checks, seeding, pickling, rendering, native vector ==
``SyncVectorEnv``), that it shares v0's baselines, bound, splits and hyperparameters, and that
its draws and returns follow v0's distributions.
"""

from __future__ import annotations

import pickle
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from scipy import stats
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from vector_checks import assert_infos_equal, assert_native_equals_sync

import wmoe  # noqa: F401
from wmoe.agents.evaluate import baseline_policies, data_splits, upper_bound_of
from wmoe.agents.hyperparams import load_defaults
from wmoe.agents.registry import get_algorithm
from wmoe.envs.channel_aware_classification import baselines as classification_baselines
from wmoe.envs.channel_aware_classification import draws as classification_draws
from wmoe.envs.channel_aware_classification.vector import ChannelAwareClassificationV1VectorEnv
from wmoe.envs.expert_routing import baselines as routing_baselines
from wmoe.envs.expert_routing import draws as routing_draws
from wmoe.envs.expert_routing.vector import ExpertRoutingV1VectorEnv
from wmoe.envs.registration import config_schema

ROUTING = "wmoe/ExpertRouting-v1"
CLASSIFICATION = "wmoe/ChannelAwareClassification-v1"
V1_IDS = (ROUTING, CLASSIFICATION)
V0_OF = {ROUTING: "wmoe/ExpertRouting-v0", CLASSIFICATION: "wmoe/ChannelAwareClassification-v0"}
BASELINES = {ROUTING: routing_baselines, CLASSIFICATION: classification_baselines}


def _rollout(env_id: str, seed: int, steps: int, **config: Any) -> np.ndarray:
    """Observations and rewards of a seeded single-env rollout of fixed actions."""
    env = gym.make(env_id, config=config)
    observation, _ = env.reset(seed=seed)
    trace = [observation]
    for step in range(steps):
        observation, reward, _, truncated, _ = env.step(step % 8)
        trace += [observation, np.array([reward])]
        if truncated:
            trace.append(env.reset()[0])
    return np.concatenate(trace)


@pytest.mark.parametrize("env_id", V1_IDS)
@pytest.mark.parametrize("action_type", ["discrete", "continuous"])
@pytest.mark.filterwarnings("ignore:.*Box observation space (minimum|maximum)")
def test_gymnasium_and_sb3_checks(env_id: str, action_type: str) -> None:
    env = gym.make(env_id, config={"action_type": action_type})
    check_env(env.unwrapped)
    sb3_check_env(env.unwrapped)
    assert env.observation_space == gym.make(V0_OF[env_id]).observation_space


@pytest.mark.parametrize("env_id", V1_IDS)
def test_seeded_runs_repeat_and_differ_from_v0(env_id: str) -> None:
    first, again = (_rollout(env_id, 7, 12, episode_length=5) for _ in range(2))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, _rollout(env_id, 8, 12, episode_length=5))
    v0 = _rollout(V0_OF[env_id], 7, 12, episode_length=5)
    assert first.shape == v0.shape and not np.array_equal(first, v0)  # a seed means new draws


CONFIGS = [
    (ROUTING, {"episode_length": 3}),
    (ROUTING, {"action_type": "continuous", "split": "test", "doppler_hz": 100.0}),
    (CLASSIFICATION, {"episode_length": 3, "observe_snr_db": True}),
    (CLASSIFICATION, {"action_type": "continuous", "split": "test", "snr_mean_db": 5.0}),
]


@pytest.mark.parametrize(("env_id", "config"), CONFIGS)
def test_native_vector_equals_sync_exactly(env_id: str, config: dict[str, Any]) -> None:
    assert_native_equals_sync(env_id, config, num_envs=3, steps=10)


@pytest.mark.parametrize("env_id", V1_IDS)
def test_native_vector_equals_sync_with_sub_env_resets(env_id: str) -> None:
    # Sub-env 1 restarts a step late, so later autoresets (next step) reset and step subsets.
    config = {"episode_length": 3}
    native = gym.make_vec(env_id, num_envs=3, config=config)
    assert isinstance(native, ExpertRoutingV1VectorEnv | ChannelAwareClassificationV1VectorEnv)
    sync = SyncVectorEnv([lambda: gym.make(env_id, config=config) for _ in range(3)])
    assert native.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    np.testing.assert_array_equal(native.reset(seed=5)[0], sync.reset(seed=5)[0])
    mask = np.array([False, True, False])
    rng = np.random.default_rng(0)
    for step in range(9):
        if step == 1:
            options = {"reset_mask": mask}
            np.testing.assert_array_equal(
                native.reset(options=options)[0], sync.reset(options=options)[0]
            )
        actions = rng.integers(0, 8, size=3)
        ours, theirs = native.step(actions), sync.step(actions)
        for a, b in zip(ours[:4], theirs[:4], strict=True):
            np.testing.assert_array_equal(a, b)
        assert_infos_equal(ours[4], theirs[4])


def test_digital_links_match_sync() -> None:
    assert_native_equals_sync(CLASSIFICATION, {"link": "digital"}, num_envs=2, steps=2)


@pytest.mark.parametrize("env_id", V1_IDS)
def test_envs_pickle_and_continue_identically(env_id: str) -> None:
    env = gym.make(env_id).unwrapped
    env.reset(seed=3)
    env.step(1)
    copy = pickle.loads(pickle.dumps(env))
    for action in (0, 2, 5):
        expected, got = env.step(action), copy.step(action)
        np.testing.assert_array_equal(expected[0], got[0])
        assert expected[1:4] == got[1:4]
    vector = gym.make_vec(env_id, num_envs=2)
    vector.reset(seed=1)
    vector_copy = pickle.loads(pickle.dumps(vector))
    for actions in ([0, 1], [3, 3]):
        expected, got = vector.step(np.array(actions)), vector_copy.step(np.array(actions))
        for a, b in zip(expected[:4], got[:4], strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("env_id", V1_IDS)
def test_frames_render_for_single_and_vector_envs(env_id: str) -> None:
    single = gym.make(env_id, render_mode="rgb_array")
    vector = gym.make_vec(env_id, num_envs=2, render_mode="rgb_array")
    single.reset(seed=4)
    vector.reset(seed=[4, 6])
    first = single.render()
    single.step(2)
    vector.step(np.array([2, 0]))
    frame = single.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and not np.array_equal(first, frame)
    np.testing.assert_array_equal(vector.render()[0], frame)


@pytest.mark.parametrize("env_id", V1_IDS)
def test_v1_shares_v0s_schema_splits_baselines_bound_and_hyperparameters(env_id: str) -> None:
    v0 = V0_OF[env_id]
    assert config_schema(env_id) is config_schema(v0)
    assert data_splits(env_id) == data_splits(v0) == ("train", "validation", "test")
    assert set(baseline_policies(env_id, 0)) == set(baseline_policies(v0, 0))
    assert upper_bound_of(env_id) is upper_bound_of(v0)
    for algo in ("ppo", "diffusion-sac"):
        hyperparameters, found = load_defaults(get_algorithm(algo), env_id)
        assert found and hyperparameters == load_defaults(get_algorithm(algo), v0)[0]


@pytest.mark.parametrize("env_id", V1_IDS)
def test_splits_pick_the_sample_pool(env_id: str) -> None:
    train, test = (
        gym.make(env_id, config={"split": split}).unwrapped for split in ("train", "test")
    )
    assert test.core.num_samples < train.core.num_samples  # type: ignore[attr-defined]


def test_the_routing_bound_dominates_every_baseline_on_v1() -> None:
    env = gym.make(ROUTING, config={"split": "test", "episode_length": 30})
    seeds = [0, 1]
    bound = upper_bound_of(ROUTING)(env, seeds)  # type: ignore[misc]
    for name, policy in baseline_policies(ROUTING, 0).items():
        for episode, seed in enumerate(seeds):
            observation, _ = env.reset(seed=seed)
            total, done = 0.0, False
            while not done:
                observation, reward, terminated, truncated, _ = env.step(policy(observation, env))
                total += float(reward)
                done = terminated or truncated
            assert total <= bound[episode] + 1e-9, (name, total, bound)


@pytest.mark.parametrize("env_id", V1_IDS)
def test_hidden_link_noise_is_standard_normal_scaled_by_sigma(env_id: str) -> None:
    env = gym.make(env_id)
    env.reset(seed=2)
    core = env.unwrapped.core  # type: ignore[attr-defined]
    rms = float(core.model.feature_rms)
    scaled = []
    for _ in range(50):
        z = core.features[core.sample[0]]
        sigma = core.sigma[0] if env_id == CLASSIFICATION else core.sigma(np.zeros(1, int))[0]
        usable = (sigma > 1e-2 * rms) & (sigma < 1e2 * rms)  # float32 keeps the noise
        scaled.append(((core.delivered[0] - z) / sigma[:, None])[usable].numpy().ravel())
        env.step(0)
    noise = np.concatenate(scaled)
    assert noise.size > 5_000
    assert stats.kstest(noise, "norm").pvalue > 1e-3


NUM_SAMPLES = 1000  # samples in a split, for the draw schemes alone


def _draw_samples(env_id: str, reset: bool, num_envs: int = 8192) -> dict[str, np.ndarray]:
    """One batch of the env's draw scheme (a reset's or a step's), default config, by field."""
    binding = gym.make(env_id).unwrapped.binding  # type: ignore[attr-defined]
    draws = binding.draws_class(binding.config, NUM_SAMPLES, 8, 120)
    envs = np.arange(num_envs)
    rngs = [np.random.default_rng(seed) for seed in range(num_envs)]
    if isinstance(draws, routing_draws.RoutingDraws):
        if reset:
            episode = draws.episode(envs, rngs)
            fields = {"snr_db": episode.snr_db, "log_speed": np.log(episode.speed_flops)}
            gains, task = episode.gains, episode.task
        else:
            arrival = draws.arrival(envs, rngs)
            fields, gains, task = (
                {"interval_s": arrival.interval_s},
                arrival.innovation,
                arrival.task,
            )
        fields |= {"power": np.abs(gains) ** 2, "phase": np.angle(gains)}
        return fields | {"samples": task.samples, "noise": task.noise[:, :2]}
    assert isinstance(draws, classification_draws.ClassificationDraws)
    sample = draws.sample(envs, rngs)
    assert sample.noise is not None
    return {
        "samples": sample.samples,
        "snr_db": sample.snr_db,
        "power": sample.amplitude**2,
        "noise": sample.noise[:, :2],
    }


# The laws of the default configs' draws, by field.
LAWS = {
    "snr_db": {ROUTING: stats.norm(15.0, 10.0), CLASSIFICATION: stats.norm(30.0, 50.0)},
    "log_speed": {ROUTING: stats.uniform(np.log(1e6), np.log(10.0))},
    "interval_s": {ROUTING: stats.expon(scale=1 / 500.0)},
    "power": {ROUTING: stats.expon(), CLASSIFICATION: stats.expon()},
    "phase": {ROUTING: stats.uniform(-np.pi, 2 * np.pi)},
    "noise": {ROUTING: stats.norm(), CLASSIFICATION: stats.norm()},
}


@pytest.mark.parametrize(
    ("env_id", "reset"), [(ROUTING, True), (ROUTING, False), (CLASSIFICATION, False)]
)
def test_v1_draws_follow_v0s_distributions(env_id: str, reset: bool) -> None:
    v0, v1 = _draw_samples(V0_OF[env_id], reset), _draw_samples(env_id, reset)
    assert v0.keys() == v1.keys()
    for name in v0:
        a, b = v0[name].ravel(), v1[name].ravel()
        assert a.shape == b.shape, name
        assert stats.ks_2samp(a, b).pvalue > 1e-3, name
        if name == "samples":  # uniform on the split
            counts = np.bincount(b, minlength=NUM_SAMPLES)
            assert len(counts) == NUM_SAMPLES and stats.chisquare(counts).pvalue > 1e-3
        else:
            for version, values in (("v0", a), ("v1", b)):
                law = LAWS[name][env_id]
                assert stats.kstest(values, law.cdf).pvalue > 1e-3, (name, version)


@pytest.mark.parametrize(
    ("env_id", "baseline", "config"),
    [
        (ROUTING, "gate_minus_cost", {"split": "test"}),
        (CLASSIFICATION, "channel_aware_gate", {"split": "test", "episode_length": 50}),
    ],
)
def test_v1_returns_match_v0s_in_distribution(
    env_id: str, baseline: str, config: dict[str, Any]
) -> None:
    # 64 independent episodes per version: mean rewards agree within 4 standard errors.
    means = {}
    for version in (V0_OF[env_id], env_id):
        vector = gym.make_vec(version, num_envs=64, config=config)
        vector.reset(seed=1000)
        core = vector.unwrapped.core  # type: ignore[attr-defined]
        policy, rng = BASELINES[env_id].BASELINES[baseline], np.random.default_rng(0)
        total = np.zeros(64)
        for _ in range(200 if env_id == ROUTING else 50):
            total += vector.step(policy(core, np.arange(64), rng))[1]
        means[version] = total
    a, b = means.values()
    standard_error = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert abs(a.mean() - b.mean()) < 4 * standard_error, (a.mean(), b.mean(), standard_error)

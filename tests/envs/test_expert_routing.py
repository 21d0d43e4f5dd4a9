"""``wmoe/ExpertRouting-v0``: API checks, queue bookkeeping, fading, vectorisation, baselines."""

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
from wmoe.classification.system import system_config
from wmoe.config import ConfigError
from wmoe.envs.action_checks import InvalidActionError
from wmoe.envs.channel_aware_classification.config import ClassificationConfig
from wmoe.envs.expert_routing.baselines import BASELINES, baseline_action, upper_bound
from wmoe.envs.expert_routing.config import RoutingConfig
from wmoe.envs.expert_routing.core import RoutingCore
from wmoe.envs.expert_routing.vector import ExpertRoutingVectorEnv

ENV_ID = "wmoe/ExpertRouting-v0"
K = 8  # experts of the default system
DROP = K


def _make(**config: Any) -> gym.Env[Any, Any]:
    return gym.make(ENV_ID, config=config)


def _core(env: gym.Env[Any, Any]) -> RoutingCore:
    return env.unwrapped.core  # type: ignore[attr-defined, no-any-return]


def test_default_system_is_the_classification_envs() -> None:
    assert system_config(RoutingConfig.defaults()) == system_config(ClassificationConfig.defaults())


@pytest.mark.parametrize("action_type", ["discrete", "continuous"])
@pytest.mark.filterwarnings("ignore:.*Box observation space (minimum|maximum)")
def test_gymnasium_and_sb3_checks(action_type: str) -> None:
    env = _make(action_type=action_type)
    check_env(env.unwrapped)
    sb3_check_env(env.unwrapped)
    observation, _ = env.reset(seed=0)
    core = _core(env)
    assert observation.shape == (core.feature_dim + 5 * K,)
    assert env.action_space.shape == (() if action_type == "discrete" else (K + 1,))


def test_observation_layout() -> None:
    env = _make()
    observation, _ = env.reset(seed=3)
    env.step(2)
    observation, *_ = env.step(2)
    core = _core(env)
    d = core.feature_dim
    rms = float(core.model.feature_rms)
    parts = np.split(observation[d:], 5)
    np.testing.assert_allclose(observation[:d], core.features[core.sample[0]].numpy() / rms)
    np.testing.assert_allclose(parts[0], np.log1p(core.sigma(np.array([0]))[0].numpy() / rms))
    snr_db = core.snr_db[0] + 20 * np.log10(np.abs(core.gains[0]))
    np.testing.assert_allclose(parts[1], snr_db / 50, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(parts[2], core.link_backlog_s[0] / 0.1, rtol=1e-6)
    np.testing.assert_allclose(parts[3], core.compute_backlog_s[0] / 0.1, rtol=1e-6)
    assert parts[3][2] > 0 and np.all(parts[3] >= parts[2])  # busy after two tasks
    np.testing.assert_allclose(parts[4], core.task_flops / core.speed_flops[0] / 0.1, rtol=1e-6)


def test_back_to_back_tasks_queue_behind_each_other() -> None:
    # Arrivals 1 ns apart: nothing drains and the links do not change between the tasks.
    env = _make(arrival_rate_hz=1e9, latency_weight_per_s=3.0, energy_weight_per_j=2.0)
    env.reset(seed=2)
    core = _core(env)
    speed = core.speed_flops[0, 4]
    snr = 10 ** (core.snr_db[0, 4] / 10) * abs(core.gains[0, 4]) ** 2
    _, reward1, _, _, first = env.step(4)
    _, reward2, _, _, second = env.step(4)
    _, _, _, _, other = env.step(5)
    compute = core.task_flops / speed
    tx = first["tx_time_s"]
    expected_tx = 8 * 120 / (200e3 * max(np.log2(1 + snr), 0.1523))  # payload / rate
    assert tx == pytest.approx(expected_tx, rel=1e-6)
    assert first["compute_s"] == pytest.approx(compute)
    assert first["queue_s"] == 0.0
    assert first["latency_s"] == pytest.approx(tx + compute)
    assert first["energy_j"] == pytest.approx(1.0 * tx)
    assert reward1 == pytest.approx(first["correct"] - 3.0 * first["latency_s"] - 2.0 * tx)
    # The second waits for the link (the first's transmission), then for the processor
    # (the rest of the first's compute), then transmits and computes alike.
    assert second["tx_time_s"] == pytest.approx(tx, rel=1e-6)
    assert second["queue_s"] == pytest.approx(tx + max(compute - tx, 0.0), abs=1e-8)
    assert second["latency_s"] == pytest.approx(2 * tx + max(compute - tx, 0) + compute, abs=1e-8)
    assert reward2 == pytest.approx(second["correct"] - 3.0 * second["latency_s"] - 2.0 * tx)
    assert other["queue_s"] == 0.0  # another device is idle


def test_queues_drain_between_distant_arrivals() -> None:
    env = _make(arrival_rate_hz=1e-3)  # ~1,000 s between tasks
    env.reset(seed=2)
    env.step(4)
    _, _, _, _, info = env.step(4)
    assert info["queue_s"] == 0.0
    assert info["latency_s"] == pytest.approx(info["tx_time_s"] + info["compute_s"])


def test_drop_costs_the_penalty_and_no_resources() -> None:
    env = _make(arrival_rate_hz=1e9, drop_penalty=0.7)
    env.reset(seed=5)
    env.step(1)
    core = _core(env)
    backlog = core.compute_backlog_s.copy()
    _, reward, _, _, info = env.step(DROP)
    assert reward == -0.7
    assert info["dropped"] and info["expert"] == DROP and not info["correct"]
    assert info["latency_s"] == info["tx_time_s"] == info["energy_j"] == 0.0
    np.testing.assert_allclose(core.compute_backlog_s, backlog, atol=1e-8)


def test_gains_are_constant_without_doppler() -> None:
    env = _make(doppler_hz=0.0)
    env.reset(seed=1)
    core = _core(env)
    gains = core.gains.copy()
    for _ in range(5):
        env.step(0)
    np.testing.assert_array_equal(core.gains, gains)


def test_gain_lag_one_correlation_matches_jakes_over_poisson_arrivals() -> None:
    # E[J0(2 pi f_D dt)] over dt ~ Exp(lambda) is lambda / sqrt(lambda^2 + (2 pi f_D)^2).
    rate, doppler = 500.0, 100.0
    env = _make(arrival_rate_hz=rate, doppler_hz=doppler, episode_length=10_000)
    env.reset(seed=0)
    core = _core(env)
    gains = [core.gains[0].copy()]
    for _ in range(2_000):
        env.step(DROP)
        gains.append(core.gains[0].copy())
    h = np.array(gains)
    correlation = np.real(np.mean(h[1:] * np.conj(h[:-1]))) / np.mean(np.abs(h) ** 2)
    expected = rate / np.hypot(rate, 2 * np.pi * doppler)
    assert correlation == pytest.approx(expected, abs=0.03)


def test_seeded_runs_repeat_and_episodes_truncate() -> None:
    runs = []
    for _ in range(2):
        env = _make(episode_length=4)
        observation, _ = env.reset(seed=7)
        trace = [observation]
        for step in range(4):
            observation, reward, terminated, truncated, _ = env.step(step % (K + 1))
            trace += [observation, np.array([reward])]
            assert not terminated and truncated == (step == 3)
        runs.append(np.concatenate(trace))
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("action_type", ["discrete", "continuous"])
def test_native_vector_equals_sync(mode: AutoresetMode, action_type: str) -> None:
    config = {"action_type": action_type, "episode_length": 3}
    native = gym.make_vec(ENV_ID, num_envs=3, config=config, autoreset_mode=mode)
    assert isinstance(native, ExpertRoutingVectorEnv)
    sync = SyncVectorEnv([lambda: _make(**config) for _ in range(3)], autoreset_mode=mode)
    assert native.action_space == sync.action_space
    np.testing.assert_allclose(native.reset(seed=5)[0], sync.reset(seed=5)[0], rtol=1e-6)
    native.action_space.seed(2)
    for _ in range(8):
        actions = native.action_space.sample()
        ours, theirs = native.step(actions), sync.step(actions)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9)
        np.testing.assert_array_equal(ours[2], theirs[2])
        np.testing.assert_array_equal(ours[3], theirs[3])
        for info in (ours[4], theirs[4]):
            info.pop("final_info", None), info.pop("final_obs", None)
        assert_infos_equal(ours[4], theirs[4])


def _mean_rewards(steps: int, **config: Any) -> dict[str, float]:
    env = _make(split="test", episode_length=100, **config)
    means = {}
    for name in BASELINES:
        env.reset(seed=11)
        rng = np.random.default_rng(0)
        rewards = []
        for _ in range(steps):
            _, reward, _, truncated, _ = env.step(baseline_action(name, env.unwrapped, rng))
            rewards.append(reward)
            if truncated:
                env.reset()
        means[name] = float(np.mean(rewards))
    return means


def test_channel_aware_baselines_beat_random_under_light_load() -> None:
    # 20 tasks/s: queues stay short, so the link and the feature decide.
    means = _mean_rewards(600, arrival_rate_hz=20.0)
    for name in ("naive_gate", "channel_aware_gate", "best_snr", "min_cost"):
        assert means[name] > means["random"] + 0.05, (name, means)
    assert means["myopic_oracle"] == max(means.values())


def test_queue_blind_routing_fails_under_the_default_load() -> None:
    # 500 tasks/s: sending every task over the best link overloads one device.
    means = _mean_rewards(600)
    for name in ("join_shortest_queue", "min_cost"):
        assert means[name] > means["random"] + 0.05, (name, means)
    assert means["random"] > means["best_snr"] + 1.0, means
    assert means["myopic_oracle"] == max(means.values())


def test_gate_minus_cost_beats_every_blind_heuristic_under_the_default_load() -> None:
    means = _mean_rewards(600)
    blind = ("naive_gate", "channel_aware_gate", "best_snr", "join_shortest_queue", "min_cost")
    for name in blind:
        assert means["gate_minus_cost"] > means[name], (name, means)


def test_gate_minus_cost_scores_each_device_by_gate_less_cost() -> None:
    env = _make(split="test")
    env.reset(seed=4)
    core = env.unwrapped.core  # type: ignore[attr-defined]
    envs = np.zeros(1, dtype=np.int64)
    for _ in range(30):
        z = core.features[core.sample[envs]]
        gate = core.model.channel_gate_probs(z, core.sigma(envs)).detach().numpy()[0]
        scores = 0.5 * gate - core.weighted_cost(core.costs(envs))[0]
        expected = DROP if scores.max() < -1.0 else int(scores.argmax())
        action = baseline_action("gate_minus_cost", env.unwrapped)
        assert action == expected
        env.step(action)


def test_continuous_baseline_action_selects_the_same_device() -> None:
    discrete, continuous = _make(), _make(action_type="continuous")
    discrete.reset(seed=4)
    continuous.reset(seed=4)
    scores = baseline_action("min_cost", continuous.unwrapped)
    assert scores.shape == (K + 1,)
    assert int(np.argmax(scores)) == baseline_action("min_cost", discrete.unwrapped)


@pytest.mark.parametrize(
    ("action_type", "action", "match"),
    [
        ("discrete", K + 1, r"out of range; expected an integer in \[0, 8\]"),
        ("discrete", -1, "out of range"),
        ("discrete", 1.5, "not integer-valued"),
        ("continuous", np.full(K + 1, np.nan), "NaN or infinity"),
        ("continuous", np.zeros(3), r"shape \(1, 3\).*expected \(1, 9\)"),
        ("continuous", np.full(K + 1, 2.0), r"leaves \[-1, 1\]"),
    ],
)
def test_bad_actions_raise(action_type: str, action: Any, match: str) -> None:
    env = _make(action_type=action_type)
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=match):
        env.step(action)


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        ({"snr": 3}, ConfigError, "unknown config key 'snr'"),
        ({"split": "dev"}, ConfigError, r"config\['split'\]='dev' is invalid: .*'train'"),
        ({"action_type": "box"}, ConfigError, r"config\['action_type'\]='box' is invalid"),
        ({"arrival_rate_hz": 0.0}, ConfigError, r"'arrival_rate_hz'\]=0.0 .*\[0.0001, 1e\+09\]"),
        ({"doppler_hz": -1.0}, ConfigError, r"'doppler_hz'\]=-1.0 .* \[0, 10000\] \[Hz\]"),
        ({"snr_mean_db": float("nan")}, ConfigError, r"'snr_mean_db'\]=nan is invalid: .*finite"),
        ({"tx_power_w": "1 W"}, ConfigError, r"'tx_power_w'\]='1 W' is invalid"),
        ({"compute_speed_range_flops": [1e7, 1e6]}, ConfigError, "with low <= high"),
        ({"compute_speed_range_flops": [1e6]}, ConfigError, r"flops'\]=\[1000000.0\] .*length 2"),
        ({"episode_length": 0}, ConfigError, r"'episode_length'\]=0 .* \[1, 1000000\]"),
        ({"episode_length": True}, ConfigError, r"'episode_length'\]=True .*valid integer"),
    ],
)
def test_bad_config_raises(config: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        _make(**config)


def test_unknown_baseline_and_vector_args_raise() -> None:
    with pytest.raises(ValueError, match="unknown baseline 'best'"):
        baseline_action("best", _make().unwrapped)
    with pytest.raises(ValueError, match="num_envs must be >= 1"):
        ExpertRoutingVectorEnv(0)


def _baseline_returns(env: gym.Env[Any, Any], seeds: list[int]) -> dict[str, np.ndarray]:
    returns = {}
    for name in BASELINES:
        values = []
        for seed in seeds:
            env.reset(seed=seed)
            rng, total, done = np.random.default_rng(seed), 0.0, False
            while not done:
                _, reward, terminated, truncated, _ = env.step(
                    baseline_action(name, env.unwrapped, rng)
                )
                total += float(reward)
                done = terminated or truncated
            values.append(total)
        returns[name] = np.array(values)
    return returns


@pytest.mark.parametrize("arrival_rate_hz", [500.0, 2000.0])
def test_the_queue_free_bound_dominates_every_baseline(arrival_rate_hz: float) -> None:
    env = _make(split="test", episode_length=60, arrival_rate_hz=arrival_rate_hz)
    seeds = [0, 1, 2]
    bound = upper_bound(env, seeds)
    for name, returns in _baseline_returns(env, seeds).items():
        assert np.all(bound >= returns - 1e-9), (name, bound, returns)


def test_without_queues_the_myopic_oracle_meets_the_bound() -> None:
    # One task every ~17 minutes: every queue has drained before the next task.
    env = _make(split="test", episode_length=40, arrival_rate_hz=1e-3)
    seeds = [3, 4]
    bound = upper_bound(env, seeds)
    np.testing.assert_allclose(_baseline_returns(env, seeds)["myopic_oracle"], bound)

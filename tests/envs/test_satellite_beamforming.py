"""``wmoe/SatelliteBeamforming-v0``: API checks, physics by hand, vectorisation, baselines."""

from __future__ import annotations

import math
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
from wmoe.envs.satellite_beamforming.baselines import BASELINES, baseline_action
from wmoe.envs.satellite_beamforming.core import PRECODERS, Decision, SatelliteCore
from wmoe.envs.satellite_beamforming.vector import SatelliteBeamformingVectorEnv
from wmoe.phy.orbits import slant_range_from_elevation
from wmoe.phy.propagation import free_space_path_loss_db

ENV_ID = "wmoe/SatelliteBeamforming-v0"
K, C, M = 8, 4, 4
ACTION_TYPES = ["continuous", "multi_discrete", "discrete"]
ENV0 = np.zeros(1, dtype=np.int64)


def _make(**config: Any) -> gym.Env[Any, Any]:
    return gym.make(ENV_ID, config=config)


def _core(env: gym.Env[Any, Any]) -> SatelliteCore:
    return env.unwrapped.core  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("action_type", ACTION_TYPES)
@pytest.mark.filterwarnings("ignore:.*Box observation space (minimum|maximum)")
def test_gymnasium_and_sb3_checks(action_type: str) -> None:
    env = _make(action_type=action_type)
    check_env(env.unwrapped)
    sb3_check_env(env.unwrapped)
    observation, _ = env.reset(seed=0)
    assert observation.shape == (5 * K + K * (K - 1) // 2 + K * M + 5 * M + 1,)
    expected = {"continuous": (K + K * (C + 1) + 6,), "multi_discrete": (2 * K + 1,)}
    assert env.action_space.shape == expected.get(action_type, ())


def test_s_band_preset_runs() -> None:
    env = _make(band="s", user_distribution="clustered", outdated_csi=True)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(env.action_space.sample())
    assert np.isfinite(reward) and info["user_se_bps_hz"].shape == (K,)


def test_slant_range_free_space_loss_and_boresight_gain() -> None:
    # Slant range at the elevation the geometry gives; free-space loss 20 log10(4 pi d f / c).
    env = _make(num_geo_terminals=0, rain_probability=0.0)
    env.reset(seed=1)
    core = _core(env)
    elevation = core.elevation_deg[0]
    d = slant_range_from_elevation(elevation)
    assert np.all(d >= 600e3) and np.all(d < 1000e3)
    fspl = free_space_path_loss_db(d, 20e9)
    np.testing.assert_allclose(fspl, 20 * np.log10(4 * np.pi * d * 20e9 / 299_792_458.0))
    # Array gain towards each user's own direction is N = 1024 (the Gram diagonal).
    np.testing.assert_allclose(np.real(np.diagonal(core.gram[0])), 1024.0)


def _two_users(env: gym.Env[Any, Any]) -> SatelliteCore:
    env.reset(seed=3)
    return _core(env)


def test_sinr_with_one_interferer_by_hand() -> None:
    env = _make(num_users=2, num_subbands=1, num_geo_terminals=0)
    core = _two_users(env)
    # Both matched-filter beams on the one sub-band, each at power p.
    decision = Decision(
        power_fraction=np.full((1, 2), 1.0 / 3.0),  # the equal share: cap 3
        colour=np.zeros((1, 2), dtype=np.int64),
        precoder=np.array([PRECODERS.index("mrt")]),
    )
    outcome = core.evaluate(ENV0, decision)
    p = core.total_power_w / 2
    gram = core.gram[0]
    n = 1024.0
    gain = np.abs(core.fading[0]) ** 2 * core.gamma[0] / core.bandwidth_hz  # per W, over N0 W
    signal = p * gain * n  # |a_k^H a_k / sqrt(N)|^2 = N
    interference = p * gain * np.abs(gram[[0, 1], [1, 0]]) ** 2 / n
    expected = np.log2(1 + signal / (interference + 1.0))
    np.testing.assert_allclose(outcome.user_se[0], expected, rtol=1e-9)
    # On different sub-bands there is no interference, half the band each, twice the PSD.
    split = Decision(decision.power_fraction, np.array([[0, 1]]), decision.precoder)
    two = _make(num_users=2, num_subbands=2, num_geo_terminals=0)
    core2 = _two_users(two)
    outcome2 = core2.evaluate(ENV0, split)
    gain2 = np.abs(core2.fading[0]) ** 2 * core2.gamma[0] / core2.bandwidth_hz
    np.testing.assert_allclose(outcome2.user_se[0], 0.5 * np.log2(1 + 2 * p * gain2 * n))


def test_zero_forcing_nulls_interference_and_geo() -> None:
    env = _make(user_distribution="uniform")
    env.reset(seed=4)
    core = _core(env)
    decision = Decision(
        np.full((1, K), 1.0 / 3.0),
        np.full((1, K), C, dtype=np.int64),
        np.array([PRECODERS.index("zf_geo_null")]),
    )
    user_gain, geo_gain, _ = core.coupling(ENV0, decision, known=False)
    off_diagonal = user_gain[0, 0] * (1 - np.eye(K))
    assert off_diagonal.max() < 1e-6 * np.diagonal(user_gain[0, 0]).min()
    assert geo_gain.max() < 1e-6 * np.diagonal(user_gain[0, 0]).min()
    assert core.evaluate(ENV0, decision).penalty[0] == 0.0


def test_power_budget_is_enforced() -> None:
    env = _make()
    env.reset(seed=0)
    core = _core(env)
    powers = core.beam_powers(Decision(np.ones((1, K)), np.zeros((1, K), int), np.zeros(1, int)))
    assert powers.sum() == pytest.approx(core.total_power_w)
    action = -np.ones(env.action_space.shape, dtype=np.float32)
    _, _, _, _, info = env.step(action)
    assert info["power_w"] == 0.0 and np.all(info["user_se_bps_hz"] == 0.0)


def test_geo_penalty_counts_db_above_threshold() -> None:
    env = _make(geo_penalty_per_db=0.5, geo_i_over_n_threshold_db=-80.0)
    env.reset(seed=2)
    _, reward, _, _, info = env.step(baseline_action("four_colour_full_power", env.unwrapped))
    excess = np.maximum(info["geo_i_over_n_db"] + 80.0, 0.0).sum()
    assert info["geo_penalty"] == pytest.approx(0.5 * excess) and excess > 0
    assert reward == pytest.approx(info["user_se_bps_hz"].mean() - 0.5 * excess)


def test_satellite_moves_and_episode_truncates() -> None:
    env = _make(episode_length=5)
    observation, _ = env.reset(seed=7)
    first = _core(env).cosines[0, 0].copy()
    for step in range(5):
        observation, _, terminated, truncated, _ = env.step(env.action_space.sample())
        assert not terminated and truncated == (step == 4)
    # ~7 km/s over 5 x 2 s moves the user's direction in the frame by ~70 km / 600 km.
    assert abs(_core(env).cosines[0, 0, 0] - first[0]) > 0.05


def test_seeded_runs_repeat() -> None:
    runs = []
    for _ in range(2):
        env = _make(outdated_csi=True, rain_probability=0.5)
        env.action_space.seed(3)
        observation, _ = env.reset(seed=7)
        trace = [observation]
        for _ in range(6):
            observation, reward, *_ = env.step(env.action_space.sample())
            trace += [observation, np.array([reward], dtype=np.float32)]
        runs.append(np.concatenate(trace))
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("action_type", ACTION_TYPES)
def test_native_vector_equals_sync(mode: AutoresetMode, action_type: str) -> None:
    config = {"action_type": action_type, "episode_length": 3, "outdated_csi": True}
    native = gym.make_vec(ENV_ID, num_envs=3, config=config, autoreset_mode=mode)
    assert isinstance(native, SatelliteBeamformingVectorEnv)
    sync = SyncVectorEnv([lambda: _make(**config) for _ in range(3)], autoreset_mode=mode)
    assert native.action_space == sync.action_space
    np.testing.assert_allclose(native.reset(seed=5)[0], sync.reset(seed=5)[0], rtol=1e-6)
    native.action_space.seed(2)
    for _ in range(7):
        actions = native.action_space.sample()
        ours, theirs = native.step(actions), sync.step(actions)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9)
        np.testing.assert_array_equal(ours[2], theirs[2])
        np.testing.assert_array_equal(ours[3], theirs[3])
        for info in (ours[4], theirs[4]):
            info.pop("final_info", None), info.pop("final_obs", None)
        assert_infos_equal(ours[4], theirs[4])


def _mean_rewards(steps: int, **config: Any) -> dict[str, float]:
    env = _make(episode_length=steps, **config)
    means = {}
    for name in BASELINES:
        rewards = []
        for seed in (11, 12):
            env.reset(seed=seed)
            rng = np.random.default_rng(0)
            for _ in range(steps):
                _, reward, *_ = env.step(baseline_action(name, env.unwrapped, rng))
                rewards.append(reward)
        means[name] = float(np.mean(rewards))
    return means


def test_baselines_order_and_gap() -> None:
    means = _mean_rewards(16)
    assert means["wmmse"] >= means["zf_waterfilling"] > means["random"], means
    assert means["zf_waterfilling"] > 1.5 * means["four_colour_full_power"], means
    assert means["wmmse"] > means["four_colour_full_power"] + 1.0, means


@pytest.mark.parametrize("action_type", ["multi_discrete", "discrete"])
def test_baselines_encode_into_every_form(action_type: str) -> None:
    env = _make(action_type=action_type)
    env.reset(seed=0)
    for name in BASELINES:
        assert env.action_space.contains(baseline_action(name, env.unwrapped))
    continuous = _make()
    continuous.reset(seed=0)
    action = baseline_action("four_colour_full_power", continuous.unwrapped)
    decision = continuous.unwrapped.codec.decode(  # type: ignore[attr-defined]
        action[None], _core(continuous).cell_colours(ENV0)
    )
    np.testing.assert_array_equal(decision.colour, _core(continuous).cell_colours(ENV0))
    assert decision.precoder[0] == PRECODERS.index("mrt")
    np.testing.assert_allclose(decision.power_fraction, 1.0 / 3.0, rtol=1e-6)


@pytest.mark.parametrize(
    ("action_type", "action", "match"),
    [
        ("discrete", 72, r"out of range; expected an integer in \[0, 71\]"),
        ("discrete", 1.5, "not integer-valued"),
        ("multi_discrete", np.full(2 * K + 1, 6), "out of range"),
        ("multi_discrete", np.zeros(3, dtype=int), r"shape \(1, 3\); expected \(1, 17\)"),
        ("continuous", np.full(54, np.nan), "NaN or infinity"),
        ("continuous", np.zeros(3), r"shape \(1, 3\).*expected \(1, 54\)"),
        ("continuous", np.full(54, 1.5), r"leaves \[-1, 1\]"),
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
        ({"beams": 3}, ConfigError, "unknown config key 'beams'"),
        ({"band": "ku"}, ValueError, r"config\['band'\]='ku' is invalid; valid: ka, s"),
        ({"action_type": "box"}, ValueError, r"'action_type'\]='box' is invalid"),
        ({"num_users": 0}, ValueError, r"'num_users'\]=0 is invalid; expected an int >= 1"),
        ({"step_s": 0.0}, ValueError, r"'step_s'\]=0.0 .* number > 0"),
        ({"arrival_probability": 1.5}, ValueError, r"'arrival_probability'\]=1.5 .* <= 1"),
        ({"beam_power_cap": 0.5}, ValueError, r"'beam_power_cap'\]=0.5 .* >= 1"),
        ({"rain_rate_range_mm_per_h": [5, 1]}, ValueError, "0 < low <= high"),
        ({"reference_latitude_deg": math.nan}, ValueError, "'reference_latitude_deg'"),
        ({"footprint_radius_m": -1.0}, ValueError, r"'footprint_radius_m'\]=-1.0"),
    ],
)
def test_bad_config_raises(config: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        _make(**config)


def test_unknown_baseline_and_vector_args_raise() -> None:
    with pytest.raises(ValueError, match="unknown baseline 'best'"):
        baseline_action("best", _make().unwrapped)
    with pytest.raises(ValueError, match="num_envs must be >= 1"):
        SatelliteBeamformingVectorEnv(0)


def test_energy_efficiency_reward_equals_se_at_full_power() -> None:
    env = _make(reward_type="energy_efficiency", num_geo_terminals=0)
    env.reset(seed=5)
    core = _core(env)
    full = Decision(np.full((1, K), 1.0 / 3.0), np.full((1, K), C, dtype=np.int64), np.array([1]))
    outcome = core.evaluate(ENV0, full)
    assert outcome.reward[0] == pytest.approx(outcome.user_se[0].mean())
    consumed = core.total_power_w / 0.35 + 1.0
    expected = core.bandwidth_hz * outcome.user_se[0].sum() / consumed
    assert outcome.energy_efficiency[0] == pytest.approx(expected)
    half = Decision(full.power_fraction / 2, full.colour, full.precoder)
    low = core.evaluate(ENV0, half)
    assert low.reward[0] == pytest.approx(
        low.user_se[0].mean() * consumed / (core.total_power_w / 2 / 0.35 + 1.0)
    )

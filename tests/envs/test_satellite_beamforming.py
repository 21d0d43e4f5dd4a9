"""``wmoe/SatelliteBeamforming-v0``: API checks, physics by hand, vectorisation, baselines."""

from __future__ import annotations

import math
import typing
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
from wmoe.envs.satellite_beamforming.config import BAND_PRESETS, SatelliteConfig
from wmoe.envs.satellite_beamforming.core import PRECODERS, Decision, SatelliteCore
from wmoe.envs.satellite_beamforming.vector import SatelliteBeamformingVectorEnv
from wmoe.phy.ntn_channel import NTN_SCENARIOS
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
    p = core.total_power_w[0] / 2
    gram = core.gram[0]
    n = 1024.0
    gain = np.abs(core.fading[0]) ** 2 * core.gamma[0] / core.bandwidth_hz[0]  # per W, over N0 W
    signal = p * gain * n  # |a_k^H a_k / sqrt(N)|^2 = N
    interference = p * gain * np.abs(gram[[0, 1], [1, 0]]) ** 2 / n
    expected = np.log2(1 + signal / (interference + 1.0))
    np.testing.assert_allclose(outcome.user_se[0], expected, rtol=1e-9)
    # On different sub-bands there is no interference, half the band each, twice the PSD.
    split = Decision(decision.power_fraction, np.array([[0, 1]]), decision.precoder)
    two = _make(num_users=2, num_subbands=2, num_geo_terminals=0)
    core2 = _two_users(two)
    outcome2 = core2.evaluate(ENV0, split)
    gain2 = np.abs(core2.fading[0]) ** 2 * core2.gamma[0] / core2.bandwidth_hz[0]
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
    decision = Decision(np.ones((1, K)), np.zeros((1, K), int), np.zeros(1, int))
    powers = core.beam_powers(ENV0, decision)
    assert powers.sum() == pytest.approx(core.total_power_w[0])
    action = -np.ones(env.action_space.shape, dtype=np.float32)
    _, _, _, _, info = env.step(action)
    assert info["power_w"] == 0.0 and np.all(info["user_se_bps_hz"] == 0.0)


def test_geo_penalty_counts_db_above_threshold() -> None:
    env = _make(geo_penalty_per_db=0.5, geo_i_over_n_threshold_db=-60.0)
    env.reset(seed=2)
    _, reward, _, _, info = env.step(baseline_action("four_colour_full_power", env.unwrapped))
    excess = np.maximum(info["geo_i_over_n_db"] + 60.0, 0.0).sum()
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
    ("config", "match"),
    [
        ({"beams": 3}, "unknown config key 'beams'; valid keys are: band, num_users"),
        ({"band": "ku"}, r"config\['band'\]='ku' is invalid.*expected 'ka' \| 's'"),
        ({"action_type": "box"}, r"config\['action_type'\]='box' is invalid"),
        ({"num_users": 0}, r"config\['num_users'\]=0 is invalid.*expected int, \[1, 64\]"),
        ({"num_users": True}, r"config\['num_users'\]=True is invalid.*valid integer"),
        ({"step_s": 0.0}, r"config\['step_s'\]=0.0 is invalid.*\(0, 60\] \[s\]"),
        ({"altitude_m": 35786e3}, r"config\['altitude_m'\]=35786000.0 is invalid.*\[m\]"),
        ({"arrival_probability": 1.5}, r"config\['arrival_probability'\]=1.5 .*\[0, 1\]"),
        ({"beam_power_cap": 0.5}, r"config\['beam_power_cap'\]=0.5 is invalid.*\[1, 64\]"),
        ({"outdated_csi": "no"}, r"config\['outdated_csi'\]='no' is invalid.*valid boolean"),
        (
            {"rain_rate_range_mm_per_h": [5, 1]},
            r"rain_rate_range_mm_per_h=\[5.0, 1.0\] has low > high; give \[low, high\]",
        ),
        (
            {"rain_rate_range_mm_per_h": [0.0, 1.0]},
            r"config\['rain_rate_range_mm_per_h'\]\[0\]=0.0 is invalid.*items \(0, 250\]",
        ),
        ({"rain_rate_range_mm_per_h": [1.0]}, r"=\[1.0\] is invalid.*length 2"),
        (
            {"reference_latitude_deg": math.nan},
            r"config\['reference_latitude_deg'\]=nan is invalid.*finite number",
        ),
        ({"footprint_radius_m": -1.0}, r"config\['footprint_radius_m'\]=-1.0 is invalid.*\(0,"),
        ({"geo_i_over_n_threshold_db": math.inf}, r"'geo_i_over_n_threshold_db'\]=inf"),
    ],
)
def test_bad_config_raises(config: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _make(**config)
    with pytest.raises(ConfigError, match=match):
        SatelliteBeamformingVectorEnv(2, config)


def test_schema_choices_match_the_presets_and_tables() -> None:
    fields = SatelliteConfig.model_fields
    assert typing.get_args(fields["band"].annotation) == tuple(BAND_PRESETS)
    assert typing.get_args(fields["ntn_scenario"].annotation) == NTN_SCENARIOS


@pytest.mark.parametrize(
    ("config", "reached", "longest"),
    [
        ({"episode_length": 400}, r"-1.9 deg", 238),
        ({"step_s": 10.0}, r"2.9 deg", 46),
        ({"altitude_m": 300e3, "episode_length": 200}, r"3.2 deg", 132),
    ],
)
def test_pass_too_long_for_its_geometry_raises(
    config: dict[str, Any], reached: str, longest: int
) -> None:
    # These passes used to crash at reset() with an elevation error of the TR 38.811 tables.
    names = ".*".join(f"{key}={value!r}" for key, value in config.items())
    match = rf"the pass is too long.*{names}.*seen at {reached} elevation.*below the 10 deg"
    with pytest.raises(ConfigError, match=match) as error:
        _make(**config)
    assert f"episode_length <= {longest} with the other keys" in str(error.value)
    assert "raise altitude_m, or shrink the area (footprint_radius_m" in str(error.value)
    _make(**{**config, "episode_length": longest}).reset(seed=0)


def test_area_too_wide_for_any_pass_raises() -> None:
    config = {"altitude_m": 300e3, "footprint_radius_m": 1500e3, "episode_length": 2}
    with pytest.raises(ConfigError, match=r"even a one-step pass is too long: raise altitude_m"):
        _make(**config)


def _longest(config: SatelliteConfig) -> int:
    return config.model_copy(update={"episode_length": 10_000}).longest_episode()


def test_pass_rule_counts_drift_and_hot_spots() -> None:
    base = SatelliteConfig()
    fast = SatelliteConfig(user_speed_mps=300.0)
    clustered = SatelliteConfig(user_distribution="clustered", cluster_std_m=50e3)
    assert fast.area_radius_m(100) == base.area_radius_m(100) + 290.0 * 2.0 * 100
    assert clustered.area_radius_m(100) == base.area_radius_m(100) + 4 * 50e3
    assert _longest(fast) < _longest(base) and _longest(clustered) < _longest(base)
    with pytest.raises(ConfigError, match=r"user_speed_mps=300.0, the satellite is seen at"):
        _make(user_speed_mps=300.0, episode_length=_longest(fast) + 1)
    with pytest.raises(ConfigError, match=r"cluster_std_m=50000.0, the satellite is seen at"):
        _make(
            user_distribution="clustered",
            cluster_std_m=50e3,
            episode_length=_longest(clustered) + 1,
        )


@pytest.mark.parametrize("extra_steps", [0, 1])
def test_pass_rule_is_the_core_geometry(extra_steps: int) -> None:
    # Users on the edge of the widest area of the rule, seen at the pass's final observation:
    # at the longest accepted pass the core's channel draw works, one step longer it fails.
    config = SatelliteConfig(
        num_users=64, user_speed_mps=0.0, arrival_probability=0.0, num_geo_terminals=0
    )
    length = _longest(config) + extra_steps
    core = SatelliteCore({**config.model_dump(), "episode_length": length}, 1)
    rng = np.random.default_rng(0)
    core.reset(ENV0, [rng])
    angle = np.linspace(0.0, 2.0 * np.pi, 64, endpoint=False)
    core.user_offsets_m[0] = 100e3 * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    core.cross_offset_m[0] = 100e3
    core.steps[0] = length - 1
    decision = Decision(np.zeros((1, 64)), np.zeros((1, 64), int), np.zeros(1, int))
    if extra_steps:
        with pytest.raises(ValueError, match=r"elevation_deg must lie in \[10, 90\]"):
            core.step(ENV0, decision, [rng])
    else:
        core.step(ENV0, decision, [rng])
        lowest = core.elevation_deg[0].min()
        assert lowest >= 10.0
        assert lowest == pytest.approx(config.lowest_elevation_deg(length), abs=0.02)


def test_long_pass_from_a_higher_orbit_runs_to_the_end() -> None:
    # 400 x 2 s would take a 600 km LEO below 10 deg; at 1200 km the rule accepts it.
    with pytest.raises(ConfigError, match="the pass is too long"):
        _make(episode_length=400)
    env = _make(altitude_m=1200e3, episode_length=400, user_distribution="clustered")
    env.reset(seed=0)
    elevations = []
    for step in range(400):
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert math.isfinite(float(reward)) and not terminated and truncated == (step == 399)
        elevations.append(info["elevation_deg"].min())
    assert 10.0 <= min(elevations) < 20.0
    assert _core(env).elevation_deg.min() >= 10.0  # the final observation's geometry


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
    consumed = core.total_power_w[0] / 0.35 + 1.0
    expected = core.bandwidth_hz[0] * outcome.user_se[0].sum() / consumed
    assert outcome.energy_efficiency[0] == pytest.approx(expected)
    half = Decision(full.power_fraction / 2, full.colour, full.precoder)
    low = core.evaluate(ENV0, half)
    assert low.reward[0] == pytest.approx(
        low.user_se[0].mean() * consumed / (core.total_power_w[0] / 2 / 0.35 + 1.0)
    )

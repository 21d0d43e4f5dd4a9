"""``wmoe/MultiBSReception*-v1``: API checks, RSRP reports, mobility, baselines, bad config."""

from __future__ import annotations

import pickle
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from vector_checks import assert_native_equals_sync

import wmoe  # noqa: F401
from wmoe.config import ConfigError
from wmoe.envs.multi_bs_reception.baselines import V1_BASELINES
from wmoe.envs.multi_bs_reception.baselines_v1 import BASELINES, baseline_action
from wmoe.envs.multi_bs_reception.mobility import street_tracks
from wmoe.phy.nr_measurements import (
    HIGHEST_RSRP_REPORT,
    measure_rsrp_dbm,
    reference_signal_power_per_re_dbm,
    rsrp_report_dbm,
    rsrp_report_index,
)

BANDIT = "wmoe/MultiBSReception-v1"
RSRP = "wmoe/MultiBSReceptionRSRP-v1"
MOBILITY = "wmoe/MultiBSReceptionMobility-v1"
IDS = [BANDIT, RSRP, MOBILITY]


def make(env_id: str, config: dict[str, Any], **overrides: Any) -> Any:
    return gym.make(env_id, config={**config, **overrides})


@pytest.mark.parametrize("env_id", IDS)
def test_gymnasium_and_sb3_check_env(reception_config, env_id):
    env = make(env_id, reception_config, episode_length=4)
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=False)


def rollout(env: Any, seed: int, steps: int) -> list[Any]:
    env.action_space.seed(seed)
    out: list[Any] = [env.reset(seed=seed)[0]]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        out += [obs, reward, terminated, truncated, info["user_index"]]
        if truncated:
            out.append(env.reset()[0])
    return out


@pytest.mark.parametrize("env_id", IDS)
def test_seeded_rollouts_are_deterministic(reception_config, env_id):
    config = {**reception_config, "episode_length": 5}
    first = rollout(make(env_id, config), seed=7, steps=13)
    second = rollout(make(env_id, config), seed=7, steps=13)
    other = rollout(make(env_id, config), seed=8, steps=13)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


@pytest.mark.parametrize("env_id", IDS)
def test_native_vector_equals_sync(reception_config, env_id):
    config = {**reception_config, "episode_length": 3, "info_oracle": env_id == MOBILITY}
    assert_native_equals_sync(env_id, config)


@pytest.mark.parametrize("env_id", IDS)
def test_pickling_keeps_the_state(reception_config, env_id):
    env = make(env_id, reception_config)
    env.reset(seed=3)
    env.step(env.action_space.sample())
    clone = pickle.loads(pickle.dumps(env))
    action = env.action_space.sample()
    first, second = env.step(action), clone.step(action)
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1] == second[1]


def test_v1_defaults_fix_v0_physics(reception_config):
    defaults = make(BANDIT, reception_config).unwrapped.config
    assert defaults["codebook"] == "tpmi"
    assert defaults["se_ceiling"] == "mcs-256qam"
    assert defaults["interferer_num_rb"] == 273
    assert defaults["interferer_p0_dbm"] == -100.0


def test_interference_over_thermal_is_a_few_db(reception_config):
    core = make(BANDIT, reception_config).unwrapped.core
    iot_db = core.interference_over_thermal_db
    assert 0.0 < np.median(iot_db) < 6.0, iot_db


def test_rsrp_report_mapping_closed_form():
    # TS 38.133 Table 10.1.6.1-1: RSRP_0 < -156 dBm, RSRP_k in [-157 + k, -156 + k), RSRP_126.
    rsrp = np.array([-np.inf, -200.0, -156.01, -156.0, -155.5, -155.0, -100.2, -31.01, -31.0, 0.0])
    expected = np.array([0, 0, 0, 1, 1, 2, 56, 125, 126, 126])
    np.testing.assert_array_equal(rsrp_report_index(rsrp), expected)
    grid = np.arange(-156.0, -31.0, 1.0)
    np.testing.assert_array_equal(np.diff(rsrp_report_index(grid)), 1)
    np.testing.assert_array_equal(rsrp_report_dbm(rsrp_report_index(grid)), grid)
    assert rsrp_report_dbm(np.array([0, HIGHEST_RSRP_REPORT])).tolist() == [-157.0, -31.0]
    assert reference_signal_power_per_re_dbm(46.0, 273) == pytest.approx(
        46.0 - 10 * np.log10(12 * 273)
    )


def test_measurement_error_statistics():
    rng = np.random.default_rng(0)
    errors = measure_rsrp_dbm(np.full(200_000, -80.0), 2.0, rng) + 80.0
    assert abs(errors.mean()) < 0.02
    assert errors.std() == pytest.approx(2.0, rel=0.01)


def test_observed_reports_are_quantised_true_rsrp(reception_config):
    env = make(RSRP, reception_config, rsrp_error_std_db=0.0).unwrapped
    obs, _ = env.reset(seed=1)
    core = env.core
    expected = rsrp_report_index(core.true_rsrp_dbm(core.user[:1]))[0]
    np.testing.assert_array_equal(np.rint(obs * HIGHEST_RSRP_REPORT), expected)
    assert env.observation_space.shape == (core.num_bs,)


def test_reports_carry_the_configured_error(reception_config):
    env = make(RSRP, reception_config, rsrp_error_std_db=3.0).unwrapped
    env.reset(seed=2)
    core = env.core
    errors = []
    for _ in range(300):
        true = core.true_rsrp_dbm(core.user[:1])[0]
        inside = (true > -150.0) & (true < -40.0)
        errors.append((core.reported_rsrp_dbm(np.zeros(1, dtype=np.int64))[0] - true)[inside])
        env.step(env.action_space.sample())
    error = np.concatenate(errors) + 0.5  # the report is the bin's lower edge
    assert abs(error.mean()) < 0.15
    assert error.std() == pytest.approx(np.sqrt(3.0**2 + 1 / 12), rel=0.08)


def test_mobility_moves_by_speed_times_step(reception_config):
    env = make(MOBILITY, reception_config, ue_speed_mps=5.0, step_duration_s=0.2).unwrapped
    env.reset(seed=4)
    core = env.core
    envs = np.zeros(1, dtype=np.int64)
    tracks = street_tracks(core.data.user_positions)
    assert tracks.num_tracks > 1 and np.all(tracks.length_m > 0)
    straight = 0
    for _ in range(30):
        before, track, heading = core.ue_position_m(envs)[0], core.track[0], core.heading[0]
        info = env.step(env.action_space.sample())[4]
        np.testing.assert_array_equal(info["ue_position_m"], before)  # where it was served
        after = core.ue_position_m(envs)[0]
        if core.track[0] == track and core.heading[0] == heading:
            assert np.linalg.norm(after - before) == pytest.approx(5.0 * 0.2)
            straight += 1
        # Its channel is that of the grid user nearest to it.
        distances = np.linalg.norm(core.data.user_positions[:, :2] - after, axis=1)
        assert distances[core.user[0]] == pytest.approx(distances.min())
    assert straight >= 10


def test_mobility_actions_shape_the_future(reception_config):
    first = make(MOBILITY, reception_config, episode_length=20).unwrapped
    second = make(MOBILITY, reception_config, episode_length=20).unwrapped
    first.reset(seed=9)
    second.reset(seed=9)
    current = int(first.core.current_set[0])
    other = (current + 1) % first.core.num_sets
    keep = first.step(current)
    switch = second.step(other)
    assert not keep[4]["reassociated"] and switch[4]["reassociated"]
    # The next observations differ in the current set, and the same next action costs in one.
    assert not np.array_equal(keep[0], switch[0])
    np.testing.assert_array_equal(keep[0][: first.core.num_bs], switch[0][: first.core.num_bs])
    later_keep, later_switch = first.step(current), second.step(current)
    assert later_keep[1] > later_switch[1]
    assert later_switch[4]["reassociated"]
    assert later_switch[1] == pytest.approx(0.7 * later_keep[4]["rate"])


def count_set_changes(env: Any, name: str, steps: int) -> int:
    env.reset(seed=21)
    changes = 0
    for _ in range(steps):
        changes += int(env.step(baseline_action(name, env))[4]["reassociated"])
    return changes


def test_hysteresis_changes_sets_less_often_than_strongest_n(reception_config):
    env = make(MOBILITY, reception_config, episode_length=1000, rsrp_error_std_db=4.0).unwrapped
    hysteresis = count_set_changes(env, "hysteresis_handover", 150)
    strongest = count_set_changes(env, "strongest_n", 150)
    assert hysteresis < strongest


@pytest.mark.parametrize("env_id", IDS)
def test_oracle_dominates_every_baseline_per_step(reception_config, env_id):
    env = make(env_id, reception_config, episode_length=100).unwrapped
    core = env.core
    envs = np.zeros(1, dtype=np.int64)
    env.reset(seed=5)
    rng = np.random.default_rng(0)
    for _ in range(6):
        users = core.user[envs]
        rewards = {}
        for name, policy in BASELINES.items():
            sets, codewords = policy(core, users, rng, envs)
            rate = core.evaluate(users, sets, codewords).rate
            rewards[name] = float((rate * core.reward_factor(envs, sets))[0])
        assert all(rewards["oracle"] >= r - 1e-9 for r in rewards.values()), rewards
        env.step(baseline_action("hysteresis_handover", env))


def test_strongest_n_uses_the_reports(reception_config):
    env = make(RSRP, reception_config, rsrp_error_std_db=10.0).unwrapped
    core = env.core
    envs = np.zeros(1, dtype=np.int64)
    env.reset(seed=6)
    differs = 0
    for _ in range(20):
        users = core.user[envs]
        reported = core.top_n_sets(core.reported_rsrp_dbm(envs))
        assert V1_BASELINES["strongest_n"](core, users, None, envs)[0][0] == reported[0]
        genie = V1_BASELINES["strongest_n_genie"](core, users, None, envs)[0]
        differs += int(genie[0] != reported[0])
        env.step(env.action_space.sample())
    assert differs > 0


@pytest.mark.parametrize(
    ("env_id", "overrides", "key"),
    [
        (RSRP, {"rsrp_error_std_db": -1.0}, "rsrp_error_std_db"),
        (MOBILITY, {"ue_speed_mps": "fast"}, "ue_speed_mps"),
        (MOBILITY, {"reassociation_latency_s": 0.5}, "reassociation_latency_s"),
        (RSRP, {"observe_rsrp": False}, "observe_position"),
        (RSRP, {"bs_num_rb": 300}, "bs_num_rb"),
        (BANDIT, {"user_sequence": "teleport"}, "user_sequence"),
        (MOBILITY, {"street_change_probability": 1.5}, "street_change_probability"),
    ],
)
def test_bad_config_names_the_key(reception_config, env_id, overrides, key):
    with pytest.raises(ConfigError, match=key):
        make(env_id, reception_config, **overrides)


def test_v1_defaults_to_o1_geometry_and_visits_only_users_with_paths(reception_config):
    env = make(MOBILITY, reception_config, episode_length=400, ue_speed_mps=15.0).unwrapped
    core = env.core
    assert env.config["scenario"] == "o1_geometry_3p5" and env.config["active_users_only"]
    without_path = np.flatnonzero(~core.reachable.any(axis=1))
    assert len(without_path) > 0  # UG3 reaches into the buildings
    np.testing.assert_array_equal(core.active_users, np.flatnonzero(core.reachable.any(axis=1)))
    env.reset(seed=3)
    visited = [int(env.step(env.action_space.sample())[4]["user_index"]) for _ in range(300)]
    assert core.reachable[visited].any(axis=1).all()
    assert np.all(core.tracks.track_of_user[without_path] == -1)
    # Bandit draws and the k-NN baseline's labelled users, too.
    bandit = make(BANDIT, reception_config, episode_length=400).unwrapped
    bandit.reset(seed=4)
    drawn = [int(bandit.step(0)[4]["user_index"]) for _ in range(300)]
    assert bandit.core.reachable[drawn].any(axis=1).all()
    from wmoe.envs.multi_bs_reception.baselines import labelled_users

    assert bandit.core.reachable[labelled_users(bandit.core).users].any(axis=1).all()
    # Without the key, users without a path are drawn as in v0.
    every = make(BANDIT, reception_config, episode_length=400, active_users_only=False).unwrapped
    every.reset(seed=4)
    drawn = [int(every.step(0)[4]["user_index"]) for _ in range(300)]
    assert not every.core.reachable[drawn].any(axis=1).all()


def test_coloured_interferers_are_users_with_paths(reception_config):
    core = make("wmoe/MultiBSReceptionWideband-v1", reception_config, num_subbands=2).unwrapped.core
    interferers = core.interferer_terms.users
    assert len(interferers) == core.config["num_interferers"]
    assert core.reachable[interferers].any(axis=1).all()
    with pytest.raises(ConfigError, match=r"=100 exceeds the \d+ users that can interfere"):
        make(
            "wmoe/MultiBSReceptionWideband-v1",
            reception_config,
            num_subbands=2,
            user_stride=10,
            num_interferers=100,
        )


def test_the_o1_geometry_scenario_is_written_on_first_use(tmp_path, monkeypatch):
    from wmoe.envs.multi_bs_reception import core
    from wmoe.scenarios.synthetic_o1 import O1GeometryConfig

    small = O1GeometryConfig(row_stride=400, user_stride=90)
    monkeypatch.setitem(core.WRITTEN_ON_FIRST_USE, small.name, small)
    config = {"scenarios_dir": str(tmp_path), "scenario": small.name}
    with pytest.raises(ConfigError, match="WMOE_WRITE_SCENARIOS=0 forbids writing it.*o1-geometry"):
        core.resolve_scenario_folder(config)
    monkeypatch.setenv("WMOE_WRITE_SCENARIOS", "1")
    folder = core.resolve_scenario_folder(config)
    assert folder == tmp_path / "o1_geometry_3p5" and (folder / "params.json").exists()

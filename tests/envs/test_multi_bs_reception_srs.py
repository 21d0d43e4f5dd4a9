"""``observe_srs`` of the ``wmoe/MultiBSReception*-v1`` envs: wideband SRS SNR per BS."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from vector_checks import assert_native_equals_sync

import wmoe  # noqa: F401
from wmoe.config import ConfigError
from wmoe.envs.multi_bs_reception.config import SYNTHETIC_SCENARIO
from wmoe.phy.nr_measurements import HIGHEST_RSRP_REPORT

BANDIT = "wmoe/MultiBSReception-v1"
RSRP = "wmoe/MultiBSReceptionRSRP-v1"
MOBILITY = "wmoe/MultiBSReceptionMobility-v1"
WIDEBAND = "wmoe/MultiBSReceptionWideband-v1"
ZERO = np.zeros(1, dtype=np.int64)


def make(env_id: str, config: dict[str, Any], **overrides: Any) -> Any:
    return gym.make(env_id, config={**config, **overrides}).unwrapped


def hand_srs_snr_db(env: Any) -> np.ndarray:
    """The current UE's SRS SNR per BS [dB] from the cached Grams, by hand."""
    core, config = env.core, env.core.config
    gram = core.data.gram[core.user[0]]  # (BSs, Nt, Nt) or (BSs, S, Nt, Nt)
    energy = np.trace(gram, axis1=-2, axis2=-1).real
    if energy.ndim == 2:
        energy = energy.mean(axis=1)  # over the sub-bands
    nt = config["ue_antennas"]
    ports = 2 * config["bs_panel"][0] * config["bs_panel"][1]
    k_t0_dbm_per_hz = 10 * np.log10(1.380649e-23 * 290.0 / 1e-3)
    noise_dbm = k_t0_dbm_per_hz + 10 * np.log10(config["bandwidth_hz"]) + config["noise_figure_db"]
    srs_power_per_port_dbm = config["tx_power_dbm"] - 10 * np.log10(nt)
    with np.errstate(divide="ignore"):
        gain_db = 10 * np.log10(energy / (ports * nt))
    return np.asarray(srs_power_per_port_dbm + gain_db - noise_dbm)


@pytest.mark.parametrize(
    ("env_id", "step_db", "extra"),
    [(BANDIT, 1.0, {}), (BANDIT, 2.5, {"num_subbands": 2}), (RSRP, 0.5, {})],
)
def test_observation_is_the_hand_computed_quantised_snr(reception_config, env_id, step_db, extra):
    env = make(
        env_id,
        reception_config,
        observe_srs=True,
        srs_error_std_db=0.0,
        srs_quantization_db=step_db,
        **extra,
    )
    num_bs = env.core.num_bs
    obs, _ = env.reset(seed=3)
    before = 2 if env_id == BANDIT else num_bs  # (x, y) or the RSRP reports come first
    assert env.observation_space.shape == (before + num_bs,)
    seen_no_path = False
    for _ in range(6):
        snr_db = hand_srs_snr_db(env)
        seen_no_path |= bool(np.any(snr_db == -np.inf))
        quantised = np.clip(step_db * np.round(snr_db / step_db), -30.0, 70.0)
        np.testing.assert_allclose(obs[before:], (quantised + 30.0) / 100.0, rtol=0, atol=1e-7)
        np.testing.assert_array_equal(env.core.srs_snr_report_db[0], quantised)
        obs = env.step(env.action_space.sample())[0]
    assert seen_no_path  # a BS without a path observes 0


def test_measurement_error_has_the_configured_statistics(reception_config):
    env = make(BANDIT, reception_config, observe_srs=True, srs_error_std_db=3.0)
    core = env.core
    env.reset(seed=2)
    errors = []
    for _ in range(400):
        true_db = core.true_srs_snr_db(core.user[:1])[0]
        inside = (true_db > -20.0) & (true_db < 60.0)  # away from the clipped edges
        errors.append((core.srs_snr_report_db[0] - true_db)[inside])
        env.step(env.action_space.sample())
    error = np.concatenate(errors)
    assert error.size > 3000
    # Gaussian 3 dB plus the uniform rounding error of the 1 dB step (variance 1/12).
    assert abs(error.mean()) < 0.2
    assert error.std() == pytest.approx(np.sqrt(3.0**2 + 1.0 / 12.0), rel=0.05)


def test_measurement_error_is_fresh_each_step(reception_config):
    # A UE that does not move: the same true SNR each step, different measurements.
    env = make(MOBILITY, reception_config, observe_srs=True, ue_speed_mps=0.0)
    obs, users = [env.reset(seed=4)[0]], [int(env.core.user[0])]
    for _ in range(3):
        obs.append(env.step(int(env.core.current_set[0]))[0])
        users.append(int(env.core.user[0]))
    assert len(set(users)) == 1
    srs = np.array(obs)[:, env.core.num_bs : 2 * env.core.num_bs]
    assert len({row.tobytes() for row in srs}) == len(srs)


@pytest.mark.parametrize("env_id", [BANDIT, RSRP, MOBILITY, WIDEBAND])
def test_gymnasium_and_sb3_check_env_with_srs(reception_config, env_id):
    env = make(env_id, reception_config, observe_srs=True, episode_length=4)
    space = env.observation_space
    assert space.dtype == np.float32
    # Every part of these ids' observations, the SRS SNRs included, lies in [0, 1].
    np.testing.assert_array_equal(space.low, 0.0)
    np.testing.assert_array_equal(space.high, 1.0)
    check_env(env, skip_render_check=True)
    sb3_check_env(env, warn=False)


def test_srs_alone_is_a_valid_observation(reception_config):
    env = make(RSRP, reception_config, observe_rsrp=False, observe_srs=True)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (env.core.num_bs,) and obs in env.observation_space


@pytest.mark.parametrize(
    ("env_id", "overrides"),
    [
        (BANDIT, {}),
        (MOBILITY, {"info_oracle": True}),
        (WIDEBAND, {"num_subbands": 2, "interferer_activity": 0.5}),
    ],
)
def test_native_vector_equals_sync_with_srs(reception_config, env_id, overrides):
    config = {**reception_config, "episode_length": 3, "observe_srs": True, **overrides}
    assert_native_equals_sync(env_id, config)


# RSRP-v1 (small test scenario, the O1-like one, where every user has a path, so drawing among
# the active users draws as before), reset(seed=11) then four steps of action 0, as the code
# before observe_srs produced them: the users served and each observation's RSRP indices.
GOLDEN_USERS = [46, 44, 278, 174]
GOLDEN_RSRP = [
    [85, 83, 97, 87, 86, 87, 80, 73, 76, 73, 81, 79, 0, 0, 0, 73, 0, 0],
    [87, 89, 90, 89, 80, 83, 78, 76, 74, 72, 84, 80, 0, 0, 66, 71, 57, 0],
    [59, 57, 74, 70, 0, 84, 73, 79, 60, 69, 55, 0, 82, 89, 91, 81, 84, 79],
    [82, 76, 70, 65, 85, 84, 82, 89, 88, 96, 83, 92, 0, 56, 80, 0, 0, 0],
    [70, 80, 77, 77, 69, 66, 82, 76, 82, 88, 92, 86, 0, 0, 58, 60, 0, 0],
]


def test_key_off_keeps_v1_observations_and_draws(reception_config):
    for env_id, size in [(BANDIT, 2), (RSRP, 18), (MOBILITY, 36), (WIDEBAND, 2)]:
        env = make(env_id, reception_config)
        assert env.config["observe_srs"] is False
        assert env.observation_space.shape == (size,)
    # A draw of SRS errors with the key off would shift every later RSRP error.
    env = make(RSRP, {**reception_config, "scenario": SYNTHETIC_SCENARIO})
    observations = [env.reset(seed=11)[0]]
    users = []
    for _ in range(4):
        obs, *_, info = env.step(0)
        observations.append(obs)
        users.append(int(info["user_index"]))
    assert users == GOLDEN_USERS
    reports = np.array(observations) * HIGHEST_RSRP_REPORT
    np.testing.assert_array_equal(np.rint(reports), GOLDEN_RSRP)
    np.testing.assert_allclose(reports, np.rint(reports), atol=1e-4)


@pytest.mark.parametrize(
    ("env_id", "overrides", "key"),
    [
        (BANDIT, {"observe_srs": "yes"}, "observe_srs"),
        (BANDIT, {"observe_srs": True, "srs_error_std_db": -1.0}, "srs_error_std_db"),
        (BANDIT, {"srs_error_std_db": 25.0}, "srs_error_std_db"),
        (RSRP, {"srs_quantization_db": 0.0}, "srs_quantization_db"),
        (RSRP, {"srs_quantization_db": "1 dB"}, "srs_quantization_db"),
        (MOBILITY, {"srs_quantization_db": 30.0}, "srs_quantization_db"),
        ("wmoe/MultiBSReception-v0", {"observe_srs": True}, "observe_srs"),
    ],
)
def test_bad_config_names_the_key(reception_config, env_id, overrides, key):
    with pytest.raises(ConfigError, match=key):
        gym.make(env_id, config={**reception_config, **overrides})

"""``wmoe/SatelliteBeamforming-v1``: API checks, memory, task draws, rate splitting, reference."""

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
from wmoe.config import ConfigError
from wmoe.envs.satellite_beamforming.config import BAND_PRESETS, REWARD_PROFILES, TASK_WEIGHT_KEYS
from wmoe.envs.satellite_beamforming.core import PRECODERS, Decision, SatelliteCore, geo_penalty
from wmoe.envs.satellite_beamforming.reference import BASELINES, REFERENCE, baseline_action
from wmoe.envs.satellite_beamforming.tasks import BANDS, FACTORS
from wmoe.envs.satellite_beamforming.vector import SatelliteBeamformingV1VectorEnv

ENV_ID = "wmoe/SatelliteBeamforming-v1"
K, C, M = 8, 4, 4
V0_SIZE = 5 * K + K * (K - 1) // 2 + K * M + 5 * M + 1
ACTION_TYPES = ["continuous", "multi_discrete", "discrete"]
ENV0 = np.zeros(1, dtype=np.int64)
NO_DRAWS = {key: None for key in TASK_WEIGHT_KEYS}


def _make(**config: Any) -> gym.Env[Any, Any]:
    return gym.make(ENV_ID, config=config)


def _core(env: gym.Env[Any, Any]) -> SatelliteCore:
    """The band core of a single env's current episode."""
    return env.unwrapped.core.core  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("action_type", ACTION_TYPES)
@pytest.mark.filterwarnings("ignore:.*Box observation space (minimum|maximum)")
def test_gymnasium_and_sb3_checks(action_type: str) -> None:
    env = _make(action_type=action_type)
    check_env(env.unwrapped)
    sb3_check_env(env.unwrapped)
    observation, _ = env.reset(seed=0)
    assert observation.shape == (V0_SIZE + 3 * K + 10,)
    expected = {"continuous": (K + K * (C + 1) + 6 + 1,), "multi_discrete": (2 * K + 2,)}
    assert env.action_space.shape == expected.get(action_type, ())
    if action_type == "discrete":
        assert env.action_space.n == 216  # type: ignore[attr-defined]


def test_v1_with_every_feature_off_is_v0() -> None:
    """v0's model, drawn as v1 draws (one block of uniforms per env and step)."""
    off = {
        **NO_DRAWS,
        "channel_memory": "independent",
        "traffic": "full_buffer",
        "rate_splitting": False,
        "beam_switch_cost": 0.0,
        "power_change_cost": 0.0,
        "geo_penalty_per_db": 0.05,
        "geo_penalty_cap": None,
        "expose_task": False,
    }
    v0 = gym.make("wmoe/SatelliteBeamforming-v0")
    binding = v0.unwrapped.binding  # type: ignore[attr-defined]
    binding.core = SatelliteCore(binding.core.config, 1, block_draws=True)
    runs = []
    for env in (v0, _make(**off)):
        env.action_space.seed(1)
        trace = [env.reset(seed=4)[0]]
        for _ in range(5):
            observation, reward, *_ = env.step(env.action_space.sample())
            trace += [observation, np.array([reward], dtype=np.float32)]
        runs.append(np.concatenate(trace))
    np.testing.assert_array_equal(*runs)


def test_seeded_runs_repeat() -> None:
    runs = []
    for _ in range(2):
        env = _make(outdated_csi=True)
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
    config = {"action_type": action_type, "episode_length": 3}
    native = gym.make_vec(ENV_ID, num_envs=4, config=config, autoreset_mode=mode)
    assert isinstance(native, SatelliteBeamformingV1VectorEnv)
    sync = SyncVectorEnv([lambda: _make(**config) for _ in range(4)], autoreset_mode=mode)
    np.testing.assert_array_equal(native.reset(seed=5)[0], sync.reset(seed=5)[0])
    assert len(set(native.unwrapped.core.task[:, 0])) == 2  # both bands in the batch
    native.action_space.seed(2)
    for _ in range(7):
        actions = native.action_space.sample()
        ours, theirs = native.step(actions), sync.step(actions)
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
        np.testing.assert_array_equal(ours[2], theirs[2])
        np.testing.assert_array_equal(ours[3], theirs[3])
        for info in (ours[4], theirs[4]):
            info.pop("final_info", None), info.pop("final_obs", None)
        assert_infos_equal(ours[4], theirs[4])


def test_native_vector_equals_sync_with_outdated_csi_and_arrivals() -> None:
    # Every part of a step's block is read: CSI errors, hot-spot users, frequent arrivals.
    config = {"outdated_csi": True, "arrival_probability": 0.5, "episode_length": 4}
    native = gym.make_vec(ENV_ID, num_envs=5, config=config)
    sync = SyncVectorEnv([lambda: _make(**config) for _ in range(5)])
    np.testing.assert_array_equal(native.reset(seed=11)[0], sync.reset(seed=11)[0])
    native.action_space.seed(3)
    for _ in range(6):
        actions = native.action_space.sample()
        ours, theirs = native.step(actions), sync.step(actions)
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_array_equal(ours[1], theirs[1])
        assert_infos_equal(ours[4], theirs[4])


def test_actions_shape_the_future() -> None:
    # Same seed, different actions: the backlogs and the previous decision in later
    # observations differ (in v0 only the previous step's I/N entries did).
    observations = []
    for serve in (False, True):
        env = _make()
        env.reset(seed=9)
        for _ in range(3):
            silent = np.full(env.action_space.shape, -1.0, dtype=np.float32)
            env.step(baseline_action("zf_waterfilling", env.unwrapped) if serve else silent)
        observation, *_ = env.step(np.zeros(env.action_space.shape, dtype=np.float32))
        observations.append(observation)
    backlog = slice(V0_SIZE, V0_SIZE + K)
    previous_power = slice(V0_SIZE + 2 * K, V0_SIZE + 3 * K)
    assert np.all(observations[0][backlog] >= observations[1][backlog])  # served nothing
    assert np.sum(observations[0][backlog] - observations[1][backlog]) > 0.5
    # The previous decision is the same last action in both.
    np.testing.assert_array_equal(observations[0][previous_power], observations[1][previous_power])
    np.testing.assert_array_equal(observations[0][-10:], observations[1][-10:])  # same task


def test_switching_costs_count_changes() -> None:
    env = _make(**NO_DRAWS, beam_switch_cost=0.4, power_change_cost=0.2)
    env.reset(seed=1)
    core = _core(env)
    first = Decision(np.full((1, K), 0.25), np.zeros((1, K), int), np.array([1]))
    assert core.evaluate(ENV0, first).switching_cost[0] == 0.0  # no previous decision
    codec = env.unwrapped.codec  # type: ignore[attr-defined]
    env.step(codec.encode(first, core.cell_colours(ENV0))[0])
    colour = np.zeros((1, K), int)
    colour[0, :2] = 1  # two of eight beams change sub-band
    second = Decision(np.full((1, K), 0.75), colour, np.array([1]), np.zeros(1))
    outcome = core.evaluate(ENV0, second)
    change = np.abs(outcome.beam_power_w / core.beam_cap_w[0] - 0.25).mean()
    assert outcome.switching_cost[0] == pytest.approx(0.4 * 2 / K + 0.2 * change)


def test_markov_channel_holds_still_without_motion() -> None:
    env = _make(
        **NO_DRAWS,
        user_speed_mps=0.0,
        clutter_height_m=0.0,
        arrival_probability=0.0,
        ntn_scenario="urban",
    )
    env.reset(seed=2)
    core = _core(env)
    los, shadow = core.los[0].copy(), core.shadow_z[0].copy()
    for _ in range(4):
        env.step(env.action_space.sample())
    np.testing.assert_array_equal(core.los[0], los)  # lambda = 1: the chain stays
    np.testing.assert_allclose(core.shadow_z[0], shadow)  # rho = 1: no innovation


def _tiny(traffic: str = "full_buffer") -> tuple[gym.Env[Any, Any], SatelliteCore]:
    env = _make(
        **NO_DRAWS,
        num_users=2,
        num_subbands=1,
        num_geo_terminals=0,
        traffic=traffic,
        beam_switch_cost=0.0,
        power_change_cost=0.0,
    )
    env.reset(seed=3)
    return env, _core(env)


def _rs(common: float | None) -> Decision:
    return Decision(
        np.full((1, 2), 0.3),
        np.zeros((1, 2), dtype=np.int64),
        np.array([PRECODERS.index("rzf")]),
        None if common is None else np.array([common]),
    )


def test_rate_splitting_with_no_common_power_is_sdma() -> None:
    _, core = _tiny()
    sdma, rs = core.evaluate(ENV0, _rs(None)), core.evaluate(ENV0, _rs(0.0))
    np.testing.assert_array_equal(rs.user_se, sdma.user_se)
    assert rs.common_se[0] == 0.0 and rs.reward[0] == sdma.reward[0]


def test_rows_without_common_power_skip_nothing_that_counts() -> None:
    # The batch computes the common precoder only for rows with common power; every row must
    # equal its own evaluation, and a row without common power the same row without RSMA.
    env = SatelliteBeamformingV1VectorEnv(8, config={"band_weights": None})
    env.reset(seed=4)
    core = env.core.core
    envs = np.arange(8)
    rng = np.random.default_rng(0)
    k = core.num_users
    fractions = np.where(envs % 2 == 0, 0.0, 0.3)
    decision = Decision(
        rng.uniform(0.2, 1.0, (8, k)),
        rng.integers(0, core.num_subbands + 1, (8, k)),
        rng.integers(0, len(PRECODERS), 8),
        fractions,
    )
    batch = core.evaluate(envs, decision)
    for row in envs:
        alone = core.evaluate(envs[row : row + 1], decision.rows(envs[row : row + 1]))
        assert alone.reward[0] == batch.reward[row]
        np.testing.assert_array_equal(alone.user_se[0], batch.user_se[row])
        np.testing.assert_array_equal(alone.i_over_n_db[0], batch.i_over_n_db[row])
        if fractions[row] == 0.0:
            one = decision.rows(envs[row : row + 1])
            sdma = Decision(one.power_fraction, one.colour, one.precoder)
            no_rsma = core.evaluate(envs[row : row + 1], sdma)
            np.testing.assert_array_equal(no_rsma.user_se[0], batch.user_se[row])
            assert batch.common_se[row] == 0.0


def test_common_rate_is_the_min_over_users_and_split_by_demand() -> None:
    _, core = _tiny()
    decision = _rs(0.2)
    outcome = core.evaluate(ENV0, decision)
    # By hand: private beams at their budget (1 - 0.2) P, interference of every private beam
    # (own included) to the common stream; the common rate is the min over the two users.
    gain, _, _ = core.coupling(ENV0, decision, known=False)
    powers = core.beam_powers(ENV0, decision)[0]
    assert powers.sum() == pytest.approx(0.8 * core.total_power_w[0])
    common_gain, _ = core.common_coupling(ENV0, decision, known=False)
    private_rx = gain[0, 0] @ powers
    sinr_common = 0.2 * core.total_power_w[0] * common_gain[0] / (private_rx + 1.0)
    common = np.log2(1.0 + sinr_common).min()
    assert outcome.common_se[0] == pytest.approx(common, rel=1e-12)
    signal = np.diagonal(gain[0, 0]) * powers
    private = np.log2(1.0 + signal / (private_rx - signal + 1.0))
    np.testing.assert_allclose(outcome.user_se[0], private + common / 2, rtol=1e-12)  # equal split
    # With queues the common rate goes to the demand left after the private rates.
    _, queued = _tiny("queues")
    queued.backlog[0] = [1e-3, 1e3]  # user 0 is served by its private rate alone
    split = queued.evaluate(ENV0, decision)
    private_q = split.user_se[0] - np.array([0.0, split.common_se[0]])
    assert split.served_se[0, 0] == pytest.approx(1e-3 / 2.0)
    assert split.user_se[0, 1] == pytest.approx(private_q[1] + split.common_se[0])


def test_common_precoder_is_the_dominant_direction() -> None:
    # Brute force: no combination of the users' steering vectors gets more SNR-weighted power
    # to the users per unit norm than the common precoder (the top singular vector).
    _, core = _tiny()
    decision = _rs(0.2)
    gain, _ = core.common_coupling(ENV0, decision, known=True)
    weight = np.abs(core.fading_known[0]) ** 2 * core.gamma[0]
    best = np.sum(gain[0] / weight * weight)
    rng = np.random.default_rng(0)
    gram = core.gram[0]
    for _ in range(2000):
        theta = rng.standard_normal(2) + 1j * rng.standard_normal(2)
        response = gram @ theta
        power = np.abs(response) ** 2 / np.real(np.conj(theta) @ response)
        scale = core.bandwidth_hz[0] / core.num_subbands
        assert np.sum(power * weight) / scale <= best * (1 + 1e-9)


def test_reference_dominates_the_baselines_on_seeded_episodes() -> None:
    # On every step of the reference's episodes, each baseline's decision earns no more on the
    # same state (true CSI = known CSI); and over the episodes no baseline returns more.
    env = _make(episode_length=8)
    planners = {name: planner for name, planner in BASELINES.items() if planner is not None}
    returns: dict[str, list[float]] = {name: [] for name in BASELINES}
    for seed in (21, 22, 23):
        for name in BASELINES:
            env.reset(seed=seed)
            rng = np.random.default_rng(0)
            total = 0.0
            for _ in range(8):
                if name == REFERENCE:
                    core = _core(env)
                    step = {
                        p: core.evaluate(ENV0, f(core, ENV0)).reward[0] for p, f in planners.items()
                    }
                    assert all(step[REFERENCE] >= r - 1e-12 for r in step.values()), step
                _, reward, *_ = env.step(baseline_action(name, env.unwrapped, rng))
                total += float(reward)
            returns[name].append(total)
    means = {name: float(np.mean(values)) for name, values in returns.items()}
    assert all(means[REFERENCE] >= mean for mean in means.values()), means
    assert means[REFERENCE] > means["wmmse"] + 0.1, means


def test_geo_penalty_saturates_at_the_cap_per_terminal() -> None:
    # Terminals 0, 2.5 and 100 dB above the threshold, w = 0.2 / dB, cap 0.5: the bounded
    # penalty is 0 + 0.5 (1 - e^-1) + 0.5 (1 - e^-40); unbounded (v0) it is 0.2 x 102.5.
    excess = np.array([[0.0, 2.5, 100.0], [1e-6, 0.0, 0.0]])
    w = np.array([0.2, 2.0])
    bounded = geo_penalty(excess, w, 0.5)
    assert bounded[0] == pytest.approx(0.5 * (1.0 - np.exp(-1.0)) + 0.5, rel=1e-12)
    assert bounded[0] == pytest.approx(0.81606027941, rel=1e-10)
    assert bounded[1] == pytest.approx(2.0 * 1e-6, rel=1e-5)  # slope w at the threshold
    np.testing.assert_allclose(geo_penalty(excess, w, None), [0.2 * 102.5, 2.0 * 1e-6])
    # Every further dB still costs, and no terminal costs the cap (up to 30 dB).
    grid = np.linspace(0.0, 30.0, 61)[:, None].astype(np.float64)
    rising = geo_penalty(grid, np.full(61, 0.2), 0.5)
    assert np.all(np.diff(rising) > 0.0) and np.all(rising < 0.5)


@pytest.mark.parametrize("profile", ["balanced", "protect_geo"])
def test_geo_penalty_in_the_env_is_the_bounded_sum(profile: str) -> None:
    # S band, matched-filter beams at full power: tens of dB of I/N at the terminals.
    env = _make(**NO_DRAWS, band="s", reward_profile=profile, geo_layout="near_users")
    env.reset(seed=5)
    core = _core(env)
    w = {"balanced": 0.2, "protect_geo": 2.0}[profile]
    threshold = core.config["geo_i_over_n_threshold_db"]  # 10 log10(0.06): -12.2 dB
    decision = Decision(np.ones((1, K)), core.cell_colours(ENV0), np.array([0]), np.zeros(1))
    outcome = core.evaluate(ENV0, decision)
    excess = np.maximum(outcome.i_over_n_db[0] - threshold, 0.0)
    assert excess.max() > 10.0
    hand = sum(0.5 * (1.0 - np.exp(-w * x / 0.5)) for x in excess)
    assert outcome.penalty[0] == pytest.approx(hand, rel=1e-12)
    assert 0.0 < outcome.penalty[0] <= M * 0.5  # saturated terminals round to the cap
    codec = env.unwrapped.codec  # type: ignore[attr-defined]
    *_, info = env.step(codec.encode(decision, core.cell_colours(ENV0))[0])
    stepped = np.maximum(np.asarray(info["geo_i_over_n_db"]) - threshold, 0.0)
    hand = sum(0.5 * (1.0 - np.exp(-w * x / 0.5)) for x in stepped)
    assert float(info["geo_penalty"]) == pytest.approx(hand, rel=1e-12)


def _geo_blind(name: str) -> Any:
    """A policy that plans baseline ``name`` as if the GEO penalty were zero."""

    def policy(env: gym.Env[Any, Any]) -> Any:
        core = _core(env)
        saved = core.geo_penalty_per_db.copy()
        core.geo_penalty_per_db[:] = 0.0
        try:
            return baseline_action(name, env.unwrapped)
        finally:
            core.geo_penalty_per_db[:] = saved

    return policy


def _episode_return(env: gym.Env[Any, Any], policy: Any, seed: int) -> float:
    env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        _, reward, terminated, truncated, _ = env.step(policy(env))
        total += float(reward)
        done = terminated or truncated
    return total


@pytest.mark.parametrize("profile", ["balanced", "protect_geo"])
@pytest.mark.parametrize("layout", ["uniform", "near_users"])
def test_ignoring_geo_scores_below_respecting_it(profile: str, layout: str) -> None:
    # S band (the GEO regime: handheld beams leak tens of dB of I/N into the VSATs). Full-power
    # matched-filter beams (four colours) against ZF with GEO nulls; and the reference search
    # planned GEO-blind (rate only) against the reference.
    env = _make(**NO_DRAWS, band="s", reward_profile=profile, geo_layout=layout, episode_length=16)
    for seed in (31, 32):
        ignoring = _episode_return(
            env, lambda e: baseline_action("four_colour_full_power", e.unwrapped), seed
        )
        respecting = _episode_return(
            env, lambda e: baseline_action("zf_waterfilling", e.unwrapped), seed
        )
        assert ignoring < respecting - 0.5 * 16, (seed, ignoring, respecting)
        blind = _episode_return(env, _geo_blind(REFERENCE), seed)
        reference = _episode_return(env, lambda e: baseline_action(REFERENCE, e.unwrapped), seed)
        assert blind < reference - 0.5 * 16, (seed, blind, reference)


def test_reference_dominates_every_baseline_in_each_regime() -> None:
    # Per band x reward profile, over seeded episodes: the reference returns more than random
    # and each baseline; and the normalised score's span R_ref - R_random is of one scale
    # across the regimes (the unbounded GEO penalty made it ~100x larger in S band).
    spans = {}
    for band in ("ka", "s"):
        for profile in REWARD_PROFILES:
            env = _make(
                band_weights=None,
                band=band,
                reward_profile_weights=None,
                reward_profile=profile,
                episode_length=16,
            )
            means = {}
            for name in BASELINES:
                rng = np.random.default_rng(0)
                means[name] = np.mean(
                    [
                        _episode_return(
                            env, lambda e, n=name, r=rng: baseline_action(n, e.unwrapped, r), seed
                        )
                        for seed in (41, 42)
                    ]
                )
            others = {name: mean for name, mean in means.items() if name != REFERENCE}
            assert all(means[REFERENCE] > mean for mean in others.values()), (band, profile, means)
            spans[band, profile] = means[REFERENCE] - means["random"]
    assert max(spans.values()) < 4.0 * min(spans.values()), spans


def test_baselines_encode_into_every_form() -> None:
    for action_type in ACTION_TYPES:
        env = _make(action_type=action_type)
        env.reset(seed=0)
        for name in BASELINES:
            assert env.action_space.contains(baseline_action(name, env.unwrapped))


def test_task_draws_follow_the_weights() -> None:
    weights = {
        "band_weights": [1.0, 3.0],
        "user_distribution_weights": [1.0, 1.0],
        "geo_layout_weights": [2.0, 1.0, 1.0],
        "reward_profile_weights": [1.0, 0.0, 1.0],
    }
    n = 400
    vector = gym.make_vec(ENV_ID, num_envs=n, config=weights)
    vector.reset(seed=0)
    task = vector.unwrapped.core.task  # type: ignore[attr-defined]
    for column, key in enumerate(TASK_WEIGHT_KEYS):
        p = np.asarray(weights[key]) / np.sum(weights[key])
        counts = np.bincount(task[:, column], minlength=len(p))
        tolerance = 4.0 * np.sqrt(n * p * (1 - p)) + 1e-9
        assert np.all(np.abs(counts - n * p) <= tolerance), (FACTORS[column], counts, p)
        assert np.all(counts[p == 0] == 0)
    observations = vector.reset(seed=0)[0]
    one_hot = observations[:, -10:]
    np.testing.assert_array_equal(one_hot.sum(1), 4.0)
    np.testing.assert_array_equal(one_hot[np.arange(n), task[:, 0]], 1.0)


def test_each_env_carries_its_episodes_band_constants() -> None:
    # One core holds both bands: every env's carrier, bandwidth, array and power budget are
    # those of the band drawn for its episode.
    env = SatelliteBeamformingV1VectorEnv(16)
    env.reset(seed=2)
    mix = env.core
    core = mix.core
    bands = [BANDS[int(index)] for index in mix.task[:, 0]]
    assert set(bands) == {"ka", "s"}
    for i, band in enumerate(bands):
        preset = BAND_PRESETS[band]
        assert core.links[core.band[i]].name == band
        assert core.carrier_hz[i] == preset.carrier_hz
        assert core.bandwidth_hz[i] == preset.bandwidth_hz
        assert tuple(core.array_size[i]) == preset.array_size
        assert core.total_power_w[i] == core.links[core.band[i]].total_power_w
        assert abs(core.gram[i, 0, 0]) == preset.array_size[0] * preset.array_size[1]


def test_fixed_task_keys_and_hidden_task() -> None:
    env = _make(**NO_DRAWS, band="s", geo_layout="near_users", expose_task=False)
    observation, _ = env.reset(seed=0)
    assert observation.shape == (V0_SIZE + 3 * K,)
    core = _core(env)
    assert [link.name for link in core.links] == ["s"] and core.band[0] == 0
    distance = np.linalg.norm(
        core.terminal_offsets_m[0][:, None] - core.user_offsets_m[0][None], axis=-1
    ).min(1)
    assert np.all(distance < 6 * 8e3)  # each terminal beside a user (cluster_std_m)


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"band_weights": [0.0, 0.0]}, r"band_weights=\[0.0, 0.0\] sums to 0"),
        ({"geo_layout_weights": [1.0, 1.0]}, r"config\['geo_layout_weights'\]=.*length 3"),
        ({"reward_profile_weights": [1.0, -1.0, 0.0]}, r"config\['reward_profile_weights'\]"),
        ({"traffic": "bursty"}, r"config\['traffic'\]='bursty' is invalid"),
        ({"traffic_load_range_se": [5.0, 1.0]}, r"traffic_load_range_se=\[5.0, 1.0\] has low"),
        ({"expose_task": "yes"}, r"config\['expose_task'\]='yes' is invalid"),
        ({"geo_layout": "ring"}, r"config\['geo_layout'\]='ring' is invalid"),
        ({"shadowing_correlation_distance_m": 0.0}, r"'shadowing_correlation_distance_m'\]"),
    ],
)
def test_bad_config_raises(config: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _make(**config)
    with pytest.raises(ConfigError, match=match):
        SatelliteBeamformingV1VectorEnv(2, config)


def test_renders_each_band() -> None:
    env = gym.make(ENV_ID, config={"episode_length": 2}, render_mode="rgb_array")
    bands = set()
    for seed in range(6):
        env.reset(seed=seed)
        env.step(env.action_space.sample())
        frame = env.render()
        assert frame is not None and frame.ndim == 3
        bands.add(int(env.unwrapped.core.task[0, 0]))  # type: ignore[attr-defined]
    assert bands == {0, 1}

"""``wmoe/MultiAccess-v0``/``-v1``: API checks, observations, rewards, vectorisation, baselines."""

from __future__ import annotations

import typing
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.utils.seeding import np_random
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from vector_checks import assert_infos_equal

import wmoe  # noqa: F401
from wmoe.config import ConfigError
from wmoe.envs.action_checks import InvalidActionError
from wmoe.envs.multi_access.baselines import (
    BASELINES,
    TUNED,
    TUNING_GRID,
    baseline_action,
    mean_returns,
    optimal_idle_slot_probability,
    tdma_aloha_parameters,
    tuned_parameter,
    upper_bound_returns,
)
from wmoe.envs.multi_access.bounds import alpha_fair_utility, reward_range
from wmoe.envs.multi_access.config import (
    ANY_SCENARIO,
    MixName,
    MultiAccessConfig,
    MultiAccessV1Config,
)
from wmoe.envs.multi_access.core import MultiAccessCore, jain_index
from wmoe.envs.multi_access.scenarios import MIX_NAMES, MIXES, TRAFFIC_MODELS, sample_nodes
from wmoe.envs.multi_access.vector import MultiAccessV1VectorEnv, MultiAccessVectorEnv

ENV_ID = "wmoe/MultiAccess-v0"
V1_ID = "wmoe/MultiAccess-v1"


def _make(**config: Any) -> gym.Env[Any, Any]:
    return gym.make(ENV_ID, config=config)


def _core(env: gym.Env[Any, Any]) -> MultiAccessCore:
    return env.unwrapped.core  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"action_type": "continuous"},
        {"num_channels": 2, "expose_task": True, "traffic": "bursty"},
        {"reward": "success", "scenario": "tdma+aloha"},
    ],
)
def test_gymnasium_and_sb3_checks(config: dict[str, Any]) -> None:
    env = _make(**config)
    check_env(env.unwrapped)
    sb3_check_env(env.unwrapped)
    c = config.get("num_channels", 1)
    size = 20 * (1 + 5 * c) + (len(MIX_NAMES) if config.get("expose_task") else 0)
    assert env.observation_space.shape == (size,)
    continuous = config.get("action_type") == "continuous"
    assert env.action_space.shape == ((1 + c,) if continuous else ())


def test_scenario_sampler_draws_every_mix_within_its_node_bound() -> None:
    rng = np.random.default_rng(0)
    for mix, (_, most) in MIXES.items():
        counts = [len(sample_nodes(rng, mix, "bursty", 3)[0]) for _ in range(200)]
        assert max(counts) == most, mix
    env = _make()
    seen = {int(_core(env).mix[0]) for seed in range(60) if env.reset(seed=seed)}
    assert seen == set(range(len(MIX_NAMES)))


def test_observation_reports_action_and_outcome() -> None:
    env = _make(scenario="wifi", num_channels=2, history_slots=3, expose_task=True)
    observation, _ = env.reset(seed=4)
    assert np.all(observation[:-5] == 0)  # no slot yet
    core = _core(env)
    for action in (0, 2, 1, 0):
        others = core.legacy_tx[0] & core.nodes.active[0]
        busy = [bool((others & (core.nodes.channel[0] == c)).any()) for c in range(2)]
        observation, _, _, _, info = env.step(action)
        last = observation[2 * 11 : 3 * 11]
        np.testing.assert_array_equal(last[:3], np.eye(3)[action])
        outcomes = last[3:].reshape(2, 4)  # idle, success, collision, busy
        for c in range(2):
            if action == 0:
                expected = np.eye(4)[3 if busy[c] else 0]
            elif action == 1 + c:
                expected = np.eye(4)[2 if busy[c] else 1]
                assert info["success"] == (not busy[c])
            else:
                expected = np.zeros(4)  # half-duplex: not sensed while transmitting
            np.testing.assert_array_equal(outcomes[c], expected)
        np.testing.assert_array_equal(observation[-5:], np.eye(5)[MIX_NAMES.index("wifi")])


def test_rewards_and_info() -> None:
    for alpha in (0.0, 0.5, 1.0):
        env = _make(scenario="mixed", alpha=alpha, fairness_window_slots=10)
        env.reset(seed=1)
        core = _core(env)
        for step in range(30):
            _, reward, _, _, info = env.step(step % 2)
        theta = core.running_throughput[0]
        mask = info["node_mask"]
        expected = alpha_fair_utility(theta, alpha, 0.1)[mask].sum()
        assert reward == pytest.approx(expected)
    assert info["agent_throughput"] == info["throughput"][0] == core.successes[0, 0] / 30
    assert info["sum_throughput"] == pytest.approx(info["throughput"][mask].sum())
    assert info["jain_index"] == pytest.approx(jain_index(info["throughput"], mask))
    assert info["collisions"][0] == core.collisions[0, 0] and info["mix"] == 4
    env = _make(reward="success")
    env.reset(seed=0)
    for _ in range(20):
        _, reward, _, _, info = env.step(1)
        assert reward == float(info["success"]) and not (info["success"] and info["collision"])
    # Jain: (sum x)^2 / (n sum x^2) over the masked entries; 1 when all are 0.
    x = np.array([[0.2, 0.2, 0.6, 9.0], [0.0, 0.0, 0.0, 0.0]])
    masks = np.array([[True, True, True, False], [True, True, False, False]])
    np.testing.assert_allclose(jain_index(x, masks), [1.0 / (3 * 0.44), 1.0])


def test_alpha_fair_sum_throughput_return_counts_every_success() -> None:
    env = _make(scenario="aloha", episode_slots=400, fairness_window_slots=5)
    env.reset(seed=2)
    total = 0.0
    for _ in range(400):
        _, reward, _, _, info = env.step(0)
        total += reward
    successes = info["throughput"][info["node_mask"]].sum() * 400
    assert successes - 5 <= total <= successes  # each success spread over ~5 slots


def test_seeded_runs_repeat_and_episodes_truncate() -> None:
    runs = []
    for _ in range(2):
        env = _make(episode_slots=30, traffic="bursty")
        observation, _ = env.reset(seed=7)
        trace = [observation]
        for step in range(30):
            observation, reward, terminated, truncated, _ = env.step(step % 2)
            trace += [observation, np.array([reward])]
            assert not terminated and truncated == (step == 29)
        runs.append(np.concatenate(trace))
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize(
    "config",
    [{"episode_slots": 7}, {"episode_slots": 5, "num_channels": 3, "action_type": "continuous"}],
)
def test_native_vector_equals_sync(mode: AutoresetMode, config: dict[str, Any]) -> None:
    native = gym.make_vec(ENV_ID, num_envs=4, config=config, autoreset_mode=mode)
    assert isinstance(native, MultiAccessVectorEnv)
    sync = SyncVectorEnv([lambda: _make(**config) for _ in range(4)], autoreset_mode=mode)
    assert native.action_space == sync.action_space
    _assert_steps_equal(native, sync, seed=5, action_seed=2, steps=25)


def _assert_steps_equal(
    native: Any, sync: SyncVectorEnv, seed: int, action_seed: int, steps: int
) -> None:
    """Native and sync vector envs reset alike and step alike on the same random actions."""
    np.testing.assert_array_equal(native.reset(seed=seed)[0], sync.reset(seed=seed)[0])
    native.action_space.seed(action_seed)
    for _ in range(steps):
        actions = native.action_space.sample()
        ours, theirs = native.step(actions), sync.step(actions)
        for a, b in zip(ours[:4], theirs[:4], strict=True):
            np.testing.assert_array_equal(a, b)
        for info in (ours[4], theirs[4]):
            info.pop("final_info", None), info.pop("final_obs", None)
        assert_infos_equal(ours[4], theirs[4])


def test_model_aware_optimum_matches_the_closed_form() -> None:
    # 40 tdma+aloha tasks x 1,500 slots: the agent's and the ALOHA node's throughputs.
    for reward, alpha in (("success", 0.0), ("alpha_fair", 0.0), ("alpha_fair", 1.0)):
        config = {**_make().unwrapped.config, "scenario": "tdma+aloha"}  # type: ignore[attr-defined]
        config.update(reward=reward, alpha=alpha, episode_slots=1500)
        core = MultiAccessCore(config, 40)
        rngs = [np_random(seed)[0] for seed in range(40)]
        envs = np.arange(40)
        core.reset(envs, rngs)
        policy = BASELINES["model_aware_optimum"]
        rng = np.random.default_rng(0)
        for _ in range(1500):
            _, _, info = core.step(envs, policy(core, envs, rng, np.zeros(40))[:, None], rngs)
        agent, aloha = [], []
        for env in envs:
            pattern, q = tdma_aloha_parameters(core, int(env))
            p = optimal_idle_slot_probability(q, reward, alpha)
            idle = 1 - pattern.mean()
            agent.append(idle * p * (1 - q)), aloha.append(idle * q * (1 - p))
        measured = info["throughput"]
        assert measured[:, 0].mean() == pytest.approx(np.mean(agent), abs=0.005)
        assert measured[:, 2].mean() == pytest.approx(np.mean(aloha), abs=0.005)  # q-ALOHA


def test_optimal_idle_slot_probability_closed_form() -> None:
    assert optimal_idle_slot_probability(0.3, "success", 1.0) == 1.0
    assert optimal_idle_slot_probability(0.3, "alpha_fair", 0.0) == 1.0
    assert optimal_idle_slot_probability(0.7, "alpha_fair", 0.0) == 0.0
    assert optimal_idle_slot_probability(0.3, "alpha_fair", 1.0) == pytest.approx(0.5)
    assert optimal_idle_slot_probability(0.3, "alpha_fair", 1e6) == pytest.approx(0.3, abs=1e-4)
    # It maximises u(a) + u(b) over a grid at alpha = 2.
    q, p = 0.2, np.linspace(0.01, 0.99, 9801)
    utility = alpha_fair_utility(p * (1 - q), 2.0, 0.0) + alpha_fair_utility(q * (1 - p), 2.0, 0.0)
    best = optimal_idle_slot_probability(q, "alpha_fair", 2.0)
    assert p[np.argmax(utility)] == pytest.approx(best, abs=2e-4)


def test_baselines_rank_as_expected_on_tdma_aloha() -> None:
    env = _make(scenario="tdma+aloha", episode_slots=300)
    means: dict[str, float] = {}
    for name in BASELINES:
        rng, returns = np.random.default_rng(0), []
        for seed in range(3):
            env.reset(seed=seed)
            total, collided = 0.0, False
            for _ in range(300):
                _, reward, _, _, info = env.step(baseline_action(name, env.unwrapped, rng))
                total, collided = total + reward, collided or info["collision"]
            returns.append(total)
            if name == "idle_genie":
                assert not collided
        means[name] = float(np.mean(returns))
    assert means["idle_genie"] == max(means.values())
    assert means["model_aware_optimum"] > max(means["always_transmit"], means["random"]) + 20
    assert means["best_aloha_q"] >= means["random"]


def test_tuned_parameters_come_from_the_grid_on_their_own_seeds() -> None:
    config = _make().unwrapped.config  # type: ignore[attr-defined]
    assert tuned_parameter("best_aloha_q", config, "wifi") == 1.0  # silences the WiFi nodes
    q = tuned_parameter("best_aloha_q", config, "tdma+aloha")
    assert q in TUNING_GRID and q < 0.5  # sum throughput: colliding with TDMA is costly
    continuous = _make(action_type="continuous")
    continuous.reset(seed=0)
    scores = baseline_action("always_transmit", continuous.unwrapped)
    assert scores.shape == (2,) and int(np.argmax(scores)) == 1


@pytest.mark.parametrize(
    ("action_type", "action", "match"),
    [
        ("discrete", 2, r"out of range; expected an integer in \[0, 1\] \(0 waits"),
        ("discrete", -1, "out of range"),
        ("discrete", 0.5, "not integer-valued"),
        ("continuous", np.full(2, np.nan), "NaN or infinity"),
        ("continuous", np.zeros(3), r"shape \(1, 3\).*expected \(1, 2\)"),
        ("continuous", np.full(2, 2.0), r"leaves \[-1, 1\]"),
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
        ({"channels": 3}, "unknown config key 'channels'; valid keys are: num_channels"),
        ({"num_channels": 0}, r"config\['num_channels'\]=0 is invalid.*expected int, \[1, 16\]"),
        ({"history_slots": 2.5}, r"config\['history_slots'\]=2.5 is invalid.*valid integer"),
        ({"episode_slots": True}, r"config\['episode_slots'\]=True is invalid.*valid integer"),
        ({"scenario": "lte"}, r"config\['scenario'\]='lte' is invalid.*'any' \| 'tdma\+aloha'"),
        ({"mixes": []}, r"config\['mixes'\]=\[\] is invalid.*length >= 1"),
        ({"mixes": "wifi"}, r"config\['mixes'\]='wifi' is invalid.*valid list"),
        ({"mixes": ["wifi", "5g"]}, r"config\['mixes'\]\[1\]='5g' is invalid.*'wifi'"),
        ({"traffic": "poisson"}, r"config\['traffic'\]='poisson' is invalid.*'bursty'"),
        ({"reward": "sum"}, r"config\['reward'\]='sum' is invalid.*'success' \| 'alpha_fair'"),
        ({"alpha": -1.0}, r"config\['alpha'\]=-1.0 is invalid.*\[0, 10\]"),
        ({"alpha": float("inf")}, r"config\['alpha'\]=inf is invalid.*finite number"),
        ({"alpha": "0"}, r"config\['alpha'\]='0' is invalid.*valid number"),
        ({"expose_task": 1}, r"config\['expose_task'\]=1 is invalid.*valid boolean"),
        ({"expose_task": "no"}, r"config\['expose_task'\]='no' is invalid.*valid boolean"),
        ({"action_type": "box"}, r"config\['action_type'\]='box' is invalid"),
        ({"num_agents": 2}, r"config\['num_agents'\]=2 is invalid: the Gymnasium env has one"),
    ],
)
def test_bad_config_raises(config: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _make(**config)
    with pytest.raises(ConfigError, match=match):
        MultiAccessVectorEnv(2, config)


def test_schema_lists_every_mix_and_traffic_model() -> None:
    # The Literals of the schema are written out; they must name exactly the sampler's mixes.
    assert typing.get_args(MixName) == MIX_NAMES == tuple(MIXES)
    assert MultiAccessConfig().mixes == list(MIX_NAMES)
    traffic = typing.get_args(MultiAccessConfig.model_fields["traffic"].annotation)
    assert traffic == TRAFFIC_MODELS
    scenario = typing.get_args(MultiAccessConfig.model_fields["scenario"].annotation)
    assert scenario == (ANY_SCENARIO, *MIX_NAMES)


def test_pettingzoo_env_defaults_to_two_agents_and_validates() -> None:
    from wmoe.envs.multi_access.parallel import MultiAccessParallelEnv

    assert MultiAccessParallelEnv().config == {**MultiAccessConfig.defaults(), "num_agents": 2}
    assert MultiAccessParallelEnv({"num_agents": 1}).possible_agents == ["node_0"]
    with pytest.raises(ConfigError, match=r"config\['num_agents'\]=0 is invalid"):
        MultiAccessParallelEnv({"num_agents": 0})
    with pytest.raises(ConfigError, match=r"config\['mixes'\]\[0\]='lte' is invalid"):
        MultiAccessParallelEnv({"mixes": ["lte"]})
    with pytest.raises(ConfigError, match=r"config=\[\('num_agents', 2\)\] is invalid"):
        MultiAccessParallelEnv([("num_agents", 2)])  # type: ignore[arg-type]


def test_unknown_baseline_and_vector_args_raise() -> None:
    with pytest.raises(ValueError, match="unknown baseline 'best'"):
        baseline_action("best", _make().unwrapped)
    with pytest.raises(ValueError, match="num_envs must be >= 1"):
        MultiAccessVectorEnv(0)


def test_pettingzoo_parallel_api_and_seeding() -> None:
    from pettingzoo.test import parallel_api_test, parallel_seed_test

    from wmoe.envs.multi_access.parallel import MultiAccessParallelEnv

    parallel_api_test(MultiAccessParallelEnv({"episode_slots": 30}), num_cycles=100)
    parallel_seed_test(lambda: MultiAccessParallelEnv({"num_agents": 3, "num_channels": 2}))


def test_pettingzoo_agents_collide_with_each_other() -> None:
    from wmoe.envs.multi_access.parallel import MultiAccessParallelEnv

    env = MultiAccessParallelEnv({"scenario": "wifi", "reward": "success", "episode_slots": 3})
    env.reset(seed=0)
    _, rewards, _, truncated, infos = env.step({"node_0": 1, "node_1": 1})
    assert rewards == {"node_0": 0.0, "node_1": 0.0}
    assert infos["node_0"]["collision"] and infos["node_1"]["collision"]
    assert env.core.collisions[0, :2].tolist() == [1, 1] and not any(truncated.values())
    _, rewards, _, _, infos = env.step({"node_0": 1, "node_1": 0})
    assert infos["node_0"]["success"] == (rewards["node_0"] == 1.0) and rewards["node_1"] == 0.0
    with pytest.raises(ValueError, match=r"actions for \['node_0'\]; expected one for each"):
        env.step({"node_0": 1})
    with pytest.raises(InvalidActionError, match="out of range"):
        env.step({"node_0": 1, "node_1": 5})
    env.step({"node_0": 0, "node_1": 0})
    assert env.agents == []
    with pytest.raises(RuntimeError, match=r"call reset\(\) before step\(\)"):
        env.step({})


def test_v1_is_v0_with_new_defaults() -> None:
    v0, v1 = MultiAccessConfig.defaults(), MultiAccessV1Config.defaults()
    changed = {key for key in v0 if v0[key] != v1[key]}
    assert changed == {"history_slots", "alpha", "contention", "normalise_reward"}
    assert (v1["contention"], v1["alpha"], v1["normalise_reward"]) == ("sub_slots", 1.0, True)
    assert v1["history_slots"] >= 2 * 40  # two of the longest NR-U burst periods
    env = gym.make(V1_ID)
    check_env(env.unwrapped)
    assert env.observation_space.shape == (80 * 6,)
    assert isinstance(gym.make_vec(V1_ID, num_envs=2), MultiAccessV1VectorEnv)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize(
    "config",
    [
        {"episode_slots": 7},
        {"episode_slots": 6, "num_channels": 3, "traffic": "bursty", "subslots_per_slot": 3},
        {"episode_slots": 5, "normalise_reward": False, "alpha": 2.0, "scenario": "wifi"},
    ],
)
def test_v1_native_vector_equals_sync(mode: AutoresetMode, config: dict[str, Any]) -> None:
    native = gym.make_vec(V1_ID, num_envs=4, config=config, autoreset_mode=mode)
    sync = SyncVectorEnv(
        [lambda: gym.make(V1_ID, config=config) for _ in range(4)], autoreset_mode=mode
    )
    _assert_steps_equal(native, sync, seed=3, action_seed=1, steps=30)


def test_alpha_one_utility_is_bounded_below_by_its_floor() -> None:
    theta = np.array([0.0, 1e-9, 0.004, 0.01, 0.5, 1.0])
    utility = alpha_fair_utility(theta, 1.0, 0.01)
    assert np.all(np.isfinite(utility)) and np.all(utility >= np.log(0.01))
    np.testing.assert_allclose(utility[:4], np.log(0.01))


@pytest.mark.parametrize("mix", MIX_NAMES)
def test_v1_rewards_lie_between_the_floor_and_the_per_slot_bound(mix: str) -> None:
    env = gym.make(V1_ID, config={"scenario": mix, "num_channels": 2})
    env.reset(seed=11)
    core = _core(env)
    env.action_space.seed(0)
    for slot in range(1, 201):
        _, reward, *_ = env.step(env.action_space.sample())
        _, bound = reward_range(core.nodes, np.zeros(1, dtype=np.int64), core.config, slot)
        high = (bound[0] - core.reward_offset[0]) / core.reward_scale[0]
        assert -1e-12 <= reward <= high + 1e-9


@pytest.mark.parametrize(
    ("env_id", "config"),
    [(V1_ID, {}), (ENV_ID, {}), (V1_ID, {"alpha": 0.5, "normalise_reward": False})],
)
def test_upper_bound_dominates_every_baseline_on_every_mix(
    env_id: str, config: dict[str, Any]
) -> None:
    seeds = [0, 1, 2, 3]
    for mix in MIX_NAMES:
        full = gym.make(env_id, config={**config, "scenario": mix, "episode_slots": 150})
        resolved = full.unwrapped.config  # type: ignore[attr-defined]
        bounds = upper_bound_returns(resolved, seeds)
        for name in BASELINES:
            parameter = tuned_parameter(name, resolved, mix) if name in TUNED else 0.0
            for seed, bound in zip(seeds, bounds, strict=True):
                (achieved,) = mean_returns(resolved, name, np.array([parameter]), [seed])
                assert achieved <= bound + 1e-9, (mix, name, seed)


def test_v1_idle_genie_never_collides_or_takes_a_slot() -> None:
    env = gym.make(V1_ID, config={"scenario": "mixed", "num_channels": 2})
    env.reset(seed=5)
    core = _core(env)
    for _ in range(300):
        planned = core.legacy_plan(np.zeros(1, dtype=np.int64))[0].copy()
        _, _, _, _, info = env.step(baseline_action("idle_genie", env.unwrapped))
        assert not info["collision"]
        if info["success"]:  # it sent where every legacy node would have stayed silent
            busy = planned & (core.nodes.channel[0] == core.history[0, 0, -1, :3].argmax() - 1)
            assert not busy.any()

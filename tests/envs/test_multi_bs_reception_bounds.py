"""The hindsight optimum of ``wmoe/MultiBSReception*-v1`` episodes: exact, attained, a bound."""

from __future__ import annotations

import itertools
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import wmoe  # noqa: F401
from wmoe.agents.evaluate import baseline_policies, run_episodes, upper_bound_of
from wmoe.envs.multi_bs_reception.baselines_v1 import BASELINES, upper_bound
from wmoe.envs.multi_bs_reception.bounds import (
    best_set_sequence,
    episode_trajectory,
    hindsight_plan,
)

MOBILITY = "wmoe/MultiBSReceptionMobility-v1"
SEEDS = [1_000_000, 1_000_001, 1_000_002]
EPISODE_LENGTH = 16


def make(config: dict[str, Any], **overrides: Any) -> Any:
    return gym.make(MOBILITY, config={**config, "episode_length": EPISODE_LENGTH, **overrides})


def sequence_return(
    set_rewards: np.ndarray, sets: tuple[int, ...] | np.ndarray, initial_set: int, loss: float
) -> float:
    previous = np.r_[initial_set, np.asarray(sets)[:-1]]
    changed = np.asarray(sets) != previous
    return float((set_rewards[np.arange(len(sets)), sets] * (1.0 - loss * changed)).sum())


@pytest.mark.parametrize("loss", [0.0, 0.3, 0.9])
@pytest.mark.parametrize(("steps", "num_sets"), [(5, 3), (4, 4), (3, 1), (1, 5)])
def test_viterbi_equals_exhaustive_search(loss, steps, num_sets):
    rng = np.random.default_rng(steps * 10 + num_sets)
    for _ in range(5):
        set_rewards = rng.uniform(0.0, 10.0, size=(steps, num_sets))
        initial_set = int(rng.integers(num_sets))
        best = max(
            sequence_return(set_rewards, candidate, initial_set, loss)
            for candidate in itertools.product(range(num_sets), repeat=steps)
        )
        sets = best_set_sequence(set_rewards, initial_set, loss)
        assert sequence_return(set_rewards, sets, initial_set, loss) == pytest.approx(best)


def test_plan_does_not_switch_for_a_short_gain():
    # The myopic oracle switches to set 1 at step 0 (0.7 * 15 > 10), then back (0.7 * 10 > 0):
    # 17.5. Staying on set 0 earns 20.
    set_rewards = np.array([[10.0, 15.0], [10.0, 0.0]])
    sets = best_set_sequence(set_rewards, initial_set=0, loss=0.3)
    np.testing.assert_array_equal(sets, [0, 0])


def test_trajectory_does_not_depend_on_the_actions(reception_config):
    env = make(reception_config).unwrapped
    trajectory = episode_trajectory(env, SEEDS[0])
    users = trajectory.users
    env.reset(seed=SEEDS[0])
    assert int(env.core.current_set[0]) == trajectory.initial_set
    assert trajectory.activity is None
    env.action_space.seed(3)
    random_users = []
    for _ in range(EPISODE_LENGTH):
        random_users.append(env.step(env.action_space.sample())[4]["user_index"])
    np.testing.assert_array_equal(users, random_users)
    assert len(np.unique(users)) > 1


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"precoder_selection": "agent", "action_type": "multi_discrete"},
        {"action_type": "continuous", "reassociation_latency_s": 0.05},
        # Interferers drawn active per step: the bound uses each step's realised activity.
        {"interference": "coloured", "interferer_activity": 0.5},
    ],
)
def test_replaying_the_plan_earns_the_bound(reception_config, overrides):
    env = make(reception_config, **overrides)
    if "interferer_activity" in overrides:
        assert episode_trajectory(env, SEEDS[0]).activity is not None
    for seed in SEEDS:
        plan = hindsight_plan(env, seed)
        env.reset(seed=seed)
        rewards = [env.step(action)[1] for action in plan.actions]
        np.testing.assert_allclose(rewards, plan.rewards, rtol=1e-9, atol=1e-12)
        assert sum(rewards) == pytest.approx(plan.episode_return, rel=1e-12)
        assert upper_bound(env, [seed])[0] == plan.episode_return


def test_bound_dominates_every_v1_baseline(reception_config):
    env = make(reception_config)
    bound = upper_bound(env, SEEDS)
    for name, policy in baseline_policies(MOBILITY, SEEDS[0]).items():
        returns = run_episodes(env, policy, len(SEEDS), SEEDS[0])[0]
        assert np.all(bound >= returns - 1e-9), (name, bound, returns)
    assert set(baseline_policies(MOBILITY, 0)) == set(BASELINES)


def test_bound_is_the_per_step_oracle_without_reassociation_cost(reception_config):
    env = make(reception_config, reassociation_latency_s=0.0)
    core = env.unwrapped.core
    bound = upper_bound(env, SEEDS)
    oracle = run_episodes(env, baseline_policies(MOBILITY, 0)["oracle"], len(SEEDS), SEEDS[0])[0]
    np.testing.assert_allclose(bound, oracle, rtol=1e-12)
    for episode, seed in enumerate(SEEDS):
        users = episode_trajectory(env, seed).users
        # Closed form: the best rate over every set and codeword, summed over the steps.
        per_step = [
            core.codeword_rates(
                core.set_gram(np.full(core.num_sets, u), np.arange(core.num_sets))
            ).max()
            for u in users
        ]
        assert bound[episode] == pytest.approx(sum(per_step), rel=1e-12)


def test_mobility_reference_is_the_bound_and_planning_pays(reception_config):
    assert upper_bound_of(MOBILITY) is upper_bound
    # Fast UEs over 32 steps cross the cells along a street, so the best set changes.
    env = make(reception_config, ue_speed_mps=15.0, episode_length=32)
    myopic = run_episodes(env, baseline_policies(MOBILITY, 0)["oracle"], len(SEEDS), SEEDS[0])[0]
    bound = upper_bound(env, SEEDS)
    assert np.all(bound >= myopic - 1e-9)
    assert np.any(bound > myopic + 1.0), (bound, myopic)

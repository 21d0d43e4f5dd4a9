"""Position-only baselines of ``wmoe/MultiBSReception-v0``: nearest-N and the k-NN oracle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import wmoe  # noqa: F401
from wmoe.envs.multi_bs_reception.baselines import (
    BASELINES,
    LABEL_FRACTION,
    baseline_action,
    knn_oracle_choice,
    labelled_users,
    nearest_n_choice,
    nearest_n_fixed_choice,
)

ENV_ID = "wmoe/MultiBSReception-v0"
POSITION_ONLY = ("nearest_n", "nearest_n_fixed", "knn_oracle")
FORMS = [
    (action_type, precoder)
    for action_type in ("discrete", "multi_discrete", "continuous")
    for precoder in ("agent", "expert")
]


@pytest.fixture(scope="module")
def dense_config(small_scenarios_dir: Path) -> dict[str, Any]:
    """The small scenario's rows with every 5th user (1 m apart): 2,590 users, 259 labelled.

    The small scenario keeps 350 users tens of metres apart, too few labels for a
    nearest-neighbour policy to mean anything.
    """
    from wmoe.scenarios.synthetic_o1 import SyntheticO1Config, write_synthetic_o1

    folder = small_scenarios_dir.parent / "dense_scenarios"
    write_synthetic_o1(folder, SyntheticO1Config(row_stride=60, user_stride=5), overwrite=True)
    return {"scenarios_dir": str(folder), "cache_dir": str(small_scenarios_dir.parent / "cache")}


def test_position_only_baselines_are_registered():
    assert set(POSITION_ONLY) < set(BASELINES)
    assert list(BASELINES)[-1] == "oracle"


@pytest.mark.parametrize(("action_type", "precoder"), FORMS)
def test_baseline_actions_are_valid_in_every_form(reception_config, action_type, precoder):
    env = gym.make(
        ENV_ID,
        config={**reception_config, "action_type": action_type, "precoder_selection": precoder},
    )
    env.reset(seed=0)
    for name in POSITION_ONLY:
        action = baseline_action(name, env.unwrapped)
        assert env.action_space.contains(np.asarray(action, dtype=env.action_space.dtype)), name
        env.step(action)


def test_nearest_n_picks_the_nearest_bss_by_distance(reception_config):
    core = gym.make(ENV_ID, config=reception_config).unwrapped.core
    users = np.arange(0, core.num_users, 17)
    sets, codewords = nearest_n_choice(core, users)
    for user, set_index in zip(users, sets, strict=True):
        distance = np.linalg.norm(core.data.bs_positions - core.data.user_positions[user], axis=1)
        assert sorted(core.bs_sets[set_index]) == sorted(np.argsort(distance, kind="stable")[:3])
    np.testing.assert_array_equal(codewords, core.evaluate(users, sets, None).expert_precoder)
    fixed_sets, fixed = nearest_n_fixed_choice(core, users)
    np.testing.assert_array_equal(fixed_sets, sets)
    assert len(set(fixed.tolist())) == 1  # one codeword, whatever the channel


def test_labelled_users_are_a_fixed_draw(reception_config):
    first = gym.make(ENV_ID, config=reception_config).unwrapped.core
    second = gym.make(ENV_ID, config={**reception_config, "num_cooperating_bs": 2}).unwrapped.core
    labels = labelled_users(first)
    assert len(labels.users) == round(LABEL_FRACTION * first.num_users)
    np.testing.assert_array_equal(labels.users, labelled_users(second).users)
    assert labelled_users(first) is labels


def test_knn_oracle_copies_the_nearest_other_labelled_user(reception_config):
    core = gym.make(ENV_ID, config=reception_config).unwrapped.core
    labels = labelled_users(core)
    queries = np.concatenate([labels.users[:5], np.setdiff1d(np.arange(40), labels.users)[:5]])
    sets, codewords = knn_oracle_choice(core, queries)
    positions = core.data.user_positions[:, :2]
    for user, set_index, codeword in zip(queries, sets, codewords, strict=True):
        others = labels.users[labels.users != user]  # leave-one-out
        distance = np.linalg.norm(positions[others] - positions[user], axis=1)
        nearest = others[np.isclose(distance, distance.min())]  # grid users tie
        oracle_sets, oracle_codewords, _ = core.oracle(nearest)
        assert (set_index, codeword) in set(zip(oracle_sets, oracle_codewords, strict=True))


def episode_returns(config: dict[str, Any], name: str, seeds: range, steps: int) -> float:
    env = gym.make(ENV_ID, config={**config, "episode_length": steps})
    rng = np.random.default_rng(0)
    total = 0.0
    for seed in seeds:
        env.reset(seed=seed)
        for _ in range(steps):
            total += float(env.step(baseline_action(name, env.unwrapped, rng))[1])
    return total / len(seeds)


@pytest.mark.parametrize("precoder", ["agent", "expert"])
def test_knn_oracle_beats_nearest_n_beats_random(dense_config, precoder):
    config = {**dense_config, "precoder_selection": precoder}
    seeds = range(1_000_000, 1_000_003)
    returns = {
        name: episode_returns(config, name, seeds, steps=24)
        for name in ("random", "nearest_n", "knn_oracle", "oracle")
    }
    assert returns["oracle"] >= returns["knn_oracle"] >= returns["nearest_n"] > returns["random"]

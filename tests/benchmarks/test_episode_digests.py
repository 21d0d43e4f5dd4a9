"""Common random numbers: the test episodes' digests and what the report concludes from them."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from wmoe.benchmarks.execute import NO_EPISODES, EpisodeDigest
from wmoe.benchmarks.scores import TaskScores


def _task(baseline_digests: dict[str, str]) -> TaskScores:
    return TaskScores(
        task="T/default",
        env_id="T-v0",
        reference_declared="oracle",
        reference="oracle",
        random_return=0.0,
        reference_return=1.0,
        baselines={name: np.zeros(2) for name in baseline_digests},
        baseline_digests=baseline_digests,
    )


def test_digests_hash_initial_observations_and_a_digest_of_nothing_is_no_episodes() -> None:
    env = EpisodeDigest(gym.make("CartPole-v1"))
    assert env.take_digest() == f"4:{NO_EPISODES}"
    for seed in (1, 2):
        env.reset(seed=seed)
    first = env.take_digest()
    for seed in (1, 2):
        env.reset(seed=seed)
        env.step(0)
    assert env.take_digest() == first != f"4:{NO_EPISODES}"
    env.reset(seed=3)
    assert env.take_digest() != first


def test_digests_agree_per_shape_and_ignore_digests_of_no_episodes() -> None:
    assert _task({"random": "4:aa", "oracle": "4:aa", "bound": f"4:{NO_EPISODES}"}).digests_agree()
    assert _task({"random": "4:aa", "wide": "8:bb"}).digests_agree()  # observing differently
    assert not _task({"random": "4:aa", "oracle": "4:ab"}).digests_agree()

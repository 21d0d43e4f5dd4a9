"""Decision diagnostics against policies whose decisions are known: oracle, strongest-N."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import pytest

from wmoe.agents.evaluate import baseline_policies
from wmoe.agents.reception_diagnostics import decision_diagnostics

ENV_ID = "wmoe/MultiBSReception-v0"


@pytest.fixture(scope="module")
def env(reception_config: dict[str, Any]) -> gym.Env[Any, Any]:
    return gym.make(ENV_ID, config={**reception_config, "episode_length": 12})


def test_the_oracle_agrees_with_itself_and_the_expert(env: gym.Env[Any, Any]) -> None:
    policy = baseline_policies(ENV_ID, 0)["oracle"]
    stats = decision_diagnostics(env, policy, 2, 3)
    assert stats.steps == 24
    assert stats.oracle_set_share == stats.oracle_action_share == 1.0
    assert stats.expert_codeword_share == 1.0
    assert stats.oracle_rate_share == pytest.approx(1.0)
    assert stats.expert_rate_share == pytest.approx(1.0)


def test_strongest_n_and_random_are_told_apart(env: gym.Env[Any, Any]) -> None:
    policies = baseline_policies(ENV_ID, 0)
    strongest = decision_diagnostics(env, policies["strongest_n"], 2, 3)
    assert strongest.strongest_n_set_share == 1.0 and strongest.expert_codeword_share == 1.0
    assert strongest.oracle_rate_share <= 1.0
    random = decision_diagnostics(env, policies["random"], 2, 3)
    assert random.distinct_sets >= 20  # 24 uniform draws from C(18, 3) = 816 sets
    assert random.expert_codeword_share < 1.0
    assert random.oracle_rate_share < strongest.oracle_rate_share

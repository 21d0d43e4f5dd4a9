"""What a policy decides on ``wmoe/MultiBSReception-v0``, beside the expert and the oracle.

A return says how well a policy does; these say what it does, which is how a collapse shows
(a policy that serves every user with the same few sets and a codeword good on average can
score like "strongest sets, random codeword"): over seeded episodes, the distinct BS sets
and codewords it uses; how often its codeword is the best one for its set (the expert's,
the case study's expert knowledge); how often its set, and its set and codeword, are the
oracle's (exhaustive search); how often its set is strongest-N's; and its rate as a share
of the oracle's and of the expert's for its own sets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from wmoe.agents.evaluate import Policy
from wmoe.envs.multi_bs_reception.baselines import strongest_n_choice


@dataclass(frozen=True)
class DecisionDiagnostics:
    """Decision statistics of a policy over its evaluation steps.

    Attributes:
        steps: Decisions counted.
        distinct_sets: BS sets used at least once.
        distinct_codewords: Codewords used at least once.
        expert_codeword_share: Share of steps whose codeword is the best for the chosen set.
        oracle_set_share: Share of steps whose set is the oracle's.
        oracle_action_share: Share of steps whose set and codeword are the oracle's.
        strongest_n_set_share: Share of steps whose set is strongest-N's.
        oracle_rate_share: Sum of rates over the sum of the oracle's rates.
        expert_rate_share: Sum of rates over the sum of the best rates of the chosen sets.
    """

    steps: int
    distinct_sets: int
    distinct_codewords: int
    expert_codeword_share: float
    oracle_set_share: float
    oracle_action_share: float
    strongest_n_set_share: float
    oracle_rate_share: float
    expert_rate_share: float

    def as_dict(self) -> dict[str, float]:
        """The statistics by name."""
        return {name: float(value) for name, value in asdict(self).items()}


def decision_diagnostics(
    env: Any, policy: Policy, n_episodes: int, seed: int
) -> DecisionDiagnostics:
    """Play ``policy`` on episodes seeded ``seed + i`` of a reception env and describe it.

    Args:
        env: A ``wmoe/MultiBSReception-v0`` env (wrapped or not); the episodes are those of
            :func:`wmoe.agents.evaluate.run_episodes` with the same seeds.
        policy: ``policy(obs, env) -> action``.
        n_episodes: Episodes to play.
        seed: Seed of the first episode.
    """
    core = env.unwrapped.core
    sets: list[int] = []
    codewords: list[int] = []
    expert: list[int] = []
    oracle_sets: list[int] = []
    oracle_codewords: list[int] = []
    strongest_sets: list[int] = []
    rates: list[float] = []
    expert_rates: list[float] = []
    oracle_rates: list[float] = []
    for episode in range(n_episodes):
        obs, _ = env.reset(seed=seed + episode)
        done = False
        while not done:
            users = core.user[:1].copy()
            best_set, best_codeword, best_rate = core.oracle(users)
            strongest_sets.append(int(strongest_n_choice(core, users)[0][0]))
            obs, _, terminated, truncated, info = env.step(policy(obs, env))
            done = terminated or truncated
            sets.append(int(core.set_index_of(np.asarray(info["bs_set"])[None])[0]))
            codewords.append(int(info["precoder"]))
            expert.append(int(info["expert_precoder"]))
            rates.append(float(info["rate"]))
            expert_rates.append(float(info["expert_rate"]))
            oracle_sets.append(int(best_set[0]))
            oracle_codewords.append(int(best_codeword[0]))
            oracle_rates.append(float(best_rate[0]))
    chosen, best = np.array(sets), np.array(oracle_sets)
    same_codeword = np.array(codewords) == np.array(oracle_codewords)
    return DecisionDiagnostics(
        steps=len(sets),
        distinct_sets=len(set(sets)),
        distinct_codewords=len(set(codewords)),
        expert_codeword_share=float(np.mean(np.array(codewords) == np.array(expert))),
        oracle_set_share=float(np.mean(chosen == best)),
        oracle_action_share=float(np.mean((chosen == best) & same_codeword)),
        strongest_n_set_share=float(np.mean(chosen == np.array(strongest_sets))),
        oracle_rate_share=float(np.sum(rates) / np.sum(oracle_rates)),
        expert_rate_share=float(np.sum(rates) / np.sum(expert_rates)),
    )

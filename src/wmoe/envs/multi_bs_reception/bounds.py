"""The hindsight optimum of a reception episode: an upper bound on any policy's return.

In every ``wmoe/MultiBSReception*`` env what an episode's steps serve does not depend on the
actions. :meth:`~wmoe.envs.multi_bs_reception.core.ReceptionCore.reset` and
:meth:`~wmoe.envs.multi_bs_reception.core.ReceptionCore.advance` draw the first UE, its moves
(uniform draws, steps along the grid, or motion along the street tracks of
:mod:`~wmoe.envs.multi_bs_reception.mobility`), the RSRP measurement errors and, with coloured
interference and an activity below 1, which interferers transmit, all from the env's
generator, and never read the chosen set or codeword; the chosen set only becomes the UE's
current set. So an episode's UEs ``u_0 .. u_{T-1}`` (and interferer activity) are fixed by
its seed, and replaying the episode with any actions reveals them
(:func:`episode_trajectory`).

The actions change only the rewards. Step ``t`` with set ``s_t`` and codeword ``c_t`` earns
``rate_t(s_t, c_t) (1 - L [s_t != s_{t-1}])``, ``rate_t`` the rate of the step's UE (under the
step's interference), with ``L = reassociation_latency_s / step_duration_s``
(:meth:`~wmoe.envs.multi_bs_reception.core.ReceptionCore.reward_factor`) and ``s_{-1}`` the
UE's initial-access set (its N strongest BSs at reset). A codeword change costs nothing, so in
every step the best codeword of the chosen set (the expert precoder) is optimal, and the
step's reward for set ``s`` after set ``p`` is ``r_t(s) (1 - L [s != p])`` with ``r_t(s) =
max_c rate_t(s, c)``.

The best return over the known trajectory is then a Viterbi recursion over (step, set)
(Viterbi, IEEE Trans. Inf. Theory 13(2), 1967; Bellman's principle of optimality):

    V_0(s) = r_0(s) (1 - L [s != s_{-1}])
    V_t(s) = max(V_{t-1}(s) + r_t(s), max_{p != s} V_{t-1}(p) + (1 - L) r_t(s))

and ``max_s V_{T-1}(s)`` is the largest return of any action sequence on the episode. As a
change costs the same whatever the sets, ``max_{p != s} V_{t-1}(p)`` is the largest
``V_{t-1}`` except at its argmax, where it is the second largest: ``O(T S)`` for ``S`` sets.

Every policy, which sees at most the past, plays one of these action sequences, so the optimum
bounds its return on that episode; it is a bound, not a policy (it knows the future UEs).
It is attained: replaying :attr:`HindsightPlan.actions` from the same seed earns it. With
``L = 0`` it is the sum over the steps of the per-step oracle's reward (the best set and
codeword of each step); with ``L > 0`` the per-step oracle is myopic and may earn less.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.multi_bs_reception.core import ReceptionCore


@dataclass(frozen=True)
class HindsightPlan:
    """The best action sequence of one episode, knowing its UEs in advance.

    Attributes:
        sets: (T,) cooperative set of each step.
        codewords: (T,) best codeword of that set in that step (the expert precoder).
        rewards: (T,) reward of each step [bit/s/Hz], re-association loss included.
        actions: (T, ...) actions of the env's action form that choose them.
    """

    sets: NDArray[np.int64]
    codewords: NDArray[np.int64]
    rewards: NDArray[np.float64]
    actions: NDArray[Any]

    @property
    def episode_return(self) -> float:
        """The plan's return [bit/s/Hz summed over the steps]."""
        return float(self.rewards.sum())


def best_set_sequence(
    set_rewards: NDArray[np.float64], initial_set: int, loss: float
) -> NDArray[np.int64]:
    """The sets maximising ``sum_t set_rewards[t, s_t] (1 - loss [s_t != s_{t-1}])``.

    The Viterbi recursion of the module docstring, ``O(T S)``.

    Args:
        set_rewards: (T, S) reward of each set in each step without a set change, ``r_t(s)``.
        initial_set: The set before the first step, ``s_{-1}``.
        loss: Share of a step's reward lost where the set changes, ``L``.

    Returns:
        (T,) the set of each step (ties: staying, then the lowest set index).
    """
    steps, num_sets = set_rewards.shape
    value = set_rewards[0] * (1.0 - loss)
    value[initial_set] = set_rewards[0, initial_set]
    stays = np.zeros((steps, num_sets), dtype=np.bool_)
    first = np.zeros(steps, dtype=np.int64)  # argmax of V_{t-1}
    second = np.zeros(steps, dtype=np.int64)  # argmax of V_{t-1} without ``first``
    for t in range(1, steps):
        first[t] = int(value.argmax())
        others = value.copy()
        others[first[t]] = -np.inf
        second[t] = int(others.argmax())
        best_other = np.full(num_sets, value[first[t]])
        best_other[first[t]] = others[second[t]]  # -inf with a single set
        stay = value + set_rewards[t]
        switch = best_other + (1.0 - loss) * set_rewards[t]
        stays[t] = stay >= switch
        value = np.where(stays[t], stay, switch)
    sets = np.zeros(steps, dtype=np.int64)
    sets[-1] = int(value.argmax())
    for t in range(steps - 1, 0, -1):
        s = sets[t]
        sets[t - 1] = s if stays[t, s] else (second[t] if s == first[t] else first[t])
    return sets


@dataclass(frozen=True)
class EpisodeTrajectory:
    """What an episode's steps serve, whatever the actions.

    Attributes:
        users: (T,) the UE (grid user) of each step.
        activity: (T, M) the interferers transmitting in each step (coloured interference
            with an activity below 1, see
            :meth:`~wmoe.envs.multi_bs_reception.core.ReceptionCore.step_activity`), or None
            where the interference is fixed.
        initial_set: The UE's set before the first step (initial access).
    """

    users: NDArray[np.int64]
    activity: NDArray[np.float64] | None
    initial_set: int


def episode_trajectory(env: Any, seed: int) -> EpisodeTrajectory:
    """The UEs (and interferer activity) of the episode ``seed``, step by step.

    The episode is replayed keeping the initial set in every step; any actions would meet the
    same UEs and activity (see the module docstring).

    Args:
        env: A single reception env (wrapped or not); it is reset with ``seed`` and stepped
            to the episode's end.
        seed: The episode's seed.
    """
    core: ReceptionCore = env.unwrapped.core
    envs = np.zeros(1, dtype=np.int64)
    env.reset(seed=seed)
    initial_set = int(core.current_set[0])
    keep = env.unwrapped.codec.encode(
        np.array([initial_set], dtype=np.int64), np.zeros(1, dtype=np.int64)
    )[0]
    users: list[int] = []
    activity: list[NDArray[np.float64]] = []
    done = False
    while not done:
        active = core.step_activity(envs)
        if active is not None:
            activity.append(active[0])
        _, _, terminated, truncated, info = env.step(keep)
        users.append(int(info["user_index"]))
        done = terminated or truncated
    return EpisodeTrajectory(
        np.array(users, dtype=np.int64), np.array(activity) if activity else None, initial_set
    )


def best_codewords(
    core: ReceptionCore, users: NDArray[np.int64], activity: NDArray[np.float64] | None = None
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Every set's best rate and codeword in each step (each distinct step evaluated once).

    Args:
        core: The simulator.
        users: (T,) the UE of each step.
        activity: (T, M) the interferers transmitting in each step, or None (fixed).

    Returns:
        (T, S) the best rate of each set [bit/s/Hz], ``r_t(s)``, and (T, S) its codeword, as
        :meth:`~wmoe.envs.multi_bs_reception.core.ReceptionCore.evaluate` finds them (its
        expert precoder).
    """
    steps = users[:, None] if activity is None else np.column_stack([users, activity])
    distinct, first, inverse = np.unique(steps, axis=0, return_index=True, return_inverse=True)
    all_sets = np.arange(core.num_sets)
    rates = np.empty((len(distinct), core.num_sets))
    codewords = np.empty((len(distinct), core.num_sets), dtype=np.int64)
    for i, step in enumerate(first):
        active = (
            None if activity is None else np.repeat(activity[step : step + 1], len(all_sets), 0)
        )
        result = core.evaluate(np.full(core.num_sets, users[step]), all_sets, None, active)
        rates[i], codewords[i] = result.expert_rate, result.expert_precoder
    inverse = inverse.reshape(-1)
    return rates[inverse], codewords[inverse]


def hindsight_plan(env: Any, seed: int) -> HindsightPlan:
    """The best action sequence of the episode ``seed``, knowing its UEs (module docstring).

    Args:
        env: A single reception env (wrapped or not); it is reset with ``seed`` and stepped
            to the episode's end to reveal the UEs.
        seed: The episode's seed.
    """
    core: ReceptionCore = env.unwrapped.core
    trajectory = episode_trajectory(env, seed)
    rates, codewords = best_codewords(core, trajectory.users, trajectory.activity)
    loss = core.reassociation_loss
    sets = best_set_sequence(rates, trajectory.initial_set, loss)
    steps = np.arange(len(sets))
    previous = np.r_[trajectory.initial_set, sets[:-1]]
    rewards = rates[steps, sets] * (1.0 - loss * (sets != previous))
    chosen_codewords = codewords[steps, sets]
    actions = env.unwrapped.codec.encode(sets, chosen_codewords)
    return HindsightPlan(sets, chosen_codewords, rewards, np.asarray(actions))


def upper_bound(env: Any, seeds: list[int]) -> NDArray[np.float64]:
    """An upper bound on any policy's return in the episodes ``seeds``: the hindsight optimum.

    The return of :func:`hindsight_plan` (see the module docstring): the best return over
    each episode's UE trajectory, which no policy's actions change; re-association losses
    included, attained by replaying the plan's actions.

    Args:
        env: A single reception env (wrapped or not); its episodes are replayed.
        seeds: Episode seeds.
    """
    return np.array([hindsight_plan(env, seed).episode_return for seed in seeds])

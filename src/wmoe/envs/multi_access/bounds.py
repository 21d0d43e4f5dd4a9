"""Upper bounds on the multiple-access env's reward, from capacity and protocol limits.

The alpha-fair reward of a slot is ``sum_i u(theta_i)`` over the nodes' windowed
throughputs ``theta_i`` (:mod:`wmoe.envs.multi_access.core`). Whatever any policy does, the
throughputs obey two kinds of limits, so the largest utility under them bounds the reward of
every slot and hence every return (a bound, not a policy):

* **Capacity**: a channel carries at most one success per slot, so after ``t`` slots the
  windowed throughputs on a channel add up to at most ``S(t) = 1 - beta^t``
  (``beta = 1 - 1/W``) and over all ``C`` channels to at most ``C S(t)``; each node (it
  uses one channel per slot) has at most ``S(t)``.
* **Protocol caps**: a TDMA node succeeds only in its owned slots (its windowed owned-slot
  indicator), a duty-cycled IoT node at most once every ``off_slots + 1`` slots (its
  windowed throughput with successes as dense and as late as allowed). Other nodes keep
  ``S(t)``.

For a concave ``u`` (``alpha > 0``) shared by all nodes, the largest ``sum u(theta_i)`` with
``theta_i <= cap_i`` and ``sum theta_i <= total`` is water-filling, ``theta_i = min(cap_i,
lambda)`` (Boyd and Vandenberghe, *Convex Optimization*, 2004, Example 5.2); at ``alpha = 0``
it is ``min(total, sum cap_i)``. For ``alpha >= 1`` the reward floors ``theta`` at ``f =
1/W``, which makes ``u`` flat below ``f``; an optimum then serves some ``k`` nodes above
``f`` and leaves the rest at ``f``, and the ``k`` largest caps water-filled (without the
lower limit ``f``) bound any choice of ``k`` nodes, so the bound is the largest of these
over ``k``. ``steady`` caps (``t -> inf``: 1, the TDMA owned share, the IoT duty share)
give each episode's reference for :func:`reward_range`, the normaliser of
``normalise_reward``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.multi_access.protocols import KIND_IOT, KIND_TDMA, MAX_FRAME_SLOTS, LegacyNodes


def alpha_fair_utility(
    throughput: NDArray[np.float64], alpha: float, floor: float
) -> NDArray[np.float64]:
    """Alpha-fair utility ``x^(1 - alpha) / (1 - alpha)`` (``log x`` at 1) of each throughput.

    For ``alpha >= 1`` the throughput is floored at ``floor`` (the utility of 0 is infinite),
    so the utility is at least that of ``floor`` (Mo and Walrand, IEEE/ACM ToN 8(5), 2000).
    """
    if alpha >= 1.0:
        throughput = np.maximum(throughput, floor)
    if alpha == 1.0:
        result: NDArray[np.float64] = np.log(throughput)
        return result
    utility: NDArray[np.float64] = throughput ** (1.0 - alpha) / (1.0 - alpha)
    return utility


def _geometric(ratio: float, step: NDArray[np.int64], terms: NDArray[np.int64]) -> NDArray[Any]:
    """``sum_{j < terms} ratio^(j step)``, elementwise (``terms`` may be 0)."""
    ratio_step = ratio**step
    exact = (1.0 - ratio_step**terms) / np.maximum(1.0 - ratio_step, 1e-300)
    return np.where(ratio_step < 1.0, exact, terms.astype(np.float64))


def legacy_caps(
    nodes: LegacyNodes, envs: NDArray[np.int64], window: float, slots: int | None
) -> NDArray[np.float64]:
    """Each legacy node's largest windowed throughput after ``slots`` slots, ``(n, N)``.

    Args:
        nodes: The legacy nodes.
        envs: Rows of the batch.
        window: ``W`` of the running throughputs.
        slots: Slots played, or None for the long-run shares (``t -> inf``).
    """
    kind, frame = nodes.kind[envs], nodes.frame[envs]
    period = nodes.off_slots[envs] + 1  # IoT: slots from one transmission to the next
    pattern = nodes.pattern[envs] & (np.arange(MAX_FRAME_SLOTS) < frame[..., None])
    if slots is None:
        tdma = pattern.sum(-1) / frame
        iot = 1.0 / period
        everything = np.ones(kind.shape)
    else:
        beta = 1.0 - 1.0 / window
        last = slots - 1
        everything = np.full(kind.shape, 1.0 - beta**slots)
        # TDMA: owned phases p; the last owned slot s <= t - 1 and the m owned slots up to it.
        phase = np.arange(MAX_FRAME_SLOTS)
        latest = last - (last - phase) % frame[..., None]
        count = np.where(latest >= phase, (latest - phase) // frame[..., None] + 1, 0)
        per_phase = beta ** (last - latest) * _geometric(beta, frame[..., None], count) / window
        tdma = np.where(pattern, per_phase, 0.0).sum(-1)
        count = np.where(last >= 0, last // period + 1, 0)
        iot = _geometric(beta, period, count) / window
    caps: NDArray[np.float64] = np.where(
        kind == KIND_TDMA, tdma, np.where(kind == KIND_IOT, np.minimum(iot, everything), everything)
    )
    return np.where(nodes.active[envs], caps, 0.0)


def _water_fill(caps: NDArray[np.float64], total: NDArray[np.float64]) -> NDArray[np.float64]:
    """``min(cap_i, lambda)`` with ``sum = total`` (or every cap, if they fit), per row.

    Args:
        caps: ``(n, k)`` caps, ascending along each row.
        total: ``(n,)`` what the row's entries may add up to.
    """
    k = caps.shape[1]
    before = np.cumsum(caps, axis=1) - caps  # sum of the smaller caps
    used = before + (k - np.arange(k)) * caps  # the sum with the level at cap j
    reached = used >= total[:, None]
    first = np.argmax(reached, axis=1)
    rows = np.arange(len(caps))
    level = (total - before[rows, first]) / (k - first)
    level = np.where(reached.any(1), level, np.inf)
    filled: NDArray[np.float64] = np.minimum(caps, level[:, None])
    return filled


def utility_upper_bound(
    caps: NDArray[np.float64],
    total: NDArray[np.float64],
    alpha: float,
    floor: float,
    mask: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """The largest ``sum_i u(max(theta_i, floor))`` under the caps, per row (module doc).

    Args:
        caps: ``(n, M)`` each node's largest throughput.
        total: ``(n,)`` the most the throughputs add up to.
        alpha: Fairness exponent.
        floor: The reward's floor on ``theta`` for ``alpha >= 1``.
        mask: ``(n, M)`` which entries are nodes.
    """
    caps = np.where(mask, np.minimum(caps, total[:, None]), 0.0)
    if alpha < 1.0:  # u(0) = 0: water-fill over every node (padding has cap 0)
        filled = _water_fill(np.sort(caps, axis=1), total)
        bound: NDArray[np.float64] = alpha_fair_utility(filled, alpha, 0.0).sum(1)
        return bound
    nodes = mask.sum(1)
    at_floor = float(alpha_fair_utility(np.array(floor), alpha, floor))
    descending = -np.sort(-caps, axis=1)
    best = nodes * at_floor  # k = 0: every node at the floor
    with np.errstate(divide="ignore"):
        for k in range(1, caps.shape[1] + 1):
            top = descending[:, :k]
            served = alpha_fair_utility(_water_fill(top[:, ::-1], total), alpha, 0.0).sum(1)
            value = np.where((top[:, -1] > 0) & (k <= nodes), served, -np.inf)
            best = np.maximum(best, value + (nodes - k) * at_floor)
    result: NDArray[np.float64] = best
    return result


def reward_range(
    nodes: LegacyNodes,
    envs: NDArray[np.int64],
    config: dict[str, Any],
    slots: int | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The least and an upper bound of one slot's reward in ``envs``, ``(n,)`` each.

    Args:
        nodes: The legacy nodes.
        envs: Rows of the batch.
        config: The env's config (reward, alpha, window, channels, agents).
        slots: Slots played including this one, or None for the long-run (steady) bound.
    """
    n = len(envs)
    if config["reward"] == "success":
        return np.zeros(n), np.ones(n)
    alpha, window = float(config["alpha"]), float(config["fairness_window_slots"])
    agents = int(config["num_agents"])
    share = 1.0 if slots is None else 1.0 - (1.0 - 1.0 / window) ** slots
    caps = np.concatenate([np.full((n, agents), share), legacy_caps(nodes, envs, window, slots)], 1)
    mask = np.concatenate([np.ones((n, agents), dtype=np.bool_), nodes.active[envs]], 1)
    floor = 1.0 / window if alpha >= 1.0 else 0.0
    least = mask.sum(1) * float(alpha_fair_utility(np.array(floor), alpha, floor))
    total = np.full(n, config["num_channels"] * share)
    return least, utility_upper_bound(caps, total, alpha, floor, mask)

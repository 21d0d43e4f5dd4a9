"""Baselines of ``wmoe/SatelliteBeamforming-v0`` (and v1's); all plan on the known CSI.

- ``four_colour_full_power``: the conventional multibeam payload: matched-filter beams
  towards the users, the four-colour earth-fixed cell map, every beam at its equal share of
  the power budget;
- ``zf_waterfilling``: full frequency reuse, ZF precoding (with nulls towards the GEO
  terminals when there are any) and water-filling of the power over the interference-free
  beams, under the per-beam cap and the total budget (Yoo and Goldsmith, IEEE JSAC 24(3),
  2006, for ZF with water-filling);
- ``wmmse``: full frequency reuse; for every precoder of the codebook the WMMSE power
  allocation for the sum rate (Shi, Razaviyayn, Luo and He, IEEE Trans. Signal Process.
  59(9), 2011, in the scalar form of Sun et al., IEEE Trans. Signal Process. 66(20), 2018,
  Algorithm 1, with a bisection on the multiplier of the total power budget); the precoder
  with the highest reward on the known CSI, GEO penalty included, is kept;
- ``random``: a uniformly drawn action.

The classical decisions are mapped into the env's action form by
:meth:`ActionCodec.encode <wmoe.envs.satellite_beamforming.actions.ActionCodec.encode>`:
exact for ``continuous``, rounded to the nearest levels for ``multi_discrete`` and to the
nearest composite scheme for ``discrete``. On v1's :class:`~.tasks.TaskMixCore` a planner runs
on its simulator core, whose envs may be in different bands (:func:`plan`); its decisions
leave the common stream off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.satellite_beamforming.core import PRECODERS, Decision, SatelliteCore
from wmoe.envs.satellite_beamforming.tasks import TaskMixCore

_ENV0 = np.zeros(1, dtype=np.int64)
_BISECTION_STEPS = 40
_WMMSE_ITERATIONS = 40

Planner = Callable[[SatelliteCore, NDArray[np.int64]], Decision]


def plan(planner: Planner, core: SatelliteCore | TaskMixCore, envs: NDArray[np.int64]) -> Decision:
    """A planner's decisions for ``envs`` of a ``SatelliteCore`` or of v1's task mix (its core).

    Args:
        planner: The planner.
        core: The simulator.
        envs: Envs of the core.
    """
    return planner(core.core if isinstance(core, TaskMixCore) else core, envs)


def _decision(
    core: SatelliteCore,
    envs: NDArray[np.int64],
    powers_w: NDArray[np.float64],
    colour: NDArray[np.int64],
    precoder: int,
) -> Decision:
    return Decision(
        power_fraction=np.clip(powers_w / core.beam_cap_w[envs][:, None], 0.0, 1.0),
        colour=colour,
        precoder=np.full(len(colour), precoder, dtype=np.int64),
    )


def four_colour_full_power(core: SatelliteCore, envs: NDArray[np.int64]) -> Decision:
    """Matched-filter beams, four-colour cell map, equal share of the power per beam."""
    share = core.total_power_w[envs] / core.num_users
    shares = np.repeat(share[:, None], core.num_users, axis=1)
    return _decision(core, envs, shares, core.cell_colours(envs), PRECODERS.index("mrt"))


def _bisect_total(
    powers: Callable[[NDArray[np.float64]], NDArray[np.float64]], budget: Any, n: int
) -> NDArray[np.float64]:
    """Powers at the smallest multiplier ``mu >= 0`` with ``sum <= budget`` (bisection)."""
    low: NDArray[np.float64] = np.zeros(n)
    high: NDArray[np.float64] = np.ones(n)
    while np.any(powers(high).sum(-1) > budget):
        high = np.where(powers(high).sum(-1) > budget, 2.0 * high, high)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (low + high)
        over = powers(mid).sum(-1) > budget
        low, high = np.where(over, mid, low), np.where(over, high, mid)
    return powers(high)


def pattern_gains(
    core: SatelliteCore,
    envs: NDArray[np.int64],
    precoder: NDArray[np.int64],
    colour: NDArray[np.int64],
) -> NDArray[np.float64]:
    """Gains ``g_kj`` [1/W] of a reuse pattern as one interference channel, known CSI.

    Beam ``j`` spreads its power over its ``b_j`` sub-bands; user ``k`` is counted in its
    beam's first sub-band, over that sub-band's noise (every sub-band of a beam sees the same
    beams under the patterns used here: full reuse or one colour per beam), so
    ``log2(1 + p_k g_kk / (sum_j p_j g_kj + 1))`` is ``C / b_k`` times its spectral efficiency.

    Args:
        core: The simulator.
        envs: Envs (may repeat).
        precoder: Precoder index per entry of ``envs``.
        colour: Sub-band of each beam, ``(n, K)`` (``C``: all).
    """
    ones = np.ones((len(envs), core.num_users))
    decision = Decision(power_fraction=ones, colour=colour, precoder=precoder)
    user_gain, _, active = core.coupling(envs, decision, known=True)
    first = np.argmax(active, axis=1)  # (n, K)
    rows = np.take_along_axis(user_gain, first[:, None, :, None], axis=1)[:, 0]
    return rows / active.sum(1)[:, None, :]


def _full_reuse_gains(
    core: SatelliteCore, envs: NDArray[np.int64], precoder: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Gains ``g_kj`` over the noise of the whole band [1/W], full reuse, known CSI."""
    colour = np.full((len(envs), core.num_users), core.num_subbands, dtype=np.int64)
    return pattern_gains(core, envs, precoder, colour)


def zf_waterfilling(core: SatelliteCore, envs: NDArray[np.int64]) -> Decision:
    """Full-reuse ZF (GEO nulls if there are terminals) with capped water-filling power."""
    precoder = PRECODERS.index("zf_geo_null" if core.num_terminals else "zf")
    indices = np.full(len(envs), precoder, dtype=np.int64)
    gain = np.diagonal(_full_reuse_gains(core, envs, indices), axis1=-2, axis2=-1)
    inverse = 1.0 / np.maximum(gain, 1e-300)

    def powers(level: NDArray[np.float64]) -> NDArray[np.float64]:
        # Water level 1 / mu: p_k = clip(1 / mu - 1 / g_k, 0, cap).
        return np.clip(1.0 / level[:, None] - inverse, 0.0, cap)

    cap = core.beam_cap_w[envs][:, None]
    colour = np.full((len(envs), core.num_users), core.num_subbands, dtype=np.int64)
    total = _bisect_total(powers, core.total_power_w[envs], len(envs))
    return _decision(core, envs, total, colour, precoder)


def wmmse_powers(
    core: SatelliteCore,
    envs: NDArray[np.int64],
    gain: NDArray[np.float64],
    priority: NDArray[np.float64] | None = None,
    budget_w: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """WMMSE power allocation on the interference channel ``gain[k, j]`` (noise 1), [W].

    Args:
        core: The simulator (per-beam cap; total budget by default).
        envs: The env of each row of ``gain`` (may repeat).
        gain: ``(n, K, K)`` gains.
        priority: Rate weights ``alpha_k`` of the weighted sum rate, ``(n, K)``; None: 1.
        budget_w: Total power of each row, ``(n,)``; None: the satellite's budget.
    """
    n, k = gain.shape[:2]
    budget = core.total_power_w[envs] if budget_w is None else budget_w
    direct = np.sqrt(np.diagonal(gain, axis1=-2, axis2=-1))
    v = np.sqrt(np.repeat(budget[:, None] / k, k, axis=1))  # sqrt(p), the equal shares
    cap = np.sqrt(core.beam_cap_w[envs])[:, None]
    for _ in range(_WMMSE_ITERATIONS):
        received = gain @ (v**2)[..., None]
        u = direct * v / (received[..., 0] + 1.0)
        w = 1.0 / np.maximum(1.0 - u * direct * v, 1e-12)
        if priority is not None:
            w = priority * w
        numerator = u * w * direct
        denominator = np.einsum("njk,nj->nk", gain, w * u**2)

        def amplitude(mu: NDArray[np.float64], num: Any = numerator, den: Any = denominator) -> Any:
            return np.clip(num / (den + mu[:, None]), 0.0, cap) ** 2

        v = np.sqrt(_bisect_total(amplitude, budget, n))
    return v**2


def wmmse(core: SatelliteCore, envs: NDArray[np.int64]) -> Decision:
    """WMMSE power for every precoder under full reuse; the best on the known CSI."""
    n, p = len(envs), len(PRECODERS)
    tiled = np.repeat(envs, p)  # every env once per precoder
    precoders = np.tile(np.arange(p, dtype=np.int64), n)
    powers = wmmse_powers(core, tiled, _full_reuse_gains(core, tiled, precoders))
    colour = np.full((n * p, core.num_users), core.num_subbands, dtype=np.int64)
    fraction = np.clip(powers / core.beam_cap_w[tiled][:, None], 0.0, 1.0)
    candidates = Decision(fraction, colour, precoders)
    reward = core.evaluate(tiled, candidates, known=True).reward.reshape(n, p)
    best = np.arange(n) * p + reward.argmax(-1)
    return Decision(
        power_fraction=candidates.power_fraction[best],
        colour=colour[best],
        precoder=precoders[best],
    )


PLANNERS: dict[str, Planner] = {
    "four_colour_full_power": four_colour_full_power,
    "zf_waterfilling": zf_waterfilling,
    "wmmse": wmmse,
}
BASELINES: dict[str, Planner | None] = {**PLANNERS, "random": None}
"""Baseline name -> planner (``random`` samples the action space)."""


def baseline_actions(
    name: str,
    core: Any,
    codec: Any,
    envs: NDArray[np.int64],
    rng: np.random.Generator,
    baselines: dict[str, Planner | None] = BASELINES,
) -> NDArray[Any]:
    """The actions a baseline takes in ``envs`` of a core, in the codec's form.

    Args:
        name: Key of ``baselines``.
        core: The simulator (``SatelliteCore`` or v1's task mix).
        codec: The env's :class:`~wmoe.envs.satellite_beamforming.actions.ActionCodec`.
        envs: Envs of the core.
        rng: Generator of the random baseline.
        baselines: Baseline name -> planner (None: random); v0's by default.
    """
    if name not in baselines:
        raise ValueError(f"unknown baseline {name!r}; choose from {sorted(baselines)}")
    planner = baselines[name]
    if planner is None:
        return np.asarray(codec.sample(rng, len(envs)))
    return np.asarray(codec.encode(plan(planner, core, envs), core.cell_colours(envs)))


def baseline_action(
    name: str,
    env: Any,
    rng: np.random.Generator | None = None,
    baselines: dict[str, Planner | None] = BASELINES,
) -> Any:
    """The action a baseline takes in a single satellite env now.

    Args:
        name: Key of ``baselines``.
        env: The (unwrapped) single environment.
        rng: Generator for the random baseline.
        baselines: Baseline name -> planner (None: random); v0's by default.
    """
    generator = rng or np.random.default_rng()
    return baseline_actions(name, env.core, env.codec, _ENV0, generator, baselines)[0]

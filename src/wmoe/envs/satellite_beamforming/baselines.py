"""Baselines of ``wmoe/SatelliteBeamforming-v0``; all plan on the CSI the satellite knows.

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
nearest composite scheme for ``discrete``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.satellite_beamforming.core import PRECODERS, Decision, SatelliteCore

_ENV0 = np.zeros(1, dtype=np.int64)
_BISECTION_STEPS = 40
_WMMSE_ITERATIONS = 40

Planner = Callable[[SatelliteCore, NDArray[np.int64]], Decision]


def _decision(
    core: SatelliteCore, powers_w: NDArray[np.float64], colour: NDArray[np.int64], precoder: int
) -> Decision:
    return Decision(
        power_fraction=np.clip(powers_w / core.beam_cap_w, 0.0, 1.0),
        colour=colour,
        precoder=np.full(len(colour), precoder, dtype=np.int64),
    )


def four_colour_full_power(core: SatelliteCore, envs: NDArray[np.int64]) -> Decision:
    """Matched-filter beams, four-colour cell map, equal share of the power per beam."""
    shares = np.full((len(envs), core.num_users), core.total_power_w / core.num_users)
    return _decision(core, shares, core.cell_colours(envs), PRECODERS.index("mrt"))


def _bisect_total(
    powers: Callable[[NDArray[np.float64]], NDArray[np.float64]], budget: float, n: int
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


def _full_reuse_gains(
    core: SatelliteCore, envs: NDArray[np.int64], precoder: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Gains ``g_kj`` over the noise of the whole band [1/W], full reuse, known CSI.

    Args:
        core: The simulator.
        envs: Envs (may repeat).
        precoder: Precoder index per entry of ``envs``.
    """
    colour = np.full((len(envs), core.num_users), core.num_subbands, dtype=np.int64)
    ones = np.ones((len(envs), core.num_users))
    decision = Decision(power_fraction=ones, colour=colour, precoder=precoder)
    user_gain, _, _ = core.coupling(envs, decision, known=True)
    return user_gain[:, 0] / core.num_subbands  # every sub-band alike; noise of the band


def zf_waterfilling(core: SatelliteCore, envs: NDArray[np.int64]) -> Decision:
    """Full-reuse ZF (GEO nulls if there are terminals) with capped water-filling power."""
    precoder = PRECODERS.index("zf_geo_null" if core.num_terminals else "zf")
    indices = np.full(len(envs), precoder, dtype=np.int64)
    gain = np.diagonal(_full_reuse_gains(core, envs, indices), axis1=-2, axis2=-1)
    inverse = 1.0 / np.maximum(gain, 1e-300)

    def powers(level: NDArray[np.float64]) -> NDArray[np.float64]:
        # Water level 1 / mu: p_k = clip(1 / mu - 1 / g_k, 0, cap).
        return np.clip(1.0 / level[:, None] - inverse, 0.0, core.beam_cap_w)

    colour = np.full((len(envs), core.num_users), core.num_subbands, dtype=np.int64)
    return _decision(core, _bisect_total(powers, core.total_power_w, len(envs)), colour, precoder)


def _wmmse_powers(core: SatelliteCore, gain: NDArray[np.float64]) -> NDArray[np.float64]:
    """WMMSE power allocation on the interference channel ``gain[k, j]`` (noise 1), [W]."""
    n, k = gain.shape[:2]
    direct = np.sqrt(np.diagonal(gain, axis1=-2, axis2=-1))
    v: NDArray[np.float64] = np.full((n, k), np.sqrt(core.total_power_w / k))  # sqrt(p)
    cap = np.sqrt(core.beam_cap_w)
    for _ in range(_WMMSE_ITERATIONS):
        received = gain @ (v**2)[..., None]
        u = direct * v / (received[..., 0] + 1.0)
        w = 1.0 / np.maximum(1.0 - u * direct * v, 1e-12)
        numerator = u * w * direct
        denominator = np.einsum("njk,nj->nk", gain, w * u**2)

        def amplitude(mu: NDArray[np.float64], num: Any = numerator, den: Any = denominator) -> Any:
            return np.clip(num / (den + mu[:, None]), 0.0, cap) ** 2

        v = np.sqrt(_bisect_total(amplitude, core.total_power_w, n))
    return v**2


def wmmse(core: SatelliteCore, envs: NDArray[np.int64]) -> Decision:
    """WMMSE power for every precoder under full reuse; the best on the known CSI."""
    n, p = len(envs), len(PRECODERS)
    tiled = np.repeat(envs, p)  # every env once per precoder
    precoders = np.tile(np.arange(p, dtype=np.int64), n)
    powers = _wmmse_powers(core, _full_reuse_gains(core, tiled, precoders))
    colour = np.full((n * p, core.num_users), core.num_subbands, dtype=np.int64)
    candidates = Decision(np.clip(powers / core.beam_cap_w, 0.0, 1.0), colour, precoders)
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
    name: str, core: SatelliteCore, codec: Any, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[Any]:
    """The actions a baseline takes in ``envs`` of a core, in the codec's form.

    Args:
        name: Key of :data:`BASELINES`.
        core: The simulator.
        codec: The env's :class:`~wmoe.envs.satellite_beamforming.actions.ActionCodec`.
        envs: Envs of the core.
        rng: Generator of the random baseline.
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose from {sorted(BASELINES)}")
    planner = BASELINES[name]
    if planner is None:
        return np.asarray(codec.sample(rng, len(envs)))
    return np.asarray(codec.encode(planner(core, envs), core.cell_colours(envs)))


def baseline_action(name: str, env: Any, rng: np.random.Generator | None = None) -> Any:
    """The action a baseline takes in a single :class:`SatelliteBeamformingEnv` now.

    Args:
        name: Key of :data:`BASELINES`.
        env: The (unwrapped) single environment.
        rng: Generator for the random baseline.
    """
    action = baseline_actions(name, env.core, env.codec, _ENV0, rng or np.random.default_rng())
    return action[0]

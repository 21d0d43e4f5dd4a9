"""Per-episode task draws of ``wmoe/SatelliteBeamforming-v1`` over one simulator core per band.

Each episode draws its task, one factor after another from the env's generator: the band
(``band_weights``), the user distribution (``user_distribution_weights``), the GEO terminal
layout (``geo_layout_weights``) and the reward profile (``reward_profile_weights``); a factor
whose weights are null takes its fixed key. All envs live in one
:class:`~.core.SatelliteCore` that holds each env's band constants (each band has its own
carrier, bandwidth, EIRP, array and terminals, TR 38.821 Table 6.1.1.1-1), so
:class:`TaskMixCore` only draws tasks, sets each env's band and task in the core and appends
the task to the observation (``expose_task``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.satellite_beamforming.config import (
    BAND_PRESETS,
    REWARD_PROFILES,
    TASK_WEIGHT_KEYS,
    USER_DISTRIBUTIONS,
)
from wmoe.envs.satellite_beamforming.core import Decision, SatelliteCore

BANDS = tuple(BAND_PRESETS)
"""Bands in the order of ``band_weights``."""
FACTORS = ("band", "user_distribution", "geo_layout", "reward_profile")
"""Task factors in the order they are drawn and exposed."""
CHOICES = {factor: choices for factor, choices in TASK_WEIGHT_KEYS.values()}


def profile_weights(config: dict[str, Any], profile: str) -> tuple[float, float]:
    """``(geo_penalty_per_db, backlog_cost_per_bit_per_hz)`` of a reward profile.

    Args:
        config: A validated v1 config.
        profile: One of :data:`~.config.REWARD_PROFILES`.
    """
    geo = config["geo_penalty_per_db"]
    backlog = config["backlog_cost_per_bit_per_hz"]
    if profile == "protect_geo":
        geo = config["protect_geo_penalty_per_db"]
    elif profile == "low_latency":
        backlog = config["low_latency_backlog_cost"]
    return float(geo), float(backlog)


class TaskMixCore:
    """``batch_size`` satellite envs, each on the task drawn for its episode.

    Args:
        config: A config validated by :class:`~.config.SatelliteV1Config`.
        batch_size: Number of environments.
    """

    def __init__(self, config: dict[str, Any], batch_size: int) -> None:
        self.config = config
        self.weights: dict[str, NDArray[np.float64] | None] = {}
        for key, (factor, _) in TASK_WEIGHT_KEYS.items():
            weights = config[key]
            self.weights[factor] = (
                None if weights is None else np.asarray(weights) / float(np.sum(weights))
            )
        bands = [
            band
            for index, band in enumerate(BANDS)
            if (self.weights["band"] is None and band == config["band"])
            or (self.weights["band"] is not None and self.weights["band"][index] > 0.0)
        ]
        self.core = SatelliteCore(
            {**config, "band": bands[0]}, batch_size, block_draws=True, bands=bands
        )
        self.num_users, self.num_subbands = self.core.num_users, self.core.num_subbands
        self.num_terminals = self.core.num_terminals
        self.task = np.zeros((batch_size, len(FACTORS)), dtype=np.int64)  # choice indices
        self.task[:, 0] = BANDS.index(bands[0])

    # ---------------------------------------------------------------------------- tasks
    def _draw(self, factor: str, rng: np.random.Generator) -> int:
        """Index of the choice of ``factor`` for a new episode (the fixed key if not drawn)."""
        weights = self.weights[factor]
        if weights is None:
            return CHOICES[factor].index(self.config[factor])
        return int(rng.choice(len(weights), p=weights))

    def reset(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> None:
        """Draw each env's task, then start its pass."""
        core = self.core
        names = [link.name for link in core.links]
        for i in envs:
            self.task[i] = [self._draw(factor, rngs[i]) for factor in FACTORS]
            core.set_band(np.array([i]), names.index(BANDS[self.task[i, 0]]))
            core.clustered[i] = USER_DISTRIBUTIONS[self.task[i, 1]] == "clustered"
            core.geo_layout[i] = self.task[i, 2]
            geo, backlog = profile_weights(self.config, REWARD_PROFILES[self.task[i, 3]])
            core.geo_penalty_per_db[i], core.backlog_cost[i] = geo, backlog
        core.reset(envs, rngs)

    # ---------------------------------------------------------------- observation, step
    @property
    def observation_size(self) -> int:
        """Length of an observation: the core's, plus the task's one-hot blocks if exposed."""
        size = self.core.observation_size
        if self.config["expose_task"]:
            size += sum(len(CHOICES[factor]) for factor in FACTORS)
        return size

    def observations(self, envs: NDArray[np.int64]) -> NDArray[np.float32]:
        """Observations of ``envs``, ``(n, observation_size)``."""
        out = np.zeros((len(envs), self.observation_size), dtype=np.float32)
        out[:, : self.core.observation_size] = self.core.observations(envs)
        if self.config["expose_task"]:
            column = out.shape[1] - sum(len(CHOICES[factor]) for factor in FACTORS)
            for factor_index, factor in enumerate(FACTORS):
                out[np.arange(len(envs)), column + self.task[envs, factor_index]] = 1.0
                column += len(CHOICES[factor])
        return out

    def cell_colours(self, envs: NDArray[np.int64]) -> NDArray[np.int64]:
        """Four-colour cell colour of each user, ``(n, K)`` (see ``SatelliteCore``)."""
        return self.core.cell_colours(envs)

    def step(
        self, envs: NDArray[np.int64], decision: Decision, rngs: Sequence[np.random.Generator]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], dict[str, NDArray[Any]]]:
        """Step every env; rewards, truncations and info (with each env's task), one row each."""
        rewards, truncated, info = self.core.step(envs, decision, rngs)
        info["task"] = self.task[envs].copy()
        return rewards, truncated, info

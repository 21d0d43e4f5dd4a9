"""How the expert-routing core draws each env's randomness: v0's and v1's schemes.

Both draw the same variates from the same distributions, from each env's own generator, and
return them as the same arrays; the core does everything after the draws alike.

* :class:`VariateDraws` (``wmoe/ExpertRouting-v0``): one generator call per variate group
  (SNRs, speeds, gains, sample, link noise; inter-arrival time, innovations, sample, link
  noise), env by env, in that order.
* :class:`WordDraws` (``wmoe/ExpertRouting-v1``): one call per env per reset and per step
  (:func:`~wmoe.envs.batch_draws.draw_words`), the words turned into variates batch-wide.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.batch_draws import (
    circular_normals,
    draw_words,
    standard_normals,
    uniform_indices,
    unit_uniforms,
)
from wmoe.phy.analog_link import draw_link_snrs_db
from wmoe.phy.fading import rayleigh_gains


@dataclass(frozen=True)
class TaskDraws:
    """New tasks, one row per env.

    Attributes:
        samples: Index of each task's sample in the split, ``(n,)``.
        noise: Standard normal noise each link would add to the feature, ``(n, K, d)``
            (float64 or float32).
    """

    samples: NDArray[np.int64]
    noise: NDArray[np.floating[Any]]


@dataclass(frozen=True)
class EpisodeDraws:
    """What a reset draws, one row per env.

    Attributes:
        snr_db: Average SNR of each device's link [dB], ``(n, K)``.
        speed_flops: Compute speed of each device [FLOP/s], ``(n, K)``.
        gains: Initial fading gains ``h_k ~ CN(0, 1)``, ``(n, K)``.
        task: The first task.
    """

    snr_db: NDArray[np.float64]
    speed_flops: NDArray[np.float64]
    gains: NDArray[np.complex128]
    task: TaskDraws


@dataclass(frozen=True)
class ArrivalDraws:
    """What an arrival (a step) draws, one row per env.

    Attributes:
        interval_s: Time since the previous arrival, ``Exp(arrival_rate_hz)`` [s], ``(n,)``.
        innovation: Gauss-Markov innovations ``w_k ~ CN(0, 1)`` of the gains, ``(n, K)``.
        task: The arriving task.
    """

    interval_s: NDArray[np.float64]
    innovation: NDArray[np.complex128]
    task: TaskDraws


class RoutingDraws(ABC):
    """A draw scheme of the routing core: the variates of resets and arrivals, per env.

    Args:
        config: A validated routing config (its SNR, speed and arrival keys are read).
        num_samples: Samples in the configured split.
        num_experts: ``K``, devices.
        feature_dim: ``d``, entries of a feature.
    """

    def __init__(
        self, config: dict[str, Any], num_samples: int, num_experts: int, feature_dim: int
    ) -> None:
        self.snr_mean_db = float(config["snr_mean_db"])
        self.snr_std_db = float(config["snr_std_db"])
        speed_range = np.asarray(config["compute_speed_range_flops"], dtype=np.float64)
        self.log_speed_low, self.log_speed_high = np.log(speed_range)  # [ln FLOP/s]
        self.arrival_rate_hz = float(config["arrival_rate_hz"])
        self.num_samples = num_samples
        self.num_experts = num_experts
        self.feature_dim = feature_dim

    @abstractmethod
    def episode(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> EpisodeDraws:
        """The links, devices and first task of new episodes in ``envs``."""

    @abstractmethod
    def arrival(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> ArrivalDraws:
        """The inter-arrival time, fading innovations and task of the next arrival in ``envs``."""


class VariateDraws(RoutingDraws):
    """``wmoe/ExpertRouting-v0``'s draws: the generator's own methods, one call per group.

    Per env, a reset draws the SNRs, the speeds, the gains, then the sample and the link
    noise; an arrival draws the inter-arrival time, the innovations, the sample and the noise.
    """

    def _task(self, rng: np.random.Generator) -> tuple[int, NDArray[np.float64]]:
        sample = int(rng.integers(self.num_samples))
        return sample, rng.standard_normal((self.num_experts, self.feature_dim))

    def _tasks(self, n: int) -> TaskDraws:
        """An empty :class:`TaskDraws` of ``n`` rows to fill."""
        return TaskDraws(
            np.empty(n, dtype=np.int64), np.empty((n, self.num_experts, self.feature_dim))
        )

    def episode(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> EpisodeDraws:
        """The links, devices and first task of new episodes in ``envs``."""
        n, k = len(envs), self.num_experts
        draws = EpisodeDraws(
            np.empty((n, k)), np.empty((n, k)), np.empty((n, k), np.complex128), self._tasks(n)
        )
        for row, i in enumerate(envs):
            rng = rngs[i]
            draws.snr_db[row] = draw_link_snrs_db(rng, k, self.snr_mean_db, self.snr_std_db)
            draws.speed_flops[row] = np.exp(rng.uniform(self.log_speed_low, self.log_speed_high, k))
            draws.gains[row] = rayleigh_gains(rng, k)
            draws.task.samples[row], draws.task.noise[row] = self._task(rng)
        return draws

    def arrival(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> ArrivalDraws:
        """The inter-arrival time, fading innovations and task of the next arrival in ``envs``."""
        n, k = len(envs), self.num_experts
        draws = ArrivalDraws(np.empty(n), np.empty((n, k), np.complex128), self._tasks(n))
        mean_interval_s = 1.0 / self.arrival_rate_hz
        for row, i in enumerate(envs):
            rng = rngs[i]
            draws.interval_s[row] = rng.exponential(mean_interval_s)
            draws.innovation[row] = rayleigh_gains(rng, k)
            draws.task.samples[row], draws.task.noise[row] = self._task(rng)
        return draws


class WordDraws(RoutingDraws):
    """``wmoe/ExpertRouting-v1``'s draws: one call of each env's generator per reset and step.

    Each env's raw words (:func:`~wmoe.envs.batch_draws.draw_words`) are laid out as ``[sample
    | K speeds | normals]`` for a reset and ``[sample | inter-arrival time | normals]`` for an
    arrival. The sample is a multiply-shift index, a speed ``exp`` of a log-uniform, the
    inter-arrival time ``-ln(u) / arrival_rate_hz`` (inverse transform); the normals are
    float32 Box-Muller pairs, two per word, of which a reset takes the ``K`` SNRs, ``2 K``
    for the gains and ``K d`` for the link noise, and an arrival ``2 K`` for the innovations
    and ``K d`` for the noise (a gain or innovation is a pair of normals,
    :func:`~wmoe.envs.batch_draws.circular_normals`).
    """

    def __init__(
        self, config: dict[str, Any], num_samples: int, num_experts: int, feature_dim: int
    ) -> None:
        super().__init__(config, num_samples, num_experts, feature_dim)
        k, d = num_experts, feature_dim
        self._episode_normal_words = (3 * k + k * d + 1) // 2
        self._arrival_normal_words = (2 * k + k * d + 1) // 2

    def _task(self, samples: NDArray[np.uint64], noise: NDArray[np.float32]) -> TaskDraws:
        """A task from its sample's words and ``K d`` standard normals per env."""
        n, k, d = len(samples), self.num_experts, self.feature_dim
        return TaskDraws(
            uniform_indices(samples, self.num_samples), noise[:, : k * d].reshape(n, k, d)
        )

    def episode(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> EpisodeDraws:
        """The links, devices and first task of new episodes in ``envs``."""
        k = self.num_experts
        words = draw_words(envs, rngs, 1 + k + self._episode_normal_words)
        normals = standard_normals(words[:, 1 + k :], np.float32)
        low, high = self.log_speed_low, self.log_speed_high
        return EpisodeDraws(
            snr_db=self.snr_mean_db + self.snr_std_db * normals[:, :k].astype(np.float64),
            speed_flops=np.exp(low + (high - low) * unit_uniforms(words[:, 1 : 1 + k])),
            gains=circular_normals(normals[:, k : 3 * k]),
            task=self._task(words[:, 0], normals[:, 3 * k :]),
        )

    def arrival(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> ArrivalDraws:
        """The inter-arrival time, fading innovations and task of the next arrival in ``envs``."""
        k = self.num_experts
        words = draw_words(envs, rngs, 2 + self._arrival_normal_words)
        normals = standard_normals(words[:, 2:], np.float32)
        return ArrivalDraws(
            interval_s=-np.log(unit_uniforms(words[:, 1])) / self.arrival_rate_hz,
            innovation=circular_normals(normals[:, : 2 * k]),
            task=self._task(words[:, 0], normals[:, 2 * k :]),
        )

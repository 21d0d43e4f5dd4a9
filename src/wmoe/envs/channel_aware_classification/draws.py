"""How the classification core draws each env's randomness: v0's and v1's schemes.

Both draw the same variates from the same distributions, from each env's own generator, and
return them as the same arrays; the core does everything after the draws alike (a digital
link then draws its channel noise from each env's generator, after these draws, in both).

* :class:`VariateDraws` (``wmoe/ChannelAwareClassification-v0``): one generator call per
  variate group (sample, SNRs, gains, analog link noise), env by env, in that order.
* :class:`WordDraws` (``wmoe/ChannelAwareClassification-v1``): one call per env and step
  (:func:`~wmoe.envs.batch_draws.draw_words`), the words turned into variates batch-wide.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.classification.links import LinkStatistics, draw_link_gains
from wmoe.envs.batch_draws import draw_words, standard_normals, uniform_indices, unit_uniforms


@dataclass(frozen=True)
class SampleDraws:
    """A new sample and new links, one row per env.

    Attributes:
        samples: Index of each sample in the split, ``(n,)``.
        snr_db: Average SNR of each expert's link [dB], ``(n, K)``.
        amplitude: Rayleigh fading amplitude ``|h_k|`` of each link, ``(n, K)``.
        noise: Standard normal noise each analog link adds to the feature, ``(n, K, d)``
            (float64 or float32); None for digital links.
    """

    samples: NDArray[np.int64]
    snr_db: NDArray[np.float64]
    amplitude: NDArray[np.float64]
    noise: NDArray[np.floating[Any]] | None


class ClassificationDraws(ABC):
    """A draw scheme of the classification core: each step's sample and links, per env.

    Args:
        config: A validated classification config (its SNR and ``link`` keys are read).
        num_samples: Samples in the configured split.
        num_experts: ``K``, experts.
        feature_dim: ``d``, entries of a feature.
    """

    def __init__(
        self, config: dict[str, Any], num_samples: int, num_experts: int, feature_dim: int
    ) -> None:
        self.links = LinkStatistics(config["snr_mean_db"], config["snr_std_db"])
        self.analog = config["link"] == "analog"
        self.num_samples = num_samples
        self.num_experts = num_experts
        self.feature_dim = feature_dim

    @abstractmethod
    def sample(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> SampleDraws:
        """A new sample, new links and (analog links) their noise for each of ``envs``."""


class VariateDraws(ClassificationDraws):
    """``wmoe/ChannelAwareClassification-v0``'s draws: the generator's own methods.

    Per env: the sample, the ``K`` SNRs, the ``K`` gains, then (analog links) the noise.
    """

    def sample(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> SampleDraws:
        """A new sample, new links and (analog links) their noise for each of ``envs``."""
        n, k, d = len(envs), self.num_experts, self.feature_dim
        draws = SampleDraws(
            np.empty(n, dtype=np.int64),
            np.empty((n, k)),
            np.empty((n, k)),
            np.empty((n, k, d)) if self.analog else None,
        )
        for row, i in enumerate(envs):
            rng = rngs[i]
            draws.samples[row] = rng.integers(self.num_samples)
            snr_db, amplitude = draw_link_gains((1, k), self.links, rng)
            draws.snr_db[row], draws.amplitude[row] = snr_db[0], amplitude[0]
            if draws.noise is not None:
                draws.noise[row] = rng.standard_normal((k, d))
        return draws


class WordDraws(ClassificationDraws):
    """``wmoe/ChannelAwareClassification-v1``'s draws: one generator call per env and step.

    Each env's raw words (:func:`~wmoe.envs.batch_draws.draw_words`) are laid out as ``[sample
    | K gains | normals]``: the sample a multiply-shift index, an amplitude ``sqrt(-ln u)``
    of a uniform ``u`` (``|h|^2 ~ Exp(1)`` for ``h ~ CN(0, 1)``, by inverse transform), and
    float32 Box-Muller normals, two per word: the ``K`` SNRs, then (analog links) the ``K d``
    entries of the link noise.
    """

    def __init__(
        self, config: dict[str, Any], num_samples: int, num_experts: int, feature_dim: int
    ) -> None:
        super().__init__(config, num_samples, num_experts, feature_dim)
        k, d = num_experts, feature_dim
        self._normal_words = (k + (k * d if self.analog else 0) + 1) // 2

    def sample(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> SampleDraws:
        """A new sample, new links and (analog links) their noise for each of ``envs``."""
        n, k, d = len(envs), self.num_experts, self.feature_dim
        words = draw_words(envs, rngs, 1 + k + self._normal_words)
        normals = standard_normals(words[:, 1 + k :], np.float32)
        links = self.links
        return SampleDraws(
            samples=uniform_indices(words[:, 0], self.num_samples),
            snr_db=links.snr_mean_db + links.snr_std_db * normals[:, :k].astype(np.float64),
            amplitude=np.sqrt(-np.log(unit_uniforms(words[:, 1 : 1 + k]))),
            noise=normals[:, k : k + k * d].reshape(n, k, d) if self.analog else None,
        )

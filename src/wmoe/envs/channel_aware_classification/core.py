"""Batched simulator of channel-aware expert selection as a contextual bandit (no Gymnasium).

The supervised system of the channel-aware gating paper (:mod:`wmoe.classification`) turned
into a decision problem: each step one sample of the configured data split arrives at the
server, which holds its backbone feature ``z`` and knows each of the ``K`` expert links
(SNR and fading gain, hence the distortion ``sigma~_k`` of eq. 6); the agent picks the expert
that receives ``z``. The chosen expert classifies what its link delivered. The trained
backbone and experts are built on first use from the configured dataset and cached
(:func:`wmoe.classification.system.trained_system`).

State is held as arrays with a leading batch dimension; each batch member draws its samples,
links and noise from its own ``numpy.random.Generator``, so a batch of ``B`` reproduces ``B``
single environments seeded alike. How it draws them is the core's draw scheme
(:mod:`wmoe.envs.channel_aware_classification.draws`): v0 calls the generator per variate
group, v1 once per env and step; everything after the draws is shared.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from wmoe.classification.links import analog_received, digital_received, links_from_gains
from wmoe.classification.model import distortion_features
from wmoe.classification.system import system_config, system_features
from wmoe.envs.batch_rows import read_rows, write_rows
from wmoe.envs.channel_aware_classification.draws import ClassificationDraws, VariateDraws


class ClassificationCore:
    """``batch_size`` copies of the expert-selection bandit, stepped together.

    Args:
        config: A validated config (see
            :class:`~wmoe.envs.channel_aware_classification.config.ClassificationConfig`).
        batch_size: Number of environments.
        draws_class: How each env draws its randomness: :class:`VariateDraws`
            (``wmoe/ChannelAwareClassification-v0``) or
            :class:`~wmoe.envs.channel_aware_classification.draws.WordDraws` (``-v1``).
    """

    def __init__(
        self,
        config: dict[str, Any],
        batch_size: int,
        draws_class: type[ClassificationDraws] = VariateDraws,
    ) -> None:
        self.config = config
        self.batch_size = batch_size
        system, pools = system_features(system_config(config), config["cache_dir"])
        self.system = system
        self.model = system.model
        self.features, self.labels = pools[config["split"]]
        self.num_samples = len(self.labels)
        self.num_experts = system.model.spec.num_experts
        self.feature_dim = system.model.feature_dim
        self.draws = draws_class(config, self.num_samples, self.num_experts, self.feature_dim)
        self.sample = np.zeros(batch_size, dtype=np.int64)
        self.snr_db = np.zeros((batch_size, self.num_experts))
        self.amplitude = np.ones((batch_size, self.num_experts))
        self.sigma = torch.zeros(batch_size, self.num_experts)
        self.delivered = torch.zeros(batch_size, self.num_experts, self.feature_dim)
        self.steps = np.zeros(batch_size, dtype=np.int64)

    @property
    def observation_size(self) -> int:
        """Length of an observation."""
        return self.feature_dim + self.num_experts * (1 + int(self.config["observe_snr_db"]))

    def _draw(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> None:
        """A new sample, new links and what they deliver, for each of ``envs``.

        The links' noise is drawn with the sample, so what each expert would receive is part
        of the (hidden) state. The draw scheme draws the sample, links and analog noise from
        each env's own generator, as a single env would; a digital link then draws its channel
        noise from each env's generator in turn. The arithmetic is batched.
        """
        model = self.model
        draws = self.draws.sample(envs, rngs)
        samples, snr_db, amplitude = draws.samples, draws.snr_db, draws.amplitude
        if draws.noise is None:
            counts = model.level_counts.numpy()
            for row, i in enumerate(envs):
                one = slice(row, row + 1)
                drawn = links_from_gains(snr_db[one], amplitude[one], model.feature_power)
                z = self.features[samples[row]][None]
                received = digital_received(z, drawn, model.quantizer_range, counts, rngs[i])
                self.delivered[i] = received[0]
        drawn = links_from_gains(snr_db, amplitude, model.feature_power)
        self.sample[envs] = samples
        self.snr_db[envs] = drawn.snr_db
        self.amplitude[envs] = drawn.amplitude
        self.sigma = write_rows(self.sigma, envs, drawn.sigma)
        if draws.noise is not None:
            z = self.features.index_select(0, torch.from_numpy(samples))
            noise_tensor = torch.as_tensor(draws.noise, dtype=torch.float32)
            received = analog_received(z, drawn.sigma, noise_tensor)
            self.delivered = write_rows(self.delivered, envs, received)

    def reset(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> None:
        """Start new episodes in ``envs``."""
        self.steps[envs] = 0
        self._draw(envs, rngs)

    def observations(self, envs: NDArray[np.int64]) -> NDArray[np.float32]:
        """``[z / rms(z), log(1 + sigma~ / rms(z)) (, SNR_dB / 50)]`` of ``envs``."""
        rms = self.model.feature_rms
        z = self.features.index_select(0, torch.from_numpy(self.sample[envs]))
        parts = [(z / rms).numpy(), distortion_features(read_rows(self.sigma, envs), rms).numpy()]
        if self.config["observe_snr_db"]:
            instantaneous = self.snr_db[envs] + 20 * np.log10(self.amplitude[envs])
            parts.append(instantaneous / 50.0)
        return np.concatenate(parts, axis=1).astype(np.float32)

    @torch.no_grad()
    def expert_log_probs(self, envs: NDArray[np.int64]) -> torch.Tensor:
        """Each expert's class log-probabilities on what it receives, ``(len(envs), K, C)``."""
        return torch.log_softmax(self.model.expert_logits(read_rows(self.delivered, envs)), -1)

    @torch.no_grad()
    def step(
        self,
        envs: NDArray[np.int64],
        experts: NDArray[np.int64],
        rngs: Sequence[np.random.Generator],
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], dict[str, NDArray[Any]]]:
        """Send each current sample to its chosen expert; draw the next sample.

        Returns:
            Rewards, truncation flags and info arrays (``label``, ``expert``, ``correct``,
            ``expert_correct`` per expert, ``snr_db`` per expert), one row per env.
        """
        log_probs = self.expert_log_probs(envs)
        labels = self.labels[self.sample[envs]]
        expert_correct = (log_probs.argmax(-1) == labels.unsqueeze(1)).numpy()
        rows = np.arange(len(envs))
        correct = expert_correct[rows, experts]
        if self.config["reward"] == "accuracy":
            rewards = correct.astype(np.float64)
        else:
            rewards = log_probs[rows, experts, labels].double().numpy()
        info = {
            "label": labels.numpy(),
            "expert": experts.copy(),
            "correct": correct,
            "expert_correct": expert_correct,
            "snr_db": self.snr_db[envs].copy(),
        }
        self.steps[envs] += 1
        truncated = self.steps[envs] >= self.config["episode_length"]
        self._draw(envs, rngs)
        return rewards, truncated, info

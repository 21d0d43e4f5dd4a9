"""``wmoe/ChannelAwareClassification-v0``: a thin Gymnasium adapter over the bandit core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from wmoe.envs.action_checks import choice_space, decode_choices
from wmoe.envs.channel_aware_classification.config import ClassificationConfig
from wmoe.envs.channel_aware_classification.core import ClassificationCore
from wmoe.envs.channel_aware_classification.render import ClassificationRenderer
from wmoe.envs.core_env import BatchStep, CoreBinding, CoreEnv


def observation_space(core: ClassificationCore) -> spaces.Box:
    """Unbounded ``Box`` of the core's observation length."""
    shape = (core.observation_size,)
    return spaces.Box(-np.inf, np.inf, shape, dtype=np.float32)


class ClassificationBinding(CoreBinding):
    """Spaces and actions of the classification bandit over :class:`ClassificationCore`."""

    config_schema = ClassificationConfig
    renderer_class = ClassificationRenderer
    core: ClassificationCore

    def __init__(self, config: dict[str, Any], batch_size: int) -> None:
        super().__init__(config, batch_size)
        self.core = ClassificationCore(config, batch_size)
        self.observation_space = observation_space(self.core)
        self.action_space = choice_space(self.core.num_experts, config["action_type"])

    def step(
        self, envs: NDArray[np.int64], actions: Any, rngs: Sequence[np.random.Generator]
    ) -> BatchStep:
        """Send each env's sample to its chosen expert."""
        k, action_type = self.core.num_experts, self.config["action_type"]
        experts = decode_choices(actions, len(envs), k, action_type, "an expert")
        rewards, truncated, info = self.core.step(envs, experts, rngs)
        return rewards, np.zeros(len(envs), dtype=np.bool_), truncated, info


class ChannelAwareClassificationEnv(CoreEnv):
    """Pick the expert that classifies a sample, knowing every expert's link.

    ## Description

    The channel-aware gating paper (Song et al., "Mixture-of-Experts for Distributed Edge
    Computing with Channel-Aware Gating Function", Sec. II-III) as a contextual bandit. A
    server runs a backbone ``F: x -> z``; ``K`` experts on edge devices are reached over
    flat Rayleigh links whose SNRs in dB are drawn from ``N(snr_mean_db, snr_std_db^2)``
    afresh for every sample. Each step one sample of the configured split arrives; the agent
    sees its feature and every link's distortion and chooses the expert that receives ``z``
    over its link (eq. 6: ``z + sigma~_k n``) and classifies it. The backbone and experts are
    the paper's two-stage system (:mod:`wmoe.classification`), trained on first use on the
    configured dataset (``digits`` by default, seconds on a CPU) and cached.

    ## Action Space

    ``Discrete(K)``: the expert. With ``action_type="continuous"``, ``Box(-1, 1, (K,))`` gate
    scores; the expert with the highest score is used (single-expert inference).

    ## Observation Space

    ``Box(-inf, inf, (d + K,), float32)``: the feature ``z / rms(z)`` (``rms`` over the
    training set), then ``log(1 + sigma~_k / rms(z))`` per expert link (0 for a perfect
    link). With ``observe_snr_db`` ``K`` more entries: each link's instantaneous SNR
    ``SNR_k |h_k|^2`` in dB divided by 50.

    ## Rewards

    ``accuracy``: 1 if the chosen expert's prediction is the true class, else 0.
    ``log_likelihood``: the log-probability the chosen expert assigns to the true class.

    ## Starting State

    A uniformly drawn sample of the split with freshly drawn links.

    ## Episode End

    Never terminates; truncates after ``episode_length`` steps. Every step draws a new sample
    and new links (the samples and links are independent: a contextual bandit).

    ## Arguments

    ``gym.make("wmoe/ChannelAwareClassification-v0", config={...})`` with keys of
    :class:`~wmoe.envs.channel_aware_classification.config.ClassificationConfig` (table below;
    an unknown key or an invalid value raises :class:`~wmoe.config.ConfigError`).
    ``info`` holds ``label``, ``expert``, ``correct``, ``expert_correct`` (whether
    each expert would have been right on what its link delivered: the oracle's knowledge)
    and ``snr_db`` (per link).

    ## Vectorized environment

    ``gym.make_vec("wmoe/ChannelAwareClassification-v0", num_envs=n)`` returns the native
    batched ``ChannelAwareClassificationVectorEnv``
    (:mod:`wmoe.envs.channel_aware_classification.vector`), equal to ``SyncVectorEnv`` over
    the same seeds.

    ## Version History

    * v0: initial version (analog links).
    """

    binding_class = ClassificationBinding
    binding: ClassificationBinding

    @property
    def core(self) -> ClassificationCore:
        """The simulator (for baselines and analysis)."""
        return self.binding.core

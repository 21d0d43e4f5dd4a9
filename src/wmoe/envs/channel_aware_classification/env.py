"""``wmoe/ChannelAwareClassification-v0`` and ``-v1``: thin Gymnasium adapters over the core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from wmoe.envs.action_checks import choice_space, decode_choices
from wmoe.envs.channel_aware_classification.config import ClassificationConfig
from wmoe.envs.channel_aware_classification.core import ClassificationCore
from wmoe.envs.channel_aware_classification.draws import (
    ClassificationDraws,
    VariateDraws,
    WordDraws,
)
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
    draws_class: ClassVar[type[ClassificationDraws]] = VariateDraws
    core: ClassificationCore

    def __init__(self, config: dict[str, Any], batch_size: int) -> None:
        super().__init__(config, batch_size)
        self.core = ClassificationCore(config, batch_size, self.draws_class)
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

    * v0: initial version (analog links). ``wmoe/ChannelAwareClassification-v1``
      (:class:`ChannelAwareClassificationV1Env`) is the same task with faster draws
      (different trajectories per seed).
    """

    binding_class = ClassificationBinding
    binding: ClassificationBinding

    @property
    def core(self) -> ClassificationCore:
        """The simulator (for baselines and analysis)."""
        return self.binding.core


class ClassificationV1Binding(ClassificationBinding):
    """:class:`ClassificationBinding` drawing as ``-v1``: one generator call per env and step."""

    draws_class = WordDraws


class ChannelAwareClassificationV1Env(ChannelAwareClassificationEnv):
    """``wmoe/ChannelAwareClassification-v1``: v0's bandit, one generator call per env and step.

    ## Description

    The task of :class:`ChannelAwareClassificationEnv` (``wmoe/ChannelAwareClassification-v0``)
    unchanged: the same system, config keys and defaults, spaces, rewards, baselines and
    distributions of every random quantity. Only how an env draws its randomness from its
    generator differs: each step draws its sample, links and analog link noise with one call
    (raw 64-bit words, :mod:`wmoe.envs.batch_draws`), which makes the native vector env about
    twice as fast (64 envs, ``benchmarks/perf/README.md``), and gives a seed other draws than
    in v0 (see Version History).

    ## Action Space

    As v0: ``Discrete(K)``, or ``Box(-1, 1, (K,))`` gate scores with
    ``action_type="continuous"``.

    ## Observation Space

    As v0: ``Box(-inf, inf, (d + K,), float32)``, ``K`` more entries with ``observe_snr_db``.

    ## Rewards

    As v0.

    ## Starting State

    As v0.

    ## Episode End

    As v0: truncates after ``episode_length`` steps.

    ## Arguments

    ``gym.make("wmoe/ChannelAwareClassification-v1", config={...})`` with the keys of
    :class:`~wmoe.envs.channel_aware_classification.config.ClassificationConfig` (table
    below; v0's keys and defaults). ``info`` as v0.

    ## Vectorized environment

    ``gym.make_vec("wmoe/ChannelAwareClassification-v1", num_envs=n)`` returns the native
    batched ``ChannelAwareClassificationV1VectorEnv``, equal to ``SyncVectorEnv`` over the
    same seeds.

    ## Version History

    * v1: same distributions as v0, one generator call per env per step (v0: one call per
      variate group, env by env): the sample, link SNRs and gains and the analog link noise
      are drawn from the env's raw 64-bit words and turned into variates batch-wide (the SNRs
      and noise as float32 Box-Muller normals, the gain amplitudes from 52-bit uniforms, the
      sample by multiply-shift;
      :class:`~wmoe.envs.channel_aware_classification.draws.WordDraws`), so a seed gives
      different draws, hence different episodes, than in v0. A digital link's channel noise
      is drawn as in v0, after the words.
    * v0: :class:`ChannelAwareClassificationEnv`.
    """

    binding_class = ClassificationV1Binding
    binding: ClassificationV1Binding

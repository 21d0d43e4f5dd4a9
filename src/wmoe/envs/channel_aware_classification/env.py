"""``wmoe/ChannelAwareClassification-v0``: a thin Gymnasium adapter over the bandit core."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from wmoe.config import merge_config
from wmoe.envs.action_checks import check_integers, check_scores
from wmoe.envs.channel_aware_classification.core import ClassificationCore, default_config
from wmoe.envs.vector_base import first_row_info

_ENV0 = np.zeros(1, dtype=np.int64)


def observation_space(core: ClassificationCore) -> spaces.Box:
    """Unbounded ``Box`` of the core's observation length."""
    shape = (core.observation_size,)
    return spaces.Box(-np.inf, np.inf, shape, dtype=np.float32)


def action_space(core: ClassificationCore) -> spaces.Space[Any]:
    """``Discrete(K)`` or ``Box(-1, 1, (K,))`` gate scores."""
    if core.config["action_type"] == "discrete":
        return spaces.Discrete(core.num_experts)
    return spaces.Box(-1.0, 1.0, (core.num_experts,), dtype=np.float32)


def decode_actions(core: ClassificationCore, actions: Any, batch_size: int) -> NDArray[np.int64]:
    """Validate a batch of actions and return the chosen expert of each env."""
    k = core.num_experts
    if core.config["action_type"] == "discrete":
        return check_integers(actions, (batch_size,), k, f"an integer in [0, {k - 1}]")
    scores = check_scores(actions, (batch_size, k), f"{k} finite gate scores in [-1, 1]")
    return np.argmax(scores, axis=1).astype(np.int64)


class ChannelAwareClassificationEnv(gym.Env[NDArray[np.float32], Any]):
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
    :func:`wmoe.envs.channel_aware_classification.core.default_config` (an unknown key
    raises). ``info`` holds ``label``, ``expert``, ``correct``, ``expert_correct`` (whether
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

    metadata: dict[str, Any] = {"render_modes": []}

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        """Return the default configuration (see :func:`core.default_config`)."""
        return default_config()

    def __init__(
        self, config: dict[str, Any] | None = None, render_mode: str | None = None
    ) -> None:
        if render_mode is not None:
            raise ValueError(
                f"render_mode={render_mode!r} is not supported; this env has no rendering"
            )
        self.config = merge_config(self.default_config(), config)
        self._core = ClassificationCore(self.config, batch_size=1)
        self.action_space = action_space(self._core)
        self.observation_space = observation_space(self._core)  # type: ignore[assignment]

    @property
    def core(self) -> ClassificationCore:
        """The simulator (for baselines and analysis)."""
        return self._core

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[np.float32], dict[str, Any]]:
        """Start an episode with a random sample."""
        super().reset(seed=seed)
        self._core.reset(_ENV0, [self.np_random])
        return self._core.observations(_ENV0)[0], {}

    def step(self, action: Any) -> tuple[NDArray[np.float32], float, bool, bool, dict[str, Any]]:
        """Send the sample to the chosen expert, then draw the next sample and links."""
        experts = decode_actions(self._core, np.asarray(action)[None], 1)
        rewards, truncated, batched_info = self._core.step(_ENV0, experts, [self.np_random])
        info = first_row_info(batched_info)
        return self._core.observations(_ENV0)[0], float(rewards[0]), False, bool(truncated[0]), info

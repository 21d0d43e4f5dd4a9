"""Baselines of ``wmoe/ChannelAwareClassification-v0``.

- ``naive_gate``: the stage-1 gate ``G(z)``, blind to the links (the paper's naive gating);
- ``channel_aware_gate``: the stage-2 gate ``G_AW(z, sigma~)`` trained with supervision
  (the paper's proposal);
- ``best_link``: the expert with the smallest distortion ``sigma~_k``, blind to the feature;
- ``random``: a uniformly drawn expert;
- ``oracle``: the first expert that is right on what its link delivers, if any (it sees the
  links' noise and the label: an upper bound, not a realisable policy); when no expert is
  right it takes the best link.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.action_checks import encode_choice
from wmoe.envs.channel_aware_classification.core import ClassificationCore

_ENV0 = np.zeros(1, dtype=np.int64)

Baseline = Callable[[ClassificationCore, NDArray[np.int64], np.random.Generator], NDArray[np.int64]]


def _naive_gate(
    core: ClassificationCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    z = core.features[core.sample[envs]]
    return core.model.naive_choice(z).numpy()


def _channel_aware_gate(
    core: ClassificationCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    z = core.features[core.sample[envs]]
    return core.model.channel_aware_choice(z, core.sigma[envs]).numpy()


def _best_link(
    core: ClassificationCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    return core.sigma[envs].argmin(-1).numpy()


def _random(
    core: ClassificationCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    return rng.integers(core.num_experts, size=len(envs))


def _oracle(
    core: ClassificationCore, envs: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    labels = core.labels[core.sample[envs]]
    correct = (core.expert_log_probs(envs).argmax(-1) == labels.unsqueeze(1)).numpy()
    return np.where(correct.any(1), correct.argmax(1), _best_link(core, envs, rng))


BASELINES: dict[str, Baseline] = {
    "naive_gate": _naive_gate,
    "channel_aware_gate": _channel_aware_gate,
    "best_link": _best_link,
    "random": _random,
    "oracle": _oracle,
}


def baseline_action(name: str, env: Any, rng: np.random.Generator | None = None) -> Any:
    """The action a baseline takes in a single :class:`ChannelAwareClassificationEnv` now.

    Args:
        name: Key of :data:`BASELINES`.
        env: The (unwrapped) single environment.
        rng: Generator for the random baseline.
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose from {sorted(BASELINES)}")
    core: ClassificationCore = env.core
    expert = int(BASELINES[name](core, _ENV0, rng or np.random.default_rng())[0])
    return encode_choice(expert, core.num_experts, core.config["action_type"])

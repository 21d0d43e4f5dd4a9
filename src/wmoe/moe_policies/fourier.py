"""Random Fourier features of the observation, an SB3 features extractor.

A small MLP fed raw low-dimensional inputs, such as a UE's normalised ``(x, y)`` position,
learns high-frequency functions of them very slowly (the spectral bias of ReLU-like networks).
Mapping the input through sinusoids of random frequencies first, ``[x, sin(2 pi x B),
cos(2 pi x B)]`` with ``B ~ N(0, sigma^2)``, lets it fit them (Tancik et al., "Fourier
Features Let Networks Learn High Frequency Functions in Low Dimensional Domains", NeurIPS
2020; random features after Rahimi and Recht, NeurIPS 2007). ``scale`` (``sigma``) sets the
finest detail: features vary over about ``1 / sigma`` of an observation unit, so a large
scale memorises seen inputs and a small one generalises between them.

The frequencies are drawn once from a generator seeded ``seed`` and stored as a buffer, so
the extractor has no trainable parameters and a saved policy reloads the same features.

In a hyperparameter file (``policy_kwargs``)::

    features_extractor: {name: fourier, frequencies: 64, scale: 4.0}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from gymnasium import spaces
from stable_baselines3.common.preprocessing import get_flattened_obs_dim
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor, FlattenExtractor
from torch import Tensor, nn


class FourierFeatures(BaseFeaturesExtractor):
    """``[x, sin(2 pi x B), cos(2 pi x B)]`` of the flattened observation ``x``.

    Args:
        observation_space: A ``Box`` observation space.
        frequencies: Columns of ``B`` (the features are ``obs_dim + 2 * frequencies`` wide).
        scale: Standard deviation ``sigma`` of ``B``'s entries [cycles per observation unit].
        seed: Seed of the draw of ``B``.

    Raises:
        ValueError: On ``frequencies < 1`` or ``scale <= 0``.
    """

    frequency_matrix: Tensor

    def __init__(
        self,
        observation_space: spaces.Space[Any],
        frequencies: int = 64,
        scale: float = 4.0,
        seed: int = 0,
    ) -> None:
        if frequencies < 1:
            raise ValueError(f"frequencies must be >= 1, got {frequencies}")
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        obs_dim = get_flattened_obs_dim(observation_space)
        super().__init__(observation_space, obs_dim + 2 * frequencies)
        generator = torch.Generator().manual_seed(seed)
        matrix = scale * torch.randn(obs_dim, frequencies, generator=generator)
        self.register_buffer("frequency_matrix", matrix)
        self.flatten = nn.Flatten()

    def forward(self, observations: Tensor) -> Tensor:
        """``(B, obs_dim + 2 * frequencies)`` features."""
        x = self.flatten(observations)
        projection = 2.0 * math.pi * x @ self.frequency_matrix
        return torch.cat([x, projection.sin(), projection.cos()], dim=-1)


FEATURE_EXTRACTORS: dict[str, type[BaseFeaturesExtractor]] = {
    "flatten": FlattenExtractor,
    "fourier": FourierFeatures,
}


def features_extractor_kwargs(policy_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``policy_kwargs`` with a ``features_extractor`` mapping turned into SB3's two kwargs.

    ``{"features_extractor": {"name": "fourier", "frequencies": 64}}`` becomes
    ``{"features_extractor_class": FourierFeatures, "features_extractor_kwargs":
    {"frequencies": 64}}``; other keys pass through.

    Raises:
        ValueError: On an unknown extractor name or a mapping without ``name``.
    """
    kwargs = dict(policy_kwargs)
    spec = kwargs.pop("features_extractor", None)
    if spec is None:
        return kwargs
    if not isinstance(spec, Mapping) or "name" not in spec:
        raise ValueError(
            f"policy_kwargs.features_extractor must be a mapping with a name (one of "
            f"{sorted(FEATURE_EXTRACTORS)}), got {spec!r}"
        )
    options = dict(spec)
    name = options.pop("name")
    if name not in FEATURE_EXTRACTORS:
        raise ValueError(
            f"unknown features extractor {name!r}; valid: {', '.join(sorted(FEATURE_EXTRACTORS))}"
        )
    kwargs["features_extractor_class"] = FEATURE_EXTRACTORS[name]
    kwargs["features_extractor_kwargs"] = options
    return kwargs

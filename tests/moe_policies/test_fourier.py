"""Random Fourier features: closed form, no parameters, seeded, in a trained policy, bad input."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.torch_layers import FlattenExtractor

from wmoe.agents.hyperparams import load_defaults, merge_hyperparameters
from wmoe.agents.registry import get_algorithm
from wmoe.agents.train import make_training_env, new_model
from wmoe.moe_policies.fourier import FourierFeatures, features_extractor_kwargs

SPACE = spaces.Box(0.0, 1.0, (2,), dtype=np.float32)


def test_features_are_the_input_then_sines_and_cosines_of_its_projections() -> None:
    extractor = FourierFeatures(SPACE, frequencies=3, scale=2.0, seed=4)
    assert extractor.features_dim == 2 + 2 * 3
    assert not list(extractor.parameters())  # a fixed map: nothing to train
    x = torch.tensor([[0.25, 0.5], [1.0, 0.0]])
    b = extractor.frequency_matrix
    features = extractor(x)
    torch.testing.assert_close(features[:, :2], x)
    for row in range(2):
        for k in range(3):
            angle = 2 * math.pi * float(x[row] @ b[:, k])
            assert features[row, 2 + k].item() == pytest.approx(math.sin(angle), abs=1e-5)
            assert features[row, 5 + k].item() == pytest.approx(math.cos(angle), abs=1e-5)
    again = FourierFeatures(SPACE, frequencies=3, scale=2.0, seed=4)
    torch.testing.assert_close(again.frequency_matrix, b)
    other = FourierFeatures(SPACE, frequencies=3, scale=2.0, seed=5)
    assert not torch.equal(other.frequency_matrix, b)


def test_scale_is_the_standard_deviation_of_the_frequencies() -> None:
    extractor = FourierFeatures(SPACE, frequencies=20_000, scale=3.0)
    assert extractor.frequency_matrix.std().item() == pytest.approx(3.0, rel=0.02)
    assert extractor.frequency_matrix.mean().item() == pytest.approx(0.0, abs=0.05)


def test_a_hyperparameter_mapping_becomes_sb3_kwargs() -> None:
    kwargs = features_extractor_kwargs(
        {"network": "mlp", "features_extractor": {"name": "fourier", "frequencies": 8}}
    )
    assert kwargs == {
        "network": "mlp",
        "features_extractor_class": FourierFeatures,
        "features_extractor_kwargs": {"frequencies": 8},
    }
    assert features_extractor_kwargs({"features_extractor": {"name": "flatten"}}) == {
        "features_extractor_class": FlattenExtractor,
        "features_extractor_kwargs": {},
    }
    assert features_extractor_kwargs({"network": "mlp"}) == {"network": "mlp"}


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"name": "fft"}, "unknown features extractor 'fft'; valid: flatten, fourier"),
        ("fourier", "must be a mapping with a name"),
        ({"frequencies": 8}, "must be a mapping with a name"),
    ],
)
def test_bad_extractor_specs_raise(spec: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        features_extractor_kwargs({"features_extractor": spec})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"frequencies": 0}, "frequencies must be >= 1"), ({"scale": 0.0}, "scale must be > 0")],
)
def test_bad_extractor_settings_raise(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FourierFeatures(SPACE, **kwargs)


def test_a_ppo_policy_with_fourier_features_learns_and_reloads(
    reception_config: dict[str, Any], tmp_path: Path
) -> None:
    entry = get_algorithm("ppo")
    defaults, _ = load_defaults(entry, "wmoe/MultiBSReception-v0")
    overrides = {
        "env_kwargs": {"config": reception_config},
        "n_steps": 32,
        "batch_size": 32,
        "policy_kwargs": {"features_extractor": {"name": "fourier", "frequencies": 16}},
    }
    hyperparameters = merge_hyperparameters(entry, defaults, overrides)
    venv = make_training_env("wmoe/MultiBSReception-v0", hyperparameters, 2, seed=0)
    model = new_model(entry, venv, hyperparameters, seed=0).learn(64)
    assert isinstance(model.policy.features_extractor, FourierFeatures)
    obs = np.stack([venv.observation_space.sample() for _ in range(8)])
    actions = model.predict(obs, deterministic=True)[0]
    model.save(tmp_path / "model.zip")
    loaded = PPO.load(tmp_path / "model.zip")
    assert isinstance(loaded.policy.features_extractor, FourierFeatures)
    np.testing.assert_array_equal(loaded.predict(obs, deterministic=True)[0], actions)

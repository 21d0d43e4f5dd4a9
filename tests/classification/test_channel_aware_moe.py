"""The distributed MoE classifier, its two-stage training, links and evaluation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wmoe.classification.evaluation import evaluate_analog, evaluate_digital
from wmoe.classification.links import (
    LinkStatistics,
    analog_received,
    draw_links,
    standard_noise,
)
from wmoe.classification.model import DistributedMoEClassifier, MoEClassifierSpec
from wmoe.classification.system import SystemConfig, cache_path, trained_system
from wmoe.classification.training import TrainingConfig, compute_features

SPEC = MoEClassifierSpec(backbone="lenet5", num_experts=4, in_channels=1, image_size=8)


def _model() -> DistributedMoEClassifier:
    torch.manual_seed(0)
    return DistributedMoEClassifier(SPEC)


def test_experts_follow_table_i_and_see_their_own_inputs() -> None:
    model = _model()
    assert model.feature_dim == 120
    assert [tuple(w.shape) for w in model.experts.weights] == [(4, 120, 84), (4, 84, 10)]
    z = torch.randn(5, 120)
    shared = model.expert_logits(z)
    per_expert = model.expert_logits(z.unsqueeze(1).expand(5, 4, 120))
    assert shared.shape == (5, 4, 10)
    torch.testing.assert_close(shared, per_expert)
    for k in range(4):
        torch.testing.assert_close(shared[:, k], model.experts.expert(k, z))


def test_mixture_mixes_class_probabilities() -> None:
    model = _model()
    logits = torch.randn(3, 4, 10)
    weights = torch.softmax(torch.randn(3, 4), dim=-1)
    expected = torch.log((weights.unsqueeze(-1) * torch.softmax(logits, -1)).sum(1))
    torch.testing.assert_close(model.mixture_log_probs(logits, weights), expected)
    one_hot = torch.nn.functional.one_hot(torch.tensor([2, 0, 3]), 4).float()
    torch.testing.assert_close(
        model.mixture_log_probs(logits, one_hot),
        torch.log_softmax(logits[torch.arange(3), torch.tensor([2, 0, 3])], -1),
    )


def test_analog_links_add_noise_of_the_drawn_std() -> None:
    rng = np.random.default_rng(0)
    drawn = draw_links((2000, 3), LinkStatistics(10.0, 0.0), feature_power=4.0, rng=rng)
    # SNR 10 dB on a unit-mean-power Rayleigh link: sigma~ = sqrt(P / SNR) / |h|
    torch.testing.assert_close(
        drawn.sigma.double(), torch.as_tensor(np.sqrt(4.0 / 10.0) / drawn.amplitude)
    )
    z = torch.zeros(2000, 64)
    noise = standard_noise(drawn.sigma, 64, torch.Generator().manual_seed(0))
    received = analog_received(z, drawn.sigma, noise)
    ratio = received.square().mean(-1) / drawn.sigma.square()
    assert ratio.mean().item() == pytest.approx(1.0, abs=0.02)


def test_two_stage_training_reproduces_the_papers_ordering() -> None:
    # The classification env's default system, so the test session trains it once.
    config = SystemConfig(
        dataset="digits",
        num_experts=8,
        training=TrainingConfig(stage1_epochs=20, stage2_epochs=10),
    )
    system = trained_system(config)
    assert cache_path(config).exists()
    z = compute_features(system.model, torch.as_tensor(system.split.test.images))
    labels = torch.as_tensor(system.split.test.labels)
    result = evaluate_analog(system.model, z, labels, LinkStatistics(), seed=0)
    assert result.perfect > 0.85
    assert result.perfect > result.channel_aware > result.naive + 0.03
    assert result.oracle >= result.channel_aware

    cached = trained_system(config)
    for key, value in system.model.state_dict().items():
        torch.testing.assert_close(cached.model.state_dict()[key], value)
    assert cached.stage1.validation_accuracy == system.stage1.validation_accuracy
    again = evaluate_analog(cached.model, z, labels, LinkStatistics(), seed=0)
    assert again == result

    digital = evaluate_digital(system.model, z, labels, LinkStatistics(), seed=0)
    assert digital.perfect == result.perfect
    assert digital.perfect > digital.channel_aware > digital.naive


def test_bad_architecture_is_rejected_with_the_valid_choices() -> None:
    with pytest.raises(ValueError, match="unknown backbone 'vgg'; valid: lenet5, resnet18, vit"):
        MoEClassifierSpec(backbone="vgg")
    with pytest.raises(ValueError, match=r"num_experts must be in \[2, 64\], got 1"):
        MoEClassifierSpec(num_experts=1)

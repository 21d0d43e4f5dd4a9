"""Per-expert dormant-neuron and effective-rank statistics: hand-computed values, logging."""

from __future__ import annotations

import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.logger import Logger
from torch import nn

from wmoe.moe_policies.callback import MoELoggingCallback
from wmoe.moe_policies.feature_stats import (
    dormant_fraction,
    effective_rank,
    expert_feature_stats,
)
from wmoe.moe_policies.layers import RoutedLayer, SoftMoELayer
from wmoe.moe_policies.presets import PRESETS
from wmoe.moe_policies.sb3_policies import MoEActorCriticPolicy
from wmoe.moe_policies.spec import build_moe_block

torch.set_num_threads(1)

# Two experts, two samples, four neurons. Expert 0's |h| means are 1, 0, 2, 0.05 (layer mean
# 0.7625): neuron 1 scores 0 and neuron 3 scores 0.0656. Expert 1's neurons all score 1.
LAYER = torch.tensor(
    [
        [[1.0, 0.0, 2.0, 0.05], [-1.0, 0.0, -2.0, 0.05]],
        [[-1.0, 1.0, 1.0, 1.0], [1.0, -1.0, 1.0, 1.0]],
    ]
)
# A second layer of width 2: expert 0's neuron 0 is dead, expert 1's neuron 1 has score
# 0.1 / 1.05 = 0.095.
SECOND = torch.tensor([[[0.0, 3.0], [0.0, 1.0]], [[2.0, 0.1], [2.0, 0.1]]])


def test_dormant_fraction_by_hand() -> None:
    torch.testing.assert_close(dormant_fraction([LAYER], 0.0), torch.tensor([0.25, 0.0]))
    torch.testing.assert_close(dormant_fraction([LAYER], 0.1), torch.tensor([0.5, 0.0]))
    # Each layer is normalised by its own mean; the fraction is over all six neurons.
    torch.testing.assert_close(dormant_fraction([LAYER, SECOND], 0.0), torch.tensor([2, 0]) / 6)
    torch.testing.assert_close(dormant_fraction([LAYER, SECOND], 0.1), torch.tensor([3, 1]) / 6)


def test_a_dead_layer_is_all_dormant() -> None:
    torch.testing.assert_close(dormant_fraction([torch.zeros(1, 5, 3)], 0.0), torch.ones(1))


def _diagonal(*values: float) -> torch.Tensor:
    features = torch.zeros(4, 3)
    features[: len(values), : len(values)] = torch.diag(torch.tensor(values))
    return features


def test_effective_rank_by_hand() -> None:
    features = torch.stack(
        [
            _diagonal(3.0, 1.0),  # cumulative 0.75, 1.0
            _diagonal(100.0, 0.5, 0.4),  # 100 / 100.9 = 0.991 >= 0.99
            torch.zeros(4, 3),
            _diagonal(1.0, 1.0, 1.0),  # 1/3, 2/3, 1
        ]
    )
    assert effective_rank(features).tolist() == [2, 1, 0, 3]
    assert effective_rank(features, delta=0.4).tolist() == [1, 1, 0, 2]  # reach 0.6
    # Rotating the samples or the features keeps the singular values.
    rotation = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(0)))[0]
    assert effective_rank(rotation @ features).tolist() == [2, 1, 0, 3]


def test_expert_feature_stats_keys_and_values() -> None:
    stats = expert_feature_stats([LAYER, SECOND])
    assert stats["dormant_tau0_0"] == pytest.approx(2 / 6)
    assert stats["dormant_tau0.1_1"] == pytest.approx(1 / 6)
    # srank of the last layer: expert 0 has singular values sqrt(10), 0 -> 1; expert 1 too.
    assert (stats["srank_0"], stats["srank_1"]) == (1.0, 1.0)
    assert len(stats) == 3 * 2


@pytest.mark.parametrize("preset", ["moe-top2", "moe-soft", "moe-hier", "mmoe"])
def test_layer_captures_its_training_input_and_computes_the_stats_on_it(preset: str) -> None:
    torch.manual_seed(0)
    spec = PRESETS[preset]
    block = build_moe_block(spec, 6, nn.ReLU, num_heads=2 if spec.router.multi_gate else 1)
    assert isinstance(block, RoutedLayer)
    x = torch.randn(32, 6)
    block.train()
    block(x)
    assert block.last_input is None and block.feature_stats() == {}  # capture is off
    block.capture_input = True
    with torch.no_grad():
        block(x)
    assert block.last_input is None  # inference forwards are not captured
    block(x)
    assert block.last_input is not None
    inputs = block.expert_inputs(x)
    activations = block.experts.hidden_activations(inputs)
    stats = block.feature_stats()
    assert block.last_input is None
    want = expert_feature_stats(activations)
    assert stats.keys() == want.keys() and len(stats) == 3 * block.num_experts
    for key, value in want.items():
        assert stats[key] == pytest.approx(value)
    if isinstance(block, SoftMoELayer):  # the experts run on every slot of every sample
        assert inputs.shape == (block.num_experts, 32 * block.slots_per_expert, 6)


def test_callback_logs_feature_stats_at_its_interval_only() -> None:
    def train(interval: int) -> set[str]:
        model = PPO(
            MoEActorCriticPolicy,
            "CartPole-v1",
            n_steps=32,
            batch_size=32,
            n_epochs=1,
            policy_kwargs={"network": "moe-top2"},
            seed=0,
        )
        recorded: set[str] = set()
        record = Logger.record

        def spy(self: Logger, key: str, value: object, exclude: object = None) -> None:
            recorded.add(key)
            record(self, key, value, exclude)  # type: ignore[arg-type]

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Logger, "record", spy)
            model.learn(64, callback=MoELoggingCallback(feature_stats_interval=interval))
        for layer in model.policy.modules():
            if isinstance(layer, RoutedLayer):
                assert not layer.capture_input and layer.last_input is None
        return recorded

    assert not any("srank" in key or "dormant" in key for key in train(0))
    keys = train(32)
    for side in ("pi", "vf"):
        assert {f"moe/{side}/srank_0", f"moe/{side}/dormant_tau0.1_3"} <= keys
    with pytest.raises(ValueError, match="feature_stats_interval"):
        MoELoggingCallback(feature_stats_interval=-1)

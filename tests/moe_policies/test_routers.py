"""Routers: weights, selections, and the auxiliary losses at their known optima."""

from __future__ import annotations

import math

import pytest
import torch

from wmoe.moe_policies.aux_losses import (
    balance_regulariser,
    load_balancing_loss,
    router_entropy,
    router_z_loss,
)
from wmoe.moe_policies.routers import HierarchicalRouter, TopKRouter, top_k_gate


@pytest.fixture
def inputs() -> torch.Tensor:
    return torch.randn(64, 10, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("k", [2, 3, 4])
def test_top_k_weights_sum_to_one_and_pick_k_distinct(inputs: torch.Tensor, k: int) -> None:
    torch.manual_seed(0)
    routing = TopKRouter(10, 4, k)(inputs)
    weights = routing.dense_weights()
    torch.testing.assert_close(weights.sum(-1), torch.ones(64))
    assert torch.all((weights > 0).sum(-1) == k)
    torch.testing.assert_close(routing.probs.sum(-1), torch.ones(64))


def test_top_k_picks_the_largest_logits_with_eq3_weights() -> None:
    logits = torch.tensor([[0.5, 2.0, -1.0, 1.0]])
    index, weight, probs = top_k_gate(logits, 2)
    assert index is not None
    assert sorted(index[0].tolist()) == [1, 3]
    expected = torch.softmax(torch.tensor([2.0, 1.0]), dim=0)
    torch.testing.assert_close(weight[0], expected)


def test_top_1_is_the_argmax_weighted_by_its_softmax_probability(inputs: torch.Tensor) -> None:
    routing = TopKRouter(10, 4, 1)(inputs)
    assert routing.expert_index is not None
    assert torch.equal(routing.expert_index[:, 0], routing.probs.argmax(-1))
    torch.testing.assert_close(routing.expert_weight[:, 0], routing.probs.max(-1).values)


def test_dense_router_uses_every_expert(inputs: torch.Tensor) -> None:
    routing = TopKRouter(10, 4, 4)(inputs)
    assert routing.expert_index is None
    torch.testing.assert_close(routing.expert_weight, routing.probs)


def test_noisy_router_is_noisy_in_training_only(inputs: torch.Tensor) -> None:
    router = TopKRouter(10, 4, 2, noisy=True)
    torch.manual_seed(1)
    train_a = router(inputs).probs
    train_b = router(inputs).probs
    assert not torch.allclose(train_a, train_b)
    router.eval()
    torch.testing.assert_close(router(inputs).probs, router(inputs).probs)


@pytest.mark.parametrize(("group_k", "expert_k"), [(1, 1), (1, 2), (2, 1), (2, 3), (2, 2)])
def test_hierarchical_router_is_the_product_of_two_gates(
    inputs: torch.Tensor, group_k: int, expert_k: int
) -> None:
    router = HierarchicalRouter(
        10, num_groups=2, experts_per_group=3, group_k=group_k, expert_k=expert_k
    )
    routing = router(inputs)
    high = torch.softmax(router.high(inputs), -1)
    low = torch.softmax(router.low(inputs).view(64, 2, 3), -1)
    torch.testing.assert_close(routing.probs, (high.unsqueeze(-1) * low).reshape(64, 6))
    weights = routing.dense_weights()
    assert torch.all((weights > 0).sum(-1) == group_k * expert_k)
    if group_k == 2 and expert_k == 3:
        torch.testing.assert_close(weights, routing.probs)
    chosen_groups = (weights.view(64, 2, 3) > 0).any(-1)
    assert torch.all(chosen_groups.sum(-1) == group_k)
    if expert_k > 1 and group_k > 1:
        torch.testing.assert_close(weights.sum(-1), torch.ones(64))


def test_load_balancing_loss_is_one_at_uniform_routing_and_e_when_collapsed() -> None:
    num_experts, batch = 4, 8
    uniform = torch.full((batch, num_experts), 1.0 / num_experts)
    round_robin = torch.arange(batch).remainder(num_experts).unsqueeze(-1)
    assert load_balancing_loss(uniform, round_robin).item() == pytest.approx(1.0)
    assert load_balancing_loss(uniform, None).item() == pytest.approx(1.0)
    collapsed = torch.zeros(batch, num_experts)
    collapsed[:, 0] = 1.0
    assert load_balancing_loss(collapsed, torch.zeros(batch, 1, dtype=torch.long)).item() == (
        pytest.approx(num_experts)
    )
    skewed = torch.softmax(torch.randn(batch, num_experts) * 3, -1)
    assert load_balancing_loss(skewed, skewed.argmax(-1, keepdim=True)).item() >= 1.0 - 1e-6


def test_z_loss_balance_and_entropy_closed_forms() -> None:
    logits = torch.tensor([[0.0, 0.0], [1.0, 3.0]])
    expected_z = (math.log(2.0) ** 2 + math.log(math.e + math.e**3) ** 2) / 2
    assert router_z_loss([logits]).item() == pytest.approx(expected_z)
    assert router_z_loss([logits, logits]).item() == pytest.approx(2 * expected_z)
    uniform = torch.full((5, 4), 0.25)
    assert balance_regulariser(uniform).item() == pytest.approx(0.0)
    assert router_entropy(uniform).item() == pytest.approx(math.log(4))
    one_hot = torch.eye(4)[[0, 0, 0]]
    assert balance_regulariser(one_hot).item() == pytest.approx(0.75**2 + 3 * 0.25**2)
    assert router_entropy(one_hot).item() == pytest.approx(0.0, abs=1e-9)


def test_router_rejects_bad_k() -> None:
    with pytest.raises(ValueError, match=r"top_k must be in \[1, num_experts=4\], got 5"):
        TopKRouter(10, 4, 5)
    with pytest.raises(ValueError, match="group_top_k must be in"):
        HierarchicalRouter(10, 2, 2, group_k=3, expert_k=1)

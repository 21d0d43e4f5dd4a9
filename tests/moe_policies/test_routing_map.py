"""``routed_experts``: the expert each input goes to, captured from the routers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from wmoe.moe_policies.routers import HierarchicalRouter, TopKRouter
from wmoe.moe_policies.routing_map import most_frequent, routed_experts


def test_top1_router_choice_is_the_argmax_of_its_gate():
    torch.manual_seed(0)
    network = nn.ModuleDict({"router": TopKRouter(3, 4, k=1)})
    x = torch.randn(50, 3)
    choices = routed_experts(network, lambda: network["router"](x))
    expected = network["router"].gate(x).argmax(-1).numpy()
    np.testing.assert_array_equal(choices["router"], expected)


def test_repeated_calls_give_the_most_frequent_expert_and_every_router_is_found():
    torch.manual_seed(0)
    network = nn.ModuleDict({"a": TopKRouter(3, 4, k=2), "b": HierarchicalRouter(3, 2, 2, 1, 1)})
    x = torch.randn(20, 3)

    def forward() -> None:
        for _ in range(3):
            network["a"](x)
        network["b"](x)

    choices = routed_experts(network, forward)
    assert set(choices) == {"a", "b"}
    assert choices["a"].shape == (20,) and choices["b"].max() < 4


def test_most_frequent_breaks_ties_towards_the_lowest_expert():
    choices = np.array([[2, 1, 0], [2, 3, 1], [0, 3, 2]])
    np.testing.assert_array_equal(most_frequent(choices, 4), [2, 3, 0])


def test_a_network_without_router_is_a_clear_error():
    with pytest.raises(ValueError, match="no top-k or hierarchical router"):
        routed_experts(nn.Linear(2, 2), lambda: None)

"""MoE layers against brute-force mixtures; aux losses carried by the autograd identity."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from wmoe.moe_policies.aux_losses import AuxLossCoefficients
from wmoe.moe_policies.layers import MoELayer, MultiGateMoELayer, RoutedLayer, SoftMoELayer
from wmoe.moe_policies.routers import HierarchicalRouter, TopKRouter
from wmoe.moe_policies.spec import NetworkSpec, RouterSpec, build_body

AUX = AuxLossCoefficients(load_balancing=0.5, z_loss=0.1, balance=0.3, entropy=0.2)


def _inputs(batch: int = 32) -> torch.Tensor:
    return torch.randn(batch, 6, generator=torch.Generator().manual_seed(3))


def _each_expert(layer: MoELayer | MultiGateMoELayer, x: torch.Tensor) -> torch.Tensor:
    """``(B, E, out)``: every expert run on its own, one at a time."""
    return torch.stack([layer.experts.expert(e, x) for e in range(layer.num_experts)], dim=1)


def _brute_force(layer: MoELayer, x: torch.Tensor) -> torch.Tensor:
    weights = layer.router(x).dense_weights()
    return (weights.unsqueeze(-1) * _each_expert(layer, x)).sum(1)


@pytest.mark.parametrize(
    "router",
    [
        TopKRouter(6, 4, 1),
        TopKRouter(6, 4, 2),
        TopKRouter(6, 4, 4),
        HierarchicalRouter(6, 2, 3, group_k=1, expert_k=2),
        HierarchicalRouter(6, 3, 2, group_k=2, expert_k=1),
    ],
    ids=["top1", "top2", "dense", "hier-1x2", "hier-2x1"],
)
def test_sparse_dispatch_equals_the_dense_mixture(router: nn.Module) -> None:
    torch.manual_seed(0)
    layer = MoELayer(6, (8, 5), router, nn.Tanh, AUX).eval()  # type: ignore[arg-type]
    x = _inputs()
    torch.testing.assert_close(layer(x), _brute_force(layer, x))


@pytest.mark.parametrize("activation", [nn.ReLU, nn.Tanh, nn.ELU], ids=["relu", "tanh", "elu"])
@pytest.mark.parametrize("k", [1, 2])
def test_sparse_gradients_equal_those_of_the_dense_mixture(
    activation: type[nn.Module], k: int
) -> None:
    torch.manual_seed(0)
    layer = MoELayer(6, (8, 5), TopKRouter(6, 4, k), activation, AUX)
    layer.aux_mode = "off"
    x = _inputs().requires_grad_()
    grads = []
    for forward in (layer, lambda inputs: _brute_force(layer, inputs)):
        layer.zero_grad()
        x.grad = None
        (forward(x) * torch.linspace(-1, 1, 5)).sum().backward()
        grads.append([p.grad.clone() for p in layer.parameters()] + [x.grad.clone()])
    for sparse, dense in zip(*grads, strict=True):
        torch.testing.assert_close(sparse, dense)


def test_sparse_layer_runs_only_selected_experts() -> None:
    torch.manual_seed(0)
    layer = MoELayer(6, (8,), TopKRouter(6, 4, 1), nn.ReLU, AUX).eval()
    rows_per_expert: list[list[int]] = []
    run_grouped = layer.experts.grouped

    def spy(x: torch.Tensor, counts: list[int]) -> torch.Tensor:
        rows_per_expert.append(list(counts))
        return run_grouped(x, counts)

    layer.experts.grouped = spy  # type: ignore[method-assign]
    layer.experts.forward = None  # type: ignore[assignment]  # the dense path must not run
    layer(_inputs(5))
    (counts,) = rows_per_expert
    assert sum(counts) == 5 and len(counts) == 4


@pytest.mark.parametrize(("in_dim", "pass_through"), [(6, nn.Linear), (8, nn.Identity)])
def test_capacity_limits_each_expert_and_overflow_passes_through(
    in_dim: int, pass_through: type[nn.Module]
) -> None:
    torch.manual_seed(0)
    router = TopKRouter(in_dim, 4, 1)
    with torch.no_grad():
        router.gate.bias.copy_(torch.tensor([5.0, 0.0, 0.0, 0.0]))  # most samples pick 0
    layer = MoELayer(in_dim, (8,), router, nn.ReLU, AUX, capacity_factor=1.0)
    assert isinstance(layer.overflow, pass_through)
    x = torch.randn(40, in_dim)
    routing = router(x)
    assert routing.expert_index is not None
    capacity = math.ceil(1.0 * 40 / 4)
    weights = routing.expert_weight[:, 0].detach()
    to_zero = torch.nonzero(routing.expert_index[:, 0] == 0).squeeze(1)
    assert len(to_zero) > capacity
    kept = torch.zeros(40, dtype=torch.bool)
    kept[to_zero[weights[to_zero].topk(capacity).indices]] = True
    kept |= routing.expert_index[:, 0] != 0
    output = layer(x).detach()
    with torch.no_grad():
        experts = _brute_force(layer, x)
        overflow = weights.unsqueeze(1) * layer.overflow(x)  # type: ignore[misc]
    torch.testing.assert_close(output[kept], experts[kept])
    torch.testing.assert_close(output[~kept], overflow[~kept])
    assert int((~kept).sum()) == len(to_zero) - capacity
    layer.eval()
    torch.testing.assert_close(layer(x), _brute_force(layer, x))


def test_soft_moe_routes_within_each_sample_and_mixes_all_experts() -> None:
    torch.manual_seed(0)
    layer = SoftMoELayer(
        6, (8, 5), 4, num_tokens=3, slots_per_expert=2, activation=nn.GELU, aux=AUX
    )
    x = _inputs(10)
    together = layer(x)
    alone = torch.cat([layer(x[i : i + 1]) for i in range(10)])
    torch.testing.assert_close(together, alone)
    assert together.shape == (10, 5)


def test_multi_gate_heads_share_experts_with_their_own_gates() -> None:
    torch.manual_seed(0)
    gates = [TopKRouter(6, 4, 4), TopKRouter(6, 4, 2)]
    layer = MultiGateMoELayer(6, (8,), gates, nn.ReLU, AUX).eval()
    x = _inputs()
    outputs = _each_expert(layer, x)
    for head, out in enumerate(layer.forward_heads(x)):
        weights = gates[head](x).dense_weights()
        torch.testing.assert_close(out, (weights.unsqueeze(-1) * outputs).sum(1))


SPECS = {
    "top1": RouterSpec(top_k=1),
    "top2": RouterSpec(top_k=2),
    "noisy": RouterSpec(kind="noisy_top_k", top_k=2),
    "dense": RouterSpec(kind="dense"),
    "soft": RouterSpec(kind="soft"),
    "hier": RouterSpec(kind="hierarchical", num_experts=6, num_groups=2, top_k=2),
}


def _grads(module: nn.Module) -> list[torch.Tensor]:
    return [
        p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in module.parameters()
    ]


@pytest.mark.parametrize("router", SPECS.values(), ids=SPECS.keys())
def test_carried_aux_gradient_equals_explicit_loss_plus_aux(router: RouterSpec) -> None:
    spec = NetworkSpec(stem=(7,), experts=(8, 5), router=router, aux=AUX)
    torch.manual_seed(0)
    body = build_body(spec, 6, nn.Tanh)
    x = _inputs()

    torch.manual_seed(1)
    body(x).square().mean().backward()
    carried = _grads(body)

    body.zero_grad()
    (layer,) = [m for m in body.modules() if isinstance(m, RoutedLayer)]
    layer.aux_mode = "record"
    torch.manual_seed(1)
    loss = body(x).square().mean()
    assert layer.last_aux_loss is not None and layer.last_aux_loss.item() != 0.0
    (loss + layer.last_aux_loss).backward()
    for got, want in zip(carried, _grads(body), strict=True):
        torch.testing.assert_close(got, want)

    body.zero_grad()
    layer.aux_mode = "off"
    torch.manual_seed(1)
    body(x).square().mean().backward()
    plain = _grads(body)
    assert any(not torch.allclose(a, b) for a, b in zip(carried, plain, strict=True))


def test_aux_losses_and_stats_only_when_training_with_gradients() -> None:
    torch.manual_seed(0)
    layer = MoELayer(6, (8,), TopKRouter(6, 4, 2), nn.ReLU, AUX)
    x = _inputs()
    layer(x)
    assert layer.stats.pop() == {}, "statistics are opt-in"
    layer.track_stats = True
    with torch.no_grad():
        layer(x)
    layer.eval()
    layer(x)
    assert layer.stats.pop() == {}
    layer.train()
    layer(x)
    layer(x)
    stats = layer.stats.pop()
    assert sum(stats[f"load_{e}"] for e in range(4)) == pytest.approx(1.0)
    assert set(stats) >= {"aux/load_balancing", "aux/z_loss", "aux/balance", "aux/entropy"}
    assert layer.stats.pop() == {}

"""Shazeer et al.'s importance and load losses: values by hand, carried gradients vs autograd."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from wmoe.moe_policies.aux_losses import (
    AuxLossCoefficients,
    aux_loss_terms,
    carry_router_losses,
    cv_squared,
    importance_loss,
    load_threshold_position,
    noisy_top_k_load,
    weighted_aux_loss,
)
from wmoe.moe_policies.layers import RoutedLayer
from wmoe.moe_policies.routers import HierarchicalRouter, Routing, TopKRouter
from wmoe.moe_policies.spec import NetworkSpec, RouterSpec, build_moe_block

torch.set_num_threads(1)


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def test_cv_squared_is_population_variance_over_squared_mean() -> None:
    values = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    # mean 2, population variance 2/3
    torch.testing.assert_close(cv_squared(values), torch.tensor((2 / 3) / (4 + 1e-10)).double())
    assert float(cv_squared(torch.full((4,), 5.0))) == 0.0


def test_importance_loss_sums_the_gates_over_the_batch() -> None:
    gates = torch.tensor([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    importance = torch.tensor([0.5, 1.5, 0.0], dtype=torch.float64)
    torch.testing.assert_close(importance_loss(gates), cv_squared(importance))


def test_kth_excluding_threshold_position() -> None:
    noisy = torch.tensor([[3.0, 1.0, 2.0, 0.0]])
    # top-2 = {0, 2}: leaving 0 or 2 out, the 2nd largest is logit 1; leaving 1 or 3 out, logit 2
    assert load_threshold_position(noisy, 2).tolist() == [[1, 2, 1, 2]]
    # top-1 = {0}: leaving 0 out the largest is logit 2; otherwise logit 0
    assert load_threshold_position(noisy, 1).tolist() == [[2, 0, 0, 0]]


def test_smooth_load_by_hand() -> None:
    noisy = torch.tensor([[3.0, 1.0, 2.0, 0.0], [0.0, 2.0, 1.0, 4.0]], dtype=torch.float64)
    clean = noisy - torch.tensor([[0.0, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]).double()
    std = torch.tensor([[1.0, 1.0, 2.0, 1.0], [1.0, 0.5, 1.0, 1.0]], dtype=torch.float64)
    routing = Routing(
        torch.softmax(noisy, -1),
        [noisy],
        noisy.topk(2, -1).indices,
        torch.ones(2, 2, dtype=torch.float64),
        clean_logits=clean,
        noise_std=std,
    )
    # row 0: thresholds 1, 2, 1, 2 (see above); row 1: top-2 = {3, 1}, thresholds 2, 1, 2, 1
    p0 = [_phi(2.0), _phi(-1.5), _phi(0.5), _phi(-2.0)]
    p1 = [_phi(-3.0), _phi(2.0), _phi(-1.0), _phi(3.0)]
    want = torch.tensor([a + b for a, b in zip(p0, p1, strict=True)], dtype=torch.float64)
    torch.testing.assert_close(noisy_top_k_load(routing), want)


def test_load_loss_needs_noisy_top_k() -> None:
    routing = TopKRouter(3, 4, 2).train()(torch.randn(5, 3))
    with pytest.raises(ValueError, match="noisy_top_k"):
        aux_loss_terms(routing, torch.full((4,), 0.25), ["load"])
    with pytest.raises(ValueError, match="aux.load"):
        NetworkSpec(stem=(), experts=(8,), aux=AuxLossCoefficients(load=0.1))
    with pytest.raises(ValueError, match="top_k < num_experts"):
        NetworkSpec(
            stem=(),
            experts=(8,),
            router=RouterSpec(kind="noisy_top_k", top_k=4),
            aux=AuxLossCoefficients(load=0.1),
        )


def test_noisy_router_exposes_clean_logits_and_std_in_training_only() -> None:
    router = TopKRouter(3, 4, 2, noisy=True)
    x = torch.randn(5, 3)
    train = router.train()(x)
    assert train.is_noisy and train.clean_logits is not None and train.noise_std is not None
    assert bool((train.noise_std > 0).all())
    assert not router.eval()(x).is_noisy


ALL_ON = AuxLossCoefficients(
    load_balancing=0.5, z_loss=0.1, balance=0.3, entropy=0.2, importance=0.7, load=0.4
)
ROUTERS: dict[str, tuple[nn.Module, AuxLossCoefficients]] = {
    "noisy-top2": (TopKRouter(5, 6, 2, noisy=True), ALL_ON),
    "noisy-top1": (TopKRouter(5, 6, 1, noisy=True), ALL_ON),
    "noisy-load-only": (TopKRouter(5, 6, 3, noisy=True), AuxLossCoefficients(0, 0, load=1.0)),
    "dense-importance": (TopKRouter(5, 6, 6), AuxLossCoefficients(importance=0.9)),
    "top1-importance": (TopKRouter(5, 6, 1), AuxLossCoefficients(importance=0.9)),
    "hier-importance": (HierarchicalRouter(5, 2, 3, 1, 2), AuxLossCoefficients(importance=0.9)),
}


@pytest.mark.parametrize("name", list(ROUTERS))
def test_carried_gradient_equals_autograd_of_the_losses(name: str) -> None:
    """The closed-form backward of the carried losses matches autograd to float64 precision."""
    torch.manual_seed(0)
    router, coefficients = ROUTERS[name]
    router = router.double().train()
    x = torch.randn(40, 5, dtype=torch.float64, requires_grad=True)
    params = [x, *router.parameters()]

    def grads(carried: bool) -> list[torch.Tensor]:
        torch.manual_seed(1)
        routing = router(x)
        fractions = torch.rand(6, dtype=torch.float64)
        fractions = fractions / fractions.sum()
        if carried:
            output = torch.zeros(3, dtype=torch.float64, requires_grad=True)
            loss = carry_router_losses(output, coefficients, fractions, routing).sum()
        else:
            names = [n for n, v in coefficients.as_dict().items() if v]
            loss = weighted_aux_loss(aux_loss_terms(routing, fractions, names), coefficients)
        return list(torch.autograd.grad(loss, params))

    for got, want in zip(grads(True), grads(False), strict=True):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-12)
    assert any(g.abs().sum() > 0 for g in grads(True))


def test_layer_stats_include_the_new_losses_for_a_noisy_router() -> None:
    torch.manual_seed(0)
    spec = NetworkSpec(stem=(), experts=(8,), router=RouterSpec(kind="noisy_top_k"))
    block = build_moe_block(spec, 6, nn.ReLU).train()
    assert isinstance(block, RoutedLayer)
    block.track_stats = True
    block(torch.randn(32, 6)).sum().backward()
    stats = block.stats.pop()
    assert {"aux/importance", "aux/load"} <= set(stats)
    plain = build_moe_block(NetworkSpec(stem=(), experts=(8,)), 6, nn.ReLU).train()
    assert isinstance(plain, RoutedLayer)
    plain.track_stats = True
    plain(torch.randn(32, 6)).sum().backward()
    assert "aux/importance" in (keys := set(plain.stats.pop())) and "aux/load" not in keys


def test_load_loss_lowers_the_spread_of_the_smooth_load() -> None:
    """A few steps on the load loss alone make the smooth load more even."""
    torch.manual_seed(0)
    router = TopKRouter(4, 6, 2, noisy=True).train()
    with torch.no_grad():
        router.gate.bias.copy_(torch.tensor([3.0, 2.0, 0.0, 0.0, -1.0, -2.0]))
    x = torch.randn(256, 4)
    coefficients = AuxLossCoefficients(0, 0, load=1.0)
    optimiser = torch.optim.SGD(router.parameters(), lr=1.0)

    def spread() -> float:
        torch.manual_seed(2)
        with torch.no_grad():
            return float(cv_squared(noisy_top_k_load(router(x))))

    before = spread()
    for _ in range(20):
        optimiser.zero_grad()
        routing = router(x)
        out = torch.zeros((), requires_grad=True)
        carry_router_losses(out, coefficients, torch.full((6,), 1 / 6), routing).backward()
        optimiser.step()
    assert spread() < 0.5 * before

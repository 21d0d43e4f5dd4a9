"""Stacked expert MLPs: batched, grouped and one-at-a-time paths agree, values and gradients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from wmoe.moe_policies.experts import FUSED_ACTIVATIONS, ExpertMLPs

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu (autograd)": nn.GELU}


def _experts(activation: type[nn.Module], final_activation: bool = True) -> ExpertMLPs:
    torch.manual_seed(0)
    return ExpertMLPs(4, 6, (8, 5), activation, final_activation)


def _one_at_a_time(experts: ExpertMLPs, x: torch.Tensor, counts: list[int]) -> torch.Tensor:
    chunks = x.split(counts)
    return torch.cat([experts.expert(e, chunk) for e, chunk in enumerate(chunks)])


def _gradients(
    experts: ExpertMLPs,
    x: torch.Tensor,
    run: Callable[[torch.Tensor, list[int]], torch.Tensor],
    counts: list[int],
) -> list[torch.Tensor]:
    experts.zero_grad()
    x.grad = None
    output = run(x, counts)
    (output * torch.linspace(-1, 1, output.shape[1])).sum().backward()
    grads = [
        torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in experts.parameters()
    ]
    assert x.grad is not None
    return [*grads, x.grad.clone()]


@pytest.mark.parametrize("final_activation", [True, False], ids=["activated", "linear-out"])
@pytest.mark.parametrize("activation", ACTIVATIONS.values(), ids=ACTIVATIONS.keys())
@pytest.mark.parametrize("counts", [[3, 0, 5, 2], [2, 2, 2, 2], [0, 0, 7, 0]])
def test_grouped_matches_each_expert_alone(
    activation: type[nn.Module], counts: list[int], final_activation: bool
) -> None:
    experts = _experts(activation, final_activation)
    x = torch.randn(sum(counts), 6, requires_grad=True)
    got = _gradients(experts, x, experts.grouped, counts)
    want = _gradients(experts, x, lambda x, c: _one_at_a_time(experts, x, c), counts)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w)
    with torch.no_grad():
        torch.testing.assert_close(experts.grouped(x, counts), _one_at_a_time(experts, x, counts))


def test_grouped_without_input_gradient_and_with_no_rows() -> None:
    experts = _experts(nn.ReLU)
    x = torch.randn(5, 6)
    experts.grouped(x, [5, 0, 0, 0]).sum().backward()
    assert experts.weights[0].grad is not None
    assert experts.weights[0].grad[1:].abs().sum() == 0  # experts without rows get zeros
    assert experts.grouped(torch.randn(0, 6), [0, 0, 0, 0]).shape == (0, 5)


@pytest.mark.parametrize("final_activation", [True, False], ids=["activated", "linear-out"])
@pytest.mark.parametrize("activation", ACTIVATIONS.values(), ids=ACTIVATIONS.keys())
def test_batched_forward_runs_every_expert(
    activation: type[nn.Module], final_activation: bool
) -> None:
    experts = _experts(activation, final_activation)
    x = torch.randn(3, 6)
    shared = experts(x)
    per_expert = experts(x.expand(4, 3, 6))
    for e in range(4):
        torch.testing.assert_close(shared[e], experts.expert(e, x))
        torch.testing.assert_close(per_expert[e], experts.expert(e, x))


def test_without_final_activation_the_last_layer_is_linear() -> None:
    x = torch.randn(50, 6)
    activated, linear = _experts(nn.ReLU), _experts(nn.ReLU, final_activation=False)
    torch.testing.assert_close(activated.expert(0, x), linear.expert(0, x).relu())
    assert (linear.expert(0, x) < 0).any()


def test_fused_backward_covers_sb3_default_activations() -> None:
    assert {nn.ReLU, nn.Tanh} <= set(FUSED_ACTIVATIONS)


def test_initialisation_matches_linear_and_orthogonal_init() -> None:
    experts = _experts(nn.ReLU)
    bound = 1 / 6**0.5
    assert experts.weights[0].abs().max() <= bound and experts.biases[0].abs().max() <= bound
    experts.orthogonal_(gain=2.0)
    for matrix in experts.weights[1]:  # 8 x 5: orthogonal columns of norm 2
        torch.testing.assert_close(matrix.T @ matrix, 4 * torch.eye(5), atol=1e-5, rtol=0)
    assert experts.biases[1].abs().sum() == 0


def test_actor_critic_policy_initialises_experts_orthogonally() -> None:
    from stable_baselines3 import PPO

    from wmoe.moe_policies import MoEActorCriticPolicy

    model = PPO(MoEActorCriticPolicy, "CartPole-v1", policy_kwargs={"network": "moe-top2"})
    experts = next(m for m in model.policy.mlp_extractor.modules() if isinstance(m, ExpertMLPs))
    for matrix in experts.weights[1]:  # 64 x 64, SB3's gain sqrt(2) for the extractor
        torch.testing.assert_close(matrix.T @ matrix, 2 * torch.eye(64), atol=1e-4, rtol=0)

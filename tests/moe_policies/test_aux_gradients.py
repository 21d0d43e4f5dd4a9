"""Per algorithm: the carried aux gradient equals that of an explicit ``loss + aux``."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.policies import ContinuousCritic
from torch import nn

from wmoe.agents.registry import get_algorithm
from wmoe.moe_policies import RoutedLayer
from wmoe.moe_policies.sb3_policies import routed_layers

STRONG_AUX = {
    "load_balancing": 0.5,
    "z_loss": 0.1,
    "balance": 0.3,
    "entropy": 0.2,
    "importance": 0.7,
}
VARIANTS: dict[str, dict[str, object]] = {
    # Shazeer et al.'s load loss needs noisy top-k routing.
    "noisy-top2": {
        "preset": "moe-top2",
        "router": {"kind": "noisy_top_k"},
        "aux": {**STRONG_AUX, "load": 0.4},
    },
    "soft-flat-norm": {
        "preset": "moe-soft",
        "router": {"flatten_tokens": True, "normalize_tokens": True},
        "aux": STRONG_AUX,
    },
}
PRESETS = ["moe-top2", "moe-soft", "moe-hier", *VARIANTS]


def _network(preset: str) -> dict[str, object]:
    return VARIANTS.get(preset, {"preset": preset, "aux": STRONG_AUX})


def _model(name: str, env_id: str, **policy_kwargs: object) -> BaseAlgorithm:
    entry = get_algorithm(name)
    return entry.algorithm(entry.policy, env_id, policy_kwargs=policy_kwargs, seed=0)


def _batch(env_id: str, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    env = gym.make(env_id)
    env.action_space.seed(0)
    obs = np.stack([env.observation_space.sample() for _ in range(size)])
    actions = np.stack([env.action_space.sample() for _ in range(size)])
    return torch.as_tensor(obs, dtype=torch.float32), torch.as_tensor(actions)


def _grads(module: nn.Module) -> list[torch.Tensor]:
    return [torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in module.parameters()]


def _assert_carried_equals_explicit(
    module: nn.Module, compute_loss: Callable[[], torch.Tensor], layers: list[RoutedLayer]
) -> None:
    """Gradients of ``compute_loss`` on ``module``: carried aux vs explicit ``loss + aux``."""
    module.zero_grad()
    torch.manual_seed(0)
    compute_loss().backward()
    carried = _grads(module)

    module.zero_grad()
    for layer in layers:
        layer.aux_mode = "record"
        layer.last_aux_loss = None
    torch.manual_seed(0)
    loss = compute_loss()
    aux = [layer.last_aux_loss for layer in layers if layer.last_aux_loss is not None]
    assert aux, "no aux loss was computed"
    (loss + torch.stack(aux).sum()).backward()
    for layer in layers:
        layer.aux_mode = "carry"
    explicit = _grads(module)
    for got, want in zip(carried, explicit, strict=True):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("algo", ["ppo", "a2c", "ppo_mask"])
def test_actor_critic_loss(algo: str, preset: str) -> None:
    model = _model(algo, "CartPole-v1", network=_network(preset))
    obs, actions = _batch("CartPole-v1")
    model.policy.set_training_mode(True)

    def loss() -> torch.Tensor:
        values, log_prob, entropy = model.policy.evaluate_actions(obs, actions)
        assert entropy is not None
        return -log_prob.mean() + values.square().mean() - 0.01 * entropy.mean()

    _assert_carried_equals_explicit(model.policy, loss, routed_layers(model.policy))


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("algo", ["sac", "td3"])
def test_off_policy_actor_and_critic_losses(algo: str, preset: str) -> None:
    model = _model(algo, "Pendulum-v1", network=_network(preset))
    obs, actions = _batch("Pendulum-v1")
    model.policy.set_training_mode(True)
    critic, actor = model.critic, model.actor

    def critic_loss() -> torch.Tensor:
        return sum(q.square().mean() for q in critic(obs, actions))  # type: ignore[return-value]

    _assert_carried_equals_explicit(critic, critic_loss, routed_layers(critic))

    def actor_loss() -> torch.Tensor:
        if algo == "sac":
            actions_pi, log_prob = actor.action_log_prob(obs)
            q_pi = torch.cat(critic(obs, actions_pi), dim=1).min(dim=1).values
            return (0.1 * log_prob - q_pi).mean()
        return -critic.q1_forward(obs, actor(obs)).mean()

    _assert_carried_equals_explicit(actor, actor_loss, routed_layers(actor))


@pytest.mark.parametrize("preset", ["moe-top2", "noisy-top2"])
@pytest.mark.parametrize("algo", ["sac", "td3"])
def test_critic_aux_loss_does_not_push_the_actor(algo: str, preset: str) -> None:
    model = _model(algo, "Pendulum-v1", network=_network(preset), moe_in="critic")
    obs, _ = _batch("Pendulum-v1")
    model.policy.set_training_mode(True)
    actor, critic = model.actor, model.critic

    def actor_grads(evaluate: Callable[..., tuple[torch.Tensor, ...]]) -> list[torch.Tensor]:
        actor.zero_grad()
        torch.manual_seed(0)
        actions_pi = actor(obs)
        (-evaluate(obs, actions_pi)[0].mean()).backward()
        return _grads(actor)

    with_policy_critic = actor_grads(critic.forward)
    for layer in routed_layers(critic):
        layer.aux_mode = "off"
    without_aux = actor_grads(critic.forward)
    for layer in routed_layers(critic):
        layer.aux_mode = "carry"
    leaking = actor_grads(lambda o, a: ContinuousCritic.forward(critic, o, a))
    for got, want in zip(with_policy_critic, without_aux, strict=True):
        torch.testing.assert_close(got, want)
    assert any(not torch.allclose(a, b) for a, b in zip(leaking, without_aux, strict=True))


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("algo", ["dqn", "qrdqn"])
def test_q_network_loss(algo: str, preset: str) -> None:
    model = _model(algo, "CartPole-v1", network=_network(preset))
    obs, actions = _batch("CartPole-v1")
    model.policy.set_training_mode(True)
    net = model.q_net if algo == "dqn" else model.quantile_net

    def loss() -> torch.Tensor:
        out = net(obs)
        if algo == "dqn":
            return out.gather(1, actions.long().unsqueeze(1)).square().mean()
        return out.square().mean()

    _assert_carried_equals_explicit(net, loss, routed_layers(net))

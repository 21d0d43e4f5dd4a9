"""Diffusion actor-critic: an off-policy SB3 algorithm whose policy is a diffusion model.

One algorithm, two update rules, picked by the action space:

- ``Discrete`` actions, the diffusion-SAC formulation (Du et al., "Diffusion-Based
  Reinforcement Learning for Edge-Enabled AI-Generated Content Services", IEEE TMC 2024;
  discrete SAC, Christodoulou 2019): the denoising chain outputs action probabilities
  ``pi(. | s)``; the critics regress ``r + gamma (1 - d) sum_a pi(a | s') (min_i
  Q'_i(s', a) - alpha log pi(a | s'))`` and the actor minimises ``sum_a pi(a | s) (alpha log
  pi(a | s) - min_i Q_i(s, a))``, differentiated through the whole chain. ``alpha`` is
  tuned to a target entropy (``target_entropy``, by default ``0.5 log n``) unless fixed.
- ``Box`` actions, Diffusion-QL (Wang et al., ICLR 2023): the critics regress ``r + gamma
  (1 - d) min_i Q'_i(s', a')`` with ``a'`` sampled by the target actor; the actor minimises
  ``bc_coef * L_denoise(replay actions) - q_coef * Q_1(s, a~pi) / mean|Q_2(s, a~pi)|``: the
  denoising loss on the replayed (behaviour) actions regularises, and the Q term is
  maximised through the denoising chain.

When the env puts an expert action in ``info`` (``wmoe.envs.core_env.EXPERT_ACTION_KEY``),
``imitation_coef`` adds an imitation term on the transitions that have one: the
cross-entropy of ``pi(. | s)`` with the expert action (``Discrete``) or the denoising loss on
it (``Box``), which trains the diffusion model to generate the expert's choice (the case
study's expert-knowledge term, survey Sec. V-A).

Targets (critics, and the actor for ``Box`` actions) track the online networks by Polyak
averaging with ``tau`` every ``target_update_interval`` gradient steps. MoE layers in actor
or critic carry their auxiliary router losses into the corresponding loss (see
:mod:`wmoe.moe_policies.aux_losses`); the critic's aux losses are left out wherever the
critic is evaluated for the actor's loss.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.noise import ActionNoise
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import GymEnv, Schedule
from stable_baselines3.common.utils import polyak_update
from torch import Tensor
from torch.nn import functional as F

from wmoe.agents.diffusion_sac.buffers import ExpertReplayBuffer, ExpertReplayBufferSamples
from wmoe.agents.diffusion_sac.policies import DiffusionActor, DiffusionSACPolicy
from wmoe.moe_policies.layers import scaled_aux
from wmoe.moe_policies.sb3_policies import MoEContinuousCritic


class DiffusionSAC(OffPolicyAlgorithm):
    """Off-policy actor-critic with a diffusion policy (MLP or MoE denoiser).

    Args:
        policy: ``"MlpPolicy"`` or :class:`DiffusionSACPolicy` (or a subclass).
        env: The environment (or its id).
        learning_rate: Learning rate of actor, critic and entropy coefficient.
        buffer_size: Replay buffer size.
        learning_starts: Uniformly random steps before learning starts.
        batch_size: Minibatch size of each gradient step.
        tau: Polyak coefficient of the target networks.
        gamma: Discount factor.
        train_freq: Update the model every ``train_freq`` steps (or ``(n, "episode")``).
        gradient_steps: Gradient steps per update (-1: as many as env steps collected).
        action_noise: Extra exploration noise for ``Box`` actions (diffusion sampling is
            stochastic already).
        replay_buffer_class: Replay buffer class (default :class:`ExpertReplayBuffer`; the
            imitation term needs it).
        replay_buffer_kwargs: Its kwargs.
        ent_coef: Discrete actions: entropy coefficient ``alpha``, or ``"auto"`` /
            ``"auto_<init>"`` to tune it.
        target_entropy: Discrete actions: entropy target [nat] of the tuning, or ``"auto"``
            (``0.5 log n``).
        target_update_interval: Gradient steps between target updates.
        bc_coef: ``Box`` actions: weight of the behaviour-regularising denoising loss.
        q_coef: ``Box`` actions: weight of the normalised Q-maximisation term.
        imitation_coef: Weight of the imitation term on expert actions from ``info``.
        stats_window_size: Episodes averaged for the rollout logs.
        tensorboard_log: TensorBoard log folder.
        policy_kwargs: Policy kwargs (``network``, ``moe_in``, ``diffusion_steps``, ...).
        verbose: Verbosity.
        seed: Seed of every random generator.
        device: Torch device.
        _init_setup_model: Build the networks now.
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {"MlpPolicy": DiffusionSACPolicy}
    policy: DiffusionSACPolicy
    actor: DiffusionActor
    actor_target: DiffusionActor
    replay_buffer: ExpertReplayBuffer

    def __init__(
        self,
        policy: str | type[DiffusionSACPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 3e-4,
        buffer_size: int = 1_000_000,
        learning_starts: int = 100,
        batch_size: int = 256,
        tau: float = 0.005,
        gamma: float = 0.99,
        train_freq: int | tuple[int, str] = 1,
        gradient_steps: int = 1,
        action_noise: ActionNoise | None = None,
        replay_buffer_class: type[ExpertReplayBuffer] | None = None,
        replay_buffer_kwargs: dict[str, Any] | None = None,
        ent_coef: str | float = "auto",
        target_entropy: str | float = "auto",
        target_update_interval: int = 1,
        bc_coef: float = 1.0,
        q_coef: float = 1.0,
        imitation_coef: float = 1.0,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: torch.device | str = "auto",
        _init_setup_model: bool = True,
    ) -> None:
        for name, value in (("bc_coef", bc_coef), ("q_coef", q_coef)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if imitation_coef < 0:
            raise ValueError(f"imitation_coef must be >= 0, got {imitation_coef}")
        super().__init__(
            policy,
            env,
            learning_rate,
            buffer_size,
            learning_starts,
            batch_size,
            tau,
            gamma,
            train_freq,
            gradient_steps,
            action_noise,
            replay_buffer_class=replay_buffer_class or ExpertReplayBuffer,
            replay_buffer_kwargs=replay_buffer_kwargs,
            policy_kwargs=policy_kwargs,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            verbose=verbose,
            device=device,
            seed=seed,
            sde_support=False,
            supported_action_spaces=None,  # the policy raises a ValueError naming them
            support_multi_env=True,
        )
        self.ent_coef = ent_coef
        self.target_entropy = target_entropy
        self.target_update_interval = target_update_interval
        self.bc_coef = bc_coef
        self.q_coef = q_coef
        self.imitation_coef = imitation_coef
        self.log_ent_coef: Tensor | None = None
        self.ent_coef_optimizer: torch.optim.Adam | None = None
        if _init_setup_model:
            self._setup_model()

    @property
    def discrete(self) -> bool:
        """Whether the actions are ``Discrete`` (diffusion-SAC) rather than ``Box``."""
        return isinstance(self.action_space, spaces.Discrete)

    def _setup_model(self) -> None:
        super()._setup_model()
        self.actor = self.policy.actor
        self.actor_target = self.policy.actor_target
        self.critic = self.policy.critic
        self.critic_target = self.policy.critic_target
        self._setup_entropy()

    def _setup_entropy(self) -> None:
        if not isinstance(self.action_space, spaces.Discrete):
            return
        if self.target_entropy == "auto":
            self.target_entropy = 0.5 * math.log(int(self.action_space.n))
        else:
            self.target_entropy = float(self.target_entropy)
        if isinstance(self.ent_coef, str):
            if not self.ent_coef.startswith("auto"):
                raise ValueError(
                    f"ent_coef must be a number, 'auto' or 'auto_<init>', got {self.ent_coef!r}"
                )
            _, _, init = self.ent_coef.partition("_")
            initial = float(init) if init else 1.0
            if initial <= 0:
                raise ValueError(f"the initial ent_coef must be > 0, got {initial}")
            self.log_ent_coef = torch.log(
                torch.full((1,), initial, device=self.device)
            ).requires_grad_(True)
            self.ent_coef_optimizer = torch.optim.Adam([self.log_ent_coef], lr=self.lr_schedule(1))
        else:
            self.ent_coef_tensor = torch.tensor(float(self.ent_coef), device=self.device)

    def _optimizers(self) -> list[torch.optim.Optimizer]:
        optimizers = [self.actor.optimizer, self.critic.optimizer]
        if self.ent_coef_optimizer is not None:
            optimizers.append(self.ent_coef_optimizer)
        return optimizers

    def train(self, gradient_steps: int, batch_size: int = 64) -> None:
        """Run ``gradient_steps`` updates of critic, actor (and ``alpha``) from replay."""
        self.policy.set_training_mode(True)
        self._update_learning_rate(self._optimizers())
        logs: dict[str, list[float]] = {}
        for _ in range(gradient_steps):
            data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
            assert isinstance(data, ExpertReplayBufferSamples)
            step_logs = self._train_discrete(data) if self.discrete else self._train_box(data)
            for key, value in step_logs.items():
                logs.setdefault(key, []).append(value)
            self._n_updates += 1
            if self._n_updates % self.target_update_interval == 0:
                polyak_update(self.critic.parameters(), self.critic_target.parameters(), self.tau)
                if not self.discrete:
                    polyak_update(self.actor.parameters(), self.actor_target.parameters(), self.tau)
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        for key, values in logs.items():
            self.logger.record(f"train/{key}", float(np.mean(values)))

    def _critic_step(self, current: tuple[Tensor, ...], target: Tensor) -> float:
        loss = 0.5 * sum(F.mse_loss(q, target) for q in current)
        assert isinstance(loss, Tensor)
        self.critic.optimizer.zero_grad()
        loss.backward()
        self.critic.optimizer.step()
        return float(loss.item())

    def _actor_step(self, loss: Tensor) -> None:
        self.actor.optimizer.zero_grad()
        loss.backward()
        self.actor.optimizer.step()

    def _train_discrete(self, data: ExpertReplayBufferSamples) -> dict[str, float]:
        """One diffusion-SAC update (``Discrete`` actions)."""
        alpha = self._alpha()
        with torch.no_grad():
            next_features = self.actor.extract_features(
                data.next_observations, self.actor.features_extractor
            )
            next_log_pi = self.actor.log_probs(self.actor.sample_x0(next_features))
            next_q = torch.min(torch.stack(self.critic_target(data.next_observations)), dim=0)[0]
            next_v = (next_log_pi.exp() * (next_q - alpha * next_log_pi)).sum(-1, keepdim=True)
            target = data.rewards + (1 - data.dones) * self.gamma * next_v
        actions = data.actions.long()
        current = tuple(q.gather(1, actions) for q in self.critic(data.observations))
        critic_loss = self._critic_step(current, target)

        features = self.actor.extract_features(data.observations, self.actor.features_extractor)
        log_pi = self.actor.log_probs(self.actor.sample_x0(features))
        pi = log_pi.exp()
        with torch.no_grad():
            q = torch.min(torch.stack(self.critic(data.observations)), dim=0)[0]
        actor_loss = (pi * (alpha * log_pi - q)).sum(-1).mean()
        logs: dict[str, float] = {}
        if self.imitation_coef > 0 and bool(data.has_expert.any()):
            expert = data.expert_actions[data.has_expert].long()
            imitation = F.nll_loss(log_pi[data.has_expert], expert.view(-1))
            actor_loss = actor_loss + self.imitation_coef * imitation
            logs["imitation_loss"] = float(imitation.item())
        self._actor_step(actor_loss)

        entropy = -(pi * log_pi).sum(-1).detach()
        logs.update(
            critic_loss=critic_loss,
            actor_loss=float(actor_loss.item()),
            entropy=float(entropy.mean().item()),
            ent_coef=float(alpha.item()),
        )
        if self.log_ent_coef is not None and self.ent_coef_optimizer is not None:
            assert isinstance(self.target_entropy, float)
            ent_coef_loss = (self.log_ent_coef * (entropy - self.target_entropy)).mean()
            self.ent_coef_optimizer.zero_grad()
            ent_coef_loss.backward()
            self.ent_coef_optimizer.step()
            logs["ent_coef_loss"] = float(ent_coef_loss.item())
        return logs

    def _alpha(self) -> Tensor:
        if self.log_ent_coef is not None:
            return torch.exp(self.log_ent_coef.detach())
        return self.ent_coef_tensor

    def _train_box(self, data: ExpertReplayBufferSamples) -> dict[str, float]:
        """One Diffusion-QL update (``Box`` actions)."""
        critic = self.critic
        assert isinstance(critic, MoEContinuousCritic)
        with torch.no_grad():
            next_features = self.actor_target.extract_features(
                data.next_observations, self.actor_target.features_extractor
            )
            next_actions = self.actor_target.sample_x0(next_features)
            next_q = torch.cat(self.critic_target(data.next_observations, next_actions), dim=1)
            next_q = next_q.min(dim=1, keepdim=True)[0]
            target = data.rewards + (1 - data.dones) * self.gamma * next_q
        critic_loss = self._critic_step(critic(data.observations, data.actions), target)

        features = self.actor.extract_features(data.observations, self.actor.features_extractor)
        imitating = self.imitation_coef > 0 and bool(data.has_expert.any())
        logs: dict[str, float] = {}
        # The denoiser runs for the BC loss, the chain and the imitation loss: the three
        # share the MoE aux-loss weight, so the actor update carries it once.
        with scaled_aux(self.actor, 1.0 / (3 if imitating else 2)):
            bc_loss = self.actor.denoising_loss(features, data.actions)
            new_actions = self.actor.sample_x0(features)
            q1, q2 = critic(data.observations, new_actions)[:2]
            q_loss = -q1.mean() / q2.abs().mean().detach().clamp_min(1e-6)
            actor_loss = self.bc_coef * bc_loss + self.q_coef * q_loss
            if imitating:
                imitation = self.actor.denoising_loss(
                    features[data.has_expert], data.expert_actions[data.has_expert]
                )
                actor_loss = actor_loss + self.imitation_coef * imitation
                logs["imitation_loss"] = float(imitation.item())
        self._actor_step(actor_loss)
        logs.update(
            critic_loss=critic_loss,
            actor_loss=float(actor_loss.item()),
            bc_loss=float(bc_loss.item()),
            q_loss=float(q_loss.item()),
        )
        return logs

    def _excluded_save_params(self) -> list[str]:
        return [
            *super()._excluded_save_params(),
            "actor",
            "actor_target",
            "critic",
            "critic_target",
        ]

    def _get_torch_save_params(self) -> tuple[list[str], list[str]]:
        state_dicts = ["policy", "actor.optimizer", "critic.optimizer"]
        if self.ent_coef_optimizer is not None:
            state_dicts.append("ent_coef_optimizer")
            return state_dicts, ["log_ent_coef"]
        return state_dicts, ([] if not self.discrete else ["ent_coef_tensor"])

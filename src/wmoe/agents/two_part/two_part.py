"""The survey's two-part agent for ``wmoe/MultiBSReception-v0``: RL set picker, diffusion precoder.

The case study (survey Sec. V-A) chooses the cooperative BS set and generates the precoder
with a diffusion model whose denoiser has MoE layers, taught by the expert knowledge that
enumerating the codebook for a fixed set gives. :class:`TwoPart` (an SB3
``OffPolicyAlgorithm``) trains the two parts of :class:`~wmoe.agents.two_part.TwoPartPolicy`
from one replay buffer, each on the signal that is real for it:

- **Set part, by RL.** Each step serves a new user, so the decision is a contextual bandit
  and a set's value is its immediate reward. Twin critics regress ``Q(s, m)`` on the replayed
  (observation, set) pairs. The target is ``set_reward``: ``"expert"`` (default) the rate of
  the chosen set with the best codeword for it (``info["expert_rate"]``: the reward the set
  earns once the precoder part does its job, so the set part does not learn from the
  precoder part's early mistakes), or ``"env"`` the env's reward with the agent's own
  codeword. The Plackett-Luce picker is then improved by a soft policy gradient with the
  critics as the reward model: per replayed observation it draws ``set_samples`` ordered
  picks, and raises the log-probability of each in proportion to its advantage (its critic
  value minus the mean over the draws [bit/s/Hz]) minus ``ent_coef`` times its centred
  log-probability (an entropy bonus, as SAC's ``alpha``). Acting draws picks with
  Gumbel noise, the exploration noise; before ``learning_starts`` the actions are uniform.
- **Precoder part, by imitation.** The diffusion model, conditioned on the observation and
  the chosen set's multi-hot, learns to generate the expert codeword of the replayed set
  (``info["expert_precoder"]``, exact for that set whatever the agent's own codeword was),
  written as scores ``2 one_hot - 1``, with the denoiser's loss at a random noise level:
  cross-entropy on the codeword with the default categorical denoiser (Dieleman et al. 2022),
  or noise prediction (Ho et al. 2020). (The cross-entropy through the whole sampling chain
  that :class:`~wmoe.agents.diffusion_sac.DiffusionSAC` uses did not leave the uniform
  distribution within 600 updates on the small scenario.) It never imitates a set: for the
  set there is no expert, only the reward.

**Teacher labels** (``teacher_labels > 0``, off by default) are a separate, *privileged*
setting: the oracle's set (exhaustive search) for that many labelled users, drawn once with
the algorithm's seed from the env's scenario, is imitated by the set picker (the
Plackett-Luce log-likelihood of the oracle's set, ordered by the current scores) with weight
``teacher_coef``, beside the RL term. Results with it are not comparable with the RL-only
agent; report them apart.

The algorithm needs the env's ``continuous`` action form with ``precoder_selection="agent"``;
it reads ``U`` and ``N`` from the env's simulator.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import torch
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import GymEnv, Schedule
from stable_baselines3.common.vec_env import VecEnv
from torch import Tensor
from torch.nn import functional as F

from wmoe.agents.two_part.buffers import TwoPartReplayBuffer, TwoPartReplayBufferSamples
from wmoe.agents.two_part.plackett_luce import multi_hot, ordered_log_prob, sample_orders
from wmoe.agents.two_part.policies import TwoPartPolicy
from wmoe.envs.multi_bs_reception.core import ReceptionCore

SET_REWARDS = ("expert", "env")


def reception_layout(env: VecEnv) -> tuple[int, int]:
    """``(U, N)`` of a reception env in the form two_part acts in.

    Raises:
        ValueError: If ``env`` is not ``wmoe/MultiBSReception-v0`` with
            ``action_type="continuous"`` and ``precoder_selection="agent"``.
    """
    fix = (
        "two_part acts in wmoe/MultiBSReception-v0 with config action_type='continuous' and "
        "precoder_selection='agent'"
    )
    if not env.has_attr("core"):
        raise ValueError(f"{fix}; this env has no reception simulator")
    core: ReceptionCore = env.get_attr("core")[0]
    action_type, selection = core.config["action_type"], core.config["precoder_selection"]
    if action_type != "continuous" or selection != "agent":
        raise ValueError(
            f"{fix}; got action_type={action_type!r}, precoder_selection={selection!r}"
        )
    return core.num_bs, int(core.bs_sets.shape[1])


def teacher_labels_of(
    core: ReceptionCore, count: int, seed: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Observations ``(count, obs_dim)`` and oracle sets ``(count, N)`` of labelled users.

    The users are drawn (with replacement) from the scenario by a generator seeded ``seed``;
    a separate core of the same config computes their observations, so the env is untouched.
    """
    rng = np.random.default_rng(seed)
    users = rng.integers(0, core.num_users, size=count)
    labeller = ReceptionCore(core.config, batch_size=count)
    labeller.user[:] = users
    observations = labeller.observations(np.arange(count))
    sets = labeller.oracle(users)[0]
    return observations, labeller.bs_sets[sets]


class TwoPart(OffPolicyAlgorithm):
    """Two-part agent: a Plackett-Luce set picker trained by RL, a diffusion precoder by imitation.

    Args:
        policy: ``"MlpPolicy"`` or :class:`TwoPartPolicy` (or a subclass).
        env: The reception env (continuous actions, the agent picks the precoder).
        learning_rate: Learning rate of every part.
        buffer_size: Replay buffer size.
        learning_starts: Uniformly random steps before learning starts.
        batch_size: Minibatch size of each gradient step.
        train_freq: Update the model every ``train_freq`` steps (or ``(n, "episode")``).
        gradient_steps: Gradient steps per update (-1: as many as env steps collected).
        set_samples: Plackett-Luce picks drawn per observation for the set part's gradient.
        ent_coef: Weight of the set picker's entropy bonus [bit/s/Hz per nat].
        set_reward: ``"expert"``: the critics learn the chosen set's rate with the expert
            codeword; ``"env"``: the env's reward with the agent's codeword.
        teacher_labels: Labelled users whose oracle set the set picker imitates (privileged;
            0 turns it off).
        teacher_coef: Weight of the teacher term.
        stats_window_size: Episodes averaged for the rollout logs.
        tensorboard_log: TensorBoard log folder.
        policy_kwargs: Policy kwargs (``network``, ``set_network``, ``diffusion_steps``, ...;
            ``num_bs`` and ``set_size`` are read from the env).
        verbose: Verbosity.
        seed: Seed of every random generator and of the teacher labels.
        device: Torch device.
        _init_setup_model: Build the networks now.

    Raises:
        ValueError: On a bad setting or an env two_part cannot act in.
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {"MlpPolicy": TwoPartPolicy}
    policy: TwoPartPolicy
    replay_buffer: TwoPartReplayBuffer

    def __init__(
        self,
        policy: str | type[TwoPartPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 1e-3,
        buffer_size: int = 1_000_000,
        learning_starts: int = 1000,
        batch_size: int = 256,
        train_freq: int | tuple[int, str] = 1,
        gradient_steps: int = 1,
        set_samples: int = 16,
        ent_coef: float = 1.0,
        set_reward: Literal["expert", "env"] = "expert",
        teacher_labels: int = 0,
        teacher_coef: float = 1.0,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: torch.device | str = "auto",
        _init_setup_model: bool = True,
    ) -> None:
        if set_samples < 2:
            raise ValueError(
                f"set_samples must be >= 2 (advantages need a baseline), got {set_samples}"
            )
        if ent_coef < 0 or teacher_coef < 0:
            raise ValueError(
                f"ent_coef and teacher_coef must be >= 0, got {ent_coef}, {teacher_coef}"
            )
        if set_reward not in SET_REWARDS:
            raise ValueError(f"set_reward must be one of {SET_REWARDS}, got {set_reward!r}")
        if teacher_labels < 0:
            raise ValueError(f"teacher_labels must be >= 0, got {teacher_labels}")
        super().__init__(
            policy,
            env,
            learning_rate,
            buffer_size,
            learning_starts,
            batch_size,
            tau=1.0,
            gamma=0.0,  # a contextual bandit: a set's value is its immediate reward
            train_freq=train_freq,
            gradient_steps=gradient_steps,
            replay_buffer_class=TwoPartReplayBuffer,
            policy_kwargs=policy_kwargs,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            verbose=verbose,
            device=device,
            seed=seed,
            sde_support=False,
            support_multi_env=True,
        )
        self.set_samples = set_samples
        self.ent_coef = ent_coef
        self.set_reward = set_reward
        self.teacher_labels = teacher_labels
        self.teacher_coef = teacher_coef
        self.teacher_observations: np.ndarray | None = None
        self.teacher_sets: np.ndarray | None = None
        if self.env is not None:
            num_bs, set_size = reception_layout(self.env)
            self.policy_kwargs = {**self.policy_kwargs, "num_bs": num_bs, "set_size": set_size}
            if teacher_labels > 0:
                core = self.env.get_attr("core")[0]
                self.teacher_observations, self.teacher_sets = teacher_labels_of(
                    core, teacher_labels, seed
                )
        if _init_setup_model:
            self._setup_model()

    def _setup_model(self) -> None:
        if "num_bs" not in self.policy_kwargs:
            raise ValueError(
                "two_part reads U and N from the env; pass the reception env, or num_bs and "
                "set_size in policy_kwargs"
            )
        super()._setup_model()

    def train(self, gradient_steps: int, batch_size: int = 256) -> None:
        """Run ``gradient_steps`` updates of the critics, the set picker and the precoder."""
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizers())
        logs: dict[str, list[float]] = {}
        for _ in range(gradient_steps):
            data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
            assert isinstance(data, TwoPartReplayBufferSamples)
            for key, value in self._update(data).items():
                logs.setdefault(key, []).append(value)
            self._n_updates += 1
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        for key, values in logs.items():
            self.logger.record(f"train/{key}", float(np.mean(values)))

    @staticmethod
    def _step(optimizer: torch.optim.Optimizer, loss: Tensor) -> float:
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss.item())

    def _update(self, data: TwoPartReplayBufferSamples) -> dict[str, float]:
        policy = self.policy
        features = policy.features(data.observations)
        members = data.actions[:, : policy.num_bs].topk(policy.set_size, dim=-1).indices
        chosen = multi_hot(members, policy.num_bs)
        logs = {"critic_loss": self._critic_update(features, chosen, data)}
        logs.update(self._set_update(features))
        expert = 2.0 * F.one_hot(data.expert_precoders, policy.num_codewords).float() - 1.0
        condition = policy.precoder_condition(features, chosen)
        logs["precoder_loss"] = self._step(
            policy.precoder_optimizer, policy.precoder.denoising_loss(condition, expert)
        )
        return logs

    def _critic_update(
        self, features: Tensor, chosen: Tensor, data: TwoPartReplayBufferSamples
    ) -> float:
        target = data.expert_rates if self.set_reward == "expert" else data.rewards
        values = self.policy.set_values(features, chosen)
        loss = 0.5 * ((values - target.unsqueeze(0)) ** 2).mean(dim=(1, 2)).sum()
        return self._step(self.policy.critic_optimizer, loss)

    def _set_update(self, features: Tensor) -> dict[str, float]:
        policy = self.policy
        scores = policy.set_scores(features).unsqueeze(1).expand(-1, self.set_samples, -1)
        with torch.no_grad():
            orders = sample_orders(scores, policy.set_size)
        log_prob = ordered_log_prob(scores, orders)
        with torch.no_grad():
            values = policy.set_values(features, multi_hot(orders, policy.num_bs)).min(dim=0)[0]
            advantage = values - values.mean(dim=1, keepdim=True)
            centred = log_prob - log_prob.mean(dim=1, keepdim=True)
            weight = advantage - self.ent_coef * centred
        loss = -(weight * log_prob).mean()
        logs = {"set_entropy": float(-log_prob.mean().item())}
        if self.teacher_observations is not None and self.teacher_sets is not None:
            teacher = self._teacher_loss(len(features))
            loss = loss + self.teacher_coef * teacher
            logs["teacher_loss"] = float(teacher.item())
        logs["set_loss"] = self._step(policy.set_optimizer, loss)
        return logs

    def _teacher_loss(self, batch_size: int) -> Tensor:
        """Negative log-likelihood of labelled users' oracle sets, ordered by current scores."""
        assert self.teacher_observations is not None and self.teacher_sets is not None
        rows = torch.randint(0, len(self.teacher_sets), (batch_size,)).numpy()
        observations = self.teacher_observations[rows]
        if self._vec_normalize_env is not None:
            observations = self._vec_normalize_env.normalize_obs(observations)
        features = self.policy.features(torch.as_tensor(observations, device=self.device))
        scores = self.policy.set_scores(features)
        members = torch.as_tensor(self.teacher_sets[rows], device=self.device)
        ranking = scores.gather(1, members).detach().argsort(dim=1, descending=True)
        return -ordered_log_prob(scores, members.gather(1, ranking)).mean()

    def _get_torch_save_params(self) -> tuple[list[str], list[str]]:
        return [
            "policy",
            "policy.set_optimizer",
            "policy.critic_optimizer",
            "policy.precoder_optimizer",
        ], []

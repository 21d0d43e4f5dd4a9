"""Diffusion models over actions: the variance-preserving schedule, denoisers and samplers.

A diffusion policy (Wang et al., "Diffusion Policies as an Expressive Policy Class for Offline
Reinforcement Learning", ICLR 2023) generates an action ``x_0`` for a state ``s`` by denoising
Gaussian noise in ``T`` steps with a network ``eps(x_t, t, s)`` trained to predict the noise
that the forward process added, ``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps``
(Ho et al., "Denoising Diffusion Probabilistic Models", NeurIPS 2020).

- :class:`VPSchedule`: the discretised variance-preserving SDE schedule of Diffusion-QL,
  ``alpha_t = exp(-beta_min / T - (beta_max - beta_min) (2t - 1) / (2 T^2))``, which keeps a
  few-step chain (``T = 5`` by default, as generative-diffusion network-optimisation work uses)
  well conditioned (Song et al., "Score-Based Generative Modeling through SDEs", ICLR 2021).
- :func:`ddpm_sample`: ancestral sampling with the posterior ``q(x_{t-1} | x_t, x_0)``;
- :func:`ddim_sample`: DDIM (Song, Meng and Ermon, ICLR 2021) over any subsequence of the
  steps, deterministic with ``eta = 0``, for fewer network calls at inference.
- :class:`Denoiser`: ``eps(x_t, t, s)`` with a sinusoidal timestep embedding and a body from a
  :class:`~wmoe.moe_policies.spec.NetworkSpec` (an MLP or MoE layers with any router).

Samplers clip the predicted ``x_0`` to ``[-max_action, max_action]`` at every step, as
Diffusion-QL does, so actions stay in a ``Box(-1, 1)`` action space.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from wmoe.moe_policies.layers import MoELayer, mlp
from wmoe.moe_policies.spec import NetworkSpec, build_body, build_moe_block

# (x_t (B, action_dim), step indices (B,) long, state (B, state_dim)) -> predicted noise
NoisePredictor = Callable[[Tensor, Tensor, Tensor], Tensor]


class VPSchedule(nn.Module):
    """Discrete variance-preserving noise schedule with ``num_steps`` steps.

    Args:
        num_steps: ``T``, the number of diffusion steps (>= 1).
        beta_min: ``beta_min`` of the VP SDE.
        beta_max: ``beta_max`` of the VP SDE.

    Attributes:
        betas, alphas, alpha_bars: ``(T,)`` buffers; index ``t`` is step ``t + 1``.
    """

    betas: Tensor
    alphas: Tensor
    alpha_bars: Tensor

    def __init__(self, num_steps: int = 5, beta_min: float = 0.1, beta_max: float = 10.0) -> None:
        super().__init__()
        if num_steps < 1:
            raise ValueError(f"num_steps must be >= 1, got {num_steps}")
        if not 0 < beta_min <= beta_max:
            raise ValueError(
                f"need 0 < beta_min <= beta_max, got beta_min={beta_min}, beta_max={beta_max}"
            )
        self.num_steps = num_steps
        t = torch.arange(1, num_steps + 1, dtype=torch.float64)
        alphas = torch.exp(
            -beta_min / num_steps - 0.5 * (beta_max - beta_min) * (2 * t - 1) / num_steps**2
        )
        self.register_buffer("alphas", alphas.float())
        self.register_buffer("betas", (1 - alphas).float())
        self.register_buffer("alpha_bars", torch.cumprod(alphas, 0).float())

    def _column(self, values: Tensor, t: Tensor) -> Tensor:
        return values[t].unsqueeze(-1)

    def add_noise(self, x0: Tensor, t: Tensor, noise: Tensor) -> Tensor:
        """Forward process ``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise``."""
        alpha_bar = self._column(self.alpha_bars, t)
        return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise

    def predict_x0(self, x_t: Tensor, t: Tensor, noise: Tensor) -> Tensor:
        """Invert :meth:`add_noise` for ``x_0`` given (predicted) ``noise``."""
        alpha_bar = self._column(self.alpha_bars, t)
        return (x_t - (1 - alpha_bar).sqrt() * noise) / alpha_bar.sqrt()

    def noise_from_x0(self, x_t: Tensor, t: Tensor, x0: Tensor) -> Tensor:
        """The noise that :meth:`add_noise` put in ``x_t`` if it started from ``x0``."""
        alpha_bar = self._column(self.alpha_bars, t)
        return (x_t - alpha_bar.sqrt() * x0) / (1 - alpha_bar).sqrt()

    def posterior(self, x0: Tensor, x_t: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and variance of ``q(x_{t-1} | x_t, x_0)`` (Ho et al., eq. 6-7)."""
        alpha_bar = self._column(self.alpha_bars, t)
        previous = torch.where(t > 0, self.alpha_bars[(t - 1).clamp_min(0)], 1.0).unsqueeze(-1)
        beta, alpha = self._column(self.betas, t), self._column(self.alphas, t)
        mean = (previous.sqrt() * beta * x0 + alpha.sqrt() * (1 - previous) * x_t) / (1 - alpha_bar)
        variance = beta * (1 - previous) / (1 - alpha_bar)
        return mean, variance


def _step_indices(t: int, batch: int, device: torch.device) -> Tensor:
    return torch.full((batch,), t, dtype=torch.long, device=device)


def ddpm_sample(
    predict_noise: NoisePredictor,
    schedule: VPSchedule,
    state: Tensor,
    action_dim: int,
    generator: torch.Generator | None = None,
    max_action: float = 1.0,
) -> Tensor:
    """Ancestral DDPM sampling of ``(B, action_dim)`` actions for states ``(B, state_dim)``.

    Args:
        predict_noise: ``eps(x_t, t, s)``.
        schedule: The noise schedule (its ``num_steps`` network calls are made).
        state: Conditioning states.
        action_dim: Action width.
        generator: Source of the initial noise and of each step's noise.
        max_action: ``x_0`` predictions are clipped to ``[-max_action, max_action]``.
    """
    batch = state.shape[0]
    x = torch.randn(batch, action_dim, generator=generator, device=state.device)
    for step in reversed(range(schedule.num_steps)):
        t = _step_indices(step, batch, state.device)
        x0 = schedule.predict_x0(x, t, predict_noise(x, t, state)).clamp(-max_action, max_action)
        mean, variance = schedule.posterior(x0, x, t)
        if step == 0:
            x = mean
        else:
            noise = torch.randn(x.shape, generator=generator, device=x.device)
            x = mean + variance.sqrt() * noise
    return x


def ddim_sample(
    predict_noise: NoisePredictor,
    schedule: VPSchedule,
    state: Tensor,
    action_dim: int,
    steps: Sequence[int] | None = None,
    generator: torch.Generator | None = None,
    eta: float = 0.0,
    max_action: float = 1.0,
    start: Tensor | None = None,
) -> Tensor:
    """DDIM sampling over the increasing step subsequence ``steps`` (default: every step).

    Args:
        predict_noise: ``eps(x_t, t, s)``.
        schedule: The noise schedule the denoiser was trained with.
        state: Conditioning states ``(B, state_dim)``.
        action_dim: Action width.
        steps: 0-based step indices to visit, e.g. ``[1, 4]`` for 2 of 5 steps; the chain
            starts at the last one and ends with ``x_0``.
        generator: Source of the initial noise (and of the step noise if ``eta > 0``).
        eta: 0 for deterministic DDIM, 1 for DDPM-like stochasticity.
        max_action: ``x_0`` predictions are clipped to ``[-max_action, max_action]``.
        start: ``x_T`` to start from instead of Gaussian noise (zeros with ``eta = 0`` give
            a deterministic "mean chain" action).
    """
    visit = list(range(schedule.num_steps)) if steps is None else list(steps)
    if not visit or sorted(set(visit)) != visit or visit[0] < 0:
        raise ValueError(f"steps must be increasing step indices >= 0, got {steps}")
    if visit[-1] >= schedule.num_steps:
        raise ValueError(f"steps {visit} exceed the schedule's {schedule.num_steps} steps")
    batch = state.shape[0]
    if start is None:
        x = torch.randn(batch, action_dim, generator=generator, device=state.device)
    else:
        x = start
    for i in reversed(range(len(visit))):
        t = _step_indices(visit[i], batch, state.device)
        eps = predict_noise(x, t, state)
        x0 = schedule.predict_x0(x, t, eps).clamp(-max_action, max_action)
        if i == 0:
            return x0
        alpha_bar = schedule.alpha_bars[visit[i]]
        previous = schedule.alpha_bars[visit[i - 1]]
        sigma = eta * ((1 - previous) / (1 - alpha_bar) * (1 - alpha_bar / previous)).sqrt()
        eps = (x - alpha_bar.sqrt() * x0) / (1 - alpha_bar).sqrt()  # consistent with clipping
        x = previous.sqrt() * x0 + (1 - previous - sigma**2).clamp_min(0).sqrt() * eps
        if eta > 0:
            x = x + sigma * torch.randn(x.shape, generator=generator, device=x.device)
    return x


class SinusoidalEmbedding(nn.Module):
    """Transformer-style sinusoidal embedding of integer steps (Vaswani et al., 2017)."""

    frequencies: Tensor

    def __init__(self, dim: int) -> None:
        super().__init__()
        if dim < 2 or dim % 2:
            raise ValueError(f"the timestep embedding width must be even and >= 2, got {dim}")
        half = dim // 2
        scale = math.log(10_000) / max(half - 1, 1)
        self.register_buffer("frequencies", torch.exp(-scale * torch.arange(half)))

    def forward(self, t: Tensor) -> Tensor:
        """``(B,)`` steps -> ``(B, dim)`` embeddings."""
        angles = t.float().unsqueeze(-1) * self.frequencies
        return torch.cat([angles.sin(), angles.cos()], dim=-1)


class Denoiser(nn.Module):
    """Noise predictor ``eps(x_t, t, s)``: ``[x_t, emb(t), s]`` -> body -> linear head.

    Args:
        action_dim: Width of ``x_t`` and of the output.
        state_dim: Width of the conditioning state.
        network: Body (an MLP, or a stem followed by MoE layers).
        time_embed_dim: Width of the timestep embedding (passed through a small MLP, as in
            Diffusion-QL).
        activation: Activation class of the body and the time MLP.
        noise_conditioned_routing: The MoE router sees ``[emb(t), s]`` (the noise level and
            the state) instead of the hidden features, so experts can specialise per noise
            level as in noise-conditioned MoE denoisers (e.g. eDiff-I's per-noise-level expert
            denoisers, Balaji et al. 2022; Switch-DiT, Park et al. 2024). Needs an MoE
            network with a dense, top-k or hierarchical router.
    """

    def __init__(
        self,
        action_dim: int,
        state_dim: int,
        network: NetworkSpec,
        time_embed_dim: int = 16,
        activation: type[nn.Module] = nn.Mish,
        noise_conditioned_routing: bool = False,
    ) -> None:
        super().__init__()
        self.action_dim = action_dim
        self.time_embedding = nn.Sequential(
            SinusoidalEmbedding(time_embed_dim),
            nn.Linear(time_embed_dim, 2 * time_embed_dim),
            activation(),
            nn.Linear(2 * time_embed_dim, time_embed_dim),
        )
        in_dim = action_dim + time_embed_dim + state_dim
        self.routed_block: MoELayer | None = None
        if noise_conditioned_routing:
            if not network.is_moe:
                raise ValueError(
                    "noise_conditioned_routing needs an MoE network (e.g. moe-top2); "
                    f"got the plain MLP {network.stem}"
                )
            self.body = mlp(in_dim, network.stem, activation)
            block = build_moe_block(
                network,
                network.stem[-1] if network.stem else in_dim,
                activation,
                router_dim=time_embed_dim + state_dim,
            )
            assert isinstance(block, MoELayer)
            self.routed_block = block
        else:
            self.body = build_body(network, in_dim, activation)
        self.head = nn.Linear(network.out_dim, action_dim)

    def forward(self, x_t: Tensor, t: Tensor, state: Tensor) -> Tensor:
        """Predicted noise ``(B, action_dim)``."""
        embedding = self.time_embedding(t)
        hidden = self.body(torch.cat([x_t, embedding, state], dim=-1))
        if self.routed_block is not None:
            hidden = self.routed_block(hidden, torch.cat([embedding, state], dim=-1))
        output: Tensor = self.head(hidden)
        return output

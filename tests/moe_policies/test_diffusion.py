"""Diffusion schedule, samplers and denoisers: consistency with the forward process."""

from __future__ import annotations

import math

import pytest
import torch

from wmoe.moe_policies.diffusion import (
    Denoiser,
    NoisePredictor,
    SinusoidalEmbedding,
    VPSchedule,
    ddim_sample,
    ddpm_sample,
)
from wmoe.moe_policies.presets import resolve_network


def test_vp_schedule_matches_its_closed_form() -> None:
    schedule = VPSchedule(num_steps=5, beta_min=0.1, beta_max=10.0)
    first = math.exp(-0.1 / 5 - 0.5 * 9.9 * 1 / 25)
    assert schedule.alphas[0].item() == pytest.approx(first, rel=1e-6)
    assert torch.all(schedule.alpha_bars[1:] < schedule.alpha_bars[:-1])
    torch.testing.assert_close(schedule.alpha_bars, torch.cumprod(schedule.alphas, 0))
    assert schedule.alpha_bars[-1] < 0.01  # the last step is close to pure noise


def test_noising_is_inverted_by_the_true_noise() -> None:
    schedule = VPSchedule()
    x0, noise = torch.rand(6, 3) * 2 - 1, torch.randn(6, 3)
    t = torch.tensor([0, 1, 2, 3, 4, 2])
    x_t = schedule.add_noise(x0, t, noise)
    torch.testing.assert_close(schedule.predict_x0(x_t, t, noise), x0)
    torch.testing.assert_close(schedule.noise_from_x0(x_t, t, x0), noise)


def _oracle(schedule: VPSchedule, x0: torch.Tensor) -> NoisePredictor:
    """A denoiser that knows ``x0``: it returns exactly the noise that makes ``x_t``."""

    def predict(x_t: torch.Tensor, t: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        alpha_bar = schedule.alpha_bars[t].unsqueeze(-1)
        return (x_t - alpha_bar.sqrt() * x0) / (1 - alpha_bar).sqrt()

    return predict


@pytest.mark.parametrize("sampler", ["ddpm", "ddim", "ddim-2-steps", "ddim-eta"])
def test_a_denoiser_that_knows_the_noise_recovers_x0(sampler: str) -> None:
    schedule = VPSchedule(num_steps=5)
    x0 = torch.rand(8, 3) * 1.6 - 0.8
    state = torch.zeros(8, 2)
    generator = torch.Generator().manual_seed(0)
    oracle = _oracle(schedule, x0)
    if sampler == "ddpm":
        sample = ddpm_sample(oracle, schedule, state, 3, generator)
    elif sampler == "ddim":
        sample = ddim_sample(oracle, schedule, state, 3, generator=generator)
    elif sampler == "ddim-2-steps":
        sample = ddim_sample(oracle, schedule, state, 3, steps=[1, 4], generator=generator)
    else:
        sample = ddim_sample(oracle, schedule, state, 3, generator=generator, eta=1.0)
    torch.testing.assert_close(sample, x0, atol=1e-5, rtol=1e-5)


def test_ddpm_posterior_is_the_exact_gaussian_conditional() -> None:
    schedule = VPSchedule(num_steps=3)
    t = torch.tensor([2])
    x0, x_t = torch.tensor([[0.5]]), torch.tensor([[-0.2]])
    mean, variance = schedule.posterior(x0, x_t, t)
    # q(x_{t-1} | x_0) = N(sqrt(ab1) x0, 1 - ab1); q(x_t | x_{t-1}) = N(sqrt(a2) x_{t-1}, b2)
    ab1, a2, b2 = schedule.alpha_bars[1], schedule.alphas[2], schedule.betas[2]
    precision = 1 / (1 - ab1) + a2 / b2
    expected_mean = (ab1.sqrt() * x0 / (1 - ab1) + a2.sqrt() * x_t / b2) / precision
    torch.testing.assert_close(variance, (1 / precision).reshape(1, 1))
    torch.testing.assert_close(mean, expected_mean)


@pytest.mark.parametrize("preset", ["mlp", "moe-top2", "table7-moe-top1"])
def test_denoiser_samples_are_seeded_and_bounded(preset: str) -> None:
    torch.manual_seed(0)
    denoiser = Denoiser(action_dim=4, state_dim=3, network=resolve_network(preset)).eval()
    schedule = VPSchedule()
    state = torch.randn(16, 3)
    samples = [
        ddpm_sample(denoiser, schedule, state, 4, torch.Generator().manual_seed(seed))
        for seed in (7, 7, 8)
    ]
    torch.testing.assert_close(samples[0], samples[1])
    assert not torch.allclose(samples[0], samples[2])
    assert samples[0].shape == (16, 4) and samples[0].abs().max() <= 1.0 + 1e-6
    fast = ddim_sample(denoiser, schedule, state, 4, steps=[2, 4], generator=torch.Generator())
    assert fast.shape == (16, 4)


def test_denoiser_learns_the_noise_of_a_fixed_action() -> None:
    torch.manual_seed(0)
    schedule = VPSchedule()
    denoiser = Denoiser(2, 1, resolve_network("moe-top2"))
    optimizer = torch.optim.Adam(denoiser.parameters(), lr=3e-3)
    target = torch.tensor([[0.6, -0.4]])
    for _ in range(400):
        t = torch.randint(0, 5, (64,))
        noise = torch.randn(64, 2)
        x_t = schedule.add_noise(target.expand(64, 2), t, noise)
        loss = (denoiser(x_t, t, torch.zeros(64, 1)) - noise).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    denoiser.eval()
    with torch.no_grad():
        sample = ddim_sample(denoiser, schedule, torch.zeros(256, 1), 2, generator=None)
    torch.testing.assert_close(sample.mean(0), target[0], atol=0.05, rtol=0)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="num_steps must be >= 1, got 0"):
        VPSchedule(num_steps=0)
    with pytest.raises(ValueError, match="need 0 < beta_min <= beta_max"):
        VPSchedule(beta_min=2.0, beta_max=1.0)
    with pytest.raises(ValueError, match="must be even"):
        SinusoidalEmbedding(5)
    schedule, state = VPSchedule(), torch.zeros(2, 1)
    with pytest.raises(ValueError, match="increasing step indices"):
        ddim_sample(lambda x, t, s: x, schedule, state, 1, steps=[3, 1])
    with pytest.raises(ValueError, match="exceed the schedule's 5 steps"):
        ddim_sample(lambda x, t, s: x, schedule, state, 1, steps=[1, 5])

"""Diffusion policies: sampling throughput and DiffusionSAC training throughput, MLP vs MoE.

Run from the repository root (uses the default synthetic scenario of
``wmoe/MultiBSReception-v0``, written on first use)::

    .venv/bin/python benchmarks/perf/diffusion_policy.py [--rounds 5] [--train-steps 2000]

Table 1: actions per second of a ``DiffusionActor`` on the env's continuous action form
(BS and codeword scores), in eval mode without gradients, at batch 1 and 256, for the
5-step DDPM chain (stochastic acting), 2-step DDIM (``inference_steps=2``) and deterministic
acting (``deterministic=True``: 8 fixed-noise 5-step DDIM chains per action, the actor's
first chain; the policy's critic pick among them is not included), with MLP and MoE
denoisers.
Table 2: env steps per second of ``DiffusionSAC.learn`` (4 envs, ``train_freq`` 1, one
gradient step per call, batch 256) per denoiser preset, after ``learning_starts``. Every
variant is measured in this one run, round-robin, and the median over rounds is reported with
its ratio to the MLP.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import gymnasium as gym
import torch

import wmoe  # noqa: F401  (registers the envs)
from wmoe.agents.diffusion_sac import DiffusionActor, DiffusionSAC, DiffusionSACPolicy
from wmoe.agents.vec_env import make_sb3_vec_env

ENV_ID = "wmoe/MultiBSReception-v0"
CONFIG = {"action_type": "continuous", "observe_rx_power": True}
PRESETS = ("mlp", "moe-top1", "moe-top2", "table7-baseline", "table7-moe-top2")
SAMPLERS = ("ddpm-5", "ddim-2", "deterministic")


def _actor(preset: str, sampler: str, env: gym.Env) -> DiffusionActor:
    steps = 2 if sampler == "ddim-2" else None
    policy = DiffusionSACPolicy(
        env.observation_space,
        env.action_space,
        lambda _: 1e-3,
        network=preset,
        inference_steps=steps,
    )
    policy.set_training_mode(False)
    return policy.actor


def _median_rate(work: Callable[[], None], items: int, repeats: int) -> float:
    work()
    start = time.perf_counter()
    for _ in range(repeats):
        work()
    return items * repeats / (time.perf_counter() - start)


def sampling_table(rounds: int) -> None:
    env = gym.make(ENV_ID, config=CONFIG)
    obs_dim = env.observation_space.shape[0]  # type: ignore[index]
    print(f"Table 1: actions/s, action width {env.action_space.shape[0]}")  # type: ignore[index]
    print(f"{'denoiser':<16} {'sampler':<14} {'batch 1':>10} {'batch 256':>11} {'x mlp':>7}")
    rates: dict[tuple[str, str, int], list[float]] = {}
    actors = {(p, s): _actor(p, s, env) for p in PRESETS for s in SAMPLERS}
    for _ in range(rounds):
        for (preset, sampler), actor in actors.items():
            deterministic = sampler == "deterministic"
            for batch, repeats in ((1, 200), (256, 20)):
                obs = torch.rand(batch, obs_dim)

                def work(
                    actor: DiffusionActor = actor,
                    obs: torch.Tensor = obs,
                    deterministic: bool = deterministic,
                ) -> None:
                    with torch.no_grad():
                        actor(obs, deterministic=deterministic)

                key = (preset, sampler, batch)
                rates.setdefault(key, []).append(_median_rate(work, batch, repeats))
    for sampler in SAMPLERS:
        for preset in PRESETS:
            one = statistics.median(rates[(preset, sampler, 1)])
            many = statistics.median(rates[(preset, sampler, 256)])
            base = statistics.median(rates[("mlp", sampler, 256)])
            print(f"{preset:<16} {sampler:<14} {one:10.0f} {many:11.0f} {many / base:7.2f}")


def training_table(rounds: int, steps: int) -> None:
    print(f"\nTable 2: DiffusionSAC env steps/s over {steps} steps after learning_starts")
    print(f"{'denoiser':<16} {'steps/s':>9} {'x mlp':>7}")
    fps: dict[str, list[float]] = {}
    for index in range(rounds):
        order = PRESETS[index % len(PRESETS) :] + PRESETS[: index % len(PRESETS)]
        for preset in order:
            env = make_sb3_vec_env(ENV_ID, 4, seed=index, env_kwargs={"config": CONFIG})
            model = DiffusionSAC(
                "MlpPolicy",
                env,
                learning_starts=512,
                batch_size=256,
                train_freq=1,
                gradient_steps=1,
                policy_kwargs={"network": preset},
                seed=index,
            )
            model.learn(512)
            start = time.perf_counter()
            model.learn(steps, reset_num_timesteps=False)
            fps.setdefault(preset, []).append(steps / (time.perf_counter() - start))
            env.close()
    base = statistics.median(fps["mlp"])
    for preset in PRESETS:
        rate = statistics.median(fps[preset])
        print(f"{preset:<16} {rate:9.0f} {rate / base:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="round-robin rounds")
    parser.add_argument("--train-steps", type=int, default=2000, help="env steps timed")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread")
    sampling_table(args.rounds)
    training_table(max(1, args.rounds // 2), args.train_steps)


if __name__ == "__main__":
    main()

"""``make demo``: the flagship job end to end on the built-in SYNTHETIC O1-like scenario.

1. write the synthetic scenario in DeepMIMO v4 format (first run only) and load it through
   ``deepmimo`` into the channel cache;
2. describe ``wmoe/MultiBSReception-v0`` and rate its baselines (random, strongest-N,
   best-SINR-N, exhaustive oracle) on the same users;
3. train a Stable-Baselines3 PPO agent that picks the cooperative set from the UE's location
   (the case study's state; the env applies the expert precoder) and rate it on held-out users.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import numpy as np

from wmoe.paths import default_data_dir

ENV_ID = "wmoe/MultiBSReception-v0"


def _step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def _done(start: float) -> None:
    print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)


def policy_rate(model: Any, env: Any, users: np.ndarray) -> np.ndarray:
    """Rate [bit/s/Hz] a trained SB3 model achieves on the given users (deterministic actions)."""
    core = env.core
    observations = core.normalized_positions[users]
    actions, _ = model.predict(observations, deterministic=True)
    sets, codewords = env.codec.decode(np.asarray(actions), len(users))
    return np.asarray(core.evaluate(users, sets, codewords).rate)


def run_demo(timesteps: int, num_users: int, seed: int, num_threads: int = 1) -> int:
    """Run the demo and print what it did; return the exit status."""
    import gymnasium as gym
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

    import wmoe  # noqa: F401  (registers the environments)
    from wmoe.envs.multi_bs_reception.baselines import evaluate_baselines

    torch.set_num_threads(num_threads)
    print("wmoe demo: uplink multi-BS coordinated reception (survey case study, Sec. V-A)")
    print(f"data folder: {default_data_dir()} (set WMOE_DATA_DIR to move it)")

    start = _step("1. scenario: SYNTHETIC O1-like, DeepMIMO v4 format, loaded with deepmimo")
    env: Any = gym.make(ENV_ID).unwrapped
    core = env.core
    print(
        f"   {core.num_users} users, {core.num_bs} BSs, {core.num_sets} cooperative sets "
        f"of N={core.bs_sets.shape[1]}, {core.codebook.num_codewords} codewords"
    )
    print(
        f"   interference over thermal per BS [dB]: "
        f"{np.round(core.interference_over_thermal_db, 1).tolist()}"
    )
    _done(start)

    start = _step(f"2. baselines on {num_users} uniformly drawn users")
    baselines = evaluate_baselines(core, num_users, seed)
    summary = baselines.summary()
    print(baselines.table())
    gap = 100.0 * (1.0 - summary["strongest_n"]["mean"] / summary["oracle"]["mean"])
    print(f"   strongest-N is {gap:.1f} % below the oracle")
    _done(start)

    start = _step(f"3. PPO (MLP) choosing the BS set from the location, {timesteps} steps")
    config = {"precoder_selection": "expert"}
    train_env = VecMonitor(DummyVecEnv([partial(gym.make, ENV_ID, config=config)] * 8))
    train_env.seed(seed)
    model = PPO(
        "MlpPolicy",
        train_env,
        n_steps=256,
        batch_size=512,
        learning_rate=1e-3,
        ent_coef=0.01,
        gamma=0.0,  # each step draws a new user whatever the action: a contextual bandit
        seed=seed,
        verbose=0,
    )
    model.learn(total_timesteps=timesteps)
    eval_env: Any = gym.make(ENV_ID, config=config).unwrapped
    held_out = evaluate_baselines(eval_env.core, num_users, seed + 1)
    rate = policy_rate(model, eval_env, held_out.users)
    reference = held_out.summary()
    print(
        f"   PPO mean rate on {num_users} held-out users: {rate.mean():.2f} bit/s/Hz "
        f"(random {reference['random']['mean']:.2f}, strongest-N "
        f"{reference['strongest_n']['mean']:.2f}, oracle {reference['oracle']['mean']:.2f})"
    )
    _done(start)
    return 0

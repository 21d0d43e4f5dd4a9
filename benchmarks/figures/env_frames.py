"""Save one ``rgb_array`` frame of every env (the pictures of the README).

Run from the repository root: ``python benchmarks/figures/env_frames.py [-o FOLDER]``. Each
env (default config) starts from ``reset(seed=0)`` and plays ``--steps`` steps of the
baseline named in :data:`FRAME_BASELINES`, then its frame is written as ``<EnvName>.png``.
The reception env runs with ``info_oracle`` so that its frame shows the oracle's set.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym
import matplotlib.image
import torch

import wmoe  # noqa: F401  (registers the envs)
from wmoe.agents.videos import baseline_policy
from wmoe.envs.registration import ENV_TABLE

FRAME_BASELINES = {
    "wmoe/MultiBSReception-v0": "strongest_n",
    "wmoe/ChannelAwareClassification-v0": "channel_aware_gate",
    "wmoe/ExpertRouting-v0": "join_shortest_queue",
    "wmoe/SatelliteBeamforming-v0": "four_colour_full_power",
    "wmoe/MultiAccess-v0": "p_persistent_lbt",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-o", "--output", default="benchmarks/figures", help="folder")
    parser.add_argument("--steps", type=int, default=24, help="steps before the frame")
    args = parser.parse_args()
    torch.set_num_threads(1)
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    for entry in ENV_TABLE:
        config = {"info_oracle": True} if entry.env_id == "wmoe/MultiBSReception-v0" else {}
        env = gym.make(entry.env_id, config=config, render_mode="rgb_array")
        env.action_space.seed(0)
        obs, _ = env.reset(seed=0)
        name = FRAME_BASELINES[entry.env_id]
        policy = baseline_policy(entry.env_id, name, seed=0)
        for _ in range(args.steps):
            obs, *_ = env.step(policy(obs, env))
        path = folder / f"{entry.env_id.split('/')[1].split('-')[0]}.png"
        matplotlib.image.imsave(path, env.render())
        print(f"{path}: {entry.env_id} after {args.steps} steps of {name}")
        env.close()


if __name__ == "__main__":
    main()

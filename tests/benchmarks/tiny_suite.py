"""The tiny suite of the benchmark tests (two PPO presets x two seeds x 256 steps)."""

from __future__ import annotations

from typing import Any


def tiny_suite_data(reception_config: dict[str, Any]) -> dict[str, Any]:
    """Two PPO presets x two seeds x 256 steps on MultiBSReception-v0, 2 test episodes."""
    return {
        "name": "tiny",
        "description": "tests",
        "budget": "seconds",
        "seeds": {"train": [0, 1], "validation": [500], "test": {"first": 10**6, "episodes": 2}},
        "training": {"n_timesteps": 256, "curve_points": 4},
        "matched_plain": "mlp-matched",
        "envs": {
            "wmoe/MultiBSReception-v0": {
                "env_kwargs": {
                    "config": {
                        **reception_config,
                        "episode_length": 16,
                        "precoder_selection": "expert",
                        "observe_rx_power": True,
                    }
                },
                "reference": "oracle",
            }
        },
        "agents": [
            {
                "algo": "ppo",
                "presets": ["mlp-matched", "moe-top2"],
                "hyperparams": {"n_envs": 2, "n_steps": 64, "batch_size": 64},
            }
        ],
    }

"""``wmoe evaluate --video``: videos of a trained agent's episodes (and of a baseline's).

Each policy plays the evaluation's first episodes (seeds ``seed + i``, as in
:func:`~wmoe.agents.evaluate.run_episodes`) in an env made with ``render_mode="rgb_array"``
and wrapped in :class:`gymnasium.wrappers.RecordVideo`, which writes one MP4 per episode
(``<folder>/<policy>/<policy>-episode-<i>.mp4``) at the env's ``metadata['render_fps']``.
RecordVideo needs ``moviepy``: ``pip install wmoe[video]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
from gymnasium.wrappers import RecordVideo

from wmoe.agents.evaluate import Policy, baseline_policies, run_episodes

VIDEO_EXTRA = "pip install 'wmoe[video]' (moviepy, which gymnasium's RecordVideo uses)"


def check_video_dependency() -> None:
    """Raise unless RecordVideo can write videos.

    Raises:
        ModuleNotFoundError: ``moviepy`` is missing; the message says how to install it.
    """
    try:
        import moviepy  # noqa: F401
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(f"writing videos needs moviepy: {VIDEO_EXTRA}") from error


def baseline_policy(env_id: str, name: str, seed: int) -> Policy:
    """The env's baseline ``name`` as a policy.

    Raises:
        ValueError: The env has no baseline of that name; the message lists its baselines.
    """
    policies = baseline_policies(env_id, seed)
    if name not in policies:
        valid = ", ".join(policies) or "none"
        raise ValueError(f"unknown baseline {name!r} for {env_id}; its baselines: {valid}")
    return policies[name]


def record_videos(
    env_id: str,
    env_kwargs: dict[str, Any],
    policies: dict[str, Policy],
    folder: Path,
    n_episodes: int = 1,
    seed: int = 0,
) -> list[Path]:
    """Record ``n_episodes`` episodes of each policy; return the written video files.

    Args:
        env_id: The env to play.
        env_kwargs: ``gym.make`` keyword arguments (e.g. ``{"config": {...}}``), without
            ``render_mode``.
        policies: Name (the file prefix and sub-folder) -> policy.
        folder: Where the videos go.
        n_episodes: Episodes per policy, seeded ``seed + i``.
        seed: Seed of the first episode.

    Raises:
        ValueError: ``n_episodes < 1``.
        ModuleNotFoundError: moviepy is missing.
    """
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be >= 1 to record videos, got {n_episodes}")
    check_video_dependency()
    written: list[Path] = []
    for name, policy in policies.items():
        target = folder / name
        env = RecordVideo(
            gym.make(env_id, render_mode="rgb_array", **env_kwargs),
            str(target),
            episode_trigger=lambda episode: True,
            name_prefix=name,
            disable_logger=True,
        )
        try:
            run_episodes(env, policy, n_episodes, seed)
        finally:
            env.close()
        written += sorted(target.glob(f"{name}-episode-*.mp4"))
    return written

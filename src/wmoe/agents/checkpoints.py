"""Atomic checkpoints of a training run, and finding the latest one to resume from.

A checkpoint at ``N`` steps is ``rl_model_N_steps.zip`` (the zoo's name) plus, when they
exist, ``rl_model_replay_buffer_N_steps.pkl`` and ``rl_model_vecnormalize_N_steps.pkl``.
Every file is written to a temporary name in the same folder and renamed into place, and
the model file is renamed last, so a model checkpoint on disk always has its companions.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.vec_env import VecNormalize

from wmoe.paths import atomic_write

_MODEL_NAME = re.compile(r"^rl_model_(\d+)_steps\.zip$")


def save_model(model: BaseAlgorithm, path: Path) -> None:
    """``model.save`` to ``path``, atomically."""
    atomic_write(path, model.save)


def save_vecnormalize(vec_normalize: VecNormalize, path: Path) -> None:
    """Pickle the normalisation statistics to ``path``, atomically."""
    atomic_write(path, lambda handle: pickle.dump(vec_normalize, handle))


def checkpoint_paths(folder: Path, steps: int) -> dict[str, Path]:
    """The files of the checkpoint at ``steps`` in ``folder``."""
    return {
        "model": folder / f"rl_model_{steps}_steps.zip",
        "replay_buffer": folder / f"rl_model_replay_buffer_{steps}_steps.pkl",
        "vecnormalize": folder / f"rl_model_vecnormalize_{steps}_steps.pkl",
    }


def save_checkpoint(model: BaseAlgorithm, folder: Path) -> Path:
    """Write a checkpoint of ``model`` at its current step count; return the model path."""
    paths = checkpoint_paths(folder, model.num_timesteps)
    if isinstance(model, OffPolicyAlgorithm):
        atomic_write(paths["replay_buffer"], model.save_replay_buffer)
    vec_normalize = model.get_vec_normalize_env()
    if vec_normalize is not None:
        save_vecnormalize(vec_normalize, paths["vecnormalize"])
    save_model(model, paths["model"])
    return paths["model"]


def latest_checkpoint(folder: Path) -> int | None:
    """Step count of the newest model checkpoint in ``folder``, or None."""
    steps = [
        int(m.group(1))
        for p in folder.glob("rl_model_*_steps.zip")
        if (m := _MODEL_NAME.match(p.name))
    ]
    return max(steps) if steps else None


class CheckpointCallback(BaseCallback):
    """Save an atomic checkpoint every ``save_freq`` environment steps.

    Args:
        save_freq: Steps between checkpoints (counted over all envs).
        folder: Run folder.
    """

    def __init__(self, save_freq: int, folder: Path) -> None:
        super().__init__()
        self.save_freq = save_freq
        self.folder = folder
        self._last = 0

    def _on_training_start(self) -> None:
        self._last = self.num_timesteps

    def _on_step(self) -> bool:
        if self.num_timesteps - self._last >= self.save_freq:
            save_checkpoint(self.model, self.folder)
            self._last = self.num_timesteps
        return True


class SaveBestModelCallback(BaseCallback):
    """Child of SB3's ``EvalCallback``: save ``best_model.zip`` atomically on a new best."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _on_step(self) -> bool:
        save_model(self.model, self.path)
        return True

"""Run folders in the rl-baselines3-zoo layout.

``<log_folder>/<algo>/<env_name>_<exp_id>/`` holds the final model ``<env_name>.zip``,
``best_model.zip`` and ``evaluations.npz`` from periodic evaluation, the checkpoints,
``<env_name>/config.yml`` (the hyperparameters used) and ``<env_name>/args.yml``, the
monitor CSV, and the logger output (``progress.csv``, TensorBoard events) under ``log/``.
``<env_name>`` is the env id with ``/`` replaced by ``-``, so the layout stays flat.
"""

from __future__ import annotations

import re
from pathlib import Path


def env_name(env_id: str) -> str:
    """File-system name of an env id (``wmoe/X-v0`` -> ``wmoe-X-v0``)."""
    return env_id.replace("/", "-")


def run_ids(log_folder: Path, algo: str, env_id: str) -> list[int]:
    """Experiment ids of the existing runs of ``algo`` on ``env_id``, ascending."""
    pattern = re.compile(rf"^{re.escape(env_name(env_id))}_(\d+)$")
    folder = log_folder / algo
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := pattern.match(p.name)))


def run_folder(log_folder: Path, algo: str, env_id: str, exp_id: int) -> Path:
    """The folder of run ``exp_id``."""
    return log_folder / algo / f"{env_name(env_id)}_{exp_id}"


def existing_run(log_folder: Path, algo: str, env_id: str, exp_id: int | None) -> Path:
    """Folder of run ``exp_id`` (the latest when None).

    Raises:
        FileNotFoundError: When there is no such run; the message lists those that exist.
    """
    ids = run_ids(log_folder, algo, env_id)
    if not ids:
        raise FileNotFoundError(
            f"no {algo} run on {env_id} under {log_folder / algo}; train one with "
            f"`wmoe train --algo {algo} --env {env_id} -f {log_folder}`"
        )
    chosen = ids[-1] if exp_id is None else exp_id
    if chosen not in ids:
        raise FileNotFoundError(f"no run with exp id {chosen}; existing ids: {ids}")
    return run_folder(log_folder, algo, env_id, chosen)

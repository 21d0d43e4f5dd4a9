"""``wmoe train --algo diffusion-sac --policy moe-top2`` runs on every env of the suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wmoe.agents.diffusion_sac import DiffusionSAC
from wmoe.agents.runs import env_name
from wmoe.agents.train import TrainArgs, train
from wmoe.envs.registration import ENV_TABLE

SMOKE = {"n_envs": 2, "learning_starts": 32, "batch_size": 16, "train_freq": 4}


@pytest.mark.parametrize("env_id", [entry.env_id for entry in ENV_TABLE])
def test_diffusion_sac_moe_top2_trains_and_reloads_on_every_env(
    env_id: str, tmp_path: Path, reception_config: dict[str, Any]
) -> None:
    # The small scenarios for every reception id: the default ones take minutes to write (v1's
    # o1_geometry_3p5: ~7 min) and their caches minutes more (the wideband preset's per
    # sub-band, with interferer terms).
    env_kwargs = {"config": reception_config} if "MultiBSReception" in env_id else {}
    folder = train(
        TrainArgs(
            algo="diffusion-sac",
            env=env_id,
            log_folder=tmp_path,
            policy="moe-top2",
            n_timesteps=96,
            env_kwargs=env_kwargs,
            hyperparams=SMOKE,
            eval_freq=-1,
            save_freq=-1,
            verbose=0,
        )
    )
    model = DiffusionSAC.load(folder / f"{env_name(env_id)}.zip", device="cpu")
    assert model.num_timesteps >= 96
    obs = np.stack([model.observation_space.sample() for _ in range(4)])
    actions = model.predict(obs, deterministic=True)[0]
    assert all(model.action_space.contains(action) for action in actions)

"""The env's channels equal those the plain ``deepmimo`` package generates from the folder."""

from __future__ import annotations

import contextlib
import io
import json

import gymnasium as gym
import numpy as np
import pytest

import wmoe  # noqa: F401
from wmoe.config import ConfigError


def test_env_grams_match_plain_deepmimo_channels(reception_config):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import deepmimo as dm

    core = gym.make("wmoe/MultiBSReception-v0", config=reception_config).unwrapped.core
    folder = core.data_folder
    facing = [0.0 if k % 2 == 0 else 180.0 for k in range(12)]
    facing += [90.0 if k % 2 == 0 else -90.0 for k in range(6)]
    users = [0, 7, 42, core.num_users - 1]
    dm.config.set("scenarios_folder", str(folder.parent))
    try:
        per_port = []
        for tx_set in (0, 1):
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                loaded = dm.load(folder.name, tx_sets=[tx_set], rx_sets={2: users})
                channels = []
                for bs, dataset in enumerate(loaded.datasets):
                    params = dm.ChannelParameters(
                        bs_antenna={
                            "shape": np.array([2, 2]),
                            "rotation": np.array([0, 0, facing[bs]]),
                        },
                        ue_antenna={"shape": np.array([4, 1])},
                        freq_domain=False,
                    )
                    channels.append(dataset.compute_channels(params).sum(axis=-1))
            per_port.append(np.stack(channels, axis=1))  # (users, bs, ue_ant, bs_ant)
    finally:
        dm.config.reset()
    downlink = np.concatenate(per_port, axis=-1).astype(np.complex128)
    gram = np.einsum("ubip,ubjp->ubij", downlink.conj(), downlink)  # uplink H = downlink H^T
    expected = core.data.gram[users].astype(np.complex128)
    scale = np.abs(expected).max()
    assert scale > 0
    np.testing.assert_allclose(gram, expected, rtol=0, atol=1e-5 * scale)
    np.testing.assert_allclose(
        core.data.user_positions[users], loaded.datasets[0].rx_pos, rtol=1e-6
    )


def test_env_reads_deepmimo_o1_layout_with_a_user_subset(o1_format_scenario, tmp_path):
    """O1's layout (one-BS TX sets, three user grids) with config keys picking grids and stride."""
    base = {
        "scenarios_dir": str(o1_format_scenario.parent),
        "scenario": o1_format_scenario.name,
        "cache_dir": str(tmp_path / "cache"),
    }
    full = gym.make("wmoe/MultiBSReception-v0", config=base).unwrapped.core
    grids = [int(s["num_points"]) for s in _user_sets(o1_format_scenario)]
    assert full.num_users == sum(grids) and full.num_bs == 18
    part = gym.make(
        "wmoe/MultiBSReception-v0", config={**base, "user_grids": [2, 1], "user_stride": 5}
    ).unwrapped.core
    expected = np.concatenate(
        [np.arange(grids[0], grids[0] + grids[1], 5), np.arange(sum(grids[:2]), sum(grids), 5)]
    )
    assert part.num_users == len(expected)
    np.testing.assert_array_equal(part.data.gram, full.data.gram[expected])
    env = gym.make("wmoe/MultiBSReception-v0", config={**base, "user_grids": [0]})
    env.reset(seed=0)
    _, reward, *_ = env.step(env.action_space.sample())
    assert np.isfinite(reward)
    with pytest.raises(ConfigError, match=r"config\['user_grids'\]=\[7\] is invalid: .*user sets"):
        gym.make("wmoe/MultiBSReception-v0", config={**base, "user_grids": [7]})


def _user_sets(folder):
    params = json.loads((folder / "params.json").read_text())
    sets = sorted(params["txrx_sets"].values(), key=lambda s: s["id"])
    return [s for s in sets if s["is_rx"] and not s["is_tx"]]

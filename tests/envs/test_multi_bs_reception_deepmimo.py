"""The env's channels equal those the plain ``deepmimo`` package generates from the folder."""

from __future__ import annotations

import contextlib
import io

import gymnasium as gym
import numpy as np

import wmoe  # noqa: F401


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

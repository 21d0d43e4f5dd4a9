"""Independent reconstruction of narrowband channels from a DeepMIMO folder's path matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wmoe.phy.arrays import steering_vectors, ula_positions, upa_positions
from wmoe.scenarios.deepmimo_loader import ArrayConfig


def stored(folder: Path, key: str, tx: tuple[int, int], rx_set: int) -> np.ndarray:
    """Read one matrix file of transmitter ``tx`` = (TX set, index) and an RX set, as float64."""
    with np.load(folder / f"{key}_t{tx[0]:03}_tx{tx[1]:03}_r{rx_set:03}.npz") as data:
        return data[key].astype(np.float64)


def reconstruct(
    folder: Path, tx: tuple[int, int], rx_set: int, facing_deg: float, arrays: ArrayConfig
) -> np.ndarray:
    """H[user, bs_port, ue_ant] = sum_paths coef * a_bs[port] * a_ue[ue_ant] (one polarisation)."""
    power = stored(folder, "power", tx, rx_set)
    phase = stored(folder, "phase", tx, rx_set)
    coef = np.nan_to_num(10 ** (power / 20) * np.exp(1j * np.deg2rad(phase)))
    bs_pos = upa_positions(*arrays.bs_panel, arrays.spacing_wavelengths)
    ue_pos = ula_positions(arrays.ue_antennas, arrays.spacing_wavelengths)
    az_bs = np.deg2rad(np.nan_to_num(stored(folder, "aod_az", tx, rx_set)) - facing_deg)
    a_bs = steering_vectors(
        bs_pos, az_bs, np.deg2rad(np.nan_to_num(stored(folder, "aod_el", tx, rx_set)))
    )
    a_ue = steering_vectors(
        ue_pos,
        np.deg2rad(np.nan_to_num(stored(folder, "aoa_az", tx, rx_set))),
        np.deg2rad(np.nan_to_num(stored(folder, "aoa_el", tx, rx_set))),
    )
    return np.einsum("np,npi,npj->nij", coef, a_bs, a_ue)


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    """Relative max error < 1e-5 for every user (scale: that user's largest entry)."""
    assert actual.shape == expected.shape
    scale = np.abs(expected).reshape(len(expected), -1).max(axis=1)
    error = np.abs(actual - expected).reshape(len(expected), -1).max(axis=1)
    assert scale.max() > 0
    assert np.all(error[scale == 0] == 0)
    heard = scale > 0
    assert np.all(error[heard] / scale[heard] < 1e-5), (error / np.maximum(scale, 1e-300)).max()

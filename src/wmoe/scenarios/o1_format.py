"""Write folders in the file layout of DeepMIMO's ray-traced O1 (``o1_3p5``, v4), random paths.

DeepMIMO's O1 cannot be downloaded here, yet the loader must read it as it is. This module
writes a folder laid out exactly as DeepMIMO's Wireless InSite converter lays out O1
(``deepmimo.converters.wireless_insite``), filled with RANDOM paths (a free-space line of sight
plus weaker random paths): a test fixture and a memory benchmark of the loader, not channel
data. ``rt_params.raytracer_name`` says so.

Layout (DeepMIMO v4, ``deepmimo.consts`` and ``deepmimo.utils.get_mat_filename``):

* RX sets 0-2: the user grids UG1, UG2, UG3 (``is_rx`` only), 181, 181 and 361 users per row,
  2751, 1101 and 1351 rows (1,184,923 users; :attr:`O1FormatConfig.row_stride` keeps every
  k-th row);
* TX sets 3-20: BS1-BS18, one point each, ``is_tx`` *and* ``is_rx`` (O1 carries the BS-to-BS
  links);
* for every TX set ``t`` and every RX set ``r`` (users and BSs), the files
  ``<matrix>_t<t:03>_tx000_r<r:03>.npz`` for power [dB], phase [deg], delay [s], the four
  angles [deg], ``inter`` (DeepMIMO interaction codes), ``inter_pos`` [m], ``rx_pos`` and
  ``tx_pos`` [m], float32, paths NaN-padded to 25 and sorted by descending power, written with
  ``np.savez_compressed`` as DeepMIMO's ``save_mat`` writes them;
* ``params.json`` with ``version``, ``rt_params``, ``txrx_sets`` (DeepMIMO's ``TxRxSet``
  fields), ``materials`` and ``scene``; ``vertices.npz`` / ``objects.json`` from DeepMIMO's scene
  exporter. No ``wmoe`` block: BSs are single-polarised, as in O1.

User positions are regular 0.2 m grids at illustrative places, not O1's coordinates.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.scenarios.deepmimo_loader import import_deepmimo
from wmoe.scenarios.synthetic_o1 import itu_materials, write_building_scene

SPEED_OF_LIGHT_M_S = 299_792_458.0
MAX_PATHS = 25  # DeepMIMO's MAX_PATHS: O1's files carry up to 25 paths per link
MAX_INTERACTIONS = 3
GRID_SPACING_M = 0.2
UE_HEIGHT_M = 2.0
RAYTRACER_NAME = "wmoe O1-format test fixture: RANDOM paths, NOT ray-traced O1 data"


@dataclass(frozen=True)
class UserGridLayout:
    """One O1 user grid: an RX set of rows of users 0.2 m apart.

    Attributes:
        rx_set: DeepMIMO RX set id.
        name: Set name.
        rows: Rows of the full grid.
        users_per_row: Users in each row.
        origin_m: (x, y) of the first user [m]; users run along +x, rows along +y.
    """

    rx_set: int
    name: str
    rows: int
    users_per_row: int
    origin_m: tuple[float, float]


O1_USER_GRIDS = (
    UserGridLayout(0, "UG1", 2751, 181, (243.504, 364.504)),
    UserGridLayout(1, "UG2", 1101, 181, (243.504, 914.704)),
    UserGridLayout(2, "UG3", 1351, 361, (81.504, 1135.0)),
)
O1_BS_TX_SETS = tuple(range(3, 21))
O1_BS_HEIGHT_M = 6.0


@dataclass(frozen=True)
class O1FormatConfig:
    """Settings of an O1-format folder.

    Attributes:
        name: Scenario folder name.
        row_stride: Keep every ``row_stride``-th row of each user grid (1: real O1's size).
        frequency_hz: Carrier frequency [Hz].
        mean_extra_paths: Mean number of random paths besides the line of sight.
        silent_user_fraction: Share of users without any path (as O1's blocked points).
        seed: Seed of the random paths.
    """

    name: str = "o1_3p5"
    row_stride: int = 1
    frequency_hz: float = 3.5e9
    mean_extra_paths: float = 8.0
    silent_user_fraction: float = 0.02
    seed: int = 0


def bs_positions() -> NDArray[np.float64]:
    """Return (18, 3) positions of BS1..BS18 [m]: two rows of 9 along y, 52 m apart in x."""
    x = np.where(np.arange(18) % 2 == 0, 235.504, 287.504)
    y = 389.504 + 100.0 * (np.arange(18) // 2)
    return np.column_stack([x, y, np.full(18, O1_BS_HEIGHT_M)])


def grid_positions(grid: UserGridLayout, row_stride: int) -> NDArray[np.float64]:
    """Return the (users, 3) positions [m] of ``grid``'s kept rows, row by row."""
    rows = np.arange(0, grid.rows, row_stride)
    x = grid.origin_m[0] + GRID_SPACING_M * np.arange(grid.users_per_row)
    y = grid.origin_m[1] + GRID_SPACING_M * rows
    xx, yy = np.meshgrid(x, y)
    return np.column_stack([xx.ravel(), yy.ravel(), np.full(xx.size, UE_HEIGHT_M)])


def write_o1_format(scenarios_dir: Path | str, config: O1FormatConfig) -> Path:
    """Write an O1-format folder into ``scenarios_dir/config.name`` and return it.

    Raises:
        FileExistsError: If the folder exists.
        ValueError: If ``row_stride`` is below 1.
    """
    if config.row_stride < 1:
        raise ValueError(f"row_stride must be >= 1, got {config.row_stride}")
    folder = Path(scenarios_dir) / config.name
    folder.mkdir(parents=True, exist_ok=False)
    rng = np.random.default_rng(config.seed)
    bs = bs_positions()
    receivers: dict[int, NDArray[np.float64]] = {
        grid.rx_set: grid_positions(grid, config.row_stride) for grid in O1_USER_GRIDS
    }
    receivers.update({tx_set: bs[k : k + 1] for k, tx_set in enumerate(O1_BS_TX_SETS)})
    for k, tx_set in enumerate(O1_BS_TX_SETS):
        for rx_set, positions in receivers.items():
            matrices = random_paths(bs[k], positions, config, rng)
            for key, value in matrices.items():
                path = folder / f"{key}_t{tx_set:03}_tx000_r{rx_set:03}.npz"
                np.savez_compressed(path, allow_pickle=False, **{key: value})
    scene = write_building_scene(folder)
    params = _params(config, {s: len(p) for s, p in receivers.items()}, scene)
    (folder / "params.json").write_text(json.dumps(params, indent=2))
    return folder


def random_paths(
    tx: NDArray[np.float64],
    rx: NDArray[np.float64],
    config: O1FormatConfig,
    rng: np.random.Generator,
) -> dict[str, NDArray[np.float32]]:
    """Return DeepMIMO path matrices from ``tx`` to every point of ``rx`` (random paths).

    Each receiver gets a free-space line of sight (Friis power, delay ``d / c``, geometric
    angles) and a Poisson number of random weaker, later paths; a share of receivers gets none.
    """
    n = len(rx)
    wavelength = SPEED_OF_LIGHT_M_S / config.frequency_hz
    delta = rx - tx
    distance = np.maximum(np.linalg.norm(delta, axis=1), 1.0)
    extra = np.minimum(rng.poisson(config.mean_extra_paths, n), MAX_PATHS - 1)
    count = np.where(rng.random(n) < config.silent_user_fraction, 0, 1 + extra)
    valid = np.arange(MAX_PATHS)[None, :] < count[:, None]
    los_db = 20.0 * np.log10(wavelength / (4.0 * math.pi * distance))
    loss_db = np.sort(rng.exponential(8.0, (n, MAX_PATHS)), axis=1)
    loss_db[:, 0] = 0.0
    power = los_db[:, None] - loss_db
    excess = np.sort(rng.exponential(100.0, (n, MAX_PATHS)), axis=1)
    excess[:, 0] = 0.0
    delay = (distance[:, None] + excess) / SPEED_OF_LIGHT_M_S
    aod_az = rng.uniform(-180.0, 180.0, (n, MAX_PATHS))
    aod_el = rng.uniform(60.0, 120.0, (n, MAX_PATHS))
    aod_az[:, 0] = np.rad2deg(np.arctan2(delta[:, 1], delta[:, 0]))
    aod_el[:, 0] = np.rad2deg(np.arccos(np.clip(delta[:, 2] / distance, -1.0, 1.0)))
    aoa_az = rng.uniform(-180.0, 180.0, (n, MAX_PATHS))
    aoa_el = rng.uniform(60.0, 120.0, (n, MAX_PATHS))
    aoa_az[:, 0] = np.rad2deg(np.arctan2(-delta[:, 1], -delta[:, 0]))
    aoa_el[:, 0] = 180.0 - aod_el[:, 0]
    depth = rng.integers(1, MAX_INTERACTIONS + 1, (n, MAX_PATHS))
    depth[:, 0] = 0
    inter = (10.0**depth - 1.0) / 9.0  # 0 (LOS), 1, 11, 111: reflections
    inter_pos = (
        rng.uniform(0.0, 1.0, (n, MAX_PATHS, MAX_INTERACTIONS, 3)) * delta[:, None, None, :] + tx
    )
    has_inter = np.arange(MAX_INTERACTIONS)[None, None, :] < depth[:, :, None]

    def padded(values: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
        return np.where(valid, values, np.nan).astype(np.float32)

    return {
        "power": padded(power),
        "phase": padded(rng.uniform(-180.0, 180.0, (n, MAX_PATHS))),
        "delay": padded(delay),
        "aoa_az": padded(aoa_az),
        "aoa_el": padded(aoa_el),
        "aod_az": padded(aod_az),
        "aod_el": padded(aod_el),
        "inter": padded(inter),
        "inter_pos": np.where((valid[:, :, None] & has_inter)[..., None], inter_pos, np.nan).astype(
            np.float32
        ),
        "rx_pos": rx.astype(np.float32),
        "tx_pos": tx.reshape(1, 3).astype(np.float32),
    }


def _params(
    config: O1FormatConfig, points: dict[int, int], scene: dict[str, Any]
) -> dict[str, Any]:
    dm = import_deepmimo()
    from deepmimo.core.rt_params import RayTracingParameters
    from deepmimo.core.txrx import TxRxSet

    sets = [
        TxRxSet(
            name=grid.name,
            id_orig=grid.rx_set + 1,
            id=grid.rx_set,
            is_rx=True,
            num_points=points[grid.rx_set],
            num_active_points=points[grid.rx_set],
            grid_spacing=GRID_SPACING_M,
        )
        for grid in O1_USER_GRIDS
    ]
    sets += [
        TxRxSet(
            name=f"BS{k + 1}",
            id_orig=tx_set + 1,
            id=tx_set,
            is_tx=True,
            is_rx=True,
            num_points=1,
            num_active_points=1,
        )
        for k, tx_set in enumerate(O1_BS_TX_SETS)
    ]
    rt_params = RayTracingParameters(
        raytracer_name=RAYTRACER_NAME,
        raytracer_version="wmoe-0.1",
        frequency=config.frequency_hz,
        max_path_depth=MAX_INTERACTIONS,
        max_reflections=MAX_INTERACTIONS,
        max_diffractions=0,
        max_scattering=0,
        max_transmissions=0,
    )
    return {
        "version": dm.__version__,
        "rt_params": rt_params.to_dict(),
        "txrx_sets": {f"txrx_set_{s.id}": s.to_dict() for s in sets},
        "materials": itu_materials(config.frequency_hz),
        "scene": {**scene, "num_scenes": 1},
    }

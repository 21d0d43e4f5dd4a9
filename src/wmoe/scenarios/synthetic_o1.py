"""Write the SYNTHETIC O1-like scenarios in the DeepMIMO v4 on-disk format.

The folder this module writes is loaded by the plain ``deepmimo`` package (``dm.load``) exactly
like a downloaded scenario. It is *synthetic*: paths come from wmoe's image-method tracer
(:mod:`wmoe.scenarios.raytrace`) in a street layout built from public facts about O1
(:mod:`wmoe.scenarios.o1_layout`), not from Wireless InSite. ``params.json`` says so in its
``rt_params.raytracer_name`` and in a ``wmoe`` block that also records the generator settings.

Two scenarios are written:

* ``o1_synthetic_3p5`` (:class:`SyntheticO1Config`, the envs' default): the layout of
  :mod:`wmoe.scenarios.o1_layout`, one user RX set. Its files are frozen: v0 of the reception
  env depends on them.
* ``o1_geometry_3p5`` (:class:`O1GeometryConfig`): O1's published geometry
  (:mod:`wmoe.scenarios.o1_geometry`: 40 m streets, the 62 m gaps, three facing pairs on the
  cross street, rows of buildings of varying heights), three user RX sets shaped like UG1-UG3
  (RX sets 2-4) and up to three facade reflections per path by default. Its statistics
  against TR 38.901 UMi are in ``src/wmoe/scenarios/README.md``.

Layout of the folder (DeepMIMO v4 conventions, ``deepmimo.consts``):

* TX set 0: the 18 BSs' +45 degree slanted ports; TX set 1: the same BSs' -45 degree ports;
  RX set 2: the users (``o1_geometry_3p5``: RX sets 2, 3, 4: UG1, UG2, UG3).
  ``params.json['wmoe']['bs_polarization_tx_sets'] = [0, 1]``.
* one ``<matrix>_t<set>_tx<idx>_r<set>.npz`` file per matrix and (TX, RX set) pair with
  power [dB of the path gain], phase [deg], delay [s], aoa/aod azimuth and zenith [deg],
  interaction codes (DeepMIMO digits, ``1`` per reflection), interaction positions [m],
  rx and tx positions [m]; paths sorted by descending power, NaN-padded.
* ``vertices.npz`` / ``objects.json``: the building blocks, written by DeepMIMO's own
  :class:`deepmimo.core.scene.Scene` exporter.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.scenarios import o1_geometry, o1_layout
from wmoe.scenarios.deepmimo_loader import import_deepmimo
from wmoe.scenarios.o1_layout import Wall
from wmoe.scenarios.raytrace import (
    FACADE_MATERIAL,
    GROUND_MATERIAL,
    MAX_INTERACTIONS,
    Block,
    PathSet,
    trace_paths,
)

DEEPMIMO_MAX_PATHS = 25
POLARIZATION_TX_SETS = (0, 1)
USER_RX_SET = 2
RAYTRACER_NAME = "wmoe synthetic image-method tracer (NOT Wireless InSite O1 data)"


@dataclass(frozen=True)
class SyntheticO1Config:
    """Settings of the synthetic O1-like scenario.

    Attributes:
        name: Scenario folder name.
        frequency_hz: Carrier frequency [Hz] (O1_3p5: 3.5 GHz).
        row_stride: Keep every ``row_stride``-th grid row (rows are 0.2 m apart).
        user_stride: Keep every ``user_stride``-th user of a row (users are 0.2 m apart).
        max_wall_order: Highest number of facade reflections per path.
        seed: Seed of the cross-polarisation draws.
    """

    name: str = "o1_synthetic_3p5"
    frequency_hz: float = 3.5e9
    row_stride: int = 5
    user_stride: int = 5
    max_wall_order: int = 2
    seed: int = 0


@dataclass(frozen=True)
class O1GeometryConfig:
    """Settings of the synthetic scenario in O1's published geometry (``o1_geometry_3p5``).

    Attributes:
        name: Scenario folder name (its own, so caches never mix with the default scenario's).
        frequency_hz: Carrier frequency [Hz] (O1_3p5: 3.5 GHz).
        row_stride: Keep every ``row_stride``-th row of each user grid (rows are 0.2 m apart).
        user_stride: Keep every ``user_stride``-th user of a row (users are 0.2 m apart).
        max_wall_order: Highest number of facade reflections per path (3: the depth of the
            DeepMIMO city scenarios' ray tracing, "a maximum of 3 reflections",
            https://www.deepmimo.net/scenarios/deepmimo-city-scenario4/).
        seed: Seed of the cross-polarisation draws.
        building_seed: Seed of the building heights (:func:`o1_geometry.buildings`).
    """

    name: str = "o1_geometry_3p5"
    frequency_hz: float = 3.5e9
    row_stride: int = 5
    user_stride: int = 5
    max_wall_order: int = 3
    seed: int = 0
    building_seed: int = 0


ScenarioConfig = SyntheticO1Config | O1GeometryConfig


@dataclass(frozen=True)
class _Layout:
    """What the writer needs of a street layout.

    Attributes:
        bs_positions: (num_bs, 3) [m].
        facing_azimuth_deg: (num_bs,) broadside azimuth of each BS panel [deg].
        user_sets: (RX set id, name, (n, 3) positions [m]) of each user grid.
        facades: Reflecting facades.
        blocks: Blocking building blocks (x0, x1, y0, y1) [m].
        buildings: Exported buildings (x0, x1, y0, y1, height) [m].
        description: The ``wmoe.description`` of ``params.json``.
    """

    bs_positions: NDArray[np.float64]
    facing_azimuth_deg: NDArray[np.float64]
    user_sets: tuple[tuple[int, str, NDArray[np.float64]], ...]
    facades: tuple[Wall, ...]
    blocks: tuple[Block, ...]
    buildings: tuple[tuple[float, float, float, float, float], ...]
    description: str


def _layout(config: ScenarioConfig) -> _Layout:
    if isinstance(config, SyntheticO1Config):
        return _Layout(
            bs_positions=o1_layout.base_station_positions(),
            facing_azimuth_deg=o1_layout.base_station_facing_azimuth_deg(),
            user_sets=(
                (USER_RX_SET, "users", o1_layout.user_grid(config.row_stride, config.user_stride)),
            ),
            facades=o1_layout.walls(),
            blocks=o1_layout.building_blocks(),
            buildings=o1_layout.buildings(),
            description=(
                "SYNTHETIC O1-like scenario written by wmoe.scenarios.synthetic_o1: image-method "
                "paths in a street layout from public O1 facts; not DeepMIMO's ray-traced O1."
            ),
        )
    return _Layout(
        bs_positions=o1_geometry.base_station_positions(),
        facing_azimuth_deg=o1_geometry.base_station_facing_azimuth_deg(),
        user_sets=tuple(
            (
                USER_RX_SET + k,
                grid.name,
                o1_geometry.grid_positions(grid, config.row_stride, config.user_stride),
            )
            for k, grid in enumerate(o1_geometry.USER_GRIDS)
        ),
        facades=o1_geometry.walls(),
        blocks=o1_geometry.building_blocks(),
        buildings=o1_geometry.buildings(config.building_seed),
        description=(
            "SYNTHETIC scenario in O1's published geometry written by wmoe.scenarios."
            "synthetic_o1 (wmoe.scenarios.o1_geometry): image-method paths, 40 m streets, "
            "O1's BS spacings, user grids shaped like UG1-UG3; not DeepMIMO's ray-traced O1."
        ),
    )


def scenario_folder(scenarios_dir: Path | str, config: ScenarioConfig) -> Path:
    """Return where ``config``'s scenario lives inside a DeepMIMO scenarios folder."""
    return Path(scenarios_dir) / config.name


LAYOUTS: dict[str, type[SyntheticO1Config] | type[O1GeometryConfig]] = {
    "o1-like": SyntheticO1Config,
    "o1-geometry": O1GeometryConfig,
}
"""The layouts of ``wmoe scenario generate --layout``, by option value."""


def write_synthetic_o1(
    scenarios_dir: Path | str, config: ScenarioConfig | None = None, *, overwrite: bool = False
) -> Path:
    """Trace and write the synthetic scenario into ``scenarios_dir/config.name``.

    The folder appears atomically: it is written next to its final place and renamed.

    Args:
        scenarios_dir: A DeepMIMO scenarios folder (one sub-folder per scenario).
        config: Generator settings; defaults to :class:`SyntheticO1Config` (the default
            scenario); an :class:`O1GeometryConfig` writes the O1-geometry scenario.
        overwrite: Replace an existing scenario of the same name.

    Returns:
        The scenario folder.

    Raises:
        FileExistsError: If the scenario exists and ``overwrite`` is False.
    """
    config = config or SyntheticO1Config()
    return write_folder_atomically(
        scenario_folder(scenarios_dir, config),
        lambda staging: _write_into(staging, config),
        overwrite=overwrite,
    )


def check_overwrite(target: Path, overwrite: bool) -> None:
    """Raise unless ``target`` is free or may be replaced.

    Raises:
        FileExistsError: If ``target`` exists and ``overwrite`` is False.
    """
    if target.exists() and not overwrite:
        raise FileExistsError(
            f"scenario folder {target} exists; pass overwrite=True (CLI: --overwrite) to replace it"
        )


def write_folder_atomically(
    target: Path, write: Callable[[Path], None], *, overwrite: bool = False
) -> Path:
    """Fill a fresh folder next to ``target`` with ``write(staging)``, then move it in place.

    A reader never sees a half-written scenario: the staging folder is renamed onto
    ``target`` (an existing one is moved aside first, then deleted); a failed ``write``
    leaves ``target`` as it was.

    Raises:
        FileExistsError: If ``target`` exists and ``overwrite`` is False.
    """
    check_overwrite(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        write(staging)
        if target.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
            os.replace(target, trash / target.name)
            os.replace(staging, target)
            shutil.rmtree(trash)
        else:
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _write_into(folder: Path, config: ScenarioConfig) -> None:
    rng = np.random.default_rng(config.seed)
    layout = _layout(config)
    users = np.concatenate([positions for _, _, positions in layout.user_sets])
    bounds = np.cumsum([0] + [len(positions) for _, _, positions in layout.user_sets])
    for bs_index, bs_position in enumerate(layout.bs_positions):
        paths = trace_paths(
            bs_position,
            users,
            config.frequency_hz,
            rng,
            config.max_wall_order,
            facades=layout.facades,
            blocks=layout.blocks,
        )
        for k, (rx_set, _, _) in enumerate(layout.user_sets):
            rows = slice(bounds[k], bounds[k + 1])
            per_port = _deepmimo_matrices(_rows(paths, rows), bs_position, users[rows])
            for port, tx_set in enumerate(POLARIZATION_TX_SETS):
                for key, value in per_port[port].items():
                    filename = f"{key}_t{tx_set:03}_tx{bs_index:03}_r{rx_set:03}.npz"
                    np.savez_compressed(folder / filename, allow_pickle=False, **{key: value})
    scene_params = write_building_scene(folder, layout.buildings)
    params = _params(config, layout, scene_params)
    (folder / "params.json").write_text(json.dumps(params, indent=2))


def _rows(paths: PathSet, rows: slice) -> PathSet:
    """Return the paths of receivers ``rows``."""
    return PathSet(*(getattr(paths, f)[rows] for f in PathSet.__dataclass_fields__))


def _deepmimo_matrices(
    paths: PathSet, bs_position: NDArray[np.float64], users: NDArray[np.float64]
) -> list[dict[str, NDArray[Any]]]:
    """Convert traced paths into DeepMIMO matrices, one dict per BS port."""
    total_power = np.where(paths.valid, (np.abs(paths.gain) ** 2).sum(axis=-1), -1.0)
    order = np.argsort(-total_power, axis=1, kind="stable")
    kept = min(DEEPMIMO_MAX_PATHS, max(int(paths.valid.sum(axis=1).max()), 1))
    order = order[:, :kept]

    def take(a: NDArray[Any]) -> NDArray[Any]:
        index = order.reshape(order.shape + (1,) * (a.ndim - 2))
        return np.take_along_axis(a, index, axis=1)

    valid = take(paths.valid)
    length = take(paths.length_m)
    departure = take(paths.departure)
    arrival = take(paths.arrival)
    positions = take(paths.interaction_positions)
    num_inter = take(paths.num_interactions)

    def angles(vectors: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        azimuth = np.rad2deg(np.arctan2(vectors[..., 1], vectors[..., 0]))
        zenith = np.rad2deg(np.arccos(np.clip(vectors[..., 2], -1.0, 1.0)))
        return azimuth, zenith

    aod_az, aod_el = angles(departure)
    aoa_az, aoa_el = angles(arrival)
    codes = np.where(num_inter > 0, (10.0**num_inter - 1.0) / 9.0, 0.0)  # 0, 1, 11, 111
    shared = {
        "delay": length / 299_792_458.0,
        "aoa_az": aoa_az,
        "aoa_el": aoa_el,
        "aod_az": aod_az,
        "aod_el": aod_el,
        "inter": codes,
    }
    matrices = []
    for port in range(paths.gain.shape[-1]):
        gain = take(paths.gain[..., port])
        with np.errstate(divide="ignore"):
            port_values = {
                "power": 20.0 * np.log10(np.abs(gain)),
                "phase": np.angle(gain, deg=True),
            }
        port_matrices: dict[str, NDArray[Any]] = {}
        for key, value in {**port_values, **shared}.items():
            port_matrices[key] = np.where(valid, value, np.nan).astype(np.float32)
        port_matrices["inter_pos"] = np.where(valid[..., None, None], positions, np.nan).astype(
            np.float32
        )
        port_matrices["rx_pos"] = users.astype(np.float32)
        port_matrices["tx_pos"] = bs_position[None, :].astype(np.float32)
        matrices.append(port_matrices)
    return matrices


def write_building_scene(
    folder: Path, buildings: tuple[tuple[float, float, float, float, float], ...] | None = None
) -> dict[str, Any]:
    """Export buildings with DeepMIMO's own scene writer.

    Args:
        folder: The scenario folder.
        buildings: (x0, x1, y0, y1, height) [m] of each building; the default layout's blocks
            (:mod:`wmoe.scenarios.o1_layout`, 30 m tall) when None.

    Returns:
        The scene block of ``params.json`` that DeepMIMO's exporter returns.
    """
    import_deepmimo()
    from deepmimo.core.scene import Face, PhysicalElement, Scene

    scene = Scene()
    for object_id, (x0, x1, y0, y1, height) in enumerate(buildings or o1_layout.buildings()):
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        bottom = [(x, y, 0.0) for x, y in corners]
        top = [(x, y, height) for x, y in corners]
        faces = [
            Face(vertices=np.array(bottom), material_idx=0),
            Face(vertices=np.array(top), material_idx=0),
        ]
        for k in range(4):
            a, b = corners[k], corners[(k + 1) % 4]
            side = [
                (a[0], a[1], 0.0),
                (b[0], b[1], 0.0),
                (b[0], b[1], height),
                (a[0], a[1], height),
            ]
            faces.append(Face(vertices=np.array(side), material_idx=0))
        scene.add_object(
            PhysicalElement(
                faces=faces, name=f"block_{object_id}", object_id=object_id, label="buildings"
            )
        )
    with contextlib.redirect_stdout(io.StringIO()):
        return dict(scene.export_data(str(folder)))


def _txrx_set(set_id: int, name: str, *, is_tx: bool, num_points: int) -> dict[str, Any]:
    return {
        "name": name,
        "id_orig": set_id,
        "id": set_id,
        "is_tx": is_tx,
        "is_rx": not is_tx,
        "num_points": num_points,
        "num_active_points": num_points,
        "num_ant": 1,
        "dual_pol": False,
        "ant_rel_positions": [[0, 0, 0]],
        "array_orientation": [0, 0, 0],
        "grid_spacing": None if is_tx else o1_layout.GRID_SPACING_M,
    }


def itu_materials(frequency_hz: float) -> dict[str, Any]:
    """Return the ``materials`` block of ``params.json``: the facade and ground materials.

    Permittivity and conductivity at ``frequency_hz`` from ITU-R P.2040-3 Table 3.
    """
    import_deepmimo()
    from deepmimo.core.materials import Material

    from wmoe.phy.propagation import ITU_MATERIALS

    materials = {}
    for mat_id, name in enumerate((FACADE_MATERIAL, GROUND_MATERIAL)):
        a, b, c, d = ITU_MATERIALS[name]
        f_ghz = frequency_hz / 1e9
        materials[f"material_{mat_id}"] = asdict(
            Material(id=mat_id, name=name, permittivity=a * f_ghz**b, conductivity=c * f_ghz**d)
        )
    return materials


def _params(config: ScenarioConfig, layout: _Layout, scene: dict[str, Any]) -> dict[str, Any]:
    deepmimo_version = import_deepmimo().__version__
    materials = itu_materials(config.frequency_hz)
    return {
        "version": deepmimo_version,
        "rt_params": {
            "raytracer_name": RAYTRACER_NAME,
            "raytracer_version": "wmoe-0.1",
            "frequency": config.frequency_hz,
            "max_path_depth": config.max_wall_order + 1,
            "max_reflections": config.max_wall_order + 1,
            "max_diffractions": 0,
            "max_scattering": 0,
            "max_transmissions": 0,
            "terrain_reflection": True,
            "synthetic_array": True,
        },
        "txrx_sets": {
            "txrx_set_0": _txrx_set(
                0, "BS ports slant +45 deg", is_tx=True, num_points=o1_layout.NUM_BS
            ),
            "txrx_set_1": _txrx_set(
                1, "BS ports slant -45 deg", is_tx=True, num_points=o1_layout.NUM_BS
            ),
            **{
                f"txrx_set_{rx_set}": _txrx_set(
                    rx_set, name, is_tx=False, num_points=len(positions)
                )
                for rx_set, name, positions in layout.user_sets
            },
        },
        "materials": materials,
        "scene": {**scene, "num_scenes": 1},
        "wmoe": {
            "synthetic": True,
            "description": layout.description,
            "generator": asdict(config),
            "bs_polarization_tx_sets": list(POLARIZATION_TX_SETS),
            "bs_facing_azimuth_deg": layout.facing_azimuth_deg.tolist(),
            "max_interactions": max(MAX_INTERACTIONS, config.max_wall_order + 1),
        },
    }

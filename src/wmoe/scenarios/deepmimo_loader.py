"""Load a DeepMIMO v4 scenario with the ``deepmimo`` package and stack per-BS uplink channels.

This is the one path every scenario takes, real or synthetic: ``dm.load`` reads the folder and
``Dataset.compute_channels`` generates each BS's narrowband channel with the case study's
arrays (survey Sec. V-A): a cross-polarised uniform planar array at every BS and a
single-polarised uniform linear array at the UE.

Polarisation. A scenario written by :mod:`wmoe.scenarios.synthetic_o1` carries each BS twice,
once per slanted port (``params.json['wmoe']['bs_polarization_tx_sets']``); the two port
channels are stacked. A single-polarised ray-traced scenario such as DeepMIMO's O1 (vertical
antennas in the ray tracer) carries no depolarisation: there each slanted port receives the
projection of the vertical field, ``H_{+-45} = H_V cos(45 deg)``, so the two ports are fully
correlated — the honest reading of such data.

Uplink channels come from DeepMIMO's BS-to-UE channels by reciprocity (transpose).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

CHANNEL_MATRICES = (
    "power",
    "phase",
    "delay",
    "aoa_az",
    "aoa_el",
    "aod_az",
    "aod_el",
    "rx_pos",
    "tx_pos",
    "inter",
)
REAL_O1_HINT = (
    "To use DeepMIMO's ray-traced O1, download the v4 scenario 'o1_3p5' on a machine with "
    "internet access (python -c \"import deepmimo as dm; dm.download('o1_3p5')\") and copy "
    "its folder into the scenarios folder. For the built-in synthetic O1-like scenario run "
    "`wmoe scenario generate --scenarios-dir <folder>`."
)


class ScenarioNotFoundError(FileNotFoundError):
    """A DeepMIMO scenario folder (or its params.json) is missing."""


@dataclass(frozen=True)
class ArrayConfig:
    """Antenna arrays of the case study.

    Attributes:
        bs_panel: (horizontal, vertical) elements of each polarisation of the BS UPA.
        ue_antennas: Elements of the UE's single-polarised ULA.
        spacing_wavelengths: Element spacing of both arrays [wavelengths].
    The channel is narrowband, at the carrier: DeepMIMO's time-domain generation gives each
    path's MIMO gain ``sqrt(P) exp(j phase)`` times the array responses, and their sum over paths
    is the frequency response at the carrier. (DeepMIMO's OFDM mode would split the power over
    subcarriers and drop paths longer than the FFT window.)
    """

    bs_panel: tuple[int, int] = (2, 2)
    ue_antennas: int = 4
    spacing_wavelengths: float = 0.5

    @property
    def bs_ports(self) -> int:
        """Receive ports of one BS: both polarisations of the panel."""
        return 2 * self.bs_panel[0] * self.bs_panel[1]


@dataclass(frozen=True)
class ScenarioInfo:
    """What the loader reads from ``params.json`` before touching any matrix.

    Attributes:
        folder: The scenario folder.
        name: Scenario name (folder name).
        bs_tx_sets: For each polarisation port, the DeepMIMO TX set ids holding the BSs.
        num_bs: Number of base stations.
        user_rx_set: The RX set holding the users.
        num_users: Users in that set.
        frequency_hz: Carrier frequency [Hz].
        bs_facing_azimuth_deg: Azimuth of each BS panel's broadside [deg].
        synthetic: Whether wmoe's synthetic generator wrote the scenario.
    """

    folder: Path
    name: str
    bs_tx_sets: tuple[tuple[int, ...], ...]
    num_bs: int
    user_rx_set: int
    num_users: int
    frequency_hz: float
    bs_facing_azimuth_deg: tuple[float, ...]
    synthetic: bool


def read_scenario_info(folder: Path | str) -> ScenarioInfo:
    """Read a DeepMIMO v4 scenario's ``params.json``, checking that the folder exists first.

    Args:
        folder: The scenario folder (``<scenarios folder>/<scenario name>``).

    Raises:
        ScenarioNotFoundError: If the folder or its params.json is missing; the message names
            the path and how to get the data.
    """
    folder = Path(folder).expanduser().resolve()
    params_path = folder / "params.json"
    if not folder.is_dir():
        raise ScenarioNotFoundError(
            f"DeepMIMO scenario folder {folder} does not exist. {REAL_O1_HINT}"
        )
    if not params_path.is_file():
        raise ScenarioNotFoundError(
            f"{params_path} is missing: {folder} is not a DeepMIMO v4 scenario folder. "
            f"{REAL_O1_HINT}"
        )
    params = json.loads(params_path.read_text())
    txrx = params["txrx_sets"]
    tx_sets = sorted(s["id"] for s in txrx.values() if s["is_tx"])
    rx_sets = sorted(s["id"] for s in txrx.values() if s["is_rx"] and not s["is_tx"])
    if not tx_sets or not rx_sets:
        raise ValueError(f"{params_path} must define at least one TX set and one RX-only set")
    by_id = {s["id"]: s for s in txrx.values()}
    extra = params.get("wmoe", {})
    polarization_sets = extra.get("bs_polarization_tx_sets")
    if polarization_sets:
        bs_tx_sets: tuple[tuple[int, ...], ...] = tuple((int(s),) for s in polarization_sets)
    else:
        bs_tx_sets = (tuple(tx_sets),)
    num_bs = sum(by_id[s]["num_points"] for s in bs_tx_sets[0])
    facing = tuple(float(a) for a in extra.get("bs_facing_azimuth_deg", [0.0] * num_bs))
    return ScenarioInfo(
        folder=folder,
        name=folder.name,
        bs_tx_sets=bs_tx_sets,
        num_bs=num_bs,
        user_rx_set=rx_sets[0],
        num_users=int(by_id[rx_sets[0]]["num_points"]),
        frequency_hz=float(params["rt_params"]["frequency"]),
        bs_facing_azimuth_deg=facing,
        synthetic=bool(extra.get("synthetic", False)),
    )


def import_deepmimo() -> Any:
    """Import ``deepmimo`` without the banner it prints on import."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import deepmimo
    return deepmimo


def _quietly() -> contextlib.ExitStack:
    """Silence DeepMIMO's progress prints and bars."""
    stack = contextlib.ExitStack()
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
    return stack


def _load_dataset(info: ScenarioInfo, tx_set: int, users: NDArray[np.int64] | None) -> Any:
    """Call ``dm.load`` on one TX set, pointing DeepMIMO's scenarios folder at ours."""
    dm = import_deepmimo()

    previous = dm.config.get("scenarios_folder")
    rx_indices: Any = "all" if users is None else users.tolist()
    try:
        dm.config.set("scenarios_folder", str(info.folder.parent))
        with _quietly():
            return dm.load(
                info.name,
                tx_sets=[tx_set],
                rx_sets={info.user_rx_set: rx_indices},
                matrices=list(CHANNEL_MATRICES),
            )
    finally:
        dm.config.set("scenarios_folder", previous)


def _datasets(loaded: Any) -> list[Any]:
    return list(loaded.datasets) if hasattr(loaded, "datasets") else [loaded]


def channel_parameters(arrays: ArrayConfig, facing_azimuth_deg: float) -> Any:
    """Return DeepMIMO channel parameters for one BS whose panel faces ``facing_azimuth_deg``."""
    return import_deepmimo().ChannelParameters(
        bs_antenna={
            "shape": np.array(arrays.bs_panel),
            "spacing": arrays.spacing_wavelengths,
            "rotation": np.array([0.0, 0.0, facing_azimuth_deg]),
        },
        ue_antenna={
            "shape": np.array([arrays.ue_antennas, 1]),
            "spacing": arrays.spacing_wavelengths,
            "rotation": np.array([0.0, 0.0, 0.0]),
        },
        freq_domain=False,
    )


class DeepMIMOUplink:
    """Uplink channels of every BS of a DeepMIMO v4 scenario, generated by ``deepmimo``.

    Args:
        folder: The scenario folder (``<scenarios folder>/<scenario name>``).
        arrays: Antenna arrays and narrowband settings.
        users: Indices of the users to load (all users when None).

    Raises:
        ScenarioNotFoundError: If the folder is missing (checked before ``dm.load``).
    """

    def __init__(
        self, folder: Path | str, arrays: ArrayConfig, users: Sequence[int] | None = None
    ) -> None:
        self.info = read_scenario_info(folder)
        self.arrays = arrays
        user_index = None if users is None else np.asarray(users, dtype=np.int64)
        self._per_port: list[list[Any]] = [
            [d for s in port_sets for d in _datasets(_load_dataset(self.info, s, user_index))]
            for port_sets in self.info.bs_tx_sets
        ]
        if len(self._per_port[0]) != self.info.num_bs:
            raise ValueError(
                f"{self.info.folder}: expected {self.info.num_bs} BS datasets, "
                f"dm.load returned {len(self._per_port[0])}"
            )

    @property
    def user_positions(self) -> NDArray[np.float64]:
        """(n_users, 3) user positions [m]."""
        return np.asarray(self._per_port[0][0].rx_pos, dtype=np.float64)

    @property
    def bs_positions(self) -> NDArray[np.float64]:
        """(num_bs, 3) BS positions [m]."""
        return np.concatenate(
            [np.asarray(d.tx_pos, dtype=np.float64).reshape(1, 3) for d in self._per_port[0]]
        )

    def bs_channels(self, bs: int) -> NDArray[np.complex64]:
        """Return BS ``bs``'s uplink channels (n_users, bs_ports, ue_antennas).

        Ports are ordered polarisation-major: all +45 degree elements, then all -45 degree ones
        (DeepMIMO's element order inside each).
        """
        params = channel_parameters(self.arrays, self.info.bs_facing_azimuth_deg[bs])
        port_channels = []
        for datasets in self._per_port:
            with _quietly():
                per_path = datasets[bs].compute_channels(params)  # (n, ue_ant, bs_ant, paths)
            downlink = per_path.sum(axis=-1)
            port_channels.append(np.swapaxes(downlink, 1, 2))
        if len(port_channels) == 1:
            port_channels = [port_channels[0] * np.cos(np.pi / 4)] * 2
        return np.concatenate(port_channels, axis=1).astype(np.complex64)

"""Load a DeepMIMO v4 scenario with the ``deepmimo`` package and stack per-BS uplink channels.

This is the one path every scenario takes, real or synthetic: ``dm.load`` reads the folder and
``Dataset.compute_channels`` generates each BS's narrowband channel with the case study's
arrays (survey Sec. V-A): a cross-polarised uniform planar array at every BS and a
single-polarised uniform linear array at the UE.

Layouts. Two ways of storing base stations are read:

* DeepMIMO's own (e.g. ``o1_3p5``): every TX set holds BSs, one BS per TX point, in TX-set id
  order (O1: 18 one-point TX sets, ids 3-20, which are also RX sets for the BS-to-BS links).
* wmoe's synthetic scenario: ``params.json['wmoe']['bs_polarization_tx_sets']`` names one TX
  set per slanted port, each holding every BS in the same order.

Users are every RX set that is not also a TX set (O1: the grids UG1-UG3, RX sets 0-2), merged
in RX-set id order; :class:`UserSubset` keeps some grids or every k-th user. A BS's position
is its ``tx_pos`` matrix.

Polarisation. The synthetic scenario's two port channels are stacked. A single-polarised
ray-traced scenario such as DeepMIMO's O1 (vertical antennas in the ray tracer) carries no
depolarisation: there each slanted port receives the projection of the vertical field,
``H_{+-45} = H_V cos(45 deg)``, so the two ports are fully correlated — the honest reading of
such data.

Memory. Nothing is loaded for all BSs at once: :meth:`DeepMIMOUplink.iter_bs_channels` loads one
BS's paths for one user grid (``dm.load``) and generates its channels in chunks of
``chunk_users`` users, so the working set is one grid's paths of one BS plus one chunk's
channels.

Uplink channels come from DeepMIMO's BS-to-UE channels by reciprocity (transpose).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.phy.wideband import frequency_response

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
# DeepMIMO's load_mat reads the first of these that exists (deepmimo.utils.io.load_mat).
MATRIX_EXTENSIONS = (".mat", ".npz", ".npy")
# Users per channel-generation call: bounds its working set (DeepMIMO's compute_channels
# needs about 40 kB per user for a 2x2 panel, 4 UE antennas and 25 paths: ~330 MB a call).
DEFAULT_CHUNK_USERS = 8_192
# Tolerance when checking that a BS's file holds the same positions as the grid's first BS [m].
POSITION_TOLERANCE_M = 1e-3
REAL_O1_HINT = (
    "To use DeepMIMO's ray-traced O1, download the v4 scenario 'o1_3p5' on a machine with "
    "internet access (python -c \"import deepmimo as dm; dm.download('o1_3p5')\") and copy "
    "its folder into the scenarios folder. For the built-in synthetic O1-like scenario run "
    "`wmoe scenario generate --scenarios-dir <folder>`."
)
EXPECTED_LAYOUT = (
    "Expected a DeepMIMO v4 scenario: params.json with 'rt_params.frequency' and 'txrx_sets' "
    "entries 'txrx_set_<id>' (fields id, is_tx, is_rx, num_points), at least one TX set (the "
    "BSs), at least one RX set that is not a TX set (the users), and for every BS and user set "
    "the matrices <name>_t<tx set:03>_tx<tx index:03>_r<rx set:03>.npz for "
    f"{', '.join(CHANNEL_MATRICES)}."
)


WMOE_TRACER = "wmoe image-method tracer"
"""``ScenarioInfo.tracer`` of a synthetic scenario that names no tracer."""


class UserSubsetError(ValueError):
    """A user subset names grids the scenario does not have, or a stride below 1."""


class ScenarioNotFoundError(FileNotFoundError):
    """A DeepMIMO scenario folder (or its params.json) is missing."""


class ScenarioFormatError(ValueError):
    """A DeepMIMO scenario folder exists but does not hold the expected layout."""


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
    subcarriers and drop paths longer than the FFT window.) At other frequencies (sub-bands,
    :meth:`DeepMIMOUplink.iter_bs_channels` with ``offsets_hz``) the same path gains are summed
    with each path's delay phase, so the carrier normalisation is kept.
    """

    bs_panel: tuple[int, int] = (2, 2)
    ue_antennas: int = 4
    spacing_wavelengths: float = 0.5

    @property
    def bs_ports(self) -> int:
        """Receive ports of one BS: both polarisations of the panel."""
        return 2 * self.bs_panel[0] * self.bs_panel[1]


TxPoint = tuple[int, int]
"""A DeepMIMO transmitter: (TX set id, index inside the set)."""


@dataclass(frozen=True)
class ScenarioInfo:
    """What the loader reads from ``params.json`` (and the file list) before loading paths.

    Attributes:
        folder: The scenario folder.
        name: Scenario name (folder name).
        bs_ports: For each polarisation port, the transmitter of every BS, in BS order.
        user_sets: RX set ids of the user grids (RX sets that are not TX sets), ascending.
        users_per_set: Users (points) of each user set.
        frequency_hz: Carrier frequency [Hz].
        bs_facing_azimuth_deg: Azimuth of each BS panel's broadside [deg].
        synthetic: Whether wmoe's synthetic generator wrote the scenario.
        tracer: The ray tracer that made a synthetic scenario (``params.json``'s
            ``wmoe.tracer``; wmoe's own image-method tracer when the folder names none).
    """

    folder: Path
    name: str
    bs_ports: tuple[tuple[TxPoint, ...], ...]
    user_sets: tuple[int, ...]
    users_per_set: tuple[int, ...]
    frequency_hz: float
    bs_facing_azimuth_deg: tuple[float, ...]
    synthetic: bool
    tracer: str = WMOE_TRACER

    @property
    def num_bs(self) -> int:
        """Number of base stations."""
        return len(self.bs_ports[0])

    @property
    def num_users(self) -> int:
        """Users of all user sets together."""
        return sum(self.users_per_set)

    @property
    def user_offsets(self) -> NDArray[np.int64]:
        """Index of each user set's first user in the merged user order (plus the total)."""
        return np.concatenate([[0], np.cumsum(self.users_per_set)]).astype(np.int64)


@dataclass(frozen=True)
class UserSubset:
    """Which users of a scenario to keep.

    Attributes:
        grids: RX set ids of the user grids to keep (O1: 0, 1, 2 for UG1-UG3); None keeps all.
        stride: Keep every ``stride``-th user of each kept grid, in the grid's own order
            (O1 orders users row by row, so a stride coprime with the row length spreads the
            kept users over the grid).
    """

    grids: tuple[int, ...] | None = None
    stride: int = 1

    def indices(self, info: ScenarioInfo) -> NDArray[np.int64]:
        """Return the kept users as indices into ``info``'s merged user order.

        Raises:
            UserSubsetError: If ``stride`` is below 1, a grid is not one of the scenario's
                user sets, or a grid is named twice.
        """
        if self.stride < 1:
            raise UserSubsetError(f"user stride must be >= 1, got {self.stride}")
        grids = info.user_sets if self.grids is None else self.grids
        unknown = sorted(set(grids) - set(info.user_sets))
        if unknown or len(set(grids)) != len(grids):
            raise UserSubsetError(
                f"user grids {list(grids)} must be distinct user RX sets of {info.folder}; "
                f"its user sets are {list(info.user_sets)} (unknown: {unknown}); pick grids "
                "among those, or null for all"
            )
        offsets = info.user_offsets
        kept = []
        for grid in sorted(grids):
            position = info.user_sets.index(grid)
            kept.append(np.arange(offsets[position], offsets[position + 1], self.stride))
        return np.concatenate(kept).astype(np.int64)


def read_scenario_info(folder: Path | str) -> ScenarioInfo:
    """Read a DeepMIMO v4 scenario's ``params.json`` and check that its matrix files exist.

    Args:
        folder: The scenario folder (``<scenarios folder>/<scenario name>``).

    Raises:
        ScenarioNotFoundError: If the folder or its params.json is missing; the message names
            the path and how to get the data.
        ScenarioFormatError: If params.json is not a DeepMIMO v4 description of BSs and users,
            or a matrix file of a (BS, user set) pair is missing; the message names what was
            expected.
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
    try:
        params = json.loads(params_path.read_text())
        sets = _txrx_sets(params["txrx_sets"], params_path)
        frequency_hz = float(params["rt_params"]["frequency"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        if isinstance(error, ScenarioFormatError):
            raise
        raise ScenarioFormatError(
            f"{params_path} is malformed ({type(error).__name__}: {error}). {EXPECTED_LAYOUT}"
        ) from error
    tx_sets = [s for s in sets if s["is_tx"]]
    user_sets = [s for s in sets if s["is_rx"] and not s["is_tx"]]
    if not tx_sets or not user_sets:
        raise ScenarioFormatError(
            f"{params_path} has TX sets {[s['id'] for s in tx_sets]} and user RX sets "
            f"{[s['id'] for s in user_sets]}; at least one of each is needed. {EXPECTED_LAYOUT}"
        )
    extra = params.get("wmoe", {})
    bs_ports = _bs_ports(tx_sets, extra.get("bs_polarization_tx_sets"), params_path)
    num_bs = len(bs_ports[0])
    facing = tuple(float(a) for a in extra.get("bs_facing_azimuth_deg", [0.0] * num_bs))
    if len(facing) != num_bs:
        raise ScenarioFormatError(
            f"{params_path}: 'wmoe.bs_facing_azimuth_deg' has {len(facing)} entries for "
            f"{num_bs} BSs; give one azimuth per BS"
        )
    info = ScenarioInfo(
        folder=folder,
        name=folder.name,
        bs_ports=bs_ports,
        user_sets=tuple(int(s["id"]) for s in user_sets),
        users_per_set=tuple(int(s["num_points"]) for s in user_sets),
        frequency_hz=frequency_hz,
        bs_facing_azimuth_deg=facing,
        synthetic=bool(extra.get("synthetic", False)),
        tracer=str(extra.get("tracer", WMOE_TRACER)),
    )
    _check_matrix_files(info)
    return info


def _txrx_sets(txrx: dict[str, Any], params_path: Path) -> list[dict[str, Any]]:
    """Return the TX/RX sets sorted by id, checking each entry's key, id and fields."""
    sets = []
    for key, entry in txrx.items():
        missing = [f for f in ("id", "is_tx", "is_rx", "num_points") if f not in entry]
        if missing:
            raise ScenarioFormatError(
                f"{params_path}: txrx_sets['{key}'] lacks {missing}. {EXPECTED_LAYOUT}"
            )
        if key != f"txrx_set_{entry['id']}":
            raise ScenarioFormatError(
                f"{params_path}: txrx_sets['{key}'] has id {entry['id']}; DeepMIMO finds a set "
                f"by the key 'txrx_set_<id>', so the key must be 'txrx_set_{entry['id']}'"
            )
        if int(entry["num_points"]) < 1:
            raise ScenarioFormatError(
                f"{params_path}: txrx_sets['{key}'] has num_points={entry['num_points']}; "
                "a set needs at least one point"
            )
        sets.append(entry)
    return sorted(sets, key=lambda s: int(s["id"]))


def _bs_ports(
    tx_sets: list[dict[str, Any]], polarization_sets: list[int] | None, params_path: Path
) -> tuple[tuple[TxPoint, ...], ...]:
    """Return each port's transmitters: one per BS (see the module docstring's layouts)."""
    by_id = {int(s["id"]): s for s in tx_sets}
    if not polarization_sets:
        return (tuple((int(s["id"]), i) for s in tx_sets for i in range(int(s["num_points"]))),)
    unknown = [s for s in polarization_sets if int(s) not in by_id]
    sizes = {int(by_id[int(s)]["num_points"]) for s in polarization_sets if int(s) in by_id}
    if unknown or len(sizes) != 1:
        raise ScenarioFormatError(
            f"{params_path}: 'wmoe.bs_polarization_tx_sets' {polarization_sets} must name TX "
            f"sets (available: {sorted(by_id)}) holding the same number of BSs "
            f"(got sizes {sorted(sizes)})"
        )
    return tuple(
        tuple((int(s), i) for i in range(int(by_id[int(s)]["num_points"])))
        for s in polarization_sets
    )


def matrix_path(folder: Path, key: str, tx: TxPoint, rx_set: int) -> Path | None:
    """Return the file DeepMIMO reads for ``key`` of transmitter ``tx`` and RX set, if any."""
    stem = f"{key}_t{tx[0]:03}_tx{tx[1]:03}_r{rx_set:03}"
    for extension in MATRIX_EXTENSIONS:
        path = folder / f"{stem}{extension}"
        if path.is_file():
            return path
    return None


def _check_matrix_files(info: ScenarioInfo) -> None:
    """Raise if a matrix of any (BS port, user set) pair is missing (DeepMIMO would skip it)."""
    missing = [
        f"{key}_t{tx[0]:03}_tx{tx[1]:03}_r{rx_set:03}.npz"
        for port in info.bs_ports
        for tx in port
        for rx_set in info.user_sets
        for key in CHANNEL_MATRICES
        if matrix_path(info.folder, key, tx, rx_set) is None
    ]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise ScenarioFormatError(
            f"{info.folder} lacks {len(missing)} matrix files of its BS/user-set pairs: {shown}. "
            f"{EXPECTED_LAYOUT}"
        )


def _read_matrix(info: ScenarioInfo, key: str, tx: TxPoint, rx_set: int) -> NDArray[Any]:
    path = matrix_path(info.folder, key, tx, rx_set)
    if path is None:  # checked by read_scenario_info; the folder changed since
        raise ScenarioFormatError(
            f"{info.folder}: the {key} matrix of {tx}, RX set {rx_set} vanished"
        )
    load_mat = import_deepmimo().utils.load_mat
    return np.asarray(load_mat(str(path), key))


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


def _load_dataset(info: ScenarioInfo, tx: TxPoint, rx_set: int, users: NDArray[np.int64]) -> Any:
    """Call ``dm.load`` on one transmitter and one user set, pointing DeepMIMO at our folder.

    Asking for one transmitter and one RX set makes ``dm.load`` return a single ``Dataset``.
    """
    dm = import_deepmimo()
    previous = dm.config.get("scenarios_folder")
    try:
        dm.config.set("scenarios_folder", str(info.folder.parent))
        with _quietly():
            return dm.load(
                info.name,
                tx_sets={tx[0]: [tx[1]]},
                rx_sets={rx_set: users.tolist()},
                matrices=list(CHANNEL_MATRICES),
            )
    except (IndexError, ValueError) as error:
        raise ScenarioFormatError(
            f"{info.folder}: dm.load failed on TX set {tx[0]} index {tx[1]} with RX set "
            f"{rx_set} ({type(error).__name__}: {error}); every matrix must have one row per "
            f"point of RX set {rx_set}. {EXPECTED_LAYOUT}"
        ) from error
    finally:
        dm.config.set("scenarios_folder", previous)


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

    Positions are read (and the layout checked) on construction; paths are loaded one BS at a
    time when its channels are asked for.

    Args:
        folder: The scenario folder (``<scenarios folder>/<scenario name>``).
        arrays: Antenna arrays and narrowband settings.
        users: Indices of the users to load, into the merged order of all user sets (all users
            when None); see :meth:`UserSubset.indices`.
        chunk_users: Users per channel-generation call.

    Raises:
        ScenarioNotFoundError: If the folder is missing (checked before ``dm.load``).
        ScenarioFormatError: If the folder's layout is not what DeepMIMO v4 describes, a user
            set's positions do not have one row per point, or two BSs share a ``tx_pos``.
        IndexError: If a user index is outside the scenario.
    """

    def __init__(
        self,
        folder: Path | str,
        arrays: ArrayConfig,
        users: Sequence[int] | NDArray[np.int64] | None = None,
        chunk_users: int = DEFAULT_CHUNK_USERS,
    ) -> None:
        self.info = read_scenario_info(folder)
        self.arrays = arrays
        if chunk_users < 1:
            raise ValueError(f"chunk_users must be >= 1, got {chunk_users}")
        self.chunk_users = chunk_users
        total = self.info.num_users
        index = np.arange(total) if users is None else np.asarray(users, dtype=np.int64)
        if index.ndim != 1 or (index.size and (index.min() < 0 or index.max() >= total)):
            raise IndexError(
                f"user indices must be a 1-D sequence in [0, {total}) for {self.info.folder}, "
                f"got shape {index.shape} with range [{index.min(initial=0)}, "
                f"{index.max(initial=0)}]"
            )
        self._users = index
        self._grid_positions = [self._read_grid_positions(s) for s in self.info.user_sets]
        self.bs_positions = self._read_bs_positions()
        self.user_positions = np.concatenate(self._grid_positions)[index]

    def _read_grid_positions(self, rx_set: int) -> NDArray[np.float64]:
        points = self.info.users_per_set[self.info.user_sets.index(rx_set)]
        positions = _read_matrix(self.info, "rx_pos", self.info.bs_ports[0][0], rx_set)
        if positions.shape != (points, 3):
            raise ScenarioFormatError(
                f"{self.info.folder}: rx_pos of RX set {rx_set} has shape {positions.shape}; "
                f"params.json gives the set {points} points, so (points, 3) = ({points}, 3) "
                "was expected"
            )
        return positions.astype(np.float64)

    def _read_bs_positions(self) -> NDArray[np.float64]:
        """(num_bs, 3) BS positions [m] from ``tx_pos``; every port of a BS must agree."""
        rx_set = self.info.user_sets[0]
        per_port = []
        for port in self.info.bs_ports:
            rows = []
            for tx in port:
                position = _read_matrix(self.info, "tx_pos", tx, rx_set).astype(np.float64)
                if position.size != 3:
                    raise ScenarioFormatError(
                        f"{self.info.folder}: tx_pos of TX set {tx[0]} index {tx[1]} has shape "
                        f"{position.shape}; one (x, y, z) position was expected"
                    )
                rows.append(position.reshape(3))
            per_port.append(np.stack(rows))
        positions = per_port[0]
        for port, other in zip(self.info.bs_ports[1:], per_port[1:], strict=True):
            if not np.allclose(other, positions, atol=POSITION_TOLERANCE_M):
                raise ScenarioFormatError(
                    f"{self.info.folder}: the TX sets of the polarisation ports place the BSs "
                    f"differently (port TX sets {sorted({tx[0] for tx in port})}); each port "
                    "must list the same BSs in the same order"
                )
        distinct = np.unique(np.round(positions / POSITION_TOLERANCE_M), axis=0)
        if len(distinct) != len(positions):
            raise ScenarioFormatError(
                f"{self.info.folder}: two transmitters share a tx_pos; each TX point must be a "
                "distinct BS (a BS's second polarisation belongs in "
                "params.json['wmoe']['bs_polarization_tx_sets'])"
            )
        return positions

    def iter_bs_channels(
        self, bs: int, offsets_hz: NDArray[np.float64] | None = None
    ) -> Iterator[tuple[NDArray[np.int64], NDArray[np.complex64]]]:
        """Yield BS ``bs``'s uplink channels chunk by chunk.

        Args:
            bs: The BS.
            offsets_hz: Frequency offsets from the carrier [Hz] (e.g. sub-band centres,
                :func:`~wmoe.phy.wideband.subband_offsets_hz`) at which to evaluate the
                channel from its paths' gains and delays
                (:func:`~wmoe.phy.wideband.frequency_response`); None: at the carrier.

        Yields:
            ``(rows, h)``: the chunk's rows in :attr:`user_positions` order and its channels
            (len(rows), bs_ports, ue_antennas), or (len(rows), S, bs_ports, ue_antennas) at
            ``S`` offsets. Ports are ordered polarisation-major: all +45 degree elements, then
            all -45 degree ones (DeepMIMO's element order inside each).
        """
        params = channel_parameters(self.arrays, self.info.bs_facing_azimuth_deg[bs])
        offsets = self.info.user_offsets
        for position, rx_set in enumerate(self.info.user_sets):
            in_set = (self._users >= offsets[position]) & (self._users < offsets[position + 1])
            rows = np.flatnonzero(in_set)
            if rows.size == 0:
                continue
            local = self._users[rows] - offsets[position]
            datasets = [
                _load_dataset(self.info, port[bs], rx_set, local) for port in self.info.bs_ports
            ]
            self._check_loaded(datasets, bs, rx_set, local)
            for start in range(0, rows.size, self.chunk_users):
                chunk = slice(start, start + self.chunk_users)
                if rows.size <= self.chunk_users:
                    parts = datasets
                else:
                    parts = [d.trim(idxs=np.arange(rows.size)[chunk]) for d in datasets]
                yield rows[chunk], self._uplink(parts, params, offsets_hz)
                del parts  # free this chunk's channel caches before the next chunk's

    def _check_loaded(
        self, datasets: list[Any], bs: int, rx_set: int, local: NDArray[np.int64]
    ) -> None:
        grid = self._grid_positions[self.info.user_sets.index(rx_set)][local]
        for port, dataset in zip(self.info.bs_ports, datasets, strict=True):
            tx = port[bs]
            rx_pos = np.asarray(dataset.rx_pos, dtype=np.float64)
            tx_pos = np.asarray(dataset.tx_pos, dtype=np.float64).reshape(-1)
            if rx_pos.shape != grid.shape or not np.allclose(
                rx_pos, grid, atol=POSITION_TOLERANCE_M
            ):
                raise ScenarioFormatError(
                    f"{self.info.folder}: rx_pos of TX set {tx[0]} index {tx[1]} and RX set "
                    f"{rx_set} differs from the set's positions in the files of the first BS; "
                    "every BS's files of a user set must list the same users in the same order"
                )
            if not np.allclose(tx_pos, self.bs_positions[bs], atol=POSITION_TOLERANCE_M):
                raise ScenarioFormatError(
                    f"{self.info.folder}: tx_pos of TX set {tx[0]} index {tx[1]} with RX set "
                    f"{rx_set} is {tx_pos.tolist()}, but BS {bs} is at "
                    f"{self.bs_positions[bs].tolist()}; a BS must have one position"
                )

    @staticmethod
    def _uplink(
        datasets: list[Any], params: Any, offsets_hz: NDArray[np.float64] | None
    ) -> NDArray[np.complex64]:
        port_channels = []
        for dataset in datasets:
            with _quietly():
                per_path = dataset.compute_channels(params)  # (n, ue_ant, bs_ant, paths)
            if offsets_hz is None:
                port_channels.append(np.swapaxes(per_path.sum(axis=-1), 1, 2))
            else:
                delay_s = np.asarray(dataset.delay)[:, : per_path.shape[-1]]
                response = frequency_response(per_path, delay_s, offsets_hz)  # (n, S, ue, bs)
                port_channels.append(np.swapaxes(response, -1, -2))
        if len(port_channels) == 1:
            port_channels = [port_channels[0] * np.cos(np.pi / 4)] * 2
        return np.concatenate(port_channels, axis=-2).astype(np.complex64)

    def bs_channels(self, bs: int) -> NDArray[np.complex64]:
        """Return BS ``bs``'s uplink channels (n_users, bs_ports, ue_antennas) for all users.

        Ports are ordered as in :meth:`iter_bs_channels`. This holds every user's channels at
        once; :meth:`iter_bs_channels` keeps memory bounded.
        """
        out = np.empty(
            (len(self._users), self.arrays.bs_ports, self.arrays.ue_antennas), dtype=np.complex64
        )
        for rows, h in self.iter_bs_channels(bs):
            out[rows] = h
        return out

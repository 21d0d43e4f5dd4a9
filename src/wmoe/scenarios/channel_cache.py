"""On-disk cache of per-user, per-BS uplink Gram matrices (atomic writes, corruption checks).

Generating channels with ``deepmimo`` for tens of thousands of users takes a while; the
reception environment only needs each BS's Gram matrix ``H_b^H H_b`` per user (the receiver
combines cooperating BSs by summing them), so that is what is cached.

Wideband. With :class:`Subbands` of ``S > 1`` the Grams are cached per sub-band (the channel
at each sub-band's centre frequency, :func:`~wmoe.phy.wideband.frequency_response`), with a
sub-band axis after the BS axis; ``S = 1`` is the channel at the carrier, with the cache key and
array layout of before.

Coloured interference. Given interfering users (rows of the kept users), the cache also holds
what :func:`~wmoe.phy.interference.whitened_gram` needs per BS and sub-band: each interferer
sends one layer on the dominant eigenvector of its (sub-band summed) Gram at its serving BS,
the BS with the largest mean gain, giving its channel ``g_{b,i} = H_{b,i} v_i`` at every BS;
the cache stores ``H_b^H G_b`` per (user, BS, sub-band) and ``G_b^H G_b`` per (BS, sub-band).

Memory. The Gram array (users x BSs x UE antennas^2 complex64: 2.7 GB for all 1.18 M users of
DeepMIMO's O1 with 4 UE antennas) is allocated once and filled one BS and one chunk of users at
a time (:meth:`~wmoe.scenarios.deepmimo_loader.DeepMIMOUplink.iter_bs_channels`), so the
channels of all users are never held at once; checksums hash the arrays in place.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from wmoe.paths import atomic_write
from wmoe.phy.wideband import subband_offsets_hz
from wmoe.scenarios.deepmimo_loader import (
    ArrayConfig,
    DeepMIMOUplink,
    ScenarioInfo,
    UserSubset,
    read_scenario_info,
)

CACHE_FORMAT_VERSION = 1
_ARRAY_KEYS = ("gram", "user_positions", "bs_positions")
_INTERFERER_KEYS = (
    "interferer_users",
    "interferer_serving_bs",
    "interferer_precoder",
    "interferer_cross",
    "interferer_gram",
)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subbands:
    """The frequencies at which channels are generated: ``count`` sub-band centres.

    Attributes:
        count: Number of equal sub-bands ``S`` across the bandwidth; 1: the carrier only.
        bandwidth_hz: The carrier's bandwidth [Hz] (ignored with one sub-band).
    """

    count: int = 1
    bandwidth_hz: float = 100e6

    def offsets_hz(self) -> NDArray[np.float64] | None:
        """Sub-band centres relative to the carrier [Hz]; None for the carrier alone (S = 1)."""
        if self.count == 1:
            return None
        return subband_offsets_hz(self.bandwidth_hz, self.count)


@dataclass(frozen=True)
class InterfererChannels:
    """What the MMSE receiver needs of M interfering UEs, per BS and sub-band.

    Attributes:
        users: (M,) the interferers, as rows of the kept users.
        serving_bs: (M,) each interferer's serving BS (largest mean gain).
        precoder: (M, ue_antennas) unit-norm rank-1 precoder ``v_i`` of each interferer.
        cross: (n_users, num_bs, S, ue_antennas, M) ``H_b^H G_b`` with ``G_b``'s columns
            ``g_{b,i} = H_{b,i} v_i``.
        gram: (num_bs, S, M, M) ``G_b^H G_b``.
    """

    users: NDArray[np.int64]
    serving_bs: NDArray[np.int64]
    precoder: NDArray[np.complex128]
    cross: NDArray[np.complex64]
    gram: NDArray[np.complex128]


@dataclass(frozen=True)
class UplinkGrams:
    """Per-user, per-BS uplink Gram matrices of a scenario.

    Attributes:
        gram: ``H_b^H H_b`` (linear channel gain), (n_users, num_bs, ue_antennas, ue_antennas)
            at the carrier, or (n_users, num_bs, S, ue_antennas, ue_antennas) for ``S > 1``
            sub-bands.
        user_positions: (n_users, 3) [m].
        bs_positions: (num_bs, 3) [m].
        scenario: Scenario name.
        synthetic: Whether the scenario is wmoe's synthetic O1-like one.
        interferers: The interferers' channel terms, when asked for.
    """

    gram: NDArray[np.complex64]
    user_positions: NDArray[np.float64]
    bs_positions: NDArray[np.float64]
    scenario: str
    synthetic: bool
    interferers: InterfererChannels | None = None


def _scenario_fingerprint(
    info: ScenarioInfo,
    arrays: ArrayConfig,
    subset: UserSubset,
    subbands: Subbands,
    interferers: NDArray[np.int64] | None,
) -> str:
    folder = info.folder
    digest = hashlib.sha256()
    digest.update(f"v{CACHE_FORMAT_VERSION}".encode())
    digest.update(json.dumps(asdict(arrays), sort_keys=True).encode())
    digest.update((folder / "params.json").read_bytes())
    for path in sorted(folder.glob("*.npz")):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    # Loaders before multi-grid support cached the first user set only: a scenario with
    # several user sets gets a key of its own so such a cache is never read as all users.
    # (Single-set scenarios keep their key: their cached users are unchanged.)
    if len(info.user_sets) > 1:
        digest.update(f"user sets {list(info.user_sets)}".encode())
    if subset != UserSubset():
        digest.update(json.dumps(asdict(subset), sort_keys=True).encode())
    # Keys of before for narrowband caches without interferers (their files stay valid).
    if subbands.count > 1:
        digest.update(json.dumps(asdict(subbands), sort_keys=True).encode())
    if interferers is not None:
        digest.update(f"interferers {np.asarray(interferers).tolist()}".encode())
    return digest.hexdigest()


def _checksum(arrays: dict[str, NDArray[np.generic]]) -> str:
    digest = hashlib.sha256()
    for key in _ARRAY_KEYS + _INTERFERER_KEYS:
        if key in arrays:
            digest.update(np.ascontiguousarray(arrays[key]).data)  # in place, no copy
    return digest.hexdigest()


def cache_path(
    folder: Path | str,
    arrays: ArrayConfig,
    cache_dir: Path | str,
    subset: UserSubset | None = None,
    subbands: Subbands | None = None,
    interferers: NDArray[np.int64] | None = None,
) -> Path:
    """Return the cache file of a scenario folder, arrays, users, sub-bands and interferers."""
    info = read_scenario_info(folder)
    key = _scenario_fingerprint(
        info, arrays, subset or UserSubset(), subbands or Subbands(), interferers
    )[:20]
    return Path(cache_dir) / f"{info.name}-grams-{key}.npz"


def _interferer_terms(
    info: ScenarioInfo,
    arrays: ArrayConfig,
    scenario_users: NDArray[np.int64],
    offsets_hz: NDArray[np.float64] | None,
) -> tuple[NDArray[np.int64], NDArray[np.complex128], NDArray[np.complex128]]:
    """Serving BS (M,), precoder (M, Nt) and channels ``g_{b,i}`` (B, S, ports, M) of M UEs."""
    uplink = DeepMIMOUplink(info.folder, arrays, scenario_users)
    count = len(scenario_users)
    num_subbands = 1 if offsets_hz is None else len(offsets_hz)
    channels = np.empty(
        (count, info.num_bs, num_subbands, arrays.bs_ports, arrays.ue_antennas),
        dtype=np.complex128,
    )
    for bs in range(info.num_bs):
        for rows, h in uplink.iter_bs_channels(bs, offsets_hz):
            channels[rows, bs] = h if offsets_hz is not None else h[:, None]
    gram = np.einsum("mbspi,mbspj->mbij", channels.conj(), channels)  # summed over sub-bands
    serving = np.trace(gram, axis1=-2, axis2=-1).real.argmax(axis=1)
    _, vectors = np.linalg.eigh(gram[np.arange(count), serving])
    precoder = vectors[:, :, -1]  # the dominant eigenvector (eigh sorts ascending)
    g = np.einsum("mbspi,mi->bspm", channels, precoder)
    return serving.astype(np.int64), precoder, g


def compute_uplink_grams(
    folder: Path | str,
    arrays: ArrayConfig,
    subset: UserSubset | None = None,
    subbands: Subbands | None = None,
    interferers: NDArray[np.int64] | None = None,
) -> UplinkGrams:
    """Generate every BS's channels with ``deepmimo`` and reduce them to Gram matrices.

    Args:
        folder: The DeepMIMO scenario folder.
        arrays: Antenna arrays.
        subset: Users to keep (all users of all user sets when None).
        subbands: Sub-bands (None: the carrier alone).
        interferers: Rows of the kept users that interfere (see the module docstring); None:
            no interferer terms.
    """
    info = read_scenario_info(folder)
    users = (subset or UserSubset()).indices(info)
    offsets_hz = (subbands or Subbands()).offsets_hz()
    uplink = DeepMIMOUplink(info.folder, arrays, users)
    ue = arrays.ue_antennas
    num_subbands = 1 if offsets_hz is None else len(offsets_hz)
    sub_axis = () if offsets_hz is None else (num_subbands,)
    gram = np.empty((len(users), info.num_bs, *sub_axis, ue, ue), dtype=np.complex64)
    terms = None
    if interferers is not None:
        interferers = np.asarray(interferers, dtype=np.int64)
        serving, precoder, g = _interferer_terms(info, arrays, users[interferers], offsets_hz)
        cross = np.empty(
            (len(users), info.num_bs, num_subbands, ue, len(interferers)), dtype=np.complex64
        )
    for bs in range(info.num_bs):
        for rows, channels in uplink.iter_bs_channels(bs, offsets_hz):
            h = channels.astype(np.complex128)
            if offsets_hz is None:
                gram[rows, bs] = np.einsum("npi,npj->nij", h.conj(), h).astype(np.complex64)
                h = h[:, None]
            else:
                gram[rows, bs] = np.einsum("nspi,nspj->nsij", h.conj(), h).astype(np.complex64)
            if interferers is not None:
                cross[rows, bs] = np.einsum("nspi,spm->nsim", h.conj(), g[bs])
    if interferers is not None:
        terms = InterfererChannels(
            users=interferers,
            serving_bs=serving,
            precoder=precoder,
            cross=cross,
            gram=np.einsum("bspm,bspk->bsmk", g.conj(), g),
        )
    return UplinkGrams(
        gram=gram,
        user_positions=uplink.user_positions,
        bs_positions=uplink.bs_positions,
        scenario=uplink.info.name,
        synthetic=uplink.info.synthetic,
        interferers=terms,
    )


def _read(path: Path, scenario: str, synthetic: bool) -> UplinkGrams | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in _ARRAY_KEYS}
            arrays.update({key: stored[key] for key in _INTERFERER_KEYS if key in stored})
            checksum = str(stored["checksum"])
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as error:
        logger.warning("channel cache %s is unreadable (%s); rebuilding it", path, error)
        return None
    if checksum != _checksum(arrays):
        logger.warning("channel cache %s fails its checksum; rebuilding it", path)
        return None
    terms = None
    if "interferer_users" in arrays:
        terms = InterfererChannels(
            *(arrays[key] for key in _INTERFERER_KEYS)  # field order = key order
        )
    return UplinkGrams(
        gram=arrays["gram"],
        user_positions=arrays["user_positions"],
        bs_positions=arrays["bs_positions"],
        scenario=scenario,
        synthetic=synthetic,
        interferers=terms,
    )


def _write_atomically(path: Path, grams: UplinkGrams) -> None:
    arrays = {key: getattr(grams, key) for key in _ARRAY_KEYS}
    if grams.interferers is not None:
        for key, field in zip(_INTERFERER_KEYS, fields(InterfererChannels), strict=True):
            arrays[key] = getattr(grams.interferers, field.name)
    atomic_write(
        path, lambda handle: np.savez(handle, checksum=np.array(_checksum(arrays)), **arrays)
    )


def load_uplink_grams(
    folder: Path | str,
    arrays: ArrayConfig,
    cache_dir: Path | str,
    subset: UserSubset | None = None,
    subbands: Subbands | None = None,
    interferers: NDArray[np.int64] | None = None,
) -> UplinkGrams:
    """Return the scenario's Gram matrices from the cache, computing and caching them if needed.

    A cache file that cannot be read or fails its checksum is rebuilt.

    Args:
        folder: The DeepMIMO scenario folder.
        arrays: Antenna arrays (part of the cache key, with the scenario files' fingerprint).
        cache_dir: Folder of the cache files.
        subset: Users to keep (part of the cache key); all users when None.
        subbands: Sub-bands (part of the cache key when more than one); None: the carrier.
        interferers: Interfering users, rows of the kept users (part of the cache key); None:
            no interferer terms.
    """
    info = read_scenario_info(folder)
    path = cache_path(info.folder, arrays, cache_dir, subset, subbands, interferers)
    if path.exists():
        cached = _read(path, info.name, info.synthetic)
        if cached is not None:
            return cached
    grams = compute_uplink_grams(info.folder, arrays, subset, subbands, interferers)
    _write_atomically(path, grams)
    return grams

"""On-disk cache of per-user, per-BS uplink Gram matrices (atomic writes, corruption checks).

Generating channels with ``deepmimo`` for tens of thousands of users takes a while; the
reception environment only needs each BS's Gram matrix ``H_b^H H_b`` per user (the receiver
combines cooperating BSs by summing them), so that is what is cached.

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
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from wmoe.paths import atomic_write
from wmoe.scenarios.deepmimo_loader import (
    ArrayConfig,
    DeepMIMOUplink,
    ScenarioInfo,
    UserSubset,
    read_scenario_info,
)

CACHE_FORMAT_VERSION = 1
_ARRAY_KEYS = ("gram", "user_positions", "bs_positions")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UplinkGrams:
    """Per-user, per-BS uplink Gram matrices of a scenario.

    Attributes:
        gram: (n_users, num_bs, ue_antennas, ue_antennas) ``H_b^H H_b`` (linear channel gain).
        user_positions: (n_users, 3) [m].
        bs_positions: (num_bs, 3) [m].
        scenario: Scenario name.
        synthetic: Whether the scenario is wmoe's synthetic O1-like one.
    """

    gram: NDArray[np.complex64]
    user_positions: NDArray[np.float64]
    bs_positions: NDArray[np.float64]
    scenario: str
    synthetic: bool


def _scenario_fingerprint(info: ScenarioInfo, arrays: ArrayConfig, subset: UserSubset) -> str:
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
    return digest.hexdigest()


def _checksum(arrays: dict[str, NDArray[np.generic]]) -> str:
    digest = hashlib.sha256()
    for key in _ARRAY_KEYS:
        digest.update(np.ascontiguousarray(arrays[key]).data)  # in place, no copy
    return digest.hexdigest()


def cache_path(
    folder: Path | str,
    arrays: ArrayConfig,
    cache_dir: Path | str,
    subset: UserSubset | None = None,
) -> Path:
    """Return the cache file for a scenario folder, array configuration and user subset."""
    info = read_scenario_info(folder)
    key = _scenario_fingerprint(info, arrays, subset or UserSubset())[:20]
    return Path(cache_dir) / f"{info.name}-grams-{key}.npz"


def compute_uplink_grams(
    folder: Path | str, arrays: ArrayConfig, subset: UserSubset | None = None
) -> UplinkGrams:
    """Generate every BS's channels with ``deepmimo`` and reduce them to Gram matrices.

    Args:
        folder: The DeepMIMO scenario folder.
        arrays: Antenna arrays.
        subset: Users to keep (all users of all user sets when None).
    """
    info = read_scenario_info(folder)
    users = (subset or UserSubset()).indices(info)
    uplink = DeepMIMOUplink(info.folder, arrays, users)
    ue = arrays.ue_antennas
    gram = np.empty((len(users), info.num_bs, ue, ue), dtype=np.complex64)
    for bs in range(info.num_bs):
        for rows, channels in uplink.iter_bs_channels(bs):
            h = channels.astype(np.complex128)
            gram[rows, bs] = np.einsum("npi,npj->nij", h.conj(), h).astype(np.complex64)
    return UplinkGrams(
        gram=gram,
        user_positions=uplink.user_positions,
        bs_positions=uplink.bs_positions,
        scenario=uplink.info.name,
        synthetic=uplink.info.synthetic,
    )


def _read(path: Path, scenario: str, synthetic: bool) -> UplinkGrams | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in _ARRAY_KEYS}
            checksum = str(stored["checksum"])
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as error:
        logger.warning("channel cache %s is unreadable (%s); rebuilding it", path, error)
        return None
    if checksum != _checksum(arrays):
        logger.warning("channel cache %s fails its checksum; rebuilding it", path)
        return None
    return UplinkGrams(
        gram=arrays["gram"],
        user_positions=arrays["user_positions"],
        bs_positions=arrays["bs_positions"],
        scenario=scenario,
        synthetic=synthetic,
    )


def _write_atomically(path: Path, grams: UplinkGrams) -> None:
    arrays = {key: getattr(grams, key) for key in _ARRAY_KEYS}
    atomic_write(
        path, lambda handle: np.savez(handle, checksum=np.array(_checksum(arrays)), **arrays)
    )


def load_uplink_grams(
    folder: Path | str,
    arrays: ArrayConfig,
    cache_dir: Path | str,
    subset: UserSubset | None = None,
) -> UplinkGrams:
    """Return the scenario's Gram matrices from the cache, computing and caching them if needed.

    A cache file that cannot be read or fails its checksum is rebuilt.

    Args:
        folder: The DeepMIMO scenario folder.
        arrays: Antenna arrays (part of the cache key, with the scenario files' fingerprint).
        cache_dir: Folder of the cache files.
        subset: Users to keep (part of the cache key); all users when None.
    """
    info = read_scenario_info(folder)
    path = cache_path(info.folder, arrays, cache_dir, subset)
    if path.exists():
        cached = _read(path, info.name, info.synthetic)
        if cached is not None:
            return cached
    grams = compute_uplink_grams(info.folder, arrays, subset)
    _write_atomically(path, grams)
    return grams

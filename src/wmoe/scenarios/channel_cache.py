"""On-disk cache of per-user, per-BS uplink Gram matrices (atomic writes, corruption checks).

Generating channels with ``deepmimo`` for tens of thousands of users takes a while; the
reception environment only needs each BS's Gram matrix ``H_b^H H_b`` per user (the receiver
combines cooperating BSs by summing them), so that is what is cached.
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
from wmoe.scenarios.deepmimo_loader import ArrayConfig, DeepMIMOUplink, read_scenario_info

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


def _scenario_fingerprint(folder: Path, arrays: ArrayConfig) -> str:
    digest = hashlib.sha256()
    digest.update(f"v{CACHE_FORMAT_VERSION}".encode())
    digest.update(json.dumps(asdict(arrays), sort_keys=True).encode())
    digest.update((folder / "params.json").read_bytes())
    for path in sorted(folder.glob("*.npz")):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _checksum(arrays: dict[str, NDArray[np.generic]]) -> str:
    digest = hashlib.sha256()
    for key in _ARRAY_KEYS:
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    return digest.hexdigest()


def cache_path(folder: Path | str, arrays: ArrayConfig, cache_dir: Path | str) -> Path:
    """Return the cache file for a scenario folder and array configuration."""
    folder = Path(folder).expanduser().resolve()
    key = _scenario_fingerprint(folder, arrays)[:20]
    return Path(cache_dir) / f"{folder.name}-grams-{key}.npz"


def compute_uplink_grams(folder: Path | str, arrays: ArrayConfig) -> UplinkGrams:
    """Generate every BS's channels with ``deepmimo`` and reduce them to Gram matrices."""
    uplink = DeepMIMOUplink(folder, arrays)
    grams = []
    for bs in range(uplink.info.num_bs):
        h = uplink.bs_channels(bs).astype(np.complex128)
        grams.append(np.einsum("npi,npj->nij", h.conj(), h).astype(np.complex64))
    return UplinkGrams(
        gram=np.stack(grams, axis=1),
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
    folder: Path | str, arrays: ArrayConfig, cache_dir: Path | str
) -> UplinkGrams:
    """Return the scenario's Gram matrices from the cache, computing and caching them if needed.

    A cache file that cannot be read or fails its checksum is rebuilt.

    Args:
        folder: The DeepMIMO scenario folder.
        arrays: Antenna arrays (part of the cache key, with the scenario files' fingerprint).
        cache_dir: Folder of the cache files.
    """
    info = read_scenario_info(folder)
    path = cache_path(info.folder, arrays, cache_dir)
    if path.exists():
        cached = _read(path, info.name, info.synthetic)
        if cached is not None:
            return cached
    grams = compute_uplink_grams(info.folder, arrays)
    _write_atomically(path, grams)
    return grams

"""Gram-matrix cache: reuse, corruption detection, atomic writes and H^H H correctness."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from wmoe.scenarios import channel_cache
from wmoe.scenarios.deepmimo_loader import ArrayConfig, DeepMIMOUplink

ARRAYS = ArrayConfig()


def _forbid_compute(*_args, **_kwargs):
    raise AssertionError("compute_uplink_grams was called although a valid cache exists")


@pytest.fixture(scope="module")
def reference(small_scenario: Path, tmp_path_factory: pytest.TempPathFactory):
    """The Gram matrices computed once without a cache, to compare every cache result with."""
    return channel_cache.compute_uplink_grams(small_scenario, ARRAYS)


def _cache_files(cache_dir: Path) -> list[str]:
    return sorted(p.name for p in cache_dir.iterdir())


def _assert_same(a: channel_cache.UplinkGrams, b: channel_cache.UplinkGrams) -> None:
    np.testing.assert_array_equal(a.gram, b.gram)
    np.testing.assert_array_equal(a.user_positions, b.user_positions)
    np.testing.assert_array_equal(a.bs_positions, b.bs_positions)
    assert a.scenario == b.scenario and a.synthetic == b.synthetic


def test_gram_is_h_hermitian_h(small_scenario: Path, reference) -> None:
    uplink = DeepMIMOUplink(small_scenario, ARRAYS)
    n_users = len(uplink.user_positions)
    assert reference.gram.shape == (n_users, 18, 4, 4)
    for bs in (0, 3, 13):
        h = uplink.bs_channels(bs).astype(np.complex128)  # (users, ports, ue_ant)
        brute = np.stack([h[n].conj().T @ h[n] for n in range(n_users)])
        scale = np.abs(brute).max()
        assert scale > 0
        np.testing.assert_allclose(reference.gram[:, bs], brute, atol=1e-5 * scale)
    gram = reference.gram.astype(np.complex128)
    np.testing.assert_allclose(gram, np.conj(np.swapaxes(gram, -1, -2)), atol=0)
    eig = np.linalg.eigvalsh(gram)
    assert np.all(eig >= -1e-5 * np.abs(gram).max())
    assert reference.synthetic and reference.scenario == small_scenario.name


def test_second_call_reads_the_cache(
    small_scenario: Path, reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    first = channel_cache.load_uplink_grams(small_scenario, ARRAYS, cache_dir)
    _assert_same(first, reference)
    assert _cache_files(cache_dir) == [
        channel_cache.cache_path(small_scenario, ARRAYS, cache_dir).name
    ]
    monkeypatch.setattr(channel_cache, "compute_uplink_grams", _forbid_compute)
    second = channel_cache.load_uplink_grams(small_scenario, ARRAYS, cache_dir)
    _assert_same(second, first)


def test_cache_key_depends_on_arrays(small_scenario: Path, tmp_path: Path) -> None:
    other = ArrayConfig(ue_antennas=2)
    a = channel_cache.cache_path(small_scenario, ARRAYS, tmp_path)
    b = channel_cache.cache_path(small_scenario, other, tmp_path)
    assert a != b
    assert a == channel_cache.cache_path(small_scenario, ArrayConfig(), tmp_path)


def _corrupt_middle(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 64] = bytes(255 - b for b in raw[middle : middle + 64])
    path.write_bytes(bytes(raw))


def _truncate(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _not_npz(path: Path) -> None:
    path.write_bytes(b"this is not a numpy archive" * 10)


def _tamper_consistently(path: Path) -> None:
    """A valid archive whose gram changed but whose stored checksum is the old one."""
    with np.load(path, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    arrays["gram"] = arrays["gram"].copy()
    arrays["gram"][0, 0, 0, 0] += 1.0
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(_corrupt_middle, id="bytes-in-the-middle"),
        pytest.param(_truncate, id="truncated"),
        pytest.param(_empty, id="empty"),
        pytest.param(_not_npz, id="not-npz"),
        pytest.param(_tamper_consistently, id="checksum-mismatch"),
    ],
)
def test_corrupted_cache_is_detected_and_rebuilt(
    small_scenario: Path, reference, tmp_path: Path, corrupt
) -> None:
    cache_dir = tmp_path / "cache"
    channel_cache.load_uplink_grams(small_scenario, ARRAYS, cache_dir)
    path = channel_cache.cache_path(small_scenario, ARRAYS, cache_dir)
    good_bytes = path.read_bytes()
    corrupt(path)
    assert path.read_bytes() != good_bytes
    rebuilt = channel_cache.load_uplink_grams(small_scenario, ARRAYS, cache_dir)
    _assert_same(rebuilt, reference)
    # The rebuilt file is valid again and is read back without recomputation.
    assert _cache_files(cache_dir) == [path.name]
    assert channel_cache._read(path, small_scenario.name, True) is not None


def test_write_leaves_no_temporary_files(small_scenario: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    channel_cache.load_uplink_grams(small_scenario, ARRAYS, cache_dir)
    channel_cache.load_uplink_grams(small_scenario, ArrayConfig(ue_antennas=2), cache_dir)
    names = _cache_files(cache_dir)
    assert len(names) == 2
    assert all(n.endswith(".npz") and not n.startswith(".") for n in names)


def test_failed_write_leaves_nothing_behind(
    small_scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference
) -> None:
    cache_dir = tmp_path / "cache"

    def broken_savez(handle, **_arrays):
        handle.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(channel_cache.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        channel_cache._write_atomically(cache_dir / "x.npz", reference)
    assert os.listdir(cache_dir) == []

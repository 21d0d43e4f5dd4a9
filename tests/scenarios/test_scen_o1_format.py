"""DeepMIMO's O1 layout (one-BS TX sets that are also RX, three user grids) loads in full."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from path_reconstruction import assert_close, reconstruct, stored

from wmoe.scenarios import channel_cache
from wmoe.scenarios.deepmimo_loader import (
    ArrayConfig,
    DeepMIMOUplink,
    ScenarioFormatError,
    UserSubset,
    read_scenario_info,
)
from wmoe.scenarios.o1_format import O1_BS_TX_SETS, O1_USER_GRIDS, bs_positions

ROW_STRIDE = 700  # tests/conftest.py's O1_FORMAT_ROW_STRIDE
ARRAYS = ArrayConfig()
COS45 = np.cos(np.pi / 4)


def _rows(grid_rows: int) -> int:
    return len(range(0, grid_rows, ROW_STRIDE))


EXPECTED_USERS = tuple(_rows(g.rows) * g.users_per_row for g in O1_USER_GRIDS)


@pytest.fixture(scope="module")
def full_grams(o1_format_scenario: Path) -> channel_cache.UplinkGrams:
    return channel_cache.compute_uplink_grams(o1_format_scenario, ARRAYS)


def test_fixture_is_laid_out_as_o1(o1_format_scenario: Path) -> None:
    params = json.loads((o1_format_scenario / "params.json").read_text())
    sets = params["txrx_sets"]
    assert sorted(sets) == sorted(f"txrx_set_{i}" for i in range(21))
    for grid, users in zip(O1_USER_GRIDS, EXPECTED_USERS, strict=True):
        entry = sets[f"txrx_set_{grid.rx_set}"]
        assert entry["name"] == grid.name and entry["is_rx"] and not entry["is_tx"]
        assert entry["num_points"] == users
        positions = stored(o1_format_scenario, "rx_pos", (3, 0), grid.rx_set)
        assert len(np.unique(positions[:, 1])) == _rows(grid.rows)
        assert np.all(np.unique(positions[:, 1], return_counts=True)[1] == grid.users_per_row)
    for k, tx_set in enumerate(O1_BS_TX_SETS):
        entry = sets[f"txrx_set_{tx_set}"]
        assert entry["name"] == f"BS{k + 1}" and entry["is_tx"] and entry["is_rx"]
        assert entry["num_points"] == 1
        for rx_set in range(21):  # BS-to-user and BS-to-BS links, as O1 carries them
            for key in ("power", "phase", "delay", "inter", "inter_pos", "rx_pos", "tx_pos"):
                assert (o1_format_scenario / f"{key}_t{tx_set:03}_tx000_r{rx_set:03}.npz").is_file()
    assert "wmoe" not in params
    assert "NOT ray-traced" in params["rt_params"]["raytracer_name"]


def test_plain_deepmimo_reads_the_fixture(o1_format_scenario: Path) -> None:
    """The layout is DeepMIMO's: one TX set and one RX set give a single Dataset, not a macro."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import deepmimo as dm

        previous = dm.config.get("scenarios_folder")
        try:
            dm.config.set("scenarios_folder", str(o1_format_scenario.parent))
            single = dm.load(o1_format_scenario.name, tx_sets=[5], rx_sets=[1])
            everything = dm.load(o1_format_scenario.name)
        finally:
            dm.config.set("scenarios_folder", previous)
    assert type(single).__name__ == "Dataset"
    assert len(single.rx_pos) == EXPECTED_USERS[1]
    assert len(everything.datasets) == 18 * 3  # default rx_sets='rx_only': the user grids


def test_info_merges_all_user_grids(o1_format_scenario: Path) -> None:
    info = read_scenario_info(o1_format_scenario)
    assert info.bs_ports == (tuple((s, 0) for s in O1_BS_TX_SETS),)
    assert info.user_sets == (0, 1, 2)
    assert info.users_per_set == EXPECTED_USERS
    assert info.num_users == sum(EXPECTED_USERS) == 1808
    assert not info.synthetic


def test_every_user_of_every_grid_is_loaded(
    o1_format_scenario: Path, full_grams: channel_cache.UplinkGrams
) -> None:
    positions = np.concatenate(
        [stored(o1_format_scenario, "rx_pos", (3, 0), g.rx_set) for g in O1_USER_GRIDS]
    )
    assert full_grams.gram.shape == (sum(EXPECTED_USERS), 18, 4, 4)
    np.testing.assert_array_equal(full_grams.user_positions, positions)
    np.testing.assert_allclose(full_grams.bs_positions, bs_positions(), atol=1e-4)
    heard = np.trace(full_grams.gram, axis1=-2, axis2=-1).real > 0
    offsets = np.cumsum((0, *EXPECTED_USERS))
    for start, stop in zip(offsets[:-1], offsets[1:], strict=True):
        assert heard[start:stop].mean() > 0.9  # every grid carries channels, not zeros


@pytest.mark.parametrize("bs", [0, 9, 17])
def test_channels_equal_reconstruction_in_every_grid(o1_format_scenario: Path, bs: int) -> None:
    """Single-polarised O1: both slanted ports see cos(45 deg) times the vertical channel."""
    h = DeepMIMOUplink(o1_format_scenario, ARRAYS).bs_channels(bs).astype(np.complex128)
    expected = np.concatenate(
        [reconstruct(o1_format_scenario, (O1_BS_TX_SETS[bs], 0), g, 0.0, ARRAYS) for g in (0, 1, 2)]
    )
    assert_close(h[:, :4], COS45 * expected)
    np.testing.assert_array_equal(h[:, :4], h[:, 4:])


def test_chunked_generation_equals_one_call(o1_format_scenario: Path) -> None:
    whole = DeepMIMOUplink(o1_format_scenario, ARRAYS)
    chunked = DeepMIMOUplink(o1_format_scenario, ARRAYS, chunk_users=97)
    for bs in (2, 15):
        np.testing.assert_array_equal(chunked.bs_channels(bs), whole.bs_channels(bs))


def test_user_subset_by_grid_and_stride(
    o1_format_scenario: Path, full_grams: channel_cache.UplinkGrams
) -> None:
    info = read_scenario_info(o1_format_scenario)
    subset = UserSubset(grids=(2, 0), stride=7)
    index = subset.indices(info)
    first_of_ug3 = EXPECTED_USERS[0] + EXPECTED_USERS[1]
    assert index[0] == 0 and index[-1] >= first_of_ug3
    assert len(index) == len(range(0, EXPECTED_USERS[0], 7)) + len(range(0, EXPECTED_USERS[2], 7))
    part = channel_cache.compute_uplink_grams(o1_format_scenario, ARRAYS, subset)
    np.testing.assert_array_equal(part.gram, full_grams.gram[index])
    np.testing.assert_array_equal(part.user_positions, full_grams.user_positions[index])


def test_arbitrary_user_order_is_kept(o1_format_scenario: Path) -> None:
    users = [1500, 3, 900, 1807, 0]
    whole = DeepMIMOUplink(o1_format_scenario, ARRAYS)
    part = DeepMIMOUplink(o1_format_scenario, ARRAYS, users=users)
    np.testing.assert_array_equal(part.user_positions, whole.user_positions[users])
    np.testing.assert_array_equal(part.bs_channels(4), whole.bs_channels(4)[users])


@pytest.mark.parametrize(
    ("subset", "message"),
    [
        (UserSubset(grids=(0, 7)), r"unknown: \[7\]"),
        (UserSubset(grids=(1, 1)), "distinct"),
        (UserSubset(stride=0), "stride must be >= 1"),
    ],
)
def test_bad_subset_raises(o1_format_scenario: Path, subset: UserSubset, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        subset.indices(read_scenario_info(o1_format_scenario))


def test_cache_keys_differ_by_subset_and_reuse(o1_format_scenario: Path, tmp_path: Path) -> None:
    subset = UserSubset(grids=(1,))
    full = channel_cache.cache_path(o1_format_scenario, ARRAYS, tmp_path)
    part = channel_cache.cache_path(o1_format_scenario, ARRAYS, tmp_path, subset)
    assert full != part
    assert channel_cache.cache_path(o1_format_scenario, ARRAYS, tmp_path, UserSubset()) == full
    first = channel_cache.load_uplink_grams(o1_format_scenario, ARRAYS, tmp_path, subset)
    assert first.gram.shape[0] == EXPECTED_USERS[1]
    again = channel_cache.load_uplink_grams(o1_format_scenario, ARRAYS, tmp_path, subset)
    np.testing.assert_array_equal(again.gram, first.gram)
    assert sorted(p.name for p in tmp_path.iterdir()) == [part.name]


# --- malformed layouts ---------------------------------------------------------------------


def _linked_copy(source: Path, target: Path) -> Path:
    """A copy of ``source`` whose files are symlinks (replace a file before changing it)."""
    target.mkdir()
    for path in source.iterdir():
        os.symlink(path, target / path.name)
    return target


def _edit_params(folder: Path, edit: Callable[[dict], None]) -> None:
    params = json.loads((folder / "params.json").read_text())
    edit(params)
    (folder / "params.json").unlink()
    (folder / "params.json").write_text(json.dumps(params))


def _write_matrix(folder: Path, key: str, tx_set: int, rx_set: int, value: np.ndarray) -> None:
    path = folder / f"{key}_t{tx_set:03}_tx000_r{rx_set:03}.npz"
    path.unlink()
    np.savez_compressed(path, **{key: value})


def _missing_matrix(folder: Path) -> None:
    (folder / "power_t005_tx000_r001.npz").unlink()


def _not_json(folder: Path) -> None:
    (folder / "params.json").unlink()
    (folder / "params.json").write_text("{not json")


def _no_user_sets(folder: Path) -> None:
    def edit(params: dict) -> None:
        for rx_set in (0, 1, 2):
            del params["txrx_sets"][f"txrx_set_{rx_set}"]

    _edit_params(folder, edit)


def _key_id_mismatch(folder: Path) -> None:
    _edit_params(folder, lambda p: p["txrx_sets"]["txrx_set_4"].update(id=40))


def _field_missing(folder: Path) -> None:
    _edit_params(folder, lambda p: p["txrx_sets"]["txrx_set_1"].pop("num_points"))


def _no_frequency(folder: Path) -> None:
    _edit_params(folder, lambda p: p["rt_params"].pop("frequency"))


def _short_rx_pos(folder: Path) -> None:
    rx_pos = stored(folder, "rx_pos", (3, 0), 2)
    _write_matrix(folder, "rx_pos", 3, 2, rx_pos[:-5].astype(np.float32))


def _shared_tx_pos(folder: Path) -> None:
    first = stored(folder, "tx_pos", (3, 0), 0)
    _write_matrix(folder, "tx_pos", 4, 0, first.astype(np.float32))


MALFORMED_INFO = [
    pytest.param(_missing_matrix, r"power_t005_tx000_r001\.npz", id="missing-matrix"),
    pytest.param(_not_json, r"params\.json is malformed", id="params-not-json"),
    pytest.param(_no_user_sets, r"user RX sets \[\]", id="no-user-grids"),
    pytest.param(_key_id_mismatch, r"must be 'txrx_set_40'", id="key-id-mismatch"),
    pytest.param(_field_missing, r"txrx_set_1'\] lacks \['num_points'\]", id="field-missing"),
    pytest.param(_no_frequency, r"malformed \(KeyError: 'frequency'\)", id="no-frequency"),
    pytest.param(_short_rx_pos, r"rx_pos of RX set 2 has shape \(717, 3\)", id="short-rx-pos"),
    pytest.param(_shared_tx_pos, r"share a tx_pos", id="two-bs-one-position"),
]


@pytest.mark.parametrize(("corrupt", "message"), MALFORMED_INFO)
def test_malformed_layout_raises_on_construction(
    o1_format_scenario: Path, tmp_path: Path, corrupt: Callable[[Path], None], message: str
) -> None:
    folder = _linked_copy(o1_format_scenario, tmp_path / "o1_3p5")
    corrupt(folder)
    with pytest.raises(ScenarioFormatError, match=message) as excinfo:
        DeepMIMOUplink(folder, ARRAYS)
    assert isinstance(excinfo.value, ValueError)


def _other_bs_rx_pos(folder: Path) -> None:
    rx_pos = stored(folder, "rx_pos", (10, 0), 0)
    _write_matrix(folder, "rx_pos", 10, 0, (rx_pos + [5.0, 0.0, 0.0]).astype(np.float32))


def _short_power(folder: Path) -> None:
    power = stored(folder, "power", (10, 0), 1)
    _write_matrix(folder, "power", 10, 1, power[:10].astype(np.float32))


def _moved_tx_pos(folder: Path) -> None:
    tx_pos = stored(folder, "tx_pos", (10, 0), 2)
    _write_matrix(folder, "tx_pos", 10, 2, (tx_pos + 30.0).astype(np.float32))


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        pytest.param(_other_bs_rx_pos, "must list the same users", id="rx-pos-differs"),
        pytest.param(_short_power, "one row per point of RX set 1", id="short-matrix"),
        pytest.param(_moved_tx_pos, "a BS must have one position", id="tx-pos-differs"),
    ],
)
def test_malformed_bs_files_raise_when_that_bs_loads(
    o1_format_scenario: Path, tmp_path: Path, corrupt: Callable[[Path], None], message: str
) -> None:
    folder = _linked_copy(o1_format_scenario, tmp_path / "o1_3p5")
    corrupt(folder)
    uplink = DeepMIMOUplink(folder, ARRAYS)
    uplink.bs_channels(0)
    with pytest.raises(ScenarioFormatError, match=message):
        uplink.bs_channels(7)  # TX set 10

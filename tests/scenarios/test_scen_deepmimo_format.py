"""The synthetic scenario folder is a DeepMIMO v4 scenario the plain ``deepmimo`` package loads."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from wmoe.scenarios import o1_layout
from wmoe.scenarios.synthetic_o1 import SyntheticO1Config, write_synthetic_o1

C = 299_792_458.0


def _npz(folder: Path, key: str, tx_set: int, bs: int) -> np.ndarray:
    with np.load(folder / f"{key}_t{tx_set:03}_tx{bs:03}_r002.npz") as stored:
        return stored[key]


def _dm_load(folder: Path, tx_set: int):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import deepmimo as dm

        previous = dm.config.get("scenarios_folder")
        try:
            dm.config.set("scenarios_folder", str(folder.parent))
            return dm.load(folder.name, tx_sets=[tx_set], rx_sets={2: "all"})
        finally:
            dm.config.set("scenarios_folder", previous)


@pytest.mark.parametrize("tx_set", [0, 1])
def test_plain_deepmimo_load_matches_the_npz_files(small_scenario: Path, tx_set: int) -> None:
    loaded = _dm_load(small_scenario, tx_set)
    datasets = list(loaded.datasets)
    assert len(datasets) == 18
    users = o1_layout.user_grid(60, 45)
    bs = o1_layout.base_station_positions()
    for index, dataset in enumerate(datasets):
        for key in ("power", "delay", "phase", "aoa_az", "aod_el"):
            np.testing.assert_array_equal(
                np.asarray(getattr(dataset, key)), _npz(small_scenario, key, tx_set, index)
            )
        np.testing.assert_array_equal(
            np.asarray(dataset.rx_pos), _npz(small_scenario, "rx_pos", tx_set, index)
        )
        np.testing.assert_allclose(np.asarray(dataset.rx_pos), users, atol=1e-4)
        np.testing.assert_allclose(np.asarray(dataset.tx_pos).reshape(3), bs[index], atol=1e-4)


def test_params_json_marks_the_scenario_synthetic(small_scenario: Path, small_config) -> None:
    params = json.loads((small_scenario / "params.json").read_text())
    assert params["wmoe"]["synthetic"] is True
    assert "synthetic" in params["rt_params"]["raytracer_name"].lower()
    assert params["wmoe"]["bs_polarization_tx_sets"] == [0, 1]
    assert params["wmoe"]["generator"]["row_stride"] == small_config.row_stride
    assert params["rt_params"]["frequency"] == pytest.approx(3.5e9)
    sets = params["txrx_sets"]
    assert sets["txrx_set_0"]["is_tx"] and sets["txrx_set_1"]["is_tx"]
    assert sets["txrx_set_2"]["is_rx"] and not sets["txrx_set_2"]["is_tx"]
    assert sets["txrx_set_2"]["num_points"] == len(o1_layout.user_grid(60, 45))
    assert sets["txrx_set_0"]["num_points"] == 18
    np.testing.assert_allclose(
        params["wmoe"]["bs_facing_azimuth_deg"], o1_layout.base_station_facing_azimuth_deg()
    )


def test_stored_los_paths_obey_free_space(small_scenario: Path) -> None:
    """Rows whose path has no interaction: delay * c = distance, power = FSPL * cos^2(45)."""
    wavelength = C / 3.5e9
    users = o1_layout.user_grid(60, 45)
    bs_positions = o1_layout.base_station_positions()
    seen = 0
    for bs in (0, 5, 13):
        inter = _npz(small_scenario, "inter", 0, bs)
        is_los = inter == 0
        user_idx, path_idx = np.nonzero(is_los)
        assert (np.bincount(user_idx, minlength=len(users)) <= 1).all()
        d = np.linalg.norm(users[user_idx] - bs_positions[bs], axis=-1)
        delay = _npz(small_scenario, "delay", 0, bs)[user_idx, path_idx].astype(float)
        np.testing.assert_allclose(delay * C, d, rtol=1e-6)
        for tx_set in (0, 1):
            power = _npz(small_scenario, "power", tx_set, bs)[user_idx, path_idx].astype(float)
            expected = 20 * np.log10(wavelength / (4 * np.pi * d) * np.cos(np.pi / 4))
            np.testing.assert_allclose(power, expected, atol=1e-4)
        aod_az = _npz(small_scenario, "aod_az", 0, bs)[user_idx, path_idx].astype(float)
        delta = users[user_idx] - bs_positions[bs]
        expected_az = np.rad2deg(np.arctan2(delta[:, 1], delta[:, 0]))
        np.testing.assert_allclose(aod_az, expected_az, atol=1e-3)
        seen += len(d)
    assert seen > 50


def test_paths_sorted_by_power_and_codes_match_positions(small_scenario: Path) -> None:
    for bs in (0, 7, 16):
        p0 = _npz(small_scenario, "power", 0, bs).astype(float)
        p1 = _npz(small_scenario, "power", 1, bs).astype(float)
        total = np.nan_to_num(10 ** (p0 / 10) + 10 ** (p1 / 10), nan=-1.0)
        assert np.all(np.diff(total, axis=1) <= 1e-12 * total.max())
        inter = _npz(small_scenario, "inter", 0, bs)
        inter_pos = _npz(small_scenario, "inter_pos", 0, bs)
        valid = ~np.isnan(p0)
        assert np.array_equal(valid, ~np.isnan(_npz(small_scenario, "delay", 0, bs)))
        counts = (~np.isnan(inter_pos[..., 0])).sum(axis=-1)
        codes = inter[valid].astype(int)
        expected = np.where(codes == 0, 0, np.char.str_len(codes.astype(str)))
        np.testing.assert_array_equal(counts[valid], expected)
        assert set(np.unique(codes)) <= {0, 1, 11, 111}


def test_existing_folder_without_overwrite_raises(small_scenario: Path, small_config) -> None:
    before = sorted(p.name for p in small_scenario.iterdir())
    with pytest.raises(FileExistsError, match="overwrite"):
        write_synthetic_o1(small_scenario.parent, small_config)
    assert sorted(p.name for p in small_scenario.iterdir()) == before
    # No staging folder left next to the scenario.
    assert [p.name for p in small_scenario.parent.iterdir()] == [small_scenario.name]


def test_overwrite_replaces_atomically(tmp_path: Path) -> None:
    config = SyntheticO1Config(name="o1_scen_overwrite", row_stride=400, user_stride=90, seed=3)
    first = write_synthetic_o1(tmp_path, config)
    (first / "stale_marker.txt").write_text("old")
    again = write_synthetic_o1(tmp_path, config, overwrite=True)
    assert again == first
    assert not (again / "stale_marker.txt").exists()
    assert (again / "params.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == [config.name]

"""DeepMIMOUplink channels against an independent reconstruction from the stored paths."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from path_reconstruction import assert_close, reconstruct

from wmoe.scenarios import o1_layout
from wmoe.scenarios.deepmimo_loader import (
    ArrayConfig,
    DeepMIMOUplink,
    ScenarioNotFoundError,
    read_scenario_info,
)

COS45 = np.cos(np.pi / 4)


def _reconstruct(
    folder: Path, tx_set: int, bs: int, facing_deg: float, arrays: ArrayConfig
) -> np.ndarray:
    return reconstruct(folder, (tx_set, bs), 2, facing_deg, arrays)


@pytest.fixture(scope="module")
def uplink(small_scenario: Path) -> DeepMIMOUplink:
    return DeepMIMOUplink(small_scenario, ArrayConfig())


def test_channels_equal_independent_reconstruction(
    uplink: DeepMIMOUplink, small_scenario: Path
) -> None:
    arrays = ArrayConfig()
    facing = o1_layout.base_station_facing_azimuth_deg()
    n_users = len(o1_layout.user_grid(60, 45))
    for bs in range(18):
        h = uplink.bs_channels(bs)
        assert h.shape == (n_users, 8, 4)
        assert h.dtype == np.complex64
        plus = _reconstruct(small_scenario, 0, bs, facing[bs], arrays)
        minus = _reconstruct(small_scenario, 1, bs, facing[bs], arrays)
        assert_close(h.astype(np.complex128), np.concatenate([plus, minus], axis=1))


def test_panel_rotation_matters(uplink: DeepMIMOUplink, small_scenario: Path) -> None:
    """Negative control: a BS facing 180 deg does not match a reconstruction facing 0 deg."""
    bs = 1
    assert o1_layout.base_station_facing_azimuth_deg()[bs] == 180.0
    wrong = _reconstruct(small_scenario, 0, bs, 0.0, ArrayConfig())
    h = uplink.bs_channels(bs)[:, :4].astype(np.complex128)
    assert np.abs(h - wrong).max() / np.abs(wrong).max() > 1e-2


def test_other_array_shapes(small_scenario: Path) -> None:
    arrays = ArrayConfig(bs_panel=(4, 2), ue_antennas=2, spacing_wavelengths=0.5)
    uplink = DeepMIMOUplink(small_scenario, arrays, users=[0, 231, 260, 300, 349])
    bs = 12  # a crossing-street BS facing +90 deg
    h = uplink.bs_channels(bs).astype(np.complex128)
    assert h.shape == (5, 16, 2)
    facing = o1_layout.base_station_facing_azimuth_deg()[bs]
    expected = np.concatenate(
        [_reconstruct(small_scenario, s, bs, facing, arrays) for s in (0, 1)], axis=1
    )[[0, 231, 260, 300, 349]]
    assert_close(h, expected)


def test_positions_and_user_subset(uplink: DeepMIMOUplink, small_scenario: Path) -> None:
    np.testing.assert_allclose(uplink.user_positions, o1_layout.user_grid(60, 45), atol=1e-4)
    np.testing.assert_allclose(uplink.bs_positions, o1_layout.base_station_positions(), atol=1e-4)
    subset = [5, 1, 42]
    partial = DeepMIMOUplink(small_scenario, ArrayConfig(), users=subset)
    np.testing.assert_array_equal(partial.user_positions, uplink.user_positions[subset])
    np.testing.assert_allclose(partial.bs_channels(4), uplink.bs_channels(4)[subset], rtol=1e-6)


def test_scenario_info(small_scenario: Path) -> None:
    info = read_scenario_info(small_scenario)
    assert info.bs_ports == (tuple((0, k) for k in range(18)), tuple((1, k) for k in range(18)))
    assert info.num_bs == 18 and info.user_sets == (2,) and info.synthetic
    assert info.num_users == len(o1_layout.user_grid(60, 45))
    assert info.frequency_hz == pytest.approx(3.5e9)


def test_missing_folder_raises_scenario_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_scenario"
    with pytest.raises(ScenarioNotFoundError) as excinfo:
        DeepMIMOUplink(missing, ArrayConfig())
    assert isinstance(excinfo.value, FileNotFoundError)
    assert str(missing) in str(excinfo.value)
    assert "wmoe scenario generate" in str(excinfo.value)


def test_folder_without_params_raises_scenario_not_found(tmp_path: Path) -> None:
    folder = tmp_path / "empty_scenario"
    folder.mkdir()
    with pytest.raises(FileNotFoundError) as excinfo:
        DeepMIMOUplink(folder, ArrayConfig())
    assert isinstance(excinfo.value, ScenarioNotFoundError)
    assert str(folder / "params.json") in str(excinfo.value)
    assert "wmoe scenario generate" in str(excinfo.value)


@pytest.fixture(scope="module")
def single_pol_scenario(small_scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy whose params.json has only TX set 0 and no ``wmoe`` block (like real O1)."""
    target = tmp_path_factory.mktemp("scen_single_pol") / "o1_scen_single_pol"
    shutil.copytree(small_scenario, target)
    params = json.loads((target / "params.json").read_text())
    del params["wmoe"]
    del params["txrx_sets"]["txrx_set_1"]
    (target / "params.json").write_text(json.dumps(params, indent=2))
    return target


def test_single_polarised_scenario_ports_are_cos45_copies(single_pol_scenario: Path) -> None:
    info = read_scenario_info(single_pol_scenario)
    assert info.bs_ports == (tuple((0, k) for k in range(18)),)
    assert not info.synthetic
    assert info.bs_facing_azimuth_deg == (0.0,) * 18
    arrays = ArrayConfig()
    uplink = DeepMIMOUplink(single_pol_scenario, arrays)
    for bs in (0, 1, 14):
        h = uplink.bs_channels(bs).astype(np.complex128)
        assert h.shape[1] == 8
        np.testing.assert_array_equal(h[:, :4], h[:, 4:])
        # No facing information: every panel keeps DeepMIMO's default broadside (+x).
        single = _reconstruct(single_pol_scenario, 0, bs, 0.0, arrays)
        assert_close(h[:, :4], COS45 * single)

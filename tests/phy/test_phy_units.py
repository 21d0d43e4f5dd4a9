"""Tests for wmoe.phy.units."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from wmoe.phy import units
from wmoe.phy.units import (
    BOLTZMANN,
    db_to_linear,
    dbm_to_watt,
    linear_to_db,
    thermal_noise_dbm,
    watt_to_dbm,
)


def test_thermal_noise_density_at_290_kelvin() -> None:
    assert thermal_noise_dbm(1.0) == pytest.approx(-173.98, abs=0.01)


def test_thermal_noise_scales_with_bandwidth_temperature_and_noise_figure() -> None:
    reference = thermal_noise_dbm(1.0)
    assert thermal_noise_dbm(20e6, noise_figure_db=7.0) == pytest.approx(
        reference + 10 * math.log10(20e6) + 7.0, abs=1e-9
    )
    # k T B in watts, converted by hand.
    expected = 10 * math.log10(BOLTZMANN * 300.0 * 1e6 / 1e-3)
    assert thermal_noise_dbm(1e6, temperature_k=300.0) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bandwidth_hz": 0.0}, "bandwidth_hz must be a positive"),
        ({"bandwidth_hz": -1.0}, "got -1.0"),
        ({"bandwidth_hz": 1.0, "temperature_k": 0.0}, "temperature_k must be a positive"),
    ],
)
def test_thermal_noise_rejects_bad_inputs(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        thermal_noise_dbm(**kwargs)


def test_db_known_values() -> None:
    assert db_to_linear(10.0) == pytest.approx(10.0)
    assert db_to_linear(-3.0) == pytest.approx(0.501187, rel=1e-6)
    assert linear_to_db(100.0) == pytest.approx(20.0)
    assert dbm_to_watt(30.0) == pytest.approx(1.0)
    assert dbm_to_watt(0.0) == pytest.approx(1e-3)
    assert watt_to_dbm(0.2) == pytest.approx(23.0103, abs=1e-4)


def test_scalars_in_give_floats_out_and_arrays_keep_their_shape() -> None:
    assert isinstance(db_to_linear(3.0), float)
    assert isinstance(watt_to_dbm(1.0), float)
    x = np.linspace(-50.0, 50.0, 12).reshape(3, 4)
    assert db_to_linear(x).shape == (3, 4)
    assert dbm_to_watt(x).shape == (3, 4)


def test_round_trips() -> None:
    rng = np.random.default_rng(0)
    x_db = rng.uniform(-100.0, 100.0, size=(5, 7))
    np.testing.assert_allclose(linear_to_db(db_to_linear(x_db)), x_db, atol=1e-10)
    np.testing.assert_allclose(watt_to_dbm(dbm_to_watt(x_db)), x_db, atol=1e-10)
    p_w = rng.uniform(1e-12, 10.0, size=9)
    np.testing.assert_allclose(dbm_to_watt(watt_to_dbm(p_w)), p_w, rtol=1e-12)


def test_zero_power_is_minus_infinity_and_negative_power_raises() -> None:
    assert linear_to_db(0.0) == -math.inf
    with pytest.raises(ValueError, match="power ratios >= 0, got a minimum of -1.0"):
        linear_to_db(np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match=">= 0"):
        watt_to_dbm(-0.5)


def test_phy_sources_import_neither_gymnasium_nor_torch() -> None:
    forbidden = {"gymnasium", "torch"}
    for path in Path(units.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & forbidden, f"{path.name} imports {roots & forbidden}"

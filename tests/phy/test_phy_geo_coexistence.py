"""Tests for wmoe.phy.geo_coexistence: GEO elevation and off-axis geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wmoe.phy.geo_coexistence import (
    GEO_PROTECTION_I_OVER_N_DB,
    geo_elevation_deg,
    geo_position,
    off_axis_angle_deg,
)
from wmoe.phy.orbits import ground_positions, satellite_positions, slant_range_and_elevation


def test_protection_threshold_is_six_percent_noise_rise() -> None:
    assert GEO_PROTECTION_I_OVER_N_DB == pytest.approx(-12.218, abs=1e-3)


@pytest.mark.parametrize(("latitude", "dlon"), [(0.0, 0.0), (5.0, 0.0), (40.0, 10.0)])
def test_geo_elevation_closed_form_matches_geometry(latitude: float, dlon: float) -> None:
    station = ground_positions(latitude, 0.0)[None, :]
    _, elevation = slant_range_and_elevation(station, geo_position(-dlon)[None, :])
    assert geo_elevation_deg(latitude, dlon) == pytest.approx(float(elevation[0, 0]), abs=1e-9)
    assert geo_elevation_deg(0.0) == 90.0


def test_off_axis_angle() -> None:
    # A station under the GEO sees a LEO at its zenith on-axis; one 90 deg away at 90 deg.
    station = ground_positions(0.0, 0.0)[None, :]
    geo = geo_position(0.0)
    leo = satellite_positions(0.0, 0.0, 0.0)
    assert off_axis_angle_deg(station, geo, leo)[0] == pytest.approx(0.0, abs=1e-6)
    east = station[0] + np.array([0.0, 1e6, 0.0])
    assert off_axis_angle_deg(station, geo, east)[0] == pytest.approx(90.0)
    # A LEO 600 km up, 100 km north: atan(100 / 600) off the zenith axis (flat-Earth limit).
    north = station[0] + np.array([600e3, 0.0, 100e3])
    assert off_axis_angle_deg(station, geo, north)[0] == pytest.approx(
        math.degrees(math.atan2(100.0, 600.0))
    )

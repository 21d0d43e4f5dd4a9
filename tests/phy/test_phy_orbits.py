"""Tests for wmoe.phy.orbits."""

from __future__ import annotations

import numpy as np
import pytest

from wmoe.phy.orbits import (
    EARTH_RADIUS_M,
    GEO_ALTITUDE_M,
    LEO_ALTITUDE_M,
    ground_positions,
    ground_positions_from_offsets,
    orbital_period_s,
    satellite_positions,
    slant_range_and_elevation,
    slant_range_from_elevation,
)


def test_leo_600_period_is_about_96_7_minutes() -> None:
    # 96.54 min on the 6371 km mean sphere; 96.69 min with the 6378 km equatorial radius.
    minutes = float(orbital_period_s(LEO_ALTITUDE_M)) / 60.0
    assert minutes == pytest.approx(96.7, abs=0.2)
    assert minutes == pytest.approx(96.539, abs=1e-3)


def test_geo_altitude_gives_one_sidereal_day() -> None:
    assert float(orbital_period_s(GEO_ALTITUDE_M)) == pytest.approx(86_164.1, rel=1e-3)


def test_period_validates_altitude() -> None:
    with pytest.raises(ValueError, match=r"altitude_m must be > 0 .*got a minimum of -1.0"):
        orbital_period_s(np.array([600e3, -1.0]))


def test_nadir_satellite_is_at_90_deg_and_altitude_range() -> None:
    ground = ground_positions(48.0, 11.0)[None, :]
    satellite = satellite_positions(0.0, 48.0, 11.0, heading_deg=30.0)[None, :]
    slant_range, elevation = slant_range_and_elevation(ground, satellite)
    assert slant_range.shape == (1, 1)
    assert slant_range[0, 0] == pytest.approx(LEO_ALTITUDE_M, rel=1e-12)
    assert elevation[0, 0] == pytest.approx(90.0, abs=1e-6)


def test_geometry_matches_closed_form_slant_range() -> None:
    times = np.linspace(-200.0, 200.0, 41)  # a pass of +-200 s around the zenith
    headings = np.array([0.0, 45.0, 120.0])
    satellites = satellite_positions(times[:, None], 10.0, 20.0, headings[None, :]).reshape(-1, 3)
    ground = ground_positions_from_offsets(
        np.array([0.0, 5e3, -20e3]), np.array([0.0, 1e3, 15e3]), 10.0, 20.0
    )
    slant_range, elevation = slant_range_and_elevation(ground, satellites)
    assert slant_range.shape == (3, 41 * 3)
    visible = elevation >= 0.0
    assert visible.mean() > 0.9
    np.testing.assert_allclose(
        slant_range[visible], slant_range_from_elevation(elevation[visible]), rtol=1e-9
    )


def test_closed_form_endpoints() -> None:
    assert float(slant_range_from_elevation(90.0)) == pytest.approx(LEO_ALTITUDE_M)
    horizon = np.sqrt((EARTH_RADIUS_M + LEO_ALTITUDE_M) ** 2 - EARTH_RADIUS_M**2)
    assert float(slant_range_from_elevation(0.0)) == pytest.approx(horizon)
    with pytest.raises(ValueError, match=r"elevation_deg must lie in \[0, 90\]"):
        slant_range_from_elevation(np.array([10.0, 95.0]))


def test_satellite_moves_along_its_heading_at_orbital_speed() -> None:
    period = float(orbital_period_s())
    positions = satellite_positions(np.array([0.0, 1.0]), 0.0, 0.0, heading_deg=90.0)
    speed = np.linalg.norm(positions[1] - positions[0])
    assert speed == pytest.approx(2 * np.pi * (EARTH_RADIUS_M + LEO_ALTITUDE_M) / period, rel=1e-6)
    assert positions[1, 1] > 0.0 and abs(positions[1, 2]) < 1e-6  # eastward along the equator
    np.testing.assert_allclose(
        np.linalg.norm(satellite_positions(np.linspace(0, period, 7)), axis=-1),
        EARTH_RADIUS_M + LEO_ALTITUDE_M,
    )


def test_offsets_walk_great_circles_on_the_sphere() -> None:
    points = ground_positions_from_offsets(np.array([0.0, 1e5]), np.array([1e5, 0.0]), 0.0, 0.0)
    np.testing.assert_allclose(np.linalg.norm(points, axis=-1), EARTH_RADIUS_M)
    angle_deg = np.rad2deg(1e5 / EARTH_RADIUS_M)
    np.testing.assert_allclose(points[0], ground_positions(angle_deg, 0.0), atol=1e-6)
    np.testing.assert_allclose(points[1], ground_positions(0.0, angle_deg), atol=1e-6)


def test_ground_positions_validate() -> None:
    np.testing.assert_allclose(ground_positions(90.0, 0.0), [0.0, 0.0, EARTH_RADIUS_M], atol=1e-6)
    with pytest.raises(ValueError, match=r"latitude_deg must lie in \[-90, 90\]"):
        ground_positions(100.0, 0.0)
    with pytest.raises(ValueError, match="altitude_m must be >= 0"):
        ground_positions(0.0, 0.0, -5.0)
    with pytest.raises(ValueError, match=r"ground_m must have shape \(..., N, 3\)"):
        slant_range_and_elevation(np.zeros(3), np.ones((1, 3)))
    with pytest.raises(ValueError, match="Earth's centre"):
        slant_range_and_elevation(np.zeros((1, 3)), np.ones((1, 3)))


def test_batched_geometry_broadcasts_leading_dims() -> None:
    ground = ground_positions_from_offsets(np.zeros((4, 2)), np.zeros((4, 2)))  # (4, 2, 3)
    satellites = satellite_positions(np.arange(3.0) * 60.0)[None]  # (1, 3, 3)
    slant_range, elevation = slant_range_and_elevation(ground, satellites)
    assert slant_range.shape == elevation.shape == (4, 2, 3)
    assert np.all(np.diff(elevation[0, 0]) < 0.0)  # the satellite sets after overhead

"""Tests for wmoe.phy.satellite_antennas: array factor, element and earth-station patterns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wmoe.phy.arrays import steering_vectors, upa_positions
from wmoe.phy.orbits import EARTH_RADIUS_M, satellite_positions
from wmoe.phy.satellite_antennas import (
    array_frame,
    direction_cosines,
    dirichlet_kernel,
    earth_station_gain_dbi,
    earth_station_max_gain_dbi,
    element_gain_db,
    upa_gram,
)


def test_gram_matches_explicit_steering_vectors() -> None:
    rng = np.random.default_rng(0)
    uv = rng.uniform(-0.6, 0.6, size=(5, 2))
    # Array axes = DeepMIMO's y (u) and z (v); broadside +x: u = sin(zen) sin(az), v = cos(zen).
    zenith = np.arccos(uv[:, 1])
    azimuth = np.arcsin(uv[:, 0] / np.sin(zenith))
    a = steering_vectors(upa_positions(6, 4, 0.5), azimuth, zenith)
    np.testing.assert_allclose(upa_gram(uv, (6, 4)), np.conj(a) @ a.T, atol=1e-9)


def test_boresight_gain_is_the_number_of_elements() -> None:
    gram = upa_gram(np.array([[0.1, -0.2]]), (32, 32))
    assert gram[0, 0] == pytest.approx(1024.0)
    # Matched beam at boresight: |a^H a / sqrt(N)|^2 = N, plus the 8 dBi element.
    assert 10 * math.log10(1024) + float(element_gain_db(0.0)) == pytest.approx(38.1, abs=0.05)


def test_dirichlet_first_null_and_grating_lobe() -> None:
    n = 8
    assert abs(dirichlet_kernel(np.array(2.0 / n), n)) < 1e-12  # first null at x = 1 / (N d)
    assert dirichlet_kernel(np.array(2.0), n) == pytest.approx(n)  # grating lobe at d = 1/2
    # Half-power point: |AF / N|^2 = 1/2 at x = 0.886 / (2 N d) for d = 1/2.
    x = np.linspace(1e-4, 0.2, 2001)
    power = np.abs(dirichlet_kernel(x, n)) ** 2 / n**2
    x3 = x[np.argmin(np.abs(power - 0.5))]
    assert x3 == pytest.approx(0.886 / n, rel=0.01)


def test_element_pattern_table_7_3_1() -> None:
    np.testing.assert_allclose(element_gain_db(np.array([0.0, 65.0, 180.0])), [8.0, -4.0, -22.0])


def test_array_frame_and_direction_cosines() -> None:
    satellite = satellite_positions(np.array([0.0, 1.0]), heading_deg=0.0)
    frame = array_frame(satellite[0], satellite[1] - satellite[0])
    np.testing.assert_allclose(frame @ frame.T, np.eye(3), atol=1e-12)
    target = np.array([[EARTH_RADIUS_M, 0.0, 0.0], [EARTH_RADIUS_M, 0.0, 1e5]])
    cosines, distance = direction_cosines(satellite[0], frame, target)
    np.testing.assert_allclose(cosines[0], [0.0, 0.0, 1.0], atol=1e-12)  # nadir point
    assert distance[0] == pytest.approx(600e3)
    assert cosines[1, 0] == pytest.approx(1e5 / math.hypot(1e5, 600e3), rel=1e-6)  # north


def test_earth_station_pattern_s465() -> None:
    g_max = earth_station_max_gain_dbi(0.6, 20e9)
    ratio = 0.6 * 20e9 / 299_792_458.0
    assert g_max == pytest.approx(10 * math.log10(0.65 * (math.pi * ratio) ** 2))
    gains = earth_station_gain_dbi(np.array([0.0, 10.0, 20.0, 60.0, 180.0]), 0.6, 20e9)
    np.testing.assert_allclose(gains, [g_max, 7.0, 32 - 25 * math.log10(20), -10.0, -10.0])
    fine = earth_station_gain_dbi(np.linspace(0, 180, 1801), 0.6, 20e9)
    assert np.all(np.diff(fine) <= 0.05)  # S.465 steps up by 0.03 dB to -10 dBi at 48 deg
    with pytest.raises(ValueError, match=r"off_axis_deg must lie in \[0, 180\]"):
        earth_station_gain_dbi(-1.0, 0.6, 20e9)


def test_gram_takes_one_array_size_per_set_of_directions() -> None:
    rng = np.random.default_rng(3)
    directions = rng.uniform(-0.5, 0.5, size=(3, 5, 2))
    sizes = np.array([[32, 32], [12, 12], [6, 4]])
    batch = upa_gram(directions, sizes)
    for i in range(3):
        np.testing.assert_array_equal(batch[i], upa_gram(directions[i], tuple(sizes[i])))
    with pytest.raises(ValueError, match=r"one pair per set of directions, shape \(3, 2\)"):
        upa_gram(directions, sizes[:2])


def test_gram_rejects_a_bad_spacing() -> None:
    with pytest.raises(ValueError, match="spacing must be > 0 wavelengths"):
        upa_gram(np.zeros((2, 2)), (4, 4), spacing=0.0)

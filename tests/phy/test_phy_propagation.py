"""Tests for wmoe.phy.propagation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wmoe.phy.propagation import (
    ITU_MATERIALS,
    complex_relative_permittivity,
    free_space_path_loss_db,
    fresnel_reflection,
    material_permittivity,
)


def test_fspl_at_one_metre_and_3p5_ghz() -> None:
    assert free_space_path_loss_db(1.0, 3.5e9) == pytest.approx(43.33, abs=0.01)
    assert isinstance(free_space_path_loss_db(1.0, 3.5e9), float)


def test_fspl_grows_20_db_per_decade_of_distance_and_frequency() -> None:
    distance = np.array([1.0, 10.0, 100.0, 1000.0])
    loss = free_space_path_loss_db(distance, 28e9)
    np.testing.assert_allclose(np.diff(loss), 20.0, atol=1e-10)
    assert free_space_path_loss_db(5.0, 35e9) - free_space_path_loss_db(5.0, 3.5e9) == (
        pytest.approx(20.0, abs=1e-10)
    )


def test_fspl_broadcasts_and_validates() -> None:
    loss = free_space_path_loss_db(np.array([[1.0], [2.0]]), np.array([1e9, 2e9, 3e9]))
    assert loss.shape == (2, 3)
    with pytest.raises(ValueError, match=r"distance_m must be positive .*got a minimum of 0.0"):
        free_space_path_loss_db(np.array([1.0, 0.0]), 3.5e9)
    with pytest.raises(ValueError, match="frequency_hz must be positive"):
        free_space_path_loss_db(1.0, -3.5e9)


def test_complex_permittivity_matches_itu_numerical_form() -> None:
    eta = complex_relative_permittivity(5.0, 0.1, 2e9)
    assert eta.real == 5.0
    assert eta.imag == pytest.approx(-17.98 * 0.1 / 2.0, rel=1e-3)
    assert complex_relative_permittivity(3.0, 0.0, 1e9) == 3.0 + 0j
    with pytest.raises(ValueError, match="conductivity_s_per_m must be >= 0"):
        complex_relative_permittivity(3.0, -1.0, 1e9)
    with pytest.raises(ValueError, match="real_permittivity must be positive"):
        complex_relative_permittivity(0.0, 1.0, 1e9)
    with pytest.raises(ValueError, match="frequency_hz must be positive"):
        complex_relative_permittivity(3.0, 1.0, 0.0)


def test_concrete_at_3p5_ghz_from_the_table_formula() -> None:
    f_ghz = 3.5
    sigma = 0.0462 * f_ghz**0.7822
    eta = material_permittivity("concrete", f_ghz * 1e9)
    assert eta.real == pytest.approx(5.24)
    assert eta.imag == pytest.approx(-17.98 * sigma / f_ghz, rel=1e-3)
    assert eta.imag == pytest.approx(-0.632, abs=1e-3)


def test_listed_itu_materials() -> None:
    assert ITU_MATERIALS["concrete"] == (5.24, 0.0, 0.0462, 0.7822)
    assert ITU_MATERIALS["brick"] == (3.91, 0.0, 0.0238, 0.16)
    assert ITU_MATERIALS["glass"] == (6.31, 0.0, 0.0036, 1.3394)
    assert ITU_MATERIALS["medium_dry_ground"] == (15.0, -0.1, 0.035, 1.63)
    assert ITU_MATERIALS["very_dry_ground"] == (3.0, 0.0, 0.00015, 2.52)
    # The frequency exponent b of the ground's real permittivity is applied.
    assert material_permittivity("medium_dry_ground", 10e9).real == pytest.approx(15 * 10**-0.1)


def test_material_errors() -> None:
    with pytest.raises(ValueError, match=r"unknown material 'unobtainium'.*concrete"):
        material_permittivity("unobtainium", 3.5e9)
    with pytest.raises(ValueError, match="frequency_hz must be positive"):
        material_permittivity("concrete", 0.0)


@pytest.mark.parametrize("eta", [5.24 + 0j, material_permittivity("concrete", 3.5e9), 81 - 70j])
def test_fresnel_normal_incidence(eta: complex) -> None:
    gamma_te, gamma_tm = fresnel_reflection(eta, 0.0)
    expected = (1 - np.sqrt(eta)) / (1 + np.sqrt(eta))
    assert complex(gamma_te) == pytest.approx(expected, abs=1e-12)
    assert complex(gamma_tm) == pytest.approx(-expected, abs=1e-12)  # sign convention


def test_fresnel_grazing_incidence_reflects_fully() -> None:
    eta = np.array([2.0, 5.24 - 0.64j, 15.0 - 3.0j])
    gamma_te, gamma_tm = fresnel_reflection(eta, np.pi / 2 - 1e-6)
    np.testing.assert_allclose(np.abs(gamma_te), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.abs(gamma_tm), 1.0, atol=1e-5)
    np.testing.assert_allclose(fresnel_reflection(eta, np.pi / 2)[0], -1.0, atol=1e-12)


def test_tm_vanishes_at_brewster_angle_only() -> None:
    eps = 4.0
    brewster = np.arctan(np.sqrt(eps))
    gamma_te, gamma_tm = fresnel_reflection(eps, brewster)
    assert abs(gamma_tm) < 1e-12
    assert abs(gamma_te) > 0.2
    assert abs(fresnel_reflection(eps, brewster - 0.1)[1]) > 1e-2


def test_fresnel_matches_snell_law_form_for_a_lossless_dielectric() -> None:
    eps = 6.31
    n = math.sqrt(eps)
    theta = np.linspace(0.0, 1.5, 7)
    cos_i = np.cos(theta)
    cos_t = np.cos(np.arcsin(np.sin(theta) / n))  # Snell's law
    perpendicular = (cos_i - n * cos_t) / (cos_i + n * cos_t)
    parallel_balanis = (cos_t - n * cos_i) / (cos_t + n * cos_i)
    gamma_te, gamma_tm = fresnel_reflection(eps, theta)
    assert gamma_te.shape == gamma_tm.shape == (7,)
    np.testing.assert_allclose(gamma_te, perpendicular, atol=1e-12)
    np.testing.assert_allclose(gamma_tm, -parallel_balanis, atol=1e-12)


def test_lossy_medium_reflects_less_than_one_and_total_reflection_is_evanescent() -> None:
    theta = np.linspace(0.0, 1.4, 5)
    gamma_te, gamma_tm = fresnel_reflection(material_permittivity("concrete", 3.5e9), theta)
    assert np.all(np.abs(gamma_te) < 1.0)
    assert np.all(np.abs(gamma_tm) < 1.0)
    # eta < sin^2(theta): total reflection with the decaying root cos_t = -1j * sqrt(0.5)
    # (the growing root +1j * sqrt(0.5) would give the complex conjugate).
    gamma_te, _ = fresnel_reflection(0.25, np.pi / 3)
    cos_t = -1j * np.sqrt(0.5)
    assert complex(gamma_te) == pytest.approx((0.5 - cos_t) / (0.5 + cos_t), abs=1e-12)
    assert complex(gamma_te).imag > 0.0


def test_fresnel_validation() -> None:
    with pytest.raises(ValueError, match=r"Im\(eta\) <= 0.*maximum imaginary part of 1.0"):
        fresnel_reflection(5.0 + 1.0j, 0.1)
    with pytest.raises(ValueError, match=r"\[0, pi/2\]"):
        fresnel_reflection(5.0, np.array([0.1, 2.0]))

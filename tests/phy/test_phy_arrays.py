"""Tests for wmoe.phy.arrays."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from wmoe.phy.arrays import (
    SLANT_ANGLES_DEG,
    dual_polarized_response,
    slant_port_gains,
    steering_vectors,
    ula_positions,
    upa_positions,
)


def test_ula_positions_lie_along_y() -> None:
    pos = ula_positions(4, spacing=0.5)
    expected = np.array([[0.0, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 1.5, 0.0]])
    np.testing.assert_array_equal(pos, expected)


def test_upa_ordering_matches_loops() -> None:
    mx, my, d = 3, 4, 0.7
    expected = np.zeros((mx * my, 3))
    for iz in range(my):
        for iy in range(mx):
            expected[iz * mx + iy] = (0.0, iy * d, iz * d)
    np.testing.assert_array_equal(upa_positions(mx, my, spacing=d), expected)


def test_ula_steering_matches_closed_form_for_half_wavelength() -> None:
    rng = np.random.default_rng(1)
    n = 8
    azimuth = rng.uniform(-np.pi, np.pi, size=5)
    zenith = rng.uniform(0.0, np.pi, size=5)
    a = steering_vectors(ula_positions(n), azimuth, zenith)
    index = np.arange(n)
    expected = np.exp(1j * np.pi * index * (np.sin(zenith) * np.sin(azimuth))[:, None])
    assert a.shape == (5, n)
    np.testing.assert_allclose(a, expected, atol=1e-12)


def test_upa_steering_matches_per_element_loop() -> None:
    mx, my, d = 2, 3, 0.5
    pos = upa_positions(mx, my, spacing=d)
    phi, theta = 0.4, 1.1
    a = steering_vectors(pos, phi, theta)
    u = (np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta))
    for iz in range(my):
        for iy in range(mx):
            phase = 2 * np.pi * (iy * d * u[1] + iz * d * u[2])
            assert a[iz * mx + iy] == pytest.approx(np.exp(1j * phase), abs=1e-12)


def test_steering_broadcasts_angles() -> None:
    a = steering_vectors(ula_positions(3), np.zeros((4, 1)), np.full((1, 5), 0.3))
    assert a.shape == (4, 5, 3)
    assert a.dtype == np.complex128
    np.testing.assert_allclose(np.abs(a), 1.0)


def test_matched_beam_gain_is_n_and_adjacent_dft_direction_is_null() -> None:
    n = 16
    pos = ula_positions(n)
    a0 = steering_vectors(pos, 0.0, np.pi / 2)
    # Half-wavelength ULA: sin(phi) differing by 2/N is the next orthogonal DFT direction.
    a1 = steering_vectors(pos, np.arcsin(2.0 / n), np.pi / 2)
    assert abs(np.vdot(a0, a0)) == pytest.approx(n)
    assert abs(np.vdot(a0, a1)) < 1e-10
    # A direction half-way between them is not a null.
    a_half = steering_vectors(pos, np.arcsin(1.0 / n), np.pi / 2)
    assert abs(np.vdot(a0, a_half)) > 1.0


def test_matches_deepmimo_array_response() -> None:
    geometry = pytest.importorskip("deepmimo.generator.geometry")
    mx, my = 4, 2
    theta, phi = 0.9, -0.6
    ant_ind = geometry._ant_indices((mx, my))
    expected = geometry._array_response(ant_ind, theta, phi, 2 * np.pi * 0.5)
    np.testing.assert_array_equal(upa_positions(mx, my), 0.5 * ant_ind)
    a = steering_vectors(upa_positions(mx, my), phi, theta)
    np.testing.assert_allclose(a, np.ravel(expected), atol=1e-12)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ula_positions(0), "num_elements must be an integer >= 1, got 0"),
        (lambda: upa_positions(2, 0), "num_vertical must be an integer >= 1, got 0"),
        (lambda: ula_positions(4, spacing=-0.5), "spacing must be a positive"),
        (lambda: steering_vectors(np.zeros((4, 2)), 0.0, 0.0), r"shape \(N, 3\).*\(4, 2\)"),
        (lambda: steering_vectors(np.zeros((4, 3)), np.zeros(2), np.zeros(3)), "broadcast"),
        (lambda: slant_port_gains(np.ones(2), np.ones(2), ()), "slant_deg is empty"),
        (lambda: dual_polarized_response(np.ones(3), np.complex128(1.0)), "last axis"),
    ],
)
def test_input_validation(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_slant_gains_of_pure_vertical_field() -> None:
    g = slant_port_gains(np.array(1.0), np.array(0.0))
    assert SLANT_ANGLES_DEG == (45.0, -45.0)
    np.testing.assert_allclose(g, [np.cos(np.pi / 4), np.cos(np.pi / 4)], atol=1e-15)


def test_slant_gains_of_orthogonal_fields_are_orthogonal() -> None:
    g_v = slant_port_gains(np.array(1.0), np.array(0.0))
    g_h = slant_port_gains(np.array(0.0), np.array(1.0))
    np.testing.assert_allclose(g_h, [np.sin(np.pi / 4), -np.sin(np.pi / 4)], atol=1e-15)
    assert abs(np.vdot(g_v, g_h)) < 1e-15
    # A single-slant (co-polar) pair is not orthogonal: the test above can fail.
    g_v1 = slant_port_gains(np.array(1.0), np.array(0.0), (30.0, 30.0))
    g_h1 = slant_port_gains(np.array(0.0), np.array(1.0), (30.0, 30.0))
    assert abs(np.vdot(g_v1, g_h1)) > 0.1


def test_slant_gains_are_linear_and_batched() -> None:
    rng = np.random.default_rng(2)
    fv = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    fh = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    g = slant_port_gains(fv, fh, (10.0, 20.0, -70.0))
    assert g.shape == (3, 4, 3)
    zeta = np.deg2rad(20.0)
    np.testing.assert_allclose(g[..., 1], np.cos(zeta) * fv + np.sin(zeta) * fh)


def test_dual_polarized_response_is_port_major() -> None:
    rng = np.random.default_rng(3)
    a = steering_vectors(ula_positions(5), rng.uniform(size=(2, 3)), rng.uniform(size=(2, 3)))
    g = slant_port_gains(rng.standard_normal((2, 3)), rng.standard_normal((2, 3)))
    r = dual_polarized_response(a, g)
    assert r.shape == (2, 3, 10)
    np.testing.assert_allclose(r[..., :5], g[..., 0:1] * a)
    np.testing.assert_allclose(r[..., 5:], g[..., 1:2] * a)


def test_dual_polarized_response_broadcasts_leading_dimensions() -> None:
    a = steering_vectors(ula_positions(4), np.zeros(6), np.full(6, np.pi / 2))  # (6, 4)
    g = np.array([1.0, 2.0j])  # shared by every direction
    r = dual_polarized_response(a, g)
    assert r.shape == (6, 8)
    np.testing.assert_allclose(r[:, 4:], 2.0j * a)

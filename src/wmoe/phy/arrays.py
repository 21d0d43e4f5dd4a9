"""Antenna array geometry, steering vectors and dual-polarised port responses.

Conventions follow the DeepMIMO v4 channel generator (``deepmimo.generator.geometry``), so
that responses built here can be compared entry by entry with DeepMIMO channels:

* element positions are in wavelengths, shape ``(N, 3)``, ordered ``(x, y, z)``;
* a panel of ``Mx`` by ``My`` elements lies in the y-z plane with broadside along +x: element
  ``n = iz * Mx + iy`` sits at ``(0, iy * d, iz * d)``; a ULA of ``N`` elements is the panel
  ``(N, 1)``, i.e. it lies along y;
* directions are given by the azimuth ``phi`` (from +x towards +y) and the zenith (polar)
  angle ``theta`` (from +z), both in radians, and the response is the unnormalised
  ``exp(+1j * 2 * pi * p @ u)`` with ``u = (sin theta cos phi, sin theta sin phi, cos theta)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

SLANT_ANGLES_DEG: tuple[float, ...] = (45.0, -45.0)
"""Slant angles [deg] of a cross-polarised (+45/-45) panel, 3GPP TR 38.901 Sec. 7.3."""


def _check_count(name: str, value: int) -> None:
    """Raise a ValueError unless ``value`` is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(
            f"{name} must be an integer >= 1, got {value!r}; pass a positive number of elements."
        )


def _check_spacing(spacing: float) -> None:
    """Raise a ValueError unless ``spacing`` is a positive finite number of wavelengths."""
    if not (math.isfinite(spacing) and spacing > 0.0):
        raise ValueError(
            f"spacing must be a positive finite distance in wavelengths, got {spacing!r}; "
            "pass e.g. 0.5 for half-wavelength spacing."
        )


def upa_positions(
    num_horizontal: int, num_vertical: int, spacing: float = 0.5
) -> NDArray[np.float64]:
    """Element positions of a uniform planar array (UPA) in the y-z plane.

    Same geometry and element order as DeepMIMO v4's panel of size
    ``(num_horizontal, num_vertical)``: element ``n = iz * num_horizontal + iy`` sits at
    ``(0, iy * spacing, iz * spacing)``, so the horizontal index runs fastest and the
    broadside is +x.

    Source: uniform rectangular array, H. L. Van Trees, *Optimum Array Processing*, Wiley 2002,
    Sec. 4.1; element order of the DeepMIMO v4 generator.

    Args:
        num_horizontal: Number of elements ``Mx`` along y (horizontal), ``>= 1``.
        num_vertical: Number of elements ``My`` along z (vertical), ``>= 1``.
        spacing: Inter-element spacing [wavelengths], ``> 0``.

    Returns:
        Positions [wavelengths], shape ``(num_horizontal * num_vertical, 3)``.

    Raises:
        ValueError: If a count is not an integer >= 1 or the spacing is not positive.
    """
    _check_count("num_horizontal", num_horizontal)
    _check_count("num_vertical", num_vertical)
    _check_spacing(spacing)
    positions = np.zeros((num_horizontal * num_vertical, 3), dtype=np.float64)
    positions[:, 1] = spacing * np.tile(np.arange(num_horizontal), num_vertical)
    positions[:, 2] = spacing * np.repeat(np.arange(num_vertical), num_horizontal)
    return positions


def ula_positions(num_elements: int, spacing: float = 0.5) -> NDArray[np.float64]:
    """Element positions of a uniform linear array (ULA) along y.

    This is the DeepMIMO v4 panel ``(num_elements, 1)``: element ``n`` sits at
    ``(0, n * spacing, 0)``.

    Source: H. L. Van Trees, *Optimum Array Processing*, Wiley 2002, Sec. 2.2.

    Args:
        num_elements: Number of elements ``N``, ``>= 1``.
        spacing: Inter-element spacing [wavelengths], ``> 0``.

    Returns:
        Positions [wavelengths], shape ``(num_elements, 3)``.

    Raises:
        ValueError: If ``num_elements`` is not an integer >= 1 or the spacing is not positive.
    """
    _check_count("num_elements", num_elements)
    return upa_positions(num_elements, 1, spacing)


def steering_vectors(
    positions: NDArray[Any],
    azimuth_rad: NDArray[Any] | float,
    zenith_rad: NDArray[Any] | float,
) -> NDArray[np.complex128]:
    """Far-field array responses (steering vectors) for a batch of directions.

    ``a[..., n] = exp(+1j * 2 * pi * positions[n] @ u)`` with the unit direction
    ``u = (sin(zenith) cos(azimuth), sin(zenith) sin(azimuth), cos(zenith))``. The entries have
    unit modulus (no ``1/sqrt(N)`` normalisation), as in DeepMIMO v4.

    Source: plane-wave array manifold, H. L. Van Trees, *Optimum Array Processing*, Wiley 2002,
    Sec. 2.2; sign and angle conventions of the DeepMIMO v4 generator.

    Args:
        positions: Element positions [wavelengths], shape ``(N, 3)``.
        azimuth_rad: Azimuth angles [rad], measured from +x towards +y.
        zenith_rad: Zenith (polar) angles [rad], measured from +z; broadcast with
            ``azimuth_rad``.

    Returns:
        Complex responses, shape ``(*broadcast(azimuth_rad, zenith_rad).shape, N)``.

    Raises:
        ValueError: If ``positions`` does not have shape ``(N, 3)`` or the angle shapes do not
            broadcast.
    """
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise ValueError(
            f"positions must have shape (N, 3) in wavelengths, got shape {pos.shape}; "
            "build them with ula_positions or upa_positions."
        )
    azimuth = np.asarray(azimuth_rad, dtype=np.float64)
    zenith = np.asarray(zenith_rad, dtype=np.float64)
    try:
        shape = np.broadcast_shapes(azimuth.shape, zenith.shape)
    except ValueError as err:
        raise ValueError(
            f"azimuth_rad shape {azimuth.shape} and zenith_rad shape {zenith.shape} do not "
            "broadcast; pass angles of the same shape (one entry per direction)."
        ) from err
    sin_zenith = np.sin(zenith)
    direction = np.empty((*shape, 3), dtype=np.float64)
    direction[..., 0] = sin_zenith * np.cos(azimuth)
    direction[..., 1] = sin_zenith * np.sin(azimuth)
    direction[..., 2] = np.cos(zenith)
    return np.exp(2j * np.pi * (direction @ pos.T))


def slant_port_gains(
    field_v: NDArray[Any],
    field_h: NDArray[Any],
    slant_deg: tuple[float, ...] = SLANT_ANGLES_DEG,
) -> NDArray[np.complex128]:
    """Complex gains of slanted dipole ports for a field with vertical and horizontal parts.

    A dipole slanted by ``zeta`` from vertical has the polarisation vector
    ``(cos zeta, sin zeta)`` in the (vertical = theta-hat, horizontal = phi-hat) basis
    (3GPP TR 38.901 Sec. 7.3.2, polarisation model 2, eqs. (7.3-4) and (7.3-5), with the
    element pattern factored out). Its port gain for an incident field with complex components
    ``(field_v, field_h)`` is the projection
    ``gain_p = cos(zeta_p) * field_v + sin(zeta_p) * field_h``. With the default +45/-45
    degree slants, the port-gain vectors of a pure vertical and a pure horizontal field are
    orthogonal.

    Args:
        field_v: Vertical (theta-hat) field components [complex, dimensionless], any shape.
        field_h: Horizontal (phi-hat) field components [complex, dimensionless]; broadcast
            with ``field_v``.
        slant_deg: Slant angles ``zeta_p`` of the ``P`` ports [deg], measured from vertical.

    Returns:
        Port gains, shape ``(*broadcast(field_v, field_h).shape, P)``.

    Raises:
        ValueError: If ``slant_deg`` is empty.
    """
    if len(slant_deg) == 0:
        raise ValueError(
            "slant_deg is empty; pass at least one slant angle in degrees, "
            f"e.g. {SLANT_ANGLES_DEG} for a cross-polarised panel."
        )
    zeta = np.deg2rad(np.asarray(slant_deg, dtype=np.float64))
    vertical = np.asarray(field_v, dtype=np.complex128)[..., np.newaxis]
    horizontal = np.asarray(field_h, dtype=np.complex128)[..., np.newaxis]
    return np.cos(zeta) * vertical + np.sin(zeta) * horizontal


def dual_polarized_response(
    steering: NDArray[Any], port_gains: NDArray[Any]
) -> NDArray[np.complex128]:
    """Response of a polarised array: each port group is the steering vector times its gain.

    The ``P * N`` antenna ports are ordered port-major, ``[g_0 * a, g_1 * a, ...]``: all
    ``N`` elements of polarisation 0 first, then those of polarisation 1, as in the
    co-located cross-polarised panel of 3GPP TR 38.901 Sec. 7.3, with the element field
    pattern of each polarisation folded into its port gain ``g_p``.

    Args:
        steering: Steering vectors ``a`` [complex, dimensionless], shape ``(..., N)``.
        port_gains: Port gains ``g`` [complex, dimensionless], shape ``(..., P)``, e.g. from
            :func:`slant_port_gains`; leading dimensions broadcast with ``steering``.

    Returns:
        Responses, shape ``(..., P * N)``.

    Raises:
        ValueError: If either input is a scalar (it needs a last axis).
    """
    a = np.asarray(steering, dtype=np.complex128)
    g = np.asarray(port_gains, dtype=np.complex128)
    if a.ndim == 0 or g.ndim == 0:
        raise ValueError(
            f"steering (shape {a.shape}) and port_gains (shape {g.shape}) need a last axis of "
            "elements and ports; pass arrays of shape (..., N) and (..., P)."
        )
    response = g[..., :, np.newaxis] * a[..., np.newaxis, :]
    return response.reshape(*response.shape[:-2], response.shape[-2] * response.shape[-1])

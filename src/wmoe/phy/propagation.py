"""Free-space path loss, material permittivity and Fresnel reflection coefficients."""

from __future__ import annotations

import math
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from wmoe.phy.units import SPEED_OF_LIGHT

_VACUUM_PERMITTIVITY = 8.8541878188e-12  # [F/m], CODATA 2022

ITU_MATERIALS: dict[str, tuple[float, float, float, float]] = {
    "concrete": (5.24, 0.0, 0.0462, 0.7822),
    "brick": (3.91, 0.0, 0.0238, 0.16),
    "plasterboard": (2.73, 0.0, 0.0085, 0.9395),
    "wood": (1.99, 0.0, 0.0047, 1.0718),
    "glass": (6.31, 0.0, 0.0036, 1.3394),
    "ceiling_board": (1.48, 0.0, 0.0011, 1.0750),
    "chipboard": (2.58, 0.0, 0.0217, 0.7800),
    "plywood": (2.71, 0.0, 0.33, 0.0),
    "marble": (7.074, 0.0, 0.0055, 0.9262),
    "floorboard": (3.66, 0.0, 0.0044, 1.3515),
    "metal": (1.0, 0.0, 1.0e7, 0.0),
    "very_dry_ground": (3.0, 0.0, 0.00015, 2.52),
    "medium_dry_ground": (15.0, -0.1, 0.035, 1.63),
    "wet_ground": (30.0, -0.4, 0.15, 1.30),
}
"""ITU-R P.2040-3 Table 3: material -> ``(a, b, c, d)`` with ``eps' = a * f_GHz**b`` and
``sigma = c * f_GHz**d`` [S/m].

Table 3 gives these fits for limited bands (GHz): concrete, plasterboard, ceiling_board,
chipboard, metal 1-100; brick, plywood 1-40; marble 1-60; wood 0.001-100; glass 0.1-100;
floorboard 50-100; the three grounds 1-10. Outside its band a fit is an extrapolation.
"""


def _check_positive(name: str, value: NDArray[np.float64], unit: str, example: str) -> None:
    """Raise a ValueError unless every entry of ``value`` is positive and finite."""
    if not np.all(np.isfinite(value) & (value > 0.0)):
        raise ValueError(
            f"{name} must be positive and finite [{unit}], got a minimum of "
            f"{float(np.min(value))}; pass e.g. {example}."
        )


@overload
def free_space_path_loss_db(distance_m: float, frequency_hz: float) -> float: ...
@overload
def free_space_path_loss_db(
    distance_m: NDArray[Any], frequency_hz: float | NDArray[Any]
) -> NDArray[np.float64]: ...
@overload
def free_space_path_loss_db(
    distance_m: float, frequency_hz: NDArray[Any]
) -> NDArray[np.float64]: ...
def free_space_path_loss_db(
    distance_m: float | NDArray[Any], frequency_hz: float | NDArray[Any]
) -> float | NDArray[np.float64]:
    """Free-space path loss between isotropic antennas (Friis), ``20 log10(4 pi d f / c)``.

    Source: ITU-R P.525-4, eq. (4) (basic free-space transmission loss); H. T. Friis, "A note
    on a simple transmission formula", Proc. IRE 34, 1946.

    Args:
        distance_m: Link distance [m], ``> 0``.
        frequency_hz: Carrier frequency [Hz], ``> 0``; broadcast with ``distance_m``.

    Returns:
        Path loss [dB], a float for scalar inputs, else an array of the broadcast shape.

    Raises:
        ValueError: If a distance or a frequency is not positive and finite.
    """
    distance = np.asarray(distance_m, dtype=np.float64)
    frequency = np.asarray(frequency_hz, dtype=np.float64)
    _check_positive("distance_m", distance, "m", "10.0")
    _check_positive("frequency_hz", frequency, "Hz", "3.5e9")
    return 20.0 * np.log10(4.0 * np.pi * distance * frequency / SPEED_OF_LIGHT)


def complex_relative_permittivity(
    real_permittivity: float, conductivity_s_per_m: float, frequency_hz: float
) -> complex:
    """Complex relative permittivity of a lossy medium, ``eps' - 1j * sigma / (2 pi f eps0)``.

    Numerically ``eps' - 1j * 17.98 * sigma / f_GHz``. The negative imaginary part goes with
    the ``exp(+1j * omega * t)`` time convention.

    Source: ITU-R P.2040-3, eq. (9b).

    Args:
        real_permittivity: Real relative permittivity ``eps'`` [dimensionless], ``> 0``.
        conductivity_s_per_m: Conductivity ``sigma`` [S/m], ``>= 0``.
        frequency_hz: Frequency [Hz], ``> 0``.

    Returns:
        The complex relative permittivity ``eta`` [dimensionless].

    Raises:
        ValueError: If an argument is out of its range.
    """
    if not (math.isfinite(real_permittivity) and real_permittivity > 0.0):
        raise ValueError(
            f"real_permittivity must be positive and finite, got {real_permittivity!r}; "
            "pass the relative permittivity eps' (e.g. 5.24 for concrete), not eps' * eps0."
        )
    if not (math.isfinite(conductivity_s_per_m) and conductivity_s_per_m >= 0.0):
        raise ValueError(
            f"conductivity_s_per_m must be >= 0 and finite [S/m], got "
            f"{conductivity_s_per_m!r}; pass 0.0 for a lossless dielectric."
        )
    if not (math.isfinite(frequency_hz) and frequency_hz > 0.0):
        raise ValueError(
            f"frequency_hz must be positive and finite [Hz], got {frequency_hz!r}; pass e.g. 3.5e9."
        )
    loss = conductivity_s_per_m / (2.0 * math.pi * frequency_hz * _VACUUM_PERMITTIVITY)
    return complex(real_permittivity, -loss)


def material_permittivity(name: str, frequency_hz: float) -> complex:
    """Complex relative permittivity of an ITU-R P.2040 material at a frequency.

    ``eps' = a * f_GHz**b`` and ``sigma = c * f_GHz**d`` with ``(a, b, c, d)`` from
    :data:`ITU_MATERIALS`, combined by :func:`complex_relative_permittivity`.

    Source: ITU-R P.2040-3, Sec. 3 and Table 3.

    Args:
        name: Material name, a key of :data:`ITU_MATERIALS` (e.g. ``"concrete"``).
        frequency_hz: Frequency [Hz], ``> 0``.

    Returns:
        The complex relative permittivity ``eta`` [dimensionless].

    Raises:
        ValueError: If the material is unknown or the frequency is not positive.
    """
    if name not in ITU_MATERIALS:
        raise ValueError(
            f"unknown material {name!r}; valid names are {', '.join(sorted(ITU_MATERIALS))}."
        )
    if not (math.isfinite(frequency_hz) and frequency_hz > 0.0):
        raise ValueError(
            f"frequency_hz must be positive and finite [Hz], got {frequency_hz!r}; pass e.g. 3.5e9."
        )
    a, b, c, d = ITU_MATERIALS[name]
    frequency_ghz = frequency_hz / 1e9
    return complex_relative_permittivity(a * frequency_ghz**b, c * frequency_ghz**d, frequency_hz)


def fresnel_reflection(
    eta: complex | NDArray[Any], incidence_angle_rad: NDArray[Any] | float
) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """Fresnel reflection coefficients of a smooth half-space, from free space.

    With ``cos_t = sqrt(eta - sin(theta)**2)`` (the branch with ``Im(cos_t) <= 0``, so the
    transmitted wave decays into the medium):

    * ``gamma_te = (cos(theta) - cos_t) / (cos(theta) + cos_t)`` (E perpendicular to the
      plane of incidence);
    * ``gamma_tm = (eta * cos(theta) - cos_t) / (eta * cos(theta) + cos_t)`` (E in the plane
      of incidence).

    Sign convention (the formulas of ITU-R P.2040-3, also used by Sionna RT): each coefficient
    is the ratio of the reflected to the incident field component perpendicular to the plane
    of incidence, i.e. E for TE and H for TM. Hence at normal incidence
    ``gamma_te = (1 - sqrt(eta)) / (1 + sqrt(eta)) = -gamma_tm``, and at grazing incidence
    both tend to -1. Balanis's E-field coefficient ``Gamma_parallel`` is ``-gamma_tm``. For a
    lossless medium ``gamma_tm`` vanishes at the Brewster angle ``arctan(sqrt(eta))``.

    Source: ITU-R P.2040-3, eq. (31); C. A. Balanis, *Advanced
    Engineering Electromagnetics*, 2nd ed., Wiley 2012, Sec. 5.3.

    Args:
        eta: Complex relative permittivity of the medium [dimensionless], with
            ``Im(eta) <= 0`` (e.g. from :func:`material_permittivity`).
        incidence_angle_rad: Angle of incidence from the surface normal [rad], in
            ``[0, pi/2]``; broadcast with ``eta``.

    Returns:
        ``(gamma_te, gamma_tm)`` [dimensionless, complex], each of the broadcast shape.

    Raises:
        ValueError: If ``Im(eta) > 0`` or an angle is outside ``[0, pi/2]``.
    """
    permittivity = np.asarray(eta, dtype=np.complex128)
    theta = np.asarray(incidence_angle_rad, dtype=np.float64)
    if np.any(permittivity.imag > 0.0):
        raise ValueError(
            f"eta must have Im(eta) <= 0 (a passive medium with the exp(+j omega t) "
            f"convention), got a maximum imaginary part of {float(np.max(permittivity.imag))}; "
            "write the permittivity as eps' - 1j * eps''."
        )
    if not np.all((theta >= 0.0) & (theta <= np.pi / 2)):
        raise ValueError(
            f"incidence_angle_rad must lie in [0, pi/2] (measured from the surface normal), "
            f"got values in [{float(np.min(theta))}, {float(np.max(theta))}]; use the angle to the "
            "normal, not to the surface."
        )
    cos_i = np.cos(theta)
    cos_t = np.sqrt(permittivity - np.sin(theta) ** 2)
    # The principal root has Im > 0 only for a negative real argument (eta < sin^2, lossless);
    # take the decaying (evanescent) root there.
    cos_t = np.where(cos_t.imag > 0.0, np.conj(cos_t), cos_t)
    gamma_te = (cos_i - cos_t) / (cos_i + cos_t)
    gamma_tm = (permittivity * cos_i - cos_t) / (permittivity * cos_i + cos_t)
    return gamma_te, gamma_tm

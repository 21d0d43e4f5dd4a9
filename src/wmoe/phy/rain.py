"""Rain attenuation of Earth-space paths: ITU-R P.838-3 specific attenuation, P.618 path length.

* **Specific attenuation** ``gamma_R = k R^alpha`` [dB/km] for a rain rate ``R`` [mm/h], with
  ``k`` and ``alpha`` from the regression of ITU-R P.838-3 (eqs. (2)-(5), Tables 1-4) for
  horizontal and vertical polarisation, combined for a path of elevation ``theta`` and
  polarisation tilt ``tau`` by eqs. (4)-(5) (``tau = 45 deg`` for circular polarisation).
* **Rain height** ``h_R = h_0 + 0.36`` km (ITU-R P.839-4, eq. (1)) with the mean 0 degC
  isotherm height ``h_0`` of the latitude model of ITU-R P.839-2 (5 km between 21 deg S
  and 23 deg N, falling towards the poles); P.839-4 gives ``h_0`` as a digital map, which
  this latitude model approximates.
* **Effective path length** through rain, ITU-R P.618-13 Sec. 2.2.1.1 steps 2-9 (slant path
  below the rain height, horizontal reduction factor ``r``, vertical adjustment factor
  ``nu``), giving ``A = gamma_R L_E`` [dB]. P.618 derives the attenuation exceeded 0.01 % of
  the time from the rain rate ``R_0.01`` exceeded 0.01 % of the time; here the rain rate of
  the moment is used in its place (a common simplification in system simulations, e.g.
  3GPP TR 38.821 leaves rain to ITU-R P.618 at a chosen rate).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

# P.838-3 Tables 1-4: (a_j, b_j, c_j) per row, then (m, c) of the linear term.
_K_H = (
    ((-5.33980, -0.10008, 1.13098), (-0.35351, 1.26970, 0.45400),
     (-0.23789, 0.86036, 0.15354), (-0.94158, 0.64552, 0.16817)),
    (-0.18961, 0.71147),
)  # fmt: skip
_K_V = (
    ((-3.80595, 0.56934, 0.81061), (-3.44965, -0.22911, 0.51059),
     (-0.39902, 0.73042, 0.11899), (0.50167, 1.07319, 0.27195)),
    (-0.16398, 0.63297),
)  # fmt: skip
_ALPHA_H = (
    ((-0.14318, 1.82442, -0.55187), (0.29591, 0.77564, 0.19822),
     (0.32177, 0.63773, 0.13164), (-5.37610, -0.96230, 1.47828),
     (16.1721, -3.29980, 3.43990)),
    (0.67849, -1.95537),
)  # fmt: skip
_ALPHA_V = (
    ((-0.07771, 2.33840, -0.76284), (0.56727, 0.95545, 0.54039),
     (-0.20238, 1.14520, 0.26809), (-48.2991, 0.791669, 0.116226),
     (48.5833, 0.791459, 0.116479)),
    (-0.053739, 0.83433),
)  # fmt: skip
CIRCULAR_TILT_DEG = 45.0  # polarisation tilt of circular polarisation (P.838-3)


def _regression(
    table: tuple[tuple[tuple[float, float, float], ...], tuple[float, float]], log_f: float
) -> float:
    """``sum_j a_j exp(-((log10 f - b_j) / c_j)^2) + m log10 f + c`` (P.838-3 eqs. (2)-(3))."""
    rows, (m, c) = table
    return sum(a * math.exp(-(((log_f - b) / cc) ** 2)) for a, b, cc in rows) + m * log_f + c


def rain_coefficients(
    carrier_hz: float, elevation_deg: NDArray[Any] | float, tilt_deg: float = CIRCULAR_TILT_DEG
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(k, alpha)`` of ITU-R P.838-3 for a path's elevation and polarisation tilt.

    Args:
        carrier_hz: Carrier frequency [Hz], in P.838-3's range ``[1e9, 1e12]``.
        elevation_deg: Path elevation ``theta`` [deg]; any shape.
        tilt_deg: Polarisation tilt ``tau`` relative to the horizontal [deg] (45: circular).

    Returns:
        ``k`` [dB/km / (mm/h)^alpha] and ``alpha`` [-], of the shape of ``elevation_deg``.
    """
    if not 1e9 <= carrier_hz <= 1e12:
        raise ValueError(f"carrier_hz={carrier_hz!r} is outside P.838-3's 1-1000 GHz range")
    log_f = math.log10(carrier_hz / 1e9)
    k_h, k_v = 10.0 ** _regression(_K_H, log_f), 10.0 ** _regression(_K_V, log_f)
    a_h, a_v = _regression(_ALPHA_H, log_f), _regression(_ALPHA_V, log_f)
    weight = np.cos(np.deg2rad(np.asarray(elevation_deg, dtype=np.float64))) ** 2 * math.cos(
        math.radians(2.0 * tilt_deg)
    )
    k = (k_h + k_v + (k_h - k_v) * weight) / 2.0
    alpha = (k_h * a_h + k_v * a_v + (k_h * a_h - k_v * a_v) * weight) / (2.0 * k)
    return k, alpha


def rain_height_km(latitude_deg: float) -> float:
    """Rain height ``h_R = h_0 + 0.36`` km, with ``h_0`` of the P.839-2 latitude model.

    Args:
        latitude_deg: Station latitude [deg], north positive.
    """
    lat = latitude_deg
    if lat > 23.0:
        h0 = 5.0 - 0.075 * (lat - 23.0)
    elif lat >= -21.0:
        h0 = 5.0
    elif lat >= -71.0:
        h0 = 5.0 + 0.1 * (lat + 21.0)
    else:
        h0 = 0.0
    return max(h0, 0.0) + 0.36


def rain_attenuation_db(
    rain_rate_mm_per_h: NDArray[Any] | float,
    carrier_hz: float,
    elevation_deg: NDArray[Any] | float,
    latitude_deg: float,
    station_height_km: float = 0.0,
    tilt_deg: float = CIRCULAR_TILT_DEG,
) -> NDArray[np.float64]:
    """Rain attenuation of an Earth-space path [dB], ITU-R P.618-13 Sec. 2.2.1.1 steps 2-9.

    Args:
        rain_rate_mm_per_h: Rain rate ``R`` [mm/h], ``>= 0``; broadcast with the elevation.
        carrier_hz: Carrier frequency [Hz].
        elevation_deg: Path elevation [deg], in ``[5, 90]`` (P.618's validity).
        latitude_deg: Station latitude [deg].
        station_height_km: Station height above sea level [km].
        tilt_deg: Polarisation tilt [deg].

    Returns:
        Attenuation [dB], ``>= 0``, of the broadcast shape (0 where ``R = 0`` or the station
        is above the rain height).
    """
    rate = np.asarray(rain_rate_mm_per_h, dtype=np.float64)
    theta_deg = np.asarray(elevation_deg, dtype=np.float64)
    if np.any(rate < 0.0) or not np.all(np.isfinite(rate)):
        raise ValueError("rain_rate_mm_per_h must be finite and >= 0 [mm/h]")
    if np.any((theta_deg < 5.0) | (theta_deg > 90.0)):
        raise ValueError("elevation_deg must lie in [5, 90] (ITU-R P.618 slant paths)")
    f_ghz = carrier_hz / 1e9
    depth = rain_height_km(latitude_deg) - station_height_km  # [km]
    if depth <= 0.0:
        return np.zeros(np.broadcast_shapes(rate.shape, theta_deg.shape))
    theta = np.deg2rad(theta_deg)
    slant = depth / np.sin(theta)  # step 2 [km]
    ground = slant * np.cos(theta)  # step 3 [km]
    k, alpha = rain_coefficients(carrier_hz, theta_deg, tilt_deg)
    gamma = k * rate**alpha  # step 5 [dB/km]
    r = 1.0 / (
        1.0 + 0.78 * np.sqrt(ground * gamma / f_ghz) - 0.38 * (1.0 - np.exp(-2.0 * ground))
    )  # step 6
    zeta = np.arctan2(depth, ground * r)  # step 7
    path = np.where(zeta > theta, ground * r / np.cos(theta), slant)
    chi = 36.0 - abs(latitude_deg) if abs(latitude_deg) < 36.0 else 0.0
    nu = 1.0 / (
        1.0
        + np.sqrt(np.sin(theta))
        * (
            31.0 * (1.0 - np.exp(-(theta_deg / (1.0 + chi)))) * np.sqrt(path * gamma) / f_ghz**2
            - 0.45
        )
    )  # step 8
    return np.asarray(gamma * path * nu, dtype=np.float64)  # step 9: A = gamma_R L_E

"""Geometry and protection criterion of GEO earth stations that receive NGSO (LEO) interference.

* A geostationary satellite sits at :data:`~wmoe.phy.orbits.GEO_ALTITUDE_M` above the equator
  at its orbital longitude (TR 38.811 Sec. 4); its earth stations point their dishes at it.
* The interference an earth station receives from a LEO satellite enters through its off-axis
  gain towards the LEO, at the angle between the dish axis (towards the GEO) and the line to
  the LEO (:func:`off_axis_angle_deg`); see
  :func:`wmoe.phy.satellite_antennas.earth_station_gain_dbi`.
* Protection criterion: an aggregate interference-to-noise ratio of at most
  :data:`GEO_PROTECTION_I_OVER_N_DB` = ``10 log10(0.06) = -12.2`` dB, i.e. a 6 % increase of the
  earth station's noise temperature (``Delta T / T = 6 %``), the long-term allowance for
  interference from other systems of ITU-R S.1323-2 and S.1432-1 that also underlies the
  Article 22 EPFD limits protecting GSO networks from NGSO systems.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.phy.orbits import EARTH_RADIUS_M, GEO_ALTITUDE_M, ground_positions

GEO_PROTECTION_I_OVER_N_DB = 10.0 * math.log10(0.06)  # -12.2 dB, Delta T / T = 6 %


def geo_position(longitude_deg: float) -> NDArray[np.float64]:
    """Earth-centred position [m] of a geostationary satellite at an orbital longitude."""
    return ground_positions(0.0, longitude_deg, GEO_ALTITUDE_M)


def geo_elevation_deg(latitude_deg: float, longitude_offset_deg: float = 0.0) -> float:
    """Elevation of a GEO satellite seen from the ground, in closed form [deg].

    ``el = atan((cos(g) - R / (R + h)) / sin(g))`` with ``cos(g) = cos(lat) cos(dlon)`` the
    central angle between the station and the sub-satellite point (G. Maral and M. Bousquet,
    *Satellite Communications Systems*, 5th ed., Wiley 2009, Sec. 2.2.4).

    Args:
        latitude_deg: Station latitude [deg].
        longitude_offset_deg: Station longitude minus the satellite's [deg].
    """
    cos_g = math.cos(math.radians(latitude_deg)) * math.cos(math.radians(longitude_offset_deg))
    sin_g = math.sqrt(max(1.0 - cos_g**2, 0.0))
    ratio = EARTH_RADIUS_M / (EARTH_RADIUS_M + GEO_ALTITUDE_M)
    return 90.0 if sin_g == 0.0 else math.degrees(math.atan2(cos_g - ratio, sin_g))


def off_axis_angle_deg(
    stations_m: NDArray[Any], pointing_m: NDArray[Any], interferers_m: NDArray[Any]
) -> NDArray[np.float64]:
    """Angle between each station's dish axis and its line to an interfering satellite [deg].

    Args:
        stations_m: Earth-station positions [m], ``(..., P, 3)``.
        pointing_m: Position each dish points at (e.g. :func:`geo_position`), broadcast with
            ``stations_m``.
        interferers_m: Interfering satellite positions [m], ``(..., 3)``.

    Returns:
        Off-axis angles [deg] in ``[0, 180]``, ``(..., P)``.
    """
    stations = np.asarray(stations_m, dtype=np.float64)
    axis = np.asarray(pointing_m, dtype=np.float64) - stations
    line = np.asarray(interferers_m, dtype=np.float64)[..., None, :] - stations
    cosine = np.sum(axis * line, axis=-1) / (
        np.linalg.norm(axis, axis=-1) * np.linalg.norm(line, axis=-1)
    )
    return np.rad2deg(np.arccos(np.clip(cosine, -1.0, 1.0)))

"""Circular-orbit satellite geometry over a spherical, non-rotating Earth.

Positions are Earth-centred Cartesian coordinates [m], shape ``(..., 3)``, on a sphere of radius
:data:`EARTH_RADIUS_M`. The ``z`` axis points to the north pole and the ``x`` axis to latitude
0, longitude 0. Earth rotation is neglected: a satellite's ground track is a great circle fixed
on the ground. Over one LEO pass (about 10 min) the Earth turns by about 2.5 deg, i.e. the ground
track drifts by at most about 280 km at the equator; environments that need it can move their
reference point between passes.

Sources: 3GPP TR 38.811 V15.4.0, Sec. 4 and Sec. 6.6.2 (satellite altitudes, slant range from
elevation); 3GPP TR 38.821 V16.1.0, Sec. 6.1 (600 km LEO system-level set-up); Kepler's third
law as in D. A. Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., 2013,
eq. (2-19).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_M = 6_371_000.0  # [m], mean Earth radius used by TR 38.811 Sec. 6.6.2
EARTH_GM = 3.986004418e14  # [m^3/s^2], geocentric gravitational constant (WGS 84 / IERS)
LEO_ALTITUDE_M = 600_000.0  # [m], the LEO-600 system-level case of TR 38.821 Sec. 6.1
GEO_ALTITUDE_M = 35_786_000.0  # [m], geostationary altitude (TR 38.811 Sec. 4)


def _as_float_array(name: str, value: float | NDArray[Any], fix: str) -> NDArray[np.float64]:
    """Return ``value`` as a float64 array after checking that every entry is finite."""
    array = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}; {fix}")
    return array


def _check_altitude(altitude_m: float | NDArray[Any]) -> NDArray[np.float64]:
    """Return the altitude as a float64 array after checking it is positive and finite."""
    altitude = _as_float_array("altitude_m", altitude_m, "pass e.g. 600e3 for LEO-600.")
    if np.any(altitude <= 0.0):
        raise ValueError(
            f"altitude_m must be > 0 [m] above the Earth's surface, got a minimum of "
            f"{float(np.min(altitude))}; pass the altitude (e.g. 600e3), not the orbit radius."
        )
    return altitude


def orbital_period_s(altitude_m: float | NDArray[Any] = LEO_ALTITUDE_M) -> NDArray[np.float64]:
    """Period of a circular orbit, ``T = 2 pi sqrt(a^3 / GM)`` with ``a = R_E + h``.

    Source: Kepler's third law (Vallado 2013, eq. (2-19)) with :data:`EARTH_GM` and the spherical
    Earth radius :data:`EARTH_RADIUS_M`. A 600 km orbit takes 96.54 min (96.69 min with the
    equatorial radius of 6378 km); the GEO altitude
    gives about one sidereal day (86 164 s; 0.03 % shorter here, as the mean radius is 7 km
    below the equatorial one).

    Args:
        altitude_m: Orbit altitude above the surface [m], ``> 0``; a float or an array.

    Returns:
        The period [s], a 0-d array for a float input, else the shape of ``altitude_m``.

    Raises:
        ValueError: If an altitude is not positive and finite.
    """
    semi_major_axis = EARTH_RADIUS_M + _check_altitude(altitude_m)
    return 2.0 * np.pi * np.sqrt(semi_major_axis**3 / EARTH_GM)


def ground_positions(
    latitude_deg: float | NDArray[Any],
    longitude_deg: float | NDArray[Any],
    altitude_m: float | NDArray[Any] = 0.0,
) -> NDArray[np.float64]:
    """Earth-centred positions of points given by spherical latitude, longitude and altitude.

    Args:
        latitude_deg: Latitude [deg], in ``[-90, 90]``.
        longitude_deg: Longitude [deg], east positive; broadcast with ``latitude_deg``.
        altitude_m: Height above the sphere [m], ``>= 0``; broadcast with the others.

    Returns:
        Positions [m], shape ``(*broadcast_shape, 3)``.

    Raises:
        ValueError: If a latitude is outside ``[-90, 90]``, or a value is negative or not finite.
    """
    latitude = _as_float_array("latitude_deg", latitude_deg, "pass degrees in [-90, 90].")
    longitude = _as_float_array("longitude_deg", longitude_deg, "pass degrees, east positive.")
    height = _as_float_array("altitude_m", altitude_m, "pass metres above the sphere.")
    if np.any(np.abs(latitude) > 90.0):
        raise ValueError(
            f"latitude_deg must lie in [-90, 90], got {latitude_deg!r}; pass degrees, not radians "
            "or a colatitude."
        )
    if np.any(height < 0.0):
        raise ValueError(
            f"altitude_m must be >= 0 [m], got a minimum of {float(np.min(height))}; pass the "
            "height above the surface."
        )
    lat = np.deg2rad(latitude)
    lon = np.deg2rad(longitude)
    radius = EARTH_RADIUS_M + height
    return np.stack(
        np.broadcast_arrays(
            radius * np.cos(lat) * np.cos(lon),
            radius * np.cos(lat) * np.sin(lon),
            radius * np.sin(lat),
        ),
        axis=-1,
    )


@functools.lru_cache(maxsize=64)
def _local_frame(
    latitude_deg: float, longitude_deg: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Unit vectors (up, east, north) of the local horizontal frame at a point of the sphere.

    Cached (read-only arrays): simulators place points around the same reference every step.
    """
    up = ground_positions(latitude_deg, longitude_deg) / EARTH_RADIUS_M
    lon = math.radians(longitude_deg)
    east = np.array([-math.sin(lon), math.cos(lon), 0.0])
    north = np.cross(up, east)
    for axis in (up, east, north):
        axis.setflags(write=False)
    return up, east, north


def ground_positions_from_offsets(
    east_m: float | NDArray[Any],
    north_m: float | NDArray[Any],
    reference_latitude_deg: float = 0.0,
    reference_longitude_deg: float = 0.0,
) -> NDArray[np.float64]:
    """Earth-centred positions of ground points given by east/north offsets from a reference.

    An offset ``(east, north)`` is walked along the great circle that leaves the reference point
    with azimuth ``atan2(east, north)`` (clockwise from north), over the surface distance
    ``hypot(east, north)``; this is exact on the sphere and equals the flat-Earth local
    tangent-plane placement to first order in the distance.

    Args:
        east_m: Eastward offset [m]; any shape.
        north_m: Northward offset [m]; broadcast with ``east_m``.
        reference_latitude_deg: Latitude of the reference point [deg], in ``[-90, 90]``; at a
            pole the east/north directions are those of ``reference_longitude_deg``.
        reference_longitude_deg: Longitude of the reference point [deg].

    Returns:
        Positions on the surface [m], shape ``(*broadcast_shape, 3)``.

    Raises:
        ValueError: If an offset is not finite or the reference latitude is out of range.
    """
    east = _as_float_array("east_m", east_m, "pass offsets in metres.")
    north = _as_float_array("north_m", north_m, "pass offsets in metres.")
    up, east_unit, north_unit = _local_frame(reference_latitude_deg, reference_longitude_deg)
    angle = np.hypot(east, north) / EARTH_RADIUS_M  # central angle [rad]
    azimuth = np.arctan2(east, north)
    direction = (
        np.sin(azimuth)[..., None] * east_unit + np.cos(azimuth)[..., None] * north_unit
    )  # unit tangent along the great circle
    unit = np.cos(angle)[..., None] * up + np.sin(angle)[..., None] * direction
    return EARTH_RADIUS_M * unit


def satellite_positions(
    time_s: float | NDArray[Any],
    reference_latitude_deg: float = 0.0,
    reference_longitude_deg: float = 0.0,
    heading_deg: float | NDArray[Any] = 0.0,
    altitude_m: float = LEO_ALTITUDE_M,
    overhead_time_s: float | NDArray[Any] = 0.0,
) -> NDArray[np.float64]:
    """Positions of satellites on circular orbits whose planes pass over a reference point.

    Satellite ``k`` is directly above the reference point at ``overhead_time_s``, moving in the
    direction ``heading_deg`` (the azimuth of its ground track there, clockwise from north);
    its sub-satellite point then runs along that great circle at the angular rate
    ``2 pi / T`` with ``T = orbital_period_s(altitude_m)``. Several satellites of one orbital
    plane differ in ``overhead_time_s``; several planes crossing above the reference point
    differ in ``heading_deg`` (a heading of 90 deg at the equator is an equatorial orbit).

    Sources: TR 38.821 V16.1.0, Sec. 6.1 (LEO-600 circular orbits); Kepler's third law for
    the angular rate. Earth rotation is neglected (see the module docstring).

    Args:
        time_s: Times [s]; any shape.
        reference_latitude_deg: Latitude of the point overflown [deg], in ``[-90, 90]``.
        reference_longitude_deg: Longitude of the point overflown [deg].
        heading_deg: Ground-track azimuth at the reference point [deg]; broadcast with
            ``time_s`` (e.g. one value per satellite).
        altitude_m: Orbit altitude [m], ``> 0``.
        overhead_time_s: Time [s] at which each satellite is at the zenith of the reference
            point; broadcast with ``time_s``.

    Returns:
        Satellite positions [m], shape ``(*broadcast_shape, 3)``.

    Raises:
        ValueError: If the altitude is not positive or an input is not finite.
    """
    period = float(orbital_period_s(altitude_m))
    time = _as_float_array("time_s", time_s, "pass times in seconds.")
    heading = _as_float_array("heading_deg", heading_deg, "pass an azimuth in degrees.")
    overhead = _as_float_array("overhead_time_s", overhead_time_s, "pass a time in seconds.")
    up, east_unit, north_unit = _local_frame(reference_latitude_deg, reference_longitude_deg)
    anomaly = 2.0 * np.pi * (time - overhead) / period  # [rad] along the orbit from overhead
    azimuth = np.deg2rad(heading)
    anomaly, azimuth = np.broadcast_arrays(anomaly, azimuth)
    direction = np.sin(azimuth)[..., None] * east_unit + np.cos(azimuth)[..., None] * north_unit
    unit = np.cos(anomaly)[..., None] * up + np.sin(anomaly)[..., None] * direction
    return (EARTH_RADIUS_M + altitude_m) * unit


def slant_range_and_elevation(
    ground_m: NDArray[Any], satellites_m: NDArray[Any]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Slant range and elevation angle from every ground point to every satellite.

    The elevation is the angle between the line of sight and the local horizontal plane (the
    plane normal to the position vector of the ground point on the sphere):
    ``el = arcsin(((s - g) . g / |g|) / |s - g|)``; it is negative below the horizon.

    Source: TR 38.811 V15.4.0, Sec. 6.6.2 and Figure 6.6.2-1 (the same geometry underlies the
    closed form of :func:`slant_range_from_elevation`).

    Args:
        ground_m: Ground positions [m], shape ``(*batch, P, 3)``, not at the Earth's centre.
        satellites_m: Satellite positions [m], shape ``(*batch, S, 3)``; the batch dimensions
            broadcast with those of ``ground_m``.

    Returns:
        ``(slant_range_m, elevation_deg)``, each of shape ``(*batch, P, S)``.

    Raises:
        ValueError: If an input does not end in a dimension of 3, is not finite, or a ground
            point is at the origin.
    """
    ground = np.asarray(ground_m, dtype=np.float64)
    satellites = np.asarray(satellites_m, dtype=np.float64)
    for name, array in (("ground_m", ground), ("satellites_m", satellites)):
        if array.ndim < 2 or array.shape[-1] != 3:
            raise ValueError(
                f"{name} must have shape (..., N, 3), got {array.shape}; pass Earth-centred "
                "positions, e.g. from ground_positions(...)[None, :] or satellite_positions."
            )
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} must be finite, got non-finite entries; check its inputs.")
    radius = np.linalg.norm(ground, axis=-1, keepdims=True)
    if np.any(radius == 0.0):
        raise ValueError(
            "ground_m contains the Earth's centre (0, 0, 0); pass positions on the surface, "
            "e.g. from ground_positions or ground_positions_from_offsets."
        )
    up = ground / radius  # (*batch, P, 3)
    line_of_sight = satellites[..., None, :, :] - ground[..., :, None, :]  # (*batch, P, S, 3)
    slant_range = np.linalg.norm(line_of_sight, axis=-1)
    height = np.sum(line_of_sight * up[..., :, None, :], axis=-1)
    sine = np.clip(height / np.where(slant_range > 0.0, slant_range, 1.0), -1.0, 1.0)
    elevation = np.where(slant_range > 0.0, np.rad2deg(np.arcsin(sine)), 90.0)
    return slant_range, elevation


def slant_range_from_elevation(
    elevation_deg: float | NDArray[Any], altitude_m: float | NDArray[Any] = LEO_ALTITUDE_M
) -> NDArray[np.float64]:
    """Closed-form slant range from a ground point to a satellite seen at a given elevation.

    ``d = sqrt(R_E^2 sin^2(el) + h^2 + 2 R_E h) - R_E sin(el)``.

    Source: 3GPP TR 38.811 V15.4.0, Sec. 6.6.2 (slant range ``d`` of the basic path loss),
    with ``R_E`` = :data:`EARTH_RADIUS_M`.

    Args:
        elevation_deg: Elevation angle [deg], in ``[0, 90]``.
        altitude_m: Satellite altitude [m], ``> 0``; broadcast with ``elevation_deg``.

    Returns:
        Slant range [m], of the broadcast shape (0-d for scalar inputs).

    Raises:
        ValueError: If an elevation is outside ``[0, 90]`` or an altitude is not positive.
    """
    elevation = _as_float_array("elevation_deg", elevation_deg, "pass degrees in [0, 90].")
    if np.any((elevation < 0.0) | (elevation > 90.0)):
        raise ValueError(
            f"elevation_deg must lie in [0, 90], got values in [{float(np.min(elevation))}, "
            f"{float(np.max(elevation))}]; pass degrees (not radians) of a visible satellite."
        )
    altitude = _check_altitude(altitude_m)
    sine = np.sin(np.deg2rad(elevation))
    return (
        np.sqrt(EARTH_RADIUS_M**2 * sine**2 + altitude**2 + 2.0 * EARTH_RADIUS_M * altitude)
        - EARTH_RADIUS_M * sine
    )

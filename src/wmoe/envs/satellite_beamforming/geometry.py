"""Pass geometry of ``wmoe/SatelliteBeamforming-v0``: when the satellite is where, and the ground.

One model for the simulator core and for the config schema's pass-geometry rule, so the rule
checks exactly the elevations the core will compute. Orbits and positions come from
:mod:`wmoe.phy.orbits` (circular orbit, spherical non-rotating Earth; TR 38.811 Sec. 6.6.2).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.phy.orbits import (
    ground_positions_from_offsets,
    orbital_period_s,
    satellite_positions,
    slant_range_and_elevation,
)

RING_POINTS = 360  # points on each edge circle of the served area checked for the elevation


def pass_time_s(steps: NDArray[Any] | int, step_s: float, episode_length: int) -> Any:
    """Time of ``steps`` from the closest approach [s]; the decisions are centred on it.

    Step 0 is the first decision, ``episode_length - 1`` the last and ``episode_length`` the
    final observation (drawn after the last decision).
    """
    return steps * step_s - 0.5 * (episode_length - 1) * step_s


def ground_positions_m(
    offsets_m: NDArray[Any],
    cross_offset_m: NDArray[Any],
    heading_deg: float,
    reference_latitude_deg: float,
    reference_longitude_deg: float,
) -> NDArray[np.float64]:
    """Earth-centred positions of ground points given relative to the served area's centre.

    Args:
        offsets_m: (east, north) offsets from the area centre [m], ``(*batch, P, 2)``.
        cross_offset_m: By how much the ground track misses the area centre, to the right of
            the track [m], ``batch``; the points are placed relative to the track.
        heading_deg: Ground-track azimuth, clockwise from north [deg].
        reference_latitude_deg: Latitude of the area centre [deg].
        reference_longitude_deg: Longitude of the area centre [deg].

    Returns:
        Positions [m], ``(*batch, P, 3)``.
    """
    heading = math.radians(heading_deg)
    across = np.array([math.cos(heading), -math.sin(heading)])  # right of the track
    shifted = offsets_m + np.asarray(cross_offset_m)[..., None, None] * across
    return ground_positions_from_offsets(
        shifted[..., 0], shifted[..., 1], reference_latitude_deg, reference_longitude_deg
    )


def lowest_elevation_deg(
    *,
    altitude_m: float,
    step_s: float,
    episode_length: int,
    area_radius_m: float,
    max_cross_track_offset_m: float,
    heading_deg: float,
    reference_latitude_deg: float,
    reference_longitude_deg: float,
) -> float:
    """Lowest elevation of the satellite seen from anywhere in the area during a pass [deg].

    The lowest elevation is met at an end of the pass (the first decision or the final
    observation), on the edge of the area farthest from the satellite, with the ground track
    missing the centre by the most allowed; this checks the edge circles of both extreme
    cross-track offsets, :data:`RING_POINTS` points each, at both ends. An end more than a
    quarter orbit from the closest approach is taken at the quarter orbit, where a LEO is
    below every horizon of the area: on a longer pass the satellite would go round the Earth
    and could be high again at the ends.

    Args:
        altitude_m: Orbit altitude [m].
        step_s: Time between decisions [s].
        episode_length: Decisions per pass.
        area_radius_m: Radius of the disc around the area centre that holds every ground
            point of the pass [m].
        max_cross_track_offset_m: Largest distance by which the track misses the centre [m].
        heading_deg: Ground-track azimuth [deg].
        reference_latitude_deg: Latitude of the area centre [deg].
        reference_longitude_deg: Longitude of the area centre [deg].
    """
    angle = np.linspace(0.0, 2.0 * np.pi, RING_POINTS, endpoint=False)
    ring = area_radius_m * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    ground = ground_positions_m(
        ring,
        np.array([-max_cross_track_offset_m, max_cross_track_offset_m]),
        heading_deg,
        reference_latitude_deg,
        reference_longitude_deg,
    )  # (2, P, 3)
    quarter_orbit_s = 0.25 * float(orbital_period_s(altitude_m))
    ends = np.clip(
        pass_time_s(np.array([0, episode_length]), step_s, episode_length),
        -quarter_orbit_s,
        quarter_orbit_s,
    )
    satellite = satellite_positions(
        ends, reference_latitude_deg, reference_longitude_deg, heading_deg, altitude_m
    )  # (2, 3)
    _, elevation = slant_range_and_elevation(ground, satellite[None])
    return float(elevation.min())

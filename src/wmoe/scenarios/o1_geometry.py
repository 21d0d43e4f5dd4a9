"""O1's published geometry for the ``o1_geometry_3p5`` synthetic scenario (SYNTHETIC paths).

The default synthetic scenario (:mod:`wmoe.scenarios.o1_layout`) keeps its own layout so that
its files never change; this module lays out the streets, base stations and user grids as the
public DeepMIMO pages describe O1 [O1], [O1B]. Facts used, with their source:

* 18 BSs at 6 m height; BS1-BS12 on the main street, 6 per side, the two sides 52 m apart;
  100 m between BS1-BS3-BS5, BS2-BS4-BS6, BS7-BS9-BS11, BS8-BS10-BS12; 62 m between BS5-BS7
  and BS6-BS8; BS13-BS18 on the cross street, 3 per side, 150 m apart along it (BS13-15-17,
  BS14-16-18) and 52 m across it (facing pairs BS13/14, BS15/16, BS17/18) [O1];
* BS3 at (235.504, 489.504, 6) m [O1B] (so BS1 at y = 389.504 m);
* main street 600 m long and 40 m wide, cross street 440 m long and 40 m wide, buildings on
  both sides, the main street's buildings on bases of the same dimensions, 30 m x 60 m, each
  of its own height [O1B];
* users at 2 m height, 0.2 m apart; UG1 on the main street, 550 m long, 2751 rows of 181 users,
  starting 15 m after the street's start; UG2 on the "southern" side of the cross street,
  1101 rows of 181 users [O1]; UG3 1351 rows of 361 users (1,184,923 users in all) [O1].

Choices of wmoe where the pages say nothing (documented assumptions):

* Frame: the main street runs along +y centred on x = 261.504 m (midway between the BS rows);
  facades at x = 241.504 and 281.504 m, from y = 349.504 m (UG1's first row minus 15 m) to
  949.504 m.
* The cross street runs along +x, centred on y = 620.504 m, midway between BS5 (y = 589.504 m)
  and BS7 (y = 651.504 m), which is where O1's 62 m gap leaves room for it: facades at
  y = 600.504 and 640.504 m; it is centred on the main street, x = 41.504 to 481.504 m.
* 40 m streets with BS rows 52 m apart put every BS 6 m behind its facade line. The tracer
  treats each BS as standing in an open setback: the band between its facade and 1 m behind it
  does not block that BS's own paths (as if mounted on the facade for blocking; path lengths
  and angles use the published coordinates).
* BS13-BS18 at x = 111.504, 261.504 and 411.504 m (150 m apart, symmetric about the main
  street, so BS15/BS16 stand in the crossing), y = 594.504 m (odd) and 646.504 m (even).
* Buildings: a row of 30 m deep buildings along every facade, 60 m of frontage each (the last
  of a row shorter), heights drawn uniformly from :data:`BUILDING_HEIGHT_RANGE_M` with a fixed
  seed (the O1 figure writes each height on its building; they are not transcribed). Every
  building is taller than the BSs (6 m) and users (2 m) and the tracer has no diffraction, so
  heights change the exported scene, not the paths.
* UG1: users along x from x = 243.504 m (36 m across the street, centred), rows along y from
  y = 364.504 m. UG2 and UG3 lie in the cross street with rows *across* it (users along y,
  rows along x; the pages' "same y coordinate" wording fits only UG1 in this frame): UG2 from
  the west end, x = 41.504 m, over 220 m to the main street's centre line, users from
  y = 602.504 m; UG3 from x = 211.504 m to the east end (270 m), 72 m across, centred on the
  cross street, so the users of its outer 16 m on each side stand inside buildings and, as
  unreachable points of a ray-traced grid, get no paths. The grids overlap near the crossing.

[O1] DeepMIMO, "O1 (Outdoor 1) Scenario", https://deepmimo.net/scenarios/o1-scenario/
[O1B] DeepMIMO, "O1 Blockage Scenario" (same streets and BS1-BS12),
https://deepmimo.net/scenarios/o1-blockage-scenario/
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from wmoe.scenarios.o1_layout import Wall, crossing_facades
from wmoe.scenarios.o1_layout import (  # the same panels: each faces across its street
    base_station_facing_azimuth_deg as base_station_facing_azimuth_deg,
)

BS_HEIGHT_M = 6.0  # [O1]
UE_HEIGHT_M = 2.0  # [O1]
GRID_SPACING_M = 0.2  # [O1]
NUM_BS = 18  # [O1]
STREET_WIDTH_M = 40.0  # [O1B], both streets
MAIN_STREET_LENGTH_M = 600.0  # [O1B]
CROSS_STREET_LENGTH_M = 440.0  # [O1B]
BS_ACROSS_SEPARATION_M = 52.0  # [O1], both streets
MAIN_BS_SPACING_M = 100.0  # [O1]
MAIN_BS_CROSSING_GAP_M = 62.0  # [O1], BS5-BS7 and BS6-BS8
CROSS_BS_SPACING_M = 150.0  # [O1]
BUILDING_DEPTH_M = 30.0  # [O1B], main-street bases 30 m x 60 m
BUILDING_FRONTAGE_M = 60.0  # [O1B]
BUILDING_HEIGHT_RANGE_M = (10.0, 50.0)  # assumption: O1's heights are not transcribed

MAIN_STREET_CENTRE_X_M = 261.504  # midway between the BS rows x = 235.504 and 287.504 m
CROSS_STREET_CENTRE_Y_M = 620.504  # midway between BS5 and BS7 (assumption)
MAIN_STREET_X_M = (
    MAIN_STREET_CENTRE_X_M - STREET_WIDTH_M / 2,
    MAIN_STREET_CENTRE_X_M + STREET_WIDTH_M / 2,
)
MAIN_STREET_Y_M = (349.504, 349.504 + MAIN_STREET_LENGTH_M)
CROSS_STREET_X_M = (
    MAIN_STREET_CENTRE_X_M - CROSS_STREET_LENGTH_M / 2,
    MAIN_STREET_CENTRE_X_M + CROSS_STREET_LENGTH_M / 2,
)
CROSS_STREET_Y_M = (
    CROSS_STREET_CENTRE_Y_M - STREET_WIDTH_M / 2,
    CROSS_STREET_CENTRE_Y_M + STREET_WIDTH_M / 2,
)


@dataclass(frozen=True)
class UserGrid:
    """One user grid: rows of users ``GRID_SPACING_M`` apart, as DeepMIMO's O1 grids.

    Attributes:
        name: Grid name (UG1-UG3).
        rows: Rows of the full grid.
        users_per_row: Users in a row.
        origin_m: (x, y) of the first user [m].
        row_axis: Horizontal axis along which rows advance (0: x, 1: y); users of a row run
            along the other axis.
    """

    name: str
    rows: int
    users_per_row: int
    origin_m: tuple[float, float]
    row_axis: int


USER_GRIDS = (
    UserGrid("UG1", 2751, 181, (243.504, 364.504), row_axis=1),
    UserGrid("UG2", 1101, 181, (41.504, 602.504), row_axis=0),
    UserGrid("UG3", 1351, 361, (211.504, 584.504), row_axis=0),
)


def base_station_positions() -> NDArray[np.float64]:
    """Return the (18, 3) positions of BS1..BS18 [m]."""
    main_y = [389.504 + MAIN_BS_SPACING_M * k for k in range(3)]
    north_start = main_y[-1] + MAIN_BS_CROSSING_GAP_M
    main_y += [north_start + MAIN_BS_SPACING_M * k for k in range(3)]
    west_x = MAIN_STREET_CENTRE_X_M - BS_ACROSS_SEPARATION_M / 2
    main = [(west_x + BS_ACROSS_SEPARATION_M * (k % 2), main_y[k // 2]) for k in range(12)]
    south_y = CROSS_STREET_CENTRE_Y_M - BS_ACROSS_SEPARATION_M / 2
    cross_x = [MAIN_STREET_CENTRE_X_M + CROSS_BS_SPACING_M * j for j in (-1, 0, 1)]
    cross = [(cross_x[k // 2], south_y + BS_ACROSS_SEPARATION_M * (k % 2)) for k in range(6)]
    xy = np.array(main + cross, dtype=np.float64)
    return np.column_stack([xy, np.full(NUM_BS, BS_HEIGHT_M)])


def walls() -> tuple[Wall, ...]:
    """Return the four street facades, with the gaps where the streets cross."""
    return crossing_facades(MAIN_STREET_X_M, MAIN_STREET_Y_M, CROSS_STREET_X_M, CROSS_STREET_Y_M)


def building_blocks() -> tuple[tuple[float, float, float, float], ...]:
    """Return the four blocking quadrants around the crossing as (x0, x1, y0, y1) [m].

    Every straight leg between two street points that enters a quadrant crosses its rows of
    buildings first, so for blocking a quadrant equals its building rows (see
    :func:`buildings`).
    """
    xs = (CROSS_STREET_X_M[0], MAIN_STREET_X_M[0], MAIN_STREET_X_M[1], CROSS_STREET_X_M[1])
    ys = (MAIN_STREET_Y_M[0], CROSS_STREET_Y_M[0], CROSS_STREET_Y_M[1], MAIN_STREET_Y_M[1])
    return (
        (xs[0], xs[1], ys[0], ys[1]),
        (xs[2], xs[3], ys[0], ys[1]),
        (xs[0], xs[1], ys[2], ys[3]),
        (xs[2], xs[3], ys[2], ys[3]),
    )


def _split(lo: float, hi: float) -> list[tuple[float, float]]:
    """Split [lo, hi] into consecutive building frontages of ``BUILDING_FRONTAGE_M``."""
    edges = list(np.arange(lo, hi, BUILDING_FRONTAGE_M)) + [hi]
    return [(float(a), float(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def buildings(seed: int = 0) -> tuple[tuple[float, float, float, float, float], ...]:
    """Return the buildings as (x0, x1, y0, y1, height) [m]: a row along every facade.

    Args:
        seed: Seed of the heights, uniform in :data:`BUILDING_HEIGHT_RANGE_M`.
    """
    footprints: list[tuple[float, float, float, float]] = []
    for x0, x1, y0, y1 in building_blocks():
        west = x1 == MAIN_STREET_X_M[0]
        south = y1 == CROSS_STREET_Y_M[0]
        # Row along the main street (full block length), then along the cross street.
        row_x = (x1 - BUILDING_DEPTH_M, x1) if west else (x0, x0 + BUILDING_DEPTH_M)
        footprints += [(row_x[0], row_x[1], a, b) for a, b in _split(y0, y1)]
        row_y = (y1 - BUILDING_DEPTH_M, y1) if south else (y0, y0 + BUILDING_DEPTH_M)
        cross_x = (x0, row_x[0]) if west else (row_x[1], x1)
        footprints += [(a, b, row_y[0], row_y[1]) for a, b in _split(*cross_x)]
    heights = np.random.default_rng(seed).uniform(*BUILDING_HEIGHT_RANGE_M, size=len(footprints))
    return tuple((*f, float(h)) for f, h in zip(footprints, heights, strict=True))


def in_street(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Return whether horizontal points lie in open street (not inside a building block)."""
    eps = 1e-6
    in_main = (
        (x >= MAIN_STREET_X_M[0] - eps)
        & (x <= MAIN_STREET_X_M[1] + eps)
        & (y >= MAIN_STREET_Y_M[0] - eps)
        & (y <= MAIN_STREET_Y_M[1] + eps)
    )
    in_cross = (
        (x >= CROSS_STREET_X_M[0] - eps)
        & (x <= CROSS_STREET_X_M[1] + eps)
        & (y >= CROSS_STREET_Y_M[0] - eps)
        & (y <= CROSS_STREET_Y_M[1] + eps)
    )
    return np.asarray(in_main | in_cross)


def grid_positions(
    grid: UserGrid, row_stride: int = 1, user_stride: int = 1
) -> NDArray[np.float64]:
    """Return ``grid``'s kept user positions (n, 3) [m], row by row.

    Args:
        grid: The user grid.
        row_stride: Keep every ``row_stride``-th row (1 keeps the full 0.2 m row spacing).
        user_stride: Keep every ``user_stride``-th user of a row (1 keeps all).

    Raises:
        ValueError: If a stride is below 1.
    """
    if row_stride < 1 or user_stride < 1:
        raise ValueError(
            f"row_stride and user_stride must be >= 1, got {row_stride} and {user_stride}"
        )
    along_rows = grid.origin_m[grid.row_axis] + GRID_SPACING_M * np.arange(0, grid.rows, row_stride)
    in_row = grid.origin_m[1 - grid.row_axis] + GRID_SPACING_M * np.arange(
        0, grid.users_per_row, user_stride
    )
    row_coord, user_coord = np.meshgrid(along_rows, in_row, indexing="ij")
    xy = [user_coord.ravel(), row_coord.ravel()]
    if grid.row_axis == 0:
        xy.reverse()
    return np.column_stack([*xy, np.full(row_coord.size, UE_HEIGHT_M)])

"""Geometry of the synthetic O1-like street layout (SYNTHETIC, not ray-traced O1 data).

Public facts about DeepMIMO's O1 scenario fix the layout's anchors: 18 base stations at 6 m
height, BS1 at (235.504, 389.504, 6) and BS3 at (235.504, 489.504, 6), BSs 100 m apart along a
side of the main street, the two sides 52 m apart, a second street crossing the main one,
users at 2 m height on rows of 181 users with 0.2 m spacing (main grid rows R1-R2751).
Everything else here (facade positions, street extents, the crossing street's position, the
placement of BS13-BS18, the crossing-street user grid) is a documented choice of wmoe:

* main street along +y, facades at x = 231.504 m and x = 291.504 m (60 m wide), from
  y = 339.504 m to y = 939.504 m; BS1-BS12 at x = 235.504 m (odd) and x = 287.504 m (even),
  y = 389.504 + 100 k m;
* crossing street along +x, centred at y = 639.504 m, facades at y = 609.504 m and
  y = 669.504 m, from x = 81.504 m to x = 441.504 m; BS13-BS18 alternate between
  y = 613.504 m and y = 665.504 m at x = 106.504, 156.504, 206.504, 316.504, 366.504 and
  416.504 m;
* main user grid: row r (0-based) at y = 364.504 + 0.2 r m, user c of 181 at
  x = 243.504 + 0.2 c m; crossing grid: rows along the two arms at x = 86.504 + 0.2 r m
  (west) and x = 296.504 + 0.2 r m (east), 701 rows each, user c at y = 621.504 + 0.2 c m;
* everything outside the two streets is building (blocks 30 m tall).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

BS_HEIGHT_M = 6.0
UE_HEIGHT_M = 2.0
BUILDING_HEIGHT_M = 30.0
NUM_BS = 18
GRID_SPACING_M = 0.2
USERS_PER_ROW = 181
MAIN_GRID_ROWS = 2751
CROSS_GRID_ROWS_PER_ARM = 701

MAIN_STREET_X_M = (231.504, 291.504)
MAIN_STREET_Y_M = (339.504, 939.504)
CROSS_STREET_X_M = (81.504, 441.504)
CROSS_STREET_Y_M = (609.504, 669.504)


@dataclass(frozen=True)
class Wall:
    """A vertical building facade: the plane ``axis = offset`` over some spans of the other axis.

    Attributes:
        axis: 0 for a plane x = offset, 1 for a plane y = offset.
        offset: Position of the plane [m].
        spans: Intervals of the other horizontal coordinate where the facade exists [m].
    """

    axis: int
    offset: float
    spans: tuple[tuple[float, float], ...]


def base_station_positions() -> NDArray[np.float64]:
    """Return the (18, 3) positions of BS1..BS18 [m]."""
    main = [
        (
            MAIN_STREET_X_M[0] + 4.0 if k % 2 == 0 else MAIN_STREET_X_M[1] - 4.0,
            389.504 + 100.0 * (k // 2),
        )
        for k in range(12)
    ]
    cross_x = (106.504, 156.504, 206.504, 316.504, 366.504, 416.504)
    cross = [(x, 613.504 if k % 2 == 0 else 665.504) for k, x in enumerate(cross_x)]
    xy = np.array(main + cross, dtype=np.float64)
    return np.column_stack([xy, np.full(NUM_BS, BS_HEIGHT_M)])


def base_station_facing_azimuth_deg() -> NDArray[np.float64]:
    """Return the azimuth each BS panel's broadside points to [deg]: across its street."""
    main = [0.0 if k % 2 == 0 else 180.0 for k in range(12)]
    cross = [90.0 if k % 2 == 0 else -90.0 for k in range(6)]
    return np.array(main + cross, dtype=np.float64)


def crossing_facades(
    main_x: tuple[float, float],
    main_y: tuple[float, float],
    cross_x: tuple[float, float],
    cross_y: tuple[float, float],
) -> tuple[Wall, ...]:
    """The four facades of two crossing streets, with the gaps where they cross.

    The main street spans ``main_x`` across and runs along y over ``main_y``; the cross street
    spans ``cross_y`` across and runs along x over ``cross_x`` [m].
    """
    main_spans = ((main_y[0], cross_y[0]), (cross_y[1], main_y[1]))
    cross_spans = ((cross_x[0], main_x[0]), (main_x[1], cross_x[1]))
    return (
        Wall(axis=0, offset=main_x[0], spans=main_spans),
        Wall(axis=0, offset=main_x[1], spans=main_spans),
        Wall(axis=1, offset=cross_y[0], spans=cross_spans),
        Wall(axis=1, offset=cross_y[1], spans=cross_spans),
    )


def walls() -> tuple[Wall, ...]:
    """Return the four street facades, with the gaps where the streets cross."""
    return crossing_facades(MAIN_STREET_X_M, MAIN_STREET_Y_M, CROSS_STREET_X_M, CROSS_STREET_Y_M)


def in_street(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Return whether horizontal points lie in open street (not inside a building)."""
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


def building_blocks() -> tuple[tuple[float, float, float, float], ...]:
    """Return the four building blocks around the crossing as (x0, x1, y0, y1) [m]."""
    xs = (CROSS_STREET_X_M[0], MAIN_STREET_X_M[0], MAIN_STREET_X_M[1], CROSS_STREET_X_M[1])
    ys = (MAIN_STREET_Y_M[0], CROSS_STREET_Y_M[0], CROSS_STREET_Y_M[1], MAIN_STREET_Y_M[1])
    return (
        (xs[0], xs[1], ys[0], ys[1]),
        (xs[2], xs[3], ys[0], ys[1]),
        (xs[0], xs[1], ys[2], ys[3]),
        (xs[2], xs[3], ys[2], ys[3]),
    )


def buildings() -> tuple[tuple[float, float, float, float, float], ...]:
    """Return the building blocks with their height as (x0, x1, y0, y1, height) [m]."""
    return tuple((*block, BUILDING_HEIGHT_M) for block in building_blocks())


def user_grid(row_stride: int = 1, user_stride: int = 1) -> NDArray[np.float64]:
    """Return user positions (n, 3) [m]: the main grid, then the two crossing-street arms.

    Args:
        row_stride: Keep every ``row_stride``-th row (1 keeps the full 0.2 m row spacing).
        user_stride: Keep every ``user_stride``-th user of a row (1 keeps all 181).

    Raises:
        ValueError: If a stride is below 1.
    """
    if row_stride < 1 or user_stride < 1:
        raise ValueError(
            f"row_stride and user_stride must be >= 1, got {row_stride} and {user_stride}"
        )
    across = np.arange(0, USERS_PER_ROW, user_stride) * GRID_SPACING_M
    main_rows = 364.504 + np.arange(0, MAIN_GRID_ROWS, row_stride) * GRID_SPACING_M
    main_x, main_y = np.meshgrid(243.504 + across, main_rows)
    arm_rows = np.arange(0, CROSS_GRID_ROWS_PER_ARM, row_stride) * GRID_SPACING_M
    cross_rows = np.concatenate([86.504 + arm_rows, 296.504 + arm_rows])
    cross_y, cross_x = np.meshgrid(621.504 + across, cross_rows)
    xy = np.concatenate(
        [
            np.column_stack([main_x.ravel(), main_y.ravel()]),
            np.column_stack([cross_x.ravel(), cross_y.ravel()]),
        ]
    )
    return np.column_stack([xy, np.full(len(xy), UE_HEIGHT_M)])

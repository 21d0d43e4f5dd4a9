"""UEs moving along the streets of the scenario's user grids, batched.

DeepMIMO orders a grid's users row by row (O1: rows of 181 users 0.2 m apart, each row
across its street, the rows stacked along the street; wmoe's synthetic scenarios keep every
5th user and row). A *row* is a maximal run of consecutive users in that order that lie one
grid spacing apart in a fixed direction; a *grid* is a maximal run of rows of equal length
and direction whose first users advance by one fixed step. A *track* is a straight line of
equally spaced grid users along the grid's longer side: its rows where they are the longer
side, else its columns (the ``j``-th user of every row), which run along the street. A UE's
state is its track, its distance ``s`` [m] along the track from the track's first user, and
its heading (+1 or -1 along the track). Each step it moves ``v dt`` [m]; at a track end it
continues on a uniformly drawn track (from that track's first user, heading +1) with
probability ``p``, else it turns back; the distance beyond the end carries over (clipped to
the new track's length, so a step crosses at most one end). Its channel is that of the
track's grid user nearest to it, ``round(s / spacing)``.

A street-constrained model in the spirit of the Manhattan-grid mobility of ETSI TR 101 112
(UMTS 30.03) Annex B, restricted to the points for which the scenario has channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

SPACING_TOLERANCE = 0.25
"""Relative deviation from the grid spacing beyond which consecutive users are in two rows."""
DIRECTION_TOLERANCE = 1e-3
"""``1 - cos`` of the angle between consecutive steps beyond which a row turns (a new row)."""


@dataclass(frozen=True)
class StreetTracks:
    """The scenario's user grids as straight tracks.

    Attributes:
        members: every user on a track once, track after track, each track's users in order
            along it.
        first: (T,) index into ``members`` of each track's first user.
        num_users: (T,) users of each track.
        start_m: (T, 2) (x, y) of each track's first user [m].
        direction: (T, 2) unit vector from a track's first user towards its last (x-axis for
            one-user tracks).
        spacing_m: (T,) distance between a track's consecutive users [m] (1 for one-user
            tracks; unused there).
        length_m: (T,) distance between a track's first and last user [m].
        track_of_user: (U,) the track of each user (-1: on none).
        place_of_user: (U,) each user's place along its track (0 for its first user; -1: on
            no track).
    """

    members: NDArray[np.int64]
    first: NDArray[np.int64]
    num_users: NDArray[np.int64]
    start_m: NDArray[np.float64]
    direction: NDArray[np.float64]
    spacing_m: NDArray[np.float64]
    length_m: NDArray[np.float64]
    track_of_user: NDArray[np.int64]
    place_of_user: NDArray[np.int64]

    @property
    def num_tracks(self) -> int:
        """Number of tracks T."""
        return len(self.first)

    def nearest_user(
        self, track: NDArray[np.int64], distance_m: NDArray[np.float64]
    ) -> NDArray[np.int64]:
        """The grid user of ``track`` nearest to ``distance_m`` along it."""
        offset = np.rint(distance_m / self.spacing_m[track]).astype(np.int64)
        return self.members[self.first[track] + np.clip(offset, 0, self.num_users[track] - 1)]

    def position_m(
        self, track: NDArray[np.int64], distance_m: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """(B, 2) (x, y) [m] of points ``distance_m`` along ``track``."""
        return np.asarray(self.start_m[track] + distance_m[:, None] * self.direction[track])

    def distance_of_user(self, users: NDArray[np.int64]) -> NDArray[np.float64]:
        """Distance [m] of each user from its track's first user."""
        track = self.track_of_user[users]
        return np.asarray(self.place_of_user[users] * self.spacing_m[track], dtype=float)


def _rows(xy: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """First user and user count of each row (a straight run of equally spaced users)."""
    steps = np.diff(xy, axis=0)
    lengths = np.linalg.norm(steps, axis=1)
    if len(lengths) == 0:
        breaks = np.zeros(0, dtype=bool)
    else:
        spacing = float(np.median(lengths))
        breaks = np.abs(lengths - spacing) > SPACING_TOLERANCE * max(spacing, 1e-9)
        units = steps / np.maximum(lengths, 1e-12)[:, None]
        turns = np.zeros_like(breaks)
        turns[1:] = (units[1:] * units[:-1]).sum(axis=1) < 1.0 - DIRECTION_TOLERANCE
        # A step that turns after a kept step starts a new row, unless it is itself a break.
        breaks |= turns & ~np.r_[False, breaks[:-1]]
    first = np.r_[0, np.flatnonzero(breaks) + 1].astype(np.int64)
    return first, np.diff(np.r_[first, len(xy)]).astype(np.int64)


def _grids(
    xy: NDArray[np.float64], first: NDArray[np.int64], counts: NDArray[np.int64]
) -> list[int]:
    """Index of each grid's first row: rows of one length and direction, starts one step apart."""
    starts = xy[first]
    row_span = xy[first + counts - 1] - starts
    grid_starts = [0]
    step: NDArray[np.float64] | None = None
    for row in range(1, len(first)):
        advance = starts[row] - starts[row - 1]
        same_shape = counts[row] == counts[row - 1] and np.allclose(
            row_span[row], row_span[row - 1], atol=1e-6 * (1.0 + float(np.abs(row_span[row]).max()))
        )
        tolerance = SPACING_TOLERANCE * float(np.linalg.norm(advance))
        steady = step is None or float(np.linalg.norm(advance - step)) <= tolerance
        if same_shape and steady:
            step = advance
        else:
            grid_starts.append(row)
            step = None
    return grid_starts


def street_tracks(
    positions_m: NDArray[np.floating], users: NDArray[np.int64] | None = None
) -> StreetTracks:
    """Split users (in the scenario's order) into straight tracks along each grid's longer side.

    Args:
        positions_m: (U, >= 2) user positions [m] in the scenario's user order.
        users: The users to lay tracks through, in that order (the others are on no track:
            their ``track_of_user`` and ``place_of_user`` are -1); None: all.
    """
    every = np.asarray(positions_m[:, :2], dtype=np.float64)
    kept = np.arange(len(every), dtype=np.int64) if users is None else np.asarray(users)
    xy = every[kept]
    row_first, row_counts = _rows(xy)
    grid_starts = _grids(xy, row_first, row_counts)
    tracks: list[NDArray[np.int64]] = []
    for start, stop in zip(grid_starts, [*grid_starts[1:], len(row_first)], strict=True):
        rows = [row_first[r] + np.arange(row_counts[r]) for r in range(start, stop)]
        grid = np.stack(rows)  # (rows, users per row)
        row_length = float(np.linalg.norm(xy[grid[0, -1]] - xy[grid[0, 0]]))
        stack_length = float(np.linalg.norm(xy[grid[-1, 0]] - xy[grid[0, 0]]))
        tracks.extend(grid.T if stack_length > row_length else grid)
    members = np.concatenate(tracks).astype(np.int64)
    counts = np.array([len(t) for t in tracks], dtype=np.int64)
    first = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    head, tail = members[first], members[first + counts - 1]
    span = xy[tail] - xy[head]
    length = np.linalg.norm(span, axis=1)
    single = counts == 1
    direction = np.where(
        single[:, None], np.array([1.0, 0.0]), span / np.maximum(length, 1e-12)[:, None]
    )
    spacing_m = np.where(single, 1.0, length / np.maximum(counts - 1, 1))
    track_of_user = np.full(len(every), -1, dtype=np.int64)
    track_of_user[kept[members]] = np.repeat(np.arange(len(first), dtype=np.int64), counts)
    place_of_user = np.full(len(every), -1, dtype=np.int64)
    place_of_user[kept[members]] = np.arange(len(members)) - np.repeat(first, counts)
    return StreetTracks(
        members=kept[members],
        first=first,
        num_users=counts,
        start_m=xy[head],
        direction=direction,
        spacing_m=spacing_m,
        length_m=np.where(single, 0.0, length),
        track_of_user=track_of_user,
        place_of_user=place_of_user,
    )


def move_along_tracks(
    tracks: StreetTracks,
    track: NDArray[np.int64],
    distance_m: NDArray[np.float64],
    heading: NDArray[np.int64],
    step_m: float,
    change_probability: float,
    generators: Sequence[np.random.Generator],
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Move UEs ``step_m`` along their tracks (see the module docstring).

    Args:
        tracks: The scenario's tracks.
        track: (B,) each UE's track.
        distance_m: (B,) each UE's distance along its track [m].
        heading: (B,) +1 or -1.
        step_m: Distance each UE moves [m].
        change_probability: Probability of continuing on a random track at a track end.
        generators: One generator per UE; a UE draws (a uniform number, then a track when it
            changes track) only when it reaches a track end.

    Returns:
        The new (track, distance [m], heading) of each UE.
    """
    track, heading = track.copy(), heading.copy()
    distance = distance_m + heading * step_m
    length = tracks.length_m[track]
    for i in np.flatnonzero((distance < 0.0) | (distance > length)):
        below = bool(distance[i] < 0.0)
        beyond = float(-distance[i] if below else distance[i] - length[i])
        if generators[i].random() < change_probability:
            track[i] = generators[i].integers(0, tracks.num_tracks)
            heading[i] = 1
            distance[i] = min(beyond, tracks.length_m[track[i]])
        else:
            heading[i] = -heading[i]
            distance[i] = min(beyond, length[i]) if below else max(length[i] - beyond, 0.0)
    return track, distance, heading

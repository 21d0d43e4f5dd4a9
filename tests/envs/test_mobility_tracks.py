"""``street_tracks``: UEs move along each user grid's longer side, whatever the user order."""

from __future__ import annotations

import numpy as np
import pytest

from wmoe.envs.multi_bs_reception.mobility import street_tracks


def grid(
    origin: tuple[float, float],
    along_row: tuple[float, float],
    row_step: tuple[float, float],
    rows: int,
    per_row: int,
) -> np.ndarray:
    """Positions of a DeepMIMO-ordered grid: ``rows`` rows of ``per_row`` users, row by row."""
    r, u = np.meshgrid(np.arange(rows), np.arange(per_row), indexing="ij")
    xy = (
        np.asarray(origin)
        + u.reshape(-1, 1) * np.asarray(along_row)
        + r.reshape(-1, 1) * np.asarray(row_step)
    )
    return np.c_[xy, np.full(len(xy), 2.0)]


def test_rows_across_a_street_give_tracks_along_it() -> None:
    # O1's UG1: short rows across the street (x), stacked along it (y).
    positions = grid((0.0, 0.0), (1.0, 0.0), (0.0, 1.0), rows=50, per_row=5)
    tracks = street_tracks(positions)
    assert tracks.num_tracks == 5
    np.testing.assert_allclose(tracks.direction, np.tile([0.0, 1.0], (5, 1)))
    np.testing.assert_allclose(tracks.length_m, 49.0)
    np.testing.assert_allclose(tracks.spacing_m, 1.0)
    # Track j holds the j-th user of every row, in row order.
    np.testing.assert_array_equal(tracks.members[:50], np.arange(0, 250, 5))


def test_long_rows_stay_tracks() -> None:
    positions = grid((0.0, 0.0), (0.5, 0.0), (0.0, 2.0), rows=3, per_row=40)
    tracks = street_tracks(positions)
    assert tracks.num_tracks == 3
    np.testing.assert_allclose(tracks.direction, np.tile([1.0, 0.0], (3, 1)))
    np.testing.assert_array_equal(tracks.members, np.arange(120))
    np.testing.assert_allclose(tracks.spacing_m, 0.5)


def test_each_grid_is_split_on_its_own() -> None:
    main = grid((0.0, 0.0), (1.0, 0.0), (0.0, 1.0), rows=30, per_row=4)
    cross = grid((10.0, 40.0), (0.0, 1.0), (1.0, 0.0), rows=20, per_row=4)
    wide = grid((100.0, 0.0), (1.0, 0.0), (0.0, 1.0), rows=2, per_row=9)
    positions = np.concatenate([main, cross, wide])
    tracks = street_tracks(positions)
    assert tracks.num_tracks == 4 + 4 + 2
    np.testing.assert_allclose(tracks.length_m, [29.0] * 4 + [19.0] * 4 + [8.0] * 2)
    np.testing.assert_allclose(tracks.direction[:4], np.tile([0.0, 1.0], (4, 1)))
    np.testing.assert_allclose(tracks.direction[4:8], np.tile([1.0, 0.0], (4, 1)))
    np.testing.assert_allclose(tracks.direction[8:], np.tile([1.0, 0.0], (2, 1)))


@pytest.mark.parametrize("rows, per_row", [(40, 6), (3, 25), (1, 7), (7, 1)])
def test_every_user_is_on_one_track_at_its_own_place(rows: int, per_row: int) -> None:
    positions = grid((5.0, -3.0), (0.0, 0.2), (0.2, 0.0), rows=rows, per_row=per_row)
    tracks = street_tracks(positions)
    assert sorted(tracks.members.tolist()) == list(range(len(positions)))
    users = np.arange(len(positions))
    track = tracks.track_of_user[users]
    distance = tracks.distance_of_user(users)
    np.testing.assert_array_equal(tracks.nearest_user(track, distance), users)
    np.testing.assert_allclose(tracks.position_m(track, distance), positions[:, :2], atol=1e-9)

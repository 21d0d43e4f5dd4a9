"""The synthetic O1-like street layout: public O1 anchors and internal consistency."""

from __future__ import annotations

import numpy as np
import pytest

from wmoe.scenarios import o1_layout


def test_base_station_anchors() -> None:
    bs = o1_layout.base_station_positions()
    assert bs.shape == (18, 3)
    np.testing.assert_allclose(bs[0], [235.504, 389.504, 6.0], atol=1e-12)  # BS1
    np.testing.assert_allclose(bs[2], [235.504, 489.504, 6.0], atol=1e-12)  # BS3
    assert np.linalg.norm(bs[1] - bs[0]) == pytest.approx(52.0, abs=1e-9)  # BS2 across
    assert bs[1, 1] == pytest.approx(bs[0, 1]) and bs[1, 0] > bs[0, 0]
    np.testing.assert_allclose(bs[:, 2], 6.0)
    # Same-side neighbours along the main street are 100 m apart.
    np.testing.assert_allclose(np.diff(bs[0:12:2, 1]), 100.0, atol=1e-9)
    np.testing.assert_allclose(np.diff(bs[1:12:2, 1]), 100.0, atol=1e-9)
    assert len({tuple(p) for p in bs}) == 18
    assert o1_layout.in_street(bs[:, 0], bs[:, 1]).all()


def test_facing_azimuth_points_across_the_street() -> None:
    bs = o1_layout.base_station_positions()
    facing = np.deg2rad(o1_layout.base_station_facing_azimuth_deg())
    assert facing.shape == (18,)
    # A point 10 m along the broadside lies in the street, 10 m behind lies in a building.
    ahead = bs[:, :2] + 10.0 * np.column_stack([np.cos(facing), np.sin(facing)])
    behind = bs[:, :2] - 10.0 * np.column_stack([np.cos(facing), np.sin(facing)])
    assert o1_layout.in_street(ahead[:, 0], ahead[:, 1]).all()
    assert not o1_layout.in_street(behind[:, 0], behind[:, 1]).any()


def test_full_user_grid_rows_spacing_height_and_street() -> None:
    users = o1_layout.user_grid(1, 1)
    n_main = o1_layout.MAIN_GRID_ROWS * 181
    n_cross = 2 * o1_layout.CROSS_GRID_ROWS_PER_ARM * 181
    assert users.shape == (n_main + n_cross, 3)
    rows = users[:n_main].reshape(o1_layout.MAIN_GRID_ROWS, 181, 3)
    np.testing.assert_allclose(np.diff(rows[:, :, 0], axis=1), 0.2, atol=1e-9)
    np.testing.assert_allclose(np.diff(rows[:, :, 1], axis=1), 0.0, atol=0)
    np.testing.assert_allclose(np.diff(rows[:, 0, 1]), 0.2, atol=1e-9)
    cross = users[n_main:].reshape(2 * o1_layout.CROSS_GRID_ROWS_PER_ARM, 181, 3)
    np.testing.assert_allclose(np.diff(cross[:, :, 1], axis=1), 0.2, atol=1e-9)
    np.testing.assert_allclose(users[:, 2], 2.0)
    assert o1_layout.in_street(users[:, 0], users[:, 1]).all()
    assert users[0, :2].tolist() == pytest.approx([243.504, 364.504])


def test_strided_grid_is_a_subset_of_the_full_grid() -> None:
    full = o1_layout.user_grid(1, 1)
    sub = o1_layout.user_grid(60, 45)
    assert len(sub) == (len(range(0, 2751, 60)) + 2 * len(range(0, 701, 60))) * len(
        range(0, 181, 45)
    )
    n_main = o1_layout.MAIN_GRID_ROWS * 181
    arm = o1_layout.CROSS_GRID_ROWS_PER_ARM
    main = full[:n_main].reshape(-1, 181, 3)[::60, ::45].reshape(-1, 3)
    cross = full[n_main:].reshape(2, arm, 181, 3)[:, ::60, ::45].reshape(-1, 3)
    np.testing.assert_allclose(sub, np.concatenate([main, cross]), atol=1e-9)


@pytest.mark.parametrize(("row_stride", "user_stride"), [(0, 1), (1, 0), (-3, 2)])
def test_bad_stride_raises(row_stride: int, user_stride: int) -> None:
    with pytest.raises(ValueError, match=r"row_stride and user_stride must be >= 1"):
        o1_layout.user_grid(row_stride, user_stride)


def test_in_street_rejects_building_interiors() -> None:
    for x0, x1, y0, y1 in o1_layout.building_blocks():
        cx, cy = np.array([(x0 + x1) / 2]), np.array([(y0 + y1) / 2])
        assert not o1_layout.in_street(cx, cy).any()
    assert o1_layout.in_street(np.array([261.504]), np.array([639.504])).all()  # the crossing


def test_walls_bound_the_buildings() -> None:
    """Each facade span is an edge of a building block."""
    blocks = o1_layout.building_blocks()
    for wall in o1_layout.walls():
        for lo, hi in wall.spans:
            found = False
            for x0, x1, y0, y1 in blocks:
                edges = (x0, x1) if wall.axis == 0 else (y0, y1)
                along = (y0, y1) if wall.axis == 0 else (x0, x1)
                if wall.offset in edges and (lo, hi) == along:
                    found = True
            assert found, (wall, lo, hi)

"""The ``o1_geometry_3p5`` scenario: O1's published layout facts, its files, and the frozen default.

Facts from https://deepmimo.net/scenarios/o1-scenario/ and
https://deepmimo.net/scenarios/o1-blockage-scenario/ (see :mod:`wmoe.scenarios.o1_geometry`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import wmoe  # noqa: F401
from wmoe.envs.multi_bs_reception.config import SYNTHETIC_SCENARIO
from wmoe.scenarios import o1_geometry
from wmoe.scenarios.raytrace import trace_paths
from wmoe.scenarios.synthetic_o1 import O1GeometryConfig, SyntheticO1Config, write_synthetic_o1

SMALL = O1GeometryConfig(row_stride=100, user_stride=30)
# Digest of the default scenario's path arrays and params blocks at strides (60, 45), computed
# with the code before o1_geometry_3p5 existed (git HEAD of that change): v0 depends on them.
DEFAULT_SCENARIO_DIGEST = "0f456023b6a629f088fa7880d84310a37e2acffb57588ebb4718b4428771da3d"


def _bs(number: int) -> np.ndarray:
    return o1_geometry.base_station_positions()[number - 1]


def _distance(a: int, b: int) -> float:
    return float(np.linalg.norm(_bs(a) - _bs(b)))


def test_main_street_base_stations_follow_the_o1_page() -> None:
    np.testing.assert_allclose(_bs(3), [235.504, 489.504, 6.0])
    np.testing.assert_allclose(o1_geometry.base_station_positions()[:, 2], 6.0)
    for a, b in ((1, 3), (3, 5), (2, 4), (4, 6), (7, 9), (9, 11), (8, 10), (10, 12)):
        assert _distance(a, b) == pytest.approx(100.0)
    assert _distance(5, 7) == pytest.approx(62.0)
    assert _distance(6, 8) == pytest.approx(62.0)
    for odd in range(1, 12, 2):
        assert _distance(odd, odd + 1) == pytest.approx(52.0)
        assert _bs(odd)[1] == pytest.approx(_bs(odd + 1)[1])
        centre = (_bs(odd)[0] + _bs(odd + 1)[0]) / 2
        assert centre == pytest.approx(o1_geometry.MAIN_STREET_CENTRE_X_M)


def test_cross_street_base_stations_are_three_facing_pairs() -> None:
    for a, b in ((13, 15), (15, 17), (14, 16), (16, 18)):
        assert _distance(a, b) == pytest.approx(150.0)
        assert _bs(a)[1] == pytest.approx(_bs(b)[1])
    lo, hi = o1_geometry.CROSS_STREET_Y_M
    for odd in (13, 15, 17):
        assert _distance(odd, odd + 1) == pytest.approx(52.0)
        assert _bs(odd)[0] == pytest.approx(_bs(odd + 1)[0])  # facing: same x
        assert _bs(odd)[1] < lo and _bs(odd + 1)[1] > hi  # on opposite sides
        assert (_bs(odd)[1] + _bs(odd + 1)[1]) / 2 == pytest.approx((lo + hi) / 2)
    facing = o1_geometry.base_station_facing_azimuth_deg()
    np.testing.assert_array_equal(facing[12:], [90.0, -90.0] * 3)


def test_streets_have_the_o1_widths_and_lengths() -> None:
    main_x, main_y = o1_geometry.MAIN_STREET_X_M, o1_geometry.MAIN_STREET_Y_M
    cross_x, cross_y = o1_geometry.CROSS_STREET_X_M, o1_geometry.CROSS_STREET_Y_M
    assert main_x[1] - main_x[0] == pytest.approx(40.0)
    assert main_y[1] - main_y[0] == pytest.approx(600.0)
    assert cross_y[1] - cross_y[0] == pytest.approx(40.0)
    assert cross_x[1] - cross_x[0] == pytest.approx(440.0)
    offsets = sorted((w.axis, w.offset) for w in o1_geometry.walls())
    assert offsets == [(0, main_x[0]), (0, main_x[1]), (1, cross_y[0]), (1, cross_y[1])]
    # The crossing sits in the 62 m gaps: BS5/BS6 south of it, BS7/BS8 north of it.
    assert _bs(5)[1] < cross_y[0] < cross_y[1] < _bs(7)[1]


def test_user_grids_have_the_o1_shapes_before_subsampling() -> None:
    shapes = [(g.name, g.rows, g.users_per_row) for g in o1_geometry.USER_GRIDS]
    assert shapes == [("UG1", 2751, 181), ("UG2", 1101, 181), ("UG3", 1351, 361)]
    full = [o1_geometry.grid_positions(g) for g in o1_geometry.USER_GRIDS]
    assert sum(len(p) for p in full) == 1_184_923
    ug1 = full[0].reshape(2751, 181, 3)
    np.testing.assert_allclose(np.diff(ug1[0, :, 0]), 0.2, atol=1e-9)  # a row: same y
    np.testing.assert_allclose(ug1[:, 0, 1] - ug1[0, 0, 1], 0.2 * np.arange(2751), atol=1e-6)
    assert ug1[-1, 0, 1] - ug1[0, 0, 1] == pytest.approx(550.0)
    assert ug1[0, 0, 1] - o1_geometry.MAIN_STREET_Y_M[0] == pytest.approx(15.0)
    np.testing.assert_allclose(np.concatenate(full)[:, 2], 2.0)
    for grid, positions in zip(o1_geometry.USER_GRIDS[:2], full[:2], strict=True):
        assert o1_geometry.in_street(positions[:, 0], positions[:, 1]).all(), grid.name
    ug3 = full[2].reshape(1351, 361, 3)
    assert np.ptp(ug3[0, :, 1]) == pytest.approx(72.0)


def test_strides_keep_a_subset_of_each_grid() -> None:
    for grid in o1_geometry.USER_GRIDS:
        full = o1_geometry.grid_positions(grid).reshape(grid.rows, grid.users_per_row, 3)
        sub = o1_geometry.grid_positions(grid, row_stride=7, user_stride=5)
        np.testing.assert_array_equal(sub, full[::7, ::5].reshape(-1, 3))
    with pytest.raises(ValueError, match="stride"):
        o1_geometry.grid_positions(o1_geometry.USER_GRIDS[0], row_stride=0)


def test_buildings_are_rows_of_varying_heights_outside_the_streets() -> None:
    buildings = np.array(o1_geometry.buildings(seed=0))
    np.testing.assert_array_equal(buildings, np.array(o1_geometry.buildings(seed=0)))
    assert not np.array_equal(buildings[:, 4], np.array(o1_geometry.buildings(seed=1))[:, 4])
    lo, hi = o1_geometry.BUILDING_HEIGHT_RANGE_M
    assert ((buildings[:, 4] >= lo) & (buildings[:, 4] <= hi)).all()
    assert np.ptp(buildings[:, 4]) > 10.0
    width, length = buildings[:, 1] - buildings[:, 0], buildings[:, 3] - buildings[:, 2]
    along_y = np.isclose(width, 30.0) & (length <= 60.0 + 1e-9)
    along_x = np.isclose(length, 30.0) & (width <= 60.0 + 1e-9)
    assert (along_y | along_x).all()  # 30 m deep, at most 60 m of frontage
    cx = (buildings[:, 0] + buildings[:, 1]) / 2
    cy = (buildings[:, 2] + buildings[:, 3]) / 2
    assert not o1_geometry.in_street(cx, cy).any()


def test_base_stations_see_across_their_street_and_users_in_buildings_get_no_path() -> None:
    bs = o1_geometry.base_station_positions()
    across = np.array([[261.504, 489.504, 2.0], [111.504, 620.504, 2.0]])
    inside = np.array([[200.0, 450.0, 2.0]])  # inside a building block
    rng = np.random.default_rng(0)
    kwargs = {"facades": o1_geometry.walls(), "blocks": o1_geometry.building_blocks()}
    for number, user in ((3, across[0]), (13, across[1])):
        paths = trace_paths(bs[number - 1], user[None], 3.5e9, rng, 3, **kwargs)
        assert paths.valid[0, 0]  # line of sight from the setback
        assert paths.interaction_positions.shape[2] == 4  # 3 facade bounces + the ground
    paths = trace_paths(bs[0], inside, 3.5e9, rng, 3, **kwargs)
    assert not paths.valid.any()


@pytest.fixture(scope="module")
def geometry_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write the small O1-geometry scenario once (treat it as read-only)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return write_synthetic_o1(tmp_path_factory.mktemp("o1_geometry"), SMALL)


def test_scenario_writes_three_user_rx_sets(geometry_scenario: Path) -> None:
    assert geometry_scenario.name == "o1_geometry_3p5" != SYNTHETIC_SCENARIO
    params = json.loads((geometry_scenario / "params.json").read_text())
    users = {
        s["id"]: (s["name"], s["num_points"])
        for s in params["txrx_sets"].values()
        if s["is_rx"] and not s["is_tx"]
    }
    expected = {
        2 + k: (g.name, len(o1_geometry.grid_positions(g, SMALL.row_stride, SMALL.user_stride)))
        for k, g in enumerate(o1_geometry.USER_GRIDS)
    }
    assert users == expected
    assert params["wmoe"]["generator"]["name"] == "o1_geometry_3p5"
    assert params["wmoe"]["max_interactions"] == 4
    with np.load(geometry_scenario / "inter_t000_tx000_r002.npz") as data:
        codes = data["inter"]
    assert np.nanmax(codes) >= 111  # third-order paths exist


def test_scenario_loads_through_the_env(geometry_scenario: Path) -> None:
    config = {
        "scenario": geometry_scenario.name,
        "scenarios_dir": str(geometry_scenario.parent),
        "cache_dir": str(geometry_scenario.parent / "cache"),
    }
    env = gym.make("wmoe/MultiBSReception-v0", config=config)
    core = env.unwrapped.core  # type: ignore[attr-defined]
    expected = np.concatenate(
        [
            o1_geometry.grid_positions(g, SMALL.row_stride, SMALL.user_stride)
            for g in o1_geometry.USER_GRIDS
        ]
    )
    np.testing.assert_allclose(core.data.user_positions, expected, atol=1e-4)
    np.testing.assert_allclose(
        core.data.bs_positions, o1_geometry.base_station_positions(), atol=1e-4
    )
    assert core.data.synthetic
    env.reset(seed=0)
    env.step(env.action_space.sample())
    ug2 = gym.make("wmoe/MultiBSReception-v0", config={**config, "user_grids": [3]})
    n_ug2 = len(o1_geometry.grid_positions(o1_geometry.USER_GRIDS[1], 100, 30))
    assert ug2.unwrapped.core.num_users == n_ug2  # type: ignore[attr-defined]


def _default_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*_t*_tx*_r*.npz")):
        with np.load(path, allow_pickle=False) as data:
            for key in sorted(data.files):
                array = data[key]
                digest.update(f"{path.name}:{key}:{array.dtype}:{array.shape}".encode())
                digest.update(np.ascontiguousarray(array).tobytes())
    params = json.loads((folder / "params.json").read_text())
    blocks = {"rt": params["rt_params"], "sets": params["txrx_sets"], "wmoe": params["wmoe"]}
    digest.update(json.dumps(blocks, sort_keys=True).encode())
    return digest.hexdigest()


def test_default_scenario_files_are_unchanged(tmp_path: Path) -> None:
    assert SyntheticO1Config() == SyntheticO1Config(
        name="o1_synthetic_3p5",
        frequency_hz=3.5e9,
        row_stride=5,
        user_stride=5,
        max_wall_order=2,
        seed=0,
    )
    assert SYNTHETIC_SCENARIO == "o1_synthetic_3p5"
    with contextlib.redirect_stdout(io.StringIO()):
        folder = write_synthetic_o1(tmp_path, SyntheticO1Config(row_stride=60, user_stride=45))
    assert _default_digest(folder) == DEFAULT_SCENARIO_DIGEST


def test_scene_map_draws_the_o1_geometry_buildings() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from wmoe.scenarios.plot import draw_scene

    bs = o1_geometry.base_station_positions()
    users = o1_geometry.grid_positions(o1_geometry.USER_GRIDS[0], 500, 60)
    figure, ax = plt.subplots()
    try:
        draw_scene(ax, users, bs, synthetic=True)
        assert len(ax.patches) == len(o1_geometry.buildings())
    finally:
        plt.close(figure)

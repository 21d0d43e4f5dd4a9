"""Physics of the image-method tracer against closed forms and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

from wmoe.scenarios import o1_layout
from wmoe.scenarios.raytrace import trace_paths, wall_sequences

FREQ_HZ = 3.5e9
C = 299_792_458.0
WAVELENGTH = C / FREQ_HZ
EPS0 = 8.8541878188e-12
COS45 = np.cos(np.pi / 4)
BS1 = np.array([235.504, 389.504, 6.0])
WALL_WEST_X = 231.504
WALL_EAST_X = 291.504
SEQUENCES = wall_sequences(o1_layout.walls(), 2)

# Users on the main street, in front of BS1 and further down the street (y < 609.504, so the
# west facade exists between BS1 and them).
MAIN_STREET_USERS = np.array(
    [
        [260.0, 420.0, 2.0],
        [250.0, 450.0, 2.0],
        [243.504, 364.504, 2.0],
        [279.504, 560.0, 2.0],
        [240.0, 395.0, 2.0],
    ]
)


def _path_index(seq: tuple[int, ...], ground: bool) -> int:
    return 2 * SEQUENCES.index(seq) + int(ground)


def _wall_index(axis: int, offset: float) -> int:
    for k, wall in enumerate(o1_layout.walls()):
        if wall.axis == axis and np.isclose(wall.offset, offset):
            return k
    raise AssertionError(f"no wall {axis=} {offset=}")


def _trace(rx: np.ndarray, tx: np.ndarray = BS1):
    return trace_paths(tx, np.atleast_2d(rx), FREQ_HZ, np.random.default_rng(0))


def _fresnel(eps_real: float, sigma: float, cos_i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form ITU-R P.2040-3 eq. (31) coefficients, written out independently."""
    eta = eps_real - 1j * sigma / (2 * np.pi * FREQ_HZ * EPS0)
    sin2 = 1.0 - cos_i**2
    root = np.sqrt(eta - sin2 + 0j)
    root = np.where(root.imag > 0, root.conj(), root)
    te = (cos_i - root) / (cos_i + root)
    tm = (eta * cos_i - root) / (eta * cos_i + root)
    return te, tm


def _concrete() -> tuple[float, float]:
    return 5.24, 0.0462 * (FREQ_HZ / 1e9) ** 0.7822


def _medium_dry_ground() -> tuple[float, float]:
    f_ghz = FREQ_HZ / 1e9
    return 15.0 * f_ghz**-0.1, 0.035 * f_ghz**1.63


def test_wall_sequences_count_and_no_repeat() -> None:
    assert len(wall_sequences(o1_layout.walls(), 2)) == 1 + 4 + 12
    assert len(wall_sequences(o1_layout.walls(), 1)) == 1 + 4
    order3 = wall_sequences(o1_layout.walls(), 3)
    assert len(order3) == 1 + 4 + 12 + 36
    assert len(set(order3)) == len(order3)
    assert all(a != b for seq in order3 for a, b in itertools.pairwise(seq))


def test_candidate_count_is_twice_the_sequences() -> None:
    paths = _trace(MAIN_STREET_USERS)
    assert paths.valid.shape == (len(MAIN_STREET_USERS), 2 * len(SEQUENCES))
    assert paths.gain.shape == (len(MAIN_STREET_USERS), 2 * len(SEQUENCES), 2)


def test_los_length_power_and_phase_are_free_space() -> None:
    paths = _trace(MAIN_STREET_USERS)
    los = _path_index((), False)
    d = np.linalg.norm(MAIN_STREET_USERS - BS1, axis=-1)
    assert paths.valid[:, los].all()
    assert paths.num_interactions[:, los].tolist() == [0] * len(d)
    np.testing.assert_allclose(paths.length_m[:, los], d, rtol=1e-12)
    amplitude = WAVELENGTH / (4 * np.pi * d)
    gain = paths.gain[:, los, :]
    np.testing.assert_allclose((np.abs(gain) ** 2).sum(axis=-1), amplitude**2, rtol=1e-10)
    np.testing.assert_allclose(np.abs(gain), (amplitude * COS45)[:, None] * [1, 1], rtol=1e-10)
    expected_phasor = np.exp(-2j * np.pi * d / WAVELENGTH)
    for port in range(2):
        np.testing.assert_allclose(np.exp(1j * np.angle(gain[:, port])), expected_phasor, atol=1e-9)


def test_los_departure_and_arrival_point_along_the_line() -> None:
    paths = _trace(MAIN_STREET_USERS)
    los = _path_index((), False)
    u = (MAIN_STREET_USERS - BS1) / np.linalg.norm(MAIN_STREET_USERS - BS1, axis=-1)[:, None]
    np.testing.assert_allclose(paths.departure[:, los], u, atol=1e-12)
    np.testing.assert_allclose(paths.arrival[:, los], -u, atol=1e-12)
    assert np.isnan(paths.interaction_positions[:, los]).all()


def _assert_specular(tx, point, rx, normal) -> None:
    """Law of reflection: equal angles to the normal, mirrored incoming leg || outgoing leg."""
    d_in = point - tx
    d_out = rx - point
    d_in_u = d_in / np.linalg.norm(d_in)
    d_out_u = d_out / np.linalg.norm(d_out)
    normal = np.asarray(normal, dtype=float)
    assert np.isclose(abs(d_in_u @ normal), abs(d_out_u @ normal), atol=1e-9)
    mirrored = d_in_u - 2 * (d_in_u @ normal) * normal
    np.testing.assert_allclose(mirrored, d_out_u, atol=1e-9)


@pytest.mark.parametrize("rx", list(MAIN_STREET_USERS[:4]))
def test_first_order_facade_reflection_geometry(rx: np.ndarray) -> None:
    west = _wall_index(0, WALL_WEST_X)
    k = _path_index((west,), False)
    paths = _trace(rx)
    assert paths.valid[0, k]
    assert paths.num_interactions[0, k] == 1
    image = np.array([2 * WALL_WEST_X - BS1[0], BS1[1], BS1[2]])
    np.testing.assert_allclose(paths.length_m[0, k], np.linalg.norm(rx - image), rtol=1e-12)
    point = paths.interaction_positions[0, k, 0]
    assert np.isnan(paths.interaction_positions[0, k, 1:]).all()
    assert point[0] == pytest.approx(WALL_WEST_X, abs=1e-9)
    assert o1_layout.MAIN_STREET_Y_M[0] <= point[1] <= o1_layout.CROSS_STREET_Y_M[0]
    assert min(BS1[2], rx[2]) <= point[2] <= max(BS1[2], rx[2])
    _assert_specular(BS1, point, rx, [1.0, 0.0, 0.0])
    # The unfolded length is the length of the polyline through the reflection point.
    polyline = np.linalg.norm(point - BS1) + np.linalg.norm(rx - point)
    assert paths.length_m[0, k] == pytest.approx(polyline, rel=1e-10)
    np.testing.assert_allclose(paths.departure[0, k], (point - BS1) / np.linalg.norm(point - BS1))
    np.testing.assert_allclose(paths.arrival[0, k], (point - rx) / np.linalg.norm(point - rx))


def test_first_order_reflection_length_is_fermat_minimum() -> None:
    """Brute force: minimise tx -> P -> rx over P on the west facade plane."""
    rx = MAIN_STREET_USERS[1]
    k = _path_index((_wall_index(0, WALL_WEST_X),), False)
    traced = _trace(rx).length_m[0, k]

    def length(yz: np.ndarray) -> float:
        p = np.array([WALL_WEST_X, yz[0], yz[1]])
        return float(np.linalg.norm(p - BS1) + np.linalg.norm(rx - p))

    best = minimize(length, x0=[500.0, 10.0], method="Nelder-Mead", options={"xatol": 1e-8})
    assert traced == pytest.approx(best.fun, abs=1e-6)


def test_second_order_reflection_between_parallel_facades() -> None:
    """West then east facade: the image is the tx shifted by twice the street width."""
    rx = MAIN_STREET_USERS[1]
    west, east = _wall_index(0, WALL_WEST_X), _wall_index(0, WALL_EAST_X)
    k = _path_index((west, east), False)
    paths = _trace(rx)
    assert paths.valid[0, k]
    assert paths.num_interactions[0, k] == 2
    image = BS1 + [2 * (WALL_EAST_X - WALL_WEST_X), 0.0, 0.0]
    assert paths.length_m[0, k] == pytest.approx(np.linalg.norm(rx - image), rel=1e-12)
    p1, p2 = paths.interaction_positions[0, k, :2]
    assert p1[0] == pytest.approx(WALL_WEST_X, abs=1e-9)
    assert p2[0] == pytest.approx(WALL_EAST_X, abs=1e-9)
    _assert_specular(BS1, p1, p2, [1.0, 0.0, 0.0])
    _assert_specular(p1, p2, rx, [1.0, 0.0, 0.0])

    def length(v: np.ndarray) -> float:
        a = np.array([WALL_WEST_X, v[0], v[1]])
        b = np.array([WALL_EAST_X, v[2], v[3]])
        return float(np.linalg.norm(a - BS1) + np.linalg.norm(b - a) + np.linalg.norm(rx - b))

    best = minimize(
        length, x0=[420.0, 5.0, 440.0, 3.0], method="Nelder-Mead", options={"xatol": 1e-9}
    )
    assert paths.length_m[0, k] == pytest.approx(best.fun, abs=1e-5)


@pytest.mark.parametrize("rx", list(MAIN_STREET_USERS))
def test_ground_reflection_geometry(rx: np.ndarray) -> None:
    k = _path_index((), True)
    paths = _trace(rx)
    assert paths.valid[0, k]
    assert paths.num_interactions[0, k] == 1
    image = BS1 * [1.0, 1.0, -1.0]
    assert paths.length_m[0, k] == pytest.approx(np.linalg.norm(rx - image), rel=1e-12)
    point = paths.interaction_positions[0, k, 0]
    assert point[2] == pytest.approx(0.0, abs=1e-9)
    _assert_specular(BS1, point, rx, [0.0, 0.0, 1.0])


def _image_path(
    rx: np.ndarray, image: np.ndarray, normal_axis: int
) -> tuple[np.ndarray, np.ndarray]:
    """Free-space gain along the unfolded path from ``image`` and the incidence cosine."""
    unfolded = rx - image
    length = np.linalg.norm(unfolded, axis=-1)
    cos_i = np.abs(unfolded[:, normal_axis]) / length
    free_space = WAVELENGTH / (4 * np.pi * length) * np.exp(-2j * np.pi * length / WAVELENGTH)
    return free_space, cos_i


def test_facade_reflection_gain_is_fresnel_te() -> None:
    """(g+45 + g-45) / (2 cos45) cancels the random H->V coupling and leaves Gamma_TE * FSPL."""
    west = _wall_index(0, WALL_WEST_X)
    k = _path_index((west,), False)
    paths = _trace(MAIN_STREET_USERS[:4])
    image = np.array([2 * WALL_WEST_X - BS1[0], BS1[1], BS1[2]])
    free_space, cos_i = _image_path(MAIN_STREET_USERS[:4], image, normal_axis=0)
    te, _ = _fresnel(*_concrete(), cos_i)
    combined = paths.gain[:, k, :].sum(axis=-1) / (2 * COS45)
    np.testing.assert_allclose(combined, free_space * te, rtol=1e-9)
    # The coupling is an XPR of about 8 dB: the cross-polar part is weaker than the co-polar.
    cross = np.abs(paths.gain[:, k, 0] - paths.gain[:, k, 1])
    assert np.all(cross > 0) and np.all(cross < np.abs(paths.gain[:, k, :].sum(axis=-1)) * 10)


def test_ground_reflection_gain_is_fresnel_tm() -> None:
    k = _path_index((), True)
    rx = MAIN_STREET_USERS
    paths = _trace(rx)
    free_space, cos_i = _image_path(rx, BS1 * [1.0, 1.0, -1.0], normal_axis=2)
    _, tm = _fresnel(*_medium_dry_ground(), cos_i)
    combined = paths.gain[:, k, :].sum(axis=-1) / (2 * COS45)
    np.testing.assert_allclose(combined, free_space * tm, rtol=1e-9)


def test_blockage_crossing_street_user_has_no_los_from_bs1() -> None:
    rx = np.array([[120.0, 630.0, 2.0], [260.0, 420.0, 2.0]])
    paths = _trace(rx)
    los, los_ground = _path_index((), False), _path_index((), True)
    assert not paths.valid[0, los]
    assert not paths.valid[0, los_ground]
    assert paths.valid[1, los]
    assert paths.valid[1, los_ground]


def _segment_in_street(a: np.ndarray, b: np.ndarray, samples: int = 6001) -> bool:
    t = np.linspace(0.0, 1.0, samples)[:, None]
    xy = a[None, :2] + t * (b[None, :2] - a[None, :2])
    return bool(o1_layout.in_street(xy[:, 0], xy[:, 1]).all())


def test_los_validity_matches_brute_force_sampling() -> None:
    """LoS exists iff the whole horizontal segment lies in open street (dense sampling)."""
    users = o1_layout.user_grid(row_stride=150, user_stride=60)
    los = _path_index((), False)
    bs_positions = o1_layout.base_station_positions()
    checked = mismatches = 0
    blocked_seen = clear_seen = False
    for tx in bs_positions:
        paths = _trace(users, tx)
        for rx, traced in zip(users, paths.valid[:, los], strict=True):
            brute = _segment_in_street(tx, rx)
            checked += 1
            mismatches += int(brute != bool(traced))
            blocked_seen |= not brute
            clear_seen |= brute
    assert checked > 500 and blocked_seen and clear_seen
    assert mismatches == 0


def test_valid_paths_have_finite_unit_directions_and_distinct_lengths() -> None:
    users = o1_layout.user_grid(row_stride=200, user_stride=90)
    paths = _trace(users)
    valid = paths.valid
    x_lo, x_hi = o1_layout.MAIN_STREET_X_M
    in_main = (users[:, 0] > x_lo) & (users[:, 0] < x_hi)
    assert valid[in_main, _path_index((), False)].all()
    for vec in (paths.departure, paths.arrival):
        norms = np.linalg.norm(vec[valid], axis=-1)
        np.testing.assert_allclose(norms, 1.0, atol=1e-12)
    # Every reflected path is longer than the straight line.
    d = np.linalg.norm(users - BS1, axis=-1)
    reflected = valid & (paths.num_interactions > 0)
    assert np.all(paths.length_m[reflected] > np.broadcast_to(d[:, None], valid.shape)[reflected])


def _segments_in_street(a: np.ndarray, b: np.ndarray, samples: int = 3001) -> np.ndarray:
    """(n,) whether each horizontal segment a[i] -> b[i] stays in open street (sampled)."""
    t = np.linspace(0.0, 1.0, samples)[None, :, None]
    xy = a[:, None, :2] + t * (b[:, None, :2] - a[:, None, :2])
    return o1_layout.in_street(xy[..., 0], xy[..., 1]).all(axis=1)


def test_first_order_reflection_validity_matches_brute_force() -> None:
    """Brute force: first-order facade reflections exist exactly where geometry allows.

    A reflection exists iff tx and rx are on the same side of the plane, the specular point has
    building on one side and street on the other, and both legs stay in open street. Some
    specular points fall into the gaps where the streets cross.
    """
    users = o1_layout.user_grid(row_stride=120, user_stride=45)
    bs_positions = o1_layout.base_station_positions()
    checked = valid_seen = gap_seen = 0
    for b, tx in enumerate(bs_positions):
        paths = _trace(users, tx)
        for w, wall in enumerate(o1_layout.walls()):
            k = _path_index((w,), False)
            image = tx.copy()
            image[wall.axis] = 2 * wall.offset - tx[wall.axis]
            s_rx = users[:, wall.axis] - wall.offset
            s_img = image[wall.axis] - wall.offset
            crosses = s_rx * s_img < 0
            t = s_rx / (s_rx - s_img)
            point = users[:, :2] + t[:, None] * (image[None, :2] - users[:, :2])
            normal = np.zeros(2)
            normal[wall.axis] = 0.01
            side_a = o1_layout.in_street(*(point + normal).T)
            side_b = o1_layout.in_street(*(point - normal).T)
            on_facade = side_a != side_b
            tx_rep = np.broadcast_to(tx, users.shape)
            legs = _segments_in_street(tx_rep, point) & _segments_in_street(point, users)
            brute = crosses & on_facade & legs
            mismatch = np.flatnonzero(brute != paths.valid[:, k])
            assert mismatch.size == 0, (b, w, users[mismatch[:3]])
            checked += len(users)
            valid_seen += int(brute.sum())
            gap_seen += int((crosses & ~on_facade & legs).sum())
    assert checked > 5000 and valid_seen > 100 and gap_seen > 0


@pytest.mark.parametrize(
    ("rx_y", "expected_point_y", "exists"),
    [(667.504, 609.004, True), (675.504, 611.004, False), (791.504, 640.004, False)],
)
def test_reflection_point_in_the_crossing_gap_is_rejected(
    rx_y: float, expected_point_y: float, exists: bool
) -> None:
    """BS5 -> west facade -> user 12 m from it: the specular point lies at 1/4 of the way."""
    bs5 = o1_layout.base_station_positions()[4]
    rx = np.array([WALL_WEST_X + 12.0, rx_y, 2.0])
    k = _path_index((_wall_index(0, WALL_WEST_X),), False)
    paths = _trace(rx, bs5)
    assert bs5[1] + (rx_y - bs5[1]) * 4.0 / 16.0 == pytest.approx(expected_point_y)
    assert bool(paths.valid[0, k]) is exists
    if exists:
        assert paths.interaction_positions[0, k, 0, 1] == pytest.approx(expected_point_y)


@pytest.mark.parametrize("bs", [0, 4, 9, 12, 15])
def test_every_valid_path_is_a_specular_polyline(bs: int) -> None:
    """Every valid path, of every kind, is a specular polyline of the traced length.

    Each interaction point lies on a facade plane or the ground and obeys the law of reflection
    there, and the departure / arrival vectors point along the first / last leg.
    """
    tx = o1_layout.base_station_positions()[bs]
    users = o1_layout.user_grid(row_stride=120, user_stride=45)
    paths = _trace(users, tx)
    planes = [(0, WALL_WEST_X), (0, WALL_EAST_X)] + [(1, y) for y in o1_layout.CROSS_STREET_Y_M]
    kinds_seen = set()
    for i, k in zip(*np.nonzero(paths.valid), strict=True):
        n_int = int(paths.num_interactions[i, k])
        pts = paths.interaction_positions[i, k, :n_int]
        assert not np.isnan(pts).any()
        assert np.isnan(paths.interaction_positions[i, k, n_int:]).all()
        chain = np.vstack([tx, pts, users[i]])
        legs = np.diff(chain, axis=0)
        assert paths.length_m[i, k] == pytest.approx(np.linalg.norm(legs, axis=1).sum(), rel=1e-9)
        for j, p in enumerate(pts):
            if abs(p[2]) < 1e-9:
                normal = np.array([0.0, 0.0, 1.0])
            else:
                on = [(axis, off) for axis, off in planes if abs(p[axis] - off) < 1e-6]
                assert len(on) == 1, p
                normal = np.eye(3)[on[0][0]]
            _assert_specular(chain[j], p, chain[j + 2], normal)
        np.testing.assert_allclose(
            paths.departure[i, k], legs[0] / np.linalg.norm(legs[0]), atol=1e-9
        )
        np.testing.assert_allclose(
            paths.arrival[i, k], -legs[-1] / np.linalg.norm(legs[-1]), atol=1e-9
        )
        kinds_seen.add(n_int)
    assert kinds_seen == {0, 1, 2, 3}

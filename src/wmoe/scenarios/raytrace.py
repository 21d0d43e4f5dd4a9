"""Image-method ray tracing in the synthetic O1-like street canyon (SYNTHETIC data).

Paths from one base station to many users: line of sight, specular reflections off the street
facades up to ``max_wall_order`` (2 in the default scenario), each with or without one ground
reflection (image method: the transmitter is mirrored across each reflecting plane in turn and
the unfolded straight line gives the path length and angles; J. B. Keller's geometrical
optics, cf. Rappaport, *Wireless Communications*, Sec. 4.6). A path is kept only if every
reflection point lies on a real facade and no leg crosses a building (segment-rectangle
clipping, Liang-Barsky).

Polarisation: the uplink UE antennas are vertically polarised. Each reflection applies the
Fresnel coefficients of its surface (ITU-R P.2040-3 Sec. 2.3; facades of ITU-R concrete, the
ground of ITU-R medium dry ground): off a facade the vertical field is treated as TE and the
horizontal one as TM, off the ground the vertical field is TM and the horizontal TE (exact for
the ground; for facades this neglects the tilt of the plane of incidence, a few degrees at
street level). Each reflection also couples the two polarisations with a cross-polarisation
ratio drawn once per (base station, path kind, reflection) from the 3GPP TR 38.901
Table 7.5-6 UMi street-canyon NLOS distribution (mean 8 dB, std 3 dB) with uniform phases,
as in TR 38.901 eq. 7.5-28. The field arriving at the base station is projected on its
+45 / -45 degree slanted ports.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from wmoe.phy.arrays import SLANT_ANGLES_DEG
from wmoe.phy.propagation import fresnel_reflection, material_permittivity
from wmoe.phy.units import SPEED_OF_LIGHT
from wmoe.scenarios.o1_layout import Wall, building_blocks, walls

BS_SETBACK_CLEARANCE_M = 1.0  # open band behind a BS standing inside a block [m] (assumption)

XPR_MEAN_DB = 8.0
XPR_STD_DB = 3.0
FACADE_MATERIAL = "concrete"
GROUND_MATERIAL = "medium_dry_ground"
MAX_INTERACTIONS = 3
_EPS_M = 1e-6


@dataclass(frozen=True)
class PathSet:
    """Paths from one transmitter to ``n`` receivers, ``P`` candidate paths each.

    Invalid candidates (blocked, or a reflection point off the facade) have ``valid`` False and
    undefined other entries.

    Attributes:
        valid: (n, P) whether the path exists.
        gain: (n, P, ports) complex amplitude per slanted BS port, including free-space loss,
            reflection and polarisation coupling.
        length_m: (n, P) unfolded path length [m].
        departure: (n, P, 3) unit vector of departure at the transmitter.
        arrival: (n, P, 3) unit vector from the receiver towards where the path arrives from.
        interaction_positions: (n, P, 3, 3) interaction points in order from the transmitter,
            NaN-padded [m].
        num_interactions: (n, P) number of reflections.
    """

    valid: NDArray[np.bool_]
    gain: NDArray[np.complex128]
    length_m: NDArray[np.float64]
    departure: NDArray[np.float64]
    arrival: NDArray[np.float64]
    interaction_positions: NDArray[np.float64]
    num_interactions: NDArray[np.int64]


def wall_sequences(all_walls: tuple[Wall, ...], max_order: int = 2) -> list[tuple[int, ...]]:
    """Return facade index sequences of order 0..max_order, no facade twice in a row."""
    sequences: list[tuple[int, ...]] = [()]
    for order in range(1, max_order + 1):
        for seq in itertools.product(range(len(all_walls)), repeat=order):
            if all(a != b for a, b in itertools.pairwise(seq)):
                sequences.append(seq)
    return sequences


def _mirror(points: NDArray[np.float64], wall: Wall) -> NDArray[np.float64]:
    mirrored = points.copy()
    mirrored[..., wall.axis] = 2.0 * wall.offset - points[..., wall.axis]
    return mirrored


def _on_facade(point_xy: NDArray[np.float64], wall: Wall) -> NDArray[np.bool_]:
    along = point_xy[..., 1 - wall.axis]
    ok = np.zeros(along.shape, dtype=bool)
    for lo, hi in wall.spans:
        ok |= (along >= lo - _EPS_M) & (along <= hi + _EPS_M)
    return ok


Block = tuple[float, float, float, float]


def _segments_clear(
    a: NDArray[np.float64], b: NDArray[np.float64], blocks: tuple[Block, ...]
) -> NDArray[np.bool_]:
    """Whether horizontal segments a->b avoid the interior of every block (x0, x1, y0, y1)."""
    clear = np.ones(a.shape[:-1], dtype=bool)
    d = b - a
    for x0, x1, y0, y1 in blocks:
        t_enter = np.zeros(a.shape[:-1])
        t_exit = np.ones(a.shape[:-1])
        inside_slab = np.ones(a.shape[:-1], dtype=bool)
        for axis, (lo, hi) in enumerate(((x0, x1), (y0, y1))):
            lo_i, hi_i = lo + _EPS_M, hi - _EPS_M
            da = d[..., axis]
            pa = a[..., axis]
            parallel = np.abs(da) < 1e-12
            inside_slab &= ~parallel | ((pa > lo_i) & (pa < hi_i))
            with np.errstate(divide="ignore", invalid="ignore"):
                t0 = (lo_i - pa) / da
                t1 = (hi_i - pa) / da
            t_lo = np.where(parallel, -np.inf, np.minimum(t0, t1))
            t_hi = np.where(parallel, np.inf, np.maximum(t0, t1))
            t_enter = np.maximum(t_enter, t_lo)
            t_exit = np.minimum(t_exit, t_hi)
        clear &= ~(inside_slab & (t_enter < t_exit))
    return clear


def _outside_blocks(xy: NDArray[np.float64], blocks: tuple[Block, ...]) -> NDArray[np.bool_]:
    """Whether horizontal points lie outside the interior of every block."""
    outside = np.ones(xy.shape[:-1], dtype=bool)
    for x0, x1, y0, y1 in blocks:
        outside &= ~(
            (xy[..., 0] > x0 + _EPS_M)
            & (xy[..., 0] < x1 - _EPS_M)
            & (xy[..., 1] > y0 + _EPS_M)
            & (xy[..., 1] < y1 - _EPS_M)
        )
    return outside


def open_setback(blocks: tuple[Block, ...], tx_xy: NDArray[np.float64]) -> tuple[Block, ...]:
    """Return ``blocks`` with the band between a transmitter inside one and its nearest side cut.

    A transmitter inside a block (O1's BSs stand 6 m behind 40 m streets' facades, see
    :mod:`wmoe.scenarios.o1_geometry`) is taken to stand in an open setback: the band from the
    block's side nearest to it to ``BS_SETBACK_CLEARANCE_M`` behind it does not block its own
    legs. Blocks not holding the transmitter are returned unchanged.
    """
    x, y = float(tx_xy[0]), float(tx_xy[1])
    result = []
    for x0, x1, y0, y1 in blocks:
        if not (x0 < x < x1 and y0 < y < y1):
            result.append((x0, x1, y0, y1))
            continue
        depth = {"x0": x - x0, "x1": x1 - x, "y0": y - y0, "y1": y1 - y}
        side = min(depth, key=depth.__getitem__)
        cut = depth[side] + BS_SETBACK_CLEARANCE_M
        carved = {
            "x0": (x0 + cut, x1, y0, y1),
            "x1": (x0, x1 - cut, y0, y1),
            "y0": (x0, x1, y0 + cut, y1),
            "y1": (x0, x1, y0, y1 - cut),
        }[side]
        result.append(carved)
    return tuple(result)


def _unit(v: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unit vectors; a zero vector (only on invalid candidate paths) gives NaN."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(v / np.linalg.norm(v, axis=-1, keepdims=True))


def _xpr_matrices(rng: np.random.Generator, count: int) -> NDArray[np.complex128]:
    """Draw ``count`` 2x2 polarisation coupling matrices (TR 38.901 eq. 7.5-28, XPR UMi NLOS)."""
    xpr_db = rng.normal(XPR_MEAN_DB, XPR_STD_DB, size=count)
    chi = 10.0 ** (-xpr_db / 20.0)
    phases = rng.uniform(-np.pi, np.pi, size=(count, 2))
    coupling = np.ones((count, 2, 2), dtype=np.complex128)
    coupling[:, 0, 1] = chi * np.exp(1j * phases[:, 0])
    coupling[:, 1, 0] = chi * np.exp(1j * phases[:, 1])
    return coupling


def trace_paths(
    tx_position: NDArray[np.float64],
    rx_positions: NDArray[np.float64],
    frequency_hz: float,
    rng: np.random.Generator,
    max_wall_order: int = 2,
    *,
    facades: tuple[Wall, ...] | None = None,
    blocks: tuple[Block, ...] | None = None,
) -> PathSet:
    """Trace all paths from one transmitter to each receiver.

    Args:
        tx_position: (3,) transmitter (base station) position [m].
        rx_positions: (n, 3) receiver (user) positions [m].
        frequency_hz: Carrier frequency [Hz].
        rng: Generator for the per-path-kind cross-polarisation draws.
        max_wall_order: Highest number of facade reflections.
        facades: Reflecting street facades; the default synthetic layout's when None.
        blocks: Blocking building blocks (x0, x1, y0, y1) [m]; the default layout's when None.
            A transmitter inside a block stands in an open setback (:func:`open_setback`).

    Returns:
        The candidate paths, ``P = 2 * len(wall_sequences)`` per receiver (with and without a
        ground reflection); ``interaction_positions`` has
        ``max(MAX_INTERACTIONS, max_wall_order + 1)`` slots.
    """
    all_walls = walls() if facades is None else facades
    all_blocks = building_blocks() if blocks is None else blocks
    num_slots = max(MAX_INTERACTIONS, max_wall_order + 1)
    sequences = wall_sequences(all_walls, max_wall_order)
    wavelength = SPEED_OF_LIGHT / frequency_hz
    eta_facade = material_permittivity(FACADE_MATERIAL, frequency_hz)
    eta_ground = material_permittivity(GROUND_MATERIAL, frequency_hz)
    slants = np.deg2rad(np.asarray(SLANT_ANGLES_DEG))
    port_launch = np.stack([np.cos(slants), np.sin(slants)])  # (V/H field component, port)
    tx = np.asarray(tx_position, dtype=np.float64)
    rx_xy = rx_positions[:, :2]
    tx_blocks = open_setback(all_blocks, tx[:2])
    rx_outside = _outside_blocks(rx_xy, all_blocks)

    results = []
    for seq in sequences:
        # Images of the transmitter across the sequence, in 2D.
        images = [tx[:2]]
        for w in seq:
            images.append(_mirror(images[-1], all_walls[w]))
        # Back-trace reflection points from the receiver (none reach one inside a building).
        valid = rx_outside.copy()
        points = [rx_xy]
        for k in range(len(seq) - 1, -1, -1):
            wall = all_walls[seq[k]]
            start = points[-1]
            end = np.broadcast_to(images[k + 1], start.shape)
            denom = end[:, wall.axis] - start[:, wall.axis]
            with np.errstate(divide="ignore", invalid="ignore"):
                t = (wall.offset - start[:, wall.axis]) / denom
            t = np.where(np.isfinite(t), t, -1.0)
            valid &= (t > _EPS_M) & (t < 1.0 - _EPS_M)
            hit = start + np.clip(t, 0.0, 1.0)[:, None] * (end - start)
            valid &= _on_facade(hit, wall)
            points.append(hit)
        points.append(np.broadcast_to(tx[:2], rx_xy.shape))
        route = points[::-1]  # tx, reflection points in order, rx
        for leg, (a, b) in enumerate(itertools.pairwise(route)):
            valid &= _segments_clear(a, b, tx_blocks if leg == 0 else all_blocks)
        leg_lengths = np.stack(
            [np.linalg.norm(b - a, axis=-1) for a, b in itertools.pairwise(route)], axis=-1
        )
        horizontal = leg_lengths.sum(axis=-1)
        cum_frac = np.cumsum(leg_lengths, axis=-1)[:, :-1] / np.maximum(horizontal, _EPS_M)[:, None]
        cum_frac = np.clip(cum_frac, 0.0, 1.0)
        unfolded_xy = rx_xy - images[-1]
        for ground in (False, True):
            results.append(
                _finish_path(
                    seq,
                    ground,
                    tx,
                    rx_positions,
                    route,
                    cum_frac,
                    unfolded_xy,
                    valid,
                    wavelength,
                    eta_facade,
                    eta_ground,
                    port_launch,
                    rng,
                    all_walls,
                    num_slots,
                )
            )
    return PathSet(
        *(np.stack([getattr(r, f) for r in results], axis=1) for f in PathSet.__dataclass_fields__)
    )


def _finish_path(
    seq: tuple[int, ...],
    ground: bool,
    tx: NDArray[np.float64],
    rx: NDArray[np.float64],
    route: list[NDArray[np.float64]],
    cum_frac: NDArray[np.float64],
    unfolded_xy: NDArray[np.float64],
    valid: NDArray[np.bool_],
    wavelength: float,
    eta_facade: complex,
    eta_ground: complex,
    port_launch: NDArray[np.float64],
    rng: np.random.Generator,
    all_walls: tuple[Wall, ...],
    num_slots: int,
) -> PathSet:
    """Complete one candidate path kind: 3-D geometry, angles and per-port complex gain."""
    n = len(rx)
    z_tx, z_rx = tx[2], rx[:, 2]
    z_image = -z_tx if ground else z_tx
    unfolded = np.column_stack([unfolded_xy, z_rx - z_image])
    length = np.linalg.norm(unfolded, axis=-1)
    direction_cos = np.abs(unfolded) / length[:, None]  # incidence cosines on x, y, z planes

    # Interaction events along the path as fractions of the horizontal route from tx.
    fractions = [cum_frac[:, k] for k in range(len(seq))]
    kinds: list[int] = list(seq)
    if ground:
        fractions.append(np.full(n, z_tx / (z_tx + z_rx)))
        kinds.append(-1)
    order = np.argsort(np.stack(fractions, axis=-1), axis=-1) if kinds else np.zeros((n, 0), int)

    positions = np.full((n, num_slots, 3), np.nan)
    field = np.zeros((n, 2, 2), dtype=np.complex128)  # field components x ports, from tx
    field[:] = port_launch
    coupling = _xpr_matrices(rng, len(kinds))
    for slot in range(len(kinds)):
        idx = order[:, slot]
        frac = np.take_along_axis(np.stack(fractions, axis=-1), idx[:, None], axis=-1)[:, 0]
        positions[:, slot] = _point_at_fraction(route, cum_frac, frac, z_image, z_rx)
        for event, kind in enumerate(kinds):
            here = idx == event
            if not here.any():
                continue
            if kind == -1:
                te, tm = fresnel_reflection(eta_ground, np.arccos(direction_cos[here, 2]))
                gammas = np.stack([tm, te], axis=-1)  # ground: V is TM, H is TE
            else:
                axis = all_walls[kind].axis
                te, tm = fresnel_reflection(eta_facade, np.arccos(direction_cos[here, axis]))
                gammas = np.stack([te, tm], axis=-1)  # facade: V is TE, H is TM
            reflected = gammas[:, :, None] * field[here]
            field[here] = np.einsum("ij,njp->nip", coupling[event], reflected)

    free_space = wavelength / (4.0 * np.pi * length) * np.exp(-2j * np.pi * length / wavelength)
    # Reciprocity: the UE's vertical antenna picks up the V component of each port's field.
    gain = free_space[:, None] * field[:, 0, :]

    first = np.where(np.isnan(positions[:, 0, 0])[:, None], rx, np.nan_to_num(positions[:, 0]))
    last_slot = np.clip(len(kinds) - 1, 0, None)
    last = positions[:, last_slot] if kinds else np.broadcast_to(tx, rx.shape)
    departure = _unit(first - tx)
    arrival = _unit(last - rx)
    return PathSet(
        valid=valid.copy(),
        gain=gain,
        length_m=length,
        departure=departure,
        arrival=arrival,
        interaction_positions=positions,
        num_interactions=np.full(n, len(kinds), dtype=np.int64),
    )


def _point_at_fraction(
    route: list[NDArray[np.float64]],
    cum_frac: NDArray[np.float64],
    frac: NDArray[np.float64],
    z_image: float,
    z_rx: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Return the 3-D point at a fraction of the horizontal route (heights from the unfolding)."""
    edges = np.column_stack([np.zeros(len(frac)), cum_frac, np.ones(len(frac))])
    leg = np.clip((frac[:, None] >= edges[:, 1:-1]).sum(axis=-1), 0, len(route) - 2)
    lo = np.take_along_axis(edges, leg[:, None], axis=-1)[:, 0]
    hi = np.take_along_axis(edges, leg[:, None] + 1, axis=-1)[:, 0]
    local = np.where(hi > lo, (frac - lo) / np.maximum(hi - lo, _EPS_M), 0.0)
    starts = np.stack(route[:-1], axis=1)
    ends = np.stack(route[1:], axis=1)
    a = np.take_along_axis(starts, leg[:, None, None], axis=1)[:, 0]
    b = np.take_along_axis(ends, leg[:, None, None], axis=1)[:, 0]
    xy = a + local[:, None] * (b - a)
    z = np.abs(z_image + frac * (z_rx - z_image))
    return np.column_stack([xy, z])

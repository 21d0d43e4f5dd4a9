"""Antennas of a satellite link: a nadir-pointing planar array and a GEO earth-station dish.

* **Satellite array frame.** A nadir-pointing uniform planar array (UPA) on a LEO satellite:
  boresight towards the Earth's centre (nadir), first array axis along the velocity
  (along-track), second axis across it. A target is described by its direction cosines
  ``(u, v)`` along the two array axes and ``w`` along the boresight; ``arccos(w)`` is its
  off-boresight (off-nadir) angle. This is the geometry of LEO massive-MIMO downlinks, e.g.
  L. You et al., "Massive MIMO Transmission for LEO Satellite Communications", IEEE J. Sel.
  Areas Commun. 38(8), 2020, Sec. II-A.
* **Array factor.** The UPA of :func:`wmoe.phy.arrays.upa_positions` (``N_x`` by ``N_y``
  elements, spacing ``d`` wavelengths) has the steering vector
  ``a[n] = exp(+j 2 pi d (n_x u + n_y v))``; the inner product of two of them is separable
  into two Dirichlet kernels, ``a_p^H a_q = D_{N_x}(u_q - u_p) D_{N_y}(v_q - v_p)`` with
  ``D_N(x) = sum_n exp(j 2 pi d n x)`` (H. L. Van Trees, *Optimum Array Processing*, Wiley
  2002, Sec. 2.4 and 4.1). Beamformers that are combinations of steering vectors (matched
  filter, zero forcing, regularised ZF, null steering) then need only this Gram matrix, never
  the ``N``-element vectors: a 32 x 32 array costs no more than a 2 x 2 one.
* **Element pattern.** The 3GPP antenna element of TR 38.901 V17.0.0 Table 7.3-1, taken
  rotationally symmetric about the boresight: ``G_E(theta) = 8 - min(12 (theta / 65 deg)^2,
  30)`` dBi. 32 x 32 such elements give ``10 log10(1024) + 8 = 38.1`` dBi at boresight, the
  38.5 dBi of the Ka-band LEO-600 satellite of 3GPP TR 38.821 V16.1.0 Table 6.1.1.1-1.
* **GEO earth station.** The reference off-axis pattern of FSS earth stations, ITU-R S.465-6:
  ``32 - 25 log10(phi)`` dBi for ``phi_min <= phi < 48 deg`` and ``-10`` dBi beyond, with
  ``phi_min = max(1, 100 lambda / D)`` deg for ``D / lambda >= 50`` and
  ``max(2, 114 (D / lambda)^-1.09)`` deg otherwise; S.465 does not define the main lobe, for
  which the parabolic main lobe of ITU Radio Regulations Appendix 8 (and ITU-R S.580),
  ``G_max - 2.5e-3 (D phi / lambda)^2``, is used down to the S.465 level at ``phi_min``; the
  on-axis gain is that of a uniformly illuminated aperture of efficiency ``eta``,
  ``G_max = eta (pi D / lambda)^2``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.phy.units import SPEED_OF_LIGHT

ELEMENT_MAX_GAIN_DBI = 8.0  # [dBi], TR 38.901 Table 7.3-1
ELEMENT_BEAMWIDTH_DEG = 65.0  # [deg], 3 dB beamwidth, TR 38.901 Table 7.3-1
ELEMENT_MAX_ATTENUATION_DB = 30.0  # [dB], front-to-back ratio, TR 38.901 Table 7.3-1


def dirichlet_kernel(
    x: NDArray[Any], num_elements: int, spacing: float = 0.5
) -> NDArray[np.complex128]:
    """``sum_{n=0}^{N-1} exp(j 2 pi d n x)`` in closed form: the array factor of a ULA.

    ``exp(j pi d (N - 1) x) sin(N pi d x) / sin(pi d x)``, equal to ``N`` where
    ``sin(pi d x) = 0`` (boresight and grating lobes). Source: Van Trees 2002, eq. (2.93).

    Args:
        x: Differences of direction cosines along the array axis [-]; any shape.
        num_elements: Elements ``N`` along the axis, ``>= 1``.
        spacing: Element spacing ``d`` [wavelengths], ``> 0``.

    Returns:
        Complex array factor, shape of ``x``.
    """
    if isinstance(num_elements, bool) or not isinstance(num_elements, int) or num_elements < 1:
        raise ValueError(f"num_elements must be an int >= 1, got {num_elements!r}")
    _check_spacing(spacing)
    phase = np.pi * spacing * np.asarray(x, dtype=np.float64)
    ratio, singular = _sine_ratio(phase, num_elements)
    leading = np.exp(1j * (num_elements - 1) * phase)
    return np.where(singular, num_elements + 0j, leading * ratio)


def _check_spacing(spacing: float) -> None:
    if not (math.isfinite(spacing) and spacing > 0.0):
        raise ValueError(f"spacing must be > 0 wavelengths, got {spacing!r}; e.g. 0.5")


def _sine_ratio(phase: NDArray[np.float64], num_elements: Any) -> tuple[NDArray[Any], NDArray[Any]]:
    """``sin(N phase) / sin(phase)`` and where ``sin(phase) = 0`` (to within 1e-12).

    There ``phase = pi d x`` is a multiple of pi, so every term ``exp(j 2 pi d n x)`` of the
    Dirichlet kernel is 1 and the kernel is ``N``: callers put ``N`` at those entries.
    """
    denominator = np.sin(phase)
    singular = np.abs(denominator) < 1e-12
    return np.sin(num_elements * phase) / np.where(singular, 1.0, denominator), singular


@functools.lru_cache(maxsize=64)
def upper_triangle(size: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row and column indices of the strict upper triangle of a ``size`` square matrix.

    ``numpy.triu_indices(size, 1)``, cached (read-only arrays): it is needed at every step.
    """
    rows, cols = np.triu_indices(size, 1)
    rows.setflags(write=False)
    cols.setflags(write=False)
    return rows, cols


def upa_gram(
    directions: NDArray[Any], array_size: tuple[int, int] | NDArray[Any], spacing: float = 0.5
) -> NDArray[np.complex128]:
    """Gram matrix ``a_p^H a_q`` of UPA steering vectors towards a set of directions.

    Args:
        directions: Direction cosines ``(u, v)`` along the two array axes, shape
            ``(..., P, 2)``.
        array_size: Elements ``(N_x, N_y)`` along the two axes, or one such pair per set of
            directions, ``(..., 2)`` (the leading shape of ``directions``).
        spacing: Element spacing [wavelengths].

    Returns:
        ``(..., P, P)`` Hermitian matrix with ``N_x N_y`` on the diagonal.
    """
    d = np.asarray(directions, dtype=np.float64)
    if d.ndim < 2 or d.shape[-1] != 2:
        raise ValueError(f"directions must have shape (..., P, 2), got {d.shape}")
    # Only the upper triangle is computed: the diagonal is N_x N_y (zero differences) and the
    # lower triangle its conjugate (the kernel of -x is the conjugate of the kernel of x).
    num = d.shape[-2]
    rows, cols = upper_triangle(num)
    sizes = np.asarray(array_size, dtype=np.int64)
    if sizes.shape not in ((2,), (*d.shape[:-2], 2)):
        raise ValueError(
            f"array_size must be (N_x, N_y) or one pair per set of directions, shape "
            f"{(*d.shape[:-2], 2)}; got shape {sizes.shape}"
        )
    if np.any(sizes < 1):
        raise ValueError(f"array sizes must be >= 1 element, got {sizes.min()}")
    _check_spacing(spacing)
    per_set = sizes[..., None, :]  # broadcasts over the pairs
    upper = _axis_kernels(d[..., 0], rows, cols, per_set[..., 0], spacing) * _axis_kernels(
        d[..., 1], rows, cols, per_set[..., 1], spacing
    )
    gram = np.empty((*d.shape[:-2], num, num), dtype=np.complex128)
    diagonal = np.arange(num)
    gram[..., diagonal, diagonal] = (per_set[..., 0] * per_set[..., 1]).astype(np.float64)
    gram[..., rows, cols] = upper
    gram[..., cols, rows] = np.conj(upper)
    return gram


def _axis_kernels(
    x: NDArray[np.float64],
    rows: NDArray[np.intp],
    cols: NDArray[np.intp],
    num_elements: NDArray[np.int64],
    spacing: float,
) -> NDArray[np.complex128]:
    """:func:`dirichlet_kernel` of ``x[..., cols] - x[..., rows]``, ``(..., len(rows))``.

    The sines of ``sin(N phi) / sin(phi)``, ``phi = pi d (x_q - x_p)``, are taken of each
    pair's difference (exact for nearby directions, where both are small), but the phase
    factor ``exp(j (N - 1) phi)`` is one direction's phasor times the other's conjugate, so
    its cosines and sines are taken per direction, not per pair.
    """
    ratio, singular = _sine_ratio(np.pi * spacing * (x[..., cols] - x[..., rows]), num_elements)
    leading = _cis((num_elements - 1) * np.pi * spacing * x)
    kernel = leading[..., cols] * np.conj(leading[..., rows])
    kernel *= ratio
    return np.where(singular, num_elements.astype(np.float64), kernel)


def _cis(angle: NDArray[np.float64]) -> NDArray[np.complex128]:
    """``exp(j angle)`` from its cosine and sine (about twice as fast as ``np.exp``)."""
    out = np.empty(angle.shape, dtype=np.complex128)
    out.real = np.cos(angle)
    out.imag = np.sin(angle)
    return out


def element_gain_db(off_boresight_deg: NDArray[Any] | float) -> NDArray[np.float64]:
    """Gain of the 3GPP antenna element towards an off-boresight angle [dBi].

    ``8 - min(12 (theta / 65)^2, 30)``: TR 38.901 V17.0.0 Table 7.3-1 with the vertical cut
    used for every plane through the boresight (rotational symmetry).

    Args:
        off_boresight_deg: Angle from the boresight [deg], ``>= 0``.
    """
    theta = np.asarray(off_boresight_deg, dtype=np.float64)
    attenuation = np.minimum(
        12.0 * (theta / ELEMENT_BEAMWIDTH_DEG) ** 2, ELEMENT_MAX_ATTENUATION_DB
    )
    return ELEMENT_MAX_GAIN_DBI - attenuation


def array_frame(satellite_m: NDArray[Any], velocity_direction: NDArray[Any]) -> NDArray[np.float64]:
    """Unit axes (along-track, cross-track, nadir) of a nadir-pointing array, ``(..., 3, 3)``.

    Args:
        satellite_m: Earth-centred satellite positions [m], ``(..., 3)``.
        velocity_direction: Satellite velocity (any positive scale), ``(..., 3)``.

    Returns:
        Rows: along-track (velocity made orthogonal to nadir), cross-track (nadir x
        along-track) and nadir (towards the Earth's centre).
    """
    position = np.asarray(satellite_m, dtype=np.float64)
    nadir = -position / np.linalg.norm(position, axis=-1, keepdims=True)
    velocity = np.asarray(velocity_direction, dtype=np.float64)
    along = velocity - np.sum(velocity * nadir, axis=-1, keepdims=True) * nadir
    along = along / np.linalg.norm(along, axis=-1, keepdims=True)
    cross = np.cross(nadir, along)
    return np.stack([along, cross, nadir], axis=-2)


def direction_cosines(
    satellite_m: NDArray[Any], frame: NDArray[Any], targets_m: NDArray[Any]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Direction cosines of targets in the array frame, and their distances.

    Args:
        satellite_m: Satellite positions [m], ``(..., 3)``.
        frame: Axes from :func:`array_frame`, ``(..., 3, 3)``.
        targets_m: Target positions [m], ``(..., P, 3)``.

    Returns:
        ``(cosines, distance_m)``: ``(..., P, 3)`` components ``(u, v, w)`` of the unit
        vector towards each target (``w`` along the boresight), and ``(..., P)`` distances.
    """
    line = np.asarray(targets_m, dtype=np.float64) - np.asarray(satellite_m)[..., None, :]
    distance = np.linalg.norm(line, axis=-1)
    unit = line / distance[..., None]
    return np.einsum("...pk,...ak->...pa", unit, frame), distance


def earth_station_max_gain_dbi(
    diameter_m: float, carrier_hz: float, efficiency: float = 0.65
) -> float:
    """On-axis gain of a parabolic dish, ``10 log10(eta (pi D / lambda)^2)`` [dBi].

    Source: J. D. Kraus, *Antennas*, 2nd ed., McGraw-Hill 1988, Sec. 12-8 (aperture
    efficiency); 0.65 is a typical efficiency (ITU-R S.580 / S.465 examples).

    Args:
        diameter_m: Dish diameter ``D`` [m], ``> 0``.
        carrier_hz: Carrier frequency [Hz], ``> 0``.
        efficiency: Aperture efficiency ``eta`` in ``(0, 1]``.
    """
    if not (diameter_m > 0.0 and carrier_hz > 0.0 and 0.0 < efficiency <= 1.0):
        raise ValueError(
            f"need diameter_m > 0, carrier_hz > 0 and 0 < efficiency <= 1, got {diameter_m!r}, "
            f"{carrier_hz!r}, {efficiency!r}"
        )
    ratio = diameter_m * carrier_hz / SPEED_OF_LIGHT
    return 10.0 * math.log10(efficiency * (math.pi * ratio) ** 2)


def earth_station_gain_dbi(
    off_axis_deg: NDArray[Any] | float,
    diameter_m: float,
    carrier_hz: float,
    efficiency: float = 0.65,
) -> NDArray[np.float64]:
    """Off-axis gain of an FSS earth-station dish [dBi], ITU-R S.465-6 with an RR Ap. 8 lobe.

    See the module docstring: the Appendix 8 parabolic main lobe ``G_max - 2.5e-3 (D phi /
    lambda)^2`` (never below the S.465 level at ``phi_min``) inside ``phi_min``, then S.465's
    ``32 - 25 log10(phi)`` and ``-10`` dBi beyond 48 deg.

    Args:
        off_axis_deg: Angle from the dish axis [deg], in ``[0, 180]``.
        diameter_m: Dish diameter [m].
        carrier_hz: Carrier frequency [Hz].
        efficiency: Aperture efficiency.
    """
    phi = np.asarray(off_axis_deg, dtype=np.float64)
    if np.any((phi < 0.0) | (phi > 180.0)) or not np.all(np.isfinite(phi)):
        raise ValueError("off_axis_deg must lie in [0, 180] degrees")
    g_max = earth_station_max_gain_dbi(diameter_m, carrier_hz, efficiency)
    ratio = diameter_m * carrier_hz / SPEED_OF_LIGHT  # D / lambda
    phi_min = max(1.0, 100.0 / ratio) if ratio >= 50.0 else max(2.0, 114.0 * ratio**-1.09)
    sidelobe = 32.0 - 25.0 * np.log10(np.maximum(phi, phi_min))
    main = np.maximum(g_max - 2.5e-3 * (ratio * phi) ** 2, 32.0 - 25.0 * math.log10(phi_min))
    return np.where(phi < phi_min, main, np.where(phi < 48.0, sidelobe, -10.0))

"""Rayleigh fading gains, independent or time-correlated, batched over any shape.

A flat Rayleigh fading gain is a circularly-symmetric complex Gaussian ``h ~ CN(0, 1)``: its
real and imaginary parts are independent ``N(0, 1/2)``, so ``E[|h|^2] = 1`` (the average path
gain is carried elsewhere, e.g. in the SNR), ``|h|`` is Rayleigh distributed and ``|h|^2`` is
exponential with mean 1.

Time correlation follows Jakes' (Clarke's) isotropic-scattering model, whose autocorrelation at
lag ``T`` is ``J0(2 pi f_D T)``, approximated by a first-order Gauss-Markov (AR(1)) process
``h[t+1] = rho h[t] + sqrt(1 - rho^2) w[t]`` with ``w ~ CN(0, 1)`` and ``rho = J0(2 pi f_D T)``.
The AR(1) process matches the Jakes correlation at lag one exactly; at larger lags it decays
geometrically (``rho^m``) instead of oscillating like ``J0``.
"""

from __future__ import annotations

import math
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray
from scipy.special import j0


def _shape_tuple(shape: int | tuple[int, ...], name: str) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of non-negative ints, or raise a ValueError naming it."""
    if type(shape) is int and shape >= 0:  # the common case, checked cheaply
        return (shape,)
    dims = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if not all(isinstance(n, int | np.integer) and n >= 0 for n in dims):
        raise ValueError(
            f"{name} must be a non-negative int or a tuple of them, got {shape!r}; "
            "pass e.g. (batch, num_links)."
        )
    return tuple(int(n) for n in dims)


def rayleigh_gains(
    rng: np.random.Generator, shape: int | tuple[int, ...]
) -> NDArray[np.complex128]:
    """Draw independent flat Rayleigh fading gains ``h ~ CN(0, 1)``.

    Source: R. H. Clarke, "A statistical theory of mobile-radio reception", Bell Syst. Tech. J.
    47(6), 1968; W. C. Jakes, *Microwave Mobile Communications*, Wiley 1974, Ch. 1 (Rayleigh
    envelope of many scattered paths without a line-of-sight component).

    Args:
        rng: Source of randomness.
        shape: Output shape, e.g. ``(batch, num_links)``.

    Returns:
        Complex gains [dimensionless], shape ``shape``, with ``E[|h|^2] = 1``.

    Raises:
        ValueError: If ``shape`` is not a non-negative int or tuple of them.
    """
    dims = _shape_tuple(shape, "shape")
    parts = rng.standard_normal((*dims, 2)) * math.sqrt(0.5)  # real and imaginary parts
    return parts.view(np.complex128)[..., 0]


@overload
def jakes_correlation(doppler_hz: float, interval_s: float) -> float: ...
@overload
def jakes_correlation(
    doppler_hz: NDArray[Any], interval_s: NDArray[Any] | float
) -> NDArray[np.float64]: ...
@overload
def jakes_correlation(doppler_hz: float, interval_s: NDArray[Any]) -> NDArray[np.float64]: ...
def jakes_correlation(
    doppler_hz: float | NDArray[Any], interval_s: float | NDArray[Any]
) -> float | NDArray[np.float64]:
    """Lag correlation of a Jakes (Clarke) fading process, ``rho = J0(2 pi f_D T)``.

    ``rho = E[h[t+T] conj(h[t])] / E[|h|^2]`` for isotropic scattering in the horizontal plane
    seen by a receiver moving at constant speed; ``f_D = v f_c / c`` is the maximum Doppler
    shift. ``rho`` lies in ``[-0.403, 1]``; it is ``1`` for a static channel and first reaches
    zero at ``f_D T = 0.383``.

    Source: W. C. Jakes, *Microwave Mobile Communications*, Wiley 1974, Sec. 1.3;
    R. H. Clarke, Bell Syst. Tech. J. 47(6), 1968.

    Args:
        doppler_hz: Maximum Doppler shift ``f_D`` [Hz], ``>= 0``; a float or an array.
        interval_s: Time step ``T`` [s], ``>= 0``; a float or an array broadcastable with
            ``doppler_hz``.

    Returns:
        ``rho`` [dimensionless]: a float for float inputs, else an array of the broadcast shape.

    Raises:
        ValueError: If any entry of ``doppler_hz`` or ``interval_s`` is negative or not finite.
    """
    for name, value in (("doppler_hz", doppler_hz), ("interval_s", interval_s)):
        array = np.asarray(value, dtype=np.float64)
        if not np.all(np.isfinite(array) & (array >= 0.0)):
            raise ValueError(
                f"{name} must be finite and >= 0, got {value!r}; pass the maximum Doppler "
                "shift v f_c / c in hertz and the time step in seconds."
            )
    rho = j0(2.0 * math.pi * np.multiply(doppler_hz, interval_s, dtype=np.float64))
    if np.ndim(rho) == 0:
        return float(rho)
    return np.asarray(rho, dtype=np.float64)


def _check_rho(rho: float | NDArray[Any]) -> NDArray[np.float64]:
    """Return ``rho`` as float64 after checking it is real and in ``[-1, 1]``."""
    if np.iscomplexobj(rho):
        raise ValueError(
            f"rho must be real, got a complex value {rho!r}; pass jakes_correlation(f_D, T)."
        )
    correlation = np.asarray(rho, dtype=np.float64)
    if not np.all(np.isfinite(correlation) & (np.abs(correlation) <= 1.0)):
        raise ValueError(
            f"rho must lie in [-1, 1], got {rho!r}; pass a lag correlation such as "
            "jakes_correlation(doppler_hz, interval_s)."
        )
    return correlation


def gauss_markov_step(
    h: NDArray[Any], rho: float | NDArray[Any], rng: np.random.Generator
) -> NDArray[np.complex128]:
    """Advance Rayleigh gains one step of a first-order Gauss-Markov (AR(1)) process.

    ``h_next = rho h + sqrt(1 - rho^2) w`` with fresh ``w ~ CN(0, 1)``. If ``h ~ CN(0, 1)``
    then ``h_next ~ CN(0, 1)`` (the process is stationary) and ``E[h_next conj(h)] = rho``.
    Use ``rho = jakes_correlation(doppler_hz, interval_s)``. The function holds no state: the
    caller keeps ``h``.

    Source: K. E. Baddour and N. C. Beaulieu, "Autoregressive modeling for fading channel
    simulation", IEEE Trans. Wireless Commun. 4(4), 2005 (AR(1) as the first-order model of a
    Jakes process); W. C. Jakes, *Microwave Mobile Communications*, Wiley 1974.

    Args:
        h: Current gains [dimensionless], complex, any shape.
        rho: Lag-one correlation, real, in ``[-1, 1]``; a float or an array broadcastable to
            ``h.shape`` (e.g. one value per link).
        rng: Source of randomness.

    Returns:
        The next gains, complex128, shape ``h.shape``.

    Raises:
        ValueError: If ``rho`` is complex, outside ``[-1, 1]``, or does not broadcast to
            ``h.shape``.
    """
    gains = np.asarray(h, dtype=np.complex128)
    correlation = _check_rho(rho)
    try:
        correlation = np.broadcast_to(correlation, gains.shape)
    except ValueError as error:
        raise ValueError(
            f"rho of shape {correlation.shape} does not broadcast to h of shape {gains.shape}; "
            "pass a float or one value per trailing entry of h."
        ) from error
    return gauss_markov_update(gains, correlation, rayleigh_gains(rng, gains.shape))


def gauss_markov_update(
    h: NDArray[np.complex128], rho: NDArray[np.float64], innovation: NDArray[np.complex128]
) -> NDArray[np.complex128]:
    """The AR(1) step ``rho h + sqrt(1 - rho^2) w`` of :func:`gauss_markov_step`.

    The ``CN(0, 1)`` innovation ``w`` is drawn by the caller (e.g. one generator per env).

    Args:
        h: Current gains, complex.
        rho: Lag-one correlations in ``[-1, 1]``, broadcastable to ``h`` (not checked here).
        innovation: ``CN(0, 1)`` draws of ``h``'s shape (:func:`rayleigh_gains`).
    """
    result: NDArray[np.complex128] = rho * h + np.sqrt(1.0 - np.square(rho)) * innovation
    return result


def gauss_markov_sequence(
    rng: np.random.Generator,
    num_steps: int,
    shape: int | tuple[int, ...],
    rho: float | NDArray[Any],
) -> NDArray[np.complex128]:
    """Draw stationary time-correlated Rayleigh gains, ``num_steps`` AR(1) steps long.

    The first step is drawn from the stationary law ``CN(0, 1)``; each later step is
    :func:`gauss_markov_step` of the one before, so every step is ``CN(0, 1)`` and the lag-``m``
    correlation is ``rho^m``.

    Source: K. E. Baddour and N. C. Beaulieu, IEEE Trans. Wireless Commun. 4(4), 2005.

    Args:
        rng: Source of randomness.
        num_steps: Number of time steps, ``>= 1``.
        shape: Shape of one step, e.g. ``(batch, num_links)``.
        rho: Lag-one correlation in ``[-1, 1]``, a float or an array broadcastable to ``shape``.

    Returns:
        Gains [dimensionless], complex128, shape ``(num_steps, *shape)``.

    Raises:
        ValueError: If ``num_steps < 1``, ``shape`` is invalid or ``rho`` is out of range.
    """
    if not (isinstance(num_steps, int | np.integer) and num_steps >= 1):
        raise ValueError(f"num_steps must be an int >= 1, got {num_steps!r}; pass e.g. 100.")
    dims = _shape_tuple(shape, "shape")
    correlation = _check_rho(rho)
    out = np.empty((int(num_steps), *dims), dtype=np.complex128)
    out[0] = rayleigh_gains(rng, dims)
    for step in range(1, int(num_steps)):
        out[step] = gauss_markov_step(out[step - 1], correlation, rng)
    return out

"""Gray-mapped 16-QAM with unit average symbol energy: mapping, hard demapping, AWGN BER.

Each symbol carries four bits ``b0 b1 b2 b3``: ``b0 b1`` select the in-phase and ``b2 b3`` the
quadrature amplitude through the Gray map ``00 -> -3, 01 -> -1, 11 -> +1, 10 -> +3``, scaled by
``1 / sqrt(10)`` so that ``E[|x|^2] = 1`` (the mapping of IEEE 802.11). Adjacent
points differ in one bit. Hard demapping picks the nearest point, one axis at a time.

Source: IEEE Std 802.11-2020, Sec. 17.3.5.8 (16-QAM Gray mapping and normalisation
``K_MOD = 1 / sqrt(10)``); K. Cho and D. Yoon, "On the general BER expression of one- and
two-dimensional amplitude modulations", IEEE Trans. Commun. 50(7), 2002 (exact BER).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import erfc

BITS_PER_SYMBOL = 4
_SCALE = 1.0 / math.sqrt(10.0)  # K_MOD: unit average energy of the levels {-3, -1, 1, 3}
_GRAY_LEVELS = np.array([-3.0, -1.0, 3.0, 1.0])  # amplitude of the bit pair 2 b0 + b1
# Symbol of the bits b0 b1 b2 b3 at index 8 b0 + 4 b1 + 2 b2 + b3.
_CONSTELLATION = (_GRAY_LEVELS[:, np.newaxis] + 1j * _GRAY_LEVELS[np.newaxis, :]).ravel() * _SCALE


def qam16_modulate(bits: NDArray[Any]) -> NDArray[np.complex128]:
    """Map bits to Gray-coded 16-QAM symbols of unit average energy.

    Source: IEEE Std 802.11-2020, Sec. 17.3.5.8.

    Args:
        bits: Bits (0 or 1), bool or integer, shape ``(..., 4 m)``; each group of four,
            ``b0 b1 b2 b3``, becomes one symbol.

    Returns:
        Symbols, complex128, shape ``(..., m)``.

    Raises:
        ValueError: If ``bits`` are not 0/1 or the last axis is not a multiple of 4.
    """
    values = np.asarray(bits)
    if (
        values.ndim < 1
        or values.shape[-1] % BITS_PER_SYMBOL
        or values.dtype.kind not in "biu"
        or (values.size and (values.min() < 0 or values.max() > 1))
    ):
        raise ValueError(
            f"bits must be 0/1 of shape (..., 4 m), got dtype {values.dtype} and shape "
            f"{values.shape}; zero-pad the last axis to a multiple of {BITS_PER_SYMBOL}."
        )
    groups = values.reshape(*values.shape[:-1], -1, BITS_PER_SYMBOL).astype(np.uint8, copy=False)
    index = (groups[..., 0] << 3) | (groups[..., 1] << 2) | (groups[..., 2] << 1) | groups[..., 3]
    return _CONSTELLATION[index]


def qam16_demodulate(symbols: NDArray[Any]) -> NDArray[np.uint8]:
    """Hard-demap (nearest point) received 16-QAM symbols to bits.

    Per axis, with ``a`` the amplitude in units of ``1 / sqrt(10)``: ``b0 = [a > 0]`` and
    ``b1 = [|a| < 2]`` (likewise ``b2, b3`` from the quadrature part), the decision regions of
    the Gray map of :func:`qam16_modulate`.

    Source: J. G. Proakis and M. Salehi, *Digital Communications*, 5th ed., McGraw-Hill 2008,
    Sec. 4.3 (minimum-distance detection of QAM).

    Args:
        symbols: Equalised received symbols, complex, shape ``(..., m)``.

    Returns:
        Bits, uint8, shape ``(..., 4 m)``.

    Raises:
        ValueError: If ``symbols`` has no last axis or non-finite entries.
    """
    received = np.asarray(symbols, dtype=np.complex128)
    if received.ndim < 1 or not np.all(np.isfinite(received)):
        raise ValueError(
            f"symbols must be finite with shape (..., m), got shape {received.shape}; check the "
            "equaliser (a zero channel gain cannot be equalised)."
        )
    in_phase = received.real / _SCALE
    quadrature = received.imag / _SCALE
    bits = np.stack(
        (in_phase > 0.0, np.abs(in_phase) < 2.0, quadrature > 0.0, np.abs(quadrature) < 2.0),
        axis=-1,
    )
    return bits.reshape(*received.shape[:-1], -1).astype(np.uint8)


def qam16_awgn_ber(snr_db: float | NDArray[Any]) -> NDArray[np.float64]:
    """Exact bit error rate of Gray-coded 16-QAM over AWGN with hard decisions.

    ``P_b = [3 erfc(sqrt(g / 10)) + 2 erfc(3 sqrt(g / 10)) - erfc(5 sqrt(g / 10))] / 8`` with
    ``g = E_s / N_0`` (linear), the exact expression of Cho and Yoon (2002) for ``M = 16``, whose
    leading term is the usual approximation ``(3 / 8) erfc(sqrt(g / 10))``.

    Source: K. Cho and D. Yoon, IEEE Trans. Commun. 50(7), 2002.

    Args:
        snr_db: Symbol SNR ``E_s / N_0`` [dB]; a float or an array.

    Returns:
        ``P_b``, float64, the shape of ``snr_db``.
    """
    root = np.sqrt(np.power(10.0, np.asarray(snr_db, dtype=np.float64) / 10.0) / 10.0)
    return (3.0 * erfc(root) + 2.0 * erfc(3.0 * root) - erfc(5.0 * root)) / 8.0

"""Wideband channels: sub-band centre frequencies and the multipath frequency response.

A multipath channel with paths of complex MIMO gain ``A_p`` (at the carrier, array responses
included) and delay ``tau_p`` has the baseband frequency response
``H(f) = sum_p A_p exp(-j 2 pi f tau_p)`` at an offset ``f`` from the carrier (Tse and
Viswanath, Sec. 2.2.4, eq. (2.34): the Fourier transform of the tapped impulse response); at
``f = 0`` it is the narrowband (carrier) channel ``sum_p A_p``. A carrier of bandwidth ``B``
cut into ``S`` sub-bands of width ``B / S`` is represented by the response at each sub-band's
centre, ``f_s = (s + 1/2) B / S - B / 2`` for ``s = 0..S-1`` (a sub-band is one CSI / SRS
reporting unit of TS 38.214 Sec. 5.2.1.4; the response is taken as flat inside it).

Source: D. Tse and P. Viswanath, *Fundamentals of Wireless Communication*, Cambridge 2005,
Sec. 2.2.4; 3GPP TS 38.214 Sec. 5.2.1.4 (sub-bands).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def subband_offsets_hz(bandwidth_hz: float, num_subbands: int) -> NDArray[np.float64]:
    """Centre frequencies of ``S`` equal sub-bands of a carrier, relative to the carrier [Hz].

    Args:
        bandwidth_hz: Carrier bandwidth ``B`` [Hz], positive.
        num_subbands: Number of sub-bands ``S``, at least 1 (1: the carrier itself, offset 0).

    Returns:
        ``(s + 1/2) B / S - B / 2`` for ``s = 0..S-1``, shape ``(S,)``, ascending.

    Raises:
        ValueError: If ``bandwidth_hz <= 0`` or ``num_subbands < 1``.
    """
    if not bandwidth_hz > 0.0:
        raise ValueError(f"bandwidth_hz must be positive, got {bandwidth_hz!r}")
    if isinstance(num_subbands, bool) or num_subbands < 1:
        raise ValueError(f"num_subbands must be an integer >= 1, got {num_subbands!r}")
    width_hz = bandwidth_hz / num_subbands
    return np.asarray((np.arange(num_subbands) + 0.5) * width_hz - bandwidth_hz / 2.0)


def frequency_response(
    path_gains: NDArray[Any], delay_s: NDArray[Any], offsets_hz: NDArray[Any]
) -> NDArray[np.complex128]:
    """``H(f_s) = sum_p A_p exp(-j 2 pi f_s tau_p)``: the channel at each frequency offset.

    Args:
        path_gains: Per-path channel gains ``A_p``, shape ``(n, ..., P)`` (paths last).
        delay_s: Path delays ``tau_p`` [s], shape ``(n, P)``; NaN marks a missing path (its
            gain must be zero; DeepMIMO pads with NaN and zero gains).
        offsets_hz: Frequency offsets ``f_s`` from the carrier [Hz], shape ``(S,)``.

    Returns:
        The responses, shape ``(n, S, ...)``: the sub-band axis after the first one.

    Raises:
        ValueError: If the shapes of ``path_gains`` and ``delay_s`` do not match.
    """
    gains = np.asarray(path_gains)
    delay = np.nan_to_num(np.asarray(delay_s, dtype=np.float64), nan=0.0)
    if delay.shape != (gains.shape[0], gains.shape[-1]):
        raise ValueError(
            f"delay_s has shape {delay.shape}; (n, P) = {(gains.shape[0], gains.shape[-1])} "
            f"was expected for path_gains of shape {gains.shape}"
        )
    offsets = np.asarray(offsets_hz, dtype=np.float64)
    phase = np.exp(-2j * np.pi * delay[:, None, :] * offsets[None, :, None])  # (n, S, P)
    return np.asarray(np.einsum("n...p,nsp->ns...", gains, phase))

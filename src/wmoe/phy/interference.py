"""Linear MMSE reception in spatially coloured interference, from per-receiver Gram blocks.

A receiver with channel ``H`` (ports x Nt) to the served UE and interferers of channels
``g_i`` (ports x 1 each, the columns of ``G``) sending powers ``p_i`` sees, after dividing by
the noise power ``sigma^2``, the interference-plus-noise covariance
``R = I + G Q G^H`` with ``Q = diag(q)``, ``q_i = p_i / sigma^2``. Its MMSE receiver whitens by
``R``; the served UE's SINRs follow from the whitened Gram ``H^H R^{-1} H`` exactly as from
``H^H H`` without interference (:func:`~wmoe.phy.receivers.mmse_sinr_from_gram` of
``(P / sigma^2) W^H H^H R^{-1} H W``; Tse and Viswanath Sec. 8.3.3). With the Woodbury
identity in its symmetric ``Q^{1/2}`` form,

``H^H R^{-1} H = H^H H - C Q^{1/2} (I + Q^{1/2} D Q^{1/2})^{-1} Q^{1/2} C^H``,

``C = H^H G`` (Nt x M) and ``D = G^H G`` (M x M). The inner matrix is at least ``I``, so an
inactive interferer (``q_i = 0``) needs no special case and nothing is divided by zero. For a
set of cooperating receivers whose ports are stacked, each of ``H^H H``, ``C`` and ``D`` is the
sum of its per-receiver blocks, so a set's whitened Gram is computed from per-BS quantities.

Source: D. Tse and P. Viswanath, *Fundamentals of Wireless Communication*, Cambridge 2005,
Sec. 8.3.3 (MMSE receiver with coloured noise); M. A. Woodbury, "Inverting modified
matrices", Memorandum Rept. 42, Princeton University, 1950.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def whitened_gram(
    gram: NDArray[Any],
    cross: NDArray[Any],
    interferer_gram: NDArray[Any],
    interferer_snr: NDArray[Any],
) -> NDArray[np.complex128]:
    """``H^H (I + G diag(q) G^H)^{-1} H`` from ``H^H H``, ``H^H G`` and ``G^H G`` (Woodbury).

    Args:
        gram: ``H^H H``, shape ``(..., Nt, Nt)``.
        cross: ``C = H^H G``, shape ``(..., Nt, M)``.
        interferer_gram: ``D = G^H G``, shape ``(..., M, M)``.
        interferer_snr: ``q_i = p_i / sigma^2 >= 0`` (0: inactive), shape ``(..., M)``.

    Returns:
        The whitened Gram (Hermitian PSD), shape ``(..., Nt, Nt)`` (leading axes broadcast).

    Raises:
        ValueError: If the matrix sizes disagree or an ``interferer_snr`` is negative.
    """
    cross = np.asarray(cross)
    d = np.asarray(interferer_gram)
    q = np.asarray(interferer_snr, dtype=np.float64)
    nt, m = cross.shape[-2:]
    if gram.shape[-2:] != (nt, nt) or d.shape[-2:] != (m, m) or q.shape[-1:] != (m,):
        raise ValueError(
            f"shapes gram {gram.shape}, cross {cross.shape}, interferer_gram {d.shape}, "
            f"interferer_snr {q.shape} do not fit (..., Nt, Nt), (..., Nt, M), (..., M, M), "
            "(..., M)"
        )
    if np.any(q < 0.0):
        raise ValueError(f"interferer_snr must be >= 0, got {q.min()}")
    root = np.sqrt(q)
    scaled = cross * root[..., None, :]  # C Q^{1/2}
    inner = d * (root[..., :, None] * root[..., None, :]) + np.eye(m)
    correction = scaled @ np.linalg.solve(inner, np.conj(np.swapaxes(scaled, -1, -2)))
    out = gram - correction
    return np.asarray(0.5 * (out + np.conj(np.swapaxes(out, -1, -2))))

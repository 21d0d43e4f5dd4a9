"""Post-processing SINR of linear MIMO receivers, batched over leading dimensions.

Signal model: ``y = H W s + n`` with ``E[s s^H] = I`` and, after normalising by the noise power,
``E[n n^H] = I``. The Gram inputs therefore already carry the SNR:
``G = (P / sigma^2) H^H H``, a Hermitian positive semi-definite matrix of shape
``(..., Nt, Nt)``, and ``G_eff = W^H G W`` of shape ``(..., r, r)`` is the Gram matrix of the
effective channel ``H W``. All SINRs are linear (not dB) and dimensionless.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

_RANK_RTOL = 16.0 * np.finfo(np.float64).eps


def _square_stack(gram: NDArray[Any], name: str) -> NDArray[np.complex128]:
    """Return ``gram`` as complex128 after checking it is a stack of square matrices."""
    g = np.asarray(gram, dtype=np.complex128)
    if g.ndim < 2 or g.shape[-1] != g.shape[-2] or g.shape[-1] == 0:
        raise ValueError(
            f"{name} must be a stack of non-empty square matrices, shape (..., r, r), got shape "
            f"{g.shape}; build it with effective_gram or as H^H H / noise_var."
        )
    return g


def _channel_gram(channel: NDArray[Any], noise_var: float | NDArray[Any]) -> NDArray[Any]:
    """Return ``H^H H / noise_var`` for a stack of channels of shape ``(..., Nr, r)``."""
    h = np.asarray(channel, dtype=np.complex128)
    if h.ndim < 2:
        raise ValueError(
            f"channel must have shape (..., Nr, r), got shape {h.shape}; add a streams axis "
            "(e.g. h[:, None]) for a single-stream channel."
        )
    variance = np.asarray(noise_var, dtype=np.float64)
    if not np.all(np.isfinite(variance) & (variance > 0.0)):
        raise ValueError(
            f"noise_var must be positive and finite, got a minimum of {float(np.min(variance))}; "
            "pass the noise power per receive antenna in the same units as |H|^2."
        )
    gram = np.conj(np.swapaxes(h, -1, -2)) @ h
    return gram / variance[..., np.newaxis, np.newaxis]


def effective_gram(gram: NDArray[Any], precoders: NDArray[Any]) -> NDArray[np.complex128]:
    """Gram matrix of the precoded channel, ``W^H G W``.

    Args:
        gram: SNR-scaled Gram matrices ``G = (P / sigma^2) H^H H`` [dimensionless], shape
            ``(..., Nt, Nt)``.
        precoders: Precoders ``W`` [dimensionless], shape ``(..., Nt, r)``; leading
            dimensions broadcast with those of ``gram`` (e.g. ``(C, Nt, r)`` against
            ``(B, 1, Nt, Nt)`` gives ``(B, C, r, r)``).

    Returns:
        ``G_eff``, shape ``(..., r, r)``.

    Raises:
        ValueError: If the shapes are not matrices with matching ``Nt``.
    """
    g = _square_stack(gram, "gram")
    w = np.asarray(precoders, dtype=np.complex128)
    if w.ndim < 2 or w.shape[-2] != g.shape[-1]:
        raise ValueError(
            f"precoders must have shape (..., Nt, r) with Nt = {g.shape[-1]} to match gram, "
            f"got shape {w.shape}; pass one (Nt, r) matrix per codeword."
        )
    return np.conj(np.swapaxes(w, -1, -2)) @ g @ w


def mmse_sinr_from_gram(gram_eff: NDArray[Any]) -> NDArray[np.float64]:
    """Per-stream SINR of the linear MMSE receiver, from the effective Gram matrix.

    ``SINR_k = 1 / [(I + G_eff)^{-1}]_{kk} - 1``. For ``r = 1`` this is ``G_eff`` itself
    (maximum-ratio combining); for ``r = 2`` the closed form of the 2x2 inverse gives
    ``SINR_0 = g_00 - |g_01|^2 / (1 + g_11)`` (and symmetrically for stream 1); larger ``r``
    use ``numpy.linalg.inv``. A zero-padded stream (zero row and column) gets SINR 0; tiny
    negative round-off is clamped to 0.

    Source: D. Tse and P. Viswanath, *Fundamentals of Wireless Communication*, Cambridge 2005,
    Sec. 8.3.3 (linear MMSE receiver, for which ``1 + SINR_k = 1 / [(I + G)^{-1}]_{kk}``).

    Args:
        gram_eff: Effective Gram matrices ``G_eff`` (Hermitian PSD) [dimensionless], shape
            ``(..., r, r)``.

    Returns:
        SINR per stream [linear], real and ``>= 0``, shape ``(..., r)``.

    Raises:
        ValueError: If ``gram_eff`` is not a stack of square matrices.
    """
    g = _square_stack(gram_eff, "gram_eff")
    num_streams = g.shape[-1]
    if num_streams == 1:
        sinr = g[..., 0, :].real
    elif num_streams == 2:
        g00 = g[..., 0, 0].real
        g11 = g[..., 1, 1].real
        cross = np.abs(g[..., 0, 1]) ** 2
        sinr = np.stack([g00 - cross / (1.0 + g11), g11 - cross / (1.0 + g00)], axis=-1)
    else:
        inverse = np.linalg.inv(np.eye(num_streams) + g)
        sinr = 1.0 / np.diagonal(inverse, axis1=-2, axis2=-1).real - 1.0
    return np.maximum(sinr, 0.0)


def zf_sinr_from_gram(gram_eff: NDArray[Any]) -> NDArray[np.float64]:
    """Per-stream SINR of the zero-forcing (decorrelating) receiver, from the Gram matrix.

    ``SINR_k = 1 / [G_eff^{-1}]_{kk}``. Zero forcing needs ``G_eff`` to be invertible, i.e. the
    effective channel ``H W`` to have full column rank; a matrix whose smallest eigenvalue is
    below ``16 * eps * r`` times its largest counts as singular.

    Source: D. Tse and P. Viswanath, *Fundamentals of Wireless Communication*, Cambridge 2005,
    Sec. 8.3.1 (decorrelator); A. Paulraj, R. Nabar and D. Gore, *Introduction to Space-Time
    Wireless Communications*, Cambridge 2003, Ch. 7 (spatial multiplexing receivers).

    Args:
        gram_eff: Effective Gram matrices ``G_eff`` (Hermitian PSD) [dimensionless], shape
            ``(..., r, r)``.

    Returns:
        SINR per stream [linear], real and ``> 0``, shape ``(..., r)``.

    Raises:
        ValueError: If ``gram_eff`` is not a stack of square matrices, or if any of them is
            singular (for example a zero-padded stream, or more streams than receive
            antennas).
    """
    g = _square_stack(gram_eff, "gram_eff")
    num_streams = g.shape[-1]
    eigenvalues = np.linalg.eigvalsh(g)  # ascending, (..., r)
    threshold = _RANK_RTOL * num_streams * eigenvalues[..., -1]
    singular = eigenvalues[..., 0] <= threshold
    if np.any(singular):
        first = np.unravel_index(int(np.argmax(singular)), singular.shape)
        raise ValueError(
            f"zero forcing needs the effective channel H W to have full column rank, but "
            f"{int(np.count_nonzero(singular))} of {singular.size} Gram matrices are singular "
            f"(first at index {tuple(int(i) for i in first)}, eigenvalues "
            f"{eigenvalues[first].tolist()}); use MMSE, or use no more streams than receive "
            "antennas and drop zero-padded precoder columns."
        )
    inverse = np.linalg.inv(g)
    return 1.0 / np.diagonal(inverse, axis1=-2, axis2=-1).real


def mmse_sinr(channel: NDArray[Any], noise_var: float | NDArray[Any] = 1.0) -> NDArray[np.float64]:
    """Per-stream SINR of the linear MMSE receiver for an effective channel.

    Equivalent to ``mmse_sinr_from_gram(H^H H / noise_var)``; see :func:`mmse_sinr_from_gram`.

    Source: D. Tse and P. Viswanath, *Fundamentals of Wireless Communication*, Cambridge 2005,
    Sec. 8.3.3.

    Args:
        channel: Effective channels ``H W`` [amplitude, sqrt of the transmit-power unit],
            shape ``(..., Nr, r)``, for unit-power streams.
        noise_var: Noise power per receive antenna, in the units of ``|H|^2``, ``> 0``; a float
            or an array that broadcasts with the leading dimensions of ``channel``.

    Returns:
        SINR per stream [linear], shape ``(..., r)``.

    Raises:
        ValueError: If ``channel`` is not a stack of matrices or ``noise_var`` is not positive.
    """
    return mmse_sinr_from_gram(_channel_gram(channel, noise_var))


def zf_sinr(channel: NDArray[Any], noise_var: float | NDArray[Any] = 1.0) -> NDArray[np.float64]:
    """Per-stream SINR of the zero-forcing receiver for an effective channel.

    Equivalent to ``zf_sinr_from_gram(H^H H / noise_var)``; see :func:`zf_sinr_from_gram`.

    Source: D. Tse and P. Viswanath, *Fundamentals of Wireless Communication*, Cambridge 2005,
    Sec. 8.3.1.

    Args:
        channel: Effective channels ``H W`` [amplitude, sqrt of the transmit-power unit],
            shape ``(..., Nr, r)``, for unit-power streams.
        noise_var: Noise power per receive antenna, in the units of ``|H|^2``, ``> 0``; a float
            or an array that broadcasts with the leading dimensions of ``channel``.

    Returns:
        SINR per stream [linear], shape ``(..., r)``.

    Raises:
        ValueError: If ``channel`` is not a stack of matrices, ``noise_var`` is not positive,
            or a channel does not have full column rank.
    """
    return zf_sinr_from_gram(_channel_gram(channel, noise_var))


def sum_rate(sinr: NDArray[Any]) -> NDArray[np.float64]:
    """Shannon sum rate over streams, ``sum_k log2(1 + SINR_k)``.

    Treats each stream's residual interference as Gaussian noise.

    Source: C. E. Shannon, "A mathematical theory of communication", Bell Syst. Tech. J., 1948;
    D. Tse and P. Viswanath, *Fundamentals of Wireless Communication*, Cambridge 2005,
    Sec. 8.3.

    Args:
        sinr: SINR per stream [linear], ``>= 0``, shape ``(..., r)``.

    Returns:
        Spectral efficiency [bit/s/Hz], shape ``(...)``.

    Raises:
        ValueError: If any SINR is negative.
    """
    s = np.asarray(sinr, dtype=np.float64)
    if np.any(s < 0.0):
        raise ValueError(
            f"sum_rate needs linear SINRs >= 0, got a minimum of {float(np.min(s))}; convert SINRs "
            "given in dB with db_to_linear first."
        )
    return np.sum(np.log2(1.0 + s), axis=-1)

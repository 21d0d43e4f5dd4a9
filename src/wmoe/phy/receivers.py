"""Post-processing SINR of linear MIMO receivers, batched over leading dimensions.

Signal model: ``y = H W s + n`` with ``E[s s^H] = I`` and, after normalising by the noise power,
``E[n n^H] = I``. The Gram inputs therefore already carry the SNR:
``G = (P / sigma^2) H^H H``, a Hermitian positive semi-definite matrix of shape
``(..., Nt, Nt)``, and ``G_eff = W^H G W`` of shape ``(..., r, r)`` is the Gram matrix of the
effective channel ``H W``. All SINRs are linear (not dB) and dimensionless.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

_RANK_RTOL = 16.0 * np.finfo(np.float64).eps

# Largest stream count with the closed-form elimination below; larger ones use numpy.linalg.inv.
_MAX_CLOSED_FORM_STREAMS = 4
# Matrices per block of the closed-form path: the working set (a few dozen arrays of this
# length) then stays in the L2 cache, which for stacks of ~1e4+ matrices is faster than
# whole-array ufuncs and much faster than per-matrix LAPACK calls.
_BLOCK = 4096

_Matrix: TypeAlias = tuple[list[NDArray[np.float64]], dict[tuple[int, int], NDArray[np.complex128]]]
"""A block of Hermitian matrices as (real diagonal entries, upper off-diagonal entries)."""


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


def _eliminate_first(matrix: _Matrix, shift: float) -> _Matrix:
    """Schur complement of ``shift I + G`` on stream 0, minus ``shift I``, for a block.

    ``G'_ij = G_ij - G_i0 G_0j / (shift + G_00)`` for ``i, j >= 1`` (renumbered from 0): one
    step of Gaussian elimination (LDL^H without pivoting, stable for Hermitian positive
    definite ``shift I + G``), in complex arithmetic on contiguous per-entry arrays.
    """
    diag, upper = matrix
    size = len(diag)
    pivot = shift + diag[0]
    scale = np.reciprocal(pivot, out=pivot).astype(np.complex128)  # complex: no mixed-type ufunc
    row = [upper[0, j] for j in range(1, size)]  # G_0j
    col = [np.conj(x) for x in row]  # G_j0
    scaled = [x * scale for x in row]  # G_0j / pivot
    new_diag = [diag[j + 1] - (col[j] * scaled[j]).real for j in range(size - 1)]
    new_upper = {}
    for i in range(size - 1):
        for j in range(i + 1, size - 1):
            product = col[i] * scaled[j]
            new_upper[i, j] = np.subtract(upper[i + 1, j + 1], product, out=product)
    return new_diag, new_upper


def _last_two_complements(
    matrix: _Matrix, shift: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``t_k = 1 / [(shift I + G)^{-1}]_kk - shift`` for the last two streams of a block."""
    while len(matrix[0]) > 2:
        matrix = _eliminate_first(matrix, shift)
    (d0, d1), upper = matrix
    cross = np.square(upper[0, 1].real)
    cross += np.square(upper[0, 1].imag)
    first = shift + d1
    second = shift + d0
    np.divide(cross, first, out=first)
    np.divide(cross, second, out=second)
    return np.subtract(d0, first, out=first), np.subtract(d1, second, out=second)


def _block_complements(matrix: _Matrix, shift: float) -> list[NDArray[np.float64]]:
    """``t_k`` of :func:`_diagonal_complements` for all streams of a block, ``r <= 4``."""
    diag, upper = matrix
    size = len(diag)
    if size == 1:
        return [diag[0]]
    penultimate, last = _last_two_complements(matrix, shift)
    if size == 2:
        return [penultimate, last]
    # The first two streams are the last two of the reversed matrix; its upper entries are
    # those of G mirrored on the anti-diagonal (G^T = conj(G) has the same inverse diagonal).
    mirrored = {(i, j): upper[size - 1 - j, size - 1 - i] for (i, j) in upper}
    second, first = _last_two_complements((diag[::-1], mirrored), shift)
    if size == 3:
        return [first, penultimate, last]  # ``second`` is stream 1 again
    return [first, second, penultimate, last]


def _diagonal_complements(gram: NDArray[np.complex128], shift: float) -> NDArray[np.float64]:
    """``t_k = 1 / [(shift I + G)^{-1}]_kk - shift`` for a stack of Hermitian matrices.

    Equivalently ``t_k = g_kk - g_k^H (shift I + G_{-k})^{-1} g_k``, the Schur complement of
    ``shift I + G`` on entry ``k`` minus ``shift``, where ``G_{-k}`` drops row and column
    ``k`` and ``g_k`` is column ``k`` without entry ``k``. ``shift I + G`` must be Hermitian
    positive definite. For ``r <= 4`` each ``t_k`` comes from Gaussian elimination of the
    other streams applied to ``G`` itself (``shift`` enters only the pivots, so there is no
    ``1 / x - shift`` cancellation, and a zero row and column of ``G`` gives exactly
    ``t_k = 0``), streamed in blocks of per-entry arrays; this is several times faster than
    ``numpy.linalg.inv`` on stacks of tiny matrices. Larger ``r`` use ``numpy.linalg.inv``.

    Args:
        gram: Hermitian matrices ``G``, complex128, shape ``(..., r, r)``.
        shift: Real diagonal shift, ``1`` for MMSE and ``0`` for zero forcing.

    Returns:
        ``t``, shape ``(..., r)``.
    """
    num_streams = gram.shape[-1]
    if num_streams > _MAX_CLOSED_FORM_STREAMS:
        inverse = np.linalg.inv(shift * np.eye(num_streams) + gram)
        return 1.0 / np.diagonal(inverse, axis1=-2, axis2=-1).real - shift
    mats = gram.reshape(-1, num_streams, num_streams)
    out = np.empty((mats.shape[0], num_streams))
    for start in range(0, mats.shape[0], _BLOCK):
        block = mats[start : start + _BLOCK]
        diag = [np.ascontiguousarray(block[:, i, i].real) for i in range(num_streams)]
        upper = {
            (i, j): np.ascontiguousarray(block[:, i, j])
            for i in range(num_streams)
            for j in range(i + 1, num_streams)
        }
        for k, value in enumerate(_block_complements((diag, upper), shift)):
            out[start : start + _BLOCK, k] = value
    return out.reshape(*gram.shape[:-2], num_streams)


def hermitian_inverse_diagonal(a: NDArray[Any]) -> NDArray[np.float64]:
    """Diagonal of the inverse of Hermitian positive-definite matrices, ``[A^{-1}]_kk``.

    ``[A^{-1}]_kk = 1 / (a_kk - a_k^H A_{-k}^{-1} a_k)`` (inverse Schur complement). For
    ``r <= 4`` this uses closed-form Gaussian elimination over per-entry arrays, several times
    faster than ``numpy.linalg.inv`` on large stacks of tiny matrices and as accurate;
    larger ``r`` use ``numpy.linalg.inv``. No check is made that ``A`` is positive definite.

    Source: G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., Johns Hopkins 2013,
    Secs. 4.1-4.2 (LDL^T and Cholesky without pivoting for positive-definite matrices).

    Args:
        a: Hermitian positive-definite matrices [any unit], shape ``(..., r, r)``; only the
            real part of the diagonal and the upper triangle are read for ``r <= 4``.

    Returns:
        ``diag(A^{-1})`` [inverse unit of ``a``], real and ``> 0``, shape ``(..., r)``.

    Raises:
        ValueError: If ``a`` is not a stack of non-empty square matrices.
    """
    return 1.0 / _diagonal_complements(_square_stack(a, "a"), 0.0)


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
    ``SINR_0 = g_00 - |g_01|^2 / (1 + g_11)`` (and symmetrically for stream 1); ``r = 3, 4``
    use the same formula after Gaussian elimination of the other streams (the Schur complement
    ``SINR_k = g_kk - g_k^H (I + G_{-k})^{-1} g_k``, several times faster than a batched
    inverse), and larger ``r`` use ``numpy.linalg.inv``. A zero-padded stream (zero row and
    column) gets SINR 0; tiny negative round-off is clamped to 0.

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
    sinr = _diagonal_complements(_square_stack(gram_eff, "gram_eff"), 1.0)
    return np.maximum(sinr, 0.0)


def zf_sinr_from_gram(gram_eff: NDArray[Any]) -> NDArray[np.float64]:
    """Per-stream SINR of the zero-forcing (decorrelating) receiver, from the Gram matrix.

    ``SINR_k = 1 / [G_eff^{-1}]_{kk}``. Zero forcing needs ``G_eff`` to be invertible, i.e. the
    effective channel ``H W`` to have full column rank; a matrix whose smallest eigenvalue is
    below ``16 * eps * r`` times its largest counts as singular. ``1 / [G_eff^{-1}]_{kk}`` is
    computed as a Schur complement by Gaussian elimination for ``r <= 4`` (see
    :func:`hermitian_inverse_diagonal`) and with ``numpy.linalg.inv`` for larger ``r``; the
    eigenvalue check dominates the cost.

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
    return _diagonal_complements(g, 0.0)


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

"""Effective Gram matrices ``W_c^H G W_c`` of a fixed set of precoders, as one real product.

A Hermitian ``G`` (Nt, Nt) has Nt^2 real parameters: its (real) diagonal and the real and
imaginary parts of its entries above the diagonal. Every entry of ``W^H G W``,
``sum_ab conj(W[a, i]) W[b, j] G[a, b]``, is linear in them, so for a fixed stack of precoders
the effective Grams of a whole batch are one real matrix product ``(B, Nt^2) @ (Nt^2, 2 C r^2)``
(real and imaginary parts interleaved, read back as complex numbers). On CPU that is several
times faster than complex products through the precoders (a complex GEMM with an inner
dimension of 4 runs far below peak), and the result is exactly Hermitian: entry ``(j, i)`` is
computed with the conjugate coefficients of entry ``(i, j)``.

The product is ``numpy.einsum``, not BLAS: BLAS kernels sum in an order that depends on the
batch size (a row's result differs in its last bits between a batch of 1 and of 4), which would
make a native vector env differ from single envs; einsum sums each entry in one fixed order.

Only the upper triangle of ``G`` is read, so ``G`` must be Hermitian (up to round-off).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


def hermitian_parameter_columns(nt: int) -> NDArray[np.int64]:
    """Columns of a Gram stack's float64 view ``(B, 2 Nt^2)`` holding its Nt^2 parameters.

    Order: ``Re G[a, a]`` for each ``a``, then ``Re G[a, b]`` and ``Im G[a, b]`` for ``a < b``
    (row-major), as :meth:`EffectiveGrams.of` expects.
    """
    diagonal = np.arange(nt)
    upper_a, upper_b = np.triu_indices(nt, 1)
    real_column = 2 * (upper_a * nt + upper_b)
    return np.concatenate([2 * (diagonal * nt + diagonal), real_column, real_column + 1])


@dataclass(frozen=True)
class EffectiveGrams:
    """``W_c^H G W_c`` for C precoders ``W_c`` (Nt, r) of one rank r.

    Attributes:
        columns: (Nt^2,) see :func:`hermitian_parameter_columns`.
        weights: (Nt^2, 2 C r^2) real coefficients.
        count: C, the number of precoders.
        rank: r, their number of columns (streams).
    """

    columns: NDArray[np.int64]
    weights: NDArray[np.float64]
    count: int
    rank: int

    @classmethod
    def of(cls, precoders: NDArray[np.complexfloating]) -> EffectiveGrams:
        """The map for precoders ``(C, Nt, r)``.

        Raises:
            ValueError: If ``precoders`` is not a 3-D stack.
        """
        precoders = np.asarray(precoders, dtype=np.complex128)
        if precoders.ndim != 3:
            raise ValueError(f"precoders must have shape (C, Nt, r), got {precoders.shape}")
        count, nt, rank = precoders.shape
        # coefficient[a, b, c, i, j] = conj(W_c[a, i]) W_c[b, j]
        coefficient = np.einsum("cai,cbj->abcij", precoders.conj(), precoders)
        coefficient = coefficient.reshape(nt, nt, -1)
        diagonal = np.arange(nt)
        upper_a, upper_b = np.triu_indices(nt, 1)
        above, below = coefficient[upper_a, upper_b], coefficient[upper_b, upper_a]
        # G[a, b] = x + iy and G[b, a] = x - iy contribute (c_ab + c_ba) x + i (c_ab - c_ba) y.
        complex_weights = np.concatenate(
            [coefficient[diagonal, diagonal], above + below, 1j * (above - below)]
        )
        weights = np.stack([complex_weights.real, complex_weights.imag], axis=-1)
        return cls(hermitian_parameter_columns(nt), weights.reshape(nt * nt, -1), count, int(rank))

    def parameters(self, gram: NDArray[np.complex128]) -> NDArray[np.float64]:
        """(B, Nt^2) real parameters of Hermitian Grams (B, Nt, Nt), shareable between maps."""
        real = np.ascontiguousarray(gram, dtype=np.complex128).reshape(len(gram), -1)
        return np.take(real.view(np.float64), self.columns, axis=1)

    def __call__(
        self, gram: NDArray[np.complex128], parameters: NDArray[np.float64] | None = None
    ) -> NDArray[np.complex128]:
        """(B, C, r, r) effective Grams of Hermitian Grams ``gram`` (B, Nt, Nt).

        Args:
            gram: The Grams.
            parameters: Their :meth:`parameters`, if already taken (several ranks share them).
        """
        x = self.parameters(gram) if parameters is None else parameters
        out = np.einsum("bp,pq->bq", x, self.weights).view(np.complex128)
        return out.reshape(len(x), self.count, self.rank, self.rank)

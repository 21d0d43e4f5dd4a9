"""Random variates for a batch of envs: one generator call per env, the rest batch-wide.

Each env of a batch has its own ``numpy.random.Generator`` (so a batch reproduces single envs
seeded alike), and a generator call costs a microsecond or more whatever it draws, so an env
that draws a dozen variates per step in a Python loop spends most of its step in the calls.
Here each env fills one row of draws with one call (:func:`per_env_rows`), and the rows of the
whole batch are turned into variates elementwise. Two sources of rows:

- **Raw 64-bit words** (:func:`draw_words`, the bit generator's ``random_raw``): uniforms on
  ``(0, 1)`` (:func:`unit_uniforms`), indices uniform on ``[0, n)`` (:func:`uniform_indices`),
  standard normals (:func:`standard_normals`, float64 or float32) and circularly-symmetric
  complex normals (:func:`circular_normals`). The words are the bit generator's raw output
  (PCG64 for Gymnasium's ``np_random``), so the variates differ from the generator's own
  methods for the same seed: an env that switches to this scheme changes what its seeds mean
  (a new env version).
- **Blocks of** ``U[0, 1)`` (:class:`UniformBlock`, the generator's ``random``), handed out
  column by column as uniforms, standard normals or unit exponentials.

Both make their normals with one Box-Muller transform (:func:`box_muller`). Every variate
depends only on its own env's draws, so a batch of envs reproduces single envs seeded alike,
exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

_Float = TypeVar("_Float", bound=np.floating[Any])

_ONE_FLOAT32_BITS = np.uint32(0x3F800000)  # the bits of 1.0 in float32


def per_env_rows(
    envs: NDArray[np.int64],
    count: int,
    dtype: type[np.generic],
    fill: Callable[[int, NDArray[Any]], None],
) -> NDArray[Any]:
    """A ``(len(envs), count)`` array whose row ``j`` is filled by ``fill(envs[j], row)``.

    Args:
        envs: The envs to draw for, one row each, in this order.
        count: Draws per env, ``>= 0``.
        dtype: The rows' dtype.
        fill: Writes one env's draws into its row (one generator call).

    Returns:
        The filled rows.
    """
    rows = np.empty((len(envs), count), dtype=dtype)
    for row, i in enumerate(envs.tolist()):
        fill(i, rows[row])
    return rows


def draw_words(
    envs: NDArray[np.int64], rngs: Sequence[np.random.Generator], count: int
) -> NDArray[np.uint64]:
    """``count`` raw 64-bit words from each env's own generator, ``(len(envs), count)``.

    One call of ``rngs[i].bit_generator.random_raw`` per env: the words of row ``j`` are
    the next ``count`` outputs of env ``envs[j]``'s bit generator, whatever the batch.

    Args:
        envs: Indices into ``rngs`` of the envs to draw for.
        rngs: One generator per env of the batch.
        count: Words per env, ``>= 0``.

    Returns:
        The words, ``uint64``, one row per env of ``envs``.
    """

    def fill(i: int, row: NDArray[Any]) -> None:
        row[:] = rngs[i].bit_generator.random_raw(count)

    return per_env_rows(envs, count, np.uint64, fill)


def standard_gammas(
    rngs: Sequence[np.random.Generator], envs: NDArray[np.int64], shape: float, count: int
) -> NDArray[np.float64]:
    """``count`` ``Gamma(shape, 1)`` draws per env, one generator call each, ``(n, count)``."""

    def fill(i: int, row: NDArray[Any]) -> None:
        rngs[i].standard_gamma(shape, out=row)

    return per_env_rows(envs, count, np.float64, fill)


def unit_uniforms(words: NDArray[np.uint64]) -> NDArray[np.float64]:
    """One uniform on the open interval ``(0, 1)`` per word, same shape.

    The midpoints ``(j + 1/2) 2^-52`` of the ``2^-52`` grid, ``j`` the word's top 52 bits:
    never 0 or 1, so ``log(u)`` is finite and never 0 (exact in float64).

    Args:
        words: Raw words, any shape.

    Returns:
        Uniforms, float64.
    """
    top = (words >> np.uint64(12)).view(np.int64)
    uniforms: NDArray[np.float64] = (top.astype(np.float64) + 0.5) * 2.0**-52
    return uniforms


def uniform_indices(words: NDArray[np.uint64], n: int) -> NDArray[np.int64]:
    """One integer on ``[0, n)`` per word, same shape, by multiply-shift of its top 32 bits.

    ``floor(t n / 2^32)`` with ``t`` the top 32 bits. Without the method's rejection step,
    each index has probability ``1/n`` to within ``2^-32`` (uniform for ``n`` a power of 2).

    Source: D. Lemire, "Fast random integer generation in an interval", ACM Trans. Model.
    Comput. Simul. 29(1), 2019.

    Args:
        words: Raw words, any shape.
        n: Number of values, ``1 <= n <= 2^32``.

    Returns:
        Indices, int64.

    Raises:
        ValueError: If ``n`` is outside ``[1, 2^32]``.
    """
    if not 1 <= n <= 2**32:
        raise ValueError(f"n={n} is out of range: indices are drawn from [0, n), 1 <= n <= 2^32")
    return (((words >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32)).astype(np.int64)


def _half_word_uniforms(
    words: NDArray[np.uint64], dtype: type[np.floating[Any]]
) -> NDArray[np.floating[Any]]:
    """Two uniforms on ``(0, 1)`` per word, one from each 32-bit half, ``(..., 2 m)``.

    In float64 the midpoints of the ``2^-32`` grid; in float32 the midpoints of the ``2^-23``
    grid from each half's top 23 bits (set as the mantissa of a float in ``[1, 2)``, then
    shifted down by ``1 - 2^-24``, exactly). A new array, whatever ``words`` is.
    """
    # The 32-bit halves, low first, on any byte order; a view unless the words' last axis
    # is strided (the rows of a column slice are not: a view of a slice is fine).
    halves = np.asarray(words, dtype="<u8")
    if halves.strides[-1] != halves.itemsize:
        halves = np.ascontiguousarray(halves)
    halves = halves.view("<u4")
    if dtype == np.float32:
        bits = halves >> np.uint32(9)
        bits |= _ONE_FLOAT32_BITS
        floats = bits.view(np.float32)
        floats -= np.float32(1.0 - 2.0**-24)
        return floats
    uniforms: NDArray[np.floating[Any]] = (halves + 0.5) * 2.0**-32
    return uniforms


def box_muller(
    log_radius_uniforms: NDArray[_Float], angle_uniforms: NDArray[_Float]
) -> NDArray[_Float]:
    """Independent ``N(0, 1)`` pairs from uniforms, ``[r cos(t), r sin(t)]`` on the last axis.

    With ``u, v`` uniform on ``(0, 1]`` and ``[0, 1)``, ``r = sqrt(-2 ln u)`` and ``t = 2 pi v``:
    pair ``j`` gives ``r_j cos(t_j)`` at position ``j`` and ``r_j sin(t_j)`` at ``m + j`` of
    the result's last axis (``m`` the inputs' last axis). Both inputs are overwritten, and
    the arithmetic keeps their dtype.

    Source: G. E. P. Box and M. E. Muller, "A note on the generation of random normal
    deviates", Ann. Math. Statist. 29(2), 1958.

    Args:
        log_radius_uniforms: ``ln u``, ``<= 0``, ``(..., m)``.
        angle_uniforms: ``v``, the same shape and dtype.

    Returns:
        ``2 m`` normals per row, ``(..., 2 m)``, of the inputs' dtype.
    """
    scalar = log_radius_uniforms.dtype.type
    radius = log_radius_uniforms
    radius *= scalar(-2.0)
    np.sqrt(radius, out=radius)
    angle = angle_uniforms
    angle *= scalar(2.0 * np.pi)
    m = radius.shape[-1]
    normals = np.empty((*radius.shape[:-1], 2 * m), dtype=radius.dtype)
    np.cos(angle, out=normals[..., :m])
    np.sin(angle, out=normals[..., m:])
    normals.reshape(*normals.shape[:-1], 2, m)[...] *= radius[..., None, :]
    return normals


def standard_normals(
    words: NDArray[np.uint64], dtype: type[np.floating[Any]] = np.float64
) -> NDArray[np.floating[Any]]:
    """Two independent ``N(0, 1)`` per word by the Box-Muller transform, ``(..., 2 m)``.

    The ``2 m`` uniforms on ``(0, 1)`` of the last axis's ``m`` words (one per 32-bit half:
    32 bits each in float64, 23 in float32) are split into ``u`` (the first ``m``) and ``v``
    (the last ``m``) for :func:`box_muller`. ``u`` is never 0 or 1, so ``0 < r < 6.77``
    (float64) or ``5.77`` (float32): the normals' tails beyond are cut (a probability of
    ``2^-33`` or ``2^-24`` per pair).

    Args:
        words: Raw words, any shape.
        dtype: ``np.float64`` or ``np.float32``, the precision of the arithmetic and result.

    Returns:
        Normals of ``dtype``, the shape of ``words`` with the last axis doubled.
    """
    uniforms = _half_word_uniforms(words, dtype)  # a new array: transformed in place
    m = words.shape[-1]
    np.log(uniforms[..., :m], out=uniforms[..., :m])
    return box_muller(uniforms[..., :m], uniforms[..., m:])


def circular_normals(normals: NDArray[np.floating[Any]]) -> NDArray[np.complex128]:
    """``CN(0, 1)`` from pairs of independent ``N(0, 1)``: ``(a + i b) / sqrt(2)``.

    The first half of the last axis gives the real parts ``a``, the second half the imaginary
    parts ``b``, so the result has real and imaginary parts ``N(0, 1/2)`` and ``E[|h|^2] = 1``:
    a flat Rayleigh fading gain (see :mod:`wmoe.phy.fading`).

    Args:
        normals: Independent standard normals (e.g. of :func:`standard_normals`), float32 or
            float64, ``(..., 2 K)``.

    Returns:
        ``K`` complex normals, complex128, ``(..., K)``.
    """
    k = normals.shape[-1] // 2
    gains = np.empty((*normals.shape[:-1], k), dtype=np.complex128)
    gains.real = normals[..., :k]
    gains.imag = normals[..., k : 2 * k]
    gains *= np.sqrt(0.5)
    return gains


class UniformBlock:
    """One row of ``U[0, 1)`` draws per env (one ``random`` call each), read column by column.

    Args:
        rngs: Every env's generator.
        envs: The envs to draw for, one row each, in this order.
        size: Draws per env; the reads must use them all (see :meth:`check_used`).
    """

    def __init__(
        self, rngs: Sequence[np.random.Generator], envs: NDArray[np.int64], size: int
    ) -> None:
        def fill(i: int, row: NDArray[Any]) -> None:
            rngs[i].random(out=row)

        self.values: NDArray[np.float64] = per_env_rows(envs, size, np.float64, fill)
        self.used = 0

    def uniform(self, count: int) -> NDArray[np.float64]:
        """The next ``count`` columns: ``U[0, 1)``, ``(n, count)``."""
        if self.used + count > self.values.shape[1]:
            raise ValueError(
                f"a block of {self.values.shape[1]} draws per env cannot give {count} more "
                f"after {self.used}; draw a larger block"
            )
        part = self.values[:, self.used : self.used + count]
        self.used += count
        return part

    def normal(self, count: int) -> NDArray[np.float64]:
        """``count`` standard normals per env (``count`` even), ``(n, count)``.

        :func:`box_muller` of the pairs ``(u1, u2)`` of consecutive columns, with
        ``ln(1 - u1)`` as the log-uniform: ``1 - u1`` lies in ``(0, 1]``, so every draw is
        finite.
        """
        if count % 2:
            raise ValueError(
                f"Box-Muller gives normals in pairs; ask for an even count, not {count}"
            )
        u = self.uniform(count)
        return box_muller(np.log1p(-u[:, 0::2]), u[:, 1::2].copy())

    def exponential(self, count: int) -> NDArray[np.float64]:
        """``count`` unit exponentials per env, ``-ln(1 - u)``, ``(n, count)``."""
        return -np.log1p(-self.uniform(count))

    def check_used(self) -> None:
        """Raise if some draws were left unread (the block's size and its reads disagree)."""
        if self.used != self.values.shape[1]:
            raise ValueError(
                f"{self.values.shape[1] - self.used} of {self.values.shape[1]} draws per env "
                "were left unread; size the block to its reads"
            )

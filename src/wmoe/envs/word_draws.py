"""Random variates from raw 64-bit words: one generator call per env, the rest batch-wide.

A call of a ``numpy.random.Generator`` costs a microsecond or more whatever it draws, so an
env that draws a dozen variates per step from its own generator in a Python loop spends most
of its step in the calls. Here each env draws all the words of its step with one call
(:func:`draw_words`, which reads ``bit_generator.random_raw``), and the words of the whole
batch are turned into variates elementwise: uniforms on ``(0, 1)`` (:func:`unit_uniforms`),
indices uniform on ``[0, n)`` (:func:`uniform_indices`) and standard normals by Box-Muller
(:func:`standard_normals`), which :func:`circular_normals` pairs into circularly-symmetric
complex normals. Every variate depends only on its own words, so a batch of envs reproduces
single envs seeded alike, exactly.

The words are the bit generator's raw output (PCG64 for Gymnasium's ``np_random``), so the
variates differ from those of the generator's own methods for the same seed: an env that
switches to this scheme changes what its seeds mean (a new env version).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

_ONE_FLOAT32_BITS = np.uint32(0x3F800000)  # the bits of 1.0 in float32


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
    words = np.empty((len(envs), count), dtype=np.uint64)
    for row, i in enumerate(envs.tolist()):
        words[row] = rngs[i].bit_generator.random_raw(count)
    return words


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


def standard_normals(
    words: NDArray[np.uint64], dtype: type[np.floating[Any]] = np.float64
) -> NDArray[np.floating[Any]]:
    """Two independent ``N(0, 1)`` per word by the Box-Muller transform, ``(..., 2 m)``.

    The ``2 m`` uniforms on ``(0, 1)`` of the last axis's ``m`` words (one per 32-bit half:
    32 bits each in float64, 23 in float32) are split into ``u`` (the first ``m``) and ``v``
    (the last ``m``); pair ``j`` gives ``r cos(t)`` at position ``j`` and ``r sin(t)`` at
    ``m + j``, with ``r = sqrt(-2 ln u_j)`` and ``t = 2 pi v_j``. ``u`` is never 0 or 1, so
    ``0 < r < 6.77`` (float64) or ``5.77`` (float32): the normals' tails beyond are cut (a
    probability of ``2^-33`` or ``2^-24`` per pair).

    Source: G. E. P. Box and M. E. Muller, "A note on the generation of random normal
    deviates", Ann. Math. Statist. 29(2), 1958.

    Args:
        words: Raw words, any shape.
        dtype: ``np.float64`` or ``np.float32``, the precision of the arithmetic and result.

    Returns:
        Normals of ``dtype``, the shape of ``words`` with the last axis doubled.
    """
    uniforms = _half_word_uniforms(words, dtype)  # computed in place from here on
    m = words.shape[-1]
    radius, angle = uniforms[..., :m], uniforms[..., m:]
    np.log(radius, out=radius)
    radius *= dtype(-2.0)
    np.sqrt(radius, out=radius)
    angle *= dtype(2.0 * np.pi)
    normals = np.empty_like(uniforms)
    np.cos(angle, out=normals[..., :m])
    np.sin(angle, out=normals[..., m:])
    normals.reshape(*normals.shape[:-1], 2, m)[...] *= radius[..., None, :]
    return normals


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

"""Draws of many envs at once: one block of uniforms per env, turned into each distribution.

Each env of a batch has its own ``numpy.random.Generator`` (so a batch reproduces single envs
seeded alike); calling each generator once per quantity costs a Python call per env and
quantity. :class:`UniformBlock` instead takes one block of ``U[0, 1)`` draws per env in one
call, and hands out its columns, in order, as uniforms, standard normals (Box-Muller) or
unit exponentials (inversion), for the whole batch at once: the same distributions, from
fewer, larger draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


class UniformBlock:
    """One row of ``U[0, 1)`` draws per env, read column by column.

    Args:
        rngs: Every env's generator.
        envs: The envs to draw for, one row each, in this order.
        size: Draws per env; the reads must use them all (see :meth:`check_used`).
    """

    def __init__(
        self, rngs: Sequence[np.random.Generator], envs: NDArray[np.int64], size: int
    ) -> None:
        self.values = np.empty((len(envs), size))
        for row, i in enumerate(envs):
            rngs[i].random(out=self.values[row])
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

        Box-Muller (G. E. P. Box and M. E. Muller, Ann. Math. Statist. 29(2), 1958): from
        ``u1, u2 ~ U[0, 1)``, ``sqrt(-2 ln(1 - u1)) (cos, sin)(2 pi u2)`` are independent
        ``N(0, 1)``; ``1 - u1`` lies in ``(0, 1]``, so every draw is finite.
        """
        if count % 2:
            raise ValueError(
                f"Box-Muller gives normals in pairs; ask for an even count, not {count}"
            )
        u = self.uniform(count)
        radius = np.sqrt(-2.0 * np.log1p(-u[:, 0::2]))
        angle = 2.0 * np.pi * u[:, 1::2]
        return np.concatenate([radius * np.cos(angle), radius * np.sin(angle)], axis=1)

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


def standard_gammas(
    rngs: Sequence[np.random.Generator], envs: NDArray[np.int64], shape: float, count: int
) -> NDArray[np.float64]:
    """``count`` ``Gamma(shape, 1)`` draws per env, one generator call each, ``(n, count)``."""
    values = np.empty((len(envs), count))
    for row, i in enumerate(envs):
        rngs[i].standard_gamma(shape, out=values[row])
    return values

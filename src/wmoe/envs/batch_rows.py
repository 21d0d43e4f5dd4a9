"""Rows of a batched core's torch state, read and written without needless copies.

A native vector env mostly steps every sub-env at once; gathering or scattering all rows of a
state tensor then copies it for nothing. These helpers skip the copy for the whole batch in
order and otherwise gather with ``index_select`` and scatter through numpy views (both faster
than torch's advanced indexing on small batches).
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray


def whole_batch(envs: NDArray[np.int64], batch_size: int) -> bool:
    """Whether ``envs`` is every row ``0..batch_size-1`` in order."""
    return len(envs) == batch_size and bool((envs == np.arange(batch_size)).all())


def read_rows(tensor: torch.Tensor, envs: NDArray[np.int64]) -> torch.Tensor:
    """The rows ``envs`` of ``tensor`` (along its first axis), to read only.

    Args:
        tensor: A batch tensor, one row per env.
        envs: Row indices.

    Returns:
        ``tensor[envs]``: ``tensor`` itself (not a copy) when ``envs`` is every row in order.
    """
    if whole_batch(envs, len(tensor)):
        return tensor
    return tensor.index_select(0, torch.from_numpy(np.asarray(envs, dtype=np.int64)))


def write_rows(tensor: torch.Tensor, envs: NDArray[np.int64], values: torch.Tensor) -> torch.Tensor:
    """``tensor`` with its rows ``envs`` set to ``values``; keep the result in its place.

    Args:
        tensor: A contiguous CPU batch tensor, one row per env.
        envs: Row indices.
        values: The new rows, ``(len(envs), ...)``, of ``tensor``'s dtype; a fresh tensor the
            caller does not change afterwards.

    Returns:
        ``values`` itself when ``envs`` is every row in order, else ``tensor`` with the rows
        written in place.
    """
    if whole_batch(envs, len(tensor)):
        return values
    tensor.numpy()[envs] = values.numpy()
    return tensor

"""Validation of batched actions shared by the suite's environments.

An action outside the space, of the wrong shape or dtype, or not finite raises
:class:`InvalidActionError` naming the value and what was expected; nothing is clipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


class InvalidActionError(ValueError):
    """An action outside the action space, of the wrong shape, or not finite."""


def as_array(actions: Any, expected: str) -> NDArray[Any]:
    """``actions`` as a numpy array, or an error saying what was expected."""
    try:
        return np.asarray(actions)
    except (TypeError, ValueError) as error:
        raise InvalidActionError(
            f"action {actions!r} is not array-like; expected {expected}"
        ) from error


def check_integers(
    actions: Any, shape: tuple[int, ...], high: NDArray[np.int64] | int, expected: str
) -> NDArray[np.int64]:
    """Integer-valued actions of ``shape``, each in ``[0, high)``, as int64.

    Args:
        actions: The batched actions (integers, or floats holding whole numbers).
        shape: Expected shape, batch first.
        high: Exclusive upper bound, broadcastable with ``shape``.
        expected: What a valid action is, for the error message.
    """
    array = as_array(actions, expected)
    integral = np.issubdtype(array.dtype, np.integer) or (
        np.issubdtype(array.dtype, np.floating)
        and bool(np.all(np.isfinite(array)))
        and bool(np.all(array == np.round(array)))
    )
    if not integral:
        raise InvalidActionError(f"action {actions!r} is not integer-valued; expected {expected}")
    if array.shape != shape:
        raise InvalidActionError(
            f"action {actions!r} has shape {array.shape}; expected {shape} holding {expected}"
        )
    array = array.astype(np.int64)
    if np.any(array < 0) or np.any(array >= high):
        raise InvalidActionError(f"action {actions!r} is out of range; expected {expected}")
    return array


def check_scores(actions: Any, shape: tuple[int, ...], expected: str) -> NDArray[Any]:
    """Finite numeric actions of ``shape`` within ``[-1, 1]``."""
    array = as_array(actions, expected)
    if array.shape != shape or not np.issubdtype(array.dtype, np.number):
        raise InvalidActionError(
            f"action of shape {array.shape} and dtype {array.dtype}; "
            f"expected {shape} holding {expected}"
        )
    if not np.all(np.isfinite(array)):
        raise InvalidActionError(
            f"action {array.tolist()} holds NaN or infinity; expected {expected}"
        )
    if np.any(np.abs(array) > 1.0):
        raise InvalidActionError(f"action {array.tolist()} leaves [-1, 1]; expected {expected}")
    return array

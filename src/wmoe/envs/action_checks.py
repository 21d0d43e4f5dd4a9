"""Validation of batched actions shared by the suite's environments.

An action outside the space, of the wrong shape or dtype, or not finite raises
:class:`InvalidActionError` naming the value and what was expected; nothing is clipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
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


def check_batch(actions: Any, num_envs: int, batch_shape: tuple[int, ...]) -> NDArray[Any]:
    """A vector env's actions as an array with one row per sub-env, as ``SyncVectorEnv`` wants.

    Args:
        actions: The actions of every sub-env, stacked along the first axis.
        num_envs: Number of sub-envs.
        batch_shape: Shape of the vector env's (batched) action space.
    """
    expected = f"shape {batch_shape}: one action per sub-env along the first axis"
    array = as_array(actions, expected)
    if array.ndim == 0 or array.shape[0] != num_envs:
        raise InvalidActionError(
            f"got actions of shape {array.shape} for num_envs={num_envs}; expected {expected}"
        )
    return array


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
    """Finite real (integer or floating) actions of ``shape`` within ``[-1, 1]``."""
    array = as_array(actions, expected)
    real = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    if array.shape != shape or not real:
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


def choice_space(num_choices: int, action_type: str) -> spaces.Space[Any]:
    """The space of picking one of ``num_choices`` options.

    ``"discrete"``: ``Discrete(num_choices)``; ``"continuous"``: ``Box(-1, 1, (num_choices,))``
    scores whose argmax is the pick (for SAC, TD3 and diffusion policies).
    """
    if action_type == "discrete":
        return spaces.Discrete(num_choices)
    return spaces.Box(-1.0, 1.0, (num_choices,), dtype=np.float32)


def decode_choices(
    actions: Any, batch_size: int, num_choices: int, action_type: str, meaning: str
) -> NDArray[np.int64]:
    """Validate a batch of :func:`choice_space` actions and return each env's pick.

    Args:
        actions: ``batch_size`` actions stacked along a leading axis.
        batch_size: Number of envs.
        num_choices: Number of options.
        action_type: ``"discrete"`` or ``"continuous"``.
        meaning: What an option is, for error messages (e.g. ``"an expert"``).
    """
    last = num_choices - 1
    if action_type == "discrete":
        expected = f"an integer in [0, {last}] ({meaning})"
        return check_integers(actions, (batch_size,), num_choices, expected)
    expected = f"{num_choices} finite scores in [-1, 1] (argmax: {meaning})"
    scores = check_scores(actions, (batch_size, num_choices), expected)
    return np.argmax(scores, axis=1).astype(np.int64)


def encode_choice(choice: int, num_choices: int, action_type: str) -> Any:
    """The :func:`choice_space` action that picks ``choice`` (one-hot scores if continuous)."""
    if action_type == "discrete":
        return choice
    scores = -np.ones(num_choices, dtype=np.float32)
    scores[choice] = 1.0
    return scores

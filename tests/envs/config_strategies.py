"""Hypothesis strategies read off a config schema: valid values, invalid values, bad actions."""

from __future__ import annotations

import math
import types
import typing
from typing import Any, Literal

import numpy as np
from gymnasium import spaces
from hypothesis import strategies as st
from pydantic.fields import FieldInfo

from wmoe.config import ConfigSchema, bounds_of, split_annotated

NUMBER_SPAN = 1e6  # unbounded sides of a number range are drawn within this of the default


def _options(annotation: Any) -> list[Any]:
    """The alternatives of an ``X | None`` annotation (or just ``[annotation]``)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return list(typing.get_args(annotation))
    return [annotation]


def valid_values(field: FieldInfo, cap: float | None = None) -> st.SearchStrategy[Any]:
    """Values the field accepts (an upper ``cap`` keeps sizes cheap to simulate)."""
    strategies = []
    for option in _options(field.annotation):
        if option is type(None):
            strategies.append(st.none())
            continue
        base, constraints = split_annotated(option)
        strategies.append(_valid_for(base, constraints + list(field.metadata), cap))
    return st.one_of(strategies)


def _valid_for(base: Any, constraints: list[Any], cap: float | None) -> st.SearchStrategy[Any]:
    if typing.get_origin(base) is Literal:
        return st.sampled_from(typing.get_args(base))
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        item_base, item_constraints = split_annotated(item)
        lengths = bounds_of(constraints)
        shortest, longest = lengths.shortest or 0, lengths.longest
        return st.lists(
            _valid_for(item_base, item_constraints, cap),
            min_size=shortest,
            max_size=longest if longest is not None else shortest + 3,
        )
    bounds = bounds_of(constraints)
    low, high, low_open, high_open = bounds.low, bounds.high, bounds.low_open, bounds.high_open
    if base is bool:
        return st.booleans()
    if base is str:
        return st.text(min_size=1, max_size=8)
    if cap is not None:
        high = cap if high is None else min(high, cap)
    if base is int:
        first = int(math.floor(low)) + int(low_open) if low is not None else -1000
        last = int(math.ceil(high)) - int(high_open) if high is not None else first + 1000
        return st.integers(first, last)
    first_f = low if low is not None else -NUMBER_SPAN
    last_f = high if high is not None else first_f + 2 * NUMBER_SPAN
    return st.floats(first_f, last_f, exclude_min=low_open, exclude_max=high_open, allow_nan=False)


def invalid_values(field: FieldInfo) -> st.SearchStrategy[Any]:
    """Values the field must reject: wrong types, NaN/inf, bools for ints, out of range."""
    options = _options(field.annotation)
    nullable = type(None) in options
    bases = [split_annotated(o) for o in options if o is not type(None)]
    base, constraints = bases[0]
    constraints = constraints + list(field.metadata)
    wrong: list[Any] = [{"a": 1}, "text", complex(1.0, 1.0)]
    if not nullable:
        wrong.append(None)
    if typing.get_origin(base) is Literal:
        return st.sampled_from([*wrong, "not-an-option", 1, True])
    if typing.get_origin(base) is list:
        lengths = bounds_of(constraints)
        shortest, longest = lengths.shortest or 0, lengths.longest
        too_long = [1.0] * ((longest if longest is not None else shortest) + 1)
        bad = [*wrong, 3.0, "[1, 2]", [float("nan")] * max(shortest, 1), too_long]
        if shortest > 0:
            bad.append([])
        return st.sampled_from(bad)
    if base is bool:
        return st.sampled_from([*wrong, "no", "False", "true", 0, 1, 1.0])
    if base is str:
        return st.sampled_from([3, True, 1.5, ["a"]])
    bounds = bounds_of(constraints)
    low, high, low_open, high_open = bounds.low, bounds.high, bounds.low_open, bounds.high_open
    bad = [*wrong, True, False, "3", float("nan"), float("inf"), -float("inf")]
    if base is int:
        bad += [1.5, 2.0]
    if low is not None:
        bad.append(low if low_open else (low - 1 if base is int else low - 1e-3 * max(1, abs(low))))
    if high is not None:
        bad.append(
            high if high_open else (high + 1 if base is int else high + 1e-3 * max(1, abs(high)))
        )
    return st.sampled_from(bad)


@st.composite
def valid_config(
    draw: st.DrawFn,
    schema: type[ConfigSchema],
    base: dict[str, Any],
    fixed: frozenset[str],
    caps: dict[str, float],
) -> dict[str, Any]:
    """A random config: ``base`` plus a random subset of the other keys at valid values.

    Cross-field rules may still reject it; callers ``assume`` it resolves.
    """
    free = [k for k in schema.model_fields if k not in fixed and k not in base]
    keys = draw(st.lists(st.sampled_from(free), unique=True, max_size=len(free)))
    config = dict(base)
    for key in keys:
        config[key] = draw(valid_values(schema.model_fields[key], caps.get(key)))
    return config


def malformed_actions(space: spaces.Space[Any]) -> st.SearchStrategy[Any]:
    """Actions a single env must reject with ``InvalidActionError``."""
    common: list[Any] = ["a", None, complex(0.0, 1.0), [[0], [1]]]
    if isinstance(space, spaces.Discrete):
        n = int(space.n)
        return st.sampled_from(
            [*common, -1, n, n + 7, 0.5, float("nan"), np.array([0, 1]), True, np.float64(np.inf)]
        )
    if isinstance(space, spaces.MultiDiscrete):
        nvec = np.asarray(space.nvec)
        return st.sampled_from(
            [
                *common,
                np.append(np.zeros_like(nvec), 0),
                nvec.copy(),
                -np.ones_like(nvec),
                np.zeros(nvec.shape) + 0.5,
                np.full(nvec.shape, np.nan),
                0,
            ]
        )
    assert isinstance(space, spaces.Box)
    shape = space.shape
    return st.sampled_from(
        [
            *common,
            np.zeros((shape[0] + 1,), dtype=np.float32),
            np.full(shape, np.nan, dtype=np.float32),
            np.full(shape, np.inf, dtype=np.float32),
            np.full(shape, 2.0, dtype=np.float32),
            np.zeros(shape, dtype=np.complex64),
            np.zeros(shape, dtype=np.bool_),
            0.0,
        ]
    )

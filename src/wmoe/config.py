"""Config dictionaries: ``default_config()`` deep-merged with overrides (HighwayEnv pattern)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


class ConfigError(ValueError):
    """A config override names an unknown key or has a value of the wrong kind."""


def merge_config(
    defaults: Mapping[str, Any], overrides: Mapping[str, Any] | None, *, path: str = ""
) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``defaults``, rejecting unknown keys.

    Nested dictionaries merge key by key; any other value replaces the default.

    Args:
        defaults: The complete set of known keys with their default values.
        overrides: User values; every key must exist in ``defaults``.
        path: Dotted prefix used in error messages for nested keys.

    Returns:
        A new dictionary; neither input is modified.

    Raises:
        ConfigError: If ``overrides`` holds a key that ``defaults`` lacks.
    """
    merged = copy.deepcopy(dict(defaults))
    if overrides is None:
        return merged
    for key, value in overrides.items():
        dotted = f"{path}{key}"
        if key not in merged:
            valid = ", ".join(sorted(map(str, merged)))
            raise ConfigError(f"unknown config key {dotted!r}; valid keys are: {valid}")
        if isinstance(merged[key], Mapping) and isinstance(value, Mapping):
            merged[key] = merge_config(merged[key], value, path=f"{dotted}.")
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``overrides`` merged in, nested mappings key by key.

    Unlike :func:`merge_config`, keys absent from ``base`` are added, not rejected.
    """
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(merged.get(key), Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged

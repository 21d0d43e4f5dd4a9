"""rl-baselines3-zoo style hyperparameters: ``hyperparams/<algo>.yml`` keyed by env id.

Each entry holds the algorithm's constructor arguments plus these zoo keys:
``n_timesteps``, ``n_envs``, ``policy`` (a network preset here), ``policy_kwargs`` (a YAML
mapping, never a string to ``eval``), ``env_kwargs`` (passed to ``gym.make``) and
``normalize`` (``true`` or a mapping of ``VecNormalize`` kwargs). A learning rate written
``lin_<x>`` decays linearly from ``x`` to 0, as in the zoo.

Beyond the zoo, an entry may hold ``presets``: network preset -> hyperparameters that apply
over the entry when a run uses that preset (``wmoe tune`` tunes a MoE preset and its matched
plain preset apart, with the same budget, so each gets its own tuned values)::

    wmoe/MultiBSReception-v0:
      learning_rate: 1.0e-3
      presets:
        moe-top2: {learning_rate: 3.0e-4}   # tuned: study ...
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

import yaml

from wmoe.agents.registry import AlgorithmEntry
from wmoe.config import deep_merge

PRESET_SECTIONS = "presets"
"""The entry key holding per-preset hyperparameters."""
ZOO_KEYS: dict[str, Any] = {
    "n_timesteps": 100_000,
    "n_envs": 1,
    "policy": "mlp",
    "policy_kwargs": {},
    "env_kwargs": {},
    "normalize": False,
}
_NOT_HYPERPARAMETERS = {"self", "policy", "env", "seed", "device", "tensorboard_log", "verbose"}
_NOT_HYPERPARAMETERS |= {"_init_setup_model", "kwargs", "args"}


def algorithm_arguments(entry: AlgorithmEntry) -> list[str]:
    """Constructor arguments of the algorithm that a hyperparameter file may set."""
    names = inspect.signature(entry.algorithm.__init__).parameters
    return sorted(set(names) - _NOT_HYPERPARAMETERS)


def algorithm_defaults(entry: AlgorithmEntry) -> dict[str, Any]:
    """The algorithm's own default of each argument a hyperparameter file may set."""
    parameters = inspect.signature(entry.algorithm.__init__).parameters
    return {
        name: parameters[name].default
        for name in algorithm_arguments(entry)
        if parameters[name].default is not inspect.Parameter.empty
    }


def valid_keys(entry: AlgorithmEntry) -> list[str]:
    """Every key a hyperparameter entry of ``entry`` may hold."""
    return sorted(set(algorithm_arguments(entry)) | set(ZOO_KEYS))


def load_defaults(
    entry: AlgorithmEntry, env_id: str, preset: str | None = None
) -> tuple[dict[str, Any], bool]:
    """The packaged hyperparameters of ``entry`` for ``env_id`` and a network preset.

    The section of ``preset`` (the entry's own ``policy`` when None) under the entry's
    :data:`PRESET_SECTIONS` is deep-merged over the entry (whose ``policy`` stays the file's:
    the caller sets the preset it runs).

    Returns:
        ``(hyperparameters, found)``; when the file has no entry for ``env_id`` the result is
        the zoo keys' defaults (and the algorithm's own defaults apply) and ``found`` is False.
    """
    text = resources.files("wmoe.agents").joinpath("hyperparams", f"{entry.name}.yml")
    table = yaml.safe_load(text.read_text()) or {}
    found = env_id in table
    hyperparameters = {**ZOO_KEYS, **(table.get(env_id) or {})}
    sections = hyperparameters.pop(PRESET_SECTIONS, None) or {}
    section = sections.get(preset or hyperparameters["policy"], {})
    return deep_merge(hyperparameters, section), found


def merge_hyperparameters(
    entry: AlgorithmEntry, base: Mapping[str, Any], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """``base`` deep-merged with ``overrides`` (:func:`wmoe.config.deep_merge`), validated.

    Raises:
        ValueError: On a key the algorithm does not take; the message lists the valid ones.
    """
    merged = deep_merge(base, overrides)
    unknown = sorted(set(merged) - set(valid_keys(entry)))
    if unknown:
        raise ValueError(
            f"unknown hyperparameter(s) {unknown} for {entry.name}; valid: "
            f"{', '.join(valid_keys(entry))}"
        )
    return merged


def linear_schedule(initial: float) -> Callable[[float], float]:
    """SB3 schedule decaying linearly from ``initial`` (progress 1) to 0 (progress 0)."""

    def schedule(progress_remaining: float) -> float:
        return progress_remaining * initial

    return schedule


def algorithm_kwargs(hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor kwargs of the algorithm (zoo keys removed, schedules built)."""
    kwargs = {k: v for k, v in hyperparameters.items() if k not in ZOO_KEYS}
    for key in ("learning_rate", "clip_range"):
        value = kwargs.get(key)
        if isinstance(value, str):
            prefix, _, number = value.partition("_")
            if prefix != "lin" or not number:
                raise ValueError(f"{key}: expected a number or lin_<number>, got {value!r}")
            kwargs[key] = linear_schedule(float(number))
    return kwargs

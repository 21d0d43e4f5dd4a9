"""Every packaged hyperparameter entry's env config passes the env's schema."""

from __future__ import annotations

import pytest

from wmoe.agents.hyperparams import load_defaults
from wmoe.agents.registry import ALGORITHMS, get_algorithm
from wmoe.envs.registration import ENV_TABLE, config_schema


@pytest.mark.parametrize("algo", sorted(ALGORITHMS))
@pytest.mark.parametrize("env_id", [entry.env_id for entry in ENV_TABLE])
def test_packaged_env_kwargs_are_valid_configs(algo: str, env_id: str) -> None:
    hyperparameters, _ = load_defaults(get_algorithm(algo), env_id)
    config = hyperparameters["env_kwargs"].get("config", {})
    resolved = config_schema(env_id).resolve(config)
    assert all(resolved[key] == value for key, value in config.items())

"""Comparison helpers for native vector envs against ``SyncVectorEnv``."""

from __future__ import annotations

from typing import Any

import numpy as np


def assert_infos_equal(native: dict[str, Any], sync: dict[str, Any]) -> None:
    """Vector infos equal key by key, ``_key`` masks, ``final_obs`` and ``final_info`` too."""
    assert set(native) == set(sync)
    for key, value in native.items():
        if key == "final_obs":
            for a, b in zip(value, sync[key], strict=True):
                assert (a is None and b is None) or np.array_equal(a, b)
        elif isinstance(value, dict):
            assert_infos_equal(value, sync[key])
        else:
            assert value.dtype == sync[key].dtype, key
            np.testing.assert_array_equal(value, sync[key], err_msg=key)

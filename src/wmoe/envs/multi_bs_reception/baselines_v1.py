"""Baselines of the ``wmoe/MultiBSReception*-v1`` variants (the registry's baselines module).

The policies of :mod:`wmoe.envs.multi_bs_reception.baselines`, with the v1 table
:data:`~wmoe.envs.multi_bs_reception.baselines.V1_BASELINES` (which adds
``strongest_n_genie`` and ``hysteresis_handover``), and the upper bound on the return of the
episodes :func:`~wmoe.envs.multi_bs_reception.bounds.upper_bound` (the hindsight optimum over
each episode's UE trajectory, re-association costs included; the reference of
``wmoe/MultiBSReceptionMobility-v1``, where the per-step ``oracle`` is myopic).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wmoe.envs.multi_bs_reception.baselines import V1_BASELINES
from wmoe.envs.multi_bs_reception.baselines import baseline_action as _baseline_action
from wmoe.envs.multi_bs_reception.bounds import upper_bound as upper_bound

BASELINES = V1_BASELINES


def baseline_action(name: str, env: Any, rng: np.random.Generator | None = None) -> Any:
    """The action the v1 baseline ``name`` takes in a single v1 env right now."""
    return _baseline_action(name, env, rng, BASELINES)

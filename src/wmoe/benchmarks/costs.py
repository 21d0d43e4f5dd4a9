"""Cost metrics of a trained agent: parameters (total and active) and decision latency."""

from __future__ import annotations

import time

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from torch import nn

from wmoe.moe_policies.layers import MoELayer
from wmoe.moe_policies.routers import HierarchicalRouter

LATENCY_BATCH_SIZES: tuple[int, ...] = (1, 256)
"""Batch sizes of the decision-latency measurement."""


def parameter_counts(policy: nn.Module) -> tuple[int, int]:
    """Total and active parameters of a policy (all its networks, target copies excluded).

    Active parameters are those one input uses: in a sparse MoE layer (top-k or
    hierarchical routing) only ``k`` of its ``E`` experts run per input, so
    ``(1 - k / E)`` of its expert parameters are inactive; dense, soft and multi-gate MoE
    layers run every expert.
    """
    total = sum(p.numel() for name, p in policy.named_parameters() if "_target" not in name)
    inactive = 0.0
    for name, module in policy.named_modules():
        if "_target" in name or not isinstance(module, MoELayer):
            continue
        router = module.router
        if isinstance(router, HierarchicalRouter):
            used = router.group_k * router.expert_k
        else:
            used = router.k
        experts = sum(p.numel() for p in module.experts.parameters())
        inactive += experts * (1.0 - used / module.num_experts)
    return total, total - round(inactive)


def decision_latency_ms(
    model: BaseAlgorithm, batch_size: int, repeats: int = 20, seed: int = 0
) -> float:
    """Median wall-clock per action [ms] of ``model.predict`` on a batch of observations.

    Observations are drawn from the model's observation space with ``seed``; two warm-up
    calls come first.
    """
    space = model.observation_space
    space.seed(seed)
    batch = np.stack([np.asarray(space.sample()) for _ in range(batch_size)])
    for _ in range(2):
        model.predict(batch, deterministic=True)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(batch, deterministic=True)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times)) / batch_size

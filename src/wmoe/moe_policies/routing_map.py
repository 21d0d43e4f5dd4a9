"""Which expert each input goes to: the routers' choices, captured during a forward pass.

:func:`routed_experts` hooks every router (:class:`~wmoe.moe_policies.routers.TopKRouter`,
:class:`~wmoe.moe_policies.routers.HierarchicalRouter`) of a network, runs a forward pass of
the caller's choosing (e.g. an SB3 ``model.predict`` on a batch of observations) and returns,
per router, the expert with the largest combine weight for each input row. A router called
several times in the pass (a diffusion denoiser, once per denoising step) gives the expert it
chose most often for the row. Pictures built on it (the expert map of the reception env) live
in :mod:`wmoe.agents.expert_map`; this module needs only torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from wmoe.moe_policies.routers import HierarchicalRouter, Routing, TopKRouter

Router = TopKRouter | HierarchicalRouter


def routers(network: nn.Module) -> dict[str, Router]:
    """The network's routers by qualified module name, in registration order."""
    return {
        name: module
        for name, module in network.named_modules()
        if isinstance(module, (TopKRouter, HierarchicalRouter))
    }


def most_frequent(choices: NDArray[np.int64], num_experts: int) -> NDArray[np.int64]:
    """Per column of ``(calls, rows)`` choices, the most frequent expert (the lowest on ties)."""
    counts = np.zeros((num_experts, choices.shape[1]), dtype=np.int64)
    for row in choices:
        counts[row, np.arange(choices.shape[1])] += 1
    return np.asarray(counts.argmax(axis=0), dtype=np.int64)


def routed_experts(network: nn.Module, forward: Callable[[], Any]) -> dict[str, NDArray[np.int64]]:
    """Run ``forward()`` and return the expert each router sent each row to.

    Args:
        network: A module holding routers (e.g. an SB3 policy).
        forward: A call that runs ``network`` on the inputs of interest once.

    Returns:
        Router name -> ``(rows,)`` expert indices, for the routers that ran; a router whose
        batch size changed between calls keeps the calls of its first batch size.

    Raises:
        ValueError: The network has no router (a dense or soft MoE, or no MoE at all).
    """
    found = routers(network)
    if not found:
        raise ValueError(
            f"{type(network).__name__} has no top-k or hierarchical router, so no expert "
            "choice to map; use a sparse MoE network preset (e.g. moe-top1, moe-top2)"
        )
    calls: dict[str, list[torch.Tensor]] = {name: [] for name in found}

    def hook(name: str) -> Callable[[nn.Module, Any, Routing], None]:
        def record(module: nn.Module, inputs: Any, routing: Routing) -> None:
            calls[name].append(routing.dense_weights().detach().argmax(dim=-1).cpu())

        return record

    handles = [module.register_forward_hook(hook(name)) for name, module in found.items()]
    try:
        with torch.no_grad():
            forward()
    finally:
        for handle in handles:
            handle.remove()
    result: dict[str, NDArray[np.int64]] = {}
    for name, recorded in calls.items():
        if not recorded:
            continue
        rows = len(recorded[0])
        stacked = np.stack([c.numpy() for c in recorded if len(c) == rows]).astype(np.int64)
        result[name] = most_frequent(stacked, found[name].num_experts)
    return result

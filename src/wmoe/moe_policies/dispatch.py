"""Sparse dispatch of a batch to its experts and the weighted combine of their outputs.

A sparse router assigns each sample to ``k`` experts. :func:`group_by_expert` orders the
assignments by expert (optionally dropping those over an expert's capacity, whose router
weight it reports per sample for the layer's pass-through), so each expert
runs once on a contiguous chunk of its samples; :func:`combine` puts the chunks' outputs
back in sample order, weighted by the router. ``combine`` is one autograd function, so the
mixture costs a gather (or, with ``k > 1``, a scatter-add) and a scaling in each direction,
without the intermediate tensors autograd would keep for a concatenation, a scaling and a
scatter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor


@dataclass
class Assignments:
    """Assignments of a batch to experts, grouped by expert.

    Attributes:
        order: Flat index (``b * k + j``) of each kept assignment, grouped by expert ``(N,)``.
        samples: Sample index of each kept assignment, grouped by expert ``(N,)``.
        weight: Router weight of every assignment in flat order ``(B * k,)``.
        counts: Kept assignments per expert (a list, to split chunks with).
        routed: Assignments per expert before any capacity cut ``(E,)``.
        exclusive: Every sample has exactly one kept assignment.
        overflow_weight: Per sample, the summed router weight of its assignments dropped
            for capacity ``(B,)``, or None when nothing was dropped.
    """

    order: Tensor
    samples: Tensor
    weight: Tensor
    counts: list[int]
    routed: Tensor
    exclusive: bool
    overflow_weight: Tensor | None = None


def group_by_expert(
    expert_index: Tensor,
    expert_weight: Tensor,
    num_experts: int,
    capacity_factor: float | None = None,
) -> Assignments:
    """Group the assignments ``(B, k)`` by expert, stable in sample order.

    With a capacity factor an expert keeps at most ``ceil(capacity_factor * B * k / E)``
    assignments, those with the largest router weight (batch-prioritised routing, Riquelme
    et al., 2021).
    """
    batch, k = expert_index.shape
    flat_expert = expert_index.reshape(-1)
    flat_weight = expert_weight.reshape(-1)
    routed = torch.bincount(flat_expert, minlength=num_experts)
    overflow_weight = None
    if capacity_factor is None:
        order = torch.argsort(flat_expert, stable=True)
        counts = routed
    else:
        capacity = math.ceil(capacity_factor * batch * k / num_experts)
        by_weight = torch.argsort(flat_weight.detach(), descending=True, stable=True)
        order = by_weight[torch.argsort(flat_expert[by_weight], stable=True)]
        starts = torch.cumsum(routed, 0) - routed
        rank = torch.arange(batch * k, device=order.device) - starts[flat_expert[order]]
        kept = rank < capacity
        if not bool(kept.all()):
            dropped = torch.zeros_like(flat_weight).index_fill_(0, order[~kept], 1.0)
            overflow_weight = (flat_weight * dropped).view(batch, k).sum(dim=1)
        order = order[kept]
        counts = routed.clamp(max=capacity)
    samples = order // k if k > 1 else order
    return Assignments(
        order=order,
        samples=samples,
        weight=flat_weight,
        counts=counts.tolist(),
        routed=routed,
        exclusive=k == 1 and len(order) == batch,
        overflow_weight=overflow_weight,
    )


class _Combine(torch.autograd.Function):
    """``y[b] = sum_a weight[a] * grouped[a]`` over the kept assignments ``a`` of sample ``b``."""

    @staticmethod
    def forward(  # noqa: D102
        ctx: Any,
        grouped: Tensor,
        weight: Tensor,
        order: Tensor,
        samples: Tensor,
        batch: int,
        exclusive: bool,
    ) -> Tensor:
        if exclusive:  # k = 1, nothing dropped: ``order`` is a permutation of the samples
            inverse = torch.empty_like(order)
            inverse[order] = torch.arange(batch, device=order.device)
            mixed = grouped.index_select(0, inverse).mul_(weight.unsqueeze(1))
        else:
            weighted = grouped * weight.index_select(0, order).unsqueeze(1)
            mixed = grouped.new_zeros(batch, grouped.shape[1]).index_add_(0, samples, weighted)
        ctx.save_for_backward(grouped, weight, order, samples)
        return mixed

    @staticmethod
    def backward(ctx: Any, grad_mixed: Tensor) -> tuple[Tensor | None, ...]:  # noqa: D102
        grouped, weight, order, samples = ctx.saved_tensors
        grad = grad_mixed.index_select(0, samples)
        grad_weight = None
        if ctx.needs_input_grad[1]:
            grad_kept = torch.linalg.vecdot(grad, grouped)
            grad_weight = torch.zeros_like(weight).index_copy_(0, order, grad_kept)
        grad.mul_(weight.index_select(0, order).unsqueeze(1))
        return grad, grad_weight, None, None, None, None


def combine(grouped: Tensor, assignments: Assignments, batch: int) -> Tensor:
    """Mix the experts' outputs ``(N, width)``, in :func:`group_by_expert` order, per sample.

    Returns:
        ``(B, width)``; assignments dropped for capacity contribute nothing here (see
        :attr:`Assignments.overflow_weight` for the layer's pass-through).
    """
    mixed: Tensor = _Combine.apply(
        grouped,
        assignments.weight,
        assignments.order,
        assignments.samples,
        batch,
        assignments.exclusive,
    )
    return mixed

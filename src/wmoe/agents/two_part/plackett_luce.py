"""Plackett-Luce picks of ``n`` out of ``U`` items from per-item scores (torch).

A Plackett-Luce policy picks items one after another without replacement, item ``k`` with
probability ``exp(s_k) / sum_{j not picked} exp(s_j)`` (Plackett 1975; Luce 1959). Adding
Gumbel noise to the scores and taking the top ``n`` draws such an ordered pick exactly
(Kool, van Hoof and Welling, "Stochastic Beams and Where to Find Them", ICML 2019), so a
factorised score per BS is a policy over the ``C(U, n)`` cooperative sets without an
``C(U, n)``-way softmax.
"""

from __future__ import annotations

import torch
from torch import Tensor


def sample_orders(scores: Tensor, n: int, generator: torch.Generator | None = None) -> Tensor:
    """Draw ordered picks ``(..., n)`` of item indices from scores ``(..., U)`` (Gumbel top-n)."""
    uniform = torch.rand(scores.shape, generator=generator, device=scores.device)
    gumbel = -torch.log(-torch.log(uniform.clamp(1e-20, 1.0 - 1e-7)))
    return (scores + gumbel).topk(n, dim=-1).indices


def ordered_log_prob(scores: Tensor, orders: Tensor) -> Tensor:
    """Log-probability ``(...)`` of ordered picks ``orders (..., n)`` under ``scores (..., U)``."""
    picked = scores.gather(-1, orders)
    taken = torch.zeros_like(scores, dtype=torch.bool)
    log_prob = torch.zeros_like(picked[..., 0])
    for step in range(orders.shape[-1]):
        remaining = scores.masked_fill(taken, float("-inf")).logsumexp(dim=-1)
        log_prob = log_prob + picked[..., step] - remaining
        taken = taken.scatter(-1, orders[..., step : step + 1], True)
    return log_prob


def multi_hot(members: Tensor, num_items: int) -> Tensor:
    """``(..., num_items)`` float indicator of the items in ``members (..., n)``."""
    hot = torch.zeros((*members.shape[:-1], num_items), device=members.device)
    return hot.scatter(-1, members, 1.0)

"""Routers (gates) of a Mixture-of-Experts layer, in the survey's vocabulary (Sec. II-B).

- dense: softmax over all experts, ``y = sum_n G_n(x) E_n(x)`` (survey eq. 1-2);
- top-k: softmax over the k largest logits, the others at -inf (eq. 3; GShard, GLaM);
- top-1 ("hard", eq. 4-5): the argmax expert, weighted by its full softmax probability as in
  the Switch Transformer (Fedus et al., 2022). Eq. 3 with k = 1 would give the weight 1 and
  leave the router without a gradient;
- noisy top-k (Shazeer et al., ICLR 2017): Gaussian noise scaled by a learned softplus is
  added to the logits in training mode only, so inference is deterministic;
- hierarchical (eq. 8): a high-level gate over M groups and a low-level gate inside each
  group; the weight of expert (m, n) is ``G_m(x) G_{n|m}(x)``, each level dense or top-k;
- random (a control): a top-k gate frozen at its random initialisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass
class Routing:
    """How one batch is routed to ``E`` experts.

    Attributes:
        probs: Full router distribution ``(B, E)`` before top-k truncation (aux losses,
            logging).
        logits: Logits of every gate level, for the z-loss.
        expert_index: Selected experts ``(B, k)``, or None when every expert is used.
        expert_weight: Combine weights ``(B, k)`` of the selected experts, or ``(B, E)``
            when every expert is used.
        clean_logits: Logits before the noise ``(B, E)``, set by a noisy top-k router in
            training mode (``logits[0]`` are then the noisy logits); for the load loss.
        noise_std: Standard deviation of that noise ``(B, E)``, set alongside
            ``clean_logits``.
    """

    probs: Tensor
    logits: list[Tensor]
    expert_index: Tensor | None
    expert_weight: Tensor
    clean_logits: Tensor | None = None
    noise_std: Tensor | None = None

    @property
    def is_noisy(self) -> bool:
        """Whether the logits carry Shazeer et al.'s noise (clean logits and std are set)."""
        return self.clean_logits is not None and self.noise_std is not None

    def dense_weights(self) -> Tensor:
        """Combine weights as a ``(B, E)`` matrix with zeros for unselected experts."""
        if self.expert_index is None:
            return self.expert_weight
        dense = torch.zeros_like(self.probs)
        return dense.scatter(1, self.expert_index, self.expert_weight)


def top_k_gate(logits: Tensor, k: int) -> tuple[Tensor | None, Tensor, Tensor]:
    """Select ``k`` experts from ``logits`` ``(B, E)``.

    Returns:
        ``(expert_index, expert_weight, probs)``: index None and weights = probs when
        ``k >= E`` (dense); Switch weights for ``k = 1``; eq. 3 renormalisation otherwise.
    """
    probs = torch.softmax(logits, dim=-1)
    if k >= logits.shape[-1]:
        return None, probs, probs
    top_logits, index = logits.topk(k, dim=-1)
    weight = probs.gather(-1, index) if k == 1 else torch.softmax(top_logits, dim=-1)
    return index, weight, probs


class TopKRouter(nn.Module):
    """One linear gate; dense when ``k`` equals the number of experts.

    Args:
        in_dim: Input width.
        num_experts: ``E``.
        k: Experts per sample (1 = Switch/hard, ``E`` = dense).
        noisy: Add Shazeer et al.'s learned Gaussian noise to the logits in training mode.
        frozen: Keep the randomly initialised gate fixed: the random-router control, whose
            routing depends on the input but never learns (dopamine's ``labs/moes`` compares
            learned routing against random routing the same way).
    """

    def __init__(
        self, in_dim: int, num_experts: int, k: int, noisy: bool = False, frozen: bool = False
    ) -> None:
        super().__init__()
        if not 1 <= k <= num_experts:
            raise ValueError(f"top_k must be in [1, num_experts={num_experts}], got {k}")
        if noisy and frozen:
            raise ValueError("a frozen (random) router has no learned noise; drop noisy")
        self.num_experts = num_experts
        self.k = k
        self.gate = nn.Linear(in_dim, num_experts)
        self.noise = nn.Linear(in_dim, num_experts) if noisy else None
        self.frozen = frozen
        if frozen:
            self.gate.requires_grad_(False)

    def forward(self, x: Tensor) -> Routing:
        """Route a batch ``x`` of shape ``(B, in_dim)``."""
        logits = self.gate(x)
        if self.noise is None or not self.training:
            index, weight, probs = top_k_gate(logits, self.k)
            return Routing(probs, [logits], index, weight)
        noise_std = nn.functional.softplus(self.noise(x))
        noisy = logits + torch.randn_like(logits) * noise_std
        index, weight, probs = top_k_gate(noisy, self.k)
        return Routing(probs, [noisy], index, weight, clean_logits=logits, noise_std=noise_std)


class HierarchicalRouter(nn.Module):
    """Two-level gate (survey eq. 8) over ``num_groups`` groups of equal size.

    Args:
        in_dim: Input width.
        num_groups: ``M``, the number of expert groups.
        experts_per_group: ``N``, experts in each group; expert ``(m, n)`` has index
            ``m * N + n``.
        group_k: Groups selected per sample by the high-level gate.
        expert_k: Experts selected inside each selected group by its low-level gate.
    """

    def __init__(
        self, in_dim: int, num_groups: int, experts_per_group: int, group_k: int, expert_k: int
    ) -> None:
        super().__init__()
        if not 1 <= group_k <= num_groups:
            raise ValueError(f"group_top_k must be in [1, num_groups={num_groups}], got {group_k}")
        if not 1 <= expert_k <= experts_per_group:
            raise ValueError(
                f"top_k must be in [1, experts per group={experts_per_group}], got {expert_k}"
            )
        self.num_groups = num_groups
        self.experts_per_group = experts_per_group
        self.group_k = group_k
        self.expert_k = expert_k
        self.high = nn.Linear(in_dim, num_groups)
        self.low = nn.Linear(in_dim, num_groups * experts_per_group)

    @property
    def num_experts(self) -> int:
        """``M * N``."""
        return self.num_groups * self.experts_per_group

    def forward(self, x: Tensor) -> Routing:
        """Route a batch ``x`` of shape ``(B, in_dim)``."""
        batch = x.shape[0]
        high_logits = self.high(x)
        low_logits = self.low(x).view(batch, self.num_groups, self.experts_per_group)
        group_index, group_weight, group_probs = top_k_gate(high_logits, self.group_k)
        expert_index, expert_weight, expert_probs = top_k_gate(low_logits, self.expert_k)
        probs = (group_probs.unsqueeze(-1) * expert_probs).reshape(batch, -1)
        logits = [high_logits, low_logits.reshape(-1, self.experts_per_group)]
        if group_index is None and expert_index is None:
            return Routing(probs, logits, None, probs)
        device = x.device
        if group_index is None:
            group_index = torch.arange(self.num_groups, device=device).expand(batch, -1)
        if expert_index is None:
            expert_index = torch.arange(self.experts_per_group, device=device).expand(
                batch, self.num_groups, -1
            )
        # Low-level choices and weights inside the selected groups only.
        rows = torch.arange(batch, device=device).unsqueeze(-1)
        chosen_experts = expert_index[rows, group_index]
        chosen_weights = expert_weight[rows, group_index]
        index = group_index.unsqueeze(-1) * self.experts_per_group + chosen_experts
        weight = group_weight.unsqueeze(-1) * chosen_weights
        return Routing(probs, logits, index.reshape(batch, -1), weight.reshape(batch, -1))

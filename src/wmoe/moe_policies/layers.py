"""Mixture-of-Experts layers: sparse/dense MoE, soft MoE and multi-gate MoE.

Every layer maps ``(B, in_dim)`` to ``(B, out_dim)`` (the multi-gate layer returns one such
tensor per head). Experts are MLPs whose every linear layer is followed by the activation,
like the latent networks of SB3's ``MlpExtractor``.

In training mode with gradients enabled a layer computes its auxiliary router losses, carries
their weighted sum on its output (see :mod:`wmoe.moe_policies.aux_losses`) and accumulates
routing statistics (per-expert load, entropy, each aux loss) for logging.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor, nn

from wmoe.moe_policies.aux_losses import (
    AUX_LOSS_NAMES,
    AuxLossCoefficients,
    assignment_fractions,
    aux_loss_terms,
    carry_aux_loss,
    weighted_aux_loss,
)
from wmoe.moe_policies.routers import HierarchicalRouter, Routing, TopKRouter

AuxMode = Literal["carry", "record", "off"]


def mlp(in_dim: int, widths: Sequence[int], activation: type[nn.Module]) -> nn.Sequential:
    """Linear layers of the given widths, each followed by ``activation``."""
    layers: list[nn.Module] = []
    for width in widths:
        layers += [nn.Linear(in_dim, width), activation()]
        in_dim = width
    return nn.Sequential(*layers)


class RoutingStats:
    """Running sums of routing statistics over training forwards, for logging."""

    def __init__(self, num_experts: int) -> None:
        self.num_experts = num_experts
        self.reset()

    def reset(self) -> None:
        """Forget everything accumulated."""
        self.count = 0
        self.load = torch.zeros(self.num_experts)
        self.sums: dict[str, Tensor] = {}

    def update(self, load: Tensor, terms: dict[str, Tensor]) -> None:
        """Add one forward's per-expert load and aux-loss values."""
        self.count += 1
        self.load += load.detach()
        for name, value in terms.items():
            self.sums[name] = self.sums.get(name, torch.zeros(())) + value.detach()

    def pop(self) -> dict[str, float]:
        """Means since the last call (``load_<e>``, ``aux/<loss>``), then reset."""
        if self.count == 0:
            return {}
        out = {f"load_{e}": float(v) / self.count for e, v in enumerate(self.load)}
        out.update({f"aux/{k}": float(v) / self.count for k, v in self.sums.items()})
        self.reset()
        return out


class RoutedLayer(nn.Module):
    """Base of every MoE layer: aux-loss bookkeeping and statistics.

    Attributes:
        aux_mode: ``"carry"`` attaches the weighted aux loss to the output (default),
            ``"record"`` only stores it in ``last_aux_loss`` (for explicit use), ``"off"``
            skips aux losses and statistics.
        last_aux_loss: The weighted aux loss of the last forward in ``"record"`` mode.
    """

    def __init__(self, num_experts: int, aux: AuxLossCoefficients) -> None:
        super().__init__()
        self.num_experts = num_experts
        self.aux = aux
        weights = aux.as_dict()
        self._weighted = [name for name in AUX_LOSS_NAMES if weights[name] != 0.0]
        self._logged_only = [name for name in AUX_LOSS_NAMES if weights[name] == 0.0]
        self.aux_mode: AuxMode = "carry"
        self.last_aux_loss: Tensor | None = None
        self.stats = RoutingStats(num_experts)

    def _tracking(self) -> bool:
        return self.training and torch.is_grad_enabled() and self.aux_mode != "off"

    def _finish(self, output: Tensor, routing: Routing, load: Tensor | None = None) -> Tensor:
        """Account for the aux losses of ``routing``; return ``output`` (carrying them).

        Only the losses with a non-zero coefficient are built with autograd; the others are
        computed without gradient, for the statistics. ``load`` (assignment fractions) may be
        passed when the caller has counted the assignments already.
        """
        if not self._tracking():
            return output
        if load is None:
            load = assignment_fractions(routing.probs, routing.expert_index, self.num_experts)
        terms = aux_loss_terms(routing.probs, routing.logits, load, self._weighted)
        with torch.no_grad():
            logged = aux_loss_terms(routing.probs, routing.logits, load, self._logged_only)
        self.stats.update(load, {**terms, **logged})
        aux = weighted_aux_loss(terms, self.aux)
        if self.aux_mode == "record":
            self.last_aux_loss = aux
            return output
        return carry_aux_loss(output, aux)


class MoELayer(RoutedLayer):
    """Experts combined by a dense, top-k, noisy top-k or hierarchical router.

    Sparse routers run each expert only on the samples routed to it. With a capacity
    factor, an expert takes at most ``ceil(capacity_factor * B * k / E)`` assignments of a
    training batch, keeping those with the largest router weight (batch-prioritised routing,
    Riquelme et al., 2021); the rest lose that expert's contribution. Capacity applies in
    training mode only, so an action never depends on what else is in the batch.

    Args:
        in_dim: Input width.
        expert_widths: Layer widths of each expert MLP; the last is the output width.
        router: The gate, a :class:`TopKRouter` or :class:`HierarchicalRouter`.
        activation: Activation class after every expert layer.
        aux: Auxiliary loss coefficients.
        capacity_factor: Optional expert capacity factor (> 0).
    """

    def __init__(
        self,
        in_dim: int,
        expert_widths: Sequence[int],
        router: TopKRouter | HierarchicalRouter,
        activation: type[nn.Module],
        aux: AuxLossCoefficients,
        capacity_factor: float | None = None,
    ) -> None:
        super().__init__(router.num_experts, aux)
        if capacity_factor is not None and capacity_factor <= 0:
            raise ValueError(f"capacity_factor must be > 0 or None, got {capacity_factor}")
        self.router = router
        self.experts = nn.ModuleList(
            mlp(in_dim, expert_widths, activation) for _ in range(self.num_experts)
        )
        self.out_dim = expert_widths[-1]
        self.capacity_factor = capacity_factor

    def forward(self, x: Tensor) -> Tensor:
        """Mix the experts' outputs for a batch ``x`` of shape ``(B, in_dim)``."""
        routing = self.router(x)
        if routing.expert_index is None:
            outputs = torch.stack([expert(x) for expert in self.experts], dim=1)
            mixed = torch.bmm(routing.expert_weight.unsqueeze(1), outputs).squeeze(1)
        else:
            mixed, counts = self._dispatch(x, routing.expert_index, routing.expert_weight)
            load = counts.to(mixed.dtype) / routing.expert_index.numel()
            return self._finish(mixed, routing, load)
        return self._finish(mixed, routing)

    def _dispatch(
        self, x: Tensor, expert_index: Tensor, expert_weight: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Run each expert on its assignments only and scatter-add the weighted outputs.

        Returns:
            The mixed output and the number of assignments routed to each expert (before
            any capacity cut).
        """
        batch, k = expert_index.shape
        flat_expert = expert_index.reshape(-1)
        flat_weight = expert_weight.reshape(-1)
        order = torch.argsort(flat_expert, stable=True)
        routed = torch.bincount(flat_expert, minlength=self.num_experts)
        counts = routed
        if self.capacity_factor is not None and self.training:
            order, counts = self._apply_capacity(flat_expert, flat_weight, routed, batch * k)
        samples = order // k if k > 1 else order
        inputs = x.index_select(0, samples).split(counts.tolist())
        outputs = [
            expert(chunk) for expert, chunk in zip(self.experts, inputs, strict=True) if len(chunk)
        ]
        if not outputs:
            return x.new_zeros(batch, self.out_dim), routed
        weighted = torch.cat(outputs) * flat_weight.index_select(0, order).unsqueeze(1)
        return weighted.new_zeros(batch, self.out_dim).index_add(0, samples, weighted), routed

    def _apply_capacity(
        self, flat_expert: Tensor, flat_weight: Tensor, counts: Tensor, assignments: int
    ) -> tuple[Tensor, Tensor]:
        """Assignment order grouped by expert, keeping each expert's heaviest ones."""
        assert self.capacity_factor is not None
        capacity = math.ceil(self.capacity_factor * assignments / self.num_experts)
        by_weight = torch.argsort(flat_weight.detach(), descending=True, stable=True)
        order = by_weight[torch.argsort(flat_expert[by_weight], stable=True)]
        starts = torch.cumsum(counts, 0) - counts
        rank = torch.arange(assignments) - starts[flat_expert[order]]
        return order[rank < capacity], counts.clamp(max=capacity)


class SoftMoELayer(RoutedLayer):
    """Soft MoE (Puigcerver et al., ICLR 2024), as used for deep RL by Obando-Ceron et al. 2024.

    A flat input has no token axis, so a learned linear map splits each sample into
    ``num_tokens`` tokens of width ``in_dim``. Every expert owns ``slots_per_expert`` slots;
    each slot is a softmax-over-tokens mix of the tokens (dispatch), each token's output a
    softmax-over-slots mix of the slot outputs (combine), and the sample's output is the mean
    over its tokens. Routing never crosses samples. For logging and aux losses the router
    distribution of a token is its combine mass per expert.

    Args:
        in_dim: Input width (and token width).
        expert_widths: Layer widths of each expert MLP; the last is the output width.
        num_experts: ``E``.
        num_tokens: Tokens per sample.
        slots_per_expert: Slots per expert.
        activation: Activation class after every expert layer.
        aux: Auxiliary loss coefficients.
    """

    def __init__(
        self,
        in_dim: int,
        expert_widths: Sequence[int],
        num_experts: int,
        num_tokens: int,
        slots_per_expert: int,
        activation: type[nn.Module],
        aux: AuxLossCoefficients,
    ) -> None:
        super().__init__(num_experts, aux)
        if num_tokens < 1 or slots_per_expert < 1:
            raise ValueError(
                f"num_tokens and slots_per_expert must be >= 1, got {num_tokens}, "
                f"{slots_per_expert}"
            )
        self.num_tokens = num_tokens
        self.slots_per_expert = slots_per_expert
        self.tokenizer = nn.Linear(in_dim, num_tokens * in_dim)
        self.slot_embeddings = nn.Parameter(
            torch.randn(num_experts * slots_per_expert, in_dim) / math.sqrt(in_dim)
        )
        self.experts = nn.ModuleList(
            mlp(in_dim, expert_widths, activation) for _ in range(num_experts)
        )
        self.out_dim = expert_widths[-1]

    def forward(self, x: Tensor) -> Tensor:
        """Mix the experts' slot outputs for a batch ``x`` of shape ``(B, in_dim)``."""
        batch, width = x.shape
        tokens = self.tokenizer(x).view(batch, self.num_tokens, width)
        logits = tokens @ self.slot_embeddings.T  # (B, tokens, slots)
        dispatch = torch.softmax(logits, dim=1)
        combine = torch.softmax(logits, dim=2)
        slots = (dispatch.transpose(1, 2) @ tokens).split(self.slots_per_expert, dim=1)
        slot_outputs = torch.cat([e(s) for e, s in zip(self.experts, slots, strict=True)], dim=1)
        output = (combine @ slot_outputs).mean(dim=1)
        per_expert = combine.view(batch * self.num_tokens, self.num_experts, -1).sum(-1)
        flat_logits = logits.reshape(batch * self.num_tokens, -1)
        return self._finish(output, Routing(per_expert, [flat_logits], None, per_expert))


class MultiGateMoELayer(RoutedLayer):
    """Multi-gate MoE (MMoE, survey eq. 7): shared experts, one router per head.

    Each expert runs once on the whole batch and each head mixes the outputs with its own
    router's weights (zeros for experts a sparse router did not select).

    Args:
        in_dim: Input width.
        expert_widths: Layer widths of each expert MLP; the last is the output width.
        routers: One router per head, all over the same number of experts.
        activation: Activation class after every expert layer.
        aux: Auxiliary loss coefficients (applied to each head's router).
    """

    def __init__(
        self,
        in_dim: int,
        expert_widths: Sequence[int],
        routers: Sequence[TopKRouter | HierarchicalRouter],
        activation: type[nn.Module],
        aux: AuxLossCoefficients,
    ) -> None:
        num_experts = routers[0].num_experts
        if any(router.num_experts != num_experts for router in routers):
            raise ValueError("every gate of a multi-gate layer must cover the same experts")
        super().__init__(num_experts, aux)
        self.routers = nn.ModuleList(routers)
        self.experts = nn.ModuleList(
            mlp(in_dim, expert_widths, activation) for _ in range(num_experts)
        )
        self.out_dim = expert_widths[-1]

    def forward_heads(self, x: Tensor, heads: Sequence[int] | None = None) -> list[Tensor]:
        """Outputs ``(B, out_dim)`` of the given heads (all heads by default)."""
        chosen = range(len(self.routers)) if heads is None else heads
        outputs = torch.stack([expert(x) for expert in self.experts], dim=1)
        results = []
        for head in chosen:
            routing: Routing = self.routers[head](x)
            mixed = torch.bmm(routing.dense_weights().unsqueeze(1), outputs).squeeze(1)
            results.append(self._finish(mixed, routing))
        return results

    def forward(self, x: Tensor) -> Tensor:
        """The first head's output (a multi-gate layer used as a plain layer)."""
        return self.forward_heads(x, heads=[0])[0]

"""Mixture-of-Experts layers: sparse/dense MoE, soft MoE and multi-gate MoE.

Every layer maps ``(B, in_dim)`` to ``(B, out_dim)`` (the multi-gate layer returns one such
tensor per head). Experts are MLPs whose every linear layer is followed by the activation,
like the latent networks of SB3's ``MlpExtractor``.

In training mode with gradients enabled a layer carries its weighted auxiliary router losses
on its output (see :mod:`wmoe.moe_policies.aux_losses`) and, when ``track_stats`` is on,
accumulates routing statistics (per-expert load, entropy, each aux loss) for logging. With
``capture_input`` on it keeps its last training input, on which :meth:`RoutedLayer.feature_stats`
computes per-expert dormant-neuron and feature-rank statistics
(:mod:`wmoe.moe_policies.feature_stats`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

import torch
from torch import Tensor, nn

from wmoe.moe_policies.aux_losses import (
    AUX_LOSS_NAMES,
    AuxLossCoefficients,
    assignment_fractions,
    aux_loss_terms,
    available_aux_losses,
    carry_router_losses,
    weighted_aux_loss,
)
from wmoe.moe_policies.dispatch import combine, group_by_expert
from wmoe.moe_policies.experts import ExpertMLPs
from wmoe.moe_policies.feature_stats import expert_feature_stats
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
        """Add one forward's per-expert load and aux-loss values (kept on the CPU)."""
        self.count += 1
        self.load += load.detach().cpu()
        for name, value in terms.items():
            self.sums[name] = (
                self.sums.get(name, torch.zeros((), device="cpu")) + value.detach().cpu()
            )

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
        last_aux_loss: The weighted aux loss of the last forward in ``"record"`` mode (summed
            over the heads of a multi-gate layer).
        aux_scale: Factor on the aux-loss weights, 1 by default; :func:`scaled_aux` sets it
            while a loss calls the layer several times (a diffusion chain), so that the loss
            carries the configured weight once.
        track_stats: Accumulate routing statistics in ``stats`` (switched on by
            :class:`~wmoe.moe_policies.callback.MoELoggingCallback`; off by default because
            they cost a dozen small operations per forward).
        capture_input: Keep the (detached) input of the last training forward in
            ``last_input`` for :meth:`feature_stats` (off by default).
        experts: The experts, set by every subclass.
    """

    experts: ExpertMLPs

    def __init__(self, num_experts: int, aux: AuxLossCoefficients) -> None:
        super().__init__()
        self.num_experts = num_experts
        self.aux = aux
        weights = aux.as_dict()
        self._weighted = [name for name in AUX_LOSS_NAMES if weights[name] != 0.0]
        self.aux_mode: AuxMode = "carry"
        self.aux_scale = 1.0
        self.track_stats = False
        self.last_aux_loss: Tensor | None = None
        self.stats = RoutingStats(num_experts)
        self.capture_input = False
        self.last_input: Tensor | None = None

    def _tracking(self) -> bool:
        return self.training and torch.is_grad_enabled() and self.aux_mode != "off"

    def _begin(self, x: Tensor) -> None:
        """Start a forward on ``x``: forget the previous recorded aux loss, maybe keep ``x``."""
        self.last_aux_loss = None
        if self.capture_input and self.training and torch.is_grad_enabled():
            self.last_input = x.detach()

    def expert_inputs(self, x: Tensor) -> Tensor:
        """What the experts run on for a layer input ``x``: ``x`` itself, shared by all."""
        return x

    def feature_stats(self) -> dict[str, float]:
        """Per-expert dormant fractions and effective rank on ``last_input``, then forget it.

        Every expert runs on the whole captured batch; see
        :func:`~wmoe.moe_policies.feature_stats.expert_feature_stats` for the keys. Empty
        when nothing was captured since the last call.
        """
        if self.last_input is None:
            return {}
        with torch.no_grad():
            activations = self.experts.hidden_activations(self.expert_inputs(self.last_input))
            stats = expert_feature_stats(activations) if activations else {}
        self.last_input = None
        return stats

    def _finish(self, output: Tensor, routing: Routing, routed: Tensor | None = None) -> Tensor:
        """Account for the aux losses of ``routing``; return ``output`` (carrying them).

        ``routed`` (assignments per expert) may be passed when the caller has counted them
        already; the assignment fractions are computed from it only when needed.
        """
        if not self._tracking():
            return output
        if routed is None:
            load = assignment_fractions(routing.probs, routing.expert_index, self.num_experts)
        else:
            load = routed.to(output.dtype) / routed.sum()
        if self.track_stats:
            with torch.no_grad():
                terms = aux_loss_terms(routing, load, available_aux_losses(routing))
            self.stats.update(load, terms)
        coefficients = self.aux.scaled(self.aux_scale)
        if self.aux_mode == "record":
            weighted = aux_loss_terms(routing, load, self._weighted)
            loss = weighted_aux_loss(weighted, coefficients)
            self.last_aux_loss = loss if self.last_aux_loss is None else self.last_aux_loss + loss
            return output
        if not self._weighted:
            return output
        return carry_router_losses(output, coefficients, load, routing)


class MoELayer(RoutedLayer):
    """Experts combined by a dense, top-k, noisy top-k or hierarchical router.

    Sparse routers run each expert only on the samples routed to it. With a capacity
    factor, an expert takes at most ``ceil(capacity_factor * B * k / E)`` assignments of a
    training batch, keeping those with the largest router weight (batch-prioritised routing,
    Riquelme et al., 2021). A dropped assignment passes its input through instead of being
    zeroed, weighted by its router weight, as the residual connection of a Switch
    Transformer block carries an overflowed token: the identity when input and output widths
    agree, else a learned linear map (``overflow``). Capacity applies in training mode only,
    so an action never depends on what else is in the batch.

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
        self.experts = ExpertMLPs(self.num_experts, in_dim, expert_widths, activation)
        self.out_dim = expert_widths[-1]
        self.capacity_factor = capacity_factor
        self.overflow: nn.Module | None = None
        if capacity_factor is not None:
            same_width = in_dim == self.out_dim
            self.overflow = nn.Identity() if same_width else nn.Linear(in_dim, self.out_dim)

    def forward(self, x: Tensor, router_input: Tensor | None = None) -> Tensor:
        """Mix the experts' outputs for a batch ``x`` of shape ``(B, in_dim)``.

        Args:
            x: Expert inputs.
            router_input: What the router sees instead of ``x`` (a router built for that
                width), e.g. the noise level and state of a noise-conditioned denoiser.
        """
        self._begin(x)
        routing = self.router(x if router_input is None else router_input)
        if routing.expert_index is None:
            mixed = torch.einsum("be,ebh->bh", routing.expert_weight, self.experts(x))
            return self._finish(mixed, routing)
        capacity = self.capacity_factor if self.training else None
        assignments = group_by_expert(
            routing.expert_index, routing.expert_weight, self.num_experts, capacity
        )
        inputs = x.index_select(0, assignments.samples)
        grouped = self.experts.grouped(inputs, assignments.counts)
        mixed = combine(grouped, assignments, len(x))
        if assignments.overflow_weight is not None and self.overflow is not None:
            mixed = mixed + assignments.overflow_weight.unsqueeze(1) * self.overflow(x)
        return self._finish(mixed, routing, assignments.routed)


class SoftMoELayer(RoutedLayer):
    """Soft MoE (Puigcerver et al., ICLR 2024), as used for deep RL by Obando-Ceron et al. 2024.

    A flat input has no token axis, so a learned linear map splits each sample into
    ``num_tokens`` tokens of width ``in_dim``. Every expert owns ``slots_per_expert`` slots;
    each slot is a softmax-over-tokens mix of the tokens (dispatch), each token's output a
    softmax-over-slots mix of the slot outputs (combine), and the sample's output is the mean
    over its tokens, or, with ``flatten_tokens``, the concatenation of its tokens' outputs
    (``out_dim = num_tokens * expert width``), as dopamine's ``labs/moes`` flattens the
    tokens before the head. Routing never crosses samples. For logging and aux losses the
    router distribution of a token is its combine mass per expert.

    With ``normalize`` the logits are ``scale * <l2_normalize(token), l2_normalize(slot)>``
    with a learned scalar ``scale`` initialised to 1 (Puigcerver et al., Sec. 2.3), which
    keeps the softmaxes from turning one-hot as the width grows; the slots still mix the
    unnormalised tokens.

    Args:
        in_dim: Input width (and token width).
        expert_widths: Layer widths of each expert MLP; the last is the expert output width.
        num_experts: ``E``.
        num_tokens: Tokens per sample.
        slots_per_expert: Slots per expert.
        activation: Activation class after every expert layer.
        aux: Auxiliary loss coefficients.
        flatten_tokens: Concatenate the tokens' outputs instead of averaging them.
        normalize: l2-normalise tokens and slot embeddings in the logits, with a learned scale.
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
        flatten_tokens: bool = False,
        normalize: bool = False,
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
        self.logit_scale = nn.Parameter(torch.ones(())) if normalize else None
        self.experts = ExpertMLPs(num_experts, in_dim, expert_widths, activation)
        self.flatten_tokens = flatten_tokens
        self.out_dim = expert_widths[-1] * (num_tokens if flatten_tokens else 1)

    def _logits(self, tokens: Tensor) -> Tensor:
        """Token-slot logits ``(B, tokens, slots)``, normalised if ``logit_scale`` is set."""
        if self.logit_scale is None:
            return tokens @ self.slot_embeddings.T
        slots = nn.functional.normalize(self.slot_embeddings, dim=-1) * self.logit_scale
        return nn.functional.normalize(tokens, dim=-1) @ slots.T

    def _dispatch(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(logits (B, tokens, E * S), expert inputs (E, B * S, in_dim))`` for ``x``."""
        batch, width = x.shape
        tokens = self.tokenizer(x).view(batch, self.num_tokens, width)
        logits = self._logits(tokens)
        dispatch_weights = torch.softmax(logits, dim=1)
        slots = dispatch_weights.transpose(1, 2) @ tokens  # (B, E * S, width), expert-major
        expert_slots = slots.view(batch, self.num_experts, self.slots_per_expert, width)
        return logits, expert_slots.transpose(0, 1).reshape(self.num_experts, -1, width)

    def expert_inputs(self, x: Tensor) -> Tensor:
        """The slots ``(E, B * S, in_dim)`` each expert runs on."""
        return self._dispatch(x)[1]

    def forward(self, x: Tensor) -> Tensor:
        """Mix the experts' slot outputs for a batch ``x`` of shape ``(B, in_dim)``."""
        self._begin(x)
        batch = x.shape[0]
        logits, expert_inputs = self._dispatch(x)
        combine_weights = torch.softmax(logits, dim=2)
        expert_out = self.experts.out_dim
        slot_outputs = (
            self.experts(expert_inputs)
            .view(self.num_experts, batch, self.slots_per_expert, expert_out)
            .transpose(0, 1)
            .reshape(batch, -1, expert_out)
        )
        token_outputs = combine_weights @ slot_outputs  # (B, tokens, expert_out)
        if self.flatten_tokens:
            output = token_outputs.reshape(batch, self.out_dim)
        else:
            output = token_outputs.mean(dim=1)
        per_expert = combine_weights.view(batch * self.num_tokens, self.num_experts, -1).sum(-1)
        flat_logits = logits.reshape(batch * self.num_tokens, -1)
        return self._finish(output, Routing(per_expert, [flat_logits], None, per_expert))


class MultiGateMoELayer(RoutedLayer):
    """Multi-gate MoE (MMoE, survey eq. 7): shared experts, one router per head.

    Each expert runs once on the whole batch and each head mixes the outputs with its own
    router's weights (zeros for experts a sparse router did not select). Every head carries
    (or, in ``"record"`` mode, adds to ``last_aux_loss``) its own router's aux losses.

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
        self.experts = ExpertMLPs(num_experts, in_dim, expert_widths, activation)
        self.out_dim = expert_widths[-1]

    def forward_heads(self, x: Tensor, heads: Sequence[int] | None = None) -> list[Tensor]:
        """Outputs ``(B, out_dim)`` of the given heads (all heads by default)."""
        self._begin(x)
        chosen = range(len(self.routers)) if heads is None else heads
        outputs = self.experts(x)
        results = []
        for head in chosen:
            routing: Routing = self.routers[head](x)
            mixed = torch.einsum("be,ebh->bh", routing.dense_weights(), outputs)
            results.append(self._finish(mixed, routing))
        return results

    def forward(self, x: Tensor) -> Tensor:
        """The first head's output (a multi-gate layer used as a plain layer)."""
        return self.forward_heads(x, heads=[0])[0]


@contextmanager
def scaled_aux(module: nn.Module, scale: float) -> Iterator[None]:
    """Scale the aux-loss weights of every MoE layer in ``module`` by ``scale`` for a while.

    A loss that calls the same layer ``n`` times (the ``n`` steps of a diffusion chain) runs
    them under ``scale = 1 / n`` so that it carries the configured weights once. Scales of
    nested uses multiply.
    """
    layers = [m for m in module.modules() if isinstance(m, RoutedLayer)]
    previous = [layer.aux_scale for layer in layers]
    for layer in layers:
        layer.aux_scale *= scale
    try:
        yield
    finally:
        for layer, value in zip(layers, previous, strict=True):
            layer.aux_scale = value

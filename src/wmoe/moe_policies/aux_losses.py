"""Auxiliary router losses and the autograd identity that hands them to the optimiser.

The losses follow the survey's gating section (Sec. II-B) and its sources:

- Switch load-balancing loss (Fedus et al., JMLR 2022, eq. 4):
  ``E * sum_i f_i P_i`` with ``f_i`` the fraction of routed assignments that go to expert
  ``i`` and ``P_i`` the mean router probability of expert ``i``. Its minimum, 1, is reached
  at uniform routing.
- Router z-loss (survey eq. 6; ST-MoE, Zoph et al. 2022):
  ``1/B sum_b (log sum_n exp z_bn)^2``, summed over the gate levels of a router.
- Balance regulariser of the channel-aware paper (eq. 9):
  ``|| 1/B sum_b G(x_b) - 1/K ||^2``.
- Router entropy: mean entropy [nat] of the per-sample router distribution. A positive
  coefficient sharpens routing, a negative one spreads it.

:func:`carry_router_losses` is an identity on a layer's output whose backward also adds the
gradient of the weighted auxiliary loss (in closed form) to the router's probabilities and
logits. Any loss computed from the output therefore back-propagates ``d(loss + aux)``, so
SB3's ``train()`` needs no change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor


@dataclass(frozen=True)
class AuxLossCoefficients:
    """Weights of the auxiliary router losses added to the training loss.

    Attributes:
        load_balancing: Switch load-balancing loss; 1e-2 as in Fedus et al. (2022).
        z_loss: Router z-loss (survey eq. 6); 1e-3 as in ST-MoE (Zoph et al., 2022).
        balance: Balance regulariser of the channel-aware paper (eq. 9).
        entropy: Router entropy (positive sharpens routing, negative spreads it).
    """

    load_balancing: float = 1e-2
    z_loss: float = 1e-3
    balance: float = 0.0
    entropy: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """The coefficients by loss name."""
        return asdict(self)

    def scaled(self, factor: float) -> AuxLossCoefficients:
        """Every coefficient times ``factor`` (``self`` when the factor is 1)."""
        if factor == 1.0:
            return self
        return AuxLossCoefficients(**{k: v * factor for k, v in self.as_dict().items()})


AUX_LOSS_NAMES: tuple[str, ...] = tuple(AuxLossCoefficients().as_dict())
_EPS = 1e-12  # floor of the probabilities inside the entropy's logarithm


def assignment_fractions(probs: Tensor, expert_index: Tensor | None, num_experts: int) -> Tensor:
    """Fraction of routed assignments per expert, shape ``(E,)``, summing to one.

    Args:
        probs: Router distribution ``(B, E)``.
        expert_index: Selected experts ``(B, k)``, or None for dense routing, where the
            fractions are the mean (detached) router weights.
        num_experts: ``E``.
    """
    if expert_index is None:
        return probs.detach().mean(dim=0)
    counts = torch.bincount(expert_index.reshape(-1), minlength=num_experts)
    return counts.to(probs.dtype) / expert_index.numel()


def load_balancing_loss(probs: Tensor, expert_index: Tensor | None) -> Tensor:
    """Switch load-balancing loss ``E * sum_i f_i P_i``; equals 1 at uniform routing."""
    return _switch_loss(probs, assignment_fractions(probs, expert_index, probs.shape[-1]))


def _switch_loss(probs: Tensor, fractions: Tensor) -> Tensor:
    return probs.shape[-1] * torch.dot(fractions, probs.mean(dim=0))


def router_z_loss(logits: Sequence[Tensor]) -> Tensor:
    """Router z-loss (survey eq. 6), summed over gate levels."""
    return torch.stack([torch.logsumexp(z, dim=-1).square().mean() for z in logits]).sum()


def balance_regulariser(probs: Tensor) -> Tensor:
    """Channel-aware paper eq. 9: squared distance of the mean gate output from uniform."""
    return torch.sum((probs.mean(dim=0) - 1.0 / probs.shape[-1]).square())


def router_entropy(probs: Tensor) -> Tensor:
    """Mean entropy [nat] of the per-sample router distribution."""
    return -(probs * torch.log(probs.clamp_min(_EPS))).sum(dim=-1).mean()


def aux_loss_terms(
    probs: Tensor, logits: Sequence[Tensor], fractions: Tensor, names: Iterable[str]
) -> dict[str, Tensor]:
    """The named auxiliary losses of one routing decision (unweighted).

    Args:
        probs: Router distribution ``(B, E)``.
        logits: Logits of every gate level.
        fractions: Assignment fractions per expert (:func:`assignment_fractions`).
        names: Which of :data:`AUX_LOSS_NAMES` to compute.
    """
    compute: dict[str, Callable[[], Tensor]] = {
        "load_balancing": lambda: _switch_loss(probs, fractions),
        "z_loss": lambda: router_z_loss(logits),
        "balance": lambda: balance_regulariser(probs),
        "entropy": lambda: router_entropy(probs),
    }
    return {name: compute[name]() for name in names}


def weighted_aux_loss(terms: dict[str, Tensor], coefficients: AuxLossCoefficients) -> Tensor:
    """``sum_name coefficient[name] * terms[name]`` over the non-zero coefficients."""
    weights = coefficients.as_dict()
    weighted = [weights[name] * value for name, value in terms.items() if weights[name] != 0.0]
    if not weighted:
        return torch.zeros((), device=next(iter(terms.values())).device if terms else "cpu")
    return torch.stack(weighted).sum()


class _CarryRouterLosses(torch.autograd.Function):
    """Identity on ``output`` whose backward adds the weighted aux losses' gradients.

    The gradients with respect to the router distribution and logits are the closed-form
    derivatives of the losses above, so the backward pass costs a handful of ``(B, E)``
    operations instead of replaying every loss through autograd.
    """

    @staticmethod
    def forward(  # noqa: D102
        ctx: Any,
        output: Tensor,
        coefficients: AuxLossCoefficients,
        fractions: Tensor,
        probs: Tensor,
        *logits: Tensor,
    ) -> Tensor:
        ctx.coefficients = coefficients
        ctx.save_for_backward(fractions, probs, *logits)
        return output.view_as(output)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor | None, ...]:  # noqa: D102
        fractions, probs, *logits = ctx.saved_tensors
        coefficients: AuxLossCoefficients = ctx.coefficients
        c = coefficients
        grad_probs = None
        if ctx.needs_input_grad[3] and (c.load_balancing or c.balance or c.entropy):
            grad_probs = _probs_gradient(probs, fractions, c)
        grad_logits = [
            _z_loss_gradient(z, c.z_loss) if needs and c.z_loss else None
            for z, needs in zip(logits, ctx.needs_input_grad[4:], strict=True)
        ]
        return grad_output, None, None, grad_probs, *grad_logits


def _probs_gradient(probs: Tensor, fractions: Tensor, c: AuxLossCoefficients) -> Tensor:
    """d(weighted load-balancing + balance + entropy losses) / d probs, shape ``(B, E)``."""
    batch, num_experts = probs.shape
    per_expert = torch.zeros_like(fractions)
    if c.load_balancing:
        per_expert += (c.load_balancing * num_experts / batch) * fractions
    if c.balance:
        per_expert += (2 * c.balance / batch) * (probs.mean(dim=0) - 1.0 / num_experts)
    if not c.entropy:
        return per_expert.expand(batch, num_experts)
    # d/dp of -p log(max(p, eps)) is -(log p + 1) above eps and -log(eps) below.
    clamped = probs.clamp_min(_EPS)
    entropy = torch.log(clamped).add_(probs > _EPS).mul_(-c.entropy / batch)
    return entropy.add_(per_expert)


def _z_loss_gradient(logits: Tensor, coefficient: float) -> Tensor:
    """d(coefficient * mean_b lse_b^2) / d logits = 2 c lse_b softmax(z_b) / B."""
    lse = torch.logsumexp(logits, dim=-1, keepdim=True)
    scale = lse.mul_(2 * coefficient / logits.shape[0])
    return torch.softmax(logits, dim=-1).mul_(scale)


def carry_router_losses(
    output: Tensor,
    coefficients: AuxLossCoefficients,
    fractions: Tensor,
    probs: Tensor,
    logits: Sequence[Tensor],
) -> Tensor:
    """Return ``output`` unchanged; any loss built from it also back-propagates the aux loss.

    The carried loss is ``weighted_aux_loss(aux_loss_terms(probs, logits, fractions, ...))``
    with ``coefficients``; ``fractions`` are treated as constants, as in the Switch loss.
    """
    result: Tensor = _CarryRouterLosses.apply(
        output, coefficients, fractions.detach(), probs, *logits
    )
    return result

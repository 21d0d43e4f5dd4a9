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
- Importance loss (Shazeer et al., ICLR 2017, Sec. 4): ``CV(Importance(X))^2`` with
  ``Importance(X) = sum_x G(x)``, the batch sum of the combine weights the layer uses.
- Load loss (Shazeer et al., Appendix A), for noisy top-k routing: ``CV(Load(X))^2`` with
  the smooth load ``Load(X)_i = sum_x P(x, i)`` and
  ``P(x, i) = Phi((clean_i(x) - kth_excluding(noisy(x), k, i)) / noise_std_i(x))``, the
  probability that expert ``i`` stays in the top ``k`` when only its own noise is redrawn.

``CV(v)^2`` is the squared coefficient of variation over experts, the population variance
over the squared mean plus ``1e-10``, as in the authors' code (tensor2tensor ``cv_squared``).

:func:`carry_router_losses` is an identity on a layer's output whose backward also adds the
gradient of the weighted auxiliary loss (in closed form) to the router's probabilities and
logits. Any loss computed from the output therefore back-propagates ``d(loss + aux)``, so
SB3's ``train()`` needs no change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor

from wmoe.moe_policies.routers import Routing


@dataclass(frozen=True)
class AuxLossCoefficients:
    """Weights of the auxiliary router losses added to the training loss.

    Attributes:
        load_balancing: Switch load-balancing loss; 1e-2 as in Fedus et al. (2022).
        z_loss: Router z-loss (survey eq. 6); 1e-3 as in ST-MoE (Zoph et al., 2022).
        balance: Balance regulariser of the channel-aware paper (eq. 9).
        entropy: Router entropy (positive sharpens routing, negative spreads it).
        importance: Importance loss of Shazeer et al. (2017); they use 0.1.
        load: Load loss of Shazeer et al. (2017), noisy top-k routers with
            ``top_k < num_experts`` only; they use 0.1.
    """

    load_balancing: float = 1e-2
    z_loss: float = 1e-3
    balance: float = 0.0
    entropy: float = 0.0
    importance: float = 0.0
    load: float = 0.0

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
_CV_EPS = 1e-10  # added to the squared mean in CV^2 (tensor2tensor's cv_squared)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


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


def cv_squared(values: Tensor) -> Tensor:
    """Squared coefficient of variation of ``values`` ``(E,)``: ``var / (mean^2 + 1e-10)``."""
    mean = values.mean()
    return (values - mean).square().mean() / (mean.square() + _CV_EPS)


def importance_loss(gates: Tensor) -> Tensor:
    """Shazeer et al.'s importance loss ``CV(sum_x G(x))^2`` of the combine weights ``(B, E)``."""
    return cv_squared(gates.sum(dim=0))


def load_threshold_position(noisy_logits: Tensor, k: int) -> Tensor:
    """Index of ``kth_excluding(noisy(x), k, i)`` for every sample and expert, ``(B, E)``.

    Leaving expert ``i`` out, the ``k``-th largest noisy logit is the ``(k+1)``-th largest
    overall when ``i`` is among the top ``k``, else the ``k``-th largest (Shazeer et al.,
    Appendix A).
    """
    top_index = noisy_logits.topk(k + 1, dim=-1).indices
    in_top_k = torch.zeros_like(noisy_logits, dtype=torch.bool).scatter_(1, top_index[:, :k], True)
    return torch.where(in_top_k, top_index[:, k : k + 1], top_index[:, k - 1 : k])


def load_z_scores(
    clean_logits: Tensor, noise_std: Tensor, noisy_logits: Tensor, k: int
) -> tuple[Tensor, Tensor]:
    """``(z, position)``: ``P(x, i) = Phi(z)`` and the index of the threshold logit, ``(B, E)``.

    ``z = (clean_i(x) - kth_excluding(noisy(x), k, i)) / noise_std_i(x)``.
    """
    position = load_threshold_position(noisy_logits.detach(), k)
    threshold = noisy_logits.gather(1, position)
    return (clean_logits - threshold) / noise_std, position


def noisy_top_k_load(routing: Routing) -> Tensor:
    """Shazeer et al.'s smooth load estimator ``Load(X)_i = sum_x P(x, i)``, shape ``(E,)``.

    Raises:
        ValueError: If ``routing`` is not noisy top-k routing with ``k < E`` in training mode.
    """
    clean, std, k = _noisy_gate(routing)
    z, _ = load_z_scores(clean, std, routing.logits[0], k)
    return torch.special.ndtr(z).sum(dim=0)


def load_loss(routing: Routing) -> Tensor:
    """Shazeer et al.'s load loss ``CV(Load(X))^2`` (:func:`noisy_top_k_load`)."""
    return cv_squared(noisy_top_k_load(routing))


def _noisy_gate(routing: Routing) -> tuple[Tensor, Tensor, int]:
    """``(clean_logits, noise_std, k)`` of noisy top-k routing, or a ValueError."""
    if routing.clean_logits is None or routing.noise_std is None:
        raise ValueError(
            "the load loss needs the noisy logits of a noisy_top_k router in training mode; "
            "use router kind 'noisy_top_k' or set aux.load to 0"
        )
    if routing.expert_index is None:
        raise ValueError("the load loss needs top_k < num_experts; lower top_k or set load 0")
    return routing.clean_logits, routing.noise_std, routing.expert_index.shape[1]


def available_aux_losses(routing: Routing) -> tuple[str, ...]:
    """The names of :data:`AUX_LOSS_NAMES` that ``routing`` can compute.

    The load loss needs noisy top-k logits with ``k < E``; every other loss always applies.
    """
    if routing.is_noisy and routing.expert_index is not None:
        return AUX_LOSS_NAMES
    return tuple(name for name in AUX_LOSS_NAMES if name != "load")


def aux_loss_terms(routing: Routing, fractions: Tensor, names: Iterable[str]) -> dict[str, Tensor]:
    """The named auxiliary losses of one routing decision (unweighted).

    Args:
        routing: The router's output.
        fractions: Assignment fractions per expert (:func:`assignment_fractions`).
        names: Which of :data:`AUX_LOSS_NAMES` to compute.
    """
    probs = routing.probs
    compute: dict[str, Callable[[], Tensor]] = {
        "load_balancing": lambda: _switch_loss(probs, fractions),
        "z_loss": lambda: router_z_loss(routing.logits),
        "balance": lambda: balance_regulariser(probs),
        "entropy": lambda: router_entropy(probs),
        "importance": lambda: importance_loss(routing.dense_weights()),
        "load": lambda: load_loss(routing),
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

    The gradients with respect to the router distribution, the combine weights, the logits
    and (for the load loss) the clean logits and noise std are the closed-form derivatives
    of the losses above, so the backward pass costs a handful of ``(B, E)`` operations
    instead of replaying every loss through autograd. Inputs a loss does not need are None.
    """

    @staticmethod
    def forward(  # noqa: D102
        ctx: Any,
        output: Tensor,
        coefficients: AuxLossCoefficients,
        k: int,
        fractions: Tensor,
        probs: Tensor,
        gates: Tensor | None,
        clean_logits: Tensor | None,
        noise_std: Tensor | None,
        *logits: Tensor,
    ) -> Tensor:
        ctx.coefficients = coefficients
        ctx.k = k
        ctx.save_for_backward(fractions, probs, gates, clean_logits, noise_std, *logits)
        return output.view_as(output)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor | None, ...]:  # noqa: D102
        fractions, probs, gates, clean, noise_std, *logits = ctx.saved_tensors
        c: AuxLossCoefficients = ctx.coefficients
        needs = ctx.needs_input_grad
        grad_probs = grad_gates = grad_clean = grad_std = None
        if needs[4] and (c.load_balancing or c.balance or c.entropy):
            grad_probs = _probs_gradient(probs, fractions, c)
        if gates is not None and needs[5]:
            importance = gates.sum(dim=0)
            grad_gates = _cv_squared_gradient(importance, c.importance).expand_as(gates)
        grad_logits: list[Tensor | None] = [
            _z_loss_gradient(z, c.z_loss) if needs_z and c.z_loss else None
            for z, needs_z in zip(logits, needs[8:], strict=True)
        ]
        if clean is not None and noise_std is not None:
            grad_clean, grad_std, grad_noisy = _load_gradients(
                clean, noise_std, logits[0], ctx.k, c.load
            )
            first = grad_logits[0]
            grad_logits[0] = grad_noisy if first is None else first.add_(grad_noisy)
        return (
            grad_output,
            None,
            None,
            None,
            grad_probs,
            grad_gates,
            grad_clean,
            grad_std,
            *grad_logits,
        )


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


def _cv_squared_gradient(values: Tensor, coefficient: float) -> Tensor:
    """d(coefficient * CV(v)^2) / dv for ``v`` ``(E,)``.

    With ``m`` the mean, ``s = m^2 + eps`` and ``var`` the population variance:
    ``2 c / E * ((v - m) / s - var m / s^2)``.
    """
    mean = values.mean()
    centred = values - mean
    denominator = mean.square() + _CV_EPS
    variance = centred.square().mean()
    scale = 2 * coefficient / values.shape[0]
    return (centred / denominator - variance * mean / denominator.square()).mul_(scale)


def _load_gradients(
    clean_logits: Tensor, noise_std: Tensor, noisy_logits: Tensor, k: int, coefficient: float
) -> tuple[Tensor, Tensor, Tensor]:
    """d(coefficient * load loss) / d(clean logits, noise std, noisy logits), each ``(B, E)``.

    With ``g_i = d(c CV(Load)^2) / d Load_i`` and ``phi`` the normal density,
    ``dP/dclean = phi(z) / std``, ``dP/dstd = -phi(z) z / std`` and ``dP/dthreshold =
    -phi(z) / std``; the threshold's gradient lands on the noisy logit it was read from.
    """
    z, position = load_z_scores(clean_logits, noise_std, noisy_logits, k)
    per_expert = _cv_squared_gradient(torch.special.ndtr(z).sum(dim=0), coefficient)
    grad_clean = torch.exp(-0.5 * z.square()).mul_(_INV_SQRT_2PI).div_(noise_std).mul_(per_expert)
    grad_std = -grad_clean * z
    grad_noisy = torch.zeros_like(noisy_logits).scatter_add_(1, position, -grad_clean)
    return grad_clean, grad_std, grad_noisy


def carry_router_losses(
    output: Tensor, coefficients: AuxLossCoefficients, fractions: Tensor, routing: Routing
) -> Tensor:
    """Return ``output`` unchanged; any loss built from it also back-propagates the aux loss.

    The carried loss is ``weighted_aux_loss(aux_loss_terms(routing, fractions, ...))`` with
    ``coefficients``; ``fractions`` are treated as constants, as in the Switch loss.

    Raises:
        ValueError: If the load loss is weighted but ``routing`` is not noisy top-k routing.
    """
    gates = routing.dense_weights() if coefficients.importance else None
    clean, noise_std, k = _noisy_gate(routing) if coefficients.load else (None, None, 0)
    result: Tensor = _CarryRouterLosses.apply(
        output,
        coefficients,
        k,
        fractions.detach(),
        routing.probs,
        gates,
        clean,
        noise_std,
        *routing.logits,
    )
    return result

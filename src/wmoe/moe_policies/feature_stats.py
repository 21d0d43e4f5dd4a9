"""Per-expert dormant-neuron and feature-rank statistics of an MoE layer.

- tau-dormant neurons (Sokar et al., "The Dormant Neuron Phenomenon in Deep Reinforcement
  Learning", ICML 2023, Def. 3.1): neuron ``i`` of a layer with ``H`` neurons has the score
  ``s_i = E_x |h_i(x)| / (1/H sum_k E_x |h_k(x)|)`` over a batch, and is dormant if
  ``s_i <= tau``. ``tau = 0`` counts dead neurons, ``tau = 0.1`` the paper's setting. An
  expert's dormant fraction is over the neurons of all its layers, each layer normalised
  by its own mean.
- Effective rank (Kumar et al., "Implicit Under-Parameterization Inhibits Data-Efficient
  Deep Reinforcement Learning", ICLR 2021, eq. 1): for features ``Phi`` ``(N, d)`` with
  singular values ``sigma_1 >= sigma_2 >= ...``,
  ``srank_delta(Phi) = min {k : sum_{i<=k} sigma_i / sum_i sigma_i >= 1 - delta}``,
  ``delta = 0.01``; computed on each expert's last hidden features.

Every expert runs on the whole batch that reached the layer (for soft MoE: on every slot
it is dispatched), whichever samples its router would have sent it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

DORMANT_TAUS: tuple[float, ...] = (0.0, 0.1)
"""The dormancy thresholds logged: dead neurons and Sokar et al.'s ``tau = 0.1``."""
SRANK_DELTA = 0.01
"""Kumar et al.'s ``delta``."""
_SCORE_EPS = 1e-9  # added to a layer's mean score, as in Sokar et al.'s code


def dormant_fraction(activations: Sequence[Tensor], tau: float) -> Tensor:
    """Fraction of tau-dormant neurons of each expert, shape ``(E,)``.

    Args:
        activations: Per layer, every expert's activations ``(E, N, width)`` on a batch.
        tau: Dormancy threshold on the normalised score.
    """
    dormant = torch.zeros(activations[0].shape[0], device=activations[0].device)
    neurons = 0
    for hidden in activations:
        score = hidden.abs().mean(dim=1)  # (E, width)
        normalised = score / (score.mean(dim=1, keepdim=True) + _SCORE_EPS)
        dormant += (normalised <= tau).sum(dim=1)
        neurons += hidden.shape[-1]
    return dormant / neurons


def effective_rank(features: Tensor, delta: float = SRANK_DELTA) -> Tensor:
    """``srank_delta`` of each expert's features ``(E, N, d)``, shape ``(E,)`` (0 if all zero)."""
    singular = torch.linalg.svdvals(features.double())  # (E, min(N, d)), descending
    total = singular.sum(dim=-1, keepdim=True)
    reached = singular.cumsum(dim=-1) >= (1.0 - delta) * total
    srank = reached.to(torch.int64).argmax(dim=-1) + 1
    return torch.where(total.squeeze(-1) > 0, srank, torch.zeros_like(srank))


def expert_feature_stats(activations: Sequence[Tensor]) -> dict[str, float]:
    """Logged statistics of every expert from its layers' activations ``(E, N, width)``.

    Returns:
        ``dormant_tau<tau>_<e>`` for each of :data:`DORMANT_TAUS` and ``srank_<e>`` (of the
        last layer's activations).
    """
    stats: dict[str, float] = {}
    for tau in DORMANT_TAUS:
        fractions = dormant_fraction(activations, tau)
        stats.update({f"dormant_tau{tau:g}_{e}": float(v) for e, v in enumerate(fractions)})
    ranks = effective_rank(activations[-1])
    stats.update({f"srank_{e}": float(v) for e, v in enumerate(ranks)})
    return stats

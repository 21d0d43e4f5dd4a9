"""Single-expert inference of a trained system over perfect, analog and digital links.

Each test sample gets ``K`` independent links (SNR in dB from the stage-2 distribution, a
Rayleigh gain each). A gate picks one expert by argmax, the feature goes over that expert's
link, and the expert's output is the prediction (paper eq. 2-3). Reported accuracies (the
paper's Table II columns, plus two reference points):

- ``perfect``: naive gate, perfect links (the base accuracy);
- ``naive``: naive gate ``G(z)``, links as drawn;
- ``channel_aware``: channel-aware gate ``G_AW(z, sigma~)``, links as drawn;
- ``best_link``: the expert with the best link, whatever the feature;
- ``oracle``: correct if any expert is correct on what its link delivered.

For digital links the gate sees the same ``sigma~`` (the analog-equivalent distortion of the
link's SNR and gain), while the expert receives the feature after quantisation, source and
channel coding, 16-QAM over the fading link and decoding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from wmoe.classification.links import (
    DrawnLinks,
    LinkStatistics,
    analog_received,
    digital_received,
    draw_links,
    standard_noise,
)
from wmoe.classification.model import DistributedMoEClassifier
from wmoe.classification.training import single_expert_accuracy

# (features (B, d), SNRs [dB] (B, K), |h| (B, K), rng) -> received features (B, K, d)
DigitalLink = Callable[
    [NDArray[np.float32], NDArray[np.float64], NDArray[np.float64], np.random.Generator],
    NDArray[np.float32],
]


@dataclass(frozen=True)
class LinkAccuracies:
    """Single-expert accuracies [0, 1] of one system over one kind of link."""

    link: str
    perfect: float
    naive: float
    channel_aware: float
    best_link: float
    oracle: float


def _link_shape(model: DistributedMoEClassifier, z: Tensor) -> tuple[int, int]:
    return len(z), model.spec.num_experts


@torch.no_grad()
def evaluate_links(
    model: DistributedMoEClassifier,
    z: Tensor,
    labels: Tensor,
    drawn: DrawnLinks,
    received: Tensor,
    link: str,
) -> LinkAccuracies:
    """Accuracies of every gate for features ``z`` whose links delivered ``received``.

    Args:
        model: The trained system.
        z: Test features ``(B, d)``.
        labels: True classes ``(B,)``.
        drawn: The links.
        received: What each expert's link delivered ``(B, K, d)``.
        link: Name of the link kind for the report.
    """
    model.eval()
    naive_choice = model.naive_choice(z)
    aware_choice = model.channel_aware_choice(z, drawn.sigma)
    best_link = drawn.sigma.argmin(dim=-1)
    correct = model.expert_logits(received).argmax(dim=-1) == labels.unsqueeze(1)
    return LinkAccuracies(
        link=link,
        perfect=single_expert_accuracy(model, z, labels, naive_choice),
        naive=single_expert_accuracy(model, received, labels, naive_choice),
        channel_aware=single_expert_accuracy(model, received, labels, aware_choice),
        best_link=single_expert_accuracy(model, received, labels, best_link),
        oracle=float(correct.any(dim=1).float().mean()),
    )


def evaluate_analog(
    model: DistributedMoEClassifier,
    z: Tensor,
    labels: Tensor,
    links: LinkStatistics,
    seed: int,
) -> LinkAccuracies:
    """Accuracies over analog links (eq. 6) drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    drawn = draw_links(_link_shape(model, z), links, model.feature_power, rng)
    noise = standard_noise(drawn.sigma, z.shape[1], torch.Generator().manual_seed(seed))
    received = analog_received(z, drawn.sigma, noise)
    return evaluate_links(model, z, labels, drawn, received, "analog")


def evaluate_digital(
    model: DistributedMoEClassifier,
    z: Tensor,
    labels: Tensor,
    links: LinkStatistics,
    seed: int,
) -> LinkAccuracies:
    """Accuracies over digital links drawn with ``seed`` (the same draws as the analog ones)."""
    rng = np.random.default_rng(seed)
    drawn = draw_links(_link_shape(model, z), links, model.feature_power, rng)
    received = digital_received(z, drawn, model.quantizer_range, model.level_counts.numpy(), rng)
    return evaluate_links(model, z, labels, drawn, received, "digital")

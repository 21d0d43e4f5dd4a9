"""The distributed MoE classifier of the channel-aware gating paper (Sec. II-III).

A server runs a backbone ``F: x -> z`` and a gate; ``K`` experts ``Q_k`` live on edge devices.
Training mixes every expert's logits with the gate's weights (eq. 4); inference sends ``z``
to the single expert the gate ranks first (eq. 2-3). The naive gate ``G(z)`` sees only the
feature; the channel-aware gate ``G_AW(z, sigma~)`` (eq. 7) also sees each link's distortion
level ``sigma~_k``, the standard deviation of the noise the link adds to ``z`` (eq. 6).

Sizes follow the paper's Table I: gate ``d -> hidden -> K`` and experts ``d -> hidden ->
classes`` (LeNet-5: gate 120-64-K, experts 120-84-10; ResNet-18: gate 512-256-K, experts
512-10; ViT: gate 384-256-K, experts 384-1536-384). The ViT's experts end at 384 in the
table; here each also carries its own ``384 -> classes`` output layer, so every expert
returns logits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from wmoe.classification.backbones import Backbone, make_backbone
from wmoe.moe_policies.experts import ExpertMLPs
from wmoe.phy.quantization import quantize

QUANTIZER_BITS = 8  # bits per feature entry on a digital link (paper eq. 10)


@dataclass(frozen=True)
class GateAndExperts:
    """Hidden widths of the gate and of each expert for one backbone (paper Table I)."""

    gate_hidden: int
    expert_hidden: tuple[int, ...]


TABLE_I: dict[str, GateAndExperts] = {
    "lenet5": GateAndExperts(gate_hidden=64, expert_hidden=(84,)),
    "resnet18": GateAndExperts(gate_hidden=256, expert_hidden=()),
    "vit": GateAndExperts(gate_hidden=256, expert_hidden=(1536, 384)),
}


@dataclass(frozen=True)
class MoEClassifierSpec:
    """Everything that fixes the architecture of a :class:`DistributedMoEClassifier`.

    Attributes:
        backbone: ``lenet5``, ``resnet18`` or ``vit``.
        num_experts: ``K`` (the paper uses 4 to 12).
        num_classes: Output classes.
        in_channels: Image channels.
        image_size: Image side [pixels].
        backbone_kwargs: Extra arguments of the backbone (e.g. a ResNet ``width``).
    """

    backbone: str = "lenet5"
    num_experts: int = 8
    num_classes: int = 10
    in_channels: int = 1
    image_size: int = 28
    backbone_kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.backbone not in TABLE_I:
            raise ValueError(
                f"unknown backbone {self.backbone!r}; valid: {', '.join(sorted(TABLE_I))}"
            )
        if not 2 <= self.num_experts <= 64:
            raise ValueError(f"num_experts must be in [2, 64], got {self.num_experts}")
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {self.num_classes}")


def _gate(in_dim: int, hidden: int, num_experts: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, num_experts))


def distortion_features(sigma: Tensor, feature_rms: Tensor) -> Tensor:
    """Gate input for the links' distortion levels: ``log(1 + sigma~ / rms(z))``.

    Zero for a perfect link, growing like the effective noise-to-signal ratio in dB for a
    poor one, so the input stays in a range an MLP handles whatever the SNR spread.
    """
    return torch.log1p(sigma / feature_rms)


class DistributedMoEClassifier(nn.Module):
    """Backbone, naive gate, channel-aware gate and ``K`` expert classifiers.

    Args:
        spec: The architecture.

    Attributes:
        feature_rms: Root-mean-square feature entry over the training set; it scales the
            links' noise and the channel-aware gate's inputs.
        feature_range: Smallest and largest training feature entry, the range of the digital
            link's 8-bit quantiser (eq. 10).
        level_counts: Histogram of the quantised training features, which the digital link's
            Huffman code is built for.

        All three are set from the training features after stage 1
        (:meth:`set_feature_statistics`).
    """

    feature_rms: Tensor
    feature_range: Tensor
    level_counts: Tensor

    def __init__(self, spec: MoEClassifierSpec) -> None:
        super().__init__()
        self.spec = spec
        sizes = TABLE_I[spec.backbone]
        self.backbone: Backbone = make_backbone(
            spec.backbone, spec.in_channels, spec.image_size, **spec.backbone_kwargs
        )
        d = self.backbone.feature_dim
        self.gate = _gate(d, sizes.gate_hidden, spec.num_experts)
        self.channel_gate = _gate(d + spec.num_experts, sizes.gate_hidden, spec.num_experts)
        self.experts = ExpertMLPs(
            spec.num_experts,
            d,
            (*sizes.expert_hidden, spec.num_classes),
            nn.ReLU,
            final_activation=False,
        )
        self.register_buffer("feature_rms", torch.ones(()))
        self.register_buffer("feature_range", torch.tensor([-1.0, 1.0]))
        self.register_buffer("level_counts", torch.ones(2**QUANTIZER_BITS, dtype=torch.int64))

    @torch.no_grad()
    def set_feature_statistics(self, z: Tensor) -> None:
        """Record the power, range and quantised histogram of the training features ``z``."""
        self.feature_rms.fill_(float(z.square().mean().sqrt()))
        low, high = float(z.min()), float(z.max())
        self.feature_range.copy_(torch.tensor([low, high]))
        levels = quantize(z.numpy(), low, high, QUANTIZER_BITS)
        counts = np.bincount(levels.ravel(), minlength=2**QUANTIZER_BITS)
        self.level_counts.copy_(torch.as_tensor(counts))

    @property
    def feature_power(self) -> float:
        """Mean-square feature entry ``E[z_i^2]``."""
        return float(self.feature_rms) ** 2

    @property
    def quantizer_range(self) -> tuple[float, float]:
        """``(z_min, z_max)`` of the digital link's quantiser."""
        low, high = self.feature_range.tolist()
        return float(low), float(high)

    @property
    def feature_dim(self) -> int:
        """Width of ``z``."""
        return self.backbone.feature_dim

    def features(self, images: Tensor) -> Tensor:
        """``z = F(x)`` for images ``(B, C, H, W)``."""
        z: Tensor = self.backbone(images)
        return z

    def gate_probs(self, z: Tensor) -> Tensor:
        """Naive gate ``G(z)``, ``(B, K)``."""
        return torch.softmax(self.gate(z), dim=-1)

    def channel_gate_probs(self, z: Tensor, sigma: Tensor) -> Tensor:
        """Channel-aware gate ``G_AW(z, sigma~)`` for distortion levels ``sigma`` ``(B, K)``."""
        inputs = torch.cat([z, distortion_features(sigma, self.feature_rms)], dim=-1)
        return torch.softmax(self.channel_gate(inputs), dim=-1)

    @torch.no_grad()
    def naive_choice(self, z: Tensor) -> Tensor:
        """The expert the naive gate sends each feature to (single-expert inference), ``(B,)``."""
        return self.gate_probs(z).argmax(dim=-1)

    @torch.no_grad()
    def channel_aware_choice(self, z: Tensor, sigma: Tensor) -> Tensor:
        """The expert the channel-aware gate picks given the links' ``sigma~``, ``(B,)``."""
        return self.channel_gate_probs(z, sigma).argmax(dim=-1)

    def expert_logits(self, z: Tensor) -> Tensor:
        """Every expert's logits ``(B, K, classes)``.

        Args:
            z: Features ``(B, d)``, or what each expert received ``(B, K, d)``.
        """
        inputs = z if z.dim() == 2 else z.transpose(0, 1)
        return self.experts(inputs).transpose(0, 1)

    def mixture_log_probs(self, expert_logits: Tensor, weights: Tensor) -> Tensor:
        """Log of ``sum_k G_k softmax(Q_k)`` (eq. 4), ``(B, classes)``.

        Args:
            expert_logits: ``(B, K, classes)``.
            weights: Gate weights ``(B, K)``.

        Mixing class probabilities rather than logits makes every expert a classifier on its
        own (the mixture's likelihood rewards the expert the gate trusts for being right,
        Jacobs et al., 1991), which is what single-expert inference needs.
        """
        log_weights = torch.log(weights.clamp_min(1e-12)).unsqueeze(-1)
        return torch.logsumexp(log_weights + torch.log_softmax(expert_logits, dim=-1), dim=1)

    def forward(self, images: Tensor) -> Tensor:
        """Stage-1 training output: the naive-gate mixture over perfect links (log-probs)."""
        z = self.features(images)
        return self.mixture_log_probs(self.expert_logits(z), self.gate_probs(z))

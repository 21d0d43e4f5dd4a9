"""Two-stage training of the channel-aware MoE (paper Algorithm 1).

Stage 1 trains backbone, naive gate and experts on perfect links with the loss of eq. 4, the
cross-entropy of the gate-weighted mixture of expert logits, plus ``lambda * R_bal`` (eq. 9)
against gate collapse. Stage 2 freezes backbone and experts and trains the channel-aware
gate on simulated analog links (eq. 7): every sample and expert gets its own Rayleigh link
with an SNR drawn from ``N(30 dB, (50 dB)^2)``, the expert sees ``z + sigma~_k n`` and the
gate sees ``z`` and every ``sigma~_k``. Both stages keep the weights that score best on the
validation split with single-expert inference (the gate's argmax), the way the system is used.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from wmoe.classification.datasets import DatasetSplit, ImageDataset
from wmoe.classification.links import (
    LinkStatistics,
    analog_received,
    draw_links,
    standard_noise,
)
from wmoe.classification.model import DistributedMoEClassifier
from wmoe.moe_policies.aux_losses import balance_regulariser


@dataclass(frozen=True)
class TrainingConfig:
    """Settings of both training stages.

    Attributes:
        stage1_epochs: Epochs of stage 1 (backbone, gate, experts; perfect links).
        stage2_epochs: Epochs of stage 2 (channel-aware gate; simulated links).
        batch_size: Minibatch size.
        learning_rate: Adam step size of both stages.
        balance_weight: ``lambda`` of the balance regulariser (eq. 9).
        links: SNR distribution of the simulated links of stage 2.
        seed: Seed of initialisation, shuffling and link draws.
    """

    stage1_epochs: int = 10
    stage2_epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 1e-3
    balance_weight: float = 1.0
    links: LinkStatistics = field(default_factory=LinkStatistics)
    seed: int = 0


@dataclass
class StageHistory:
    """Per-epoch training loss and validation accuracy of one stage."""

    train_loss: list[float] = field(default_factory=list)
    validation_accuracy: list[float] = field(default_factory=list)

    @property
    def best_accuracy(self) -> float:
        """The best validation accuracy (the weights kept)."""
        return max(self.validation_accuracy)


def _tensors(data: ImageDataset) -> tuple[Tensor, Tensor]:
    return torch.as_tensor(data.images), torch.as_tensor(data.labels)


def _minibatches(size: int, batch_size: int, generator: torch.Generator) -> Iterator[Tensor]:
    order = torch.randperm(size, generator=generator)
    yield from order.split(batch_size)


@torch.no_grad()
def compute_features(
    model: DistributedMoEClassifier, images: Tensor, batch_size: int = 512
) -> Tensor:
    """Backbone features ``z`` of ``images`` in evaluation mode."""
    model.eval()
    return torch.cat([model.features(chunk) for chunk in images.split(batch_size)])


def _mixture_loss(log_probs: Tensor, labels: Tensor, weights: Tensor, balance: float) -> Tensor:
    return nn.functional.nll_loss(log_probs, labels) + balance * balance_regulariser(weights)


def _run_stage(
    parameters: list[nn.Parameter],
    batches: Callable[[torch.Generator], Iterator[Tensor]],
    loss_of: Callable[[Tensor, torch.Generator], Tensor],
    validate: Callable[[], float],
    model: DistributedMoEClassifier,
    epochs: int,
    config: TrainingConfig,
    generator: torch.Generator,
) -> StageHistory:
    """Adam over ``parameters`` for ``epochs``; keep the weights with the best validation."""
    optimizer = torch.optim.Adam(parameters, lr=config.learning_rate)
    history = StageHistory()
    best_state = copy.deepcopy(model.state_dict())
    for _ in range(epochs):
        total, count = 0.0, 0
        for batch in batches(generator):
            loss = loss_of(batch, generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(batch)
            count += len(batch)
        history.train_loss.append(total / count)
        history.validation_accuracy.append(validate())
        if history.validation_accuracy[-1] >= history.best_accuracy:
            best_state = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    return history


@torch.no_grad()
def single_expert_accuracy(
    model: DistributedMoEClassifier, z: Tensor, labels: Tensor, chosen: Tensor
) -> float:
    """Accuracy when each sample's received feature goes to its ``chosen`` expert only.

    Args:
        model: The trained system.
        z: Features ``(B, d)`` (perfect links) or received features per expert ``(B, K, d)``.
        labels: True classes ``(B,)``.
        chosen: The expert of each sample ``(B,)``.
    """
    rows = torch.arange(len(chosen))
    received = z if z.dim() == 2 else z[rows, chosen]
    logits = model.expert_logits(received)[rows, chosen]
    return float((logits.argmax(dim=-1) == labels).float().mean())


def train_stage1(
    model: DistributedMoEClassifier, split: DatasetSplit, config: TrainingConfig
) -> StageHistory:
    """Stage 1: backbone, naive gate and experts on perfect links (eq. 4 + eq. 9)."""
    images, labels = _tensors(split.train)
    val_images, val_labels = _tensors(split.validation)
    parameters = [p for name, p in model.named_parameters() if not name.startswith("channel_gate.")]

    def loss_of(batch: Tensor, _: torch.Generator) -> Tensor:
        model.train()
        z = model.features(images[batch])
        weights = model.gate_probs(z)
        log_probs = model.mixture_log_probs(model.expert_logits(z), weights)
        return _mixture_loss(log_probs, labels[batch], weights, config.balance_weight)

    def validate() -> float:
        z = compute_features(model, val_images)
        chosen = model.naive_choice(z)
        return single_expert_accuracy(model, z, val_labels, chosen)

    generator = torch.Generator().manual_seed(config.seed)
    history = _run_stage(
        parameters,
        lambda g: _minibatches(len(labels), config.batch_size, g),
        loss_of,
        validate,
        model,
        config.stage1_epochs,
        config,
        generator,
    )
    model.set_feature_statistics(compute_features(model, images))
    return history


def train_stage2(
    model: DistributedMoEClassifier, split: DatasetSplit, config: TrainingConfig
) -> StageHistory:
    """Stage 2: the channel-aware gate on simulated links, all else frozen (eq. 7 + eq. 9)."""
    train_z = compute_features(model, torch.as_tensor(split.train.images))
    labels = torch.as_tensor(split.train.labels)
    val_z = compute_features(model, torch.as_tensor(split.validation.images))
    val_labels = torch.as_tensor(split.validation.labels)
    rng = np.random.default_rng(config.seed)
    num_experts = model.spec.num_experts
    power = model.feature_power
    val_sigma = draw_links((len(val_z), num_experts), config.links, power, rng).sigma
    val_noise = standard_noise(
        val_sigma, val_z.shape[1], torch.Generator().manual_seed(config.seed)
    )
    val_received = analog_received(val_z, val_sigma, val_noise)

    def loss_of(batch: Tensor, generator: torch.Generator) -> Tensor:
        model.channel_gate.train()
        z = train_z[batch]
        sigma = draw_links((len(batch), num_experts), config.links, power, rng).sigma
        weights = model.channel_gate_probs(z, sigma)
        with torch.no_grad():
            noise = standard_noise(sigma, z.shape[1], generator)
            expert_logits = model.expert_logits(analog_received(z, sigma, noise))
        log_probs = model.mixture_log_probs(expert_logits, weights)
        return _mixture_loss(log_probs, labels[batch], weights, config.balance_weight)

    def validate() -> float:
        chosen = model.channel_aware_choice(val_z, val_sigma)
        return single_expert_accuracy(model, val_received, val_labels, chosen)

    generator = torch.Generator().manual_seed(config.seed + 1)
    return _run_stage(
        list(model.channel_gate.parameters()),
        lambda g: _minibatches(len(labels), config.batch_size, g),
        loss_of,
        validate,
        model,
        config.stage2_epochs,
        config,
        generator,
    )

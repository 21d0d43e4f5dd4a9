"""Reproduce the channel-aware gating paper's Table II on the data available here.

For each backbone: train (or load from the cache) the two-stage system with ``K`` experts,
compute the test features once, and evaluate single-expert inference over analog and digital
links drawn with the same seed (the same SNRs and gains for both kinds). The table lists
the paper's three columns (perfect links, naive gate, channel-aware gate) and two reference
points (the best-link expert and the oracle).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from wmoe.classification.evaluation import LinkAccuracies, evaluate_analog, evaluate_digital
from wmoe.classification.links import LinkStatistics
from wmoe.classification.system import SystemConfig, trained_system
from wmoe.classification.training import TrainingConfig, compute_features

# Channel widths reduced to fit a CPU budget; the feature stays 512-d (see backbones).
DEFAULT_BACKBONE_KWARGS: dict[str, dict[str, Any]] = {
    "lenet5": {},
    "resnet18": {"width": 0.25},
    "vit": {"depth": 2, "num_heads": 4},
}


@dataclass(frozen=True)
class Table2Row:
    """One backbone over one link kind."""

    backbone: str
    accuracies: LinkAccuracies
    train_seconds: float


@dataclass(frozen=True)
class Table2Settings:
    """What a reproduction run trains and evaluates.

    Attributes:
        dataset: Dataset name (see :func:`wmoe.classification.datasets.load_dataset`).
        backbones: Backbones, one system each.
        num_experts: ``K``.
        training: Settings of both training stages.
        links: SNR distribution of the evaluated links.
        eval_seed: Seed of the evaluated links and noise.
        data_root: Dataset folder (None: the dataset's default).
        backbone_kwargs: Per-backbone arguments (default :data:`DEFAULT_BACKBONE_KWARGS`).
    """

    dataset: str = "fashion-mnist"
    backbones: tuple[str, ...] = ("lenet5", "resnet18")
    num_experts: int = 8
    training: TrainingConfig = field(default_factory=TrainingConfig)
    links: LinkStatistics = field(default_factory=LinkStatistics)
    eval_seed: int = 0
    data_root: str | None = None
    backbone_kwargs: dict[str, dict[str, Any]] = field(
        default_factory=lambda: dict(DEFAULT_BACKBONE_KWARGS)
    )


def reproduce_table2(
    settings: Table2Settings, progress: Callable[[str], None] = print
) -> list[Table2Row]:
    """Train or load each backbone's system and evaluate it over analog and digital links."""
    rows = []
    for backbone in settings.backbones:
        config = SystemConfig(
            dataset=settings.dataset,
            backbone=backbone,
            num_experts=settings.num_experts,
            data_root=settings.data_root,
            backbone_kwargs=settings.backbone_kwargs.get(backbone, {}),
            training=settings.training,
        )
        progress(f"{backbone}: training or loading the system ...")
        start = time.perf_counter()
        system = trained_system(config)
        seconds = time.perf_counter() - start
        progress(
            f"{backbone}: ready in {seconds:.0f} s (stage 1 best validation "
            f"{system.stage1.best_accuracy:.3f}, stage 2 {system.stage2.best_accuracy:.3f})"
        )
        z = compute_features(system.model, torch.as_tensor(system.split.test.images))
        labels = torch.as_tensor(system.split.test.labels)
        for evaluate in (evaluate_analog, evaluate_digital):
            result = evaluate(system.model, z, labels, settings.links, settings.eval_seed)
            rows.append(Table2Row(backbone, result, seconds))
            progress(f"{backbone}: {result.link} done")
    return rows


def format_table2(rows: Sequence[Table2Row], settings: Table2Settings) -> str:
    """A Markdown table in the layout of the paper's Table II (accuracies in %)."""
    lines = [
        "| link | backbone | dataset | perfect | naive gate | channel-aware gate "
        "| best link | oracle |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in sorted(rows, key=lambda r: (r.accuracies.link, r.backbone)):
        a = row.accuracies
        lines.append(
            f"| {a.link} | {row.backbone} | {settings.dataset} | {100 * a.perfect:.1f} "
            f"| {100 * a.naive:.1f} | {100 * a.channel_aware:.1f} | {100 * a.best_link:.1f} "
            f"| {100 * a.oracle:.1f} |"
        )
    return "\n".join(lines)

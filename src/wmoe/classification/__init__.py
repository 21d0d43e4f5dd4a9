"""The supervised channel-aware MoE system: image datasets, their split and the backbones.

Datasets and backbones of "Mixture-of-Experts for Distributed Edge Computing with
Channel-Aware Gating Function" (Table I): LeNet-5 (120-d feature), ResNet-18 (512-d) and a
small ViT (384-d) on ``digits``, Fashion-MNIST, CIFAR-10 and CIFAR-100, split 75 / 8.3 / 16.7 %.
"""

from __future__ import annotations

from wmoe.classification.backbones import (
    BACKBONES,
    Backbone,
    LeNet5,
    ResNet18,
    VisionTransformer,
    make_backbone,
)
from wmoe.classification.datasets import (
    DATASET_LOADERS,
    PAPER_SPLIT_FRACTIONS,
    ROOT_CONFIG_KEY,
    DatasetNotFoundError,
    DatasetSplit,
    ImageDataset,
    load_cifar10,
    load_cifar100,
    load_dataset,
    load_digits,
    load_fashion_mnist,
    split_dataset,
)

__all__ = [
    "BACKBONES",
    "DATASET_LOADERS",
    "PAPER_SPLIT_FRACTIONS",
    "ROOT_CONFIG_KEY",
    "Backbone",
    "DatasetNotFoundError",
    "DatasetSplit",
    "ImageDataset",
    "LeNet5",
    "ResNet18",
    "VisionTransformer",
    "load_cifar10",
    "load_cifar100",
    "load_dataset",
    "load_digits",
    "load_fashion_mnist",
    "make_backbone",
    "split_dataset",
]

"""Backbones: feature shapes for every dataset's images, bad input, and a short training run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from wmoe.classification.backbones import ResNet18, VisionTransformer, make_backbone
from wmoe.classification.datasets import load_dataset, split_dataset

# (in_channels, image_size) of digits, Fashion-MNIST and CIFAR.
INPUTS = [(1, 8), (1, 28), (3, 32)]
# Small settings keep the shape checks fast; the feature widths stay the paper's.
BACKBONES: list[tuple[str, dict[str, Any], int]] = [
    ("lenet5", {}, 120),
    ("resnet18", {"width": 0.125}, 512),
    ("vit", {"depth": 1, "num_heads": 2}, 384),
]


@pytest.mark.parametrize(("in_channels", "image_size"), INPUTS, ids=["8x8", "28x28", "32x32"])
@pytest.mark.parametrize(("name", "kwargs", "feature_dim"), BACKBONES, ids=lambda v: str(v))
def test_feature_shape(
    name: str, kwargs: dict[str, Any], feature_dim: int, in_channels: int, image_size: int
) -> None:
    torch.manual_seed(0)
    backbone = make_backbone(name, in_channels, image_size, **kwargs)
    assert backbone.feature_dim == feature_dim
    features = backbone(torch.rand(3, in_channels, image_size, image_size))
    assert features.shape == (3, feature_dim)
    assert torch.isfinite(features).all()


def test_full_width_resnet_has_no_projection() -> None:
    full = ResNet18(in_channels=3, image_size=32)
    narrow = ResNet18(in_channels=3, image_size=32, width=0.25)
    assert not any(isinstance(module, nn.Linear) for module in full.modules())
    assert isinstance(narrow.layers[-1], nn.Linear) and narrow.layers[-1].in_features == 128
    # The CIFAR ResNet-18 (11,173,962 parameters) less its 512-10 classifier.
    assert sum(p.numel() for p in full.parameters()) == 11_168_832


def test_vit_defaults_and_patches() -> None:
    assert VisionTransformer(image_size=28).patch_size == 4
    assert VisionTransformer(in_channels=1, image_size=8, depth=1).patch_size == 2
    vit = VisionTransformer(1, 28, patch_size=7, embed_dim=64, depth=1, num_heads=4)
    assert vit.feature_dim == 64
    assert vit(torch.rand(2, 1, 28, 28)).shape == (2, 64)


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="unknown backbone 'vgg'.*lenet5, resnet18, vit"):
        make_backbone("vgg", 3, 32)
    with pytest.raises(ValueError, match="patch_size must be a positive divisor of image_size 28"):
        make_backbone("vit", 1, 28, patch_size=5)
    with pytest.raises(ValueError, match="num_heads must be a positive divisor"):
        make_backbone("vit", 1, 28, num_heads=5)
    with pytest.raises(ValueError, match="width must be positive"):
        make_backbone("resnet18", 1, 28, width=0.0)
    with pytest.raises(ValueError, match="in_channels must be a positive integer"):
        make_backbone("lenet5", 0, 28)


def test_wrong_image_shape_raises() -> None:
    backbone = make_backbone("lenet5", 1, 28)
    with pytest.raises(ValueError, match=r"LeNet5 takes images of shape \(B, 1, 28, 28\)"):
        backbone(torch.rand(2, 3, 32, 32))


def test_lenet5_learns_digits() -> None:
    split = split_dataset(load_dataset("digits"), seed=0)
    torch.manual_seed(0)
    model = nn.Sequential(make_backbone("lenet5", 1, 8), nn.Linear(120, 10))
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    images, labels = torch.from_numpy(split.train.images), torch.from_numpy(split.train.labels)
    generator = torch.Generator().manual_seed(0)
    for _ in range(8):
        for batch in torch.randperm(len(images), generator=generator).split(64):
            loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        predicted = model(torch.from_numpy(split.test.images)).argmax(dim=1).numpy()
    assert np.mean(predicted == split.test.labels) > 0.8

"""Backbones ``F: x -> z`` of the channel-aware gating paper (Table I), in plain torch.

The server of the paper's edge MoE runs a backbone that maps an image to a feature ``z``,
which the gate reads and the chosen expert receives over a wireless link. Table I pairs
LeNet-5 (``z`` of 120 dimensions) and ResNet-18 (512) with CIFAR-10, and a ViT (384) with
CIFAR-100. Each backbone here takes images of any of the datasets in
:mod:`wmoe.classification.datasets` (8x8 ``digits``, 28x28 Fashion-MNIST, 32x32 CIFAR), with
their channel count, and returns ``(B, feature_dim)`` features; the classifier (the paper's
experts) is not part of it.

Size and speed, measured on this project's 2-core CPU machine (torch 2.13 CPU build, one
thread, eval mode under ``torch.no_grad()``, a batch of 256 grey 28x28 images; the median of 7
forward passes, range over 3 runs on a shared, noisy machine):

========================================  ==========  ===========
backbone                                  parameters  forward [s]
========================================  ==========  ===========
``lenet5``                                    50,692  0.014-0.020
``resnet18`` (``width=1``)                11,167,680  2.3-3.3
``resnet18`` (``width=0.25``)                765,936  0.25-0.33
``vit`` (defaults: depth 6, 6 heads)      10,673,664  3.1-4.5
``vit`` (``depth=2, num_heads=4``)         3,575,808  0.9-1.3
========================================  ==========  ===========

With 3 colour channels (CIFAR) ResNet-18 has 11,168,832 parameters, the CIFAR ResNet-18's
11,173,962 less its 512-10 classifier.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F


class Backbone(nn.Module):
    """Base of the backbones: records the input it takes and the feature it returns.

    Args:
        in_channels: Image channels ``C`` (1 grey, 3 colour).
        image_size: Height = width of the (square) images [pixels].
        feature_dim: Width of the feature ``z`` the backbone returns.

    Raises:
        ValueError: If a size is not a positive integer.
    """

    def __init__(self, in_channels: int, image_size: int, feature_dim: int) -> None:
        super().__init__()
        for arg, value in (
            ("in_channels", in_channels),
            ("image_size", image_size),
            ("feature_dim", feature_dim),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{arg} must be a positive integer, got {value!r}")
        self.in_channels = in_channels
        self.image_size = image_size
        self.feature_dim = feature_dim

    def check_input(self, images: Tensor) -> None:
        """Raise ``ValueError`` unless ``images`` is ``(B, C, H, W)`` as the backbone expects."""
        expected = (self.in_channels, self.image_size, self.image_size)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(
                f"{type(self).__name__} takes images of shape (B, {', '.join(map(str, expected))})"
                f", got {tuple(images.shape)}"
            )


class LeNet5(Backbone):
    """LeNet-5 (LeCun et al., 1998) up to its 120-unit layer, with ReLU and max pooling.

    ``conv 5x5 (6) - max pool 2 - conv 5x5 (16) - max pool 2 - linear 120``, each conv and the
    linear layer followed by ReLU; the 120-unit activation is the feature, and the paper's
    experts (120-84-10) play the original's last two layers. Images smaller than 32x32 are
    zero-padded (centred) to 32x32, as LeNet-5 padded 28x28 MNIST digits, so the layers are
    the original's for every dataset here.

    Args:
        in_channels: Image channels.
        image_size: Image height = width [pixels].
    """

    def __init__(self, in_channels: int = 3, image_size: int = 32) -> None:
        super().__init__(in_channels, image_size, feature_dim=120)
        padding = max(0, 32 - image_size)
        side = (max(32, image_size) - 4) // 2
        side = (side - 4) // 2
        self.layers = nn.Sequential(
            nn.ZeroPad2d((padding // 2, padding - padding // 2) * 2),
            nn.Conv2d(in_channels, 6, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * side * side, self.feature_dim),
            nn.ReLU(),
        )

    def forward(self, images: Tensor) -> Tensor:
        """Map ``(B, C, H, W)`` images to ``(B, 120)`` features."""
        self.check_input(images)
        return self.layers(images)


class BasicBlock(nn.Module):
    """ResNet's basic block: two 3x3 conv-BN layers and an identity or 1x1 projection shortcut.

    Args:
        in_channels: Input channels.
        channels: Output channels.
        stride: Stride of the first conv and of the shortcut.
    """

    def __init__(self, in_channels: int, channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(channels),
            )

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block."""
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(Backbone):
    """ResNet-18 (He et al., 2016) with the CIFAR-style stem, up to its global average pool.

    A 3x3 stride-1 conv-BN-ReLU stem (no 7x7 conv, no max pool: the inputs are 8 to 32
    pixels wide), four stages of two :class:`BasicBlock` each with ``64, 128, 256, 512``
    channels times ``width`` and strides ``1, 2, 2, 2``, then a global average pool.

    With ``width=1`` the pooled 512 channels are the feature, as in the paper. A narrower
    network (``width < 1``, to fit a CPU budget) keeps ``feature_dim`` through a linear
    projection of the pooled channels (no activation), so the gate and experts of Table I
    (512-256-K, 512-10) stay the same; the projection is added only when the last stage's
    width differs from ``feature_dim``.

    Args:
        in_channels: Image channels.
        image_size: Image height = width [pixels].
        width: Multiplier of every stage's channels (each rounded, at least 1).
        feature_dim: Width of the feature.

    Raises:
        ValueError: If ``width`` is not positive.
    """

    def __init__(
        self, in_channels: int = 3, image_size: int = 32, width: float = 1.0, feature_dim: int = 512
    ) -> None:
        super().__init__(in_channels, image_size, feature_dim)
        if not width > 0:
            raise ValueError(f"width must be positive, got {width!r}")
        stages = [max(1, round(64 * width * factor)) for factor in (1, 2, 4, 8)]
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, stages[0], 3, padding=1, bias=False),
            nn.BatchNorm2d(stages[0]),
            nn.ReLU(),
        ]
        previous = stages[0]
        for index, channels in enumerate(stages):
            stride = 1 if index == 0 else 2
            layers += [BasicBlock(previous, channels, stride), BasicBlock(channels, channels, 1)]
            previous = channels
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        if previous != feature_dim:
            layers.append(nn.Linear(previous, feature_dim))
        self.layers = nn.Sequential(*layers)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, images: Tensor) -> Tensor:
        """Map ``(B, C, H, W)`` images to ``(B, feature_dim)`` features."""
        self.check_input(images)
        return self.layers(images)


class SelfAttention(nn.Module):
    """Multi-head self-attention over a token sequence.

    Args:
        dim: Token width.
        num_heads: Heads; must divide ``dim``.
        dropout: Dropout on the attention weights and the output [probability].
    """

    def __init__(self, dim: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.dropout = dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Sequential(nn.Linear(dim, dim), nn.Dropout(dropout))

    def forward(self, tokens: Tensor) -> Tensor:
        """Attend ``(B, T, dim)`` tokens to each other."""
        batch, length, dim = tokens.shape
        qkv = self.qkv(tokens).reshape(batch, length, 3, self.num_heads, dim // self.num_heads)
        query, key, value = qkv.permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(
            query, key, value, dropout_p=self.dropout if self.training else 0.0
        )
        return self.out(attended.transpose(1, 2).reshape(batch, length, dim))


class TransformerBlock(nn.Module):
    """Pre-norm transformer encoder block: ``x + attn(LN(x))``, then ``x + MLP(LN(x))``.

    Args:
        dim: Token width.
        num_heads: Attention heads.
        mlp_ratio: MLP hidden width over ``dim``.
        dropout: Dropout probability.
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, dropout: float) -> None:
        super().__init__()
        hidden = round(dim * mlp_ratio)
        self.norm1 = nn.LayerNorm(dim)
        self.attention = SelfAttention(dim, num_heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, dim),
            nn.Dropout(dropout),
        )

    def forward(self, tokens: Tensor) -> Tensor:
        """Apply the block to ``(B, T, dim)`` tokens."""
        tokens = tokens + self.attention(self.norm1(tokens))
        return tokens + self.mlp(self.norm2(tokens))


class VisionTransformer(Backbone):
    """A small Vision Transformer (Dosovitskiy et al., 2021) whose feature is the CLS token.

    Non-overlapping ``patch_size`` patches are embedded linearly (a strided conv), a learned
    CLS token is prepended and learned position embeddings added; ``depth`` pre-norm
    :class:`TransformerBlock` s and a final LayerNorm follow, and the CLS token's output is the
    ``embed_dim``-wide feature (384 in the paper, ViT-S's width; the paper's experts
    384-1536-384 match the blocks' MLP with ``mlp_ratio=4``).

    Args:
        in_channels: Image channels.
        image_size: Image height = width [pixels]; ``patch_size`` must divide it.
        patch_size: Patch height = width [pixels]; default 4 for images of 16 pixels or more
            (49 patches at 28x28, 64 at 32x32), else 2 (16 patches at 8x8).
        embed_dim: Token width, which is the feature width.
        depth: Transformer blocks.
        num_heads: Attention heads; must divide ``embed_dim``.
        mlp_ratio: MLP hidden width over ``embed_dim``.
        dropout: Dropout probability in the blocks and after the position embedding.

    Raises:
        ValueError: If ``patch_size`` does not divide ``image_size`` or ``num_heads`` does not
            divide ``embed_dim``.
    """

    def __init__(
        self,
        in_channels: int = 3,
        image_size: int = 32,
        patch_size: int | None = None,
        embed_dim: int = 384,
        depth: int = 6,
        num_heads: int = 6,
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(in_channels, image_size, embed_dim)
        if patch_size is None:
            patch_size = 4 if image_size >= 16 else 2
        if patch_size < 1 or image_size % patch_size:
            raise ValueError(
                f"patch_size must be a positive divisor of image_size {image_size}, "
                f"got {patch_size}"
            )
        if num_heads < 1 or embed_dim % num_heads:
            raise ValueError(
                f"num_heads must be a positive divisor of embed_dim {embed_dim}, got {num_heads}"
            )
        self.patch_size = patch_size
        num_patches = (image_size // patch_size) ** 2
        self.patch_embedding = nn.Conv2d(in_channels, embed_dim, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.position_embedding = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.Sequential(
            *(TransformerBlock(embed_dim, num_heads, mlp_ratio, dropout) for _ in range(depth))
        )
        self.norm = nn.LayerNorm(embed_dim)
        nn.init.trunc_normal_(self.position_embedding, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        for module in self.blocks.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)

    def forward(self, images: Tensor) -> Tensor:
        """Map ``(B, C, H, W)`` images to ``(B, embed_dim)`` features."""
        self.check_input(images)
        patches = self.patch_embedding(images).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(images.shape[0], -1, -1)
        tokens = self.dropout(torch.cat([cls, patches], dim=1) + self.position_embedding)
        return self.norm(self.blocks(tokens))[:, 0]


BACKBONES: dict[str, type[Backbone]] = {
    "lenet5": LeNet5,
    "resnet18": ResNet18,
    "vit": VisionTransformer,
}


def make_backbone(name: str, in_channels: int, image_size: int, **kwargs: Any) -> Backbone:
    """Build a backbone by name.

    Args:
        name: One of ``lenet5``, ``resnet18``, ``vit``.
        in_channels: Image channels.
        image_size: Image height = width [pixels].
        **kwargs: Further arguments of the backbone's class (``width`` of :class:`ResNet18`;
            ``patch_size``, ``depth``, ``num_heads``, ... of :class:`VisionTransformer`).

    Raises:
        ValueError: If ``name`` is not a known backbone.
    """
    backbone = BACKBONES.get(name)
    if backbone is None:
        raise ValueError(
            f"unknown backbone {name!r}; valid names are: {', '.join(sorted(BACKBONES))}"
        )
    return backbone(in_channels=in_channels, image_size=image_size, **kwargs)

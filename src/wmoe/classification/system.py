"""A trained channel-aware MoE system, built on first use and cached on disk.

:func:`trained_system` loads the dataset, splits it (75 / 8.3 / 16.7 %, seeded), trains both
stages of Algorithm 1 and saves the weights under ``<data dir>/classification/``, keyed by a
hash of every setting that changes the result; later calls with the same settings load them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from wmoe.classification.datasets import DatasetSplit, load_dataset, split_dataset
from wmoe.classification.model import DistributedMoEClassifier, MoEClassifierSpec
from wmoe.classification.training import (
    StageHistory,
    TrainingConfig,
    compute_features,
    train_stage1,
    train_stage2,
)
from wmoe.paths import atomic_write, default_data_dir

# Bump when the saved state changes meaning (architecture, buffers, training procedure), so
# stale caches are retrained instead of loaded.
CACHE_FORMAT = 2

SPLITS = ("train", "validation", "test")  # the parts of a DatasetSplit, in order


@dataclass(frozen=True)
class SystemConfig:
    """What to train: data, architecture and training settings.

    Attributes:
        dataset: ``digits``, ``fashion-mnist``, ``cifar10`` or ``cifar100``.
        backbone: ``lenet5``, ``resnet18`` or ``vit``.
        num_experts: ``K``.
        data_root: Folder of the dataset files (None: the dataset's default location).
        split_seed: Seed of the train/validation/test split.
        backbone_kwargs: Extra backbone arguments (e.g. ``{"width": 0.25}``).
        training: Settings of both training stages.
    """

    dataset: str = "digits"
    backbone: str = "lenet5"
    num_experts: int = 8
    data_root: str | None = None
    split_seed: int = 0
    backbone_kwargs: dict[str, Any] = field(default_factory=dict)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def cache_key(self) -> str:
        """Hash of every setting that changes the trained weights (not the data folder)."""
        settings = asdict(self)
        settings.pop("data_root")
        settings["cache_format"] = CACHE_FORMAT
        text = json.dumps(settings, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class TrainedSystem:
    """A trained system with its data split and training curves."""

    config: SystemConfig
    model: DistributedMoEClassifier
    split: DatasetSplit
    stage1: StageHistory
    stage2: StageHistory


def _spec(config: SystemConfig, split: DatasetSplit) -> MoEClassifierSpec:
    images = split.train.images
    return MoEClassifierSpec(
        backbone=config.backbone,
        num_experts=config.num_experts,
        num_classes=len(split.train.class_names),
        in_channels=images.shape[1],
        image_size=images.shape[2],
        backbone_kwargs=dict(config.backbone_kwargs),
    )


def cache_path(config: SystemConfig, cache_dir: Path | None = None) -> Path:
    """Where the weights of ``config`` are (or will be) stored."""
    folder = (cache_dir or default_data_dir()) / "classification"
    name = f"{config.dataset}-{config.backbone}-K{config.num_experts}-{config.cache_key()}.pt"
    return folder / name


def trained_system(
    config: SystemConfig, cache_dir: Path | None = None, retrain: bool = False
) -> TrainedSystem:
    """Load the system trained with ``config`` from the cache, or train and cache it.

    Args:
        config: What to train.
        cache_dir: Data folder (default ``$WMOE_DATA_DIR`` or ``~/.cache/wmoe``).
        retrain: Train even if cached weights exist (and overwrite them).
    """
    split = split_dataset(load_dataset(config.dataset, config.data_root), config.split_seed)
    torch.manual_seed(config.training.seed)
    model = DistributedMoEClassifier(_spec(config, split))
    path = cache_path(config, cache_dir)
    if path.exists() and not retrain:
        saved = torch.load(path, weights_only=True)
        model.load_state_dict(saved["model"])
        stage1 = StageHistory(**saved["stage1"])
        stage2 = StageHistory(**saved["stage2"])
    else:
        stage1 = train_stage1(model, split, config.training)
        stage2 = train_stage2(model, split, config.training)
        saved = {"model": model.state_dict(), "stage1": asdict(stage1), "stage2": asdict(stage2)}
        atomic_write(path, lambda handle: torch.save(saved, handle))
    model.eval()
    return TrainedSystem(config, model, split, stage1, stage2)


def system_config(config: Mapping[str, Any]) -> SystemConfig:
    """The trained system an env config asks for.

    Args:
        config: An env config holding the keys of
            :class:`~wmoe.envs.channel_aware_classification.config.SystemSettings`
            (``cache_dir`` says where the system is cached, not what it is, so it is not
            read here).
    """
    return SystemConfig(
        dataset=config["dataset"],
        backbone=config["backbone"],
        num_experts=config["num_experts"],
        data_root=config["dataset_root"],
        split_seed=config["training_seed"],
        training=TrainingConfig(
            stage1_epochs=config["stage1_epochs"],
            stage2_epochs=config["stage2_epochs"],
            seed=config["training_seed"],
        ),
    )


# Split name -> (backbone features ``(N, d)``, labels ``(N,)``).
SplitFeatures = dict[str, tuple[torch.Tensor, torch.Tensor]]
_LOADED: dict[tuple[str, str | None, str | None], tuple[TrainedSystem, SplitFeatures]] = {}


def system_features(
    system: SystemConfig, cache_dir: str | None
) -> tuple[TrainedSystem, SplitFeatures]:
    """The trained system and its features per split, shared by every env in the process.

    The first call for a system trains it or loads it from the cache (:func:`trained_system`)
    and computes the backbone features of every split; later calls return the same objects.

    Args:
        system: What to train.
        cache_dir: Data folder of the cache (None: ``$WMOE_DATA_DIR`` or ``~/.cache/wmoe``).
    """
    key = (system.cache_key(), system.data_root, cache_dir)
    if key not in _LOADED:
        trained = trained_system(system, None if cache_dir is None else Path(cache_dir))
        pools = {}
        for name, data in zip(SPLITS, trained.split, strict=True):
            z = compute_features(trained.model, torch.as_tensor(data.images))
            pools[name] = (z, torch.as_tensor(data.labels))
        _LOADED[key] = (trained, pools)
    return _LOADED[key]

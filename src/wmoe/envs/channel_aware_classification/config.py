"""Config schemas of the channel-aware MoE envs: the trained system, and the bandit env.

``SystemSettings`` holds the keys that say which distributed MoE classifier an env uses and
which of its data splits the samples come from; ``wmoe/ExpertRouting-v0`` shares them, so
both envs share one cached system.
"""

from __future__ import annotations

from typing import Literal

from wmoe.config import ConfigSchema, Flag, Int, Number, Text, setting


class SystemSettings(ConfigSchema):
    """Which trained system an env uses (built on first use, then loaded from the cache)."""

    dataset: Literal["digits", "fashion-mnist", "cifar10", "cifar100"] = setting(
        "digits", "image data set of the classifier (CIFAR needs its files in dataset_root)"
    )
    dataset_root: Text | None = setting(
        None, "folder of the dataset files; null: the dataset's default location"
    )
    backbone: Literal["lenet5", "resnet18", "vit"] = setting(
        "lenet5", "feature extractor on the server"
    )
    num_experts: Int = setting(8, "K, experts on edge devices", unit="count", ge=2, le=64)
    stage1_epochs: Int = setting(
        20, "epochs of training stage 1 (experts and gate, perfect links)", ge=1, le=1000
    )
    stage2_epochs: Int = setting(
        10, "epochs of training stage 2 (channel-aware gate)", ge=1, le=1000
    )
    training_seed: Int = setting(0, "seed of the data split and of both training stages", ge=0)
    cache_dir: Text | None = setting(
        None, "data folder of the system cache; null: $WMOE_DATA_DIR or ~/.cache/wmoe"
    )
    split: Literal["train", "validation", "test"] = setting(
        "train", "data split the env draws its samples from"
    )


class ClassificationConfig(SystemSettings):
    """Config of ``wmoe/ChannelAwareClassification-v0``."""

    link: Literal["analog", "digital"] = setting(
        "analog",
        "'analog': eq. 6, z + sigma~ n; 'digital': 8-bit quantiser, Huffman code, rate-1/2 "
        "convolutional code, 16-QAM (~35 ms per env step on one core, in the Viterbi decoder)",
    )
    snr_mean_db: Number = setting(
        30.0, "mean of the per-link SNR, drawn per expert and step", unit="dB", ge=-50.0, le=100.0
    )
    snr_std_db: Number = setting(
        50.0, "standard deviation of the per-link SNR", unit="dB", ge=0.0, le=100.0
    )
    action_type: Literal["discrete", "continuous"] = setting(
        "discrete", "'discrete': the expert index; 'continuous': K gate scores in [-1, 1], argmax"
    )
    reward: Literal["accuracy", "log_likelihood"] = setting(
        "accuracy",
        "'accuracy': 1 if the chosen expert is right; 'log_likelihood': the log-probability "
        "the chosen expert gives the true class",
    )
    observe_snr_db: Flag = setting(
        False, "append each link's instantaneous SNR to the observation [dB / 50]"
    )
    episode_length: Int = setting(32, "steps before truncation", unit="steps", ge=1, le=1_000_000)

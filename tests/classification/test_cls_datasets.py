"""Dataset loaders (digits, Fashion-MNIST IDX files, CIFAR pickles), their errors and the split."""

from __future__ import annotations

import gzip
import os
import pickle
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from wmoe.classification.datasets import (
    ROOT_CONFIG_KEY,
    DatasetNotFoundError,
    ImageDataset,
    load_cifar10,
    load_cifar100,
    load_dataset,
    load_fashion_mnist,
    split_dataset,
)

IDX_STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "t10k": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(path.with_name(path.name + ".gz"), "wb") as stream:
            stream.write(payload)
    else:
        path.write_bytes(payload)


def _write_fashion_folder(folder: Path, compress: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    parts = {}
    for part, count in (("train", 5), ("t10k", 3)):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=count, dtype=np.uint8)
        images_stem, labels_stem = IDX_STEMS[part]
        _write_idx(folder / images_stem, images, compress)
        _write_idx(folder / labels_stem, labels, compress)
        parts[f"{part}_images"], parts[f"{part}_labels"] = images, labels
    return parts


def _pickle(path: Path, content: dict[bytes, object]) -> None:
    with path.open("wb") as stream:
        pickle.dump(content, stream, protocol=2)


def _cifar_batch(rng: np.random.Generator, count: int, label_key: bytes, classes: int) -> dict:
    return {
        b"batch_label": b"tiny batch",
        label_key: rng.integers(0, classes, size=count).tolist(),
        b"data": rng.integers(0, 256, size=(count, 3072), dtype=np.uint8),
        b"filenames": [f"image_{i}.png".encode() for i in range(count)],
    }


def test_digits_shapes_and_labels() -> None:
    data = load_dataset("digits")
    assert data.name == "digits"
    assert data.images.shape == (1797, 1, 8, 8) and data.images.dtype == np.float32
    assert data.images.min() == 0.0 and data.images.max() == 1.0
    assert data.labels.dtype == np.int64 and set(np.unique(data.labels)) == set(range(10))
    assert data.class_names == tuple(str(d) for d in range(10))
    assert (data.in_channels, data.image_size, data.num_classes) == (1, 8, 10)


def test_fashion_mnist_from_installed_package() -> None:
    data = load_dataset("fashion-mnist")
    assert data.images.shape == (70_000, 1, 28, 28) and data.images.dtype == np.float32
    assert 0.0 <= data.images.min() and data.images.max() == 1.0
    assert np.array_equal(np.bincount(data.labels), np.full(10, 7_000))
    assert data.class_names[0] == "T-shirt/top" and data.class_names[9] == "Ankle boot"


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_fashion_mnist_from_idx_folder(tmp_path: Path, compress: bool) -> None:
    parts = _write_fashion_folder(tmp_path, compress)
    data = load_fashion_mnist(tmp_path)
    expected_images = np.concatenate([parts["train_images"], parts["t10k_images"]])
    expected_labels = np.concatenate([parts["train_labels"], parts["t10k_labels"]])
    assert data.images.shape == (8, 1, 28, 28)
    np.testing.assert_allclose(data.images[:, 0], expected_images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(data.labels, expected_labels)


def test_fashion_mnist_in_standard_subfolder(tmp_path: Path) -> None:
    (tmp_path / "fashion-mnist").mkdir()
    _write_fashion_folder(tmp_path / "fashion-mnist", compress=True)
    assert load_dataset("fashion-mnist", tmp_path).images.shape == (8, 1, 28, 28)


def test_fashion_mnist_rejects_a_truncated_idx_file(tmp_path: Path) -> None:
    _write_fashion_folder(tmp_path, compress=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="header promises shape"):
        load_fashion_mnist(tmp_path)


def test_cifar10_from_pickled_batches(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(1)
    names = ["airplane", "automobile", "bird", "cat", "deer"]
    names += ["dog", "frog", "horse", "ship", "truck"]
    batches = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    written = {name: _cifar_batch(rng, 2, b"labels", 10) for name in batches}
    for name, batch in written.items():
        _pickle(folder / name, batch)
    _pickle(folder / "batches.meta", {b"label_names": [n.encode() for n in names]})
    data = load_cifar10(tmp_path)
    assert data.name == "cifar10" and data.class_names == tuple(names)
    assert data.images.shape == (12, 3, 32, 32) and data.images.dtype == np.float32
    raw = np.concatenate([written[name][b"data"] for name in batches])
    channel, row, column = 2, 5, 7
    np.testing.assert_allclose(
        data.images[:, channel, row, column], raw[:, channel * 1024 + row * 32 + column] / 255.0
    )
    labels = [label for name in batches for label in written[name][b"labels"]]
    np.testing.assert_array_equal(data.labels, labels)
    assert load_dataset("cifar10", folder).images.shape == (12, 3, 32, 32)


def test_cifar100_fine_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    written = {part: _cifar_batch(rng, 3, b"fine_labels", 100) for part in ("train", "test")}
    for part, batch in written.items():
        batch[b"coarse_labels"] = rng.integers(0, 20, size=3).tolist()
        _pickle(tmp_path / part, batch)
    fine_names = [f"class_{i}".encode() for i in range(100)]
    coarse_names = [f"super_{i}".encode() for i in range(20)]
    _pickle(
        tmp_path / "meta", {b"fine_label_names": fine_names, b"coarse_label_names": coarse_names}
    )
    data = load_cifar100(tmp_path)
    assert data.name == "cifar100" and data.num_classes == 100
    assert data.images.shape == (6, 3, 32, 32)
    expected = written["train"][b"fine_labels"] + written["test"][b"fine_labels"]
    np.testing.assert_array_equal(data.labels, expected)


def test_missing_fashion_mnist_names_folders_and_remedies(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match=re.escape(str(tmp_path))) as raised:
        load_dataset("fashion-mnist", tmp_path)
    message = str(raised.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert str(tmp_path / "fashion-mnist") in message
    assert ROOT_CONFIG_KEY in message and "root=" in message
    assert isinstance(raised.value, FileNotFoundError)


def test_partial_fashion_mnist_folder_is_missing(tmp_path: Path) -> None:
    _write_fashion_folder(tmp_path, compress=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_fashion_mnist(tmp_path)


@pytest.mark.parametrize(
    ("name", "subfolder", "url"),
    [
        ("cifar10", "cifar-10-batches-py", "cifar-10-python.tar.gz"),
        ("cifar100", "cifar-100-python", "cifar-100-python.tar.gz"),
    ],
)
def test_missing_cifar_names_folders_and_remedies(name: str, subfolder: str, url: str) -> None:
    default_root = Path(os.environ["WMOE_DATA_DIR"]) / "datasets"
    with pytest.raises(DatasetNotFoundError, match=re.escape(str(default_root / subfolder))) as e:
        load_dataset(name)
    assert url in str(e.value) and ROOT_CONFIG_KEY in str(e.value)


def test_unknown_dataset_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'mnist'.*cifar10, cifar100, digits"):
        load_dataset("mnist")


def _indexed_dataset(n: int) -> ImageDataset:
    images = np.arange(n, dtype=np.float32).reshape(n, 1, 1, 1)
    return ImageDataset(images, np.arange(n, dtype=np.int64) % 3, ("a", "b", "c"), "indexed")


@pytest.mark.parametrize("n", [1797, 60_000])
def test_split_fractions_disjoint_and_covering(n: int) -> None:
    parts = split_dataset(_indexed_dataset(n), seed=0)
    sizes = [len(part) for part in parts]
    assert sum(sizes) == n
    np.testing.assert_allclose(np.array(sizes) / n, (0.75, 0.083, 0.167), atol=1 / n)
    ids = np.concatenate([part.images.ravel() for part in parts]).astype(np.int64)
    assert np.array_equal(np.sort(ids), np.arange(n))
    for part in parts:
        np.testing.assert_array_equal(part.labels, part.images.ravel().astype(np.int64) % 3)


def test_split_is_deterministic_per_seed() -> None:
    data = _indexed_dataset(500)
    first, again, other = (split_dataset(data, seed) for seed in (3, 3, 4))
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(first.test.images, other.test.images)


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0.8, 0.1, 0.2), (1.1, -0.05, -0.05)])
def test_split_rejects_bad_fractions(fractions: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="summing to 1"):
        split_dataset(_indexed_dataset(10), seed=0, fractions=fractions)


def test_image_dataset_rejects_bad_arrays() -> None:
    images = np.zeros((4, 1, 8, 8), dtype=np.float32)
    with pytest.raises(ValueError, match="float32"):
        ImageDataset(images.astype(np.float64), np.zeros(4, dtype=np.int64), ("a",), "bad")
    with pytest.raises(ValueError, match="labels must lie in"):
        ImageDataset(images, np.array([0, 1, 2, 5]), ("a", "b"), "bad")

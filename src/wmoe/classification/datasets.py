"""Image-classification datasets of the channel-aware gating paper, in memory, and its split.

The paper evaluates its MoE on CIFAR-10 (LeNet-5, ResNet-18 backbones) and CIFAR-100 (ViT),
split 75 / 8.3 / 16.7 % into training / validation / test data (Sec. IV). CIFAR cannot be
downloaded on every machine, so two more datasets are offered: scikit-learn's bundled 8x8
``digits`` (no download at all) and Fashion-MNIST from Debian's ``dataset-fashion-mnist``
package (``apt-get install dataset-fashion-mnist``, which ``make test``/``make demo`` run).

Every loader returns the dataset's published training and test parts pooled into one
:class:`ImageDataset` (``digits``: 1,797 images; Fashion-MNIST: 70,000; CIFAR: 60,000), which
:func:`split_dataset` splits as the paper does. Images are float32 scaled to [0, 1] (pixel
value over its maximum: 255, or 16 for ``digits``), **not** standardised: per-channel
standardisation is left to the model or the training code, which should compute it on the
training part only.

Data folders. ``load_dataset(name, root)`` looks for a dataset's files in ``root`` and in
``root/<standard sub-folder>`` (``fashion-mnist``, ``cifar-10-batches-py``,
``cifar-100-python``). Without ``root`` it looks in :data:`FASHION_MNIST_DIR` for Fashion-MNIST
and in ``$WMOE_DATA_DIR/datasets`` (default ``~/.cache/wmoe/datasets``) for CIFAR. Configs that
set the folder use the key :data:`ROOT_CONFIG_KEY`. CIFAR is read from the python version of
the dataset (pickled batches): load only files you trust, as unpickling can run code.
"""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from wmoe.paths import default_data_dir

ROOT_CONFIG_KEY = "dataset_root"
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR100_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
PAPER_SPLIT_FRACTIONS = (0.75, 0.083, 0.167)

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_IDX_UBYTE = 0x08


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are missing from every folder where the loader looked."""


@dataclass(frozen=True)
class ImageDataset:
    """An image-classification dataset held in memory.

    Attributes:
        images: (N, C, H, W) float32 pixel values scaled to [0, 1] (not standardised).
        labels: (N,) int64 class indices in ``[0, num_classes)``.
        class_names: Name of each class, indexed by label.
        name: Dataset name, as :func:`load_dataset` spells it.
    """

    images: NDArray[np.float32]
    labels: NDArray[np.int64]
    class_names: tuple[str, ...]
    name: str

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.images.dtype != np.float32:
            raise ValueError(
                f"{self.name}: images must be a float32 (N, C, H, W) array, got "
                f"{self.images.dtype} of shape {self.images.shape}"
            )
        if self.labels.shape != (self.images.shape[0],) or self.labels.dtype != np.int64:
            raise ValueError(
                f"{self.name}: labels must be an int64 array of shape ({self.images.shape[0]},), "
                f"got {self.labels.dtype} of shape {self.labels.shape}"
            )
        if self.labels.size and (self.labels.min() < 0 or self.labels.max() >= self.num_classes):
            raise ValueError(
                f"{self.name}: labels must lie in [0, {self.num_classes}), got "
                f"[{self.labels.min()}, {self.labels.max()}]"
            )

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def in_channels(self) -> int:
        """Image channels ``C``."""
        return int(self.images.shape[1])

    @property
    def image_size(self) -> int:
        """Image height ``H`` (every dataset here has square images)."""
        return int(self.images.shape[2])

    def subset(self, indices: NDArray[np.integer[Any]]) -> ImageDataset:
        """Return the samples at ``indices`` (copied), with the same classes and name."""
        return ImageDataset(self.images[indices], self.labels[indices], self.class_names, self.name)


class DatasetSplit(NamedTuple):
    """Training, validation and test parts of a dataset."""

    train: ImageDataset
    validation: ImageDataset
    test: ImageDataset


def split_dataset(
    data: ImageDataset, seed: int, fractions: Sequence[float] = PAPER_SPLIT_FRACTIONS
) -> DatasetSplit:
    """Split a dataset at random into training, validation and test parts.

    The samples are shuffled by ``np.random.default_rng(seed)``; the validation and test parts
    take ``round(fraction * N)`` samples each and training takes the rest, so the parts are
    disjoint, cover every sample, and the same seed gives the same parts.

    Args:
        data: The pooled dataset.
        seed: Seed of the shuffle.
        fractions: (train, validation, test) fractions, each in [0, 1], summing to 1 (to
            within 1e-6); the paper's 75 / 8.3 / 16.7 % by default.

    Returns:
        The three parts.

    Raises:
        ValueError: If ``fractions`` is not three non-negative numbers summing to 1.
    """
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(
            f"fractions must be three non-negative (train, validation, test) fractions summing "
            f"to 1, got {tuple(fractions)}"
        )
    n = len(data)
    order = np.random.default_rng(seed).permutation(n)
    n_validation = round(fractions[1] * n)
    n_test = round(fractions[2] * n)
    n_train = n - n_validation - n_test
    return DatasetSplit(
        train=data.subset(order[:n_train]),
        validation=data.subset(order[n_train : n_train + n_validation]),
        test=data.subset(order[n_train + n_validation :]),
    )


def load_digits() -> ImageDataset:
    """scikit-learn's bundled handwritten digits: 1,797 grey 8x8 images of 0-9 (no download)."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = (np.asarray(bunch.images, dtype=np.float32) / 16.0)[:, None]
    labels = np.asarray(bunch.target, dtype=np.int64)
    return ImageDataset(images, labels, tuple(str(c) for c in bunch.target_names), "digits")


def _candidate_folders(root: Path | str | None, default: Path, subfolder: str) -> list[Path]:
    base = default if root is None else Path(root).expanduser()
    return [base, base / subfolder]


def _not_found(
    dataset: str, folders: Sequence[Path], files: Sequence[str], how_to_get: str
) -> DatasetNotFoundError:
    looked = ", ".join(str(folder) for folder in folders)
    return DatasetNotFoundError(
        f"{dataset} not found: none of {looked} holds all of {', '.join(files)}. {how_to_get} "
        f"Point wmoe at the folder with root=<folder> (load_dataset) or the config key "
        f"{ROOT_CONFIG_KEY!r}."
    )


def _read_idx(path: Path, ndim: int) -> NDArray[np.uint8]:
    """Read an IDX file of unsigned bytes (plain or gzip-compressed) with ``ndim`` dimensions."""
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as stream:
        raw = stream.read()
    if len(raw) < 4 + 4 * ndim or raw[:2] != b"\x00\x00" or raw[2] != _IDX_UBYTE:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    if raw[3] != ndim:
        raise ValueError(f"{path}: expected an IDX file with {ndim} dimensions, got {raw[3]}")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header promises shape {shape}, file holds {data.size} bytes")
    return data.reshape(shape)


def load_fashion_mnist(root: Path | str | None = None) -> ImageDataset:
    """Fashion-MNIST: 70,000 grey 28x28 images of 10 kinds of clothing (train + test pooled).

    Reads the four standard IDX files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``), each plain or gzip-compressed
    (``.gz``).

    Args:
        root: Folder holding the files (or holding them in ``fashion-mnist/``); default
            :data:`FASHION_MNIST_DIR`, where ``apt-get install dataset-fashion-mnist`` puts them.

    Raises:
        DatasetNotFoundError: If no folder holds the four files.
    """
    stems = (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    )
    folders = _candidate_folders(root, FASHION_MNIST_DIR, "fashion-mnist")
    for folder in folders:
        found = [_first_existing(folder / stem, folder / f"{stem}.gz") for stem in stems]
        if all(path is not None for path in found):
            paths = [path for path in found if path is not None]
            images = np.concatenate([_read_idx(paths[0], 3), _read_idx(paths[2], 3)])
            labels = np.concatenate([_read_idx(paths[1], 1), _read_idx(paths[3], 1)])
            if images.shape[0] != labels.shape[0]:
                raise ValueError(
                    f"Fashion-MNIST in {folder}: {images.shape[0]} images but "
                    f"{labels.shape[0]} labels"
                )
            return ImageDataset(
                (images.astype(np.float32) / 255.0)[:, None],
                labels.astype(np.int64),
                FASHION_MNIST_CLASSES,
                "fashion-mnist",
            )
    raise _not_found(
        "Fashion-MNIST",
        folders,
        [f"{stem}[.gz]" for stem in stems],
        "Install it with `sudo apt-get install dataset-fashion-mnist` (files land in "
        f"{FASHION_MNIST_DIR}) or copy the four IDX files of "
        "https://github.com/zalandoresearch/fashion-mnist into a folder.",
    )


def _first_existing(*paths: Path) -> Path | None:
    return next((path for path in paths if path.is_file()), None)


def _unpickle(path: Path) -> dict[str, Any]:
    with path.open("rb") as stream:
        raw = pickle.load(stream, encoding="bytes")
    if not isinstance(raw, dict):
        raise ValueError(f"{path} does not hold a CIFAR batch (a pickled dict)")
    return {
        key.decode() if isinstance(key, bytes) else str(key): value for key, value in raw.items()
    }


def _cifar_arrays(path: Path, label_key: str) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    batch = _unpickle(path)
    if "data" not in batch or label_key not in batch:
        raise ValueError(f"{path} lacks the CIFAR keys 'data' and {label_key!r}")
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch[label_key], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or data.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{path}: expected 'data' of shape (n, 3072) and n labels, got {data.shape} and "
            f"{labels.shape}"
        )
    return data.reshape(-1, 3, 32, 32), labels


def _class_names(meta_path: Path, key: str) -> tuple[str, ...]:
    names = _unpickle(meta_path).get(key)
    if names is None:
        raise ValueError(f"{meta_path} lacks the key {key!r}")
    return tuple(name.decode() if isinstance(name, bytes) else str(name) for name in names)


def _load_cifar(
    root: Path | str | None,
    *,
    name: str,
    title: str,
    subfolder: str,
    batches: Sequence[str],
    meta: str,
    label_key: str,
    names_key: str,
    url: str,
) -> ImageDataset:
    folders = _candidate_folders(root, default_data_dir() / "datasets", subfolder)
    files = [*batches, meta]
    folder = next((f for f in folders if all((f / file).is_file() for file in files)), None)
    if folder is None:
        raise _not_found(
            title,
            folders,
            files,
            f"Download the python version ({url}) and unpack it into {folders[0]} "
            f"(`tar xzf`; it creates {subfolder}/).",
        )
    parts = [_cifar_arrays(folder / batch, label_key) for batch in batches]
    images = np.concatenate([images for images, _ in parts]).astype(np.float32) / 255.0
    labels = np.concatenate([labels for _, labels in parts])
    return ImageDataset(images, labels, _class_names(folder / meta, names_key), name)


def load_cifar10(root: Path | str | None = None) -> ImageDataset:
    """CIFAR-10: 60,000 colour 32x32 images of 10 classes (train + test batches pooled).

    Args:
        root: Folder holding ``data_batch_1`` ... ``data_batch_5``, ``test_batch`` and
            ``batches.meta`` (or holding them in ``cifar-10-batches-py/``); default
            ``$WMOE_DATA_DIR/datasets``.

    Raises:
        DatasetNotFoundError: If no folder holds every batch.
    """
    return _load_cifar(
        root,
        name="cifar10",
        title="CIFAR-10",
        subfolder="cifar-10-batches-py",
        batches=[*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"],
        meta="batches.meta",
        label_key="labels",
        names_key="label_names",
        url=CIFAR10_URL,
    )


def load_cifar100(root: Path | str | None = None) -> ImageDataset:
    """CIFAR-100: 60,000 colour 32x32 images of 100 fine classes (train + test pooled).

    Args:
        root: Folder holding ``train``, ``test`` and ``meta`` (or holding them in
            ``cifar-100-python/``); default ``$WMOE_DATA_DIR/datasets``.

    Raises:
        DatasetNotFoundError: If no folder holds the three files.
    """
    return _load_cifar(
        root,
        name="cifar100",
        title="CIFAR-100",
        subfolder="cifar-100-python",
        batches=["train", "test"],
        meta="meta",
        label_key="fine_labels",
        names_key="fine_label_names",
        url=CIFAR100_URL,
    )


DATASET_LOADERS: dict[str, Callable[[Path | str | None], ImageDataset]] = {
    "digits": lambda root: load_digits(),
    "fashion-mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
    "cifar100": load_cifar100,
}


def load_dataset(name: str, root: Path | str | None = None) -> ImageDataset:
    """Load a dataset by name, train and test parts pooled.

    Args:
        name: One of ``digits``, ``fashion-mnist``, ``cifar10``, ``cifar100``.
        root: Data folder (see the module docstring); ``digits`` is bundled with
            scikit-learn and ignores it.

    Raises:
        ValueError: If ``name`` is not a known dataset.
        DatasetNotFoundError: If the dataset's files are missing.
    """
    loader = DATASET_LOADERS.get(name)
    if loader is None:
        raise ValueError(
            f"unknown dataset {name!r}; valid names are: {', '.join(sorted(DATASET_LOADERS))}"
        )
    return loader(root)

"""Prepare the data: load MNIST from a local ``mnist.npz`` or Keras's cache.

Errors are :class:`DataError` with a message a user can act on: the trainer's
CLI prints it and exits with status 1.
"""

from __future__ import annotations

import contextlib
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["DataError", "Mnist", "load_mnist", "split_validation"]

EXPECTED_KEYS = ("x_train", "y_train", "x_test", "y_test")


class DataError(Exception):
    """The MNIST data could not be found, read or is not in the expected format."""


@dataclass(frozen=True)
class Mnist:
    """MNIST as Keras ships it: uint8 images (N, 28, 28) and uint8 labels (N,)."""

    x_train: npt.NDArray[np.uint8]
    y_train: npt.NDArray[np.uint8]
    x_test: npt.NDArray[np.uint8]
    y_test: npt.NDArray[np.uint8]
    source: str


def _check_images(name: str, images: npt.NDArray[np.generic]) -> None:
    if not isinstance(images, np.ndarray):
        raise DataError(f"{name} is not an array")
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{name} must have shape (N, 28, 28); got {images.shape}")
    if images.dtype != np.uint8:
        raise DataError(f"{name} must be uint8 grey levels; got dtype {images.dtype}")


def _check_labels(name: str, labels: npt.NDArray[np.generic], count: int) -> None:
    if not isinstance(labels, np.ndarray) or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(
            f"{name} must be an array of integer digit labels; got {getattr(labels, 'dtype', type(labels))}"
        )
    if labels.shape != (count,):
        raise DataError(f"{name} must have shape ({count},) to match its images; got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{name} must hold digits 0-9; found {labels.min()}..{labels.max()}")


def _validated(arrays: dict[str, npt.NDArray[np.generic]], source: str) -> Mnist:
    missing = [key for key in EXPECTED_KEYS if key not in arrays]
    if missing:
        raise DataError(f"{source}: missing arrays {missing}; expected {list(EXPECTED_KEYS)}")
    _check_images("x_train", arrays["x_train"])
    _check_images("x_test", arrays["x_test"])
    _check_labels("y_train", arrays["y_train"], len(arrays["x_train"]))
    _check_labels("y_test", arrays["y_test"], len(arrays["x_test"]))
    return Mnist(
        x_train=arrays["x_train"].astype(np.uint8),
        y_train=arrays["y_train"].astype(np.uint8),
        x_test=arrays["x_test"].astype(np.uint8),
        y_test=arrays["y_test"].astype(np.uint8),
        source=source,
    )


def _load_npz(path: Path) -> Mnist:
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"{path}: not a readable mnist.npz file ({error})") from error
    return _validated(arrays, str(path))


def _load_from_keras() -> Mnist:
    # Imported here: TensorFlow takes seconds to import and only this path needs it.
    import keras

    try:
        # Keras prints its download progress on stdout, which `digits evaluate --json` keeps for JSON.
        with contextlib.redirect_stdout(sys.stderr):
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # noqa: BLE001 - keras raises many kinds on a failed download
        raise DataError(
            "no --data path was given and MNIST is neither in Keras's cache "
            "(~/.keras/datasets/mnist.npz) nor downloadable "
            f"({type(error).__name__}: {error}). Pass --data PATH to a local mnist.npz."
        ) from error
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return _validated(arrays, "keras.datasets.mnist")


def load_mnist(path: Path | None) -> Mnist:
    """Load MNIST from ``path`` (Keras's ``mnist.npz`` format) or, without a path, from Keras.

    Raises :class:`DataError` for a missing, corrupt or wrongly shaped file.
    """
    if path is None:
        return _load_from_keras()
    return _load_npz(path)


def split_validation(
    images: npt.NDArray[np.uint8],
    labels: npt.NDArray[np.uint8],
    fraction: float,
    seed: int,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Hold out a stratified ``fraction`` of the training set for validation (never the test set)."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    held_out: list[npt.NDArray[np.intp]] = []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        rng.shuffle(members)
        held_out.append(members[: round(len(members) * fraction)])
    validation = np.sort(np.concatenate(held_out))
    keep = np.ones(len(labels), dtype=bool)
    keep[validation] = False
    return images[keep], labels[keep], images[validation], labels[validation]

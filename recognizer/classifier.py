"""The digit classifier: load the shipped model once, classify batches of MNIST crops.

Two backends share one small interface, :class:`Classifier`:

- :class:`LiteRTClassifier` runs the exported ``digits.tflite`` with the LiteRT
  interpreter. Chosen on the CPU from measurements on a 2-core machine: it
  imports in 0.06 s (TensorFlow: ~4 s, which a command-line tool pays on every
  run), takes 0.2 ms for one crop (``model.predict``: 52 ms; the Keras model in
  a ``tf.function``: 1.4 ms) and is at least as fast at batch 256.
- :class:`KerasClassifier` runs ``digits.keras`` in a ``tf.function`` with a
  fixed input signature, on the GPU when TensorFlow sees one.

Errors: :class:`ModelError` when the model files are missing or unreadable;
``ValueError`` when a batch has the wrong shape.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from recognizer.normalize import MNIST_SIZE

__all__ = [
    "NOT_A_DIGIT",
    "Backend",
    "Classifier",
    "KerasClassifier",
    "LiteRTClassifier",
    "ModelError",
    "ModelInfo",
    "Predictions",
    "as_batch",
    "find_model_dir",
    "gpu_present",
    "load_classifier",
    "read_model_info",
    "read_verified_model",
]

NOT_A_DIGIT = 10
MODEL_DIR_ENV = "DIGITSTREAM_MODEL_DIR"
Backend = Literal["auto", "litert", "tensorflow"]
# Batches are padded up to one of these sizes so each interpreter is allocated once (5-19 ms
# each, too slow to make per call). The model's time grows with the padded size, so the steps
# are fine up to 128 crops, where camera frames fall (a second pass of 72 crops padded to 96
# wasted a quarter of its time). Each interpreter keeps its activations: all 16 take about
# 155 MB once used (measured; 18 buckets with 160 and 224 took 198 MB, the 12 before 116 MB).
BATCH_BUCKETS = (1, 4, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 192, 256)
MAX_BATCH = BATCH_BUCKETS[-1]


class ModelError(Exception):
    """The model files could not be found or loaded."""


@dataclass(frozen=True)
class Predictions:
    """Classifier output for N crops: labels 0-9 (10 = not a digit) and all class probabilities."""

    labels: npt.NDArray[np.int64]
    probabilities: npt.NDArray[np.float32]

    @property
    def confidences(self) -> npt.NDArray[np.float32]:
        """Probability of the chosen label for each crop."""
        return self.probabilities[np.arange(len(self.labels)), self.labels]

    def __len__(self) -> int:
        return len(self.labels)

    @classmethod
    def from_probabilities(cls, probabilities: npt.NDArray[np.float32]) -> Predictions:
        return cls(labels=np.argmax(probabilities, axis=1).astype(np.int64), probabilities=probabilities)


@dataclass(frozen=True)
class ModelInfo:
    """What ``models/digits.json`` says about the shipped model."""

    directory: Path
    metadata: dict[str, Any] = field(hash=False)

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", "digits"))

    def file(self, role: str) -> Path:
        files = self.metadata.get("files", {})
        if role not in files:
            raise ModelError(f"{self.directory / 'digits.json'} names no {role!r} model file")
        return self.directory / str(files[role]["path"])


class Classifier(Protocol):
    """Anything that classifies a batch of normalised 28x28 digits."""

    info: ModelInfo

    def classify(self, digits: npt.NDArray[np.float32]) -> Predictions: ...


def as_batch(digits: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    if digits.ndim == 4 and digits.shape[-1] == 1:
        digits = digits[..., 0]
    if digits.ndim != 3 or digits.shape[1:] != (MNIST_SIZE, MNIST_SIZE):
        raise ValueError(f"expected a batch of shape (N, 28, 28) or (N, 28, 28, 1), got {digits.shape}")
    return np.ascontiguousarray(digits, dtype=np.float32)


def _empty_predictions(class_count: int) -> Predictions:
    return Predictions(np.zeros(0, dtype=np.int64), np.zeros((0, class_count), dtype=np.float32))


class LiteRTClassifier:
    """The exported model run by the LiteRT interpreter on the CPU."""

    def __init__(self, info: ModelInfo, threads: int | None = None) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.info = info
        self._model = read_verified_model(info, "tflite")
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._interpreter_type = Interpreter
        self._interpreters: dict[int, Any] = {}
        # An interpreter is not thread-safe; the service calls from several threads.
        self._lock = threading.Lock()
        try:
            with _native_stderr_silenced():
                warm = self._interpreter(1)
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"cannot load model {info.file('tflite')}: {error}") from error
        self.class_count = int(warm.get_output_details()[0]["shape"][-1])
        self.classify(np.zeros((1, MNIST_SIZE, MNIST_SIZE), dtype=np.float32))

    def _interpreter(self, batch: int) -> Any:
        interpreter = self._interpreters.get(batch)
        if interpreter is None:
            interpreter = self._interpreter_type(model_content=self._model, num_threads=self._threads)
            index = interpreter.get_input_details()[0]["index"]
            interpreter.resize_tensor_input(index, [batch, MNIST_SIZE, MNIST_SIZE, 1])
            interpreter.allocate_tensors()
            self._interpreters[batch] = interpreter
        return interpreter

    def _run(self, chunk: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        count = len(chunk)
        bucket = next(size for size in BATCH_BUCKETS if size >= count)
        padded = np.zeros((bucket, MNIST_SIZE, MNIST_SIZE, 1), dtype=np.float32)
        padded[:count, :, :, 0] = chunk
        interpreter = self._interpreter(bucket)
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], padded)
        interpreter.invoke()
        output = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
        return np.array(output[:count], dtype=np.float32)

    def classify(self, digits: npt.NDArray[np.float32]) -> Predictions:
        batch = as_batch(digits)
        if len(batch) == 0:
            return _empty_predictions(self.class_count)
        with self._lock:
            chunks = [self._run(batch[start : start + MAX_BATCH]) for start in range(0, len(batch), MAX_BATCH)]
        return Predictions.from_probabilities(np.concatenate(chunks))


class KerasClassifier:
    """The Keras model in a ``tf.function`` with a fixed input signature (GPU when present)."""

    def __init__(self, info: ModelInfo) -> None:
        import keras
        import tensorflow as tf

        self.info = info
        path = info.file("keras")
        read_verified_model(info, "keras")
        try:
            model = keras.models.load_model(path, compile=False)
        except (OSError, ValueError) as error:
            raise ModelError(f"cannot load model {path}: {error}") from error
        self.class_count = int(model.output_shape[-1])
        self.device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
        self._predict = tf.function(
            lambda batch: model(batch, training=False),
            input_signature=[tf.TensorSpec([None, MNIST_SIZE, MNIST_SIZE, 1], tf.float32)],
        )
        self.classify(np.zeros((1, MNIST_SIZE, MNIST_SIZE), dtype=np.float32))

    def classify(self, digits: npt.NDArray[np.float32]) -> Predictions:
        batch = as_batch(digits)
        if len(batch) == 0:
            return _empty_predictions(self.class_count)
        chunks = [
            np.asarray(self._predict(batch[start : start + MAX_BATCH, :, :, None]), dtype=np.float32)
            for start in range(0, len(batch), MAX_BATCH)
        ]
        return Predictions.from_probabilities(np.concatenate(chunks))


def find_model_dir(model_dir: Path | None = None) -> Path:
    """Where the model lives: the argument, ``$DIGITSTREAM_MODEL_DIR``, the installed package, or the checkout."""
    if model_dir is not None:
        return model_dir
    from_env = os.environ.get(MODEL_DIR_ENV)
    if from_env:
        return Path(from_env)
    package = Path(__file__).resolve().parent
    for candidate in (package / "_models", package.parent / "models"):
        if (candidate / "digits.json").is_file():
            return candidate
    return package.parent / "models"


def read_model_info(model_dir: Path | None = None) -> ModelInfo:
    directory = find_model_dir(model_dir)
    metadata_path = directory / "digits.json"
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ModelError(
            f"no model in {directory} (missing digits.json); train one with `digits train` "
            f"or point --model / ${MODEL_DIR_ENV} at a folder holding digits.json"
        ) from error
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot read {metadata_path}: {error}") from error
    if not isinstance(metadata, dict):
        raise ModelError(f"{metadata_path} is not a JSON object")
    return ModelInfo(directory=directory, metadata=metadata)


def read_verified_model(info: ModelInfo, role: str) -> bytes:
    """The model file's bytes, checked against the sha256 recorded in digits.json."""
    path = info.file(role)
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ModelError(f"cannot read model {path}: {error.strerror or error}") from error
    expected = info.metadata["files"][role].get("sha256")
    if expected and hashlib.sha256(content).hexdigest() != expected:
        raise ModelError(f"{path} does not match the sha256 in digits.json (corrupt or replaced)")
    return content


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Hide LiteRT's "Created TensorFlow Lite XNNPACK delegate" line, which has no off switch.

    Only file descriptor 2 is redirected, only while the first interpreter is built;
    Python exceptions still propagate.
    """
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def gpu_present() -> bool:
    """A cheap check for an NVIDIA GPU that does not import TensorFlow."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return Path("/dev/nvidia0").exists() or Path("/proc/driver/nvidia/gpus").is_dir()


def load_classifier(model_dir: Path | None = None, backend: Backend = "auto") -> Classifier:
    """Load and warm up the shipped classifier.

    ``auto`` takes TensorFlow on a machine with a GPU and LiteRT otherwise.
    Raises :class:`ModelError` when the model is missing, corrupt or unloadable.
    """
    info = read_model_info(model_dir)
    chosen = backend
    if chosen == "auto":
        chosen = "tensorflow" if gpu_present() else "litert"
    if chosen == "litert":
        return LiteRTClassifier(info)
    if chosen == "tensorflow":
        return KerasClassifier(info)
    raise ValueError(f"unknown backend {backend!r}; expected auto, litert or tensorflow")

"""The shipped model through the classifier API the recognizer uses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from recognizer.classifier import (
    NOT_A_DIGIT,
    Classifier,
    KerasClassifier,
    ModelError,
    find_model_dir,
    load_classifier,
    read_model_info,
)
from recognizer.normalize import normalize_digits


def test_shipped_model_scores_99_percent_on_mnist_test_subset(
    classifier: Classifier, mnist_small: dict[str, np.ndarray]
) -> None:
    digits = normalize_digits(list(mnist_small["x_test"]))
    predictions = classifier.classify(digits)
    accuracy = float(np.mean(predictions.labels == mnist_small["y_test"]))
    assert accuracy >= 0.99, f"accuracy {accuracy:.4f} on {len(digits)} MNIST test digits"
    assert predictions.probabilities.shape == (len(digits), NOT_A_DIGIT + 1)
    np.testing.assert_allclose(predictions.probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert np.all(predictions.confidences > 0.0)


def test_shipped_model_is_small_and_described(classifier: Classifier) -> None:
    info = classifier.info
    for role in ("keras", "tflite"):
        path = info.file(role)
        assert path.stat().st_size < 5_000_000
    metadata = info.metadata
    # What the trainer measured on all 10,000 MNIST test digits when it wrote the model.
    assert metadata["test"]["mnist_count"] == 10_000
    assert metadata["test"]["mnist_accuracy"] >= 0.99
    assert set(metadata["test"]["style_accuracy"]) == {"crossed_7", "flagged_1", "open_4", "straight_tail_9"}
    assert metadata["input"]["shape"] == [28, 28, 1]
    assert metadata["classes"][-1] == "not a digit"
    assert metadata["parameters"] > 0


def test_one_call_classifies_any_batch_size(classifier: Classifier, mnist_small: dict[str, np.ndarray]) -> None:
    digits = normalize_digits(list(mnist_small["x_test"][:300]))
    whole = classifier.classify(digits)
    one_by_one = np.concatenate([classifier.classify(digits[i : i + 1]).probabilities for i in range(0, 300, 37)])
    np.testing.assert_allclose(whole.probabilities[::37], one_by_one, atol=1e-5)
    assert len(classifier.classify(digits[:0])) == 0
    assert len(classifier.classify(digits[:, :, :, None])) == 300


@pytest.mark.parametrize("shape", [(5, 28), (5, 32, 32), (2, 28, 28, 3)])
def test_wrong_batch_shape_is_a_value_error(classifier: Classifier, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="expected a batch"):
        classifier.classify(np.zeros(shape, np.float32))


def test_missing_model_folder_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing digits.json"):
        load_classifier(tmp_path)


def test_corrupt_model_file_is_refused(tmp_path: Path) -> None:
    shipped = find_model_dir()
    for name in ("digits.json", "digits.tflite", "digits.keras"):
        shutil.copy(shipped / name, tmp_path / name)
    with (tmp_path / "digits.tflite").open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00" * 64)
    with pytest.raises(ModelError, match="sha256"):
        load_classifier(tmp_path, "litert")


def test_unreadable_metadata_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "digits.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="cannot read"):
        read_model_info(tmp_path)


@pytest.mark.slow
def test_tensorflow_backend_agrees_with_litert(classifier: Classifier, mnist_small: dict[str, np.ndarray]) -> None:
    """The GPU path (Keras in a tf.function) gives the same answers as the CPU path."""
    keras_classifier = KerasClassifier(read_model_info())
    digits = normalize_digits(list(mnist_small["x_test"][:500]))
    np.testing.assert_allclose(
        keras_classifier.classify(digits).probabilities, classifier.classify(digits).probabilities, atol=1e-4
    )
    metadata = json.loads((find_model_dir() / "digits.json").read_text(encoding="utf-8"))
    assert metadata["files"]["keras"]["path"] == "digits.keras"

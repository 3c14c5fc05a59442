"""Evaluate the shipped classifier: MNIST test accuracy, per class, per style, confusion matrix, speed."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from recognizer.classifier import Classifier
from trainer.dataset import build_style_test_set, normalized_mnist

__all__ = ["Evaluation", "evaluate", "measure_throughput", "save_confusion_matrix"]

THROUGHPUT_BATCH_SIZES = (1, 8, 32, 128, 256)
STYLE_TEST_SEED = 20261122
STYLE_TEST_SAMPLES = 500


@dataclass(frozen=True)
class Evaluation:
    """``accuracy`` counts a digit the model calls "not a digit" as wrong (what the recognizer would do
    with it); ``digit_accuracy`` asks only which of the ten digits is most likely, as plain MNIST
    classifiers are scored."""

    accuracy: float
    digit_accuracy: float
    count: int
    per_class_accuracy: dict[int, float]
    confusion: npt.NDArray[np.int64]
    rejected_as_not_a_digit: int
    style_accuracy: dict[str, float]
    throughput: dict[int, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 5),
            "digit_accuracy": round(self.digit_accuracy, 5),
            "count": self.count,
            "errors": int(round((1.0 - self.accuracy) * self.count)),
            "per_class_accuracy": {str(k): round(v, 5) for k, v in self.per_class_accuracy.items()},
            "rejected_as_not_a_digit": self.rejected_as_not_a_digit,
            "style_accuracy": {k: round(v, 4) for k, v in self.style_accuracy.items()},
            "throughput_digits_per_second": {str(k): round(v) for k, v in self.throughput.items()},
            "confusion_matrix": self.confusion.tolist(),
        }


def measure_throughput(
    classifier: Classifier, digits: npt.NDArray[np.float32], batch_sizes: tuple[int, ...], seconds: float = 0.6
) -> dict[int, float]:
    """Digits per second for each batch size: median of repeated timed calls after a warm-up call."""
    results: dict[int, float] = {}
    for batch_size in batch_sizes:
        batch = digits[:batch_size]
        classifier.classify(batch)
        timings: list[float] = []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline or len(timings) < 5:
            start = time.perf_counter()
            classifier.classify(batch)
            timings.append(time.perf_counter() - start)
        results[batch_size] = batch_size / statistics.median(timings)
    return results


def confusion_matrix(
    truth: npt.NDArray[np.integer[Any]], predicted: npt.NDArray[np.integer[Any]], classes: int
) -> npt.NDArray[np.int64]:
    matrix = np.zeros((10, classes), dtype=np.int64)
    np.add.at(matrix, (truth.astype(np.int64), predicted.astype(np.int64)), 1)
    return matrix


def evaluate(
    classifier: Classifier,
    images: npt.NDArray[np.uint8],
    labels: npt.NDArray[np.uint8],
    with_styles: bool = True,
    with_throughput: bool = True,
) -> Evaluation:
    """Score ``classifier`` on MNIST-format test digits, normalised as the recognizer normalises crops."""
    digits = normalized_mnist(images)
    predictions = classifier.classify(digits)
    truth = labels.astype(np.int64)
    correct = predictions.labels == truth
    per_class = {digit: float(correct[truth == digit].mean()) for digit in range(10) if np.any(truth == digit)}
    classes = predictions.probabilities.shape[1]
    style_accuracy: dict[str, float] = {}
    if with_styles:
        for style, (style_digits, style_labels) in build_style_test_set(
            images, labels, STYLE_TEST_SAMPLES, STYLE_TEST_SEED
        ).items():
            style_predictions = classifier.classify(style_digits)
            style_accuracy[style] = float(np.mean(style_predictions.labels == style_labels))
    throughput = (
        measure_throughput(classifier, np.resize(digits, (256, 28, 28)), THROUGHPUT_BATCH_SIZES)
        if with_throughput
        else {}
    )
    return Evaluation(
        accuracy=float(correct.mean()),
        digit_accuracy=float(np.mean(np.argmax(predictions.probabilities[:, :10], axis=1) == truth)),
        count=int(len(truth)),
        per_class_accuracy=per_class,
        confusion=confusion_matrix(truth, predictions.labels, classes),
        rejected_as_not_a_digit=int(np.sum(predictions.labels == 10)),
        style_accuracy=style_accuracy,
        throughput=throughput,
    )


def save_confusion_matrix(evaluation: Evaluation, path: Path) -> None:
    """Draw the confusion matrix (true digit x predicted class) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = evaluation.confusion
    figure, axes = plt.subplots(figsize=(7.5, 6.5), dpi=110)
    shown = np.log1p(matrix)
    axes.imshow(shown, cmap="Blues")
    columns = matrix.shape[1]
    axes.set_xticks(range(columns), [str(c) if c < 10 else "not\ndigit" for c in range(columns)])
    axes.set_yticks(range(10), [str(r) for r in range(10)])
    axes.set_xlabel("predicted")
    axes.set_ylabel("true digit")
    axes.set_title(f"MNIST test: {evaluation.accuracy:.2%} of {evaluation.count:,} digits")
    threshold = shown.max() / 2.0
    for row in range(10):
        for column in range(columns):
            if matrix[row, column]:
                colour = "white" if shown[row, column] > threshold else "black"
                axes.text(column, row, str(matrix[row, column]), ha="center", va="center", fontsize=7, color=colour)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)

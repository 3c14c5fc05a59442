"""`digits train` and `digits evaluate` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from recognizer.classifier import LiteRTClassifier, read_model_info
from recognizer.cli import app
from recognizer.normalize import normalize_digits
from tests.conftest import MNIST_SMALL

runner = CliRunner()


def test_evaluate_prints_accuracy_as_json(tmp_path: Path) -> None:
    confusion = tmp_path / "confusion.png"
    result = runner.invoke(app, ["evaluate", "--data", str(MNIST_SMALL), "--json", "--confusion", str(confusion)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["count"] == 1000
    assert report["accuracy"] >= 0.99
    assert set(report["per_class_accuracy"]) == {str(d) for d in range(10)}
    assert report["throughput_digits_per_second"]["256"] > 0
    assert set(report["style_accuracy"]) == {"crossed_7", "flagged_1", "open_4", "straight_tail_9"}
    assert confusion.stat().st_size > 10_000
    assert confusion.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_text_report(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["evaluate", "--data", str(MNIST_SMALL), "--limit", "300", "--confusion", str(tmp_path / "c.png")]
    )
    assert result.exit_code == 0, result.output
    assert "MNIST test accuracy" in result.stdout
    assert "throughput (digits/s by batch size)" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"this is not a zip archive", "not a readable mnist.npz"),
    ],
)
def test_bad_data_file_is_a_clear_error(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "mnist.npz"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["evaluate", "--data", str(path)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_wrong_array_shapes_are_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "wrong.npz"
    np.savez(
        path,
        x_train=np.zeros((10, 32, 32), np.uint8),
        y_train=np.zeros(10, np.uint8),
        x_test=np.zeros((5, 28, 28), np.uint8),
        y_test=np.zeros(5, np.uint8),
    )
    result = runner.invoke(app, ["train", "--data", str(path)])
    assert result.exit_code == 1
    assert "x_train must have shape (N, 28, 28); got (10, 32, 32)" in result.stderr


def test_missing_arrays_are_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "partial.npz"
    np.savez(path, x_train=np.zeros((10, 28, 28), np.uint8))
    result = runner.invoke(app, ["evaluate", "--data", str(path)])
    assert result.exit_code == 1
    assert "missing arrays" in result.stderr


@pytest.mark.slow
def test_training_smoke_run_writes_a_loadable_model(tmp_path: Path, mnist_small: dict[str, np.ndarray]) -> None:
    output = tmp_path / "model"
    result = runner.invoke(
        app,
        [
            "train",
            "--data", str(MNIST_SMALL),
            "--limit", "3000",
            "--epochs", "1",
            "--samples-per-style", "50",
            "--not-a-digit", "200",
            "--output", str(output),
            "--checkpoints", str(tmp_path / "checkpoints"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metadata = json.loads((output / "digits.json").read_text(encoding="utf-8"))
    assert metadata["training"]["epochs_trained"] == 1
    assert (tmp_path / "checkpoints" / "state.json").is_file()
    classifier = LiteRTClassifier(read_model_info(output))
    predictions = classifier.classify(normalize_digits(list(mnist_small["x_test"][:200])))
    # One epoch on 2,760 digits: far from the shipped model, far above chance.
    assert float(np.mean(predictions.labels == mnist_small["y_test"][:200])) > 0.5

    resumed = runner.invoke(
        app,
        [
            "train",
            "--data", str(MNIST_SMALL),
            "--limit", "3000",
            "--epochs", "2",
            "--samples-per-style", "50",
            "--not-a-digit", "200",
            "--output", str(output),
            "--checkpoints", str(tmp_path / "checkpoints"),
            "--resume",
        ],
    )  # fmt: skip
    assert resumed.exit_code == 0, resumed.output
    assert "resuming after epoch 1" in resumed.output
    assert json.loads((output / "digits.json").read_text(encoding="utf-8"))["training"]["epochs_trained"] == 2


def test_resume_without_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["train", "--data", str(MNIST_SMALL), "--limit", "500", "--checkpoints", str(tmp_path / "none"), "--resume"],
    )
    assert result.exit_code == 1
    assert "no checkpoint" in result.stderr

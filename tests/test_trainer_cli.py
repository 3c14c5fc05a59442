"""`digits train` and `digits evaluate` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from recognizer.classifier import LiteRTClassifier, find_model_dir, read_model_info
from recognizer.cli import app
from recognizer.normalize import normalize_digits
from tests.conftest import MNIST_SMALL

runner = CliRunner()


def accuracy_of(model_dir: Path, mnist_small: dict[str, np.ndarray], count: int) -> float:
    """Share of the first ``count`` test digits that the model written to ``model_dir`` reads right."""
    classifier = LiteRTClassifier(read_model_info(model_dir))
    predictions = classifier.classify(normalize_digits(list(mnist_small["x_test"][:count])))
    return float(np.mean(predictions.labels == mnist_small["y_test"][:count]))


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
    # One epoch on 2,760 digits: far from the shipped model, far above chance.
    assert accuracy_of(output, mnist_small, 200) > 0.5

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


def test_combine_ships_one_model_that_averages_its_towers(tmp_path: Path, mnist_small: dict[str, np.ndarray]) -> None:
    small = tmp_path / "small"
    trained = runner.invoke(
        app,
        ["train", "--data", str(MNIST_SMALL), "--limit", "1000", "--epochs", "1", "--width", "0.5"]
        + ["--samples-per-style", "20", "--not-a-digit", "50"]
        + ["--output", str(small), "--checkpoints", str(tmp_path / "checkpoints")],
    )
    assert trained.exit_code == 0, trained.output
    combined = tmp_path / "combined"
    result = runner.invoke(
        app, ["combine", str(find_model_dir()), str(small), "--data", str(MNIST_SMALL), "--output", str(combined)]
    )
    assert result.exit_code == 0, result.output
    digits = normalize_digits(list(mnist_small["x_test"][:100]))
    towers = [
        LiteRTClassifier(read_model_info(folder)).classify(digits).probabilities for folder in (find_model_dir(), small)
    ]
    together = LiteRTClassifier(read_model_info(combined)).classify(digits).probabilities
    np.testing.assert_allclose(together, (towers[0] + towers[1]) / 2, atol=1e-4)
    metadata = json.loads((combined / "digits.json").read_text(encoding="utf-8"))
    assert [tower["model"] for tower in metadata["training"]["towers"]] == [str(find_model_dir()), str(small)]
    assert metadata["test"]["mnist_count"] == len(mnist_small["y_test"])


def test_combine_names_what_is_not_a_model(tmp_path: Path) -> None:
    lonely = runner.invoke(app, ["combine", str(find_model_dir()), "--data", str(MNIST_SMALL)])
    assert lonely.exit_code == 1
    assert "at least two" in lonely.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(
        app, ["combine", str(find_model_dir()), str(empty), "--data", str(MNIST_SMALL), "--output", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert f"{empty}: not a model folder" in result.output
    assert not (tmp_path / "o").exists()


def test_combine_refuses_a_network_with_other_classes(tmp_path: Path) -> None:
    import keras

    ten_classes = tmp_path / "ten"
    ten_classes.mkdir()
    inputs = keras.Input(shape=(28, 28, 1))
    keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs))).save(ten_classes / "digits.keras")
    (ten_classes / "digits.json").write_text("{}", encoding="utf-8")
    result = runner.invoke(
        app,
        ["combine", str(find_model_dir()), str(ten_classes), "--data", str(MNIST_SMALL)]
        + ["--output", str(tmp_path / "o")],
    )
    assert result.exit_code == 1
    assert f"error: {ten_classes}: not a digitstream model" in result.output
    assert f"{ten_classes}: {ten_classes}" not in result.output
    assert not (tmp_path / "o").exists()


def test_fine_tuning_with_weight_averaging_and_a_lighter_reject_class(
    tmp_path: Path, mnist_small: dict[str, np.ndarray]
) -> None:
    output = tmp_path / "tuned"
    result = runner.invoke(
        app,
        [
            "train",
            "--data", str(MNIST_SMALL),
            "--init-from", str(find_model_dir() / "digits.keras"),
            "--limit", "1000",
            "--epochs", "1",
            "--learning-rate", "1e-4",
            "--ema", "0.99",
            "--reject-weight", "0.5",
            "--samples-per-style", "20",
            "--not-a-digit", "50",
            "--output", str(output),
            "--checkpoints", str(tmp_path / "checkpoints"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metadata = json.loads((output / "digits.json").read_text(encoding="utf-8"))
    assert "EMA 0.99" in metadata["training"]["recipe"]["optimizer"]
    assert "not-a-digit examples weighted 0.5" in metadata["training"]["recipe"]["loss"]
    # A few gentle steps from the shipped model, averaged: it must still read digits as well.
    assert accuracy_of(output, mnist_small, 300) >= 0.97


def test_resume_without_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["train", "--data", str(MNIST_SMALL), "--limit", "500", "--checkpoints", str(tmp_path / "none"), "--resume"],
    )
    assert result.exit_code == 1
    assert "no checkpoint" in result.stderr


def test_an_output_folder_that_cannot_be_written_fails_before_training(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"x")
    # The other folder is a writable one under tmp_path: the test leaves nothing in the working directory.
    writable = {"--output": str(tmp_path / "models"), "--checkpoints": str(tmp_path / "checkpoints")}
    for option in ("--output", "--checkpoints"):
        folders = {**writable, option: str(blocker / "models")}
        arguments = [item for pair in folders.items() for item in pair]
        result = runner.invoke(app, ["train", "--data", str(MNIST_SMALL), *arguments])
        assert result.exit_code == 1
        assert f"{option} {blocker / 'models'}: cannot write there" in result.stderr
        assert "training on" not in result.stdout  # refused before any work


def test_evaluate_checks_where_the_confusion_matrix_goes(tmp_path: Path) -> None:
    wrong_kind = runner.invoke(app, ["evaluate", "--data", str(MNIST_SMALL), "--confusion", str(tmp_path / "c.xyz")])
    assert wrong_kind.exit_code == 2
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"x")
    unwritable = runner.invoke(app, ["evaluate", "--data", str(MNIST_SMALL), "--confusion", str(blocker / "c.png")])
    assert unwritable.exit_code == 1 and "cannot write there" in unwritable.stderr


def test_evaluate_on_a_handful_of_digits_without_sevens_or_ones(tmp_path: Path) -> None:
    # The first test digit is a 7 and the next ones hold no 1: the crossed-7 and flagged-1 style
    # sets are then drawn rather than edited from MNIST digits.
    result = runner.invoke(
        app, ["evaluate", "--data", str(MNIST_SMALL), "--limit", "1", "--json", "--confusion", str(tmp_path / "c.png")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["count"] == 1


def test_text_labels_are_a_clear_error(tmp_path: Path, mnist_small: dict[str, np.ndarray]) -> None:
    path = tmp_path / "text-labels.npz"
    arrays: dict[str, Any] = dict(mnist_small)
    arrays["y_test"] = np.array([str(label) for label in arrays["y_test"]])
    np.savez(path, **arrays)
    result = runner.invoke(app, ["evaluate", "--data", str(path)])
    assert result.exit_code == 1
    assert "y_test must be an array of integer digit labels" in result.stderr


def test_a_damaged_harvest_file_is_a_clear_error(tmp_path: Path) -> None:
    harvest = tmp_path / "crops.npz"
    harvest.write_bytes(b"")
    result = runner.invoke(
        app,
        ["train", "--data", str(MNIST_SMALL), "--limit", "1000", "--harvest", str(harvest)]
        + ["--output", str(tmp_path / "m"), "--checkpoints", str(tmp_path / "c"), "--epochs", "1"],
    )
    assert result.exit_code == 1
    assert f"--harvest {harvest}: not a harvest file" in result.stderr

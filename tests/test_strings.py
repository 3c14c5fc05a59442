"""The string model: its normalisation, its decoding, the shipped model on strings of MNIST test digits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from recognizer.classifier import Classifier, ModelError, read_model_info
from recognizer.cli import app
from recognizer.strings import (
    STRING_DIGIT_HEIGHT,
    STRING_HEIGHT,
    TIME_STEP,
    StringReader,
    best_path,
    load_string_reader,
    normalize_string,
)
from tests.conftest import MNIST_SMALL, SAMPLES
from trainer.strings import load_harvest, render_junk, render_string

runner = CliRunner()


@pytest.fixture(scope="module")
def strings(classifier: Classifier) -> StringReader:
    reader = load_string_reader(classifier.info)
    assert reader is not None, "the shipped model folder holds no strings.json"
    return reader


def test_a_run_is_scaled_to_its_line_height_and_centred() -> None:
    mask = np.zeros((200, 300), np.uint8)
    mask[50:110, 40:70] = 255  # a bar 60 px tall: one line height
    mask[60:100, 100:260] = 255
    string = normalize_string(mask, line_height=60.0)
    assert string.image.shape[0] == STRING_HEIGHT
    assert string.image.shape[1] % TIME_STEP == 0
    rows = np.flatnonzero(string.image.max(axis=1) > 0.5)
    assert rows[-1] - rows[0] + 1 == pytest.approx(STRING_DIGIT_HEIGHT, abs=1)
    # Columns map back to the mask: the first ink column is the bar's left edge.
    first = np.flatnonzero(string.image.max(axis=0) > 0.5)[0]
    assert string.mask_column(first) == pytest.approx(40, abs=2)


def test_an_empty_run_is_a_blank_image() -> None:
    string = normalize_string(np.zeros((20, 20), bool), line_height=20.0)
    assert string.image.shape[0] == STRING_HEIGHT and not string.image.any()


def test_best_path_merges_repeats_and_needs_a_blank_between_equal_digits() -> None:
    string = normalize_string(np.ones((20, 60), bool), line_height=20.0)
    steps = string.image.shape[1] // TIME_STEP
    # blank, 7, 7, blank, 7, 3, 3 then blanks: reads 7 7 3.
    classes = [0, 8, 8, 0, 8, 4, 4] + [0] * (steps - 7)
    probabilities = np.full((steps, 11), 0.01, np.float32)
    probabilities[np.arange(steps), classes] = 0.9
    probabilities[2, 8] = 0.6  # the surest step of the first 7 gives its confidence
    read = best_path(probabilities, string)
    assert [digit.label for digit in read] == [7, 7, 3]
    assert read[0].confidence == pytest.approx(0.9)
    assert read[0].left < read[1].left < read[2].left


def test_the_shipped_model_reads_strings_of_touching_test_digits(
    strings: StringReader, mnist_small: dict[str, np.ndarray]
) -> None:
    """Strings written fast from MNIST test digits (never seen in training), most of them touching."""
    rng = np.random.default_rng(7)
    drawn = [render_string(mnist_small["x_test"], mnist_small["y_test"], rng) for _ in range(300)]
    pairs = [pair for pair in drawn if pair is not None]
    read = strings.read([string for string, _ in pairs])
    right = sum([digit.label for digit in found] == digits for found, (_, digits) in zip(read, pairs, strict=True))
    assert right / len(pairs) >= 0.8


def test_the_shipped_model_reads_joined_up_writing_and_printed_words_as_no_digits(strings: StringReader) -> None:
    rng = np.random.default_rng(8)
    read = strings.read([render_junk(rng)[0] for _ in range(100)])
    assert sum(not found for found in read) >= 80


def test_a_string_model_that_does_not_match_its_checksum_is_refused(tmp_path: Path, classifier: Classifier) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    for path in classifier.info.directory.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    tflite = folder / json.loads((folder / "strings.json").read_text(encoding="utf-8"))["files"]["tflite"]["path"]
    tflite.write_bytes(tflite.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelError, match="sha256"):
        load_string_reader(read_model_info(folder))


def test_a_model_folder_without_a_string_model_reads_without_one(tmp_path: Path, classifier: Classifier) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("digits.json", "digits.tflite"):
        (folder / name).write_bytes((classifier.info.directory / name).read_bytes())
    assert load_string_reader(read_model_info(folder)) is None


@pytest.mark.slow
def test_train_strings_smoke_run_writes_a_model_the_recognizer_loads(tmp_path: Path) -> None:
    output = tmp_path / "model"
    result = runner.invoke(
        app,
        [
            "train-strings",
            "--data", str(MNIST_SMALL),
            "--samples", "512",
            "--epochs", "1",
            "--output", str(output),
            "--checkpoints", str(tmp_path / "checkpoints"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metadata = json.loads((output / "strings.json").read_text(encoding="utf-8"))
    assert metadata["training"]["recipe"]["epochs"] == 1
    assert (tmp_path / "checkpoints" / "strings_state.json").is_file()
    reader = StringReader(output / "strings.json")
    assert len(reader.read([normalize_string(np.ones((20, 40), bool), 20.0)])) == 1
    resumed = runner.invoke(
        app,
        ["train-strings", "--data", str(MNIST_SMALL), "--samples", "512", "--epochs", "1", "--resume"]
        + ["--output", str(output), "--checkpoints", str(tmp_path / "checkpoints")],
    )
    assert resumed.exit_code == 0, resumed.output


def test_train_strings_resume_without_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["train-strings", "--data", str(MNIST_SMALL), "--samples", "512", "--resume"]
        + ["--checkpoints", str(tmp_path / "none"), "--output", str(tmp_path / "m")],
    )
    assert result.exit_code == 1
    assert "no string-model checkpoint" in result.output


def test_harvest_strings_labels_each_run_of_a_scene_with_the_digits_in_it(tmp_path: Path) -> None:
    scenes = tmp_path / "scenes" / "photos"
    scenes.mkdir(parents=True)
    for name in ("photo_021_touching.jpg", "photo_021_touching.truth.json"):
        (scenes / name).write_bytes((SAMPLES / "photos" / name).read_bytes())
    output = tmp_path / "strings.npz"
    result = runner.invoke(app, ["harvest-strings", str(tmp_path / "scenes"), "-o", str(output)])
    assert result.exit_code == 0, result.output
    harvested = load_harvest(output)
    truth = json.loads((scenes / "photo_021_touching.truth.json").read_text(encoding="utf-8"))
    numbers = [n["text"] for line in truth["pages"][0]["lines"] for n in line["numbers"]]
    labels = [
        "".join(str(v - 1) for v in row[:length])
        for row, length in zip(harvested.labels, harvested.label_lengths, strict=True)
    ]
    # Every label is (part of) one of the photo's numbers, and most of the numbers are harvested whole.
    assert all(any(label in number for number in numbers) for label in labels if label)
    assert sum(number in labels for number in numbers) >= len(numbers) // 2


def test_harvest_strings_of_a_folder_without_scenes_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["harvest-strings", str(tmp_path), "-o", str(tmp_path / "s.npz")])
    assert result.exit_code == 1
    assert "no strings harvested" in result.output

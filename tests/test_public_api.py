"""The public surface of the package is what `recognizer.__all__` says, and it works as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import recognizer
from recognizer.scoring import load_truth
from tests.conftest import SAMPLES
from tests.samples_index import CLEAN_PHOTO


def test_public_names_are_pinned() -> None:
    assert sorted(recognizer.__all__) == sorted(
        [
            "__version__",
            "Box",
            "Classifier",
            "Digit",
            "Frame",
            "InputError",
            "Line",
            "ModelError",
            "Number",
            "PageResult",
            "Predictions",
            "Reading",
            "Recognizer",
            "RecognizerOptions",
            "load_classifier",
            "normalize_digit",
            "normalize_digits",
            "read_pages",
        ]
    )
    for name in recognizer.__all__:
        assert getattr(recognizer, name) is not None


def test_docstring_example_reads_a_sample() -> None:
    path = SAMPLES / CLEAN_PHOTO
    reader = recognizer.Recognizer(recognizer.load_classifier())
    pages = list(recognizer.read_pages(str(path)))
    assert len(pages) == 1 and pages[0].frame is not None
    reading = reader.read(pages[0].frame)
    assert reading.to_json()["source"] == str(path)
    round_trip = recognizer.Reading.from_json(json.loads(json.dumps(reading.to_json())))
    assert round_trip.text == reading.text


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    """A phone photo stored sideways with an EXIF tag is read in the orientation a viewer shows."""
    path = next((SAMPLES / "photos").glob("*_sideways_exif.jpg"))
    truth = json.loads(path.with_suffix(".truth.json").read_text(encoding="utf-8"))
    page = next(recognizer.read_pages(str(path)))
    assert page.frame is not None
    assert (page.frame.width, page.frame.height) == (truth["pages"][0]["width"], truth["pages"][0]["height"])
    assert load_truth(path.with_suffix(".truth.json"))[0].numbers


def test_without_data_keras_is_asked_and_failure_is_explained(tmp_path: Path) -> None:
    """No --data: Keras's cache or a download is tried; offline, the user is told what to do."""
    environment = {
        "KERAS_HOME": str(tmp_path),
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "recognizer",
            "evaluate",
            "--json",
            "--limit",
            "200",
            "--confusion",
            str(tmp_path / "c.png"),
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )
    assert "Traceback" not in result.stderr
    if result.returncode == 0:
        # This machine could download MNIST: the evaluation ran on it.
        assert json.loads(result.stdout.strip().splitlines()[-1])["count"] == 200
    else:
        assert result.returncode == 1
        assert "Pass --data PATH to a local mnist.npz" in result.stderr

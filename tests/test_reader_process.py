"""Reader processes: a frame read in a child process reads as it does here, and a dead child is replaced."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from recognizer.classifier import Classifier, Predictions
from recognizer.pipeline import Recognizer
from recognizer.reading import Frame, Reading
from recognizer.service import reader_process
from recognizer.service.reader_process import RETRY_AFTER_FAILURES, ReaderError, ReaderProcess
from recognizer.service.run import live_recognizer_options
from tests.conftest import SAMPLES
from tests.samples_index import CLEAN_PHOTO, LIVE_PHOTO


def _frame(sample: str, index: int = 0) -> Frame:
    image = cv2.imread(str(SAMPLES / sample))
    assert image is not None
    return Frame(np.asarray(image, dtype=np.uint8), "camera", index)


def _digits(reading: Reading) -> list[tuple[int, tuple[int, int, int, int]]]:
    return [(d.label, (d.box.x, d.box.y, d.box.w, d.box.h)) for n in reading.numbers for d in n.digits]


@pytest.fixture
def reader(classifier: Classifier) -> Iterator[ReaderProcess]:
    process = ReaderProcess(live_recognizer_options(), classifier)
    yield process
    process.close()


def test_frames_read_in_a_reader_process_read_exactly_as_in_this_process(
    reader: ReaderProcess, classifier: Classifier
) -> None:
    here = Recognizer(classifier, live_recognizer_options())
    # Two frames of different content in turn: the child must not keep the first frame's pixels.
    for index, sample in enumerate([LIVE_PHOTO, CLEAN_PHOTO, LIVE_PHOTO]):
        frame = _frame(sample, index)
        expected = here.read(frame)
        got = reader.read(frame)
        assert expected.numbers, "the sample shows numbers"
        assert [n.text for n in got.numbers] == [n.text for n in expected.numbers]
        assert _digits(got) == _digits(expected)
        assert (got.source, got.page, got.width, got.height) == ("camera", index, frame.width, frame.height)


def test_a_bigger_frame_after_a_small_one_is_read_whole(reader: ReaderProcess, classifier: Classifier) -> None:
    frame = _frame(LIVE_PHOTO)
    small = Frame(np.ascontiguousarray(frame.image[:360, :640]), "camera", 0)
    reader.read(small)
    # The shared block grows to the larger frame; the reading must cover all of it.
    grown = cv2.copyMakeBorder(frame.image, 0, 80, 0, 160, cv2.BORDER_REPLICATE)
    bigger = Frame(np.asarray(grown, dtype=np.uint8), "camera", 1)
    got = reader.read(bigger)
    expected = Recognizer(classifier, live_recognizer_options()).read(bigger)
    assert (got.width, got.height) == (1440, 800)
    assert [n.text for n in got.numbers] == [n.text for n in expected.numbers]


def test_a_frame_the_pipeline_cannot_read_fails_in_the_same_words_as_here(
    reader: ReaderProcess, classifier: Classifier
) -> None:
    # Five channels: OpenCV refuses them deep in the pipeline.
    odd = Frame(np.random.default_rng(0).integers(0, 255, (240, 320, 5), dtype=np.uint8), "camera", 0)
    with pytest.raises(Exception) as here:
        Recognizer(classifier, live_recognizer_options()).read(odd)
    with pytest.raises(ReaderError) as there:
        reader.read(odd)
    assert str(there.value) == f"{type(here.value).__name__}: {here.value}"
    # The child is still there and reads the next frame.
    assert reader.read(_frame(LIVE_PHOTO, 1)).numbers
    assert reader.restarts == 0


def test_frames_go_through_the_pipe_when_shared_memory_cannot_be_had(
    reader: ReaderProcess, classifier: Classifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(size: int) -> None:
        raise OSError(28, "No space left on device")

    # A container's small /dev/shm: the block cannot be reserved.
    monkeypatch.setattr(reader_process, "_reserved_memory", full)
    frame = _frame(LIVE_PHOTO)
    expected = Recognizer(classifier, live_recognizer_options()).read(frame)
    assert _digits(reader.read(frame)) == _digits(expected)


class _KillsReader:
    """The real classifier, but the first ``kills`` requests kill the child that sent them (mid-frame)."""

    def __init__(self, inner: Classifier, kills: int = 1) -> None:
        self.inner = inner
        self.info = inner.info
        self.reader: ReaderProcess | None = None
        self.kills = kills

    def classify(self, digits: npt.NDArray[np.float32]) -> Predictions:
        if self.kills and self.reader is not None:
            self.kills -= 1
            assert self.reader.pid is not None
            os.kill(self.reader.pid, signal.SIGKILL)
        return self.inner.classify(digits)


def test_a_reader_that_keeps_dying_is_not_restarted_for_every_frame(classifier: Classifier) -> None:
    killer = _KillsReader(classifier, kills=1000)
    reader = ReaderProcess(live_recognizer_options(), killer)
    killer.reader = reader
    try:
        frame = _frame(LIVE_PHOTO)
        for _ in range(RETRY_AFTER_FAILURES):
            with pytest.raises(ReaderError, match="stopped"):
                reader.read(frame)
        with pytest.raises(ReaderError, match="failed 3 times in a row"):
            reader.read(frame)
        assert reader.pid is None
    finally:
        reader.close()


def test_a_reader_that_dies_mid_frame_fails_that_frame_only(classifier: Classifier) -> None:
    killer = _KillsReader(classifier)
    reader = ReaderProcess(live_recognizer_options(), killer)
    killer.reader = reader
    try:
        frame = _frame(LIVE_PHOTO)
        with pytest.raises(ReaderError, match="stopped"):
            reader.read(frame)
        # The next frame gets a new child and is read in full.
        again = reader.read(Frame(frame.image, "camera", 1))
        expected = Recognizer(classifier, live_recognizer_options()).read(frame)
        assert [n.text for n in again.numbers] == [n.text for n in expected.numbers]
        assert reader.restarts == 1
    finally:
        reader.close()


def test_a_closed_reader_refuses_frames_and_leaves_no_process(reader: ReaderProcess) -> None:
    reader.read(_frame(LIVE_PHOTO))
    child = reader.pid
    assert child is not None
    reader.close()
    assert reader.pid is None
    # The child is gone and reaped (signal 0 only checks that a process exists).
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    with pytest.raises(ReaderError, match="closed"):
        reader.read(_frame(LIVE_PHOTO))

"""Shared fixtures: the real shipped model, a small real MNIST subset, real samples."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from recognizer.classifier import Classifier, load_classifier
from recognizer.inputs import read_pages
from recognizer.normalize import normalize_digits
from recognizer.pipeline import Recognizer
from recognizer.service.engine import EngineConfig
from recognizer.service.run import ServeOptions, run_service
from recognizer.service.server import Service, ServiceConfig
from recognizer.service.sources import parse_source

# TensorFlow's C++ logging would otherwise flood the output of the trainer tests.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPOSITORY = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SAMPLES = REPOSITORY / "samples"
MNIST_SMALL = DATA / "mnist_small.npz"


def numbers_read(recognizer: Recognizer, sample: str) -> list[str]:
    """Every number read on the bundled sample ``sample`` (a path under samples/), in reading order."""
    (page,) = read_pages(str(SAMPLES / sample))
    assert page.frame is not None
    return [number for line in recognizer.read(page.frame).number_texts for number in line]


@pytest.fixture(scope="session")
def mnist_small() -> dict[str, npt.NDArray[np.uint8]]:
    """3,000 MNIST training and the first 1,000 MNIST test digits, in Keras's format."""
    with np.load(MNIST_SMALL) as archive:
        return {key: archive[key] for key in archive.files}


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    return load_classifier()


@pytest.fixture(scope="session")
def recognizer(classifier: Classifier) -> Recognizer:
    return Recognizer(classifier)


@pytest.fixture(scope="session")
def clear_digits(recognizer: Recognizer, mnist_small: dict[str, np.ndarray]) -> dict[int, list[np.ndarray]]:
    """MNIST test digits the model reads with confidence when alone: the cases test the pipeline, not the model."""
    images, labels = mnist_small["x_test"], mnist_small["y_test"]
    predictions = recognizer.classifier.classify(normalize_digits(list(images)))
    chosen: dict[int, list[np.ndarray]] = {d: [] for d in range(10)}
    for image, label, predicted, confidence in zip(images, labels, predictions.labels, predictions.confidences):
        if predicted == label and confidence > 0.995 and len(chosen[int(label)]) < 6:
            chosen[int(label)].append(image)
    return chosen


@dataclass
class RunningServer:
    service: Service
    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event
    thread: threading.Thread

    @property
    def base(self) -> str:
        return f"ws://127.0.0.1:{self.service.port}"

    def shutdown(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=20)


@pytest.fixture
def start_server() -> Iterator[Callable[..., RunningServer]]:
    """Start the real service (model, engine, server) on a background event loop."""
    running: list[RunningServer] = []

    def start(
        sources: list[str], *, token: str | None = None, loop_video: bool = True, **config: object
    ) -> RunningServer:
        ready = threading.Event()
        holder: dict[str, object] = {}

        def main() -> None:
            loop = asyncio.new_event_loop()
            holder["loop"] = loop
            stop = asyncio.Event()
            holder["stop"] = stop
            options = ServeOptions(
                service=ServiceConfig(port=0, token=token, **config),  # type: ignore[arg-type]
                engine=EngineConfig(workers=2, stable_frames=3),
                sources=tuple(parse_source(s, i, loop=loop_video) for i, s in enumerate(sources)),
            )

            def on_ready(service: Service) -> None:
                holder["service"] = service
                ready.set()

            try:
                loop.run_until_complete(run_service(options, stop, on_ready, handle_signals=False))
            finally:
                loop.close()

        thread = threading.Thread(target=main, daemon=True)
        thread.start()
        assert ready.wait(60), "server did not start"
        server = RunningServer(holder["service"], holder["loop"], holder["stop"], thread)  # type: ignore[arg-type]
        running.append(server)
        return server

    yield start
    for server in running:
        server.shutdown()

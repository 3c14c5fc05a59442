"""Start and stop the whole service: model, batcher, engine, hub and server."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from recognizer.classifier import Backend, load_classifier
from recognizer.pipeline import Recognizer, RecognizerOptions
from recognizer.reading import DEFAULT_MIN_CONFIDENCE
from recognizer.service.batching import BatchingClassifier
from recognizer.service.engine import Engine, EngineConfig
from recognizer.service.hub import Hub
from recognizer.service.server import Service, ServiceConfig
from recognizer.service.sources import SourceSpec

__all__ = ["ServeOptions", "live_recognizer_options", "run_service"]


@dataclass(frozen=True)
class ServeOptions:
    service: ServiceConfig
    engine: EngineConfig
    sources: tuple[SourceSpec, ...] = ()
    model_dir: Path | None = None
    backend: Backend = "auto"
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    # Sharpen frames smeared by the camera's motion (see live_recognizer_options).
    sharpen_motion: bool = False


def live_recognizer_options(
    min_confidence: float = DEFAULT_MIN_CONFIDENCE, *, sharpen_motion: bool = False
) -> RecognizerOptions:
    """How camera frames are read."""
    # A camera is not turned on its side between frames: skipping that check saves time on every frame.
    # Digits cut by the frame's edge would be read as other digits, however close the camera is:
    # a frame is never a crop made around its writing.
    # A frame smeared by the camera's motion is not sharpened unless asked (``sharpen_motion``), and
    # then only by the line found, never searched around it: the next frame comes in a few tens of
    # milliseconds, and a camera held still reads sharp frames. Sharpening looks at every frame read
    # less than sure, and reads a smeared one twice: over the bundled video's 300 frames (no motion
    # blur in it) it read exactly as well without, and by turns in one process (every third frame,
    # three rounds, one OpenCV thread) the median went 80.6 -> 87.6 ms, the mean 88.5 -> 113.3 ms and
    # the p95 148.8 -> 355.0 ms; `serve_bench.py`'s p95 was 442.8 ms at 13.2 readings a second. On
    # still desk photos and webcam snapshots that are smeared (189 pictures of ten generated sets),
    # sharpening by the found line read 598 errors against 635 without, at 215 ms a picture against 142.
    return RecognizerOptions(
        min_confidence=min_confidence,
        drop_edge_digits=True,
        detect_rotation=False,
        may_be_crop=False,
        undo_motion_blur=sharpen_motion,
        search_blur_line=False,
    )


async def run_service(
    options: ServeOptions,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Service], None] | None = None,
    handle_signals: bool = True,
) -> None:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM); then release sources and close clients cleanly."""
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    classifier = load_classifier(options.model_dir, options.backend)
    batcher = BatchingClassifier(classifier)
    live = Recognizer(batcher, live_recognizer_options(options.min_confidence, sharpen_motion=options.sharpen_motion))
    uploads = Recognizer(batcher, RecognizerOptions(min_confidence=options.min_confidence))
    hub = Hub(stall_timeout=options.service.stall_timeout)
    engine = Engine(list(options.sources), live, batcher, hub, loop, options.engine)
    service = Service(options.service, uploads, hub, engine)
    installed: list[signal.Signals] = []
    if handle_signals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, stop.set)
                installed.append(signum)
    await service.start()
    engine.start()
    try:
        if on_ready is not None:
            on_ready(service)
        await stop.wait()
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        # Sources first (release cameras), then clients get a proper close frame.
        await loop.run_in_executor(None, engine.stop)
        await service.close()
        batcher.close()

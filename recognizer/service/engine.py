"""The live pipeline: sources -> workers -> (batched) classifier -> stable numbers -> hub.

Worker threads take the newest pending frame of any source, read it (each in its
own reader process, or in the thread itself) with the shared classifier, which
batches crops across workers, update the stream's stable numbers, and hand the
messages to the event loop, which owns the hub. Workers never wait on subscribers.
"""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy.typing as npt

from recognizer.pipeline import Recognizer
from recognizer.reading import Frame
from recognizer.service.batching import BatchingClassifier
from recognizer.service.hub import Hub, Outgoing, encode
from recognizer.service.protocol import Changed, ReadingMessage, Status, Thumbnail
from recognizer.service.reader_process import ReaderProcess
from recognizer.service.sources import FrameSource, NewestFrames, SourceSpec
from recognizer.service.stability import StabilityTracker

__all__ = ["Engine", "EngineConfig", "default_workers", "use_processes"]

THUMBNAIL_WIDTH = 640


def default_workers() -> int:
    """Workers for any number of sources: two (as reader processes) wherever there are two cores.

    Reading a 1280x720 frame takes 40-60 ms of one core, longer than a 30 fps camera leaves
    between frames. One worker reads 22-25 frames a second at a p95 of 81-91 ms in a quiet
    hour; two reader processes read every frame (29.7 a second) at a p95 of 92 ms
    (benchmarks/serve_bench.py), and for several cameras they are better on both counts.
    """
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def use_processes(workers: int, threads: bool = False) -> bool:
    """Whether workers read in reader processes: always when there are several, unless told otherwise.

    Much of reading a frame is Python, which the threads of one process run one at a time: as
    threads, a second worker raised the frame rate by a quarter but added half again to the
    latency. One worker gains nothing from a process of its own and pays for the hand-over.
    """
    return workers > 1 and not threads


@dataclass(frozen=True)
class EngineConfig:
    workers: int = 2
    stable_frames: int = 3
    # ... out of this many recent frames.
    stable_window: int = 5
    # Read frames in reader processes (see reader_process) rather than in the worker threads;
    # None: as use_processes says for this many workers.
    processes: bool | None = None


class Engine:
    """Runs the sources and workers; publishes to ``hub`` on ``loop``."""

    def __init__(
        self,
        specs: list[SourceSpec],
        recognizer: Recognizer,
        batcher: BatchingClassifier,
        hub: Hub,
        loop: asyncio.AbstractEventLoop,
        config: EngineConfig | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        self.recognizer = recognizer
        self.batcher = batcher
        self.hub = hub
        self.loop = loop
        self.frames = NewestFrames()
        self.sources = {spec.name: FrameSource(spec, self.frames, self._on_status) for spec in specs}
        self.trackers = {
            spec.name: StabilityTracker(self.config.stable_frames, self.config.stable_window) for spec in specs
        }
        self._tracker_lock = threading.Lock()
        # Frames finish out of order with several workers; publish each stream in capture order.
        self._order_lock = threading.Lock()
        self._in_flight: dict[str, set[int]] = {spec.name: set() for spec in specs}
        self._finished: dict[str, dict[int, list[Outgoing]]] = {spec.name: {} for spec in specs}
        self._stop = threading.Event()
        processes = use_processes(self.config.workers) if self.config.processes is None else self.config.processes
        self._readers: list[ReaderProcess | None] = [
            ReaderProcess(recognizer.options, batcher, name=f"reader-{i}") if processes else None
            for i in range(self.config.workers)
        ]
        self._workers = [
            threading.Thread(target=self._work, args=(reader,), name=f"worker-{i}", daemon=True)
            for i, reader in enumerate(self._readers)
        ]
        self.frames_read = 0
        self.errors = 0
        # Recently published (stream, frame) pairs: what every subscriber should have been offered.
        self.published: deque[tuple[str, int]] = deque(maxlen=10_000)

    def describe_streams(self) -> list[dict[str, object]]:
        return [{**source.spec.describe(), "state": source.state} for source in self.sources.values()]

    def start(self) -> None:
        for reader in self._readers:
            if reader is not None:
                reader.start()
        for worker in self._workers:
            worker.start()
        for source in self.sources.values():
            source.start()

    def stop(self) -> None:
        self._stop.set()
        for source in self.sources.values():
            source.stop()
        self.frames.close()
        for worker in self._workers:
            worker.join(timeout=5)
        for reader in self._readers:
            if reader is not None:
                reader.close()

    def _publish(self, build: Callable[[], None]) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(build)

    def _on_status(self, stream: str, state: str, message: str) -> None:
        status = Status(stream=stream, state=state, message=message, at=time.time())
        self._publish(lambda: self.hub.publish(encode(status, "status", stream, droppable=False)))

    def _take(self) -> tuple[str, Frame] | None:
        # The order lock is only taken once a frame is there: held while waiting, it would keep
        # the other worker from handing over a finished frame until a new one came in.
        return self.frames.take(timeout=0.5, on_take=self._mark_in_flight)

    def _mark_in_flight(self, stream: str, frame: Frame) -> None:
        with self._order_lock:
            self._in_flight[stream].add(frame.index)

    def _finish(self, stream: str, index: int, messages: list[Outgoing]) -> None:
        """Record a finished frame; hand over, in order, every frame no earlier frame is waiting on."""
        with self._order_lock:
            self._in_flight[stream].discard(index)
            self._finished[stream][index] = messages
            waiting = min(self._in_flight[stream], default=None)
            ready = sorted(i for i in self._finished[stream] if waiting is None or i < waiting)
            batches = [(i, self._finished[stream].pop(i)) for i in ready]

        def deliver() -> None:
            for frame_index, batch in batches:
                self.published.append((stream, frame_index))
                for item in batch:
                    self.hub.publish(item)

        if batches:
            self._publish(deliver)

    def _work(self, reader: ReaderProcess | None) -> None:
        read = self.recognizer.read if reader is None else reader.read
        while not self._stop.is_set():
            item = self._take()
            if item is None:
                continue
            stream, frame = item
            try:
                with self.batcher.participant():
                    reading = read(frame)
            except Exception as error:  # noqa: BLE001 - one bad frame must not stop the stream
                self.errors += 1
                self._finish(stream, frame.index, [])
                self._on_status(stream, "lost", f"frame {frame.index} could not be read: {error}")
                continue
            self.frames_read += 1
            numbers = [number.text for number in reading.numbers]
            with self._tracker_lock:
                stable, change = self.trackers[stream].update(frame.index, numbers)
            thumbnail = self._thumbnail(stream, frame)
            published_at = time.time()
            message = ReadingMessage(
                stream=stream,
                frame=frame.index,
                captured_at=frame.captured_at,
                published_at=published_at,
                reading=reading,
                stable=stable,
            )
            outgoing = [encode(message, "reading", stream)]
            if change is not None:
                changed = Changed(stream, frame.index, published_at, stable, change.added, change.removed)
                outgoing.append(encode(changed, "changed", stream, droppable=False))
            if thumbnail is not None:
                outgoing.append(encode(thumbnail, "frame", stream))
            self._finish(stream, frame.index, outgoing)

    def _thumbnail(self, stream: str, frame: Frame) -> Thumbnail | None:
        """A small JPEG of the frame, only when a viewer asked for this stream's frames."""
        if self.hub.wants_thumbnails(stream) is None:
            return None
        image: npt.NDArray[Any] = frame.image
        scale = min(1.0, THUMBNAIL_WIDTH / image.shape[1])
        if scale < 1.0:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 70])
        if not ok:
            return None
        return Thumbnail(
            stream=stream,
            frame=frame.index,
            width=frame.width,
            height=frame.height,
            jpeg=base64.b64encode(encoded.tobytes()).decode("ascii"),
        )

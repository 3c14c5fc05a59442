"""Reading frames in child processes, so that two cores read two frames at once.

Most of reading a frame is Python (segmenting, decoding), and the threads of one process
run Python one at a time: a second worker thread on two cores raised the frame rate by a
quarter and half again the latency. A :class:`ReaderProcess` runs the recognizer in a
child process instead. Only classification stays here: the child sends its crops back
over the pipe to this process's classifier (the :class:`BatchingClassifier` of the
service), so crops of frames read in different processes still share one model call and
the model is loaded once.

Frames go through shared memory, not the pipe: pickling a 1280x720 frame into the pipe
cost the service 5 ms of CPU per frame, copying it into shared memory a fraction of one.

The child is started with ``spawn`` (the service has threads, which ``fork`` would copy
in whatever state they are in). If it dies, the frame it was reading fails with
:class:`ReaderError` and the next frame starts a new child.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np
import numpy.typing as npt

from recognizer.classifier import Classifier, ModelInfo, Predictions
from recognizer.pipeline import Recognizer, RecognizerOptions
from recognizer.reading import Frame, Reading

__all__ = ["ReaderError", "ReaderProcess"]

# Seconds a child gets to leave on its own at shutdown before it is terminated.
STOP_TIMEOUT = 2.0


class ReaderError(RuntimeError):
    """A frame could not be read in the child process."""


class _RemoteClassifier:
    """The child's classifier: asks the parent process, which owns the model."""

    def __init__(self, connection: Connection, info: ModelInfo) -> None:
        self.info = info
        self._connection = connection

    def classify(self, digits: npt.NDArray[np.float32]) -> Predictions:
        self._connection.send(("classify", digits))
        kind, payload = self._connection.recv()
        if kind != "predictions":
            raise ReaderError(f"classifier failed in the service: {payload}")
        return Predictions.from_probabilities(payload)


@dataclass(frozen=True)
class _SharedFrame:
    """A frame whose pixels wait in the shared memory block ``memory``."""

    memory: str
    shape: tuple[int, ...]
    dtype: str
    source: str
    index: int
    captured_at: float


class _FrameMemory:
    """The child's view of the parent's shared frame block (re-attached when the parent grows it)."""

    def __init__(self) -> None:
        self._memory: SharedMemory | None = None

    def frame(self, shared: _SharedFrame) -> Frame:
        if self._memory is None or self._memory.name != shared.memory:
            self.close()
            self._memory = SharedMemory(name=shared.memory)
        image: npt.NDArray[np.uint8] = np.ndarray(shared.shape, np.dtype(shared.dtype), buffer=self._memory.buf)
        # The parent still publishes this frame's thumbnail: reading must not draw on it.
        image.flags.writeable = False
        return Frame(image, shared.source, shared.index, shared.captured_at)

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory = None


def _child_main(connection: Connection, options: RecognizerOptions, info: ModelInfo) -> None:
    # Ctrl-C reaches the whole process group: the parent shuts the children down itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    recognizer = Recognizer(_RemoteClassifier(connection, info), options)
    frames = _FrameMemory()
    try:
        while True:
            try:
                kind, payload = connection.recv()
            except (EOFError, OSError):
                return
            if kind == "stop":
                return
            try:
                frame = frames.frame(payload)
                reading = recognizer.read(frame)
            except Exception as error:  # noqa: BLE001 - reported to the parent, which reports the frame
                connection.send(("error", f"{type(error).__name__}: {error}"))
                continue
            finally:
                frame = None  # type: ignore[assignment]  # the view must go before the block can be closed
            connection.send(("reading", reading))
    finally:
        frames.close()


class ReaderProcess:
    """Reads frames with ``options`` in a child process; classifies its crops with ``classifier``.

    One caller at a time: each worker thread of the engine owns one.
    """

    def __init__(self, options: RecognizerOptions, classifier: Classifier, name: str = "reader") -> None:
        self.options = options
        self.classifier = classifier
        self.name = name
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._process: Any = None
        self._connection: Connection | None = None
        self._memory: SharedMemory | None = None
        self._closed = False
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        """The child's process id, while there is one."""
        return None if self._process is None else int(self._process.pid)

    def start(self) -> None:
        """Start the child now (reading the first frame would otherwise start it)."""
        with self._lock:
            if not self._closed:
                self._ensure_started()

    def _ensure_started(self) -> Connection:
        if self._connection is not None and self._process is not None and self._process.is_alive():
            return self._connection
        if self._process is not None:
            self.restarts += 1
            self._discard()
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_child_main, args=(child, self.options, self.classifier.info), name=self.name, daemon=True
        )
        process.start()
        child.close()
        self._process, self._connection = process, parent
        return parent

    def read(self, frame: Frame) -> Reading:
        """Read ``frame`` in the child; raises :class:`ReaderError` if that fails."""
        with self._lock:
            if self._closed:
                raise ReaderError(f"reader process {self.name} is closed")
            connection = self._ensure_started()
            try:
                connection.send(("read", self._share(frame)))
                while True:
                    kind, payload = connection.recv()
                    if kind == "reading":
                        reading: Reading = payload
                        return reading
                    if kind == "error":
                        raise ReaderError(payload)
                    self._answer(connection, payload)
            except (EOFError, OSError, BrokenPipeError) as error:
                self._discard()
                raise ReaderError(f"reader process {self.name} stopped: {error or type(error).__name__}") from None

    def _share(self, frame: Frame) -> _SharedFrame:
        """Copy the frame's pixels into the shared block (the child reads one frame at a time)."""
        image = np.ascontiguousarray(frame.image)
        if self._memory is None or self._memory.size < image.nbytes:
            self._release_memory()
            self._memory = SharedMemory(create=True, size=image.nbytes)
        np.ndarray(image.shape, image.dtype, buffer=self._memory.buf)[...] = image
        return _SharedFrame(
            self._memory.name, image.shape, image.dtype.str, frame.source, frame.index, frame.captured_at
        )

    def _release_memory(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory.unlink()
            self._memory = None

    def _answer(self, connection: Connection, digits: npt.NDArray[np.float32]) -> None:
        try:
            predictions = self.classifier.classify(digits)
        except Exception as error:  # noqa: BLE001 - the child reports it as the frame's error
            connection.send(("error", f"{type(error).__name__}: {error}"))
            return
        connection.send(("predictions", predictions.probabilities))

    def _discard(self) -> None:
        connection, process = self._connection, self._process
        self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            process.join(timeout=0.1)
            if process.is_alive():
                process.terminate()
                process.join(timeout=STOP_TIMEOUT)

    def close(self) -> None:
        """Ask the child to leave; terminate it if it does not."""
        if not self._lock.acquire(timeout=STOP_TIMEOUT):
            # A frame is still being read (the child hangs?): ending the child ends that read too.
            if self._process is not None:
                self._process.terminate()
            self._lock.acquire()
        try:
            self._closed = True
            if self._connection is not None:
                try:
                    self._connection.send(("stop", None))
                except (OSError, BrokenPipeError):
                    pass
            if self._process is not None:
                self._process.join(timeout=STOP_TIMEOUT)
            self._discard()
            self._process = None
            self._release_memory()
        finally:
            self._lock.release()

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

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.shared_memory import SharedMemory

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.allocator import keep_freed_buffers
from recognizer.classifier import Classifier, ModelInfo, Predictions
from recognizer.pipeline import Recognizer, RecognizerOptions
from recognizer.prepare import warm_up
from recognizer.reading import Frame, Reading

__all__ = ["ReaderError", "ReaderProcess", "describe_failure"]

# Seconds a child gets to leave on its own at shutdown before it is terminated.
STOP_TIMEOUT = 2.0
# A child that died this many times in a row is restarted only after a delay, doubling up to
# MAX_RETRY_DELAY seconds: one that cannot start at all must not be respawned for every frame.
RETRY_AFTER_FAILURES = 3
MAX_RETRY_DELAY = 30.0
# The shared block grows with the frames; one over KEEP_BYTES (a huge scan) is given back
# when a frame needs less than 1/SHRINK_FACTOR of it.
SHRINK_FACTOR = 4
KEEP_BYTES = 64 * 1024 * 1024


class ReaderError(RuntimeError):
    """A frame could not be read in the child process."""


def describe_failure(error: BaseException) -> str:
    """How a frame's failure is worded, in this process or the child: a ReaderError already is."""
    return str(error) if isinstance(error, ReaderError) else f"{type(error).__name__}: {error}"


class _RemoteClassifier:
    """The child's classifier: asks the parent process, which owns the model."""

    def __init__(self, connection: Connection, info: ModelInfo) -> None:
        self.info = info
        self._connection = connection

    def classify(self, digits: npt.NDArray[np.float32]) -> Predictions:
        self._connection.send(("classify", digits))
        kind, payload = self._connection.recv()
        if kind != "predictions":
            raise ReaderError(payload)  # the service's classifier failed; its own words
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
    # The readers run side by side, a frame each, so OpenCV's own worker threads would only
    # compete with the other reader for the same cores (and they wait for work actively).
    # Measured here on the bundled video, one thread reads a frame in about the same wall time
    # and a fifth less CPU.
    cv2.setNumThreads(1)
    keep_freed_buffers()  # a frame's arrays reuse the last frame's memory (see recognizer.allocator)
    warm_up()  # while the first frame is on its way
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
                frame = payload if isinstance(payload, Frame) else frames.frame(payload)
                reading = recognizer.read(frame)
            except Exception as error:  # noqa: BLE001 - reported to the parent, which reports the frame
                # Worded as reading in the parent would word it.
                connection.send(("error", describe_failure(error)))
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
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._memory: SharedMemory | None = None
        self._closed = False
        self._started = False
        self.restarts = 0
        # A child that keeps dying is not started again before this time (monotonic seconds).
        self._failures = 0
        self._retry_at = 0.0

    @property
    def pid(self) -> int | None:
        """The child's process id, while there is one."""
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Start the child now (reading the first frame would otherwise start it)."""
        with self._lock:
            if not self._closed:
                self._ensure_started()

    def _ensure_started(self) -> Connection:
        if self._connection is not None and self._process is not None and self._process.is_alive():
            return self._connection
        self._discard()  # a child that died between frames
        if time.monotonic() < self._retry_at:
            raise ReaderError(f"reader process {self.name} failed {self._failures} times in a row; retrying later")
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_child_main, args=(child, self.options, self.classifier.info), name=self.name, daemon=True
        )
        with _sigint_ignored():
            process.start()
        child.close()
        if self._started:
            self.restarts += 1
        self._started = True
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
                        self._failures = 0
                        reading: Reading = payload
                        return reading
                    if kind == "error":
                        raise ReaderError(payload)
                    self._answer(connection, payload)
            except ReaderError:
                raise
            except (EOFError, OSError) as error:
                self._child_failed()
                raise ReaderError(f"reader process {self.name} stopped: {str(error) or type(error).__name__}") from None
            except BaseException:
                # Interrupted mid-conversation (Ctrl-C, a bug): the child's next message would be
                # taken as the answer to the next frame, so it goes.
                self._discard()
                raise

    def _child_failed(self) -> None:
        self._discard()
        self._failures += 1
        if self._failures >= RETRY_AFTER_FAILURES:
            self._retry_at = time.monotonic() + min(MAX_RETRY_DELAY, 2.0 ** (self._failures - RETRY_AFTER_FAILURES))

    def _share(self, frame: Frame) -> _SharedFrame | Frame:
        """Copy the frame's pixels into the shared block (the child reads one frame at a time).

        When the block cannot be had (a container's small /dev/shm), the frame goes through the pipe.
        """
        image = np.ascontiguousarray(frame.image)
        size = max(1, image.nbytes)
        if self._memory is not None and (
            self._memory.size < size or self._memory.size > max(KEEP_BYTES, SHRINK_FACTOR * size)
        ):
            # Grown for the largest frame so far; given back after an unusually large one.
            self._release_memory()
        if self._memory is None:
            try:
                self._memory = _reserved_memory(size)
            except OSError:
                return frame
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
            connection.send(("error", describe_failure(error)))
            return
        connection.send(("predictions", predictions.probabilities))

    def _discard(self) -> None:
        connection, process = self._connection, self._process
        self._connection = self._process = None
        if connection is not None:
            connection.close()
        if process is not None:
            process.join(timeout=0.1)
            if process.is_alive():
                process.terminate()
                process.join(timeout=STOP_TIMEOUT)

    def close(self) -> None:
        """Ask the child to leave; terminate it if it does not."""
        self._closed = True  # no new frame starts from here on
        if not self._lock.acquire(timeout=STOP_TIMEOUT):
            # A frame is still being read (the child hangs?): ending the child ends that read too.
            process = self._process
            if process is not None:
                process.terminate()
            if not self._lock.acquire(timeout=STOP_TIMEOUT):
                return  # the reading thread cleans up when its read fails
        try:
            if self._connection is not None:
                with contextlib.suppress(OSError):
                    self._connection.send(("stop", None))
            if self._process is not None:
                self._process.join(timeout=STOP_TIMEOUT)
            self._discard()
            self._release_memory()
        finally:
            self._lock.release()


def _reserved_memory(size: int) -> SharedMemory:
    """A new shared block whose pages are really there.

    A block on a full /dev/shm is created all the same, and writing to it kills the process
    with SIGBUS: reserving the pages first turns that into an OSError.
    """
    memory = SharedMemory(create=True, size=size)
    descriptor = getattr(memory, "_fd", -1)
    if hasattr(os, "posix_fallocate") and descriptor >= 0:
        try:
            os.posix_fallocate(descriptor, 0, size)
        except OSError:
            memory.close()
            memory.unlink()
            raise
    return memory


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Start a child with SIGINT ignored: Ctrl-C in its first second would print its traceback.

    An ignored signal stays ignored across exec, and Python then installs no KeyboardInterrupt
    handler. Handlers can only be set from the main thread: a child restarted by a worker
    thread starts as it would have.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)

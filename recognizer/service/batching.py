"""Dynamic batching: crops from different frames and streams share one model call.

Pipeline workers call :meth:`BatchingClassifier.classify` as they would any
classifier. Requests queue up; a batch goes to the model when it is full, when
its deadline passes, or at once when every worker that could add to it is
already waiting (there is nobody left to wait for), as inference servers do.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from recognizer.classifier import Classifier, ModelInfo, Predictions, as_batch

__all__ = ["BatchingClassifier", "BatchStats"]


@dataclass
class _Request:
    digits: npt.NDArray[np.float32]
    done: threading.Event = field(default_factory=threading.Event)
    result: Predictions | None = None
    error: BaseException | None = None


@dataclass
class BatchStats:
    batches: int = 0
    requests: int = 0
    crops: int = 0

    @property
    def requests_per_batch(self) -> float:
        return self.requests / self.batches if self.batches else 0.0


class BatchingClassifier:
    """A :class:`Classifier` that merges concurrent requests into batches."""

    def __init__(self, inner: Classifier, max_batch: int = 256, max_wait: float = 0.002) -> None:
        self.inner = inner
        self.info: ModelInfo = inner.info
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.stats = BatchStats()
        self._pending: list[_Request] = []
        self._condition = threading.Condition()
        self._participants = 0
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="batcher", daemon=True)
        self._thread.start()

    @contextlib.contextmanager
    def participant(self) -> Iterator[None]:
        """Mark a worker as busy with a frame: a batch may wait for its crops."""
        with self._condition:
            self._participants += 1
        try:
            yield
        finally:
            with self._condition:
                self._participants -= 1
                self._condition.notify_all()

    def classify(self, digits: npt.NDArray[np.float32]) -> Predictions:
        batch = as_batch(digits)
        if len(batch) == 0:
            return self.inner.classify(batch)
        if len(batch) > self.max_batch:
            # A big page goes in max_batch pieces, so live frames' crops can join between them
            # instead of waiting for one long model call.
            parts = [self.classify(batch[i : i + self.max_batch]) for i in range(0, len(batch), self.max_batch)]
            return Predictions(
                np.concatenate([part.labels for part in parts]), np.concatenate([part.probabilities for part in parts])
            )
        request = _Request(batch)
        with self._condition:
            if self._closed:
                raise RuntimeError("classifier is closed")
            self._pending.append(request)
            self._condition.notify_all()
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._thread.join(timeout=5)

    def _ready(self, deadline: float) -> bool:
        crops = sum(len(r.digits) for r in self._pending)
        everyone_waiting = len(self._pending) >= max(1, self._participants)
        return crops >= self.max_batch or everyone_waiting or time.monotonic() >= deadline

    def _serve(self) -> None:
        while True:
            with self._condition:
                while not self._pending and not self._closed:
                    self._condition.wait()
                if self._closed and not self._pending:
                    return
                deadline = time.monotonic() + self.max_wait
                while not self._ready(deadline):
                    self._condition.wait(max(0.0, deadline - time.monotonic()))
                batch, self._pending = _take_up_to(self._pending, self.max_batch)
            self._run(batch)

    def _run(self, batch: list[_Request]) -> None:
        try:
            merged = np.concatenate([request.digits for request in batch])
            predictions = self.inner.classify(merged)
        except BaseException as error:  # noqa: BLE001 - handed to every waiting caller
            for request in batch:
                request.error = error
                request.done.set()
            return
        self.stats.batches += 1
        self.stats.requests += len(batch)
        self.stats.crops += len(merged)
        start = 0
        for request in batch:
            stop = start + len(request.digits)
            request.result = Predictions(predictions.labels[start:stop], predictions.probabilities[start:stop])
            request.done.set()
            start = stop


def _take_up_to(pending: list[_Request], max_crops: int) -> tuple[list[_Request], list[_Request]]:
    """The oldest requests that fit in ``max_crops`` (at least one), and the rest."""
    crops = 0
    for count, request in enumerate(pending):
        if count and crops + len(request.digits) > max_crops:
            return pending[:count], pending[count:]
        crops += len(request.digits)
    return pending, []

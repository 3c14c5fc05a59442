"""Read many inputs, page by page, reporting bad ones without stopping.

With ``jobs`` above 1, pages are read in that many reader processes at once (one per
core is what helps), and their readings still come out in input order.
"""

from __future__ import annotations

import queue
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from recognizer.inputs import DEFAULT_MAX_PIXELS, InputError, expand_paths, read_pages
from recognizer.pipeline import Recognizer
from recognizer.reading import Frame, Reading

__all__ = ["BatchSummary", "iter_pages", "read_inputs"]


@dataclass
class BatchSummary:
    pages_read: int = 0
    errors: int = 0


def iter_pages(paths: Iterable[str], max_pixels: int = DEFAULT_MAX_PIXELS) -> Iterator[Frame | InputError]:
    """Every page of every input, in order, or the error that stopped it."""
    for item in expand_paths(paths):
        if isinstance(item, InputError):
            yield item
            continue
        for result in read_pages(item, max_pixels):
            if result.error is not None:
                yield result.error
            elif result.frame is not None:
                yield result.frame


def read_inputs(
    paths: Iterable[str],
    recognizer: Recognizer,
    on_reading: Callable[[Frame, Reading], None],
    on_error: Callable[[InputError], None],
    max_pixels: int = DEFAULT_MAX_PIXELS,
    jobs: int = 1,
) -> BatchSummary:
    """Read every page; one bad page is reported through ``on_error`` and the rest are still read.

    ``jobs`` above 1 reads that many pages at once in reader processes; output order is unchanged.
    """
    summary = BatchSummary()

    def report(item: Frame | InputError, outcome: Reading | Exception | None) -> None:
        if isinstance(item, InputError):
            summary.errors += 1
            on_error(item)
        elif isinstance(outcome, Reading):
            on_reading(item, outcome)
            summary.pages_read += 1
        else:
            # Imported here, as the reader processes are: one job needs none of that machinery.
            from recognizer.service.reader_process import describe_failure

            assert outcome is not None  # a page that was read has a reading or its error
            summary.errors += 1
            on_error(InputError(item.source, f"could not be read: {describe_failure(outcome)}", item.index))

    if jobs <= 1:
        for item in iter_pages(paths, max_pixels):
            report(item, None if isinstance(item, InputError) else _read_one(recognizer.read, item))
        return summary
    with _ReaderPool(recognizer, jobs) as pool:
        # Pages in flight, oldest first: each is reported once it and every page before it are done.
        # One page beyond the jobs is decoded ahead (enough to keep them busy), so a folder of
        # large scans does not fill the memory.
        pending: deque[tuple[Frame | InputError, Future[Reading | Exception] | None]] = deque()

        def report_oldest() -> None:
            done, future = pending.popleft()
            report(done, None if future is None else future.result())

        for item in iter_pages(paths, max_pixels):
            pending.append((item, None if isinstance(item, InputError) else pool.submit(item)))
            while pending and (len(pending) > jobs + 1 or pending[0][1] is None or pending[0][1].done()):
                report_oldest()
        while pending:
            report_oldest()
    return summary


def _read_one(read: Callable[[Frame], Reading], frame: Frame) -> Reading | Exception:
    try:
        return read(frame)
    except Exception as error:  # noqa: BLE001 - one page that breaks the pipeline must not stop the batch
        return error


class _ReaderPool:
    """``jobs`` reader processes sharing the recognizer's classifier (batched) in this process."""

    def __init__(self, recognizer: Recognizer, jobs: int) -> None:
        # Imported here: reading one page at a time needs none of the process machinery.
        from recognizer.service.batching import BatchingClassifier
        from recognizer.service.reader_process import ReaderProcess

        self._batcher = BatchingClassifier(recognizer.classifier)
        self._readers: list[ReaderProcess] = [
            ReaderProcess(recognizer.options, self._batcher, name=f"reader-{i}") for i in range(jobs)
        ]
        self._free: queue.SimpleQueue[ReaderProcess] = queue.SimpleQueue()
        for reader in self._readers:
            reader.start()
            self._free.put(reader)
        self._executor = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="reader")

    def submit(self, frame: Frame) -> Future[Reading | Exception]:
        return self._executor.submit(self._read, frame)

    def _read(self, frame: Frame) -> Reading | Exception:
        reader = self._free.get()
        try:
            with self._batcher.participant():
                return _read_one(reader.read, frame)
        finally:
            self._free.put(reader)

    def __enter__(self) -> _ReaderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        for reader in self._readers:
            reader.close()
        self._batcher.close()

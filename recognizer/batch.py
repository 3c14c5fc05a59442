"""Read many inputs, page by page, reporting bad ones without stopping."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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
) -> BatchSummary:
    """Read every page; one bad page is reported through ``on_error`` and the rest are still read."""
    summary = BatchSummary()
    for item in iter_pages(paths, max_pixels):
        if isinstance(item, InputError):
            summary.errors += 1
            on_error(item)
            continue
        try:
            reading = recognizer.read(item)
        except Exception as error:  # noqa: BLE001 - one page that breaks the pipeline must not stop the batch
            summary.errors += 1
            on_error(InputError(item.source, f"could not be read: {type(error).__name__}: {error}", item.index))
            continue
        on_reading(item, reading)
        summary.pages_read += 1
    return summary

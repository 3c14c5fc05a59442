"""How fast this machine runs right now: a fixed workload timed beside each benchmark.

The project's machines are shared, and the same code has run twice as slowly on one day as on
the day before. A benchmark's times alone cannot tell a slower revision from a slower hour, so
each benchmark also times this workload, which no change to the recognizer touches, just before
and just after its own run, and reports its times in multiples of it as well.

The workload is the kind of work a reading does (one OpenCV thread, as a reader process runs):
a 1280x720 picture of fixed noise turned grey, blurred, thresholded against its neighbourhood,
opened, labelled into components and halved, and a million floats sorted.
"""

from __future__ import annotations

import statistics
import time

import cv2
import numpy as np

__all__ = ["reference_ms"]

# Seeded, so that every run times the very same pixels.
_SEED = 20261208


def _workload(picture: np.ndarray, values: np.ndarray) -> int:
    grey = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)
    smooth = cv2.GaussianBlur(grey, (5, 5), 0)
    ink = cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 10)
    ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, _, _, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    cv2.resize(grey, (640, 360), interpolation=cv2.INTER_AREA)
    np.sort(values)
    return int(count)


def reference_ms(repeats: int = 15) -> float:
    """The workload's median wall time in milliseconds over ``repeats`` runs, after one warm-up."""
    rng = np.random.default_rng(_SEED)
    picture = rng.integers(0, 256, size=(720, 1280, 3), dtype=np.uint8)
    values = rng.random(1_000_000)
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        _workload(picture, values)
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            _workload(picture, values)
            timings.append((time.perf_counter() - started) * 1000.0)
    finally:
        cv2.setNumThreads(threads)
    return statistics.median(timings)

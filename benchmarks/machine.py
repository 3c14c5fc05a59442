"""How fast this machine runs right now: a fixed workload timed beside each benchmark.

The project's machines are shared, and the same code has run twice as slowly a few hours after
a run as in it. A benchmark's times alone cannot tell a slower revision from a slower hour, so
`read_bench.py` also times this workload, which no change to the recognizer touches, just before
and just after its own run, and reports its medians in multiples of it as well.

The workload is the kind of work a reading does (one OpenCV thread, as a reader process runs):
a 1280x720 picture of fixed noise turned grey, blurred, thresholded against its neighbourhood,
opened, labelled into components and halved, and a million floats sorted, every result written
into buffers made once.
"""

from __future__ import annotations

import statistics
import time

import cv2
import numpy as np

__all__ = ["reference_ms"]

# Seeded, so that every run times the very same pixels.
_SEED = 20261208


class _Workload:
    """The pictures and every buffer the workload writes into, allocated once: the timings then
    measure the work, not the allocator (which `digits read` tunes, recognizer.allocator, after the
    first timing of a benchmark and before the second)."""

    def __init__(self) -> None:
        rng = np.random.default_rng(_SEED)
        self.picture = rng.integers(0, 256, size=(720, 1280, 3), dtype=np.uint8)
        self.values = rng.random(1_000_000)
        self.sorted = np.empty_like(self.values)
        self.grey = np.empty((720, 1280), np.uint8)
        self.smooth = np.empty_like(self.grey)
        self.ink = np.empty_like(self.grey)
        self.opened = np.empty_like(self.grey)
        self.labels = np.empty((720, 1280), np.int32)
        self.half = np.empty((360, 640), np.uint8)
        self.kernel = np.ones((3, 3), np.uint8)

    def run(self) -> None:
        cv2.cvtColor(self.picture, cv2.COLOR_BGR2GRAY, dst=self.grey)
        cv2.GaussianBlur(self.grey, (5, 5), 0, dst=self.smooth)
        cv2.adaptiveThreshold(self.smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 10, dst=self.ink)
        cv2.morphologyEx(self.ink, cv2.MORPH_OPEN, self.kernel, dst=self.opened)
        cv2.connectedComponents(self.opened, labels=self.labels, connectivity=8)
        cv2.resize(self.grey, (640, 360), dst=self.half, interpolation=cv2.INTER_AREA)
        np.copyto(self.sorted, self.values)
        self.sorted.sort()


def reference_ms(repeats: int = 25) -> float:
    """The workload's median wall time in milliseconds over ``repeats`` runs, after one warm-up."""
    workload = _Workload()
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        workload.run()
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            workload.run()
            timings.append((time.perf_counter() - started) * 1000.0)
    finally:
        cv2.setNumThreads(threads)
    return statistics.median(timings)

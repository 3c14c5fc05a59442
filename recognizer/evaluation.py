"""Run a reader over a folder of samples with truth files and score it.

Shared by the tests, ``benchmarks/read_bench.py`` and ``benchmarks/compare.py``:
every method is given the same frames and scored by :mod:`recognizer.scoring`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recognizer.inputs import read_pages
from recognizer.reading import Frame
from recognizer.scoring import PageTruth, Score, load_truth, score_page

__all__ = ["Sample", "load_samples", "MethodResult", "run_method", "percentile"]

# A reader returns the numbers it found, line by line in reading order.
Reader = Callable[[Frame], list[list[str]]]


@dataclass(frozen=True)
class Sample:
    path: Path
    truth: PageTruth
    frame: Frame
    kind: str

    @property
    def digit_count(self) -> int:
        return sum(len(number) for number in self.truth.numbers)


def load_samples(root: Path, kinds: tuple[str, ...] = ("pages", "photos")) -> list[Sample]:
    """Every page of every sample under ``root/<kind>/`` that has a ``.truth.json`` beside it."""
    samples: list[Sample] = []
    for kind in kinds:
        folder = root / kind
        if not folder.is_dir():
            continue
        for truth_path in sorted(folder.glob("*.truth.json")):
            pages = load_truth(truth_path)
            image_path = truth_path.parent / pages[0].source
            frames = {r.page: r.frame for r in read_pages(str(image_path)) if r.frame is not None}
            for truth in pages:
                frame = frames.get(truth.page)
                if frame is not None:
                    samples.append(Sample(image_path, truth, frame, kind))
    return samples


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


@dataclass
class MethodResult:
    name: str
    score: Score = field(default_factory=Score)
    seconds: list[float] = field(default_factory=list)
    seconds_by_kind: dict[str, list[float]] = field(default_factory=dict)
    failures: list[tuple[Sample, list[list[str]]]] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000 if self.seconds else float("nan")

    @property
    def p95_ms(self) -> float:
        return percentile(self.seconds, 95) * 1000

    def kind_ms(self, kind: str, q: float = 50) -> float:
        return percentile(self.seconds_by_kind.get(kind, []), q) * 1000


def run_method(
    name: str,
    reader: Reader,
    samples: list[Sample],
    repeats: int = 1,
    warmup: int = 1,
) -> MethodResult:
    """Read every sample (after ``warmup`` untimed reads), time each read, score the last one."""
    result = MethodResult(name)
    for sample in samples[:warmup]:
        reader(sample.frame)
    for sample in samples:
        predicted: list[list[str]] = []
        for _ in range(repeats):
            started = time.perf_counter()
            predicted = reader(sample.frame)
            elapsed = time.perf_counter() - started
            result.seconds.append(elapsed)
            result.seconds_by_kind.setdefault(sample.kind, []).append(elapsed)
        page_score = score_page(sample.truth, predicted)
        result.score.add(page_score, sample.truth.category or sample.kind)
        if page_score.matched_numbers < page_score.truth_numbers or page_score.character_errors:
            result.failures.append((sample, predicted))
    return result

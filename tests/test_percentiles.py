"""The shortcut percentiles give what ``np.percentile`` gives (linear), up to rounding."""

from __future__ import annotations

import numpy as np
import pytest

from recognizer.percentiles import percentile, percentiles_by_label


@pytest.mark.parametrize("q", [0.0, 25.0, 50.0, 80.0, 95.0, 100.0])
def test_percentile_matches_numpy(q: float) -> None:
    rng = np.random.default_rng(3)
    for size in (1, 2, 3, 10, 257):
        values = rng.integers(0, 256, size).astype(np.uint8)  # a rule's ink levels
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("q", [25.0, 50.0, 80.0])
def test_percentiles_by_label_match_numpy_label_by_label(q: float) -> None:
    rng = np.random.default_rng(4)
    for _ in range(200):
        count = int(rng.integers(2, 9))
        labels = rng.integers(1, count, int(rng.integers(1, 300))).astype(np.int32)
        # Roughness of the paper's pieces: float32 values of any scale.
        values = (rng.random(labels.size, dtype=np.float32) * rng.choice([1.0, 40.0, 255.0])).astype(np.float64)
        # Asked together with the median, as the paper's hull asks: each row as if asked alone.
        for row, level_q in zip(percentiles_by_label(labels, values, count, (q, 50.0)), (q, 50.0), strict=True):
            for label in range(count):
                members = values[labels == label]
                expected = float(np.percentile(members, level_q)) if members.size else 0.0
                assert row[label] == pytest.approx(expected, rel=1e-12, abs=1e-12)

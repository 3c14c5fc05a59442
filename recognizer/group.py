"""Group digits into numbers and lines, in reading order.

Within a text line, a gap wider than :data:`NUMBER_GAP` digit heights starts
a new number. Digits written in the boxes of one printed field belong to one
number whatever the gaps, and a field boundary always ends a number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from recognizer.decode import Candidate
from recognizer.reading import Box, Digit, Line, Number

__all__ = ["NUMBER_GAP", "group_line"]

# Handwritten digits of one number sit up to about half a height apart; numbers a height or more.
NUMBER_GAP = 0.8


# A 1 is a thin stroke in a digit-wide space: measure gaps as if every digit were this wide.
NOMINAL_WIDTH = 0.5


def _left(candidate: Candidate, height: float) -> float:
    return candidate.x + candidate.w / 2 - max(candidate.w, NOMINAL_WIDTH * height) / 2


def _right(candidate: Candidate, height: float) -> float:
    return candidate.x + candidate.w / 2 + max(candidate.w, NOMINAL_WIDTH * height) / 2


def group_line(
    candidates: Sequence[Candidate],
    fields: Sequence[int],
    to_box: Callable[[Candidate], Box],
    min_confidence: float,
) -> Line | None:
    """One text line of candidates (left to right) into numbers."""
    if not candidates:
        return None
    height = float(np.median([c.h for c in candidates]))
    numbers: list[list[Digit]] = []
    previous: Candidate | None = None
    previous_field = 0
    for candidate, field in zip(candidates, fields):
        digit = Digit(candidate.label, candidate.confidence, to_box(candidate), min_confidence)
        if previous is None:
            numbers.append([digit])
        else:
            gap = _left(candidate, height) - _right(previous, height)
            same_field = field != 0 and field == previous_field
            # Boxes of two different printed fields; a digit outside any field is judged by the gap.
            different_field = field != 0 and previous_field != 0 and field != previous_field
            if same_field or (not different_field and gap <= NUMBER_GAP * height):
                numbers[-1].append(digit)
            else:
                numbers.append([digit])
        previous, previous_field = candidate, field
    return Line(tuple(Number(tuple(digits)) for digits in numbers))

"""Group digits into numbers and lines, in reading order.

Within a text line, a gap wider than :data:`NUMBER_GAP` digit heights starts
a new number. Digits written in the boxes of one printed field belong to one
number whatever the gaps, and a field boundary always ends a number.

Text lines side by side at about the same height are one row of the page and
read as one line (:func:`rows`): a reader sees numbers written a little higher or
lower than their neighbours, or each at its own slant, as one row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from recognizer.decode import Candidate
from recognizer.reading import Box, Digit, Line, Number

__all__ = ["NUMBER_GAP", "Span", "group_line", "rows"]

# Handwritten digits of one number sit up to about half a height apart; numbers a height or more.
NUMBER_GAP = 0.8


# Text lines side by side whose heights overlap by this share of the smaller are one row of the
# page: numbers written a little above or below their neighbours, or each at its own slant, that
# line chaining (which follows one line's course) took apart. A row reads as one line. Numbers
# written at angles of their own, each a line of its own (segment.STEEP_COURSE), share less of
# their heights than numbers written level: over the eight sets, 0.5 -> 0.25 read 3,368 -> 3,332
# errors (numbers at an angle only; no picture worse on any of the thirteen sets); 0.4, 0.35, 0.3
# and 0.2 read 3,351, 3,338, 3,335 and 3,332. The most level links are made first, so a line
# between two rows still goes with the one it shares more with.
ROW_OVERLAP = 0.25
# Side by side means overlapping by no more than this share of a digit height.
ROW_SIDE_OVERLAP = 0.25
# A line lying in a gap of another (between two of its digits) belongs to it when their heights
# overlap at all, by this share: chaining had passed it over for being too high or too low.
GAP_OVERLAP = 0.2


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


@dataclass(frozen=True)
class Span:
    """Where a text line's digits lie, in the coordinates the lines were chained in."""

    left: float
    right: float
    top: float
    bottom: float
    # Each digit's left and right edge, left to right.
    columns: tuple[tuple[float, float], ...] = ()

    @classmethod
    def of_boxes(cls, boxes: Sequence[tuple[float, float, float, float]]) -> Span:
        """The span of digits given as (x, y, w, h) boxes."""
        return cls(
            min(x for x, _, _, _ in boxes),
            max(x + w for x, _, w, _ in boxes),
            min(y for _, y, _, _ in boxes),
            max(y + h for _, y, _, h in boxes),
            tuple(sorted((x, x + w) for x, _, w, _ in boxes)),
        )

    def joined(self, other: Span) -> Span:
        return Span(
            min(self.left, other.left),
            max(self.right, other.right),
            min(self.top, other.top),
            max(self.bottom, other.bottom),
            tuple(sorted(self.columns + other.columns)),
        )

    def holds_in_a_gap(self, other: Span, height: float) -> bool:
        """Whether ``other`` lies between two of this line's digits, clear of all of them."""
        slack = ROW_SIDE_OVERLAP * height
        if not (self.left < other.left and other.right < self.right):
            return False
        return all(right <= other.left + slack or left >= other.right - slack for left, right in self.columns)

    @property
    def centre_y(self) -> float:
        return (self.top + self.bottom) / 2

    def level_share(self, other: Span) -> float:
        """How much the two lines' heights overlap, as a share of the smaller height."""
        shared = min(self.bottom, other.bottom) - max(self.top, other.top)
        return shared / max(1e-9, min(self.bottom - self.top, other.bottom - other.top))


def rows(spans: Sequence[Span], height: float) -> list[list[int]]:
    """The lines, by index, gathered into rows: rows top to bottom, each row's lines left to right.

    First a line lying in a gap of another joins it. Then a row is a chain of lines,
    each level with the next on its right: the most level pairs link first (a line
    between two rows goes with the one it is more level with), and a line never links
    past another line lying between the two. The geometry is compared in arrays: a
    frame full of texture can hold hundreds of one-atom lines.
    """
    merged = list(spans)
    # Each line's left, right, top and bottom; a line that takes another in grows with it.
    edges = np.array([(span.left, span.right, span.top, span.bottom) for span in merged], dtype=np.float64)
    edges = edges.reshape(len(merged), 4)
    alive = np.ones(len(merged), dtype=bool)
    taken = _take_into_gaps(merged, edges, alive, height)
    left, right, top, bottom = edges.T
    slack = ROW_SIDE_OVERLAP * height
    pairs: list[tuple[float, int, int]] = []
    for a in map(int, np.flatnonzero(alive)):
        # Lines to the right of ``a`` sharing some of its height. Only those with none of the
        # others wholly to their left can link to it: past that one, it would lie between.
        beside = alive & (right[a] <= left + slack) & (top < bottom[a]) & (bottom > top[a])
        beside[a] = False
        near = np.flatnonzero(beside)
        if near.size == 0:
            continue
        ends = np.sort(right[near])
        smallest, second = float(ends[0]), float(ends[1]) if near.size > 1 else np.inf
        for b in map(int, near):
            nearest_other = second if right[b] == smallest else smallest
            if nearest_other <= left[b] + slack:
                continue
            share = merged[a].level_share(merged[b])
            if share >= ROW_OVERLAP and not _between(edges, alive, a, b, slack):
                pairs.append((share, a, b))
    right_of: dict[int, int] = {}
    left_of: dict[int, int] = {}
    for _, a, b in sorted(pairs, reverse=True):
        if a not in right_of and b not in left_of:
            right_of[a], left_of[b] = b, a
    gathered = []
    for start in map(int, np.flatnonzero(alive)):
        if start in left_of:
            continue
        row = [start]
        while row[-1] in right_of:
            row.append(right_of[row[-1]])
        gathered.append([member for index in row for member in (index, *taken.get(index, ()))])
    gathered.sort(key=lambda row: float(np.mean([spans[i].centre_y for i in row])))
    return [sorted(row, key=lambda i: spans[i].left) for row in gathered]


def _take_into_gaps(
    merged: list[Span], edges: npt.NDArray[np.float64], alive: npt.NDArray[np.bool_], height: float
) -> dict[int, list[int]]:
    """Join each line lying in a gap of another to it, narrowest lines first; returns who took whom.

    ``merged``, ``edges`` and ``alive`` are updated in place: the host grows, the guest is no longer alive.
    """
    taken: dict[int, list[int]] = {}
    left, right = edges[:, 0], edges[:, 1]
    for index in np.argsort(right - left, kind="stable"):
        around = np.flatnonzero(alive & (left < left[index]) & (right > right[index]))
        hosts = [
            (merged[host].level_share(merged[index]), int(host))
            for host in around
            if merged[host].holds_in_a_gap(merged[index], height)
        ]
        share, host = max(hosts, default=(0.0, -1))
        if share >= GAP_OVERLAP:
            merged[host] = merged[host].joined(merged[index])
            edges[host, 2:] = merged[host].top, merged[host].bottom
            taken.setdefault(host, []).extend([int(index), *taken.pop(int(index), [])])
            alive[index] = False
    return taken


def _between(edges: npt.NDArray[np.float64], alive: npt.NDArray[np.bool_], a: int, b: int, slack: float) -> bool:
    """Whether another line lies between ``a`` and ``b``, side to side, within their height."""
    left, right, top, bottom = edges.T
    band_top, band_bottom = min(top[a], top[b]), max(bottom[a], bottom[b])
    between = (
        alive & (right[a] <= left + slack) & (right <= left[b] + slack) & (top < band_bottom) & (bottom > band_top)
    )
    between[[a, b]] = False
    return bool(between.any())

"""Score readings against truth: number recall and precision, character error rate.

A number counts as read only when every one of its digits is right. Matching
is per page and position-free (a multiset of number strings), so any method
that outputs digit strings (this project, Tesseract, a tutorial script) is
scored by the same rule.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["PageTruth", "Score", "load_truth", "score_page", "edit_distance"]


@dataclass(frozen=True)
class PageTruth:
    source: str
    page: int
    lines: tuple[tuple[str, ...], ...]
    category: str = ""
    conditions: tuple[str, ...] = ()
    rotation: int = 0

    @property
    def numbers(self) -> list[str]:
        return [number for line in self.lines for number in line]

    @property
    def text(self) -> str:
        return "\n".join(" ".join(line) for line in self.lines)


@dataclass
class Score:
    """Counts that add up over pages; rates are computed from the totals."""

    truth_numbers: int = 0
    predicted_numbers: int = 0
    matched_numbers: int = 0
    truth_characters: int = 0
    character_errors: int = 0
    pages: int = 0
    per_category: dict[str, Score] = field(default_factory=dict)

    def add(self, other: Score, category: str | None = None) -> None:
        self.truth_numbers += other.truth_numbers
        self.predicted_numbers += other.predicted_numbers
        self.matched_numbers += other.matched_numbers
        self.truth_characters += other.truth_characters
        self.character_errors += other.character_errors
        self.pages += other.pages
        # Adding a whole run's score keeps its breakdown by category.
        for name, part in other.per_category.items():
            self.per_category.setdefault(name, Score()).add(part)
        if category is not None:
            self.per_category.setdefault(category, Score()).add(other)

    @property
    def recall(self) -> float:
        return self.matched_numbers / self.truth_numbers if self.truth_numbers else 1.0

    @property
    def precision(self) -> float:
        return self.matched_numbers / self.predicted_numbers if self.predicted_numbers else 1.0

    @property
    def character_error_rate(self) -> float:
        return self.character_errors / self.truth_characters if self.truth_characters else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "numbers": self.truth_numbers,
            "number_recall": round(self.recall, 4),
            "number_precision": round(self.precision, 4),
            "character_error_rate": round(self.character_error_rate, 5),
        }


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    if len(first) < len(second):
        first, second = second, first
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i]
        for j, b in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


def _digits_only(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


def score_page(truth: PageTruth, predicted_lines: list[list[str]]) -> Score:
    """Score one page given the predicted numbers, line by line, in reading order."""
    predicted = [number for line in predicted_lines for number in line]
    matched = sum((Counter(truth.numbers) & Counter(predicted)).values())
    truth_text = _digits_only(truth.text)
    predicted_text = _digits_only("\n".join(" ".join(line) for line in predicted_lines))
    return Score(
        truth_numbers=len(truth.numbers),
        predicted_numbers=len(predicted),
        matched_numbers=matched,
        truth_characters=len(truth_text),
        character_errors=edit_distance(truth_text, predicted_text),
        pages=1,
    )


def load_truth(path: Path) -> list[PageTruth]:
    """Read a ``*.truth.json`` file (see samples/README.md) into one entry per page."""
    data = json.loads(path.read_text(encoding="utf-8"))
    pages: list[PageTruth] = []
    for page in data["pages"]:
        lines = tuple(tuple(str(number["text"]) for number in line["numbers"]) for line in page["lines"])
        pages.append(
            PageTruth(
                source=str(data["source"]),
                page=int(page.get("page", 0)),
                lines=lines,
                category=str(data.get("category", "")),
                conditions=tuple(data.get("conditions", ())),
                rotation=int(page.get("rotation", 0)),
            )
        )
    return pages

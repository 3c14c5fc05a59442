"""The values that flow through the recognizer, one per stage.

``Frame`` (an image and where it came from) -> ``Digit`` (box, label,
confidence) -> ``Number`` -> ``Line`` -> ``Reading`` (everything read in one
frame or page). The same ``Reading`` is printed by the CLI, drawn by
:mod:`recognizer.annotate` and published by the websocket service.

Boxes are ``Box(x, y, w, h)`` in pixels of the original image.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Box", "Frame", "Digit", "Number", "Line", "Reading", "DEFAULT_MIN_CONFIDENCE"]

DEFAULT_MIN_CONFIDENCE = 0.6
UNSURE = "?"


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2.0, self.y + self.h / 2.0

    def to_json(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    @classmethod
    def from_json(cls, value: list[int]) -> Box:
        if len(value) != 4:
            raise ValueError(f"a box is [x, y, w, h], got {value!r}")
        return cls(*(int(v) for v in value))

    @staticmethod
    def union(boxes: list[Box]) -> Box:
        if not boxes:
            raise ValueError("union of no boxes")
        left = min(b.x for b in boxes)
        top = min(b.y for b in boxes)
        right = max(b.right for b in boxes)
        bottom = max(b.bottom for b in boxes)
        return Box(left, top, right - left, bottom - top)


@dataclass(frozen=True)
class Frame:
    """One image to read: a camera frame, a video frame or a page of a document."""

    image: npt.NDArray[np.uint8]
    source: str
    index: int = 0
    captured_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if self.image.ndim not in (2, 3) or self.image.shape[0] == 0 or self.image.shape[1] == 0:
            raise ValueError(f"a frame needs a non-empty 2-D or 3-D image, got shape {self.image.shape}")

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass(frozen=True)
class Digit:
    label: int
    confidence: float
    box: Box
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    @property
    def sure(self) -> bool:
        return self.confidence >= self.min_confidence

    @property
    def text(self) -> str:
        return str(self.label) if self.sure else UNSURE

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "box": self.box.to_json(),
        }

    @classmethod
    def from_json(cls, value: dict[str, Any], min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> Digit:
        return cls(int(value["label"]), float(value["confidence"]), Box.from_json(value["box"]), min_confidence)


@dataclass(frozen=True)
class Number:
    digits: tuple[Digit, ...]

    @property
    def text(self) -> str:
        return "".join(digit.text for digit in self.digits)

    @property
    def value(self) -> str:
        """The most likely digits, unsure ones included."""
        return "".join(str(digit.label) for digit in self.digits)

    @property
    def confidence(self) -> float:
        """Probability that every digit is right (the product of the digits' confidences)."""
        return float(np.prod([digit.confidence for digit in self.digits])) if self.digits else 0.0

    @property
    def box(self) -> Box:
        return Box.union([digit.box for digit in self.digits])

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "value": self.value,
            "confidence": round(self.confidence, 4),
            "box": self.box.to_json(),
            "digits": [digit.to_json() for digit in self.digits],
        }

    @classmethod
    def from_json(cls, value: dict[str, Any], min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> Number:
        return cls(tuple(Digit.from_json(d, min_confidence) for d in value["digits"]))


@dataclass(frozen=True)
class Line:
    numbers: tuple[Number, ...]

    @property
    def text(self) -> str:
        return " ".join(number.text for number in self.numbers)

    @property
    def box(self) -> Box:
        return Box.union([number.box for number in self.numbers])

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "box": self.box.to_json(), "numbers": [n.to_json() for n in self.numbers]}

    @classmethod
    def from_json(cls, value: dict[str, Any], min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> Line:
        return cls(tuple(Number.from_json(n, min_confidence) for n in value["numbers"]))


@dataclass(frozen=True)
class Reading:
    """Everything read in one frame or page."""

    source: str
    page: int
    width: int
    height: int
    lines: tuple[Line, ...]
    elapsed_ms: float = 0.0
    rotation: int = 0
    skew_degrees: float = 0.0

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def numbers(self) -> list[Number]:
        return [number for line in self.lines for number in line.numbers]

    @property
    def number_texts(self) -> list[list[str]]:
        """Each line's numbers as text: what :func:`recognizer.scoring.score_page` compares with the truth."""
        return [[number.text for number in line.numbers] for line in self.lines]

    @property
    def digits(self) -> list[Digit]:
        return [digit for number in self.numbers for digit in number.digits]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "page": self.page,
            "width": self.width,
            "height": self.height,
            "text": self.text,
            "lines": [line.to_json() for line in self.lines],
            "rotation": self.rotation,
            "skew_degrees": round(self.skew_degrees, 2),
            "elapsed_ms": round(self.elapsed_ms, 2),
        }

    @classmethod
    def from_json(cls, value: dict[str, Any], min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> Reading:
        """Rebuild a reading from :meth:`to_json` output (what subscribers receive)."""
        return cls(
            source=str(value["source"]),
            page=int(value["page"]),
            width=int(value["width"]),
            height=int(value["height"]),
            lines=tuple(Line.from_json(line, min_confidence) for line in value["lines"]),
            elapsed_ms=float(value.get("elapsed_ms", 0.0)),
            rotation=int(value.get("rotation", 0)),
            skew_degrees=float(value.get("skew_degrees", 0.0)),
        )

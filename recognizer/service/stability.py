"""Stable readings: a number counts once it is read the same way in several consecutive frames.

Camera frames flicker: one frame misreads a digit, the next misses a number
half out of view. A number is stable when it appears, with every digit sure,
in each of the last ``frames_required`` frames; it is matched by its text, so
it stays stable while the camera drifts. Numbers written twice on the sheet
are counted as many times as they appear in every one of those frames.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

from recognizer.service.protocol import StableNumber

__all__ = ["StabilityTracker", "StableChange"]


@dataclass(frozen=True)
class StableChange:
    added: list[str]
    removed: list[str]


class StabilityTracker:
    """Tracks one stream's stable numbers, frame after frame."""

    def __init__(self, frames_required: int = 3) -> None:
        if frames_required < 1:
            raise ValueError(f"frames_required must be at least 1, got {frames_required}")
        self.frames_required = frames_required
        self._recent: deque[Counter[str]] = deque(maxlen=frames_required)
        self._stable: Counter[str] = Counter()
        self._since: dict[str, int] = {}
        self._last_frame = -1

    def update(self, frame: int, numbers: list[str]) -> tuple[list[StableNumber], StableChange | None]:
        """Add one frame's numbers; return the stable numbers and what changed, if anything.

        Frames that arrive out of order (an older frame finishing after a newer one)
        do not change stability.
        """
        if frame <= self._last_frame:
            return self.stable, None
        self._last_frame = frame
        self._recent.append(Counter(text for text in numbers if text and "?" not in text))
        if len(self._recent) < self.frames_required:
            stable: Counter[str] = Counter()
        else:
            stable = self._recent[0].copy()
            for counts in list(self._recent)[1:]:
                stable &= counts
        added = sorted((stable - self._stable).elements())
        removed = sorted((self._stable - stable).elements())
        for text in stable:
            self._since.setdefault(text, frame)
        for text in list(self._since):
            if text not in stable:
                del self._since[text]
        self._stable = stable
        change = StableChange(added, removed) if added or removed else None
        return self.stable, change

    @property
    def stable(self) -> list[StableNumber]:
        return [
            StableNumber(text=text, count=count, since_frame=self._since[text])
            for text, count in sorted(self._stable.items())
        ]

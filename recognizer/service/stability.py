"""Stable readings: a number counts once most recent frames read it the same way.

Camera frames flicker: one frame misreads a digit, the next misses a number
half out of view. A number is stable when it appears, with every digit sure,
in at least ``frames_required`` of the last ``window`` frames; it is matched by
its text, so it stays stable while the camera drifts. Requiring most frames
rather than every one keeps a number stable through a single misread frame,
while a misreading, which rarely repeats, never gathers enough frames. Numbers
written twice on the sheet count as many times as ``frames_required`` of those
frames show them.
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

    def __init__(self, frames_required: int = 3, window: int | None = None) -> None:
        if frames_required < 1:
            raise ValueError(f"frames_required must be at least 1, got {frames_required}")
        window = frames_required + 2 if window is None else window
        if window < frames_required:
            raise ValueError(f"the window ({window} frames) must hold frames_required ({frames_required}) frames")
        self.frames_required = frames_required
        self.window = window
        self._recent: deque[Counter[str]] = deque(maxlen=window)
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
        stable: Counter[str] = Counter()
        if len(self._recent) >= self.frames_required:
            for text in set().union(*self._recent):
                # The count that at least frames_required frames show: the frames_required-th largest.
                counts = sorted((frame_counts[text] for frame_counts in self._recent), reverse=True)
                if counts[self.frames_required - 1] > 0:
                    stable[text] = counts[self.frames_required - 1]
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

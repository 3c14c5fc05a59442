"""Stable numbers: read the same way in consecutive frames."""

from __future__ import annotations

import pytest

from recognizer.service.stability import StabilityTracker


def test_number_becomes_stable_after_required_frames_and_goes_when_missing() -> None:
    tracker = StabilityTracker(frames_required=3)
    assert tracker.update(0, ["123", "45"]) == ([], None)
    assert tracker.update(1, ["123", "45"])[1] is None
    stable, change = tracker.update(2, ["123", "46"])
    assert [n.text for n in stable] == ["123"]
    assert change is not None and change.added == ["123"] and change.removed == []
    assert stable[0].since_frame == 2
    stable, change = tracker.update(3, ["45"])
    assert stable == []
    assert change is not None and change.removed == ["123"]


def test_flicker_does_not_reach_the_stable_set() -> None:
    tracker = StabilityTracker(frames_required=2)
    for frame, numbers in enumerate([["7"], ["1"], ["7"], ["1"]]):
        stable, change = tracker.update(frame, numbers)
        assert stable == [] and change is None


def test_unsure_numbers_are_never_stable_and_repeats_are_counted() -> None:
    tracker = StabilityTracker(frames_required=2)
    tracker.update(0, ["12?", "55", "55"])
    stable, _ = tracker.update(1, ["12?", "55", "55"])
    assert [(n.text, n.count) for n in stable] == [("55", 2)]


def test_frames_arriving_out_of_order_change_nothing() -> None:
    tracker = StabilityTracker(frames_required=1)
    tracker.update(5, ["9"])
    stable, change = tracker.update(4, ["8"])
    assert [n.text for n in stable] == ["9"] and change is None


def test_frames_required_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        StabilityTracker(0)

"""Stable numbers: read the same way in most recent frames."""

from __future__ import annotations

import pytest

from recognizer.service.stability import StabilityTracker


def test_number_becomes_stable_after_required_frames_and_goes_when_missing() -> None:
    tracker = StabilityTracker(frames_required=3, window=3)
    assert tracker.update(0, ["123", "45"]) == ([], None)
    assert tracker.update(1, ["123", "45"])[1] is None
    stable, change = tracker.update(2, ["123", "46"])
    assert [n.text for n in stable] == ["123"]
    assert change is not None and change.added == ["123"] and change.removed == []
    assert stable[0].since_frame == 2
    stable, change = tracker.update(3, ["45"])
    assert stable == []
    assert change is not None and change.removed == ["123"]


def test_one_misread_frame_neither_hides_a_number_nor_lets_the_misreading_in() -> None:
    tracker = StabilityTracker(frames_required=3, window=5)
    frames = [["3470406"], ["3470406"], ["34704", "6"], ["3470406"], ["3470406"], ["3470406"]]
    history = [[n.text for n in tracker.update(i, numbers)[0]] for i, numbers in enumerate(frames)]
    assert history == [[], [], [], ["3470406"], ["3470406"], ["3470406"]]
    # Gone from three of the last five frames: no longer stable.
    for frame in (6, 7):
        tracker.update(frame, [])
    assert [n.text for n in tracker.update(8, [])[0]] == []


def test_flicker_does_not_reach_the_stable_set() -> None:
    tracker = StabilityTracker(frames_required=2, window=2)
    for frame, numbers in enumerate([["7"], ["1"], ["7"], ["1"]]):
        stable, change = tracker.update(frame, numbers)
        assert stable == [] and change is None


def test_unsure_numbers_are_never_stable_and_repeats_are_counted() -> None:
    tracker = StabilityTracker(frames_required=2, window=3)
    tracker.update(0, ["12?", "55", "55"])
    tracker.update(1, ["12?", "55"])
    stable, _ = tracker.update(2, ["12?", "55", "55"])
    # Two of the three frames show "55" twice.
    assert [(n.text, n.count) for n in stable] == [("55", 2)]


def test_frames_arriving_out_of_order_change_nothing() -> None:
    tracker = StabilityTracker(frames_required=1)
    tracker.update(5, ["9"])
    stable, change = tracker.update(4, ["8"])
    assert [n.text for n in stable] == ["9"] and change is None


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        StabilityTracker(0)
    with pytest.raises(ValueError, match="window"):
        StabilityTracker(3, window=2)

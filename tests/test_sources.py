"""Live sources: the newest-frame hand-over to workers, and what clients are told about a source."""

from __future__ import annotations

import threading

import numpy as np

from recognizer.reading import Frame
from recognizer.service.sources import NewestFrames, parse_source

IMAGE = np.zeros((4, 4), np.uint8)


def frame(stream: str, index: int, captured_at: float) -> Frame:
    return Frame(IMAGE, stream, index=index, captured_at=captured_at)


def test_a_worker_gets_the_newest_frame_and_older_ones_are_dropped() -> None:
    frames = NewestFrames()
    for index in range(5):
        frames.put("desk", frame("desk", index, captured_at=float(index)))
    taken = frames.take(timeout=0.1)
    assert taken is not None
    assert taken[1].index == 4
    assert frames.dropped["desk"] == 4
    assert frames.take(timeout=0.01) is None


def test_streams_take_turns_whatever_their_capture_clocks() -> None:
    # Camera "early" always captures 10 ms before camera "late": taking the oldest pending frame
    # would serve "early" every time both are waiting.
    frames = NewestFrames()
    served: list[str] = []
    for tick in range(20):
        frames.put("early", frame("early", tick, captured_at=tick * 0.033))
        frames.put("late", frame("late", tick, captured_at=tick * 0.033 + 0.010))
        taken = frames.take(timeout=0.1)
        assert taken is not None
        served.append(taken[0])
    assert served.count("early") == served.count("late") == 10


def test_close_wakes_a_waiting_worker() -> None:
    frames = NewestFrames()
    results: list[object] = []
    waiting = threading.Thread(target=lambda: results.append(frames.take(timeout=10)))
    waiting.start()
    frames.close()
    waiting.join(timeout=2)
    assert not waiting.is_alive()
    assert results == [None]


def test_clients_never_see_a_stream_urls_password() -> None:
    spec = parse_source("door=rtsp://admin:hunter2@10.0.0.5:554/live", 0)
    assert spec.target == "rtsp://admin:hunter2@10.0.0.5:554/live"  # what OpenCV opens
    assert spec.describe() == {"name": "door", "kind": "url", "source": "rtsp://***@10.0.0.5:554/live"}
    assert parse_source("rtsp://10.0.0.5/live", 1).describe()["source"] == "rtsp://10.0.0.5/live"

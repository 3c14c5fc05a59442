"""Frame sources for the live service: cameras, video files, stream URLs, folders of images.

Each source captures on its own reader thread and keeps only its newest frame
(OpenCV buffers several frames by default; a pipeline that falls behind would
otherwise work on stale ones). A video file plays at its own frame rate; a
camera or stream that fails is reopened with exponential backoff, and every
change of state is reported through ``on_status``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.inputs import IMAGE_SUFFIXES, read_pages
from recognizer.reading import Frame

__all__ = ["SourceSpec", "SourceError", "parse_source", "FrameSource", "NewestFrames"]

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
StatusCallback = Callable[[str, str, str], None]
BACKOFF_START, BACKOFF_MAX = 0.5, 10.0
FOLDER_FPS = 2.0


class SourceError(ValueError):
    """A --source value that cannot be used."""


@dataclass(frozen=True)
class SourceSpec:
    name: str
    kind: str  # camera, file, url, folder
    target: str
    loop: bool = False
    fps: float | None = None

    @property
    def shown(self) -> str:
        """The target as clients see it: a URL's user name and password stay on the server."""
        if self.kind != "url":
            return self.target
        parts = urlsplit(self.target)
        if parts.username is None and parts.password is None:
            return self.target
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        return urlunsplit(parts._replace(netloc=f"***@{host}"))

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "source": self.shown}


def parse_source(value: str, position: int, loop: bool = False, fps: float | None = None) -> SourceSpec:
    """``[NAME=]SPEC`` where SPEC is a camera index, a video file, a URL or a folder of images."""
    name, separator, target = value.partition("=")
    if not separator or "://" in name:
        name, target = "", value
    target = target.strip()
    if not target:
        raise SourceError(f"--source {value!r}: nothing to open")
    if target.isdigit():
        kind = "camera"
    elif "://" in target:
        kind = "url"
    else:
        path = Path(target)
        if path.is_dir():
            kind = "folder"
        elif path.is_file():
            kind = "file"
        else:
            raise SourceError(f"--source {value!r}: no such file, folder or camera index")
    if not name:
        name = (
            f"camera{target}"
            if kind == "camera"
            else (Path(target).stem if kind in ("file", "folder") else f"stream{position}")
        )
    if not NAME_PATTERN.match(name):
        raise SourceError(f"--source {value!r}: a stream name may use letters, digits, '.', '_' and '-' (at most 64)")
    if fps is not None and fps <= 0:
        raise SourceError(f"--fps must be positive, got {fps}")
    return SourceSpec(name=name, kind=kind, target=target, loop=loop, fps=fps)


class NewestFrames:
    """The newest unprocessed frame of every source; older ones are dropped, never queued."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._pending: dict[str, Frame] = {}
        # Each stream's turn, counted in takes: the stream served longest ago goes first.
        self._last_served: dict[str, int] = {}
        self._takes = 0
        self.dropped: dict[str, int] = {}
        self._closed = False

    def put(self, stream: str, frame: Frame) -> None:
        with self._condition:
            if stream in self._pending:
                self.dropped[stream] = self.dropped.get(stream, 0) + 1
            self._pending[stream] = frame
            self._condition.notify()

    def take(self, timeout: float, on_take: Callable[[str, Frame], None] | None = None) -> tuple[str, Frame] | None:
        """The newest frame of the stream served longest ago (round robin), or None on timeout or close.

        Taking the oldest pending frame instead is not fair: every stream replaces its pending
        frame all the time, so which one is older depends on how the cameras' frame clocks
        happen to be offset, and one stream can get twice the frames of another for good.
        ``on_take`` runs before any other worker can take a frame: the engine records the
        frame as in flight there, so no later frame of its stream is published before it.
        """
        with self._condition:
            deadline = time.monotonic() + timeout
            while not self._pending and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._condition.wait(remaining)
            if self._closed:
                return None
            stream = min(
                self._pending, key=lambda name: (self._last_served.get(name, -1), self._pending[name].captured_at)
            )
            self._takes += 1
            self._last_served[stream] = self._takes
            frame = self._pending.pop(stream)
            if on_take is not None:
                on_take(stream, frame)
            return stream, frame

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()


def _folder_frames(folder: Path) -> Iterator[npt.NDArray[np.uint8]]:
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        for result in read_pages(str(path)):
            if result.frame is not None:
                yield result.frame.image


class FrameSource:
    """Captures one source on a reader thread into :class:`NewestFrames`."""

    def __init__(self, spec: SourceSpec, frames: NewestFrames, on_status: StatusCallback) -> None:
        self.spec = spec
        self.state = "reconnecting"
        self.frames_captured = 0
        self._frames = frames
        self._on_status = on_status
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"source-{spec.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _set_state(self, state: str, message: str) -> None:
        if state != self.state or state == "lost":
            self.state = state
            self._on_status(self.spec.name, state, message)

    def _emit(self, image: npt.NDArray[Any], captured_at: float) -> None:
        frame = Frame(
            image=np.asarray(image, dtype=np.uint8),
            source=self.spec.name,
            index=self.frames_captured,
            captured_at=captured_at,
        )
        self.frames_captured += 1
        self._frames.put(self.spec.name, frame)

    def _run(self) -> None:
        try:
            if self.spec.kind == "folder":
                self._play_folder()
            elif self.spec.kind == "file":
                self._play_file()
            else:
                self._follow_live()
        except Exception as error:  # noqa: BLE001 - a reader thread must report, not die silently
            self._set_state("ended", f"source failed: {type(error).__name__}: {error}")

    def _play_folder(self) -> None:
        interval = 1.0 / (self.spec.fps or FOLDER_FPS)
        while not self._stop.is_set():
            played = 0
            self._set_state("live", f"playing images from {self.spec.shown}")
            for image in _folder_frames(Path(self.spec.target)):
                if self._stop.wait(0 if played == 0 else interval):
                    return
                self._emit(image, time.time())
                played += 1
            if played == 0:
                self._set_state("ended", f"no readable images in {self.spec.shown}")
                return
            if not self.spec.loop:
                self._set_state("ended", f"played {played} images from {self.spec.shown}")
                return

    def _open(self) -> cv2.VideoCapture | None:
        target: int | str = int(self.spec.target) if self.spec.kind == "camera" else self.spec.target
        capture = cv2.VideoCapture(target)
        if capture.isOpened():
            if self.spec.kind != "file":
                # Ask the driver to keep one frame: the newest is the only one we want.
                capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            return capture
        capture.release()
        return None

    def _play_file(self) -> None:
        capture = self._open()
        if capture is None:
            self._set_state("ended", f"cannot open video {self.spec.shown}")
            return
        native_fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        fps = min(native_fps, self.spec.fps) if self.spec.fps else native_fps
        step = max(1, round(native_fps / fps))
        interval = 1.0 / native_fps
        self._set_state("live", f"playing {self.spec.shown} at {native_fps:.3g} fps")
        started = time.monotonic()
        position = 0
        try:
            while not self._stop.is_set():
                ok, image = capture.read()
                if not ok:
                    if self.spec.loop and position > 0:
                        capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                        continue
                    self._set_state("ended", f"end of {self.spec.shown} after {position} frames")
                    return
                # Pace playback on the file's clock, not on how fast we decode.
                due = started + position * interval
                position += 1
                if self._stop.wait(max(0.0, due - time.monotonic())):
                    return
                if (position - 1) % step == 0:
                    self._emit(image, time.time())
        finally:
            capture.release()

    def _follow_live(self) -> None:
        backoff = BACKOFF_START
        min_interval = 1.0 / self.spec.fps if self.spec.fps else 0.0
        while not self._stop.is_set():
            capture = self._open()
            if capture is None:
                self._set_state("reconnecting", f"cannot open {self.spec.shown}; retrying in {backoff:.1f} s")
                if self._stop.wait(backoff):
                    return
                backoff = min(BACKOFF_MAX, backoff * 2)
                continue
            self._set_state("live", f"capturing {self.spec.shown}")
            backoff = BACKOFF_START
            last_emit = 0.0
            try:
                while not self._stop.is_set():
                    ok, image = capture.read()
                    if not ok:
                        self._set_state("lost", f"{self.spec.shown} stopped delivering frames; reopening")
                        break
                    now = time.time()
                    if now - last_emit >= min_interval:
                        last_emit = now
                        self._emit(image, now)
            finally:
                capture.release()
            if self._stop.wait(backoff):
                return

"""Fan-out to subscribers, each with its own small queue that keeps the newest messages.

A plain loop of ``await connection.send(...)`` would hold every subscriber
behind the slowest one. Here publishing never waits. A subscriber that keeps up
(nothing queued, its socket's write buffer nearly empty) gets the message written
at once, in one synchronous ``websockets.broadcast`` for all of them: with 100
subscribers, under half the CPU of waking a sender task for each (benchmarks/hub_bench.py).
Any other subscriber gets it appended to its queue (encoded once for all of them),
which its own sender task drains. A slow subscriber loses its oldest queued readings, never
delays the camera or the others, and one that makes no progress for
``stall_timeout`` seconds is disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.connection import Connection
from websockets.asyncio.server import broadcast

__all__ = ["Hub", "Subscriber", "Outgoing", "encode"]

logger = logging.getLogger("digitstream.hub")

# Close code 1008 (policy violation) for a subscriber that stopped reading.
CLOSE_TOO_SLOW = 1008
# A subscriber whose socket holds more unsent bytes than this (a few readings) is behind: its
# messages go through its queue, where old readings give way to new ones and a stall is noticed.
DIRECT_WRITE_LIMIT = 16 * 1024


@dataclass(frozen=True)
class Outgoing:
    """One message, encoded once, with what subscribers filter on."""

    text: str
    kind: str
    stream: str | None = None
    # Readings may be dropped for a slow subscriber; status and change events are kept.
    droppable: bool = True


@dataclass(eq=False)
class Subscriber:
    connection: Connection
    stream: str | None
    changes_only: bool = False
    thumbnails: bool = False
    thumbnail_fps: float = 2.0
    queue_size: int = 8
    sent: int = 0
    dropped: int = 0
    last_thumbnail: dict[str, float] = field(default_factory=dict)
    # Whether its sender task is in the middle of a send: a direct write would overtake it.
    sending: bool = False
    _queue: deque[Outgoing] = field(default_factory=deque)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def wants(self, message: Outgoing) -> bool:
        if self.stream is not None and message.stream is not None and message.stream != self.stream:
            return False
        if message.kind == "frame":
            return self.thumbnails
        if self.changes_only and message.kind == "reading":
            return False
        return True

    def offer(self, message: Outgoing) -> None:
        if len(self._queue) >= self.queue_size:
            # Keep the newest: drop the oldest droppable message (a stale reading or frame).
            for index, queued in enumerate(self._queue):
                if queued.droppable:
                    del self._queue[index]
                    break
            else:
                self._queue.popleft()
            self.dropped += 1
        self._queue.append(message)
        self._wake.set()

    def keeping_up(self) -> bool:
        """Whether a message may be written at once: nothing queued or being sent, the socket nearly drained."""
        if self._queue or self.sending:
            return False
        return bool(self.connection.transport.get_write_buffer_size() <= DIRECT_WRITE_LIMIT)

    async def next_message(self) -> Outgoing:
        while not self._queue:
            self._wake.clear()
            await self._wake.wait()
        return self._queue.popleft()


class Hub:
    """All subscribers of all streams; publish from the event loop thread."""

    def __init__(self, stall_timeout: float = 10.0, direct_writes: bool = True) -> None:
        self.stall_timeout = stall_timeout
        # False: every message through the subscribers' queues (benchmarks/hub_bench.py compares).
        self.direct_writes = direct_writes
        self.slow_disconnects = 0
        self._subscribers: dict[Subscriber, asyncio.Task[None]] = {}

    @property
    def count(self) -> int:
        return len(self._subscribers)

    def wants_thumbnails(self, stream: str) -> float | None:
        """The highest thumbnail rate any subscriber asked for on ``stream``, or None."""
        rates = [s.thumbnail_fps for s in self._subscribers if s.thumbnails and s.stream in (None, stream)]
        return max(rates) if rates else None

    def add(self, subscriber: Subscriber) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._send_loop(subscriber), name="subscriber-sender")
        self._subscribers[subscriber] = task
        return task

    async def remove(self, subscriber: Subscriber) -> None:
        task = self._subscribers.pop(subscriber, None)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def publish(self, message: Outgoing) -> None:
        now = time.monotonic()
        direct: list[Connection] = []
        for subscriber in self._subscribers:
            if not subscriber.wants(message):
                continue
            if message.kind == "frame" and message.stream is not None:
                last = subscriber.last_thumbnail.get(message.stream, 0.0)
                if now - last < 1.0 / subscriber.thumbnail_fps:
                    continue
                subscriber.last_thumbnail[message.stream] = now
            if self.direct_writes and subscriber.keeping_up():
                direct.append(subscriber.connection)
                subscriber.sent += 1
            else:
                subscriber.offer(message)
        if direct:
            # Skips connections that are closing; a failed write is logged, and that
            # connection's own handler sees it closed.
            broadcast(direct, message.text)

    async def _send_loop(self, subscriber: Subscriber) -> None:
        try:
            while True:
                message = await subscriber.next_message()
                subscriber.sending = True
                try:
                    # asyncio.timeout, not wait_for: wait_for wraps every send in a new task, which
                    # with 100 subscribers at 30 frames/s is thousands of tasks a second.
                    async with asyncio.timeout(self.stall_timeout):
                        await subscriber.connection.send(message.text)
                except TimeoutError:
                    logger.info("disconnecting a subscriber that stopped reading for %.0f s", self.stall_timeout)
                    # Stop queueing for it at once; the close handshake may take until close_timeout.
                    self._subscribers.pop(subscriber, None)
                    self.slow_disconnects += 1
                    with contextlib.suppress(Exception):
                        await subscriber.connection.close(CLOSE_TOO_SLOW, "too slow: stopped reading")
                    return
                finally:
                    subscriber.sending = False
                subscriber.sent += 1
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a closed connection ends its sender, nothing else
            return


def encode(message: Any, kind: str, stream: str | None = None, droppable: bool = True) -> Outgoing:
    """Encode a protocol message once for every subscriber."""
    return Outgoing(json.dumps(message.to_json(), separators=(",", ":")), kind, stream, droppable)

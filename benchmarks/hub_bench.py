"""What fanning readings out to subscribers costs the server: CPU per reading, with and without direct writes.

    python benchmarks/hub_bench.py [--subscribers 100] [--readings 300]

A real websockets server (the service's settings: no compression) publishes readings of a
typical size through the service's Hub at 30 a second to real clients, which run in a second
process as other apps would. Measured is the server process's CPU time while it publishes
(`time.process_time`), in two modes measured alternately, three rounds each:

- direct: a subscriber that keeps up (nothing queued, its socket nearly drained) gets each
  reading written at once, in one `websockets.broadcast` for all of them (the service's way);
- queued: every reading appended to each subscriber's queue, whose sender task wakes to send it.

Prints a Markdown table. The clients' process shares the machine, so absolute figures vary
with its load; the ratio of the two modes, measured in one run, is what to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from recognizer.service.hub import Hub, Outgoing, Subscriber  # noqa: E402

# A reading of a photo with a dozen numbers, as the service sends it, is about this long.
READING_BYTES = 3000
RATE = 30.0


async def run_clients(url: str, count: int) -> None:
    """Entry point of the clients' process: ``count`` subscribers that take every message."""

    async def one() -> None:
        async with connect(url, max_size=None) as connection:
            async for _ in connection:
                pass

    await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)


async def measure(direct: bool, subscribers: int, readings: int) -> float:
    """Server CPU seconds per reading published to ``subscribers`` clients."""
    hub = Hub(direct_writes=direct)
    everyone = asyncio.Event()

    async def handler(connection: ServerConnection) -> None:
        subscriber = Subscriber(connection, None)
        hub.add(subscriber)
        if hub.count >= subscribers:
            everyone.set()
        try:
            await connection.wait_closed()
        finally:
            await hub.remove(subscriber)

    async with serve(handler, "127.0.0.1", 0, compression=None, max_queue=4) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        clients = subprocess.Popen(
            [sys.executable, __file__, "--clients", f"ws://127.0.0.1:{port}", "--subscribers", str(subscribers)]
        )
        try:
            await asyncio.wait_for(everyone.wait(), 60)
            text = json.dumps({"type": "reading", "padding": "x" * READING_BYTES}, separators=(",", ":"))
            started = time.process_time()
            for _ in range(readings):
                hub.publish(Outgoing(text, "reading", "cam0"))
                await asyncio.sleep(1.0 / RATE)
            # Let the last sends finish before the clock stops.
            await asyncio.sleep(0.5)
            return (time.process_time() - started) / readings
        finally:
            clients.terminate()
            clients.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--readings", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.clients:
        asyncio.run(run_clients(args.clients, args.subscribers))
        return
    results: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.rounds):
        for direct in (True, False):
            results[direct].append(asyncio.run(measure(direct, args.subscribers, args.readings)))
    print(f"{args.subscribers} subscribers, {args.readings} readings of {READING_BYTES} bytes at {RATE:.0f} a second")
    print()
    print("| mode | server CPU per reading, ms (median of rounds) | per subscriber, µs | rounds, ms |")
    print("| --- | ---: | ---: | --- |")
    for direct, name in ((True, "direct writes (the service)"), (False, "queued, a sender task each")):
        values = results[direct]
        median = statistics.median(values)
        rounds = " / ".join(f"{v * 1000:.2f}" for v in values)
        print(f"| {name} | {median * 1000:.2f} | {median / args.subscribers * 1e6:.0f} | {rounds} |")
    ratio = statistics.median(results[False]) / statistics.median(results[True])
    print(f"\nQueued costs {ratio:.1f}x the CPU of direct writes.")


if __name__ == "__main__":
    main()

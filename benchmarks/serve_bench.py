"""Benchmark `digits serve`: capture-to-subscriber latency, streams per process, cost of 100 subscribers.

    python benchmarks/serve_bench.py [--video samples/video/desk.mp4] [--duration 120]

The server runs as its own process (`python -m recognizer serve`), exactly as a
user starts it, with the video file as a camera; subscribers are real websocket
clients. Latency is measured per reading as (arrival time - captured_at), both
on this machine's clock. Prints a Markdown table.

With 100 subscribers, the measured subscriber runs in this process and the other
99 in a second process, as other apps would: 100 clients in one event loop
would mostly measure how long that loop takes to get round to each of them.
The 99 take each message as it comes without parsing its JSON (they only find
`captured_at` in it), so what is measured is the server's cost of serving them.
They are measured twice: in a server run of their own, and coming and going by
turns (10-s phases) in one run while the same subscriber is measured with and
without them, which the minute-to-minute load of a shared machine moves far less.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from websockets.asyncio.client import connect

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from recognizer.evaluation import percentile  # noqa: E402
from recognizer.scoring import PageTruth, Score, score_page  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Latencies:
    values: list[float] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    # What each reading said: (frame, numbers line by line).
    readings: list[tuple[int, list[list[str]]]] = field(default_factory=list)

    def p(self, q: float) -> float:
        return percentile(self.values, q) * 1000


def start_server(video: Path, streams: int, port: int, options: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    """`digits serve` on ``video`` as ``streams`` cameras, with extra ``options`` (--serve-option)."""
    command = [sys.executable, "-m", "recognizer", "serve", "--port", str(port), "--loop", "--max-clients", "500"]
    command += options
    for index in range(streams):
        command += ["--source", f"cam{index}={video}"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_until_up(port: int) -> None:
    for _ in range(300):
        try:
            async with connect(f"ws://127.0.0.1:{port}/streams"):
                return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def subscriber(url: str, duration: float, sink: Latencies, warmup: float) -> None:
    async with connect(url, max_size=None) as connection:
        started = time.time()
        while time.time() - started < duration:
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for wraps every message in a task.
                async with asyncio.timeout(5):
                    raw = await connection.recv()
            except TimeoutError:
                continue
            now = time.time()
            message = json.loads(raw)
            if message["type"] != "reading" or now - started < warmup:
                continue
            sink.values.append(now - message["captured_at"])
            sink.frames.append(message["frame"])
            sink.arrivals.append(now)
            lines = [[number["text"] for number in line["numbers"]] for line in message["reading"]["lines"]]
            sink.readings.append((message["frame"], lines))


CAPTURED_AT = b'"captured_at":'


async def raw_subscriber(
    url: str, duration: float, warmup: float, latencies: list[float], connected: Callable[[], None] = lambda: None
) -> None:
    """A subscriber that takes every message without parsing it: load on the server, not on this process."""
    async with connect(url, max_size=None) as connection:
        connected()
        started = time.time()
        while time.time() - started < duration:
            try:
                async with asyncio.timeout(5):
                    raw = await connection.recv(decode=False)
            except TimeoutError:
                continue
            now = time.time()
            at = raw.find(CAPTURED_AT)
            if at < 0 or now - started < warmup:
                continue
            end = raw.find(b",", at)
            latencies.append(now - float(raw[at + len(CAPTURED_AT) : end]))


def run_load(url: str, count: int, duration: float, warmup: float, announce: bool = False) -> None:
    """Entry point of the load process: `count` raw subscribers; prints their latencies as JSON
    (and, with ``announce``, first a line "connected" once all of them are)."""
    latencies: list[float] = []
    waiting = [count]

    def connected() -> None:
        waiting[0] -= 1
        if announce and waiting[0] == 0:
            print("connected", flush=True)

    async def everyone() -> None:
        await asyncio.gather(*(raw_subscriber(url, duration, warmup, latencies, connected) for _ in range(count)))

    asyncio.run(everyone())
    print(json.dumps(latencies))


async def measure(
    video: Path,
    streams: int,
    subscribers: int,
    duration: float,
    options: tuple[str, ...] = (),
    warmup: float = 3.0,
) -> tuple[list[Latencies], list[float]]:
    """One measured subscriber per stream; with more subscribers than streams, the rest in a load process."""
    port = free_port()
    server = start_server(video, streams, port, options)
    load: subprocess.Popen[bytes] | None = None
    try:
        await wait_until_up(port)
        sinks = [Latencies() for _ in range(streams)]
        urls = [f"ws://127.0.0.1:{port}/streams/cam{i}" for i in range(streams)]
        if subscribers > streams:
            load = subprocess.Popen(
                [sys.executable, __file__, "--load", urls[0], "--load-count", str(subscribers - streams)]
                + ["--duration", str(duration + warmup + 1.0), "--warmup", str(warmup)],
                stdout=subprocess.PIPE,
            )
            # Let the load subscribers connect before the measured ones start.
            await asyncio.sleep(2.0)
        await asyncio.gather(*(subscriber(url, duration + warmup, sink, warmup) for url, sink in zip(urls, sinks)))
        others: list[float] = []
        if load is not None:
            output, _ = load.communicate(timeout=60)
            others = json.loads(output)
        return sinks, others
    finally:
        if load is not None and load.poll() is None:
            load.kill()
        server.terminate()
        server.wait(timeout=20)


@dataclass
class Alternating:
    """Latencies (s) from :func:`measure_alternating`."""

    alone: list[float]  # the measured subscriber, without the crowd
    with_crowd: list[float]  # the same subscriber, with it
    everyone: list[float]  # every subscriber, with the crowd


async def measure_alternating(
    video: Path, subscribers: int, duration: float, phase: float, options: tuple[str, ...] = (), warmup: float = 3.0
) -> Alternating:
    """One server run in which the other ``subscribers - 1`` connect for ``phase`` seconds, leave
    for ``phase`` seconds, and so on, while one measured subscriber stays throughout.

    Two separate server runs differ by more than the crowd costs (the machine's load moves
    from minute to minute); phases of one run share the same minute, the same server and the
    same frames, and the same subscriber is measured with and without. The first 2 s after
    the crowd has connected, and after it has left, count in neither.
    """
    port = free_port()
    server = start_server(video, 1, port, options)
    load: asyncio.subprocess.Process | None = None
    try:
        await wait_until_up(port)
        url = f"ws://127.0.0.1:{port}/streams/cam0"
        sink = Latencies()
        # Measured until the last phase ends, then cancelled: phases overrun ``duration`` by up to one cycle.
        measured = asyncio.create_task(subscriber(url, math.inf, sink, warmup))
        await asyncio.sleep(warmup)
        everyone: list[float] = []
        windows: list[tuple[float, float, bool]] = []
        started = time.time()
        while time.time() - started < duration:
            load = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--load",
                url,
                "--load-count",
                str(subscribers - 1),
                "--load-announce",
                "--duration",
                str(phase),
                "--warmup",
                "2.0",
                stdout=asyncio.subprocess.PIPE,
            )
            assert load.stdout is not None
            async with asyncio.timeout(60):
                announced = await load.stdout.readline()
            if announced.strip() != b"connected":
                raise RuntimeError(f"the crowd's process did not connect: {announced!r}")
            # The crowd's own clocks also leave out their first 2 s.
            crowd_from = time.time() + 2.0
            output, _ = await load.communicate()
            if load.returncode != 0:
                raise RuntimeError(f"the crowd's process failed with exit code {load.returncode}")
            load = None
            everyone += json.loads(output)
            crowd_to = time.time()
            windows.append((crowd_from, crowd_to, True))
            await asyncio.sleep(phase)
            windows.append((crowd_to + 2.0, time.time(), False))
        measured.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await measured
        result = Alternating(alone=[], with_crowd=[], everyone=everyone)
        for arrival, latency in zip(sink.arrivals, sink.values, strict=True):
            for start, end, with_crowd in windows:
                if start <= arrival <= end:
                    (result.with_crowd if with_crowd else result.alone).append(latency)
                    break
        result.everyone += result.with_crowd
        return result
    finally:
        if load is not None and load.returncode is None:
            load.kill()
            await load.wait()
        server.terminate()
        server.wait(timeout=20)


def frames_per_second(sink: Latencies) -> float:
    if len(sink.arrivals) < 2:
        return 0.0
    return (len(sink.arrivals) - 1) / (sink.arrivals[-1] - sink.arrivals[0])


def frames_skipped(sink: Latencies) -> int:
    """Frames the server never read: it reads the newest frame, so a slow pipeline skips frames."""
    return sum(b - a - 1 for a, b in zip(sink.frames, sink.frames[1:]) if b > a)


def backlog_growth_ms(sink: Latencies) -> float:
    """p95 latency of the last third minus the first third: a growing backlog shows up here."""
    third = len(sink.values) // 3
    if third < 10:
        return float("nan")
    first = float(np.percentile(sink.values[:third], 95))
    last = float(np.percentile(sink.values[-third:], 95))
    return (last - first) * 1000


def stream_accuracy(sink: Latencies, truth_path: Path) -> dict[str, float] | None:
    """Number recall and CER of the stream against the truth of the very frames read."""
    if not truth_path.is_file():
        return None
    frames = [json.loads(line) for line in truth_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    total = Score()
    for frame, lines in sink.readings:
        # Looping playback numbers frames on; the truth repeats with the file.
        truth = frames[frame % len(frames)]
        page = PageTruth(
            source="video",
            page=frame,
            lines=tuple(tuple(number["text"] for number in line["numbers"]) for line in truth["lines"]),
        )
        total.add(score_page(page, lines))
    return {**total.to_json(), "frames": len(sink.readings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, default=REPOSITORY / "samples" / "video" / "desk.mp4")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured per scenario")
    parser.add_argument("--max-streams", type=int, default=4)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--serve-option",
        action="append",
        default=[],
        help="extra option for `digits serve`, e.g. --serve-option=--workers=1",
    )
    parser.add_argument("--one-stream-only", action="store_true", help="measure only 1 stream with 1 subscriber")
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--load-count", type=int, default=99, help=argparse.SUPPRESS)
    parser.add_argument("--load-announce", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=float, default=3.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        run_load(args.load, args.load_count, args.duration, args.warmup, args.load_announce)
        return
    options = tuple(args.serve_option)

    rows = []
    report: dict[str, object] = {}
    one = asyncio.run(measure(args.video, 1, 1, args.duration, options))[0][0]
    skipped = frames_skipped(one)
    rows.append(("1 stream, 1 subscriber", one, frames_per_second(one), skipped))
    accuracy = stream_accuracy(one, args.video.with_suffix(".truth.jsonl"))
    report["one_stream"] = {
        "accuracy": accuracy,
        "p50_ms": round(one.p(50), 1),
        "p95_ms": round(one.p(95), 1),
        "fps": round(frames_per_second(one), 1),
        "frames_skipped": skipped,
        "backlog_growth_p95_ms": round(backlog_growth_ms(one), 1),
    }
    if args.one_stream_only:
        print(json.dumps(report["one_stream"], indent=2))
        return
    crowd, others = asyncio.run(measure(args.video, 1, 100, args.duration, options))
    measured = crowd[0]
    rows.append(("1 stream, 100 subscribers", measured, frames_per_second(measured), frames_skipped(measured)))
    everyone = measured.values + others
    p95_everyone_ms = float(np.percentile(everyone, 95)) * 1000
    report["hundred_subscribers"] = {
        "p50_ms": round(measured.p(50), 1),
        "p95_ms": round(measured.p(95), 1),
        "p95_all_subscribers_ms": round(p95_everyone_ms, 1),
        "added_p95_ms": round(p95_everyone_ms - one.p(95), 1),
    }
    # 10-s phases (at least 5 s: the crowd's first 3 s count in neither phase).
    phase = min(10.0, max(5.0, args.duration / 4))
    alternating = asyncio.run(measure_alternating(args.video, 100, args.duration, phase, options))

    def p95_ms(values: list[float]) -> float:
        return round(percentile(values, 95) * 1000, 1)

    report["hundred_subscribers_alternating"] = {
        "phase_seconds": phase,
        "p95_alone_ms": p95_ms(alternating.alone),
        "p95_with_crowd_ms": p95_ms(alternating.with_crowd),
        "added_p95_ms": round(p95_ms(alternating.with_crowd) - p95_ms(alternating.alone), 1),
        "p95_all_subscribers_ms": p95_ms(alternating.everyone),
        "readings_alone": len(alternating.alone),
        "readings_with_crowd": len(alternating.with_crowd),
    }
    # Keeping up: every frame read (>= 28.5 readings/s of 30) with p95 latency <= 60 ms, on every stream.
    keeps_up = 1 if frames_per_second(one) >= 28.5 and one.p(95) <= 60.0 else 0
    capacity = [{"streams": 1, "worst_fps": round(frames_per_second(one), 1), "worst_p95_ms": round(one.p(95), 1)}]
    for streams in range(2, args.max_streams + 1):
        sinks, _ = asyncio.run(measure(args.video, streams, streams, min(args.duration, 30.0), options))
        worst_fps = min(frames_per_second(s) for s in sinks)
        worst_p95 = max(s.p(95) for s in sinks)
        capacity.append({"streams": streams, "worst_fps": round(worst_fps, 1), "worst_p95_ms": round(worst_p95, 1)})
        if keeps_up == streams - 1 and worst_fps >= 28.5 and worst_p95 <= 60.0:
            keeps_up = streams
        else:
            break
    report["streams"] = {"keeps_up_with": keeps_up, "tried": capacity}

    print("| scenario | p50 ms | p95 ms | readings/s | frames skipped |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, sink, fps, skipped_frames in rows:
        print(f"| {name} | {sink.p(50):.1f} | {sink.p(95):.1f} | {fps:.1f} | {skipped_frames} |")
    hundred = report["hundred_subscribers"]
    assert isinstance(hundred, dict)
    print(
        f"\n100 subscribers: p95 over all of them {hundred['p95_all_subscribers_ms']} ms, "
        f"{hundred['added_p95_ms']:+} ms against one subscriber."
    )
    turns = report["hundred_subscribers_alternating"]
    assert isinstance(turns, dict)
    print(
        f"100 subscribers in one server run, {phase:.0f} s with them and {phase:.0f} s without by turns: the same "
        f"subscriber's p95 {turns['p95_with_crowd_ms']} ms with them against {turns['p95_alone_ms']} ms alone, "
        f"{turns['added_p95_ms']:+} ms (p95 over all 100: {turns['p95_all_subscribers_ms']} ms)."
    )
    one_stream = report["one_stream"]
    assert isinstance(one_stream, dict)
    print(
        f"Backlog: p95 of the last third minus the first third of {args.duration:.0f} s: {one_stream['backlog_growth_p95_ms']} ms."
    )
    print(
        f"Streams of 1280x720 at 30 fps one process keeps up with (>= 28.5 readings/s each, p95 <= 60 ms): {keeps_up}"
    )
    for entry in capacity:
        print(
            f"  {entry['streams']} stream{'s' if entry['streams'] != 1 else ''}: worst {entry['worst_fps']} readings/s, worst p95 {entry['worst_p95_ms']} ms"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

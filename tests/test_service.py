"""The live service, for real: a websockets server on 127.0.0.1, real clients, a real video file as the camera."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from recognizer.classifier import Classifier
from recognizer.inputs import decode_image_bytes
from recognizer.pipeline import Recognizer
from recognizer.reading import Frame
from recognizer.scoring import load_truth
from recognizer.service.client import SubscribeError, recognize, subscribe
from recognizer.service.protocol import Changed, Hello, ReadingMessage, Status, parse_server_message
from recognizer.service.run import live_recognizer_options
from tests.conftest import DATA, SAMPLES
from tests.samples_index import CLEAN_PHOTO, LIVE_PHOTO
from tests.videos import write_drifting_video

TOKEN = "s3cret-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def camera_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A 1280x720 video drifting a few pixels over a sample photo, and the numbers it shows."""
    path = tmp_path_factory.mktemp("video") / "camera.mp4"
    return path, write_drifting_video(SAMPLES / LIVE_PHOTO, path, frames=90, drift_x=3, drift_y=2)


async def _collect(url: str, readings: int, timeout: float = 30.0) -> list[ReadingMessage]:
    received: list[ReadingMessage] = []

    async def gather() -> None:
        async for message in subscribe(url, reconnect=False):
            if isinstance(message, ReadingMessage):
                received.append(message)
                if len(received) >= readings:
                    return

    await asyncio.wait_for(gather(), timeout)
    return received


def _library_reads(video: Path, frames: set[int], classifier: Classifier) -> dict[int, list[str]]:
    """What the recognizer, called directly with the service's live options, reads from these frames."""
    live = Recognizer(classifier, live_recognizer_options())
    capture = cv2.VideoCapture(str(video))
    images = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        images.append(np.asarray(image, dtype=np.uint8))
    capture.release()
    return {
        # The service numbers frames on and on as it loops the file.
        frame: [n.text for n in live.read(Frame(image=images[frame % len(images)], source="desk")).numbers]
        for frame in frames
    }


def test_subscribers_get_every_frame_as_the_library_reads_it_and_numbers_become_stable(  # type: ignore[no-untyped-def]
    start_server, camera_video, classifier
) -> None:
    video, expected = camera_video
    server = start_server([f"desk={video}"])
    readings = asyncio.run(_collect(f"{server.base}/streams/desk", 40))
    assert all(r.stream == "desk" for r in readings)
    frames = [r.frame for r in readings]
    assert frames == sorted(frames), "frames must arrive in capture order"
    assert all(r.published_at >= r.captured_at for r in readings)
    # Nothing on the way (threads, batching across frames, JSON, websockets) changes a digit.
    library = _library_reads(video, set(frames), classifier)
    assert [[n.text for n in r.reading.numbers] for r in readings] == [library[f] for f in frames]
    # Single frames of this dim pencil photo sometimes miss a faint digit (tests/test_samples.py
    # and the benchmarks measure accuracy); most read right, and the stable set is exactly right.
    read_right = [r for r in readings if sorted(n.text for n in r.reading.numbers) == expected]
    assert len(read_right) >= 0.6 * len(readings)
    stable_sets = [sorted(t for n in r.stable for t in [n.text] * n.count) for r in readings]
    assert expected in stable_sets
    assert all(set(stable) <= set(expected) for stable in stable_sets), "a misreading became stable"


def test_hello_then_changed_events_for_change_subscribers(start_server, camera_video) -> None:  # type: ignore[no-untyped-def]
    video, expected = camera_video

    async def run(base: str) -> tuple[Hello, Changed]:
        async with connect(f"{base}/streams?changes_only=1") as connection:
            hello = parse_server_message(await connection.recv())
            assert isinstance(hello, Hello)
            while True:
                message = parse_server_message(await asyncio.wait_for(connection.recv(), 30))
                assert not isinstance(message, ReadingMessage), "changes_only must not send readings"
                if isinstance(message, Changed):
                    return hello, message

    server = start_server([f"desk={video}"])
    hello, changed = asyncio.run(run(server.base))
    assert hello.protocol == 1
    assert [s["name"] for s in hello.streams] == ["desk"]
    assert changed.added and set(changed.added) <= set(expected)


def test_stuck_subscriber_changes_nothing_for_the_others(start_server, camera_video) -> None:  # type: ignore[no-untyped-def]
    video, _ = camera_video
    server = start_server([f"desk={video}"], stall_timeout=1.0, queue_size=4)

    async def run(base: str) -> tuple[int, list[int], list[int], int | None]:
        # A client that asks for every thumbnail and then stops reading: its socket fills up.
        stuck = await connect(f"{base}/streams/desk", max_queue=1)
        await stuck.send(json.dumps({"type": "options", "thumbnails": True, "thumbnail_fps": 15}))
        stuck.transport.pause_reading()
        fast = await _collect(f"{base}/streams/desk", 60, timeout=40)
        received_frames = [r.frame for r in fast]
        published = [f for s, f in list(server.service.engine.published) if s == "desk"]
        missed = [f for f in published if received_frames[0] <= f <= received_frames[-1] and f not in received_frames]
        deadline = time.monotonic() + 30
        while server.service.hub.slow_disconnects == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        stuck.transport.resume_reading()
        stuck_frames = []
        try:
            async for text in stuck:
                message = parse_server_message(text)
                if isinstance(message, ReadingMessage):
                    stuck_frames.append(message.frame)
        except ConnectionClosed:
            pass
        return len(fast), missed, stuck_frames, stuck.close_code

    received, missed, stuck_frames, stuck_close = asyncio.run(run(server.base))
    assert received == 60
    # What reached the stuck client before it fell behind (written at once) and after (through its
    # queue, the oldest dropped) is still in capture order: nothing queued was overtaken.
    assert stuck_frames and stuck_frames == sorted(stuck_frames)
    # The fast subscriber got every reading the engine published while it listened.
    assert missed == []
    assert server.service.hub.slow_disconnects == 1
    assert stuck_close == 1008


def test_recognize_reads_an_uploaded_sample(start_server, recognizer) -> None:  # type: ignore[no-untyped-def]
    server = start_server([])
    photo = SAMPLES / CLEAN_PHOTO
    truth = load_truth(photo.with_suffix(".truth.json"))[0]
    reading = asyncio.run(recognize(f"{server.base}/recognize", photo.read_bytes()))
    assert sorted(n.text for n in reading.numbers) == sorted(truth.numbers)
    # The same digits in the same places as the library reads from the file.
    direct = recognizer.read(decode_image_bytes(photo.read_bytes(), photo.name))
    assert [(d.text, d.box) for n in reading.numbers for d in n.digits] == [
        (d.text, d.box) for n in direct.numbers for d in n.digits
    ]


def test_recognize_reads_digits_drawn_on_an_apps_canvas(  # type: ignore[no-untyped-def]
    start_server, clear_digits
) -> None:
    """A drawing pad's PNG: one large dark digit on a transparent 280x280 canvas, as a browser sends it."""
    server = start_server([])
    # Digits the model reads surely on their own: the test is of the picture's handling.
    for label in (3, 7, 0):
        alpha = cv2.resize(clear_digits[label][0], (280, 280), interpolation=cv2.INTER_LINEAR)
        canvas = np.dstack([np.zeros((280, 280, 3), np.uint8), alpha])
        ok, png = cv2.imencode(".png", canvas)
        assert ok
        reading = asyncio.run(recognize(f"{server.base}/recognize", png.tobytes()))
        assert reading.text == str(label)


def test_recognize_reports_garbage_and_refuses_oversized_uploads(start_server) -> None:  # type: ignore[no-untyped-def]
    server = start_server([], max_upload_bytes=200_000)

    async def run(base: str) -> tuple[dict, dict, int | None]:  # type: ignore[type-arg]
        async with connect(f"{base}/recognize", max_size=None) as connection:
            await connection.recv()  # hello
            await connection.send(b"\x89PNG but not really an image at all")
            garbage = json.loads(await connection.recv())
            await connection.send("please read this")
            text = json.loads(await connection.recv())
            await connection.send(os.urandom(300_000))
            try:
                await asyncio.wait_for(connection.recv(), 10)
            except ConnectionClosed:
                pass
            return garbage, text, connection.close_code

    garbage, text, code = asyncio.run(run(server.base))
    assert garbage["type"] == "error" and garbage["code"] == "bad_image"
    assert text["type"] == "error" and text["code"] == "bad_message"
    assert code == 1009


def test_malformed_options_get_an_error_not_a_crash(start_server, camera_video) -> None:  # type: ignore[no-untyped-def]
    video, _ = camera_video
    server = start_server([f"desk={video}"])

    async def run(base: str) -> list[dict]:  # type: ignore[type-arg]
        replies = []
        async with connect(f"{base}/streams/desk?changes_only=1") as connection:
            await connection.recv()  # hello
            for bad in ("{not json", json.dumps({"type": "options", "thumbnail_fps": "fast"}), json.dumps([1, 2])):
                await connection.send(bad)
                while True:
                    message = json.loads(await asyncio.wait_for(connection.recv(), 10))
                    if message["type"] == "error":
                        replies.append(message)
                        break
        return replies

    replies = asyncio.run(run(server.base))
    assert [r["code"] for r in replies] == ["bad_message"] * 3
    assert "thumbnail_fps" in replies[1]["message"]


def test_token_is_checked_at_connection_time(start_server, camera_video) -> None:  # type: ignore[no-untyped-def]
    video, _ = camera_video
    server = start_server([f"desk={video}"], token=TOKEN)

    async def refused(url: str) -> int:
        try:
            async with connect(url):
                return 101
        except InvalidStatus as error:
            return error.response.status_code

    assert asyncio.run(refused(f"{server.base}/streams")) == 401
    assert asyncio.run(refused(f"{server.base}/streams?token=wrong")) == 401
    with pytest.raises(SubscribeError, match="401"):
        asyncio.run(_collect(f"{server.base}/streams", 1))
    readings = asyncio.run(_collect(f"{server.base}/streams?token={TOKEN}", 2))
    assert len(readings) == 2


def test_unknown_stream_and_foreign_origin_are_refused(start_server, camera_video) -> None:  # type: ignore[no-untyped-def]
    video, _ = camera_video
    server = start_server([f"desk={video}"])

    async def status(url: str, origin: str | None = None) -> int:
        try:
            async with connect(url, origin=origin):  # type: ignore[arg-type]
                return 101
        except InvalidStatus as error:
            return error.response.status_code

    assert asyncio.run(status(f"{server.base}/streams/nope")) == 404
    assert asyncio.run(status(f"{server.base}/streams", origin="http://evil.example")) == 403
    own = f"http://127.0.0.1:{server.service.port}"
    assert asyncio.run(status(f"{server.base}/streams", origin=own)) == 101


def test_ended_and_failing_sources_are_reported_and_others_keep_serving(start_server, camera_video) -> None:  # type: ignore[no-untyped-def]
    video, expected = camera_video
    server = start_server([f"once={video}", "broken=rtsp://127.0.0.1:9/nothing", f"desk={video}"], loop_video=False)

    async def run(base: str) -> tuple[set[tuple[str, str]], list[str]]:
        states: set[tuple[str, str]] = set()
        desk_numbers: list[str] = []
        async with connect(f"{base}/streams") as connection:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                message = parse_server_message(await asyncio.wait_for(connection.recv(), 20))
                if isinstance(message, Status):
                    states.add((message.stream, message.state))
                if isinstance(message, Hello):
                    states.update((str(s["name"]), str(s["state"])) for s in message.streams)
                if isinstance(message, ReadingMessage) and message.stream == "desk":
                    desk_numbers = sorted(t for n in message.stable for t in [n.text] * n.count)
                if ("once", "ended") in states and ("broken", "reconnecting") in states and desk_numbers == expected:
                    break
        return states, desk_numbers

    states, desk_numbers = asyncio.run(run(server.base))
    assert ("once", "ended") in states
    assert ("broken", "reconnecting") in states
    # The desk stream goes on being read: its numbers are (or become) stable.
    assert desk_numbers == expected


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    children = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            children.add(int(status.parent.name))
    return children


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie no longer does: an init that does not reap leaves those)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_command_shuts_down_cleanly_on_sigterm(camera_video, workers) -> None:  # type: ignore[no-untyped-def]
    video, _ = camera_video
    port = free_port()
    command = [sys.executable, "-m", "recognizer", "serve", "--source", f"desk={video}", "--loop", "--port", str(port)]
    command += ["--workers", workers]
    readers: set[int] = set()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:

            async def run() -> int | None:
                for _ in range(150):
                    try:
                        connection = await connect(f"ws://127.0.0.1:{port}/streams")
                        break
                    except OSError:
                        await asyncio.sleep(0.2)
                else:
                    raise AssertionError("server did not come up")
                await connection.recv()
                if Path("/proc").is_dir():
                    # Two workers read in reader processes; one reads in the server's own process.
                    readers.update(_children(process.pid))
                    trackers = {pid for pid in readers if b"resource_tracker" in _command_line(pid)}
                    assert len(readers - trackers) == (2 if workers == "2" else 0)
                process.send_signal(signal.SIGTERM)
                try:
                    async for _ in connection:
                        pass
                except ConnectionClosed:
                    pass
                return connection.close_code

            assert asyncio.run(run()) == 1001
            _, stderr = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0
    assert "Traceback" not in stderr
    assert "leaked" not in stderr, "shared memory left behind"
    time.sleep(0.5)  # the resource tracker leaves once the server has gone
    assert not [child for child in readers if _running(child)], "a reader process outlived the server"


def test_serve_command_sharpens_smeared_frames_only_when_asked(tmp_path, classifier) -> None:  # type: ignore[no-untyped-def]
    """`digits serve --sharpen-motion` reads a frame smeared by the camera's motion sharpened, in its
    reader processes as the library does with that option; without the flag it is read as it is
    (tests/test_samples.py: over three times the errors). The camera: a folder holding the smeared
    test photo, played in a loop."""
    frames = tmp_path / "frames"
    frames.mkdir()
    smeared = DATA / "desk_photo_smeared_by_the_cameras_motion.jpg"
    (frames / smeared.name).write_bytes(smeared.read_bytes())
    port = free_port()
    command = [sys.executable, "-m", "recognizer", "serve", "--source", f"desk={frames}", "--loop", "--fps", "2"]
    command += ["--port", str(port), "--workers", "2", "--sharpen-motion"]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        try:

            async def first_reading() -> ReadingMessage:
                # The client's own reconnection waits for the server to come up.
                async with asyncio.timeout(60):
                    async for message in subscribe(f"ws://127.0.0.1:{port}/streams/desk"):
                        if isinstance(message, ReadingMessage):
                            return message
                raise AssertionError("the subscription ended without a reading")

            served = asyncio.run(first_reading())
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
    image = decode_image_bytes(smeared.read_bytes(), smeared.name).image
    sharpening = Recognizer(classifier, live_recognizer_options(sharpen_motion=True))
    as_it_is = Recognizer(classifier, live_recognizer_options())
    sharpened = [n.text for n in sharpening.read(Frame(image=image, source="desk")).numbers]
    unsharpened = [n.text for n in as_it_is.read(Frame(image=image, source="desk")).numbers]
    assert sharpened != unsharpened
    assert [n.text for n in served.reading.numbers] == sharpened


def test_subscribe_command_reconnects_when_the_server_restarts(camera_video) -> None:  # type: ignore[no-untyped-def]
    video, _ = camera_video
    port = free_port()
    command = [sys.executable, "-m", "recognizer", "serve", "--source", f"desk={video}", "--loop", "--port", str(port)]
    subscribe_command = [sys.executable, "-m", "recognizer", "subscribe", f"ws://127.0.0.1:{port}/streams", "--json"]
    with subprocess.Popen(subscribe_command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as subscriber:
        try:
            assert subscriber.stdout is not None
            with subprocess.Popen(command, stderr=subprocess.DEVNULL) as first:
                seen_before = _wait_for_reading(subscriber.stdout)
                first.send_signal(signal.SIGTERM)
                assert first.wait(timeout=20) == 0
            with subprocess.Popen(command, stderr=subprocess.DEVNULL) as second:
                seen_after = _wait_for_reading(subscriber.stdout)
                second.send_signal(signal.SIGTERM)
                second.wait(timeout=20)
        finally:
            subscriber.kill()
            _, stderr = subscriber.communicate()
    assert seen_before["stream"] == seen_after["stream"] == "desk"
    assert "reconnecting" in stderr


def _wait_for_reading(stream) -> dict:  # type: ignore[no-untyped-def,type-arg]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        message = json.loads(line)
        if message["type"] == "reading":
            return message  # type: ignore[no-any-return]
    raise AssertionError("no reading arrived")


def test_a_finished_frame_is_delivered_at_once_not_with_the_next_frame(  # type: ignore[no-untyped-def]
    start_server, tmp_path
) -> None:
    # A folder plays at 2 frames/s: with two workers, one waits for the next frame while the other
    # finishes the current one; the finished reading must not wait for that next frame (0.5 s).
    folder = tmp_path / "slow"
    folder.mkdir()
    for index in range(2):
        (folder / f"{index}.jpg").write_bytes((SAMPLES / CLEAN_PHOTO).read_bytes())
    server = start_server([f"slow={folder}"])

    async def delays() -> list[float]:
        found: list[float] = []
        async for message in subscribe(f"{server.base}/streams/slow", reconnect=False):
            if isinstance(message, ReadingMessage):
                found.append(time.time() - message.captured_at)
                if len(found) == 6:
                    return found
        return found

    measured = asyncio.run(asyncio.wait_for(delays(), 30))
    assert sorted(measured)[len(measured) // 2] < 0.4, measured


def test_requests_for_another_host_are_refused_on_loopback(start_server) -> None:  # type: ignore[no-untyped-def]
    import http.client

    server = start_server([])

    def get(path: str, headers: list[tuple[str, str]]) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", server.service.port, timeout=10)
        connection.putrequest("GET", path, skip_host=True)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        status = connection.getresponse().status
        connection.close()
        return status

    port = server.service.port
    assert get("/healthz", [("Host", f"127.0.0.1:{port}")]) == 200
    assert get("/healthz", [("Host", f"localhost:{port}")]) == 200
    # A page on evil.example that rebinds its name to 127.0.0.1: same "origin", foreign Host.
    assert get("/", [("Host", f"evil.example:{port}")]) == 403
    assert get("/healthz", [("Host", f"127.0.0.1:{port}"), ("Host", f"evil.example:{port}")]) == 400


def test_deeply_nested_json_gets_an_error_not_a_closed_connection(start_server, camera_video) -> None:  # type: ignore[no-untyped-def]
    video, _ = camera_video
    server = start_server([f"desk={video}"])

    async def exchange() -> dict[str, object]:
        async with connect(f"{server.base}/streams/desk?changes_only=1") as connection:
            await connection.recv()  # hello
            await connection.send("[" * 60_000)
            while True:
                message: dict[str, object] = json.loads(await connection.recv())
                if message["type"] == "error":
                    return message

    error = asyncio.run(asyncio.wait_for(exchange(), 20))
    assert error["code"] == "bad_message"


@pytest.mark.parametrize(
    "url", ["ws://127.0.0.1:abc/streams", "ws://[::1/streams", "ws://127.0.0.1:99999/x", "http://x/y"]
)
def test_a_bad_url_is_a_subscribe_error_not_a_crash(url: str) -> None:
    async def first() -> None:
        async for _ in subscribe(url, reconnect=False):
            return

    with pytest.raises(SubscribeError, match="not a websocket URL"):
        asyncio.run(first())
    with pytest.raises(SubscribeError, match="not a websocket URL"):
        asyncio.run(recognize(url, b"\x89PNG"))

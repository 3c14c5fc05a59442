"""The websocket server: ``/streams``, ``/streams/NAME``, ``/recognize`` and the browser page.

Limits are part of the server from the start: the largest upload, the number
of clients, client messages per second, the queue of each subscriber, an
optional shared token (checked before the handshake completes) and the
origins browsers may connect from. Everything binds to 127.0.0.1 unless told
otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import http
import ipaddress
import json
import logging
import os
import time
from collections import deque
from dataclasses import dataclass
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers, MultipleValuesError
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from recognizer import __version__
from recognizer.inputs import InputError, decode_image_bytes
from recognizer.pipeline import Recognizer
from recognizer.service.engine import Engine
from recognizer.service.hub import Hub, Subscriber
from recognizer.service.protocol import ErrorMessage, Hello, ProtocolError, Recognized, parse_client_message

__all__ = ["ServiceConfig", "Service", "TOKEN_ENV", "token_from_environment"]

logger = logging.getLogger("digitstream.server")

TOKEN_ENV = "DIGITSTREAM_TOKEN"
# Close codes: 1008 policy violation, 1009 message too big, 1001 going away.
CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_GOING_AWAY = 1008, 1009, 1001
CONTROL_MESSAGE_LIMIT = 64 * 1024
WEB_FILES = {
    "/": ("index.html", "text/html"),
    "/app.js": ("app.js", "text/javascript"),
    "/style.css": ("style.css", "text/css"),
}


@dataclass(frozen=True)
class ServiceConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    # A 300-dpi A4 scan as PNG is about 20 MB.
    max_upload_bytes: int = 24 * 1024 * 1024
    # A 300-dpi A4 scan is 8.7 Mpx; a few dozen Mpx of decoded upload would crowd out the live streams.
    max_upload_pixels: int = 40_000_000
    max_clients: int = 200
    queue_size: int = 8
    stall_timeout: float = 10.0
    messages_per_second: float = 10.0
    allowed_origins: tuple[str, ...] = ()
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    recognize_concurrency: int = 2


FLOOD_WINDOW = 10.0
FLOOD_STRIKES = 20


class _RateLimit:
    """A token bucket: ``rate`` messages per second with a burst of twice that."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = 2 * rate
        self.updated = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(2 * self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Service:
    """Serves one engine's streams and on-demand recognition. Create it inside the event loop."""

    def __init__(self, config: ServiceConfig, recognizer: Recognizer, hub: Hub, engine: Engine | None = None) -> None:
        self.config = config
        self.recognizer = recognizer
        self.hub = hub
        self.engine = engine
        self.clients = 0
        self.server: Server | None = None
        self._recognize_slots = asyncio.Semaphore(config.recognize_concurrency)

    @property
    def streams(self) -> list[dict[str, object]]:
        return self.engine.describe_streams() if self.engine is not None else []

    def hello(self) -> Hello:
        metadata = self.recognizer.classifier.info.metadata
        model = {
            "name": metadata.get("name", "digits"),
            "mnist_accuracy": metadata.get("test", {}).get("mnist_accuracy"),
            "classes": metadata.get("classes"),
        }
        return Hello(server=f"digitstream/{__version__}", model=model, streams=self.streams)

    # --- HTTP side: routing, limits and the page, before any handshake completes.

    def _reject(self, connection: ServerConnection, status: http.HTTPStatus, text: str) -> Response:
        return connection.respond(status, text + "\n")

    def _web_file(self, connection: ServerConnection, path: str) -> Response:
        name, kind = WEB_FILES[path]
        body = resources.files("recognizer.service.web").joinpath(name).read_text(encoding="utf-8")
        response = connection.respond(http.HTTPStatus.OK, body)
        # Headers is a multi-dict: setting a key adds a value, so drop respond()'s text/plain first.
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = f"{kind}; charset=utf-8"
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' blob: data:; connect-src 'self' ws: wss:"
        )
        return response

    def _origin_allowed(self, headers: Headers) -> bool:
        origin = headers.get("Origin")
        if origin is None:
            return True  # not a browser
        if origin in self.config.allowed_origins or "*" in self.config.allowed_origins:
            return True
        # The page this server serves itself: same host and port.
        return urlsplit(origin).netloc == headers.get("Host", "")

    def _token_ok(self, request: Request) -> bool:
        if not self.config.token:
            return True
        query = parse_qs(urlsplit(request.path).query)
        offered = query.get("token", [""])[0]
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            offered = authorization[len("Bearer ") :]
        return hmac.compare_digest(offered.encode(), self.config.token.encode())

    def _host_allowed(self, headers: Headers) -> bool:
        """On a loopback address, only requests made to a loopback name (or an allowed origin's host).

        A web page can rename its own site to 127.0.0.1 by DNS rebinding and then pass the same-origin
        check; its requests still name the attacker's host in Host, which this refuses.
        """
        if not _is_loopback(self.config.host):
            return True  # reachable under names this server cannot know: --token protects it
        name = urlsplit(f"//{headers.get('Host', '')}").hostname or ""
        if _is_loopback(name):
            return True
        allowed = {urlsplit(origin).hostname for origin in self.config.allowed_origins}
        return name in allowed or "*" in self.config.allowed_origins

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        try:
            return self._route(connection, request)
        except MultipleValuesError as error:
            return self._reject(connection, http.HTTPStatus.BAD_REQUEST, f"header given more than once: {error}")

    def _route(self, connection: ServerConnection, request: Request) -> Response | None:
        if not self._host_allowed(request.headers):
            return self._reject(connection, http.HTTPStatus.FORBIDDEN, "host not allowed for a server on 127.0.0.1")
        path = urlsplit(request.path).path
        is_upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        if not is_upgrade:
            if path in WEB_FILES:
                return self._web_file(connection, path)
            if path == "/healthz":
                return connection.respond(
                    http.HTTPStatus.OK, json.dumps({"status": "ok", "streams": self.streams}) + "\n"
                )
            return self._reject(connection, http.HTTPStatus.NOT_FOUND, f"not found: {path}")
        if not (path in ("/streams", "/recognize") or (path.startswith("/streams/") and len(path) > len("/streams/"))):
            return self._reject(connection, http.HTTPStatus.NOT_FOUND, f"no websocket endpoint at {path}")
        if path.startswith("/streams/") and path[len("/streams/") :] not in {str(s["name"]) for s in self.streams}:
            return self._reject(connection, http.HTTPStatus.NOT_FOUND, f"no stream named {path[len('/streams/') :]!r}")
        if not self._origin_allowed(request.headers):
            return self._reject(connection, http.HTTPStatus.FORBIDDEN, "origin not allowed (see --allow-origin)")
        if not self._token_ok(request):
            return self._reject(connection, http.HTTPStatus.UNAUTHORIZED, "missing or wrong token")
        if self.clients >= self.config.max_clients:
            return self._reject(connection, http.HTTPStatus.SERVICE_UNAVAILABLE, "too many clients; try again later")
        return None

    # --- Websocket side.

    async def handler(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        parts = urlsplit(connection.request.path)
        self.clients += 1
        try:
            if parts.path == "/recognize":
                await self._recognize(connection)
            else:
                # Subscribers only send small options; uploads of up to max_upload_bytes go to /recognize.
                # (The frame parser reads this limit before every frame.)
                connection.protocol.max_message_size = CONTROL_MESSAGE_LIMIT
                stream = parts.path[len("/streams/") :] if parts.path.startswith("/streams/") else None
                query = parse_qs(parts.query)
                changes_only = query.get("changes_only", ["0"])[0] in ("1", "true", "yes")
                await self._subscribe(connection, stream, changes_only)
        except ConnectionClosed:
            pass  # the client went away or broke a limit; websockets has already closed with the reason
        finally:
            self.clients -= 1

    async def _send_error(self, connection: ServerConnection, code: str, message: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await connection.send(json.dumps(ErrorMessage(code, message).to_json()))

    async def _subscribe(self, connection: ServerConnection, stream: str | None, changes_only: bool) -> None:
        await connection.send(json.dumps(self.hello().to_json()))
        subscriber = Subscriber(connection, stream, changes_only=changes_only, queue_size=self.config.queue_size)
        sender = self.hub.add(subscriber)
        limit = _RateLimit(self.config.messages_per_second)
        try:
            receiving = asyncio.ensure_future(self._read_options(connection, subscriber, limit))
            await asyncio.wait([sender, receiving], return_when=asyncio.FIRST_COMPLETED)
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await receiving
        finally:
            await self.hub.remove(subscriber)

    async def _read_options(self, connection: ServerConnection, subscriber: Subscriber, limit: _RateLimit) -> None:
        # Refused messages in the last FLOOD_WINDOW seconds: a client that keeps flooding is closed,
        # one that once sent a burst too many is not held to it for ever.
        strikes: deque[float] = deque()
        async for message in connection:
            if not limit.allow():
                now = time.monotonic()
                strikes.append(now)
                while strikes and strikes[0] < now - FLOOD_WINDOW:
                    strikes.popleft()
                if len(strikes) > FLOOD_STRIKES:
                    await connection.close(CLOSE_POLICY, "too many messages")
                    return
                await self._send_error(
                    connection, "rate_limited", f"at most {self.config.messages_per_second:g} messages per second"
                )
                continue
            if isinstance(message, bytes):
                await self._send_error(
                    connection, "bad_message", "send options as a JSON text message (uploads go to /recognize)"
                )
                continue
            try:
                options = parse_client_message(message)
            except ProtocolError as error:
                await self._send_error(connection, "bad_message", str(error))
                continue
            if options.changes_only is not None:
                subscriber.changes_only = options.changes_only
            if options.thumbnails is not None:
                subscriber.thumbnails = options.thumbnails
            if options.thumbnail_fps is not None:
                subscriber.thumbnail_fps = options.thumbnail_fps

    async def _recognize(self, connection: ServerConnection) -> None:
        await connection.send(json.dumps(self.hello().to_json()))
        limit = _RateLimit(self.config.messages_per_second)
        loop = asyncio.get_running_loop()
        async for message in connection:
            if not limit.allow():
                await self._send_error(
                    connection, "rate_limited", f"at most {self.config.messages_per_second:g} uploads per second"
                )
                continue
            if isinstance(message, str):
                await self._send_error(
                    connection, "bad_message", "send the image as a binary message (PNG or JPEG bytes)"
                )
                continue
            async with self._recognize_slots:
                # Decoding a 20 MB scan takes a while: off the event loop, like the reading itself.
                try:
                    frame = await loop.run_in_executor(
                        None, decode_image_bytes, message, "upload", self.config.max_upload_pixels
                    )
                except InputError as error:
                    await self._send_error(connection, "bad_image", error.reason)
                    continue
                try:
                    reading = await loop.run_in_executor(None, self.recognizer.read, frame)
                except Exception as error:  # noqa: BLE001 - report, keep serving
                    logger.exception("recognition failed")
                    await self._send_error(connection, "internal", f"recognition failed: {type(error).__name__}")
                    continue
            await connection.send(json.dumps(Recognized(reading).to_json()))

    async def start(self) -> Server:
        self.server = await serve(
            self.handler,
            self.config.host,
            self.config.port,
            process_request=self.process_request,
            max_size=self.config.max_upload_bytes,
            max_queue=4,
            ping_interval=self.config.ping_interval,
            ping_timeout=self.config.ping_timeout,
            # Readings are small and latency matters more than bandwidth on a LAN.
            compression=None,
            server_header=f"digitstream/{__version__}",
        )
        return self.server

    @property
    def port(self) -> int:
        assert self.server is not None
        socket = next(iter(self.server.sockets))
        return int(socket.getsockname()[1])

    async def close(self) -> None:
        if self.server is not None:
            self.server.close(close_connections=True)
            await self.server.wait_closed()


def token_from_environment(explicit: str | None) -> str | None:
    """The shared token: the option, else ``$DIGITSTREAM_TOKEN``, else none."""
    return explicit or os.environ.get(TOKEN_ENV) or None


def _is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False

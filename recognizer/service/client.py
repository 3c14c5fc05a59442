"""Subscribe to a digitstream server from Python, reconnecting when it restarts.

    async for message in subscribe("ws://127.0.0.1:8765/streams"):
        print(message.stream, message.reading.text)

:func:`subscribe` yields :class:`ReadingMessage` objects (with ``changes_only``,
:class:`Changed` events instead); :func:`subscribe_messages` yields every
message, status and errors included. :func:`recognize` sends one image to
``/recognize`` and returns its reading.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.uri import parse_uri

from recognizer.reading import Reading
from recognizer.service.protocol import (
    Changed,
    ErrorMessage,
    ProtocolError,
    ReadingMessage,
    Recognized,
    ServerMessage,
    parse_server_message,
)

__all__ = ["SubscribeError", "subscribe", "subscribe_messages", "recognize"]

logger = logging.getLogger("digitstream.client")
RECONNECT_START, RECONNECT_MAX = 0.5, 8.0


class SubscribeError(Exception):
    """The server refused us for good (bad token, unknown stream, bad URL)."""


def _with_query(url: str, token: str | None, changes_only: bool) -> str:
    """The URL to connect to; raises :class:`SubscribeError` for one that is not a websocket URL."""
    try:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        if token:
            query["token"] = token
        if changes_only:
            query["changes_only"] = "1"
        target = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
        parse_uri(target)  # the port, the host's brackets: what connect() would trip on later
    except (ValueError, InvalidURI) as error:
        raise SubscribeError(f"{url}: not a websocket URL ({error})") from None
    return target


async def subscribe_messages(
    url: str,
    token: str | None = None,
    changes_only: bool = False,
    reconnect: bool = True,
    on_reconnect: Callable[[float, str], None] | None = None,
) -> AsyncIterator[ServerMessage]:
    """Every message the server sends, across reconnections.

    Raises :class:`SubscribeError` when the server refuses the connection with a
    4xx status (wrong token, unknown stream) or the URL is invalid.
    """
    target = _with_query(url, token, changes_only)
    delay = RECONNECT_START
    while True:
        try:
            async with connect(target, open_timeout=5, max_size=32 * 1024 * 1024, compression=None) as connection:
                delay = RECONNECT_START
                async for raw in connection:
                    try:
                        yield parse_server_message(raw)
                    except ProtocolError as error:
                        logger.warning("ignoring a malformed message: %s", error)
        except InvalidStatus as error:
            status = error.response.status_code
            if 400 <= status < 500:
                raise SubscribeError(
                    f"{url}: refused with HTTP {status}: {error.response.body.decode(errors='replace').strip()}"
                ) from error
        except InvalidURI as error:
            raise SubscribeError(f"{url}: not a websocket URL ({error})") from error
        except (TimeoutError, OSError, InvalidHandshake, ConnectionClosed) as error:
            reason = str(error) or type(error).__name__
            logger.info("connection to %s lost (%s)", url, reason)
        else:
            reason = "the server closed the connection"
        if not reconnect:
            return
        if on_reconnect is not None:
            on_reconnect(delay, reason)
        await asyncio.sleep(delay)
        delay = min(RECONNECT_MAX, delay * 2)


async def subscribe(
    url: str, token: str | None = None, changes_only: bool = False, reconnect: bool = True
) -> AsyncIterator[ReadingMessage | Changed]:
    """Readings (or, with ``changes_only``, change events) from a stream, across reconnections."""
    async for message in subscribe_messages(url, token, changes_only, reconnect):
        if isinstance(message, (ReadingMessage, Changed)):
            yield message


async def recognize(url: str, image: bytes, token: str | None = None, timeout: float = 30.0) -> Reading:
    """Send one PNG or JPEG to ``/recognize`` and return its reading; raises :class:`SubscribeError`."""
    target = _with_query(url, token, False)
    try:
        async with connect(target, open_timeout=5, max_size=32 * 1024 * 1024, compression=None) as connection:
            await connection.send(image)
            while True:
                message = parse_server_message(await asyncio.wait_for(connection.recv(), timeout))
                if isinstance(message, Recognized):
                    return message.reading
                if isinstance(message, ErrorMessage):
                    raise SubscribeError(f"{message.code}: {message.message}")
    except InvalidStatus as error:
        raise SubscribeError(f"{url}: refused with HTTP {error.response.status_code}") from error
    except (OSError, InvalidHandshake, ConnectionClosed) as error:
        raise SubscribeError(f"{url}: {error}") from error

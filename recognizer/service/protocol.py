"""The websocket protocol, version 1: every message as a small dataclass.

Server to client (JSON text messages, each with a ``type``):

- ``hello``: first message on every connection (server version, model, streams).
- ``reading``: what one frame of a stream reads, in the ``digits read --json`` schema,
  with the stream's stable numbers.
- ``changed``: the stable numbers of a stream changed.
- ``status``: a stream's source went live, was lost, is reconnecting or ended.
- ``frame``: a JPEG thumbnail of a stream, only for clients that asked for them.
- ``recognized``: the reading of an image uploaded to ``/recognize``.
- ``error``: a request could not be served; the connection stays open unless said.

Client to server (JSON text, on ``/streams``): ``options`` (changes only,
thumbnails). On ``/recognize``: binary messages holding PNG or JPEG bytes.

Parsing raises :class:`ProtocolError` with a message fit to send back.
``docs/protocol.md`` shows an example of every message; a test parses them here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from recognizer.reading import Reading

__all__ = [
    "PROTOCOL_VERSION",
    "ProtocolError",
    "StableNumber",
    "Hello",
    "ReadingMessage",
    "Changed",
    "Status",
    "Thumbnail",
    "Recognized",
    "ErrorMessage",
    "Options",
    "ServerMessage",
    "parse_server_message",
    "parse_client_message",
    "STATES",
]

PROTOCOL_VERSION = 1
STATES = ("live", "lost", "reconnecting", "ended")


class ProtocolError(ValueError):
    """A message that does not follow the protocol."""


def _require(data: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise ProtocolError(f"missing field {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (kind in (int, float, (int, float)) and isinstance(value, bool)):
        raise ProtocolError(f"field {key!r} has the wrong type ({type(value).__name__})")
    return value


@dataclass(frozen=True)
class StableNumber:
    """A number read the same way in enough consecutive frames."""

    text: str
    count: int
    since_frame: int

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "count": self.count, "since_frame": self.since_frame}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StableNumber:
        return cls(
            str(_require(data, "text", str)), int(_require(data, "count", int)), int(_require(data, "since_frame", int))
        )


@dataclass(frozen=True)
class Hello:
    server: str
    model: dict[str, Any]
    streams: list[dict[str, Any]]
    protocol: int = PROTOCOL_VERSION
    type: str = field(default="hello", init=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "protocol": self.protocol,
            "server": self.server,
            "model": self.model,
            "streams": self.streams,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Hello:
        return cls(
            server=_require(data, "server", str),
            model=_require(data, "model", dict),
            streams=_require(data, "streams", list),
            protocol=_require(data, "protocol", int),
        )


@dataclass(frozen=True)
class ReadingMessage:
    stream: str
    frame: int
    captured_at: float
    published_at: float
    reading: Reading
    stable: list[StableNumber]
    type: str = field(default="reading", init=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "stream": self.stream,
            "frame": self.frame,
            "captured_at": round(self.captured_at, 6),
            "published_at": round(self.published_at, 6),
            "reading": self.reading.to_json(),
            "stable": [number.to_json() for number in self.stable],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReadingMessage:
        try:
            reading = Reading.from_json(_require(data, "reading", dict))
        except (KeyError, TypeError, ValueError) as error:
            raise ProtocolError(f"malformed reading: {error}") from error
        return cls(
            stream=_require(data, "stream", str),
            frame=_require(data, "frame", int),
            captured_at=float(_require(data, "captured_at", (int, float))),
            published_at=float(_require(data, "published_at", (int, float))),
            reading=reading,
            stable=[StableNumber.from_json(item) for item in _require(data, "stable", list)],
        )


@dataclass(frozen=True)
class Changed:
    stream: str
    frame: int
    at: float
    stable: list[StableNumber]
    added: list[str]
    removed: list[str]
    type: str = field(default="changed", init=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "stream": self.stream,
            "frame": self.frame,
            "at": round(self.at, 6),
            "stable": [number.to_json() for number in self.stable],
            "added": self.added,
            "removed": self.removed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Changed:
        return cls(
            stream=_require(data, "stream", str),
            frame=_require(data, "frame", int),
            at=float(_require(data, "at", (int, float))),
            stable=[StableNumber.from_json(item) for item in _require(data, "stable", list)],
            added=[str(text) for text in _require(data, "added", list)],
            removed=[str(text) for text in _require(data, "removed", list)],
        )


@dataclass(frozen=True)
class Status:
    stream: str
    state: str
    message: str
    at: float
    type: str = field(default="status", init=False)

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ProtocolError(f"unknown state {self.state!r}; expected one of {STATES}")

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "stream": self.stream,
            "state": self.state,
            "message": self.message,
            "at": round(self.at, 6),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Status:
        return cls(
            stream=_require(data, "stream", str),
            state=_require(data, "state", str),
            message=_require(data, "message", str),
            at=float(_require(data, "at", (int, float))),
        )


@dataclass(frozen=True)
class Thumbnail:
    stream: str
    frame: int
    width: int
    height: int
    jpeg: str  # base64
    type: str = field(default="frame", init=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "stream": self.stream,
            "frame": self.frame,
            "width": self.width,
            "height": self.height,
            "jpeg": self.jpeg,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Thumbnail:
        return cls(
            stream=_require(data, "stream", str),
            frame=_require(data, "frame", int),
            width=_require(data, "width", int),
            height=_require(data, "height", int),
            jpeg=_require(data, "jpeg", str),
        )


@dataclass(frozen=True)
class Recognized:
    reading: Reading
    type: str = field(default="recognized", init=False)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "reading": self.reading.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recognized:
        try:
            return cls(Reading.from_json(_require(data, "reading", dict)))
        except (KeyError, TypeError, ValueError) as error:
            raise ProtocolError(f"malformed reading: {error}") from error


@dataclass(frozen=True)
class ErrorMessage:
    code: str
    message: str
    type: str = field(default="error", init=False)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "code": self.code, "message": self.message}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ErrorMessage:
        return cls(code=_require(data, "code", str), message=_require(data, "message", str))


ServerMessage = Hello | ReadingMessage | Changed | Status | Thumbnail | Recognized | ErrorMessage
_SERVER_TYPES: dict[str, Any] = {
    "hello": Hello,
    "reading": ReadingMessage,
    "changed": Changed,
    "status": Status,
    "frame": Thumbnail,
    "recognized": Recognized,
    "error": ErrorMessage,
}


def _load_object(text: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ProtocolError(f"not JSON: {error}") from error
    except RecursionError:
        raise ProtocolError("JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise ProtocolError("a message must be a JSON object")
    return data


def parse_server_message(text: str | bytes) -> ServerMessage:
    """Parse what the server sends; raises :class:`ProtocolError`."""
    data = _load_object(text)
    kind = data.get("type")
    if kind not in _SERVER_TYPES:
        raise ProtocolError(f"unknown message type {kind!r}")
    message: ServerMessage = _SERVER_TYPES[kind].from_json(data)
    return message


@dataclass(frozen=True)
class Options:
    """Client request on ``/streams``: what this client wants to receive."""

    changes_only: bool | None = None
    thumbnails: bool | None = None
    thumbnail_fps: float | None = None
    type: str = field(default="options", init=False)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type}
        if self.changes_only is not None:
            data["changes_only"] = self.changes_only
        if self.thumbnails is not None:
            data["thumbnails"] = self.thumbnails
        if self.thumbnail_fps is not None:
            data["thumbnail_fps"] = self.thumbnail_fps
        return data


def parse_client_message(text: str | bytes) -> Options:
    """Parse what a client sends on ``/streams``; raises :class:`ProtocolError`."""
    data = _load_object(text)
    if data.get("type") != "options":
        raise ProtocolError(f"unknown message type {data.get('type')!r}; clients may send only 'options'")
    unknown = set(data) - {"type", "changes_only", "thumbnails", "thumbnail_fps"}
    if unknown:
        raise ProtocolError(f"unknown option(s) {sorted(unknown)}")
    changes_only = data.get("changes_only")
    thumbnails = data.get("thumbnails")
    fps = data.get("thumbnail_fps")
    for name, value in (("changes_only", changes_only), ("thumbnails", thumbnails)):
        if value is not None and not isinstance(value, bool):
            raise ProtocolError(f"option {name!r} must be true or false")
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0.1 <= fps <= 15):
        raise ProtocolError("option 'thumbnail_fps' must be a number from 0.1 to 15")
    return Options(changes_only=changes_only, thumbnails=thumbnails, thumbnail_fps=None if fps is None else float(fps))

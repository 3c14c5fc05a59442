"""docs/protocol.md matches the code: every example parses and serialises back unchanged."""

from __future__ import annotations

import json
import re

import pytest

from recognizer.service.protocol import (
    Options,
    ProtocolError,
    Status,
    parse_client_message,
    parse_server_message,
)
from tests.conftest import REPOSITORY

DOC = (REPOSITORY / "docs" / "protocol.md").read_text(encoding="utf-8")
EXAMPLES = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", DOC, flags=re.DOTALL)]
SERVER_TYPES = {"hello", "reading", "changed", "status", "frame", "recognized", "error"}


def test_every_message_type_has_an_example() -> None:
    documented = {example["type"] for example in EXAMPLES}
    assert documented == SERVER_TYPES | {"options"}


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e["type"] in SERVER_TYPES], ids=lambda e: e["type"])
def test_server_examples_round_trip(example: dict) -> None:  # type: ignore[type-arg]
    message = parse_server_message(json.dumps(example))
    assert message.to_json() == example


def test_client_example_round_trips() -> None:
    example = next(e for e in EXAMPLES if e["type"] == "options")
    assert parse_client_message(json.dumps(example)).to_json() == example


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("{oops", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"type": "subscribe"}', "unknown message type"),
        ('{"type": "options", "colour": "red"}', "unknown option"),
        ('{"type": "options", "thumbnails": "yes"}', "true or false"),
        ('{"type": "options", "thumbnail_fps": 100}', "0.1 to 15"),
    ],
)
def test_bad_client_messages_are_protocol_errors(text: str, complaint: str) -> None:
    with pytest.raises(ProtocolError, match=complaint):
        parse_client_message(text)


def test_bad_server_messages_are_protocol_errors() -> None:
    with pytest.raises(ProtocolError, match="missing field 'stream'"):
        parse_server_message('{"type": "status", "state": "live", "message": "", "at": 1}')
    with pytest.raises(ProtocolError, match="unknown state"):
        Status(stream="a", state="sleeping", message="", at=0.0)


def test_options_only_serialise_what_was_set() -> None:
    assert Options(changes_only=True).to_json() == {"type": "options", "changes_only": True}

"""Reading and writing Wyoming events with limits, so a bad peer is named and dropped, never trusted.

``wyoming.event.async_read_event`` hides a malformed event as an end of stream and reads any
length a peer announces; this reader says what was wrong and bounds every part of an event.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from wyoming.event import Event, async_write_event

from assistant.audio import SAMPLE_RATE, SAMPLE_WIDTH

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 64 * 1024
"""A header line longer than this is a protocol error (asyncio's default stream limit)."""
MAX_DATA_BYTES = 256 * 1024
MAX_PAYLOAD_BYTES = 1024 * 1024
"""An audio chunk is a few kilobytes; a megabyte is 30 s of 16 kHz audio."""
AUDIO_FORMAT = {"rate": SAMPLE_RATE, "width": SAMPLE_WIDTH, "channels": 1}
"""What Hearth accepts from a microphone: 16 kHz, 16-bit, mono."""


class ProtocolError(Exception):
    """The peer broke the protocol; the message says how, for the log line."""


def parse_uri(uri: str) -> tuple[str, int]:
    """``tcp://HOST:PORT`` → (host, port)."""
    parts = urlsplit(uri)
    if parts.scheme != "tcp" or not parts.hostname or parts.port is None:
        raise ValueError(f"{uri!r} is not tcp://HOST:PORT")
    return parts.hostname, parts.port


async def read_event(reader: asyncio.StreamReader) -> Event | None:
    """The next event, or None at a clean end of stream; ProtocolError for anything malformed."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise ProtocolError("connection closed in the middle of an event header") from e
    except asyncio.LimitOverrunError as e:
        raise ProtocolError(f"event header longer than {MAX_HEADER_BYTES} bytes") from e
    try:
        header = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ProtocolError(f"malformed event header ({e.msg if hasattr(e, 'msg') else e}): {line[:80]!r}") from e
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise ProtocolError(f"event header without a type: {line[:80]!r}")
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise ProtocolError(f"{header['type']}: data is not an object")
    data_length = _length(header, "data_length", MAX_DATA_BYTES)
    payload_length = _length(header, "payload_length", MAX_PAYLOAD_BYTES)
    try:
        if data_length:
            extra = json.loads(await reader.readexactly(data_length))
            if not isinstance(extra, dict):
                raise ProtocolError(f"{header['type']}: data is not an object")
            data.update(extra)
        payload = await reader.readexactly(payload_length) if payload_length else None
    except asyncio.IncompleteReadError as e:
        raise ProtocolError(f"connection closed in the middle of a {header['type']} event") from e
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ProtocolError(f"{header['type']}: malformed data: {e}") from e
    return Event(type=header["type"], data=data, payload=payload)


def _length(header: dict[str, Any], key: str, limit: int) -> int:
    value = header.get(key) or 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProtocolError(f"{header['type']}: {key} {value!r} is not a length")
    if value > limit:
        raise ProtocolError(f"{header['type']}: {key} {value} exceeds the limit of {limit} bytes")
    return value


async def write_event(writer: asyncio.StreamWriter, event: Event) -> None:
    await async_write_event(event, writer)


def check_audio_format(data: dict[str, Any], payload: bytes | None) -> None:
    """Hearth listens to 16 kHz 16-bit mono; anything else is named, not guessed at."""
    got = {k: data.get(k) for k in AUDIO_FORMAT}
    if got != AUDIO_FORMAT:
        raise ProtocolError(f"audio format {got} is not supported; send {AUDIO_FORMAT}")
    if payload is not None and len(payload) % SAMPLE_WIDTH:
        raise ProtocolError(f"audio chunk of {len(payload)} bytes is not whole 16-bit samples")


def open_limits() -> dict[str, int]:
    """Keyword arguments for ``asyncio.open_connection``/``start_server``: the header limit."""
    return {"limit": MAX_HEADER_BYTES}

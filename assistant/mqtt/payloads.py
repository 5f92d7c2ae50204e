"""The intent document Hearth publishes, and validation of every inbound command payload."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from assistant.errors import MqttError
from assistant.intents import Intent, Understanding

SCHEMA_VERSION = 1
MAX_ANNOUNCE_CHARS = 1000
"""Longer announcements are refused: they would keep the speaker busy for minutes."""
MAX_PLACE_CHARS = 100
"""An announcement's room or floor name is at most this long."""


def new_id() -> str:
    """16 hex digits (64 random bits): unique enough for a home, short enough that Home
    Assistant's 255-character ``input_text`` can remember the last 14 for dropping duplicates."""
    return secrets.token_hex(8)


def intent_documents(
    understanding: Understanding,
    *,
    node: str,
    area: str,
    language: str = "",
    run_id: str = "",
    ts: float | None = None,
    ttl_s: float = 120.0,
    sensitive_ttl_s: float = 15.0,
    sensitive: Collection[str] = (),
) -> list[dict[str, Any]]:
    """One document per intent (documented in homeassistant/README.md); none when nothing was
    understood as an intent. ``ttl``: seconds after ``ts`` when it must no longer run, the short
    ``sensitive_ttl_s`` when any action calls a ``sensitive`` service."""
    now = time.time() if ts is None else ts

    def ttl(intent: Intent) -> float:
        return float(sensitive_ttl_s if any(a.service in sensitive for a in intent.actions) else ttl_s)

    return [
        {
            "v": SCHEMA_VERSION,
            "id": new_id(),
            "ts": round(now, 3),
            "ttl": ttl(intent),
            "node": node,
            "area": area,
            "text": understanding.text,
            "language": language or understanding.language,
            "intent": intent.intent,
            "slots": _jsonable(dict(intent.slots)),
            "actions": [_jsonable(a.as_dict()) for a in intent.actions],
            "reply": understanding.reply,
            "run_id": run_id,
        }
        for intent in understanding.intents
    ]


def _jsonable(value: Any) -> Any:
    """Slots may hold values JSON cannot (tuples, sets, enums); make them plain."""
    return json.loads(json.dumps(value, default=str))


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Command:
    """A validated request from Home Assistant (or a script) to this node."""

    kind: Literal["announce", "cancel", "mute", "discovery"]
    text: str = ""
    muted: bool = False
    area: str = ""
    """An announcement for one room (empty: the whole home)."""
    floor: str = ""
    """An announcement for every room on a floor."""


_BOOL = {"on": True, "off": False, "true": True, "false": False, "1": True, "0": False}


def _text(payload: bytes) -> str:
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError as e:
        raise MqttError("payload is not UTF-8 text") from e


def _announce(text: Any, doc: dict[str, Any] | None = None) -> Command:
    if not isinstance(text, str) or not text.strip():
        raise MqttError("announce needs non-empty text")
    if len(text) > MAX_ANNOUNCE_CHARS:
        raise MqttError(f"announce text is {len(text)} characters; the limit is {MAX_ANNOUNCE_CHARS}")
    where = {k: (doc or {}).get(k) or "" for k in ("area", "floor")}
    for k, v in where.items():
        if not isinstance(v, str) or len(v) > MAX_PLACE_CHARS:
            raise MqttError(f"announce {k} must be a name of at most {MAX_PLACE_CHARS} characters")
    if where["area"] and where["floor"]:
        raise MqttError("announce takes an area or a floor, not both")
    return Command("announce", text=text.strip(), area=where["area"].strip(), floor=where["floor"].strip())


def _mute(value: Any) -> Command:
    if isinstance(value, bool):
        return Command("mute", muted=value)
    if isinstance(value, str) and value.strip().lower() in _BOOL:
        return Command("mute", muted=_BOOL[value.strip().lower()])
    raise MqttError(f"mute needs ON or OFF, got {value!r}")


def parse_announce(payload: bytes) -> Command:
    """Plain text, or JSON ``{"text": "...", "area": "kitchen"}`` (``area`` or ``floor`` optional; a
    payload that looks like JSON must be valid)."""
    text = _text(payload)
    if text[:1] in ("{", "[", '"') or text in ("null", "true", "false"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise MqttError(f"announce payload looks like JSON but is not: {e}") from e
        if isinstance(doc, str):
            return _announce(doc)
        if not isinstance(doc, dict):
            raise MqttError("announce JSON must be an object with 'text'")
        return _announce(doc.get("text"), doc)
    return _announce(text)


def parse_mute(payload: bytes) -> Command:
    return _mute(_text(payload))


def parse_cancel(payload: bytes) -> Command:
    text = _text(payload)
    if text.upper() not in ("PRESS", "CANCEL", "STOP"):
        raise MqttError(f"cancel expects PRESS, got {text[:40]!r}")
    return Command("cancel")


def parse_command(payload: bytes) -> Command:
    """JSON ``{"command": "announce", "text": ...}`` (``area`` or ``floor`` optional),
    ``{"command": "mute", "muted": true}``, ``{"command": "cancel"}`` or ``{"command": "discovery"}``
    (re-send discovery)."""
    try:
        doc = json.loads(_text(payload))
    except json.JSONDecodeError as e:
        raise MqttError(f"command payload is not JSON: {e}") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("command"), str):
        raise MqttError("command must be a JSON object with a 'command' string")
    kind = doc["command"]
    if kind == "announce":
        return _announce(doc.get("text"), doc)
    if kind == "mute":
        return _mute(doc.get("muted"))
    if kind in ("cancel", "discovery"):
        return Command(kind)
    raise MqttError(f"unknown command {kind[:40]!r}; known: announce, mute, cancel, discovery")

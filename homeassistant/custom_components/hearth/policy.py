"""What the hearth integration checks before Home Assistant acts on an intent.

Pure Python (no Home Assistant imports), so Hearth's tests can check it agrees with Hearth's own
signing. Every check returns ``None`` when it passes, else a short machine-readable reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

SIG = "sig"
MIN_SECRET_CHARS = 16
TARGET_KEYS = frozenset({
    "entity_id", "device_id", "area_id", "floor_id", "label_id", "entities", "target", "entity",
    "device", "area", "floor", "label",
})
"""Keys that would choose what a service acts on; only the action's own ``entity_id`` may."""
NEVER = frozenset({"scene.apply", "scene.create", "scene.delete", "script.reload", "scene.reload"})
"""Services that set arbitrary states or change what exists: refused even if an allow-list names them."""


def canonical(doc: Mapping[str, Any]) -> bytes:
    """The bytes that are signed: the document without ``sig``, keys sorted, no spaces, ASCII only.

    Python's ``json`` writes floats with ``repr``, which round-trips exactly, so the sender's and
    the receiver's bytes agree after a JSON round trip."""
    body = {k: v for k, v in doc.items() if k != SIG}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def signature(doc: Mapping[str, Any], secret: str) -> str:
    """HMAC-SHA256 of :func:`canonical` with the shared secret, as hex."""
    return hmac.new(secret.encode("utf-8"), canonical(doc), hashlib.sha256).hexdigest()


def check_signature(doc: Mapping[str, Any], secret: str) -> str | None:
    sig = doc.get(SIG)
    if not isinstance(sig, str) or not sig:
        return "unsigned"
    try:
        expected = signature(doc, secret)
    except (TypeError, ValueError):
        return "bad_signature"
    return None if hmac.compare_digest(sig, expected) else "bad_signature"


def check_fresh(doc: Mapping[str, Any], now: float, skew_s: float, max_ttl_s: float) -> str | None:
    """``ts + min(ttl, max_ttl_s) + skew_s`` must not have passed, and ``ts`` may be at most
    ``skew_s`` in the future (the two clocks may disagree by that much)."""
    ts, ttl = doc.get("ts"), doc.get("ttl")
    if not _number(ts) or not _number(ttl) or ttl <= 0:
        return "no_timestamp"
    if ts > now + skew_s:
        return "from_the_future"
    if now > ts + min(float(ttl), max_ttl_s) + skew_s:
        return "expired"
    return None


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _has_target_key(data: Any) -> bool:
    if isinstance(data, Mapping):
        return any(k in TARGET_KEYS or _has_target_key(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_has_target_key(v) for v in data)
    return False


def check_action(
    action: Any,
    *,
    allowed: Iterable[str],
    allowed_scripts: Iterable[str],
    entity_ok: Callable[[str], str | None],
) -> str | None:
    """One ``{"service", "entity_id", "data"}`` action: an allow-listed service, exactly one
    entity of the service's domain that Hearth may see (``entity_ok``), no target inside ``data``."""
    if not isinstance(action, Mapping):
        return "bad_action"
    svc, ent, data = action.get("service"), action.get("entity_id"), action.get("data", {})
    if not isinstance(svc, str) or svc.count(".") != 1:
        return "bad_service"
    if svc in NEVER:
        return "service_never_allowed"
    domain, name = svc.split(".", 1)
    scripts = set(allowed_scripts)
    if domain == "script" and name not in ("turn_on", "turn_off", "toggle"):  # a script run as a service
        if svc not in scripts:
            return "script_not_allowed"
        if ent not in (None, "") or not isinstance(data, Mapping) or _has_target_key(data):
            return "bad_target"
        return entity_ok(svc)
    if svc not in set(allowed):
        return "service_not_allowed"
    if not isinstance(ent, str) or not ent or ent.split(".", 1)[0] != domain:
        return "bad_target"
    if domain == "script" and ent not in scripts:
        return "script_not_allowed"
    if not isinstance(data, Mapping):
        return "bad_data"
    if _has_target_key(data):
        return "target_in_data"
    return entity_ok(ent)


def check_intent(doc: Any) -> str | None:
    """The document's shape: an id, an intent name and a list of actions."""
    if not isinstance(doc, Mapping):
        return "not_an_object"
    msg_id = doc.get("id")
    if not isinstance(msg_id, str) or not 0 < len(msg_id) <= 64:
        return "no_id"
    if not isinstance(doc.get("intent"), str) or not isinstance(doc.get("actions"), list):
        return "bad_document"
    return None

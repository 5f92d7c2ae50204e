"""HMAC-SHA256 signatures on intents, results and notices, with the secret shared with Home Assistant.

The signed bytes are the document without ``sig``, JSON with sorted keys, no spaces and ASCII
escapes; ``homeassistant/custom_components/hearth/policy.py`` computes the same (a test holds
them together). The secret comes from ``[mqtt] secret_env`` or ``secret_file``, never the TOML.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

from assistant.config import MqttConfig, read_secret
from assistant.errors import ConfigError

log = logging.getLogger(__name__)

SIG = "sig"
MIN_SECRET_CHARS = 16


def canonical(doc: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != SIG}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def signature(doc: Mapping[str, Any], secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), canonical(doc), hashlib.sha256).hexdigest()


def sign(doc: dict[str, Any], secret: str | None) -> dict[str, Any]:
    """``doc`` with its ``sig``; unchanged without a secret (Home Assistant then refuses it)."""
    if not secret:
        return doc
    return {**doc, SIG: signature(doc, secret)}


def verify(doc: Mapping[str, Any], secret: str) -> bool:
    sig = doc.get(SIG)
    if not isinstance(sig, str):
        return False
    try:
        return hmac.compare_digest(sig, signature(doc, secret))
    except (TypeError, ValueError):
        return False


def load_secret(cfg: MqttConfig) -> str | None:
    """The shared secret from ``$<secret_env>``, else the first line of ``secret_file``; None if
    neither is set. A secret shorter than 16 characters is a ConfigError."""
    value = read_secret(cfg.secret_env, cfg.secret_file, "[mqtt] secret_file")
    value = value.strip() if value is not None else None
    if value is None:
        return None
    if len(value) < MIN_SECRET_CHARS:
        raise ConfigError(
            f"the Home Assistant secret has {len(value)} characters; use at least {MIN_SECRET_CHARS} "
            "(e.g. the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return value

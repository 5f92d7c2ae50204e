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
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.config import MqttConfig
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
    value: str | None = None
    if cfg.secret_env and os.environ.get(cfg.secret_env):
        value = os.environ[cfg.secret_env].strip()
    elif cfg.secret_file:
        p = Path(cfg.secret_file).expanduser()
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise ConfigError(f"[mqtt] secret_file {p} cannot be read: {e}") from e
        value = lines[0].strip() if lines else ""
    if value is None:
        return None
    if len(value) < MIN_SECRET_CHARS:
        raise ConfigError(
            f"the Home Assistant secret has {len(value)} characters; use at least {MIN_SECRET_CHARS} "
            "(e.g. the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return value

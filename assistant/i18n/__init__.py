"""Replies in the speaker's language, from one table per language.

Every sentence Hearth speaks, and every word it uses for a kind of device or a state, lives in
``<language>.toml`` beside this module, so a third language is one new file, not an edit of every
skill. A key missing from a language falls back to English, never to a raw value.
"""

from __future__ import annotations

import functools
import logging
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_DIR = Path(__file__).parent
FALLBACK = "en"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in table.items():
        if isinstance(v, Mapping):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = str(v)
    return out


@functools.cache
def _table(language: str) -> dict[str, str]:
    path = _DIR / f"{language}.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        return _flatten(tomllib.load(f))


def languages() -> tuple[str, ...]:
    """The languages that have a table ("en", "zh", …)."""
    return tuple(sorted(p.stem for p in _DIR.glob("*.toml")))


def base(language: str | None) -> str:
    """``zh-CN`` → ``zh``; an unknown language → English."""
    lang = (language or FALLBACK).split("-")[0].split("_")[0].lower()
    return lang if _table(lang) else FALLBACK


def has(key: str, language: str) -> bool:
    return key in _table(base(language)) or key in _table(FALLBACK)


def text(key: str, language: str, /, **values: Any) -> str:
    """The sentence ``key`` in ``language`` with ``{placeholders}`` filled in."""
    table = _table(base(language))
    template = table.get(key)
    if template is None:
        template = _table(FALLBACK).get(key)
        if template is None:
            raise KeyError(f"no reply text {key!r} in any language table")
        log.debug("reply %s has no %s text; using %s", key, language, FALLBACK)
    return template.format(**values) if values else template


def _word(section: str, value: str, language: str) -> str | None:
    v = value.strip().casefold().replace(" ", "_")
    return _table(base(language)).get(f"{section}.{v}") or _table(FALLBACK).get(f"{section}.{v}")


def kind(domain: str, language: str, *, plural: bool = False) -> str:
    """A kind of device in words: ``cover`` → "blind" / "窗帘"; an unknown kind → "device"."""
    found = _word("kinds" if plural else "kind", domain, language)
    return found or text("kinds.device" if plural else "kind.device", language)


def state(value: str, language: str) -> str:
    """A state in words: ``unlocked`` → "unlocked" / "没锁"; an unknown one → "in another state"."""
    return _word("state", value, language) or text("state.unknown", language)


def has_state(value: str) -> bool:
    return _word("state", value, FALLBACK) is not None


def join(items: Iterable[str], language: str, *, conjunction: str = "and") -> str:
    """ "A, B and C" / "A、B和C"."""
    xs = [x for x in items if x]
    if not xs:
        return ""
    if len(xs) == 1:
        return xs[0]
    sep = text("list.separator", language)
    last = text(f"list.{conjunction}", language)
    return sep.join(xs[:-1]) + last + xs[-1]

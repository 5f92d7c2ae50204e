"""Hearth's own sentence templates, added to Home Assistant's for the same intents.

Home Assistant's templates leave gaps a household notices: stopping the vacuum, battery and
motion questions, "tell everyone …", Chinese media requests. Hearth's sentences (hassil syntax,
``assistant/data/sentences/<language>.toml``) are appended to its intents; its lists and
expansion rules are added where Home Assistant has none of the same name.
"""

from __future__ import annotations

import copy
import logging
import tomllib
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DIR = Path(__file__).resolve().parent.parent / "data" / "sentences"


def own(language: str) -> dict[str, Any]:
    """Hearth's templates for a template language (``en``, ``zh-CN``); empty when there are none."""
    path = DIR / f"{language}.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        return tomllib.load(f)


def merged(data: dict[str, Any], language: str) -> dict[str, Any]:
    """Home Assistant's template document with Hearth's sentences added (``data`` is not changed)."""
    extra = own(language)
    if not extra:
        return data
    out = copy.deepcopy(data)
    for name, blocks in extra.get("intents", {}).items():
        out.setdefault("intents", {}).setdefault(name, {"data": []})["data"].extend(blocks)
    for key in ("lists", "expansion_rules"):
        for name, value in extra.get(key, {}).items():
            out.setdefault(key, {}).setdefault(name, value)
    log.debug("added Hearth's sentences for %s: %s", language, sorted(extra.get("intents", {})))
    return out

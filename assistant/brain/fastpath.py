"""The template fast path: Home Assistant's sentence templates (hassil) matched against the home.

Templates are parsed once per language and process (see :func:`load_intents`); slot lists for
entity names, areas and floors are rebuilt cheaply whenever the inventory changes. A match becomes
a :class:`ToolCall` for the skill of the same name, with arguments as spoken.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from hassil import Intents, RecognizeResult, TextSlotList, recognize_best
from home_assistant_intents import get_intents

from assistant.errors import BrainError
from assistant.home import words
from assistant.home.inventory import Inventory
from assistant.skillkit.spec import ToolCall

log = logging.getLogger(__name__)

TEMPLATE_LANGUAGES = {"en": "en", "zh": "zh-CN"}
"""Hearth language → home-assistant-intents language."""

_cache: dict[str, tuple[Intents, float]] = {}
_cache_lock = threading.Lock()


def template_language(language: str, text: str = "") -> str:
    """``en``/``zh``/``auto`` (decided by the script of ``text``) → a template language."""
    lang = language.split("-")[0].lower()
    if lang == "auto" or lang not in TEMPLATE_LANGUAGES:
        lang = "zh" if words.is_chinese(text) else "en"
    return TEMPLATE_LANGUAGES[lang]


def load_intents(language: str) -> tuple[Intents, float]:
    """Parsed templates for a template language and the seconds it took (paid once per process)."""
    with _cache_lock:
        if language in _cache:
            return _cache[language][0], 0.0
        t0 = time.perf_counter()
        data = get_intents(language)
        if data is None:
            raise BrainError(f"home-assistant-intents has no templates for {language!r}")
        intents = Intents.from_dict(data)
        # The first recognition compiles the template graph; pay for it here, not on a command.
        recognize_best("turn on the light" if language == "en" else "开灯", intents, slot_lists=_empty_lists())
        took = time.perf_counter() - t0
        _cache[language] = (intents, took)
        log.info("loaded %s sentence templates in %.2f s", language, took)
        return intents, took


def _empty_lists() -> dict[str, Any]:
    return {k: TextSlotList.from_tuples([], allow_template=False) for k in ("name", "area", "floor")}


@dataclass(frozen=True, slots=True)
class FastMatch:
    call: ToolCall
    template_language: str


class FastPath:
    """Matches utterances against the templates with slot lists built from one inventory."""

    def __init__(self, inventory: Inventory | None = None, *, languages: tuple[str, ...] = ("en", "zh")) -> None:
        self.load_s: dict[str, float] = {}
        for lang in languages:
            tl = TEMPLATE_LANGUAGES[lang]
            _, self.load_s[tl] = load_intents(tl)
        self._lists: dict[str, Any] = _empty_lists()
        self._inventory = Inventory()
        if inventory is not None:
            self.set_inventory(inventory)

    def set_inventory(self, inventory: Inventory) -> None:
        """Rebuild the name/area/floor slot lists (milliseconds, so it is fine on every change)."""
        names: list[tuple[str, Any, dict[str, Any]]] = []
        for e in inventory.entities:
            for n in dict.fromkeys((e.name, *e.aliases)):
                names.append((n, n, {"domain": e.domain}))
        areas: list[tuple[str, Any]] = []
        floors: dict[str, str] = {}
        for a in inventory.areas:
            for n in dict.fromkeys((a.name, *a.aliases)):
                areas.append((n, a.id))
            if a.floor:
                floors[a.floor] = a.floor
                short = re.sub(r"\s*floor$", "", a.floor, flags=re.I)
                if short and short != a.floor:
                    floors[short] = a.floor
        self._lists = {
            "name": TextSlotList.from_tuples(names, allow_template=False),
            "area": TextSlotList.from_tuples(areas, allow_template=False),
            "floor": TextSlotList.from_tuples(list(floors.items()), allow_template=False),
        }
        self._inventory = inventory

    def match(
        self, text: str, *, language: str = "en", area: str | None = None,
        skills: Container[str] | None = None,
    ) -> FastMatch | None:
        """A tool call for ``text``, or None when no template matches (or its skill is absent)."""
        tl = template_language(language, text)
        intents, _ = load_intents(tl)
        context: dict[str, Any] = {}
        home = self._inventory.area(area) if area else None
        if home is not None:
            context["area"] = {"value": home.id, "text": home.name}
        result = recognize_best(
            text, intents, slot_lists=self._lists, intent_context=context or None,
            language=tl, best_slot_name="name",
        )
        if result is None:
            return None
        name = result.intent.name
        if skills is not None and name not in skills:
            log.debug("template matched %s, which no enabled skill handles", name)
            return None
        return FastMatch(ToolCall(name, self._args(result, text, home is not None)), tl)

    def _args(self, result: RecognizeResult, text: str, has_home: bool) -> dict[str, Any]:
        args: dict[str, Any] = {}
        folded = text.casefold()
        for ent in result.entities_list:
            value = ent.value
            if ent.name == "area" and has_home and (not ent.text or ent.text.casefold() not in folded):
                continue  # filled in from the speaker's room, not said: the skill knows the room
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, str):
                value = value.strip()
            args[ent.name] = value
        # "turn off the light" (singular, no room said) means the room's light, not all of them.
        dom = args.get("domain")
        if isinstance(dom, str) and "name" not in args and "area" not in args and not words.is_chinese(text):
            word = _singular_word(folded, dom)
            if word:
                args.pop("domain")
                args["name"] = word
        return args


def _singular_word(text: str, domain: str) -> str | None:
    """The singular domain word the user said ("light"), if they said no plural of it."""
    for w, d in words.DOMAIN_WORDS.items():
        if d != domain or not w.isascii():
            continue
        if re.search(rf"\b{re.escape(w)}\b", text) and not re.search(rf"\b{re.escape(w)}(e?s)\b", text):
            return w
    return None

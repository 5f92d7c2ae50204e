"""The template fast path: Home Assistant's sentence templates (hassil) matched against the home.

Templates are parsed once per language and process (see :func:`load_intents`); slot lists for
entity names, areas and floors are rebuilt cheaply whenever the inventory changes. A match becomes
a :class:`ToolCall` for the skill of the same name, with arguments as spoken.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from hassil import Intents, RecognizeResult, TextSlotList, filter_intents, recognize_all, recognize_best
from hassil.recognize import MISSING_ENTITY
from home_assistant_intents import get_intents

from assistant.brain import sentences
from assistant.errors import BrainError
from assistant.home import words
from assistant.home.inventory import Inventory
from assistant.skillkit.spec import ToolCall

log = logging.getLogger(__name__)

TEMPLATE_LANGUAGES = {"en": "en", "zh": "zh-CN"}
"""Hearth language → home-assistant-intents language."""

MAX_LOOSE = 40
"""Loose template readings examined before giving up (they come longest-match first)."""

LOOSE_NAME_SHARE = 0.7
"""A loose match's unknown name may be at most this share of the sentence (else it is chatter)."""

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
        intents = Intents.from_dict(sentences.merged(data, language))
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
    loose: bool = False
    """The sentence matched but its device name is not a known name (``call.args["name"]`` is
    the words in that place)."""
    resolved: bool = True
    """For a loose match: whether the name resolves in this home (a slip or part of a name)."""


class FastPath:
    """Matches utterances against the templates with slot lists built from one inventory."""

    def __init__(self, inventory: Inventory | None = None, *, languages: tuple[str, ...] = ("en", "zh")) -> None:
        self.load_s: dict[str, float] = {}
        for lang in languages:
            tl = TEMPLATE_LANGUAGES[lang]
            _, self.load_s[tl] = load_intents(tl)
        self._lists: dict[str, Any] = _empty_lists()
        self._filtered: dict[tuple[str, frozenset[str]], Intents] = {}
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
        self._all = {"name": names, "area": areas, "floor": list(floors.items())}
        self._lists = {k: TextSlotList.from_tuples(v, allow_template=False) for k, v in self._all.items()}
        # Each name is filed under its rarest word: a command retrieves only names one of whose
        # least common words it says ("fan" or "light" would file hundreds together).
        self._by_word: dict[str, dict[str, list[tuple[frozenset[str], tuple[Any, ...]]]]] = {}
        for slot, values in self._all.items():
            units_of = [(_units(v[0]), v) for v in values]
            freq = Counter(u for units, _ in units_of for u in units)
            posting: dict[str, list[tuple[frozenset[str], tuple[Any, ...]]]] = {}
            for units, v in units_of:
                if units:
                    posting.setdefault(min(units, key=lambda u: (freq[u], u)), []).append((units, v))
            self._by_word[slot] = posting
        self._inventory = inventory

    def _lists_for(self, text: str) -> dict[str, Any]:
        """Slot lists holding only the names whose every word is in ``text``: hassil compares each
        listed name at each slot, so a home of 2,000 names would cost that much per template."""
        said = _units(text)
        out: dict[str, Any] = {}
        for slot, posting in self._by_word.items():
            values = [v for w in sorted(said) for units, v in posting.get(w, ()) if units <= said]
            out[slot] = TextSlotList.from_tuples(values, allow_template=False)
        return out

    def match(
        self, text: str, *, language: str = "en", area: str | None = None,
        skills: Mapping[str, Collection[str]] | None = None,
        accept: Callable[[ToolCall], set[str] | None] | None = None,
    ) -> FastMatch | None:
        """A tool call for ``text``, or None when no template matches (or no skill handles it).

        ``skills`` maps each enabled skill to its argument names; slots a skill does not take
        are dropped. When nothing matches exactly, readings whose only unknown part is the device
        name are ranked ("turn off the kitchen lite"): ``accept`` gives the domains the name
        resolves to (None: not in this home); resolvable names whose domain the template was
        written for win. The result then has ``loose=True``.
        """
        tl = template_language(language, text)
        intents = self._intents(tl, skills)
        lists = self._lists_for(text)
        context: dict[str, Any] = {}
        home = self._inventory.area(area) if area else None
        if home is not None:
            context["area"] = {"value": home.id, "text": home.name}
        result = recognize_best(
            text, intents, slot_lists=lists, intent_context=context or None,
            language=tl, best_slot_name="name",
        )
        if result is not None:
            call = self._call(result, text, home is not None, skills, loose=False)
            return FastMatch(call, tl) if call is not None else None
        ranked: list[tuple[tuple[int, int, int], ToolCall]] = []
        loose = recognize_all(
            text, intents, slot_lists=lists, intent_context=context or None,
            language=tl, allow_unmatched_entities=True,
        )
        for order, result in enumerate(itertools.islice(loose, MAX_LOOSE)):
            if not _only_name_unmatched(result, text):
                continue
            call = self._call(result, text, home is not None, skills, loose=True)
            if call is None:
                continue
            domains = accept(call) if accept is not None else set()
            wanted = set((result.intent_data.requires_context or {}).get("domain") or ())
            if domains and wanted and not domains & wanted:
                continue  # a template written for other devices ("关上…锁" is for locks)
            # Resolvable first, then fewer unknown words, then hassil's order.
            ranked.append(((0 if domains is not None else 1, len(call.args["name"]), order), call))
        if not ranked:
            return None
        ranked.sort(key=lambda r: r[0])
        return FastMatch(ranked[0][1], tl, loose=True, resolved=ranked[0][0][0] == 0)

    def prepare(self, skills: Mapping[str, Collection[str]]) -> None:
        """Narrow and compile the templates for this skill set now, not on the first command."""
        for tl in self.load_s:
            recognize_best("turn on the light" if tl == "en" else "开灯", self._intents(tl, skills),
                           slot_lists=self._lists)

    def _intents(self, tl: str, skills: Mapping[str, Collection[str]] | None) -> Intents:
        """The templates, narrowed to the intents some enabled skill handles (cached per skill set)."""
        intents, _ = load_intents(tl)
        if skills is None:
            return intents
        key = (tl, frozenset(skills))
        if key not in self._filtered:
            self._filtered[key] = filter_intents(intents, intent_names=set(skills))
        return self._filtered[key]

    def _call(
        self, result: RecognizeResult, text: str, has_home: bool,
        skills: Mapping[str, Collection[str]] | None, *, loose: bool,
    ) -> ToolCall | None:
        name = result.intent.name
        if skills is not None and name not in skills:
            log.debug("template matched %s, which no enabled skill handles", name)
            return None
        args = self._args(result, text, has_home)
        if result.response and result.response != "default" and name == "HassRespond":
            args["response"] = result.response
        if loose:
            said = result.unmatched_entities["name"].text.strip()
            if words.is_chinese(said):
                # Left over from verb compounds the template split ("关|上窗帘", "窗帘|掉").
                said = said.lstrip("上下掉").rstrip("了吧掉") or said
            args["name"] = said
        if skills is not None:
            dropped = set(args) - set(skills[name])
            if dropped:
                log.debug("%s takes no %s; dropped", name, sorted(dropped))
            args = {k: v for k, v in args.items() if k in skills[name]}
        return ToolCall(name, args)

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


_TOKEN = re.compile(r"[^\W_]+")
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")


def _units(text: str) -> frozenset[str]:
    """Lower-case words, and single Chinese characters, of a text (for the slot-list filter)."""
    folded = text.casefold()
    cjk = set(_CJK_CHAR.findall(folded))
    return frozenset({t for t in _TOKEN.findall(_CJK_CHAR.sub(" ", folded))} | cjk)


def _only_name_unmatched(result: RecognizeResult, text: str) -> bool:
    """True when the one unknown part of a loose match is a plausible device name: short, and
    with enough of the sentence matched by the template that the words around it mean something."""
    un = result.unmatched_entities
    others = {k for k, v in un.items() if k != "name" and getattr(v, "text", None) != MISSING_ENTITY}
    if "name" not in un or others or result.entities.get("name") is not None:
        return False
    said = getattr(un["name"], "text", "").strip()
    if said == MISSING_ENTITY or result.text_chunks_matched < 1:
        return False
    return 0 < len(said.split()) <= 4 and len(said) <= 40 and len(said) <= LOOSE_NAME_SHARE * len(text.strip())


def _singular_word(text: str, domain: str) -> str | None:
    """The singular domain word the user said ("light"), if they said no plural of it."""
    for w, d in words.DOMAIN_WORDS.items():
        if d != domain or not w.isascii():
            continue
        if re.search(rf"\b{re.escape(w)}\b", text) and not re.search(rf"\b{re.escape(w)}(e?s)\b", text):
            return w
    return None

"""A name index over one inventory: every lookup is a few dictionary probes, not a scan of the home.

Built once per set of names (O(n log n): keys, word and trigram postings, areas sorted by name
length); states never touch it. The resolver and the LLM's candidate retrieval both read it.
"""

from __future__ import annotations

import difflib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TypeVar

from assistant.home import words
from assistant.home.inventory import Area, Entity, Inventory

T = TypeVar("T", Area, Entity)

MAX_FUZZY_CHECKS = 40
"""Keys compared character by character after the trigram pre-selection."""
COMMON_SHARE = 0.1
"""A trigram in more than this share of keys is too common to select candidates by."""


def trigrams(text: str) -> set[str]:
    t = f"  {text} "
    return {t[i : i + 3] for i in range(len(t) - 2)}


def _fuzzy_form(k: str) -> str:
    """What slips are compared on: the key itself, or its pinyin for Chinese (homophones)."""
    return words.pinyin(k) if words.is_chinese(k) else k


class Fuzzy:
    """Approximate string lookup: trigram postings pick a few keys, difflib ranks them."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._forms: dict[str, str] = {}
        self._grams: dict[str, list[str]] = defaultdict(list)
        for k in sorted(set(keys)):
            form = _fuzzy_form(k)
            self._forms[k] = form
            for g in trigrams(form):
                self._grams[g].append(k)

    def close(self, k: str, threshold: float) -> list[tuple[float, str]]:
        """Keys whose ratio to ``k`` is at least ``threshold``, best first; same script only."""
        zh = words.is_chinese(k)
        said = _fuzzy_form(k)
        grams = [g for g in trigrams(said) if g in self._grams]
        if not grams:
            return []
        common = max(8, int(COMMON_SHARE * len(self._forms)))
        rare = [g for g in grams if len(self._grams[g]) <= common] or grams
        counts: Counter[str] = Counter()
        for g in rare:
            counts.update(self._grams[g])
        out: list[tuple[float, str]] = []
        for key, _ in counts.most_common(MAX_FUZZY_CHECKS):
            if words.is_chinese(key) != zh:
                continue
            r = difflib.SequenceMatcher(None, said, self._forms[key], autojunk=False).ratio()
            if r >= threshold:
                out.append((r, key))
        out.sort(key=lambda p: (-p[0], p[1]))
        return out


class NameIndex:
    """Entities and areas by key, word, character, area, domain and floor."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.by_key: dict[str, list[Entity]] = defaultdict(list)
        self.by_word: dict[str, list[Entity]] = defaultdict(list)
        """English word (singular) or single Chinese character → entities with it in a name."""
        self.by_syllable: dict[str, list[Entity]] = defaultdict(list)
        """Pinyin syllable of a Chinese name → entities (homophone slips)."""
        self.keys_of: dict[str, list[str]] = defaultdict(list)
        self.units_of: dict[str, frozenset[str]] = {}
        """Entity id → every word (Chinese: character) of its names."""
        self.by_area: dict[str | None, list[Entity]] = defaultdict(list)
        self.by_domain: dict[str, list[Entity]] = defaultdict(list)
        self.area_by_key: dict[str, Area] = {}
        self.areas_by_floor: dict[str, list[Area]] = defaultdict(list)
        self.area_words: dict[str, list[Area]] = defaultdict(list)
        self.order: dict[str, int] = {}
        """Entity or area id → its place in the inventory (sub-homes keep the home's order)."""
        for i, a in enumerate(inventory.areas):
            self.order.setdefault(a.id, i)
        for i, e in enumerate(inventory.entities):
            self.order.setdefault(e.entity_id, i)
        for e in inventory.entities:
            self.by_area[e.area].append(e)
            self.by_domain[e.domain].append(e)
            for n in (e.name, *e.aliases):
                k = words.key(n)
                if not k or k in self.keys_of[e.entity_id]:
                    continue
                self.keys_of[e.entity_id].append(k)
                self.by_key[k].append(e)
                for tok in _units(k):
                    posting = self.by_word[tok]
                    if not posting or posting[-1] is not e:
                        posting.append(e)
                if words.is_chinese(k):
                    for syl in set(words.pinyin(k).split()):
                        self.by_syllable[syl].append(e)
        for eid, ks in self.keys_of.items():
            self.units_of[eid] = frozenset(u for k in ks for u in _units(k))
        for a in inventory.areas:
            for n in (a.name, a.id.replace("_", " "), *a.aliases):
                k = words.key(n)
                if k and k not in self.area_by_key:
                    self.area_by_key[k] = a
                    for tok in _units(k):
                        if a not in self.area_words[tok]:
                            self.area_words[tok].append(a)
            if a.floor:
                self.areas_by_floor[floor_key(a.floor)].append(a)
        self.max_area_words = max((len(k.split()) for k in self.area_by_key if not words.is_chinese(k)), default=0)
        self.max_area_chars = max((len(k) for k in self.area_by_key if words.is_chinese(k)), default=0)
        self.entity_fuzzy = Fuzzy(self.by_key)
        self.area_fuzzy = Fuzzy(self.area_by_key)
        self.word_fuzzy = Fuzzy(w for w in self.by_word if not words.is_chinese(w) and len(w) > 2)
        n = max(1, len(inventory.entities))
        self._idf = {w: math.log(1 + n / len(p)) for w, p in self.by_word.items()}

    def idf(self, word: str) -> float:
        return self._idf.get(word, 0.0)

    def entities_with_words(self, toks: Iterable[str]) -> list[Entity]:
        """Entities that have every one of ``toks`` in one of their names (posting intersection)."""
        lists = [self.by_word.get(t, []) for t in set(toks)]
        if not lists:
            return []
        lists.sort(key=len)
        ids = {e.entity_id for e in lists[0]}
        for p in lists[1:]:
            ids &= {e.entity_id for e in p}
            if not ids:
                return []
        return [e for e in lists[0] if e.entity_id in ids]


def _units(k: str) -> set[str]:
    """Index units of a key: its words, and for Chinese each character."""
    if words.is_chinese(k):
        return {c for c in k if not c.isspace()}
    return set(k.split())


def floor_key(spoken: str) -> str:
    return words.key(spoken).replace(" floor", "").strip()

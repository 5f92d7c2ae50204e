"""The few devices and areas a command can refer to: what the LLM is shown instead of the whole home.

A home of 2,000 entities does not fit a small model's context, and evaluating it again after every
rename costs seconds. Per command, the words (and the words of the turns it follows up) pick
entities through the :class:`~assistant.home.index.NameIndex` — names, aliases, areas, floors,
kinds of device, slips of single words, Chinese characters and their pinyin — plus the speaker's
room. The result is a small :class:`Inventory` in the home's own order, rendered by the same
prompt format the adapter was trained on. A home no bigger than the limit is shown whole.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from assistant.home import words
from assistant.home.index import NameIndex
from assistant.home.inventory import Area, Entity, Inventory

MAX_ENTITIES = 30
"""Devices shown to the LLM per command."""
MAX_AREAS = 12
"""Areas shown per command (said, the speaker's, and those of the chosen devices)."""
GLOBAL_DOMAINS = ("weather", "todo")
"""Home-wide things that no room word selects; shown while a home has only a few of them."""
MAX_GLOBAL = 3
WORD_SLIP = 0.8
"""How close an unknown spoken word must be to a word of some name to stand for it."""
KEEP_SHARE = 0.5
"""When a command names something specific, devices scoring under this share of the best are left out."""
SPECIFIC = 1.5
"""The best score at which a command counts as naming something specific."""
MAX_ELSEWHERE = 3
"""Devices outside the rooms said that are shown beside them: the room may be misnamed ("Old Attic"
for "South Attic"), but a thing the room lacks must not bring every ceiling light of the home."""
AREA_BONUS = 2.0
ROOM_BONUS = 0.5
KIND_BONUS = 1.0
COMMAND_WORDS = frozenset({
    "turn", "switch", "set", "put", "make", "get", "open", "close", "start", "stop", "dim", "please",
    "can", "you", "could", "would", "and", "then", "off", "into", "for", "with", "what", "how",
    "too", "very", "bit", "little", "going", "again", "now", "need", "want", "like", "kill", "shut",
    "down", "power", "it", "be", "to", "me", "is", "are", "i'd", "id",
})
"""Words of commands, never slips of a device's name (no fuzzy lookup for them)."""
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")


def select(
    index: NameIndex,
    text: str,
    speaker_area: str | None = None,
    context: Sequence[str] = (),
    *,
    limit: int = MAX_ENTITIES,
) -> Inventory:
    """The sub-home for one command: at most ``limit`` entities and :data:`MAX_AREAS` areas."""
    inv = index.inventory
    if len(inv.entities) <= limit and len(inv.areas) <= MAX_AREAS:
        return inv
    said_areas, k = areas_said(index, words.key(text))
    for a in _floors_said(index, k):
        said_areas.setdefault(a.id, a)
    room = inv.area(speaker_area) if speaker_area else None
    kinds = words.kinds(k)
    weights = _word_weights(index, k)  # the words left once the areas are taken out
    for extra in context:  # the turn a follow-up continues ("and the fan?")
        for w, x in _word_weights(index, areas_said(index, words.key(extra))[1]).items():
            weights[w] = max(weights.get(w, 0.0), 0.5 * x)

    pool: dict[str, Entity] = {}
    common: list[str] = []
    for w in weights:
        posting = index.by_word.get(w, ())
        if len(posting) > limit:
            common.append(w)
            continue
        for e in posting:
            pool.setdefault(e.entity_id, e)
    for aid in [*said_areas, *([room.id] if room else [])]:
        for e in index.by_area.get(aid, ()):
            pool.setdefault(e.entity_id, e)
    # Rooms that share a word with a room said ("South Attic" for "Old Attic"), from the index.
    near = {r.id for a in said_areas.values() for w in words.key(a.name).split() for r in index.area_words.get(w, ())}

    def unrelated(e: Entity) -> bool:
        return e.area not in near

    if len(pool) < limit and common:
        fill = index.entities_with_words(common)
        if near:
            fill.sort(key=unrelated)  # stable: home order within each kind
        for e in fill[: limit - len(pool)]:
            pool.setdefault(e.entity_id, e)

    def score(e: Entity) -> float:
        units = index.units_of.get(e.entity_id, frozenset())
        s = sum(x for w, x in weights.items() if w in units)
        if e.area in said_areas:
            s += AREA_BONUS
        if room is not None and e.area == room.id:
            s += ROOM_BONUS
        if e.domain in kinds:
            s += KIND_BONUS
        return s

    scored = sorted(((score(e), e) for e in pool.values()), key=lambda p: (-p[0], index.order[p[1].entity_id]))
    top = scored[0][0] if scored else 0.0
    # Something specific was said: keep what is close to it (fewer tokens for the LLM to read).
    floor = KEEP_SHARE * top if top >= SPECIFIC else 0.0
    here = set(said_areas) | ({room.id} if room else set())
    # A room was said: a device elsewhere stays only if it fits the words as well as the best, and
    # only a few of those, rooms with a word of the room said first.
    ranked = [e for s_, e in scored[:limit] if s_ >= floor and (not said_areas or e.area in here)]
    if said_areas:
        away = sorted((e for s_, e in scored if s_ >= top and e.area not in here), key=unrelated)  # top >= floor
        ranked += away[:MAX_ELSEWHERE]
        ranked = ranked[:limit]
    extra = [e for d in GLOBAL_DOMAINS if 0 < len(index.by_domain.get(d, ())) <= MAX_GLOBAL
             for e in index.by_domain[d]]
    taken = {x.entity_id for x in ranked}
    extra = [e for e in extra if e.entity_id not in taken]
    ranked = ranked[: max(0, limit - len(extra))] + extra[:limit]
    chosen_areas: dict[str, Area] = {}
    for a in [*([room] if room else []), *said_areas.values()]:
        chosen_areas.setdefault(a.id, a)
    for e in ranked:
        a = inv.area(e.area)
        if a is not None and len(chosen_areas) < MAX_AREAS:
            chosen_areas.setdefault(a.id, a)
    areas = sorted(list(chosen_areas.values())[:MAX_AREAS], key=lambda a: index.order[a.id])
    shown = {a.id for a in areas}
    entities = sorted((e for e in ranked if e.area is None or e.area in shown), key=lambda e: index.order[e.entity_id])
    return Inventory(tuple(areas), tuple(entities))


def areas_said(index: NameIndex, k: str) -> tuple[dict[str, Area], str]:
    """Areas named in a key, longest names first and without overlaps ("east living room" is
    not also "living room"), and the key with their words taken out."""
    found: dict[str, Area] = {}
    zh = words.is_chinese(k)
    units = list(k.replace(" ", "")) if zh else k.split()
    used = [False] * len(units)
    longest = index.max_area_chars if zh else index.max_area_words
    for n in range(min(longest, len(units)), 0, -1):
        for i in range(len(units) - n + 1):
            if any(used[i : i + n]):
                continue
            a = index.area_by_key.get(("" if zh else " ").join(units[i : i + n]))
            if a is not None:
                found.setdefault(a.id, a)
                used[i : i + n] = [True] * n
    rest = [u for u, x in zip(units, used, strict=True) if not x]
    return found, ("".join(rest) if zh else " ".join(rest))


def _spans(k: str, longest: int) -> Iterable[str]:
    toks = k.split()
    for n in range(min(longest, len(toks)), 0, -1):
        for i in range(len(toks) - n + 1):
            yield " ".join(toks[i : i + n])


def _floors_said(index: NameIndex, k: str) -> list[Area]:
    if not index.areas_by_floor:
        return []
    out: list[Area] = []
    for span in _spans(k, 3):
        out += index.areas_by_floor.get(span.removesuffix(" floor").strip(), [])
    return out[:MAX_AREAS]


def _word_weights(index: NameIndex, k: str) -> dict[str, float]:
    """Each spoken word (or a name word it is a slip of) with its weight: rare words weigh more."""
    weights: dict[str, float] = defaultdict(float)
    if words.is_chinese(k):
        for c in k:
            if c in index.by_word:
                weights[c] = max(weights[c], index.idf(c))
        for syl in words.pinyin("".join(_CJK_RUN.findall(k))).split():
            for e in index.by_syllable.get(syl, ())[:MAX_ENTITIES]:
                for n in index.keys_of.get(e.entity_id, ()):
                    for c in n:
                        if c in index.by_word and c not in weights and words.pinyin(c) == syl:
                            weights[c] = 0.5 * index.idf(c)
    for w in k.split():
        if words.is_chinese(w):
            continue
        if w in index.by_word:
            weights[w] = max(weights[w], index.idf(w))
        elif len(w) > 2 and w not in COMMAND_WORDS:
            for r, near in index.word_fuzzy.close(w, WORD_SLIP)[:2]:
                weights[near] = max(weights[near], r * index.idf(near))
    return dict(weights)

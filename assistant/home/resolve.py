"""Resolve spoken names, areas, floors and domain words to inventory entities.

The order of attempts goes from the most to the least certain reading, and the first reading
that yields candidates wins: exact name or alias → "<area> <thing>" → words contained in a name
→ a domain word ("lights", "灯") → fuzzy match of the whole name (transcription slips). A
unique candidate is acted on; several ask back; none is said plainly, never guessed.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from assistant.home import words
from assistant.home.inventory import Area, Entity, Inventory

log = logging.getLogger(__name__)

FUZZY_THRESHOLD = 0.8
"""Minimum difflib ratio between a spoken name and an inventory name to accept a slip."""
FUZZY_THRESHOLD_ZH = 0.88
"""The same for Chinese, compared as pinyin so homophone slips ("客厅等" → 客厅灯) match."""
FUZZY_TIE = 0.03
"""Candidates within this ratio of the best fuzzy match are treated as equally likely."""

Status = Literal["ok", "ambiguous", "none", "no_area", "unsupported"]


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving one spoken target."""

    status: Status
    entities: tuple[Entity, ...] = ()
    """The targets when ``ok``; the candidates to choose from when ``ambiguous``."""
    spoken: str = ""
    """What was asked for, as said (used in replies)."""
    area: Area | None = None
    """The area the target was looked up in, if any."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def message(self, language: str = "en") -> str:
        """A short sentence to speak when the target is not a unique, usable set."""
        zh = language.startswith("zh")
        names = [e.name for e in self.entities]
        if self.status == "ambiguous":
            if zh:
                return f"您指的是哪一个：{'还是'.join(names)}？"
            head = words.normalize(self.spoken).split()[-1] if self.spoken.strip() else "one"
            listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
            return f"Which {head}: {listed}?"
        if self.status == "no_area":
            return f"我不知道叫{self.spoken}的区域。" if zh else f"I don't know an area called {self.spoken}."
        if self.status == "unsupported":
            n = names[0] if names else self.spoken
            return f"{n}不支持这个操作。" if zh else f"The {n} can't do that."
        where = self.area.name if self.area else ""
        if zh:
            return f"{where}没有找到{self.spoken}。" if where else f"我不知道叫{self.spoken}的设备。"
        if where:
            return f"I don't know a device called {self.spoken} in the {where}."
        return f"I don't know a device called {self.spoken}."


def _uniq(items: Iterable[Entity]) -> list[Entity]:
    """Drop repeats, keeping order (entities hold dicts, so they are not hashable)."""
    seen: dict[str, Entity] = {}
    for e in items:
        seen.setdefault(e.entity_id, e)
    return list(seen.values())


def _ok(ents: Iterable[Entity], spoken: str, area: Area | None) -> Resolution:
    found = tuple(_uniq(ents))
    if not found:
        return Resolution("none", (), spoken, area)
    return Resolution("ok", found, spoken, area)


class Resolver:
    """Name resolution over one inventory snapshot; build a new one when the inventory changes."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self._area_keys: list[tuple[str, Area]] = []
        for a in inventory.areas:
            for n in (a.name, a.id.replace("_", " "), *a.aliases):
                k = words.key(n)
                if k:
                    self._area_keys.append((k, a))
        # Longest first, so "living room" wins over "room" when splitting "<area> <thing>".
        self._area_keys.sort(key=lambda p: -len(p[0]))
        self._entity_keys: list[tuple[str, Entity]] = []
        for e in inventory.entities:
            for n in (e.name, *e.aliases):
                k = words.key(n)
                if k:
                    self._entity_keys.append((k, e))
                if words.is_chinese(k):
                    words.pinyin(k)  # warm the cache (and the pinyin tables) before any command

    # -- areas and floors -------------------------------------------------------------------

    def area(self, spoken: str | None) -> Area | None:
        """An area by id, name or alias, tolerating small slips; None when nothing is close."""
        if not spoken or not spoken.strip():
            return None
        exact = self.inventory.area(spoken)
        if exact:
            return exact
        k = words.key(spoken)
        for ak, a in self._area_keys:
            if ak == k:
                return a
        best = self._fuzzy(k, self._area_keys)
        return best[0] if len(best) == 1 else None

    def floor_areas(self, spoken: str) -> tuple[Area, ...]:
        k = words.key(spoken).replace(" floor", "").strip()
        hits = [a for a in self.inventory.areas if a.floor and words.key(a.floor).replace(" floor", "") == k]
        return tuple(hits)

    # -- entities ---------------------------------------------------------------------------

    def resolve(
        self,
        name: str | None = None,
        *,
        area: str | None = None,
        floor: str | None = None,
        domain: str | None = None,
        device_class: str | None = None,
        speaker_area: str | None = None,
        domains: Iterable[str] | None = None,
    ) -> Resolution:
        """Entities for a spoken target.

        ``domain`` and ``device_class`` may be spoken words ("lights", "blinds") or ids; with no
        ``name`` they select every matching entity in the area (spoken, else the floor, else the
        speaker's room when it has any, else the whole home). ``domains`` limits what the
        calling skill can act on.
        """
        allowed = set(domains) if domains else None
        scope_area: Area | None = None
        if area:
            scope_area = self.area(area)
            if scope_area is None:
                return Resolution("no_area", (), area)
        floor_areas: tuple[Area, ...] = ()
        if floor and not scope_area:
            floor_areas = self.floor_areas(floor)
            if not floor_areas:
                return Resolution("no_area", (), floor)
        home_area = self.area(speaker_area) if speaker_area else None
        pool = list(self.inventory.entities)
        if scope_area:
            pool = [e for e in pool if e.area == scope_area.id]
        elif floor_areas:
            ids = {a.id for a in floor_areas}
            pool = [e for e in pool if e.area in ids]

        if name and name.strip():
            res = self._by_name(name, pool, scope_area, home_area if not (scope_area or floor_areas) else None)
        else:
            where = None if floor_areas else (scope_area or home_area)
            res = self._by_domain(
                domain, device_class, pool, where, explicit_area=bool(scope_area or floor_areas)
            )
        return self._check_domains(res, allowed)

    def _check_domains(self, res: Resolution, allowed: set[str] | None) -> Resolution:
        if allowed is None or res.status not in ("ok", "ambiguous"):
            return res
        kept = tuple(e for e in res.entities if e.domain in allowed)
        if not kept:
            return Resolution("unsupported", res.entities, res.spoken, res.area)
        if res.status == "ambiguous" and len(kept) == 1:
            return Resolution("ok", kept, res.spoken, res.area)
        return Resolution(res.status, kept, res.spoken, res.area)

    def _by_domain(
        self, domain: str | None, device_class: str | None, pool: list[Entity],
        area: Area | None, *, explicit_area: bool,
    ) -> Resolution:
        spoken = domain or device_class or ""
        dom = words.domain_of_word(domain) if domain else None
        if domain and dom is None:
            return Resolution("none", (), domain)
        cls = words.device_class_of_word(device_class) if device_class else None
        if device_class and cls is None:
            cls = words.key(device_class)
        if cls and dom is None:
            dom = words.domain_of_word(device_class or "") or "cover"
        hits = [e for e in pool if dom is None or e.domain == dom]
        if cls:
            by_class = [e for e in hits if e.attributes.get("device_class") == cls]
            by_word = [e for e in hits if e not in by_class and self._has_word(e, device_class or cls)]
            hits = by_class + by_word
        if area is not None and not explicit_area:
            # The speaker's room narrows the search only when it has something to offer.
            local = [e for e in hits if e.area == area.id]
            if local:
                return _ok(local, spoken, area)
            area = None
        elif area is not None:
            hits = [e for e in hits if e.area == area.id]
        return _ok(hits, spoken, area)

    def _has_word(self, e: Entity, word: str) -> bool:
        w = words.key(word)
        return any(w in k.split() or (words.is_chinese(w) and w in k) for k in self._keys_of(e))

    def _keys_of(self, e: Entity) -> list[str]:
        return [k for k, ent in self._entity_keys if ent is e]

    def _by_name(
        self, name: str, pool: list[Entity], area: Area | None, home: Area | None
    ) -> Resolution:
        k = words.key(name)
        if not k:
            return Resolution("none", (), name, area)
        in_pool = {id(e) for e in pool}
        keys = [(ek, e) for ek, e in self._entity_keys if id(e) in in_pool]

        # 1. exact name or alias; a plural ("kitchen lights") first tries the area reading below
        said = words.normalize(name)
        plural = words.is_plural(said) or words.is_chinese(k)
        exact = [e for ek, e in keys if ek == k]
        literal = [e for e in exact if any(words.normalize(n) == said for n in (e.name, *e.aliases))]
        if literal or (exact and not plural):
            return self._narrow(literal or exact, name, area, home, many_ok=False)

        # 2. "<area> <thing>" / "<thing> in <area>": split the area off and resolve the rest there.
        if area is None:
            split = self._split_area(said)
            if split is not None:
                a, rest = split
                sub = [e for e in pool if e.area == a.id]
                if not rest:
                    return _ok(sub, name, a)
                inner = self._by_name(rest, sub, a, None)
                if inner.status != "none":
                    return inner
        if exact:
            return self._narrow(exact, name, area, home, many_ok=False)

        # 3. domain words said as such ("lights", "灯"): every such thing in scope
        dom = words.domain_of_word(k)
        contained = self._containing(k, keys)
        if dom is not None and plural:
            # "lights"/"灯" mean the whole domain; "lamps" means the lamps, if there are any.
            generic = k in words.GENERIC_WORDS
            hits = [e for e in pool if e.domain == dom] if generic or not contained else contained
            return self._scope(hits, name, area, home)

        # 4. the spoken words are contained in a name ("the lamp" → desk lamp, floor lamp); a
        # singular domain word said in a room means that room's one ("the light" in the bedroom).
        if dom is not None and home is not None:
            local = [e for e in contained if e.area == home.id] or [
                e for e in pool if e.domain == dom and e.area == home.id
            ]
            if local:
                return self._narrow(local, name, home, None, many_ok=False)
        if contained:
            return self._narrow(contained, name, area, home, many_ok=False)
        if dom is not None:
            return self._narrow([e for e in pool if e.domain == dom], name, area, home, many_ok=False)

        # 5. transcription slips: the closest name above a threshold
        fuzzy = self._fuzzy(k, keys)
        if fuzzy:
            log.debug("fuzzy match %r → %s", name, [e.entity_id for e in fuzzy])
            return self._narrow(fuzzy, name, area, home, many_ok=False)
        return Resolution("none", (), name, area)

    def _containing(self, k: str, keys: list[tuple[str, Entity]]) -> list[Entity]:
        if words.is_chinese(k):
            hits = [e for ek, e in keys if len(k) >= 1 and k in ek.replace(" ", "")]
        else:
            toks = set(k.split())
            hits = [e for ek, e in keys if toks <= set(ek.split())]
        return _uniq(hits)

    def _split_area(self, said: str) -> tuple[Area, str] | None:
        """Split an area off a normalized name; the rest keeps its spoken number ("lights")."""
        k = words.key(said)
        for ak, a in self._area_keys:
            if words.is_chinese(ak):
                if k.startswith(ak):
                    return a, k[len(ak):].strip()
                continue
            n = len(ak.split())
            toks, said_toks = k.split(), said.split()
            if toks == ak.split():
                return a, ""
            if toks[:n] == ak.split():
                return a, " ".join(said_toks[n:])
            if toks[-n:] == ak.split() and len(toks) > n + 1 and toks[-n - 1] in ("in", "on", "at", "of"):
                return a, " ".join(said_toks[: -n - 1])
        return None

    def _scope(self, hits: list[Entity], spoken: str, area: Area | None, home: Area | None) -> Resolution:
        if home is not None:
            local = [e for e in hits if e.area == home.id]
            if local:
                return _ok(local, spoken, home)
        return _ok(hits, spoken, area)

    def _narrow(
        self, hits: list[Entity], spoken: str, area: Area | None, home: Area | None, *, many_ok: bool
    ) -> Resolution:
        hits = _uniq(hits)
        if len(hits) > 1 and home is not None:
            local = [e for e in hits if e.area == home.id]
            if local:
                hits = local
        if len(hits) == 1 or many_ok:
            return _ok(hits, spoken, area)
        if not hits:
            return Resolution("none", (), spoken, area)
        return Resolution("ambiguous", tuple(hits), spoken, area)

    @staticmethod
    def _fuzzy(k: str, keys: list[tuple[str, Entity]] | list[tuple[str, Area]]) -> list:
        scored: list[tuple[float, object]] = []
        zh = words.is_chinese(k)
        said = words.pinyin(k) if zh else k
        for ek, item in keys:
            if zh != words.is_chinese(ek):
                continue
            r = difflib.SequenceMatcher(None, said, words.pinyin(ek) if zh else ek, autojunk=False).ratio()
            if r >= (FUZZY_THRESHOLD_ZH if zh else FUZZY_THRESHOLD):
                scored.append((r, item))
        if not scored:
            return []
        best = max(r for r, _ in scored)
        out: dict[str, object] = {}
        for r, item in scored:
            if r >= best - FUZZY_TIE:
                out.setdefault(getattr(item, "entity_id", None) or item.id, item)  # type: ignore[attr-defined]
        return list(out.values())

"""Resolve spoken names, areas, floors and domain words to inventory entities.

The order of attempts goes from the most to the least certain reading, and the first reading
that yields candidates wins: exact name or alias → "<area> <thing>" → words contained in a name
→ a domain word ("lights", "灯") → fuzzy match of the whole name (transcription slips). A
unique candidate is acted on; several ask back; none is said plainly, never guessed. A slip
never changes a number or a kind of device ("fan 3" is not "Fan 2", "ceiling light" is not
"Ceiling Fan"). Every attempt probes the :class:`NameIndex`, so a lookup costs the same in a
home of 20 devices or 2,000.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from assistant.home import words
from assistant.home.index import NameIndex, floor_key
from assistant.home.inventory import Area, Entity, Inventory

log = logging.getLogger(__name__)

FUZZY_THRESHOLD = 0.8
"""Minimum difflib ratio between a spoken name and an inventory name to accept a slip."""
FUZZY_THRESHOLD_ZH = 0.88
"""The same for Chinese, compared as pinyin so homophone slips ("客厅等" → 客厅灯) match."""
FUZZY_TIE = 0.03
"""Candidates within this ratio of the best fuzzy match are treated as equally likely."""
WORD_SLIP = 0.6
"""Each spoken word of a fuzzy match must be at least this close to a word of the name."""
MAX_LISTED = 4
"""Choices named in a "which one?" question; more are counted, not read out."""
_DIGITS = re.compile(r"\d+")

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
            more = len(names) - MAX_LISTED
            if more > 1:
                names = [*names[:MAX_LISTED], f"{more} 个其他的" if zh else f"one of {more} others"]
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
    """Name resolution over one inventory snapshot; build a new one when its names change."""

    def __init__(self, inventory: Inventory, index: NameIndex | None = None) -> None:
        self.inventory = inventory
        self.index = index if index is not None else NameIndex(inventory)

    # -- areas and floors -------------------------------------------------------------------

    def area(self, spoken: str | None) -> Area | None:
        """An area by id, name or alias, tolerating small slips; None when nothing is close."""
        if not spoken or not spoken.strip():
            return None
        exact = self.inventory.area(spoken)
        if exact:
            return exact
        k = words.key(spoken)
        hit = self.index.area_by_key.get(k)
        if hit is not None:
            return hit
        best = self._fuzzy(k, self.index.area_fuzzy.close(k, _threshold(k)), self.index.area_by_key)
        return best[0] if len(best) == 1 else None  # type: ignore[return-value]

    def floor_areas(self, spoken: str) -> tuple[Area, ...]:
        return tuple(self.index.areas_by_floor.get(floor_key(spoken), ()))

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
        scope: set[str] | None = None
        if scope_area:
            scope = {scope_area.id}
        elif floor_areas:
            scope = {a.id for a in floor_areas}

        if name and name.strip():
            res = self._by_name(name, scope, scope_area, home_area if not (scope_area or floor_areas) else None)
        else:
            where = None if floor_areas else (scope_area or home_area)
            res = self._by_domain(
                domain, device_class, scope, where, explicit_area=bool(scope_area or floor_areas)
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

    def _pool(self, scope: set[str] | None, dom: str | None = None) -> list[Entity]:
        """Entities in scope (and of ``dom``), from the area and domain postings, in the home's order
        (a floor's rooms are a set: replies and actions must not change order from run to run)."""
        if scope is None:
            return list(self.index.by_domain.get(dom, ())) if dom else list(self.inventory.entities)
        out = [e for a in sorted(scope, key=lambda a: self.index.order.get(a, 0))
               for e in self.index.by_area.get(a, ())]
        return [e for e in out if e.domain == dom] if dom else out

    def _by_domain(
        self, domain: str | None, device_class: str | None, scope: set[str] | None,
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
        hits = self._pool(scope, dom)
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
        return any(w in k.split() or (words.is_chinese(w) and w in k) for k in self.index.keys_of[e.entity_id])

    def _by_name(
        self, name: str, scope: set[str] | None, area: Area | None, home: Area | None
    ) -> Resolution:
        k = words.key(name)
        if not k:
            return Resolution("none", (), name, area)

        def inside(ents: Iterable[Entity]) -> list[Entity]:
            return [e for e in ents if scope is None or e.area in scope]

        # 1. exact name or alias; a plural ("kitchen lights") first tries the area reading below
        said = words.normalize(name)
        plural = words.is_plural(said) or words.is_chinese(k)
        exact = inside(self.index.by_key.get(k, ()))
        literal = [e for e in exact if any(words.normalize(n) == said for n in (e.name, *e.aliases))]
        if literal or (exact and not plural):
            return self._narrow(literal or exact, name, area, home, many_ok=False)

        # 2. "<area> <thing>" / "<thing> in <area>": split the area off and resolve the rest there.
        said_area: Area | None = None
        if area is None:
            split = self._split_area(said)
            if split is not None:
                said_area = split[0]
                a, rest = split
                if not rest:
                    return _ok(self.index.by_area.get(a.id, ()), name, a)
                inner = self._by_name(rest, {a.id}, a, None)
                if inner.status != "none":
                    return inner
        if exact:
            return self._narrow(exact, name, area, home, many_ok=False)

        # 3. domain words said as such ("lights", "灯"): every such thing in scope
        dom = words.domain_of_word(k)
        contained = inside(self._containing(k))
        if said_area is not None:
            # A room was said by its exact name: "study ceiling light" is not the "Upstairs Study …".
            contained = [e for e in contained if e.area == said_area.id]
        if dom is not None and plural:
            # "lights"/"灯" mean the whole domain; "lamps" means the lamps, if there are any.
            generic = k in words.GENERIC_WORDS
            hits = self._pool(scope, dom) if generic or not contained else contained
            return self._scope(hits, name, area, home)

        # 4. the spoken words are contained in a name ("the lamp" → desk lamp, floor lamp); a
        # singular domain word said in a room means that room's one ("the light" in the bedroom).
        if dom is not None and home is not None:
            local = [e for e in contained if e.area == home.id] or self._pool({home.id}, dom)
            if local:
                return self._narrow(local, name, home, None, many_ok=False)
        if contained:
            return self._narrow(contained, name, area, home, many_ok=False)
        if dom is not None:
            return self._narrow(self._pool(scope, dom), name, area, home, many_ok=False)

        # 5. transcription slips: the closest name above a threshold, same numbers and kind
        close = [(r, ek) for r, ek in self.index.entity_fuzzy.close(k, _threshold(k)) if compatible(k, ek)]
        fuzzy = inside(self._fuzzy(k, close, self.index.by_key))  # type: ignore[arg-type]
        if said_area is not None:
            fuzzy = [e for e in fuzzy if e.area == said_area.id]
        if fuzzy:
            log.debug("fuzzy match %r → %s", name, [e.entity_id for e in fuzzy])
            return self._narrow(fuzzy, name, area, home, many_ok=False)
        return Resolution("none", (), name, area)

    def _containing(self, k: str) -> list[Entity]:
        """Entities with a name that contains every spoken word (Chinese: the spoken characters)."""
        zh = words.is_chinese(k)
        units = [c for c in k if not c.isspace()] if zh else k.split()
        flat = k.replace(" ", "")
        toks = set(k.split())
        hits: list[Entity] = []
        for e in self.index.entities_with_words(units):
            keys = self.index.keys_of[e.entity_id]
            if any((flat in ek.replace(" ", "")) if zh else toks <= set(ek.split()) for ek in keys):
                hits.append(e)
        return _uniq(hits)

    def _split_area(self, said: str) -> tuple[Area, str] | None:
        """Split an area off a normalized name; the rest keeps its spoken number ("lights").

        The longest area name wins, at the start ("kitchen lights") or after "in/on/at/of" at the end.
        """
        k = words.key(said)
        by_key = self.index.area_by_key
        if words.is_chinese(k):
            flat = k.replace(" ", "")
            for n in range(min(len(flat), self.index.max_area_chars), 0, -1):
                a = by_key.get(flat[:n])
                if a is not None:
                    return a, flat[n:].strip()
            return None
        toks, said_toks = k.split(), said.split()
        for n in range(min(len(toks), self.index.max_area_words), 0, -1):
            a = by_key.get(" ".join(toks[:n]))
            if a is not None:
                return a, "" if n == len(toks) else " ".join(said_toks[n:])
            tail = by_key.get(" ".join(toks[-n:]))
            if tail is not None and len(toks) > n + 1 and toks[-n - 1] in ("in", "on", "at", "of"):
                return tail, " ".join(said_toks[: -n - 1])
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
    def _fuzzy(k: str, close: list[tuple[float, str]], by_key: dict) -> list:  # type: ignore[type-arg]
        """The items of the fuzzy matches tied with the best one."""
        close = [(r, ek) for r, ek in close if _same_numbers(k, ek)]
        if not close:
            return []
        best = close[0][0]
        out: dict[str, object] = {}
        for r, ek in close:
            if r < best - FUZZY_TIE:
                continue
            hit = by_key[ek]
            for item in hit if isinstance(hit, list) else [hit]:
                out.setdefault(getattr(item, "entity_id", None) or item.id, item)
        return list(out.values())


def _threshold(k: str) -> float:
    return FUZZY_THRESHOLD_ZH if words.is_chinese(k) else FUZZY_THRESHOLD


def _same_numbers(a: str, b: str) -> bool:
    return sorted(_DIGITS.findall(a)) == sorted(_DIGITS.findall(b))


def compatible(said: str, name: str) -> bool:
    """Whether ``name`` (a key) may be what ``said`` (a key) meant despite a slip: the same
    numbers, no other kind of device, and every spoken word close to some word of the name."""
    if not _same_numbers(said, name):
        return False
    said_kinds = words.kinds(said)
    if said_kinds and not said_kinds <= words.kinds(name):
        return False
    if words.is_chinese(said):
        return True
    toks = name.split()
    joined = name.replace(" ", "")
    for w in said.split():
        if w in toks or (len(w) >= 3 and w in joined):
            continue
        if not any(difflib.SequenceMatcher(None, w, t).ratio() >= WORD_SLIP for t in toks):
            return False
    return True

"""Random made-up homes (areas, floors, devices, aliases) for training and held-out evaluation."""

from __future__ import annotations

import random
import re

from assistant.home import synthetic
from assistant.home.inventory import Area, Entity, Inventory
from assistant.train import pools

GROW_SIZES = (30, 60, 100, 300, 1000)
GROW_WEIGHTS = (4, 4, 3, 2, 1)
"""Extra devices added to a grown home, and how often each size is drawn."""

DOMAIN_WEIGHTS = {
    "light": 34, "switch": 10, "fan": 8, "cover": 12, "media_player": 10, "lock": 5,
    "vacuum": 3, "climate": 8, "sensor": 4, "binary_sensor": 3,
}
DEFAULT_STATE = {
    "light": "off", "switch": "off", "fan": "off", "cover": "closed", "media_player": "playing",
    "lock": "locked", "vacuum": "docked", "climate": "heat", "sensor": "21.5", "binary_sensor": "off",
    "weather": "sunny", "todo": "2",
}


def _slug(text: str, fallback: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return s or fallback


def _join(lang: str, area: str, generic: str) -> str:
    return f"{area}{generic}" if lang == "zh" else f"{area} {generic}"


def make_home(rng: random.Random, lang: str, part: str) -> Inventory:
    """A home of 2-6 areas with 1-5 devices each, names and aliases drawn from the ``part`` pools."""
    area_pool = pools.split(pools.AREAS[lang], part)
    chosen = rng.sample(area_pool, k=min(len(area_pool), rng.randint(2, 6)))
    floors = pools.split(pools.FLOORS[lang], part)
    use_floors = rng.random() < 0.5
    floor_pick = rng.sample(floors, k=2) if use_floors else []
    areas: list[Area] = []
    for i, (name, aliases) in enumerate(chosen):
        aid = _slug(name, f"area_{i}")
        als = tuple(a for a in aliases if rng.random() < 0.7)
        areas.append(Area(aid, name, als, rng.choice(floor_pick) if floor_pick else None))
    device_pool = {d: pools.split(v, part) for d, v in pools.DEVICES[lang].items()}
    entities: list[Entity] = []
    used_names: set[str] = {a.name.casefold() for a in areas}
    used_ids: set[str] = set()

    def add(domain: str, area: Area | None) -> None:
        generic, device_class, aliases = rng.choice(device_pool[domain])
        bare_ok = generic not in ("Light", "Lamp", "Fan", "灯", "风扇") and rng.random() < 0.5
        name = generic if bare_ok or area is None else _join(lang, area.name, generic)
        if name.casefold() in used_names and area is not None:
            name = _join(lang, area.name, generic)
        if name.casefold() in used_names:
            return
        alias = tuple(a for a in aliases if a.casefold() not in used_names and rng.random() < 0.5)
        used_names.update(x.casefold() for x in (name, *alias))
        base = f"{domain}.{_slug(name, 'device')}"
        eid, n = base, 2
        while eid in used_ids:
            eid, n = f"{base}_{n}", n + 1
        used_ids.add(eid)
        attrs = {"device_class": device_class} if device_class else {}
        entities.append(Entity(eid, name, alias, area.id if area else None, DEFAULT_STATE[domain], attrs))

    domains = list(DOMAIN_WEIGHTS)
    weights = list(DOMAIN_WEIGHTS.values())
    for area in areas:
        if rng.random() < 0.8:
            add("light", area)
        for domain in rng.choices(domains, weights, k=rng.randint(0, 4)):
            add(domain, area)
    for _ in range(rng.choice((0, 1, 1, 2))):
        add("weather", None)
    for _ in range(rng.choice((0, 1, 2))):
        add("todo", None)
    if rng.random() < 0.2:
        add(rng.choice(("sensor", "vacuum")), None)
    rng.shuffle(entities)
    entities.sort(key=lambda e: [a.id for a in areas].index(e.area) if e.area else len(areas))
    return Inventory(tuple(areas), tuple(entities))


def grow(home: Inventory, rng: random.Random, part: str) -> Inventory:
    """The home plus many rooms of confusable devices ("North Office Ceiling Fan" beside "…
    Ceiling Light", "Fan 2"), so training sees big homes through the LLM's candidate retrieval.
    The extra rooms' names come from the ``part`` half of the room words (splits stay disjoint)."""
    size = rng.choices(GROW_SIZES, GROW_WEIGHTS)[0]
    taken = {name.casefold() for table in pools.AREAS.values() for name, _ in table}
    extra = synthetic.make_home(size, rng.randrange(1 << 30), tuple(pools.split(list(synthetic.ROOMS), part)),
                                plain=False)
    ids = {a.id for a in home.areas}
    names = {x.casefold() for e in home.entities for x in (e.name, *e.aliases)}
    areas = [a for a in extra.areas if a.id not in ids and a.name.casefold() not in taken]
    keep = {a.id for a in areas}
    eids = {e.entity_id for e in home.entities}
    entities = [e for e in extra.entities
                if e.area in keep and e.name.casefold() not in names and e.entity_id not in eids]
    return Inventory((*home.areas, *areas), (*home.entities, *entities))

"""Made-up homes of any size with deliberately confusable names, and commands with known targets.

Used by ``hearth bench --home-size N``, the tests and the training data: ceiling lights beside
ceiling fans, "Fan" beside "Fan 2", "Bedroom" beside "Guest Bedroom" and "Bedroom 2". Commands
name existing devices (the right device is known) or near misses that do not exist ("the office
ceiling light" where the office has only a ceiling fan), where the only right outcome is to act
on nothing. Deterministic for a seed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from assistant.home.inventory import Area, Entity, Inventory

ROOMS = (
    "Kitchen", "Office", "Bedroom", "Living Room", "Bathroom", "Hallway", "Garage", "Study",
    "Dining Room", "Nursery", "Laundry", "Den", "Attic", "Basement", "Porch", "Patio", "Pantry",
    "Library", "Gym", "Studio", "Playroom", "Workshop", "Sunroom", "Cellar", "Loft", "Lounge",
)
QUALIFIERS = ("", "Guest", "Master", "Kids", "Upstairs", "Downstairs", "North", "South", "East", "West",
              "Back", "Front", "Old", "New")
FLOORS = ("Ground Floor", "First Floor", "Second Floor", "Third Floor")
DEVICES: tuple[tuple[str, str, str | None], ...] = (
    # (name after the area, domain, device class)
    ("Ceiling Light", "light", None), ("Ceiling Fan", "fan", None), ("Lamp", "light", None),
    ("Desk Lamp", "light", None), ("Floor Lamp", "light", None), ("Fan", "fan", None),
    ("Fan 2", "fan", None), ("Blinds", "cover", "blind"), ("Curtains", "cover", "curtain"),
    ("TV", "media_player", "tv"), ("Speaker", "media_player", "speaker"), ("Heater", "switch", None),
    ("Thermostat", "climate", None), ("Plug", "switch", "outlet"), ("Wall Light", "light", None),
    ("Light Strip", "light", None), ("Window Light", "light", None), ("Door Lock", "lock", None),
)
STATE = {"light": "off", "fan": "off", "cover": "closed", "media_player": "idle", "switch": "off",
         "climate": "heat", "lock": "locked"}
TEMPLATE_PHRASES = ("turn on the {name}", "turn off the {name}", "turn on {name}", "switch off the {name}")
LLM_PHRASES = ("could you get the {name} going", "I'd like the {name} off now", "kill the {name} for me",
               "please power up the {name}", "the {name} needs to be on", "shut the {name} down please")


@dataclass(frozen=True, slots=True)
class Command:
    text: str
    expected: frozenset[str]
    """Entity ids the command must act on; empty: it must act on nothing (ask or say so)."""
    area: str | None
    """The speaker's area id."""
    style: str
    """``template`` (phrased as the templates are written) or ``llm`` (only the LLM reads it)."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def area_names(n: int, rng: random.Random, rooms: tuple[str, ...] = ROOMS, *, plain: bool = True) -> list[str]:
    """``n`` distinct area names; plain rooms first, then qualified and numbered ones (confusable)."""
    names = list(rooms) if plain else []
    rng.shuffle(names)
    out = names[: min(n, len(names))]
    combos = [f"{q} {r}" for q in QUALIFIERS[1:] for r in rooms]
    rng.shuffle(combos)
    out += combos[: max(0, n - len(out))]
    k = 2
    while len(out) < n:
        out += [f"{r} {k}" for r in rooms][: n - len(out)]
        k += 1
    return out


def make_home(size: int, seed: int = 0, rooms: tuple[str, ...] = ROOMS, *, plain: bool = True) -> Inventory:
    """A home of exactly ``size`` entities, about 12 per area, with confusable names (``plain``:
    bare room names too, not only qualified and numbered ones)."""
    rng = random.Random(f"home:{size}:{seed}:{','.join(rooms)}")
    n_areas = max(2, round(size / 12))
    names = area_names(n_areas, rng, rooms, plain=plain)
    areas = [Area(_slug(n), n, (), FLOORS[i % len(FLOORS)] if size > 30 else None) for i, n in enumerate(names)]
    entities: list[Entity] = []
    per_area: dict[str, list[tuple[str, str, str | None]]] = {}
    for i, a in enumerate(areas):
        kinds = list(DEVICES)
        rng.shuffle(kinds)
        # Every other room has a ceiling fan but no ceiling light, or the other way round.
        if i % 3 == 0:
            kinds = [k for k in kinds if k[0] != "Ceiling Light"]
        elif i % 3 == 1:
            kinds = [k for k in kinds if k[0] not in ("Ceiling Fan", "Fan 2")]
        per_area[a.id] = kinds
    while len(entities) < size:
        before = len(entities)
        for a in areas:
            if len(entities) >= size:
                break
            kinds = per_area[a.id]
            if not kinds:
                continue
            label, domain, cls = kinds.pop(0)
            eid = f"{domain}.{a.id}_{_slug(label)}"
            attrs = {"device_class": cls} if cls else {}
            entities.append(Entity(eid, f"{a.name} {label}", (), a.id, STATE[domain], attrs))
        if len(entities) == before:  # every room is full: add numbered extras
            a = rng.choice(areas)
            k = sum(1 for e in entities if e.area == a.id) + 1
            entities.append(Entity(f"switch.{a.id}_plug_{k}", f"{a.name} Plug {k}", (), a.id, "off", {}))
    order = {a.id: i for i, a in enumerate(areas)}
    entities.sort(key=lambda e: order[e.area or ""])
    return Inventory(tuple(areas), tuple(entities))


def commands(home: Inventory, n: int = 40, seed: int = 0) -> list[Command]:
    """``n`` commands, half phrased for the templates and half only the LLM can read; about a
    quarter ask for a near miss that does not exist (the right outcome is no action)."""
    rng = random.Random(f"cmd:{len(home.entities)}:{seed}")
    names = {e.name.casefold(): e for e in home.entities}
    out: list[Command] = []
    for i in range(n):
        style = "template" if i % 2 == 0 else "llm"
        phrase = rng.choice(TEMPLATE_PHRASES if style == "template" else LLM_PHRASES)
        e = rng.choice(home.entities)
        a = home.area(e.area)
        assert a is not None
        roll = rng.random()
        if roll < 0.25:
            # A near miss: the other member of a confusable pair, when this home lacks it.
            miss = [f"{a.name} {x}" for x in ("Ceiling Light", "Ceiling Fan", "Fan 3", "Lamp 2")]
            missing = [m for m in miss if m.casefold() not in names]
            out.append(Command(phrase.format(name=missing[0] if missing else f"{a.name} Fan 3"),
                               frozenset(), None, style))
            continue
        confusable = [x for x in home.entities if x.area == e.area and x.name.split()[-1] in ("Light", "Fan", "2")]
        if roll < 0.6 and confusable:
            e = rng.choice(confusable)
        out.append(Command(phrase.format(name=e.name), frozenset({e.entity_id}),
                           rng.choice((None, e.area)), style))
    return out


def renamed(home: Inventory, seed: int = 0) -> Inventory:
    """The same home with one device renamed (a live home changes its names like this)."""
    rng = random.Random(f"rename:{seed}")
    i = rng.randrange(len(home.entities))
    ents = list(home.entities)
    e = ents[i]
    ents[i] = Entity(e.entity_id, f"{e.name} Renamed", e.aliases, e.area, e.state, dict(e.attributes))
    return Inventory(home.areas, tuple(ents))

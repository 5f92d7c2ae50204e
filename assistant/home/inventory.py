"""The home inventory document (areas and entities), loaded from JSON or fed live from Home Assistant."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import InventoryError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Area:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    floor: str | None = None


@dataclass(slots=True, eq=True)
class Entity:
    entity_id: str
    """``domain.object_id`` as in Home Assistant."""
    name: str
    aliases: tuple[str, ...] = ()
    area: str | None = None
    """Area id, or None."""
    state: str | None = None
    """Changes in place when Home Assistant reports a new state (names never do)."""
    attributes: dict[str, Any] = field(default_factory=dict)
    changed: str = ""
    """When Home Assistant last changed the state (ISO time): an older report never wins."""

    @property
    def domain(self) -> str:
        return self.entity_id.split(".", 1)[0]

    def names_key(self) -> tuple[Any, ...]:
        """What resolution and the prompt depend on; a change here means a new name index."""
        return (self.entity_id, self.name, self.aliases, self.area, self.attributes.get("device_class"))


@dataclass(frozen=True, slots=True)
class Inventory:
    areas: tuple[Area, ...] = ()
    entities: tuple[Entity, ...] = ()
    _by_id: dict[str, Entity] = field(default_factory=dict, init=False, compare=False, repr=False)
    _areas_by_id: dict[str, Area] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for e in self.entities:
            self._by_id.setdefault(e.entity_id, e)
        for a in self.areas:
            self._areas_by_id.setdefault(a.id, a)

    def area(self, area_id: str | None) -> Area | None:
        return self._areas_by_id.get(area_id) if area_id is not None else None

    def entity(self, entity_id: str) -> Entity | None:
        return self._by_id.get(entity_id)

    def names_key(self) -> tuple[Any, ...]:
        """Everything but states: equal keys mean the same name index, prompt and cache."""
        return (self.areas, tuple(e.names_key() for e in self.entities))

    def set_state(self, entity_id: str, state: str | None, attributes: dict[str, Any] | None = None,
                  changed: str = "") -> bool:
        """Update one entity's state in place (microseconds); False when unknown or older (a
        report without a time never overwrites one with a time)."""
        e = self._by_id.get(entity_id)
        if e is None or (e.changed and (not changed or changed < e.changed)):
            return False
        e.state = state
        if attributes is not None:
            e.attributes = {**attributes, **({"device_class": e.attributes["device_class"]}
                                             if "device_class" in e.attributes else {})}
        if changed:
            e.changed = changed
        return True

    def spoken_names(self) -> list[str]:
        """Every area and device name and alias, once each: what a speaker may call things here."""
        names = [n for a in self.areas for n in (a.name, *a.aliases)]
        names += [n for e in self.entities for n in (e.name, *e.aliases)]
        return [n for n in dict.fromkeys(x.strip() for x in names) if n]

    def to_dict(self) -> dict[str, Any]:
        return {
            "areas": [
                {"id": a.id, "name": a.name, "aliases": list(a.aliases), "floor": a.floor} for a in self.areas
            ],
            "entities": [
                {
                    "entity_id": e.entity_id,
                    "name": e.name,
                    "aliases": list(e.aliases),
                    "area": e.area,
                    "domain": e.domain,
                    "state": e.state,
                    "attributes": dict(e.attributes),
                    **({"changed": e.changed} if e.changed else {}),
                }
                for e in self.entities
            ],
        }


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InventoryError(f"{where}: aliases must be a list of strings")
    return tuple(v for v in value if v.strip())


def parse(doc: Any) -> Inventory:
    """Validate an inventory document; extra fields are allowed, missing required ones are named."""
    if not isinstance(doc, dict):
        raise InventoryError("inventory must be a JSON object with 'areas' and 'entities'")
    raw_areas = doc.get("areas") or []
    raw_entities = doc.get("entities")
    if raw_entities is None:
        raise InventoryError("inventory has no 'entities' list")
    if not isinstance(raw_areas, list) or not isinstance(raw_entities, list):
        raise InventoryError("'areas' and 'entities' must be lists")
    areas: list[Area] = []
    for i, a in enumerate(raw_areas):
        if not isinstance(a, dict) or not isinstance(a.get("id"), str) or not a["id"]:
            raise InventoryError(f"areas[{i}] needs a string 'id'")
        name = a.get("name") or a["id"].replace("_", " ").title()
        floor = a.get("floor")
        aliases = _str_list(a.get("aliases"), f"areas[{i}]")
        areas.append(Area(a["id"], str(name), aliases, floor if isinstance(floor, str) else None))
    area_ids = {a.id for a in areas}
    by_name = {a.name.casefold(): a.id for a in areas}
    entities: list[Entity] = []
    seen: set[str] = set()
    for i, e in enumerate(raw_entities):
        if not isinstance(e, dict):
            raise InventoryError(f"entities[{i}] must be an object")
        eid = e.get("entity_id")
        if not isinstance(eid, str) or "." not in eid:
            raise InventoryError(f"entities[{i}] needs an 'entity_id' like 'light.kitchen'")
        if eid in seen:
            log.warning("inventory lists %s twice; keeping the first", eid)
            continue
        seen.add(eid)
        area = e.get("area")
        if isinstance(area, str) and area not in area_ids:
            # Accept an area given by name; an unknown area becomes a new area so nothing is lost.
            area = by_name.get(area.casefold(), area)
            if area not in area_ids:
                areas.append(Area(area, area.replace("_", " ").title()))
                area_ids.add(area)
        elif area is not None and not isinstance(area, str):
            raise InventoryError(f"entities[{i}] ({eid}): 'area' must be an area id or null")
        attrs = e.get("attributes") or {}
        if not isinstance(attrs, dict):
            raise InventoryError(f"entities[{i}] ({eid}): 'attributes' must be an object")
        name = e.get("name") or attrs.get("friendly_name") or eid.split(".", 1)[1].replace("_", " ")
        state = e.get("state")
        changed = e.get("changed")
        entities.append(
            Entity(
                entity_id=eid,
                name=str(name),
                aliases=_str_list(e.get("aliases"), f"entities[{i}] ({eid})"),
                area=area or None,
                state=None if state is None else str(state),
                attributes=dict(attrs),
                changed=changed if isinstance(changed, str) else "",
            )
        )
    return Inventory(tuple(areas), tuple(entities))


def loads(text: str | bytes) -> Inventory:
    try:
        return parse(json.loads(text))
    except json.JSONDecodeError as e:
        raise InventoryError(f"inventory is not valid JSON: {e}") from e
    except UnicodeDecodeError as e:
        raise InventoryError(f"inventory is not UTF-8 text: {e}") from e


def load(path: str | Path) -> Inventory:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise InventoryError(f"cannot read inventory {p}: {e}") from e
    try:
        return loads(text)
    except InventoryError as e:
        raise InventoryError(f"{p}: {e.message}") from e


def bundled_path() -> Path:
    """The demo home shipped with Hearth (used when no inventory is configured)."""
    return Path(__file__).resolve().parent.parent / "data" / "demo_home.json"

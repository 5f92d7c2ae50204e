"""Which streams speak an announcement: one set of rules for the box's own speaker and every satellite.

Every audio stream (the local microphone, each room satellite) registers here with its room and gets
an :class:`~assistant.announce.AnnouncementQueue`. The rules, in :func:`targets`:

- ``stream`` set (a satellite's own Home Assistant device): that stream only;
- a broadcast ("tell everyone dinner is ready"): every stream but the one it was said on
  (``origin``), or, when that stream is unknown, every stream outside the room it was said in;
- ``area`` set (a timer's room, Home Assistant targeting a room): the streams in that room. When no
  stream stands there the announcement plays everywhere: better heard in the wrong room than not
  at all. A stream never plays a room's announcement when another stream serves that room and is
  connected; while every stream of the room is away (a satellite reconnecting), the connected
  streams play it now and the room's streams keep it for their return (see
  :data:`~assistant.announce.STALE_AFTER_S`);
- ``floor`` set (Home Assistant targeting a floor): the streams in the rooms on that floor, with
  the same fallback;
- nothing set: the whole home.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from assistant.announce import QUEUE_MAX, AnnouncementQueue, ring_key
from assistant.events import Announcement, EventBus, TimerAcknowledged
from assistant.home.index import floor_key
from assistant.home.inventory import Inventory

log = logging.getLogger(__name__)


def area_key(area: str | None) -> str:
    """Room names compare loosely: "Living Room", "living_room" and "living-room" are one room."""
    return re.sub(r"[\s_-]+", "_", (area or "").strip().casefold()).strip("_")


@dataclass(frozen=True)
class Place:
    """A stream as routing sees it: its name and its room (``area_key``; empty = no room)."""

    name: str
    area: str = ""
    online: bool = True
    """Connected now. A stream away keeps its queue; what it would play, connected streams play meanwhile."""


FloorRooms = Callable[[str], Iterable[str]]
"""A floor's name → the names (or ids) of the rooms on it."""


def no_floors(floor: str) -> list[str]:
    return []


def targets(a: Announcement, places: Sequence[Place], on_floor: FloorRooms = no_floors) -> list[str]:
    """The names of the streams that speak ``a``, in registration order (rules: module docstring)."""
    if a.stream:
        return [p.name for p in places if p.name == a.stream]
    area = area_key(a.area)
    if getattr(a, "broadcast", False):
        if a.origin and any(p.name == a.origin for p in places):
            return [p.name for p in places if p.name != a.origin]
        return [p.name for p in places if not area or p.area != area]
    if area:
        rooms = {area}
    elif a.floor:
        rooms = {area_key(r) for r in on_floor(a.floor)}
    else:
        return [p.name for p in places]
    here = [p for p in places if p.area in rooms]
    if not here:
        return [p.name for p in places]
    if any(p.online for p in here):
        return [p.name for p in here if p.online]
    # The room's streams are all away: heard elsewhere now, and in the room when one comes back.
    return [p.name for p in places if p.online or p in here]


def floor_rooms(inventory: Callable[[], Inventory]) -> FloorRooms:
    """Rooms by floor from the home's inventory as it is when an announcement comes (it changes live)."""

    def on_floor(floor: str) -> list[str]:
        key = floor_key(floor)
        return [n for a in inventory().areas if a.floor and floor_key(a.floor) == key for n in (a.id, a.name)]

    return on_floor


class AnnouncementRouter:
    """Delivers each :class:`Announcement` on the bus to the queues of :func:`targets`; thread-safe."""

    def __init__(self, bus: EventBus, on_floor: FloorRooms = no_floors) -> None:
        self.on_floor = on_floor
        """Rooms by floor; set it once the home's inventory is known (see :func:`floor_rooms`)."""
        self._places: list[Place] = []
        self._queues: dict[str, AnnouncementQueue] = {}
        self._lock = threading.Lock()
        self._unsubscribe = [bus.subscribe(self.deliver, Announcement),
                             bus.subscribe(self._acknowledged, TimerAcknowledged)]

    def add_stream(self, name: str, area: str = "", maxsize: int = QUEUE_MAX, *,
                   online: bool = True) -> AnnouncementQueue:
        """Register stream ``name`` standing in ``area`` (replacing one of that name); its queue.
        ``online``: connected now (a satellite is not until its first connection)."""
        q = AnnouncementQueue(maxsize)
        with self._lock:
            self._places = [p for p in self._places if p.name != name] + [Place(name, area_key(area), online)]
            self._queues[name] = q
        return q

    def set_online(self, name: str, online: bool) -> None:
        """Stream ``name`` connected or went away."""
        with self._lock:
            self._places = [dataclasses.replace(p, online=online) if p.name == name else p for p in self._places]

    def remove_stream(self, name: str) -> None:
        with self._lock:
            self._places = [p for p in self._places if p.name != name]
            self._queues.pop(name, None)

    @property
    def places(self) -> list[Place]:
        with self._lock:
            return list(self._places)

    def deliver(self, a: Announcement) -> list[str]:
        """Queue ``a`` on its streams; returns their names."""
        with self._lock:
            places = list(self._places)
        names = targets(a, places, self.on_floor)
        with self._lock:
            queues = [self._queues[n] for n in names if n in self._queues]
            served = bool(self._places)
        if not names and served:
            log.warning("announcement %r (%s) has no stream to play on", a.text[:60],
                        a.stream or a.area or a.floor or "home")
        for q in queues:
            q.put(a)
        return names

    def _acknowledged(self, e: TimerAcknowledged) -> None:
        """A ring still waiting in a queue must not sound after the "ok"."""
        with self._lock:
            queues = list(self._queues.values())
        for q in queues:
            q.withdraw(ring_key(e.timer_id))

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

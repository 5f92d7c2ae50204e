"""Announcements: bounded per-stream queues and timers that ring until acknowledged.

Every audio stream (the local microphone, each room satellite) owns one :class:`AnnouncementQueue`;
:mod:`assistant.routing` decides which streams get each announcement. The :class:`Ringer` repeats a
finished timer's announcement until someone says "ok"/"stop"/"好的", cancels it from Home Assistant,
or a minute has passed.
"""

from __future__ import annotations

import collections
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.events import Announcement, EventBus, TimerAcknowledged, TimerFinished
from assistant.skillkit.timers import Timer

log = logging.getLogger(__name__)

QUEUE_MAX = 8
"""Announcements waiting per stream. When full the oldest is dropped: a backlog of stale
announcements read out minutes late helps nobody, the newest matters most."""
STALE_AFTER_S = 60.0
"""An announcement still waiting this long after it was made (its stream was away) is dropped when
the stream comes back: news no more. A younger one plays then."""
RING_REPEAT_S = 10.0
"""A ringing timer is announced again this long after the previous ring."""
RING_MAX_S = 60.0
"""A timer nobody acknowledges stops ringing after this long."""

_ACK = {
    "ok", "okay", "o k", "stop", "stop it", "thanks", "thank you", "got it", "alright", "all right",
    "enough", "quiet", "shut up", "cancel", "dismiss", "ok stop", "okay stop", "ok thanks", "okay thanks",
    "好", "好的", "知道了", "停", "停止", "好了", "行", "谢谢", "关掉",
}


_FILLER = {"hey", "jarvis", "please", "the", "timer", "alarm", "that", "it", "now"}
_ACK_JOINED = {a.replace(" ", "") for a in _ACK}


def is_acknowledgement(text: str) -> bool:
    """True for a short "ok", "stop", "好的"... (what people say to a ringing timer); one stray
    word before it is allowed, since the wake word is often misheard ("Be Jarvis, stop")."""
    words = [w for w in re.sub(r"[^\w\s]", " ", text.casefold()).split() if w not in _FILLER]
    if not words or len(words) > 3:
        return False
    return any("".join(words[i:]) in _ACK_JOINED for i in range(min(2, len(words))))


class AnnouncementQueue:
    """Thread-safe, bounded (:data:`QUEUE_MAX`, oldest dropped), never raises on an empty take."""

    def __init__(self, maxsize: int = QUEUE_MAX) -> None:
        self._items: collections.deque[Announcement] = collections.deque()
        self._maxsize = maxsize
        self._lock = threading.Lock()
        self.dropped = 0
        """Announcements dropped because the queue was full."""

    def put(self, a: Announcement) -> None:
        with self._lock:
            if a.key:  # a newer ring of the same timer replaces the one still waiting
                kept = [x for x in self._items if x.key != a.key]
                if len(kept) != len(self._items):
                    self._items = collections.deque(kept)
            if len(self._items) >= self._maxsize:
                old = self._items.popleft()
                self.dropped += 1
                log.warning("announcement queue full: dropped %r", old.text[:60])
            self._items.append(a)

    def take(self) -> Announcement | None:
        with self._lock:
            return self._items.popleft() if self._items else None

    def withdraw(self, key: str) -> int:
        """Drop the waiting announcements with ``key`` (a timer acknowledged meanwhile)."""
        return self._keep(lambda x: x.key != key)

    def drop_older(self, ts: float) -> int:
        """Drop the waiting announcements made before ``ts`` (seconds since the epoch); how many."""
        return self._keep(lambda x: x.ts >= ts)

    def _keep(self, keep: Callable[[Announcement], bool]) -> int:
        """Keep only the waiting announcements ``keep`` accepts; how many were dropped."""
        with self._lock:
            kept = [x for x in self._items if keep(x)]
            n = len(self._items) - len(kept)
            self._items = collections.deque(kept)
            return n

    def clear(self) -> int:
        with self._lock:
            n = len(self._items)
            self._items.clear()
            return n

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def ring_key(timer_id: int) -> str:
    return f"timer-{timer_id}"


@dataclass
class _Ringing:
    timer: Timer
    first_s: float
    last_s: float
    rings: int = 1


class Ringer:
    """Rings finished timers: announce now, again every :data:`RING_REPEAT_S`, until acknowledged
    or :data:`RING_MAX_S` has passed. Thread-safe; :meth:`tick` is driven by the timer ticker."""

    def __init__(self, bus: EventBus, *, repeat_s: float = RING_REPEAT_S, max_s: float = RING_MAX_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.bus = bus
        self.repeat_s, self.max_s = repeat_s, max_s
        self._clock = clock
        self._ringing: dict[int, _Ringing] = {}
        self._lock = threading.Lock()

    @property
    def ringing(self) -> list[Timer]:
        with self._lock:
            return [r.timer for r in self._ringing.values()]

    def ring(self, timer: Timer) -> None:
        """TimerManager's ``on_finish``: start ringing ``timer``."""
        now = self._clock()
        with self._lock:
            self._ringing[timer.id] = _Ringing(timer, now, now)
        self.bus.publish(TimerFinished(timer_id=timer.id, name=timer.name, duration_s=timer.duration_s,
                                       area=timer.area or ""))
        self._announce(timer)

    def tick(self) -> None:
        now = self._clock()
        again: list[Timer] = []
        expired: list[_Ringing] = []
        with self._lock:
            for r in list(self._ringing.values()):
                if now - r.first_s >= self.max_s:
                    expired.append(self._ringing.pop(r.timer.id))
                elif now - r.last_s >= self.repeat_s:
                    r.last_s, r.rings = now, r.rings + 1
                    again.append(r.timer)
        for r in expired:
            self._ended(r, "expired")
        for t in again:
            self._announce(t)

    def consume(self, text: str, area: str | None = None) -> bool:
        """The pipeline's transcript hook: an acknowledgement while a timer rings stops it (the
        timers of ``area`` first, else every one) and is consumed; anything else is not."""
        if not is_acknowledgement(text):
            return False
        return self.acknowledge(area, how="spoken") > 0

    def acknowledge(self, area: str | None = None, how: str = "cancel") -> int:
        """Stop ringing; returns how many timers stopped."""
        with self._lock:
            here = [r for r in self._ringing.values() if area and (r.timer.area or "") == area]
            stopped = here or list(self._ringing.values())
            for r in stopped:
                self._ringing.pop(r.timer.id, None)
        for r in stopped:
            self._ended(r, how)
        return len(stopped)

    def _announce(self, t: Timer) -> None:
        self.bus.publish(Announcement(text=t.announcement(), source="timer", area=t.area or "",
                                      key=ring_key(t.id), listen=True))

    def _ended(self, r: _Ringing, how: str) -> None:
        log.info("timer %s stopped ringing (%s) after %d ring(s)", r.timer.name or r.timer.id, how, r.rings)
        self.bus.publish(TimerAcknowledged(timer_id=r.timer.id, name=r.timer.name, how=how, rings=r.rings))

"""Named countdown timers: several at once, paused and resumed, announced when they end.

The clock is injected, so tests drive time by hand and call :meth:`TimerManager.tick`;
in the running assistant the supervisor's ticker (``assistant.supervisor``) ticks twice a second.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Timer:
    """One running or paused timer (mutable: the manager owns it)."""

    id: int
    name: str
    """As spoken ("pasta"), or empty."""
    duration_s: float
    ends_at: float
    """Clock time when it rings, while running."""
    paused_left_s: float | None = None
    """Seconds left, while paused."""
    language: str = "en"
    area: str | None = None
    """Area id of the room it was set in."""
    set_s: float = 0.0
    """The duration it was set for ("the ten minute timer"), unchanged by adding time."""

    @property
    def paused(self) -> bool:
        return self.paused_left_s is not None

    def announcement(self) -> str:
        """What Hearth says when the timer runs out, in the language it was set in."""
        if self.language.startswith("zh"):
            return f"{self.name}计时器时间到了。" if self.name else "计时器时间到了。"
        return f"Your {self.name} timer is done." if self.name else "Your timer is done."


class TimerManager:
    """Keeps timers; thread-safe, since the background ticker and commands both touch them."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_finish: Callable[[Timer], None] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._clock = clock
        self.on_finish = on_finish
        self.on_change = on_change
        """Called after every change (start, cancel, pause, resume, add, ring): persistence, sensors."""
        self._timers: dict[int, Timer] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None

    def start(self, duration_s: float, name: str = "", *, language: str = "en", area: str | None = None) -> Timer:
        with self._lock:
            t = Timer(next(self._ids), name, duration_s, self._clock() + duration_s, None, language, area,
                      duration_s)
            self._timers[t.id] = t
        self._changed()
        return t

    def all(self) -> list[Timer]:
        with self._lock:
            return sorted(self._timers.values(), key=lambda t: t.id)

    def find(self, name: str | None = None) -> list[Timer]:
        """Timers with this name (case-insensitive, "pasta" matches "pasta timer"); all when None."""
        timers = self.all()
        if not name:
            return timers
        n = name.casefold().replace("timer", "").replace("计时器", "").strip()
        return [t for t in timers if n and (n == t.name.casefold() or n in t.name.casefold())]

    def left_s(self, t: Timer) -> float:
        if t.paused_left_s is not None:
            return t.paused_left_s
        return max(0.0, t.ends_at - self._clock())

    def cancel(self, t: Timer) -> None:
        with self._lock:
            self._timers.pop(t.id, None)
        self._changed()

    def pause(self, t: Timer) -> None:
        with self._lock:
            if t.paused_left_s is None:
                t.paused_left_s = max(0.0, t.ends_at - self._clock())
        self._changed()

    def resume(self, t: Timer) -> None:
        with self._lock:
            if t.paused_left_s is not None:
                t.ends_at = self._clock() + t.paused_left_s
                t.paused_left_s = None
        self._changed()

    def add(self, t: Timer, delta_s: float) -> None:
        """Add (or with a negative delta, remove) time; never below zero."""
        with self._lock:
            if t.paused_left_s is not None:
                t.paused_left_s = max(0.0, t.paused_left_s + delta_s)
            else:
                t.ends_at = max(self._clock(), t.ends_at + delta_s)
            t.duration_s = max(0.0, t.duration_s + delta_s)
        self._changed()

    def tick(self) -> list[Timer]:
        """Remove and announce every timer that has run out; returns them."""
        now = self._clock()
        with self._lock:
            done = [t for t in self._timers.values() if t.paused_left_s is None and t.ends_at <= now]
            for t in done:
                del self._timers[t.id]
        if done:
            self._changed()
        for t in done:
            if self.on_finish is not None:
                try:
                    self.on_finish(t)
                except Exception:
                    log.exception("timer announcement failed")
        return done

    def snapshot(self, wall_now: float | None = None) -> list[dict[str, Any]]:
        """Every timer as plain data, running ones with their wall-clock end (``ends_wall``, epoch s)."""
        wall = time.time() if wall_now is None else wall_now
        now = self._clock()
        return [
            {"name": t.name, "duration_s": t.duration_s, "language": t.language, "area": t.area,
             "ends_wall": None if t.paused else wall + (t.ends_at - now), "paused_left_s": t.paused_left_s}
            for t in self.all()
        ]

    def restore(self, items: list[dict[str, Any]], wall_now: float | None = None) -> list[Timer]:
        """Re-create timers from :meth:`snapshot`; one whose end passed while Hearth was off rings at
        the next :meth:`tick`."""
        wall = time.time() if wall_now is None else wall_now
        now = self._clock()
        out: list[Timer] = []
        with self._lock:
            for d in items:
                paused = d.get("paused_left_s")
                ends = now if paused is not None else now + (float(d["ends_wall"]) - wall)
                t = Timer(next(self._ids), str(d.get("name") or ""), float(d.get("duration_s") or 0.0), ends,
                          None if paused is None else float(paused), str(d.get("language") or "en"),
                          d.get("area") or None)
                self._timers[t.id] = t
                out.append(t)
        return out

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:
                log.exception("timer change hook failed")

    def start_background(self, interval_s: float = 0.5) -> None:
        """Tick on a daemon thread until :meth:`stop`."""
        if self._stop is not None:
            return
        stop = threading.Event()
        self._stop = stop

        def loop() -> None:
            while not stop.wait(interval_s):
                self.tick()

        threading.Thread(target=loop, name="hearth-timers", daemon=True).start()

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
            self._stop = None


def describe_s(seconds: float, language: str = "en") -> str:
    """Speakable duration: "10 minutes and 5 seconds" / "10分钟5秒"."""
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if language.startswith("zh"):
        parts = [f"{h}小时" if h else "", f"{m}分钟" if m else "", f"{sec}秒" if sec else ""]
        return "".join(parts) or "0秒"
    out = []
    for n, unit in ((h, "hour"), (m, "minute"), (sec, "second")):
        if n:
            out.append(f"{n} {unit}{'' if n == 1 else 's'}")
    if not out:
        return "0 seconds"
    return out[0] if len(out) == 1 else ", ".join(out[:-1]) + " and " + out[-1]

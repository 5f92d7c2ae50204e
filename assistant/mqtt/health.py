"""The node's health and timers in Home Assistant: retained sensors and an event per ring.

Published on every change and every ``[metrics] ha_interval_s``, only while connected: a retained
document replaces the last one, so nothing piles up in paho's queue during an outage.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from assistant.events import Event, EventBus, ServiceStatus, TimerAcknowledged, TimerFinished
from assistant.mqtt.topics import Topics
from assistant.skillkit.timers import TimerManager

log = logging.getLogger(__name__)


class _Bridge(Protocol):
    topics: Topics
    connected: threading.Event

    def publish_json(self, topic: str, doc: Any, *, retain: bool = False) -> None: ...


class _Figures(Protocol):
    def snapshot(self) -> dict[str, Any]: ...


class HealthPublisher:
    """Subscribe to the bus; :meth:`loop` is a supervised worker that publishes periodically."""

    def __init__(self, bridge: _Bridge, bus: EventBus, figures: _Figures, timers: TimerManager,
                 interval_s: float = 60.0) -> None:
        self.bridge, self.figures, self.timers, self.interval_s = bridge, figures, timers, interval_s
        self.workers: dict[str, str] = {}
        """Worker or device name -> its last status (``ok``, ``restarting``, ...)."""
        self._lock = threading.Lock()
        self._unsubscribe = bus.subscribe(self.on_event, Event)

    def on_event(self, e: Event) -> None:
        if isinstance(e, ServiceStatus):
            with self._lock:
                self.workers[e.worker] = e.status if not e.message else f"{e.status}: {e.message}"[:120]
            self.publish_health()
        elif isinstance(e, TimerFinished):
            self._publish(self.bridge.topics.timer, {
                "event": "finished", "id": e.timer_id, "name": e.name, "area": e.area, "duration_s": e.duration_s,
            })
        elif isinstance(e, TimerAcknowledged):
            self._publish(self.bridge.topics.timer, {
                "event": "acknowledged", "id": e.timer_id, "name": e.name, "area": "", "duration_s": None,
                "how": e.how, "rings": e.rings,
            })

    def health(self) -> dict[str, Any]:
        doc = self.figures.snapshot()
        with self._lock:
            workers = dict(self.workers)
        healthy = all(s.split(":")[0] in ("ok", "done", "starting") for s in workers.values())
        return {"status": "ok" if healthy else "degraded", **doc, "workers": workers}

    def timers_doc(self) -> dict[str, Any]:
        items = [
            {"name": t.name, "area": t.area or "", "left_s": round(self.timers.left_s(t)), "paused": t.paused}
            for t in self.timers.all()
        ]
        running = [i["left_s"] for i in items if not i["paused"]]
        return {"active": len(items), "next_s": min(running) if running else None, "timers": items}

    def publish_health(self) -> None:
        self._publish(self.bridge.topics.health, self.health(), retain=True)

    def publish_timers(self) -> None:
        self._publish(self.bridge.topics.timers, self.timers_doc(), retain=True)

    def _publish(self, topic: str, doc: dict[str, Any], retain: bool = False) -> None:
        if self.bridge.connected.is_set():
            self.bridge.publish_json(topic, doc, retain=retain)

    def loop(self, stop: threading.Event) -> None:
        """Publish now and every ``interval_s`` until ``stop``."""
        while True:
            self.publish_health()
            self.publish_timers()
            if stop.wait(self.interval_s):
                return

    def close(self) -> None:
        self._unsubscribe()

"""The always-on parts of one node: supervised stream loops, timers that ring, announcements routed
to their room, metrics and health for Home Assistant.

One :class:`Runtime` per process, shared by every audio stream: each stream gets its own
announcement queue and :class:`StreamLoop`; the timers, the ringer and the metrics are shared.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from assistant import lean
from assistant.announce import AnnouncementQueue, Ringer
from assistant.audio.base import AudioSource
from assistant.config import Config
from assistant.errors import AudioError
from assistant.events import EventBus, RunFinished
from assistant.metrics import Metrics
from assistant.routing import AnnouncementRouter
from assistant.skillkit.timers import TimerManager
from assistant.skillkit.timerstore import FILE_NAME, TimerStore, persist
from assistant.supervisor import StreamLoop, Supervisor

log = logging.getLogger(__name__)

TICK_S = 0.5
"""Timers and rings are checked this often, seconds."""
SAMPLE_S = 15.0
"""CPU is sampled this often, seconds."""


class Runtime:
    """Owns the supervisor and what every stream shares; ``run`` blocks until the streams end or
    :meth:`request_stop` (SIGTERM, Ctrl-C)."""

    def __init__(self, cfg: Config, bus: EventBus, timers: TimerManager, *,
                 load_s: dict[str, float] | None = None, persist_timers: bool = True) -> None:
        self.cfg, self.bus, self.timers = cfg, bus, timers
        self.supervisor = Supervisor(bus)
        self.router = AnnouncementRouter(bus)
        self.ringer = Ringer(bus)
        timers.on_finish = self.ringer.ring
        self.restored = persist(timers, TimerStore(cfg.data_dir / FILE_NAME)) if persist_timers else []
        self.metrics = Metrics(bus, timers_active=lambda: len(timers.all()))
        self.metrics.set_load_times(load_s or {})
        self.streams: dict[str, StreamLoop] = {}
        self.metrics_port: int | None = None
        self._closers: list[Callable[[], None]] = [self.router.close, self.metrics.close]
        # Each run frees buffers of another size (audio lengths vary): hand the freed heap back to the
        # system after every run, so a months-long process does not keep its high-water mark.
        self._closers.append(bus.subscribe(lambda _e: lean.trim(), RunFinished))
        self.supervisor.add("timers", self._tick)
        self.supervisor.add("sampler", self._sample)

    # -- streams -----------------------------------------------------------------------------
    def announcements_for(self, name: str, area: str = "") -> AnnouncementQueue:
        """The announcement queue of stream ``name`` standing in ``area``; ``name`` is the stream's
        conversation id, so a broadcast said on it skips it."""
        return self.router.add_stream(name, area)

    def add_stream(self, name: str, pipeline: Any, open_source: Callable[[], AudioSource],
                   first: AudioSource | None = None, *, live: bool = True) -> StreamLoop:
        """Supervise ``pipeline`` on a source; a live one is reopened with backoff when lost."""
        loop = StreamLoop(name, pipeline, open_source, first, self.supervisor)
        self.streams[name] = loop
        self.supervisor.add(loop.worker, loop, restart=live, forever=live, on_stop=loop.interrupt)
        return loop

    def acknowledge(self) -> None:
        """Home Assistant's cancel: stop ringing timers."""
        self.ringer.acknowledge(how="cancel")

    # -- Home Assistant ----------------------------------------------------------------------
    def attach_bridge(self, bridge: Any) -> None:
        """Outbox figures into the metrics; health and timers to Home Assistant."""
        from assistant.mqtt.health import HealthPublisher

        outbox = bridge.outbox

        def outbox_stats() -> tuple[int, float | None]:
            oldest = outbox.pending(limit=1)
            return outbox.count(), (time.time() - oldest[0].created) if oldest else None

        self.metrics.set_outbox(outbox_stats)
        health = HealthPublisher(bridge, self.bus, self.metrics, self.timers, self.cfg.metrics.ha_interval_s)
        previous = self.timers.on_change

        def on_change() -> None:
            if previous is not None:
                previous()
            health.publish_timers()

        self.timers.on_change = on_change
        self.supervisor.add("health", health.loop)
        self._closers.append(health.close)

    # -- life --------------------------------------------------------------------------------
    def start(self) -> None:
        if self.cfg.metrics.port:
            self.metrics_port = self.metrics.serve(self.cfg.metrics.port, self.cfg.metrics.address)
        self.supervisor.start()

    def run(self) -> None:
        """Start, then block until every finite stream ended or a stop was requested."""
        self.start()
        self.supervisor.wait()
        failed = [w for w in self.supervisor.workers.values() if w.status == "failed"]
        if failed and not self.supervisor.stopping.is_set():  # a finite input broke off: say so
            raise AudioError(f"{failed[0].name}: {failed[0].message}")

    def request_stop(self) -> None:
        """Safe from a signal handler: :meth:`run` returns within a fraction of a second."""
        self.supervisor.stopping.set()

    def stop(self, timeout_s: float = 0.5) -> None:
        """Stop the workers: sources closed, replies cut; a worker stuck in a model call is a daemon."""
        if not self.supervisor.stop(timeout_s):
            alive = [w.name for w in self.supervisor.workers.values() if w.thread and w.thread.is_alive()]
            log.info("still busy at shutdown (left to exit with the process): %s", ", ".join(alive))
        for close in self._closers:
            try:
                close()
            except Exception:
                log.exception("error while shutting down")

    def _tick(self, stop: threading.Event) -> None:
        while not stop.wait(TICK_S):
            self.timers.tick()
            self.ringer.tick()

    def _sample(self, stop: threading.Event) -> None:
        while not stop.wait(SAMPLE_S):
            self.metrics.sample()

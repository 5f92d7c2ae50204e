"""Metrics for whoever looks after the box: a bus subscriber feeding ``prometheus-client``.

Everything is counted in a registry of its own (never the library's global one), so several
nodes or tests in one process never mix their figures. The HTTP endpoint is opt-in
(``[metrics] port``, loopback by default); :meth:`Metrics.snapshot` gives the key figures that
also go to Home Assistant as sensors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import psutil
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, start_http_server

from assistant.events import (
    Announcement,
    Event,
    EventBus,
    RunFailed,
    RunFinished,
    ServiceStatus,
    TimerFinished,
    Understood,
    WakeDetected,
    WakeSuppressed,
)

log = logging.getLogger(__name__)

STAGE_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)
COMMAND_STAGES = ("run", "pipeline")
"""RunFailed stages that mean a command failed (an announcement failing is not a command)."""

OutboxStats = Callable[[], tuple[int, float | None]]
"""Returns (intents waiting, age of the oldest in seconds or None)."""


class Metrics:
    """Subscribe it to the bus; every figure updates from events, none from the pipeline's code."""

    def __init__(self, bus: EventBus | None = None, *, outbox: OutboxStats | None = None,
                 timers_active: Callable[[], int] | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.stage_seconds = Histogram("hearth_stage_seconds", "Time per pipeline stage", ["stage"],
                                       buckets=STAGE_BUCKETS_S, registry=r)
        self.commands = Counter("hearth_commands", "Commands by path (template, llm, ...) and outcome",
                                ["path", "outcome"], registry=r)
        self.wakes = Counter("hearth_wake_detections", "Wake word detections", ["word"], registry=r)
        self.self_wakes = Counter("hearth_self_wakes_suppressed",
                                  "Wake words in Hearth's own voice, ignored, by what was playing", ["reason"],
                                  registry=r)
        self.failures = Counter("hearth_run_failures", "Failed runs by stage and code", ["stage", "code"],
                                registry=r)
        self.announcements = Counter("hearth_announcements", "Announcements by source", ["source"], registry=r)
        self.timers_finished = Counter("hearth_timers_finished", "Timers that rang", registry=r)
        self.restarts = Counter("hearth_worker_restarts", "Restarts of supervised loops and devices", ["worker"],
                                registry=r)
        self.worker_up = Gauge("hearth_worker_up", "1 while a supervised loop or device is healthy", ["worker"],
                               registry=r)
        self.model_load = Gauge("hearth_model_load_seconds", "Load and warm-up time per model", ["model"],
                                registry=r)
        self.cpu_percent = Gauge("hearth_cpu_percent", "CPU use since the previous sample, percent of one core",
                                 registry=r)
        self.threads = Gauge("hearth_threads", "Python threads alive", registry=r)
        self.threads.set_function(threading.active_count)
        self.outbox_depth = Gauge("hearth_outbox_depth", "Intents waiting in the outbox", registry=r)
        self.outbox_age = Gauge("hearth_outbox_oldest_age_seconds", "Age of the oldest waiting intent (0 = none)",
                                registry=r)
        self._outbox = outbox
        self.outbox_depth.set_function(lambda: float(self._outbox_stats()[0]))
        self.outbox_age.set_function(lambda: float(self._outbox_stats()[1] or 0.0))
        self.timers_active = Gauge("hearth_timers_active", "Timers running or paused", registry=r)
        if timers_active is not None:
            self.timers_active.set_function(lambda: float(timers_active()))
        ProcessCollector(registry=r)  # process_resident_memory_bytes, process_cpu_seconds_total, ...
        self._proc = psutil.Process()
        self._proc.cpu_percent(None)
        self._started = time.time()
        self._restarts_total = 0
        self._cpu = 0.0
        self._server: Any = None
        self._unsubscribe = bus.subscribe(self.on_event, Event) if bus is not None else None

    def _outbox_stats(self) -> tuple[int, float | None]:
        try:
            return self._outbox() if self._outbox is not None else (0, None)
        except Exception:  # a closed outbox at shutdown must not break a scrape
            return (0, None)

    def set_outbox(self, outbox: OutboxStats) -> None:
        self._outbox = outbox

    def set_load_times(self, load_s: Mapping[str, float]) -> None:
        for model, seconds in load_s.items():
            self.model_load.labels(model).set(seconds)

    def on_event(self, e: Event) -> None:
        if isinstance(e, RunFinished):
            for stage, ms in e.timings_ms.items():
                self.stage_seconds.labels(stage).observe(ms / 1000)
        elif isinstance(e, Understood):
            u = e.understanding
            self.commands.labels(u.path, "understood" if u.intents else "not_understood").inc()
        elif isinstance(e, WakeDetected):
            self.wakes.labels(e.word).inc()
            self.stage_seconds.labels("wake").observe(e.detect_ms / 1000)
        elif isinstance(e, WakeSuppressed):
            self.self_wakes.labels(e.reason or "other").inc()
        elif isinstance(e, RunFailed):
            self.failures.labels(e.stage, e.code).inc()
            if e.stage in COMMAND_STAGES:
                self.commands.labels("none", "failed").inc()
        elif isinstance(e, Announcement):
            self.announcements.labels(e.source or "other").inc()
        elif isinstance(e, TimerFinished):
            self.timers_finished.inc()
        elif isinstance(e, ServiceStatus):
            self.worker_up.labels(e.worker).set(1.0 if e.status in ("ok", "done") else 0.0)
            if e.status == "restarting":
                self.restarts.labels(e.worker).inc()
                self._restarts_total += 1

    def sample(self) -> None:
        """Update the sampled figures (CPU); called periodically by the supervisor's sampler."""
        self._cpu = self._proc.cpu_percent(None)
        self.cpu_percent.set(self._cpu)

    def snapshot(self) -> dict[str, Any]:
        """Key figures for Home Assistant's sensors."""
        depth, age = self._outbox_stats()
        commands = sum(s.value for m in self.commands.collect() for s in m.samples if s.name.endswith("_total"))
        return {
            "rss_mb": round(self._proc.memory_info().rss / 2**20, 1),
            "cpu_pct": round(self._cpu, 1),
            "threads": threading.active_count(),
            "commands": int(commands),
            "restarts": self._restarts_total,
            "outbox": depth,
            "outbox_age_s": None if age is None else round(age, 1),
            "uptime_s": round(time.time() - self._started),
        }

    def serve(self, port: int, address: str = "127.0.0.1") -> int:
        """Start the HTTP endpoint (its own daemon thread); returns the port it listens on."""
        server, _thread = start_http_server(port, addr=address, registry=self.registry)
        self._server = server
        bound = int(server.server_address[1])
        log.info("metrics at http://%s:%d/metrics", address, bound)
        return bound

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

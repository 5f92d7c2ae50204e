"""Supervision: every long-running loop has an owner that restarts it with backoff when it fails.

A :class:`Supervisor` owns N workers (one per audio stream, the timer ticker, the metrics
sampler...). Each worker runs on its own thread; when it raises, the failure is logged and
published as a :class:`ServiceStatus` event (the MQTT bridge shows it in Home Assistant), and the
worker is started again after a delay that doubles up to ``backoff_max_s`` and resets once a run
stayed healthy for ``healthy_s``. Nothing here is per process: a node with several microphones
(satellites) adds one :class:`StreamLoop` per stream.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.audio.base import AudioSource
from assistant.errors import AudioError
from assistant.events import EventBus, ServiceStatus

log = logging.getLogger(__name__)

Target = Callable[[threading.Event], None]
"""A worker body: runs until its work ends or the stop event is set; raising means "failed"."""


@dataclass
class Worker:
    """One supervised loop and its health."""

    name: str
    target: Target
    restart: bool = True
    """Start again when it fails (a finite stream, such as a WAV file, is not re-read)."""
    forever: bool = True
    """It should never return by itself: returning counts as a failure. False for finite work."""
    on_stop: Callable[[], None] | None = None
    """Unblocks the target when the supervisor stops (closes an audio source, ...)."""
    status: str = "starting"
    message: str = ""
    restarts: int = 0
    thread: threading.Thread | None = field(default=None, repr=False)


class Supervisor:
    """Starts, restarts (with backoff) and stops a set of workers."""

    def __init__(self, bus: EventBus | None = None, *, backoff_min_s: float = 0.5, backoff_max_s: float = 30.0,
                 healthy_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.bus = bus
        self.backoff_min_s, self.backoff_max_s, self.healthy_s = backoff_min_s, backoff_max_s, healthy_s
        self._clock = clock
        self.workers: dict[str, Worker] = {}
        self.stopping = threading.Event()
        self._changed = threading.Condition()
        self._started = False

    def add(self, name: str, target: Target, *, restart: bool = True, forever: bool = True,
            on_stop: Callable[[], None] | None = None) -> Worker:
        if name in self.workers:
            raise ValueError(f"a worker named {name!r} exists already")
        w = Worker(name, target, restart, forever, on_stop)
        self.workers[name] = w
        if self._started:
            self._launch(w)
        return w

    def start(self) -> None:
        self._started = True
        for w in self.workers.values():
            self._launch(w)

    def _launch(self, w: Worker) -> None:
        w.thread = threading.Thread(target=self._supervise, args=(w,), name=f"hearth-{w.name}", daemon=True)
        w.thread.start()

    def _supervise(self, w: Worker) -> None:
        delay = self.backoff_min_s
        while not self.stopping.is_set():
            t0 = self._clock()
            try:
                w.target(self.stopping)
                if self.stopping.is_set() or not w.forever:
                    self._report(w, "done" if not self.stopping.is_set() else "stopped")
                    break
                raise RuntimeError("ended unexpectedly")
            except Exception as e:  # the whole point: a failing loop never takes the process down
                if self.stopping.is_set():
                    self._report(w, "stopped")
                    break
                message = e.message if hasattr(e, "message") else f"{type(e).__name__}: {e}"
                if not w.restart:
                    log.error("%s failed: %s", w.name, message, exc_info=not isinstance(e, AudioError))
                    self._report(w, "failed", message)
                    break
                if self._clock() - t0 >= self.healthy_s:
                    delay = self.backoff_min_s
                w.restarts += 1
                log.error("%s failed: %s; restarting in %.1f s (restart %d)", w.name, message, delay, w.restarts,
                          exc_info=not isinstance(e, AudioError))
                self._report(w, "restarting", message, retry_s=delay)
                if self.stopping.wait(delay):
                    self._report(w, "stopped")
                    break
                delay = min(delay * 2, self.backoff_max_s)
        with self._changed:
            self._changed.notify_all()

    def report_ok(self, name: str) -> None:
        """A worker says it is healthy (an audio source opened)."""
        w = self.workers.get(name)
        if w is not None and w.status != "ok":
            if w.restarts:
                log.warning("%s is back after %d restart(s)", name, w.restarts)
            self._report(w, "ok")

    def _report(self, w: Worker, status: str, message: str = "", retry_s: float = 0.0) -> None:
        w.status, w.message = status, message
        if self.bus is not None:
            self.bus.publish(ServiceStatus(worker=w.name, status=status, message=message, restarts=w.restarts,
                                           retry_s=retry_s))

    def finished(self) -> bool:
        """True once every finite worker is done (never, with only forever workers)."""
        finite = [w for w in self.workers.values() if not w.forever]
        return bool(finite) and all(w.thread is not None and not w.thread.is_alive() for w in finite)

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until :meth:`finished` or :meth:`stop`; True if so, False on timeout."""
        deadline = None if timeout_s is None else self._clock() + timeout_s
        with self._changed:
            while not (self.finished() or self.stopping.is_set()):
                left = None if deadline is None else deadline - self._clock()
                if left is not None and left <= 0:
                    return False
                # Short waits: the main thread must stay responsive to signals.
                self._changed.wait(0.2 if left is None else min(0.2, left))
        return True

    def stop(self, timeout_s: float = 1.0) -> bool:
        """Stop every worker; True when all ended within ``timeout_s`` (a worker stuck in a model
        call is a daemon thread and cannot hold the process)."""
        self.stopping.set()
        for w in self.workers.values():
            if w.on_stop is not None:
                try:
                    w.on_stop()
                except Exception:
                    log.exception("stopping %s failed", w.name)
        with self._changed:
            self._changed.notify_all()
        deadline = self._clock() + timeout_s
        for w in self.workers.values():
            if w.thread is not None:
                w.thread.join(max(0.0, deadline - self._clock()))
        return not any(w.thread is not None and w.thread.is_alive() for w in self.workers.values())


class StreamLoop:
    """One audio stream through its pipeline: opens the source (again, after a loss) and runs it.

    A live source (a microphone) that ends or fails is an error, so the supervisor reopens it with
    backoff; a finite one (a file, stdin) ends the stream.
    """

    def __init__(self, name: str, pipeline: object, open_source: Callable[[], AudioSource],
                 first: AudioSource | None = None, supervisor: Supervisor | None = None) -> None:
        self.name = name
        self.worker = f"stream-{name}"
        """Its name under the supervisor (and in ServiceStatus events)."""
        self.pipeline = pipeline
        self._open = open_source
        self._next = first
        self._current: AudioSource | None = None
        self._supervisor = supervisor
        self._lock = threading.Lock()

    def __call__(self, stop: threading.Event) -> None:
        source = self._next if self._next is not None else self._open()
        self._next = None
        with self._lock:
            self._current = source
        if stop.is_set():  # stop() came while the source was opening
            source.close()
            return
        if self._supervisor is not None:
            self._supervisor.report_ok(self.worker)
        try:
            self.pipeline.run(source)  # type: ignore[attr-defined]
        finally:
            with self._lock:
                self._current = None
            source.close()
        if getattr(source, "live", False) and not stop.is_set():
            raise AudioError(f"the audio source of stream {self.name!r} stopped delivering audio")

    def interrupt(self) -> None:
        """Close the current source, so ``pipeline.run`` returns, and cut any reply short."""
        with self._lock:
            source = self._current
        cancel = getattr(self.pipeline, "cancel", None)
        if cancel is not None:
            cancel()
        if source is not None:
            source.close()

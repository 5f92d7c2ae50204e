"""A speaker that comes back: a lost output device (unplugged, sound server restarted) is reopened
with backoff at the next reply instead of failing every reply until Hearth restarts."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from assistant.audio.base import AudioSink
from assistant.errors import AudioError
from assistant.events import EventBus, ServiceStatus

log = logging.getLogger(__name__)


class ReopeningSink:
    """Wraps a sink factory; a failed open or write drops the sink and retries after a delay that
    doubles up to ``backoff_max_s``. Each failure still raises :class:`AudioError`, so the run
    that hit it is reported; the loss and the recovery are published as :class:`ServiceStatus`."""

    def __init__(self, open_sink: Callable[[], AudioSink], *, bus: EventBus | None = None, name: str = "speaker",
                 backoff_min_s: float = 0.5, backoff_max_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic, first: AudioSink | None = None) -> None:
        self._open = open_sink
        self._sink: AudioSink | None = first
        self.bus, self.name = bus, name
        self._min, self._max = backoff_min_s, backoff_max_s
        self._delay = backoff_min_s
        self._retry_at = 0.0
        self._clock = clock
        self._lock = threading.Lock()
        self.failures = 0

    def _get(self) -> AudioSink:
        with self._lock:
            if self._sink is not None:
                return self._sink
            now = self._clock()
            if now < self._retry_at:
                raise AudioError(f"the {self.name} is unavailable; retrying in {self._retry_at - now:.1f} s")
            try:
                self._sink = self._open()
            except Exception as e:
                self._failed(e)
                raise AudioError(f"cannot open the {self.name}: {e}") from e
            self._delay = self._min
            if self.failures:
                log.warning("the %s is back", self.name)
                self._report("ok", "")
            return self._sink

    def _failed(self, e: Exception) -> None:
        self.failures += 1
        self._retry_at = self._clock() + self._delay
        log.error("the %s failed (%s); retrying in %.1f s", self.name, e, self._delay)
        self._report("restarting", str(e), self._delay)
        self._delay = min(self._delay * 2, self._max)

    def _report(self, status: str, message: str, retry_s: float = 0.0) -> None:
        if self.bus is not None:
            self.bus.publish(ServiceStatus(worker=self.name, status=status, message=message,
                                           restarts=self.failures, retry_s=retry_s))

    def write(self, chunk: np.ndarray, sample_rate: int) -> None:
        sink = self._get()
        try:
            sink.write(chunk, sample_rate)
        except Exception as e:
            with self._lock:
                self._sink = None
                self._failed(e)
            try:
                sink.close()
            except Exception:
                log.debug("closing the failed %s", self.name, exc_info=True)
            raise AudioError(f"the {self.name} failed: {e}") from e

    def drain(self, timeout_s: float | None = None) -> bool:
        drain = getattr(self._sink, "drain", None)
        return True if drain is None else bool(drain(timeout_s))

    def cancel(self) -> None:
        if self._sink is not None:
            self._sink.cancel()

    @property
    def playing(self) -> bool:
        return self._sink is not None and self._sink.playing

    def close(self) -> None:
        with self._lock:
            sink, self._sink = self._sink, None
        if sink is not None:
            sink.close()

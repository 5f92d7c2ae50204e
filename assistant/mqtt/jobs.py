"""The bridge's job queue: one dispatcher thread runs what paho's callbacks hand over, now or later.

Bounded (:data:`MAX_JOBS`): when full, the new job is dropped and logged. Jobs are commands from
Home Assistant (announce, cancel, mute) and bookkeeping; a flood of commands beyond this is a
misbehaving client, and dropping its newest keeps what was already accepted. Delayed jobs share
the one thread (a heap, no ``threading.Timer`` per job); a delayed job with a key replaces the
one waiting under the same key, so a burst of Home Assistant birth messages re-sends discovery once.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

MAX_JOBS = 256
Job = Callable[[], None]


class JobQueue:
    """Thread-safe; :meth:`run` is the dispatcher loop, :meth:`close` ends it."""

    def __init__(self, maxsize: int = MAX_JOBS, clock: Callable[[], float] = time.monotonic) -> None:
        self._q: queue.Queue[Job | None] = queue.Queue(maxsize)
        self._later: list[tuple[float, int, Job]] = []
        self._keys: dict[str, int] = {}
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._clock = clock
        self.dropped = 0

    def put(self, job: Job) -> bool:
        """Queue ``job``; False (and logged) when the queue is full."""
        try:
            self._q.put_nowait(job)
            return True
        except queue.Full:
            self.dropped += 1
            log.warning("MQTT job queue full (%d): a command was dropped", self._q.maxsize)
            return False

    def later(self, delay_s: float, job: Job, key: str | None = None) -> None:
        """Run ``job`` after ``delay_s``; with ``key``, replacing a job still waiting under it."""
        with self._lock:
            n = next(self._seq)
            if key is not None:
                self._keys[key] = n
            heapq.heappush(self._later, (self._clock() + delay_s, n, self._keyed(job, key, n)))
        self._wake()

    def _keyed(self, job: Job, key: str | None, n: int) -> Job:
        if key is None:
            return job

        def run() -> None:
            with self._lock:
                current = self._keys.get(key) == n
                if current:
                    del self._keys[key]
            if current:
                job()

        return run

    def _wake(self) -> None:
        self.put(lambda: None)  # the dispatcher re-computes its wait

    def pending_later(self) -> int:
        with self._lock:
            return len(self._later)

    def _due(self) -> tuple[list[Job], float | None]:
        now = self._clock()
        due: list[Job] = []
        with self._lock:
            while self._later and self._later[0][0] <= now:
                due.append(heapq.heappop(self._later)[2])
            wait = self._later[0][0] - now if self._later else None
        return due, wait

    def run(self, on_error: Callable[[Exception], None]) -> None:
        """Run jobs until :meth:`close`; a failing job goes to ``on_error`` and never ends the loop."""
        while True:
            due, wait = self._due()
            for job in due:
                self._call(job, on_error)
            try:
                job = self._q.get(timeout=wait)
            except queue.Empty:
                continue
            if job is None:
                return
            self._call(job, on_error)

    @staticmethod
    def _call(job: Job, on_error: Callable[[Exception], None]) -> None:
        try:
            job()
        except Exception as e:
            on_error(e)

    def close(self) -> None:
        """End :meth:`run` (waits for room rather than dropping the stop)."""
        try:
            self._q.put(None, timeout=1.0)
        except queue.Full:
            log.warning("MQTT job queue stays full; the dispatcher is stuck")

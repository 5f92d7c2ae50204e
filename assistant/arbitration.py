"""One answer per wake: when several rooms hear the same wake word, only the one that heard it best answers.

Each stream's wake detector is wrapped; a detection becomes a *claim* with the wake score and the
speech level (RMS of the last second of audio, dBFS). Claims within ``window_s`` of the first form
one group. The winner is the claim with the highest wake score, except that claims within
``SCORE_TIE`` of the best score are ranked by speech level instead: openWakeWord's score saturates
near 1.0 for any clear hearing, so for clear hearings the loudest (nearest) room wins. A losing
stream returns no detection and goes on listening; its detector's refractory time keeps it from
re-triggering on the same utterance.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.wake.base import Detection, WakeDetector

log = logging.getLogger(__name__)

SCORE_TIE = 0.1
"""Wake scores this close to the best count as equally sure; speech level decides among them."""
TRIGGER_DEBOUNCE_S = 1.5
"""Reports of a satellite's own wake word this close together are one wake, seconds."""
LEVEL_S = 1.0
"""Audio before the detection whose level is measured, seconds (about one wake phrase)."""


@dataclass(frozen=True, slots=True)
class Claim:
    stream: str
    score: float
    level_db: float
    at: float


@dataclass
class _Group:
    start: float
    claims: list[Claim] = field(default_factory=list)
    winner: str | None = None


def pick(claims: list[Claim]) -> Claim:
    """The claim that heard the wake word best (see the module docstring)."""
    top = max(c.score for c in claims)
    sure = [c for c in claims if c.score >= top - SCORE_TIE]
    return max(sure, key=lambda c: (c.level_db, c.score, -c.at))


class Arbiter:
    """Groups claims from all streams; ``claim`` blocks until its group is decided."""

    def __init__(self, window_s: float = 0.7, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.clock = clock
        self._cond = threading.Condition()
        self._group: _Group | None = None
        self._streams: set[str] = set()
        self.decisions: deque[tuple[str, list[Claim]]] = deque(maxlen=50)
        """Recent (winner, claims) pairs, for logs and tests."""
        self.on_decision: Callable[[str, list[Claim]], None] | None = None

    def register(self, stream: str) -> None:
        with self._cond:
            self._streams.add(stream)

    def unregister(self, stream: str) -> None:
        with self._cond:
            self._streams.discard(stream)

    def claim(self, stream: str, score: float, level_db: float) -> bool:
        """True if ``stream`` should answer this wake word."""
        with self._cond:
            now = self.clock()
            if len(self._streams) <= 1:
                return True  # a single room answers at once
            group = self._group
            if group is None or now - group.start > self.window_s:
                group = self._group = _Group(start=now)
            if group.winner is not None:
                log.info("wake word in %s came %.2f s after %s had answered it: ignored",
                         stream, now - group.start, group.winner)
                return False
            group.claims.append(Claim(stream, score, level_db, now))
            deadline = group.start + self.window_s
            while (group.winner is None and len(group.claims) < len(self._streams)
                   and (left := deadline - self.clock()) > 0):
                self._cond.wait(left)  # every room has spoken up: no need to wait out the window
            if group.winner is None:
                best = pick(group.claims)
                group.winner = best.stream
                self.decisions.append((best.stream, list(group.claims)))
                log.info("wake word heard in %s; %s answers",
                         ", ".join(f"{c.stream} (score {c.score:.2f}, {c.level_db:.1f} dBFS)" for c in group.claims),
                         best.stream)
                if self.on_decision is not None:
                    self.on_decision(best.stream, list(group.claims))
                self._cond.notify_all()
            return group.winner == stream


def level_db(audio: np.ndarray) -> float:
    """RMS level of int16 audio, dBFS (-120 for silence)."""
    if audio.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(audio.astype(np.float64)))))
    return 20 * math.log10(rms / 32768.0) if rms > 0 else -120.0


class ArbitratedWake:
    """Implements WakeDetector around a stream's own detector: detections must win the arbiter.

    ``trigger`` injects a detection made elsewhere (a satellite's own wake word, or a pipeline
    started without one); ``listening = False`` skips the model while a satellite runs its own.
    """

    def __init__(self, inner: WakeDetector, arbiter: Arbiter, stream: str, frame_s: float = 0.08) -> None:
        self.inner = inner
        self.arbiter = arbiter
        self.stream = stream
        self.words = inner.words
        self.listening = True
        self._recent: deque[np.ndarray] = deque(maxlen=max(1, round(LEVEL_S / frame_s)))
        self._triggered: Detection | None = None
        self._last_trigger = -1e9
        self._lock = threading.Lock()
        arbiter.register(stream)

    def trigger(self, word: str | None, score: float = 1.0) -> None:
        """A wake word detected elsewhere; a second report of it (``detection`` then ``run-pipeline``)
        within ``TRIGGER_DEBOUNCE_S`` is the same wake."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_trigger < TRIGGER_DEBOUNCE_S:
                return
            self._last_trigger = now
            self._triggered = Detection(word or (self.words[0] if self.words else "wake"), score, 0.0)

    def process(self, frame: np.ndarray) -> list[Detection]:
        self._recent.append(frame)
        with self._lock:
            injected, self._triggered = self._triggered, None
        if injected is not None:
            detections = [injected]
        elif self.listening:
            detections = self.inner.process(frame)
        else:
            return []
        if not detections:
            return []
        best = max(detections, key=lambda d: d.score)
        level = level_db(np.concatenate(list(self._recent)))
        if self.arbiter.claim(self.stream, best.score, level):
            return detections
        return []

    def reset(self) -> None:
        self.inner.reset()

    def restart(self) -> None:
        restart = getattr(self.inner, "restart", None)
        if restart is not None:
            restart()
        else:
            self.inner.reset()
        self._recent.clear()

    def close(self) -> None:
        self.arbiter.unregister(self.stream)

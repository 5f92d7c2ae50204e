"""One answer per wake: when several rooms hear the same wake word, only the one that heard it best answers.

Each stream's wake detector is wrapped; a detection becomes a *claim* with the wake score and the
speech level (RMS of the last second of audio, dBFS). Claims whose triggering audio *arrived* within
``window_s`` of the first form one group, so a room whose processing lags behind still joins the
right group; the group is decided once every streaming room has scored that stretch of audio (at
most ``MAX_LAG_S`` late). The winner is the claim with the highest wake score, except that claims
within ``SCORE_TIE`` of the best score are ranked by speech level instead: openWakeWord's score
saturates near 1.0 for any clear hearing, so for clear hearings the loudest (nearest) room wins. A
losing stream returns no detection and goes on listening; its detector's refractory time keeps it
from re-triggering on the same utterance.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.audio.activity import level_db
from assistant.wake.base import Detection, WakeDetector, restart_detector

log = logging.getLogger(__name__)

SCORE_TIE = 0.1
"""Wake scores this close to the best count as equally sure; speech level decides among them."""
TRIGGER_DEBOUNCE_S = 1.5
"""Reports of a satellite's own wake word this close together are one wake, seconds."""
MAX_LAG_S = 2.0
"""A room whose processing lags more than this behind the window is not waited for, seconds."""
ACTIVE_S = 1.0
"""A room that scored no frame for this long (not streaming) is not waited for, seconds."""
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
    """Arrival time of the first claim's frame."""
    claims: list[Claim] = field(default_factory=list)
    winner: str | None = None
    wall_start: float = 0.0


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
        self._progress: dict[str, float] = {}
        """Per stream: arrival time of the latest frame its wake detector has scored."""
        self._seen: dict[str, float] = {}
        """Per stream: when it last scored a frame (a stream that stopped streaming is not waited for)."""
        self._scoring: set[str] = set()
        """Streams inside their detector now: one confirming a candidate (a Whisper check, which
        may queue behind another room's) is still streaming, however long since its last frame."""
        self.decisions: deque[tuple[str, list[Claim]]] = deque(maxlen=50)
        """Recent (winner, claims) pairs, for logs and tests."""

    def register(self, stream: str) -> None:
        with self._cond:
            self._streams.add(stream)

    def unregister(self, stream: str) -> None:
        with self._cond:
            self._streams.discard(stream)

    def progress(self, stream: str, at: float) -> None:
        """``stream`` has scored the frame that arrived at ``at`` (no wake word in it, or not yet claimed)."""
        with self._cond:
            self._progress[stream] = at
            self._seen[stream] = self.clock()
            if self._group is not None and self._group.winner is None:
                self._cond.notify_all()

    def scoring(self, stream: str, busy: bool) -> None:
        """``stream`` enters (True) or leaves its detector for one frame."""
        with self._cond:
            if busy:
                self._scoring.add(stream)
            else:
                self._scoring.discard(stream)

    def _waiting_for(self, group: _Group) -> list[str]:
        """Active streams that have not yet scored the audio of the window: they may still claim."""
        now, claimed = self.clock(), {c.stream for c in group.claims}
        return [s for s in self._streams if s not in claimed
                and (s in self._scoring or now - self._seen.get(s, -1e9) < ACTIVE_S)
                and self._progress.get(s, -1e9) < group.start + self.window_s]

    def claim(self, stream: str, score: float, level_db: float, at: float | None = None) -> bool:
        """True if ``stream`` should answer this wake word. ``at``: when the frame that triggered
        arrived, so a stream whose processing lags still lands in the right group."""
        with self._cond:
            now = self.clock()
            at = now if at is None else at
            if len(self._streams) <= 1:
                return True  # a single room answers at once
            group = self._group
            if group is None or at - group.start > self.window_s:
                group = self._group = _Group(start=at)
                group.wall_start = now
            if group.winner is not None:
                log.info("wake word in %s came %.2f s after %s had answered it: ignored",
                         stream, at - group.start, group.winner)
                return False
            group.claims.append(Claim(stream, score, level_db, at))
            # Decide once every active room has scored the window's audio (or claimed), at the latest
            # MAX_LAG_S after the window: a stalled room never holds the others.
            while group.winner is None and self._waiting_for(group):
                left = group.wall_start + self.window_s + MAX_LAG_S - self.clock()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
            if group.winner is None:
                best = pick(group.claims)
                group.winner = best.stream
                self.decisions.append((best.stream, list(group.claims)))
                log.info("wake word heard in %s; %s answers",
                         ", ".join(f"{c.stream} (score {c.score:.2f}, {c.level_db:.1f} dBFS)" for c in group.claims),
                         best.stream)
                self._cond.notify_all()
            return group.winner == stream


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
        self.frame_clock: Callable[[], float] = arbiter.clock
        """Arrival time of the frame being scored (a satellite's source sets it; a local mic: now)."""
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
        at = self.frame_clock()
        if injected is not None:
            detections = [injected]
        elif self.listening:
            self.arbiter.scoring(self.stream, True)
            try:
                detections = self.inner.process(frame)
            finally:
                self.arbiter.scoring(self.stream, False)
        else:
            return []
        if not detections:
            self.arbiter.progress(self.stream, at)
            return []
        best = max(detections, key=lambda d: d.score)
        level = level_db(np.concatenate(list(self._recent)))
        won = self.arbiter.claim(self.stream, best.score, level, at)
        self.arbiter.progress(self.stream, at)
        return detections if won else []

    def screen(self, frame: np.ndarray) -> list[Detection]:
        """Score a frame of Hearth's own playback: never a claim, so our own voice wins no arbitration."""
        self._recent.append(frame)
        return self.inner.process(frame) if self.listening else []

    def reset(self) -> None:
        self.inner.reset()

    def restart(self) -> None:
        restart_detector(self.inner)
        self._recent.clear()

    def close(self) -> None:
        self.arbiter.unregister(self.stream)

"""Pipeline events and a small synchronous bus: the only channel through which stages report progress.

The pipeline never calls MQTT, logging sinks or metrics directly; those subscribe here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from assistant.intents import Understanding

log = logging.getLogger(__name__)


def _now() -> float:
    return time.time()


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every event."""

    run_id: str = ""
    """Identifies one wake→reply run; empty for events outside a run."""
    ts: float = field(default_factory=_now)
    """Wall-clock time of the event, seconds since the epoch."""

    @property
    def type(self) -> str:
        return type(self).__name__

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["type"] = self.type
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChanged(Event):
    """The pipeline moved to another state."""

    state: str
    """``idle`` (waiting for the wake word), ``listening``, ``thinking``, ``speaking``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WakeDetected(Event):
    word: str
    score: float
    t_s: float
    """Position in the input stream, seconds."""
    detect_ms: float = 0.0
    """Compute time spent on the frame that triggered, milliseconds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechStarted(Event):
    t_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechEnded(Event):
    t_s: float
    """Stream position where speech stopped (before the trailing silence), seconds."""
    audio_s: float
    """Length of the captured command, seconds."""
    reason: str = "silence"
    """``silence``, ``max_length``, ``timeout`` (nobody spoke) or ``end_of_input``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Transcribed(Event):
    text: str
    language: str
    audio_s: float
    seconds: float
    """Compute time of the transcription."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Understood(Event):
    understanding: Understanding
    area: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeakingStarted(Event):
    text: str
    first_audio_ms: float
    """From the end of speech to the first reply audio handed to the sink, milliseconds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeakingFinished(Event):
    audio_s: float
    cancelled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished(Event):
    """A wake→reply run ended; ``timings_ms`` holds per-stage times."""

    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFailed(Event):
    stage: str
    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Announcement(Event):
    """Something asked Hearth to speak (a timer ending, Home Assistant's announce)."""

    text: str
    source: str = ""
    area: str = ""
    """Room it is for (a timer rings where it was set); empty = every stream."""
    key: str = ""
    """Repeats of one announcement share a key: a queued repeat replaces the older one."""
    listen: bool = False
    """Listen without the wake word afterwards, so "ok" or "stop" can acknowledge it."""
    origin: str = ""
    """The stream it was said on (its conversation id), which a broadcast skips."""
    stream: str = ""
    """Only this stream plays it (a satellite's own Home Assistant device); overrides ``area``."""
    floor: str = ""
    """Every room on this floor (Home Assistant's announce to a floor), when ``area`` is empty."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IntentOutcome(Event):
    """What Home Assistant did with an intent Hearth published: the final word on "done".

    ``run_id`` is the run (or one-shot turn) the intent came from, ``intent_id`` the intent
    document's ``id``. Whoever learns the outcome (the MQTT bridge, from the package's result
    topic) publishes this; the audit log and the voice subscribe.
    """

    intent_id: str = ""
    status: str
    """``executed``, ``refused``, ``expired`` (never sent: too old) or ``failed``."""
    reason: str = ""
    """Why it was refused or failed, as Home Assistant (or the outbox) said it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandAudio(Event):
    """The captured command's audio (16 kHz mono), for subscribers that keep it on request
    (``[audit] keep_audio``); its JSON form carries only the length."""

    samples: Any = field(repr=False)
    """A 1-D numpy array, float32 in [-1, 1] or int16."""

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "run_id": self.run_id, "ts": self.ts, "audio_s": len(self.samples) / 16000}


@dataclass(frozen=True, slots=True, kw_only=True)
class Broadcast(Announcement):
    """A spoken message for every room but the one it was said in ("tell everyone dinner is
    ready"); ``area`` is that room. Announcement subscribers (the hub) route it."""

    language: str = "en"
    broadcast: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFinished(Event):
    """A timer ran out and starts ringing."""

    timer_id: int
    name: str
    duration_s: float
    area: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerAcknowledged(Event):
    """A ringing timer stopped: ``how`` is ``spoken`` (ok/stop), ``cancel`` or ``expired`` (rang a minute)."""

    timer_id: int
    name: str
    how: str
    rings: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WakeSuppressed(Event):
    """A wake word heard in Hearth's own voice (its reply or announcement) was ignored."""

    word: str = ""
    score: float = 0.0
    reason: str = ""
    """What was playing: ``reply``, ``announcement`` or ``ring`` (a timer's)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceStatus(Event):
    """A supervised loop (an audio stream, the timer ticker, ...) changed health."""

    worker: str
    status: str
    """``ok``, ``restarting`` (failed; retried after ``retry_s``), ``stopped`` or ``done``."""
    message: str = ""
    restarts: int = 0
    retry_s: float = 0.0


E = TypeVar("E", bound=Event)


class EventBus:
    """Synchronous publish/subscribe; a failing subscriber is logged and never breaks the pipeline."""

    def __init__(self) -> None:
        self._subs: list[tuple[type[Event], Callable[[Any], None]]] = []
        self._lock = threading.Lock()

    def subscribe(self, handler: Callable[[E], None], kind: type[E] = Event) -> Callable[[], None]:  # type: ignore[assignment]
        """Call ``handler`` for every event of ``kind``; returns an unsubscribe function."""
        entry = (kind, handler)
        with self._lock:
            self._subs.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subs:
                    self._subs.remove(entry)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            subs = list(self._subs)
        for kind, handler in subs:
            if isinstance(event, kind):
                try:
                    handler(event)
                except Exception:
                    log.exception("event subscriber failed on %s", event.type)

"""The audit log's ear on the event bus: one record per understood turn, completed by later events.

It only subscribes (events stay the only progress channel): ``Understood`` makes the record,
``RunFinished`` adds the whole run's latency, ``IntentOutcome`` adds what Home Assistant did,
``CommandAudio`` is kept only with ``[audit] keep_audio``. A ``HearthForget`` intent (the
"forget what I said today" skill, after its confirmation) deletes the records it names.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import wave
from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.audit.mask import Masker
from assistant.audit.store import AuditStore
from assistant.config import Config
from assistant.events import CommandAudio, Event, EventBus, IntentOutcome, RunFinished, Understood
from assistant.intents import Intent

log = logging.getLogger(__name__)

FORGET_INTENT = "HearthForget"
"""Intent whose ``since``/``before`` slots (epoch seconds; neither = everything) say what to delete."""
RETENTION_EVERY_S = 3600.0
_UNMASKED_KEYS = frozenset({"service", "entity_id", "intent"})


class AuditRecorder:
    """Subscribe with :meth:`attach`; every handler is cheap and never raises into the bus."""

    def __init__(self, store: AuditStore, masker: Masker, *, node: str, keep_audio: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.mask = masker
        self.node = node
        self.keep_audio = keep_audio
        self._clock = clock
        self._audio: dict[str, Any] = {}
        self._last_retention = 0.0
        self._retention()

    @classmethod
    def from_config(cls, cfg: Config) -> AuditRecorder:
        return cls(AuditStore.from_config(cfg), Masker.build(cfg.audit.mask_patterns),
                   node=cfg.general.node_id, keep_audio=cfg.audit.keep_audio)

    def attach(self, bus: EventBus, *, every_s: float = RETENTION_EVERY_S) -> Callable[[], None]:
        """Subscribe, and enforce retention every ``every_s`` even when nobody speaks."""
        unsub = bus.subscribe(self.on_event)
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every_s):
                self._retention()

        threading.Thread(target=loop, name="audit-retention", daemon=True).start()

        def detach() -> None:
            stop.set()
            unsub()

        return detach

    def on_event(self, event: Event) -> None:
        if isinstance(event, Understood):
            self._understood(event)
        elif isinstance(event, IntentOutcome):
            self.store.add_outcome(event.run_id, {
                "intent_id": event.intent_id, "status": event.status,
                "reason": self.mask(event.reason), "ts": round(event.ts, 3),
            })
        elif isinstance(event, RunFinished):
            t = event.timings_ms
            total = t.get("total", sum(t.values()) if t else None)
            if total is not None:
                self.store.set_latency(event.run_id, round(float(total), 1))
            self._audio.pop(event.run_id, None)
        elif isinstance(event, CommandAudio) and self.keep_audio:
            self._audio[event.run_id] = event.samples

    def _understood(self, event: Understood) -> None:
        u = event.understanding
        forget = [i for i in u.intents if i.intent == FORGET_INTENT]
        if forget:
            self._forget(forget[0])
            return  # the request to forget is not kept either
        intents = [self._masked(i.as_dict()) for i in u.intents]
        row = {
            "ts": event.ts, "run_id": event.run_id, "node": self.node, "room": event.area,
            "language": u.language, "transcript": self.mask(u.text), "path": u.path,
            "intents": intents, "actions": [a for i in intents for a in i["actions"]],
            "reply": self.mask(u.reply), "latency_ms": round(u.ms, 1), "understand_ms": round(u.ms, 1),
            "llm_raw": self.mask(u.llm_raw) if u.llm_raw else None,
        }
        self.store.record(row)
        samples = self._audio.pop(event.run_id, None)
        if samples is not None and event.run_id:
            self.store.set_audio(event.run_id, self._write_audio(event.run_id, samples))
        if self._clock() - self._last_retention > RETENTION_EVERY_S:
            self._retention()

    def _masked(self, value: Any, key: str = "") -> Any:
        """Mask every string the user may have said (slots, data), never ids or service names."""
        if isinstance(value, str):
            return value if key in _UNMASKED_KEYS else self.mask(value)
        if isinstance(value, dict):
            return {k: self._masked(v, k) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._masked(v, key) for v in value]
        return value

    def _forget(self, intent: Intent) -> None:
        since, before = intent.slots.get("since"), intent.slots.get("before")
        n = self.store.purge(since=float(since) if since is not None else None,
                             before=float(before) if before is not None else None)
        log.info("audit log: %d records deleted on request", n)

    def _write_audio(self, run_id: str, samples: Any) -> str:
        a = np.asarray(samples)
        pcm = (np.clip(a, -1.0, 1.0) * 32767).astype("<i2") if a.dtype.kind == "f" else a.astype("<i2")
        self.store.audio_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.store.audio_dir / f"{run_id}.wav"
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f, wave.open(f, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(pcm.tobytes())
        return str(path)

    def _retention(self) -> None:
        self._last_retention = self._clock()
        try:
            self.store.enforce_retention(self._clock())
        except Exception:
            log.exception("audit log: retention failed")


def attach_audit(cfg: Config, bus: EventBus) -> Callable[[], None]:
    """Wire the audit log to ``bus`` when ``[audit] enabled``; returns the function that detaches it."""
    if not cfg.audit.enabled:
        return lambda: None
    return AuditRecorder.from_config(cfg).attach(bus)

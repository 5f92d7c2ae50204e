"""Human-readable lines for pipeline events, shared by ``hearth run`` and ``hearth demo``."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from assistant.events import (
    Event,
    RunFailed,
    SpeakingFinished,
    SpeakingStarted,
    SpeechEnded,
    Transcribed,
    Understood,
    WakeDetected,
)


class EventPrinter:
    """Prints one line per pipeline step with its timing; subscribe it to the bus."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.t0 = time.monotonic()
        self._lock = threading.Lock()

    def __call__(self, e: Event) -> None:
        line = self.format(e)
        if line:
            with self._lock:  # events arrive from several threads (MQTT, timers)
                print(f"[{time.monotonic() - self.t0:6.2f}s] {line}", file=self.out, flush=True)

    @staticmethod
    def format(e: Event) -> str | None:
        if isinstance(e, WakeDetected):
            return f"wake      {e.word} (score {e.score:.2f}) at {e.t_s:.2f} s of input, {e.detect_ms:.1f} ms"
        if isinstance(e, SpeechEnded):
            return f"listen    {e.audio_s:.2f} s captured, ended by {e.reason} at {e.t_s:.2f} s of input"
        if isinstance(e, Transcribed):
            rtf = e.seconds / e.audio_s if e.audio_s else 0.0
            return f"stt       {e.text!r} ({e.language}) in {e.seconds * 1000:.0f} ms, RTF {rtf:.2f}"
        if isinstance(e, Understood):
            u = e.understanding
            acts = "; ".join(
                f"{a.service} {a.entity_id or ''} {a.data or ''}".strip() for i in u.intents for a in i.actions
            )
            names = ", ".join(i.intent for i in u.intents) or "no intent"
            return f"think     {u.path} path: {names}{' → ' + acts if acts else ''} in {u.ms:.0f} ms"
        if isinstance(e, SpeakingStarted):
            return f"speak     {e.text!r}; first audio {e.first_audio_ms:.0f} ms after end of speech"
        if isinstance(e, SpeakingFinished):
            return f"spoken    {e.audio_s:.2f} s of audio{' (cancelled)' if e.cancelled else ''}"
        if isinstance(e, RunFailed):
            return f"FAILED    {e.stage}: {e.code}: {e.message}"
        return None

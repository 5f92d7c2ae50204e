"""Shared models for several audio streams: one FIFO lock per model, so rooms are served in turn.

The engines (Whisper, Piper, the brain and its llama.cpp context) are loaded once and shared by every
room. A plain lock lets one busy room starve another; a ticket lock serves waiting callers in arrival
order. TTS takes the lock per sentence, so two replies interleave sentence by sentence.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from assistant.intents import Understanding
from assistant.stt.base import Transcriber, Transcript
from assistant.tts.base import Synthesizer


class FairLock:
    """A first-come, first-served lock (ticket lock)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0
        self._serving = 0

    def __enter__(self) -> FairLock:
        with self._cond:
            ticket = self._next
            self._next += 1
            while ticket != self._serving:
                self._cond.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()

    @property
    def waiting(self) -> int:
        """Callers holding or waiting for the lock."""
        with self._cond:
            return self._next - self._serving


class SharedTranscriber:
    """Implements Transcriber over a shared one."""

    def __init__(self, inner: Transcriber, lock: FairLock | None = None) -> None:
        self.inner = inner
        self.lock = lock or FairLock()

    def transcribe(self, audio: np.ndarray, language: str | None = None, **options: Any) -> Transcript:
        """Options (e.g. the wake phrase as ``prefix``) go to the inner transcriber as they are."""
        with self.lock:
            return self.inner.transcribe(audio, language, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class SharedSynthesizer:
    """Implements Synthesizer over a shared one; the lock is held per sentence."""

    def __init__(self, inner: Synthesizer, lock: FairLock | None = None) -> None:
        self.inner = inner
        self.lock = lock or FairLock()
        self.sample_rate = inner.sample_rate

    def synthesize(self, text: str, language: str = "en") -> Iterator[np.ndarray]:
        chunks = self.inner.synthesize(text, language)
        while True:
            with self.lock:
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk


class SharedBrain:
    """The brain's ``understand`` and ``prefetch`` in turn; everything else passes through."""

    def __init__(self, inner: Any, lock: FairLock | None = None) -> None:
        self.inner = inner
        self.lock = lock or FairLock()

    def understand(self, text: str, **kwargs: Any) -> Understanding:
        with self.lock:
            return self.inner.understand(text, **kwargs)  # type: ignore[no-any-return]

    def prefetch(self, text: str, **kwargs: Any) -> None:
        with self.lock:
            self.inner.prefetch(text, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

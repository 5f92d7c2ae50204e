"""A satellite as the pipeline sees it: an AudioSource of its microphone and an AudioSink to its speaker.

Both are fed from the hub's event loop thread and read from the stream's pipeline thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

log = logging.getLogger(__name__)

PLAYED_MARGIN_S = 1.0
"""A satellite that never says ``played`` is taken to have played the reply this long after its length."""


class PeerGone(Exception):
    """The satellite went away mid-stream: the run in progress is dropped, nothing acts on half a command."""


class QueueSource:
    """Implements AudioSource: 16 kHz int16 PCM pushed in chunks of any size, yielded in whole frames."""

    live = True

    def __init__(self, frame_samples: int, name: str) -> None:
        self.frame_samples = frame_samples
        self.name = name
        self._q: queue.Queue[tuple[float, bytes] | BaseException | None] = queue.Queue()
        self._rest = b""
        self.received_s = 0.0
        self.frame_arrival = time.monotonic()
        """When the audio that completed the latest yielded frame arrived (wake arbitration compares rooms by it)."""

    def push(self, pcm: bytes) -> None:
        self.received_s += len(pcm) / 2 / 16000
        self._q.put((time.monotonic(), pcm))

    def end(self, error: BaseException | None = None) -> None:
        """No more audio: a clean end (None) or the peer's failure, raised in the pipeline's thread."""
        self._q.put(error)

    def frames(self) -> Iterator[np.ndarray]:
        need = self.frame_samples * 2
        while True:
            item = self._q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            arrived, pcm = item
            self._rest += pcm
            while len(self._rest) >= need:
                frame, self._rest = self._rest[:need], self._rest[need:]
                self.frame_arrival = arrived
                yield np.frombuffer(frame, dtype=np.int16).copy()

    def close(self) -> None:
        self.end()


class SatelliteSink:
    """Implements AudioSink: the reply goes to the satellite as audio-start/chunk/stop; ``drain``
    returns once the satellite says ``played`` (or, for one that never does, once the audio's length
    has passed), so the pipeline does not listen to its own reply."""

    def __init__(self, send: Callable[[Event], None]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._started_at: float | None = None
        self._audio_s = 0.0
        self._stopped = False
        self._played = threading.Event()
        self.peer_says_played = False
        """Set once the satellite has sent ``played``: then Hearth waits for it, not for a timer."""

    def write(self, chunk: np.ndarray, sample_rate: int) -> None:
        audio = np.asarray(chunk, dtype=np.int16).tobytes()
        with self._lock:
            if self._started_at is None:
                self._started_at = time.monotonic()
                self._audio_s = 0.0
                self._stopped = False
                self._played.clear()
                self._send(AudioStart(rate=sample_rate, width=2, channels=1).event())
            self._audio_s += len(chunk) / sample_rate
        self._send(AudioChunk(rate=sample_rate, width=2, channels=1, audio=audio).event())

    def drain(self, timeout_s: float) -> bool:
        """True once the satellite has played everything written (or nothing is playing)."""
        with self._lock:
            if self._started_at is None:
                return True
            if not self._stopped:
                self._stopped = True
                self._send(AudioStop().event())
            deadline = self._started_at + self._audio_s + PLAYED_MARGIN_S
        if self._played.wait(timeout_s) or (not self.peer_says_played and time.monotonic() >= deadline):
            with self._lock:
                self._started_at = None
            return True
        if self.peer_says_played and time.monotonic() >= deadline + 10.0:
            log.warning("the satellite did not confirm playback within %.0f s of the reply's end", 10.0)
            with self._lock:
                self._started_at = None
            return True
        return False

    def played(self) -> None:
        """The satellite's ``played`` event."""
        self.peer_says_played = True
        self._played.set()

    def cancel(self) -> None:
        with self._lock:
            if self._started_at is not None and not self._stopped:
                self._send(AudioStop().event())
            self._started_at = None
        self._played.set()

    @property
    def playing(self) -> bool:
        return self._started_at is not None

    def close(self) -> None:
        self.cancel()

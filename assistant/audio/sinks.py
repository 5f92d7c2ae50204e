"""Audio sinks for replies: a WAV file, the speaker, or nothing."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio.base import AudioSink
from assistant.audio.sources import _device, _sounddevice
from assistant.audio.wav import resample, to_int16, write_wav
from assistant.errors import AudioError

log = logging.getLogger(__name__)

_NO_SPEAKER_FIX = "write the audio to a file instead: -o FILE.wav (hearth say), --output FILE.wav"


class NullSink:
    """Discards audio (``--output none``)."""

    def write(self, chunk: np.ndarray, sample_rate: int) -> None:
        pass

    def cancel(self) -> None:
        pass

    @property
    def playing(self) -> bool:
        return False

    def close(self) -> None:
        pass


class WavSink:
    """Collects every chunk and writes one WAV at ``close``, at the rate of the first chunk."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.sample_rate: int | None = None
        self._chunks: list[np.ndarray] = []

    def write(self, chunk: np.ndarray, sample_rate: int) -> None:
        data = to_int16(np.asarray(chunk)).reshape(-1)
        if self.sample_rate is None:
            self.sample_rate = sample_rate
        elif sample_rate != self.sample_rate:
            data = resample(data, sample_rate, self.sample_rate)
        self._chunks.append(data)

    def cancel(self) -> None:
        pass

    @property
    def playing(self) -> bool:
        return False

    @property
    def audio(self) -> np.ndarray:
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)

    def close(self) -> None:
        if self.sample_rate is None:
            return
        write_wav(self.path, self.audio, self.sample_rate)


class SpeakerSink:
    """Plays through sounddevice. ``write`` queues and returns, so the next sentence is synthesised
    while this one plays; ``drain`` waits until everything has played or ``cancel`` is called."""

    def __init__(self, device: str = "") -> None:
        self._sd = _sounddevice(_NO_SPEAKER_FIX)
        self._device = _device(device)
        try:
            self._sd.query_devices(self._device, kind="output")
        except (ValueError, self._sd.PortAudioError) as e:
            raise AudioError(
                f"no output device found ({e}); {_NO_SPEAKER_FIX}"
            ) from e
        self._stream: Any = None
        self._rate: int | None = None
        self._buf = np.zeros(0, dtype=np.int16)
        self._lock = threading.Lock()
        self._drained = threading.Event()
        self._drained.set()

    def _callback(self, outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        with self._lock:
            n = min(frames, len(self._buf))
            outdata[:n, 0] = self._buf[:n]
            outdata[n:, 0] = 0
            self._buf = self._buf[n:]
            if not len(self._buf):
                self._drained.set()

    def _open(self, rate: int) -> None:
        try:
            self._stream = self._sd.OutputStream(
                samplerate=rate, channels=1, dtype="int16", device=self._device,
                callback=self._callback,
            )
            self._stream.start()
        except self._sd.PortAudioError as e:
            raise AudioError(f"cannot open the speaker ({e}); use -o FILE.wav") from e
        self._rate = rate

    def write(self, chunk: np.ndarray, sample_rate: int) -> None:
        data = to_int16(np.asarray(chunk)).reshape(-1)
        if self._stream is None:
            self._open(sample_rate)
        elif sample_rate != self._rate:
            data = resample(data, sample_rate, self._rate or sample_rate)
        with self._lock:
            self._buf = np.concatenate([self._buf, data])
            self._drained.clear()

    def drain(self, timeout_s: float | None = None) -> bool:
        """Wait until the queued audio has played; False on timeout."""
        return self._drained.wait(timeout_s)

    def cancel(self) -> None:
        with self._lock:
            self._buf = np.zeros(0, dtype=np.int16)
            self._drained.set()

    @property
    def playing(self) -> bool:
        return not self._drained.is_set()

    def close(self) -> None:
        self.drain(30.0)
        self.cancel()
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


def open_sink(spec: str, device: str = "") -> AudioSink:
    """``speaker`` → SpeakerSink, ``none`` → NullSink, anything else → WavSink."""
    if spec == "speaker":
        return SpeakerSink(device)
    if spec == "none":
        return NullSink()
    return WavSink(spec)

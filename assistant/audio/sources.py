"""Audio sources: a WAV file, raw PCM on stdin, or the microphone; all yield 16 kHz mono int16 frames."""

from __future__ import annotations

import contextlib
import logging
import queue
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from assistant.audio import SAMPLE_RATE, SAMPLE_WIDTH
from assistant.audio.base import AudioSource
from assistant.audio.wav import read_wav
from assistant.errors import AudioError

log = logging.getLogger(__name__)

_NO_MIC_FIX = "use --input FILE.wav, or --input - to pipe raw 16 kHz mono s16le PCM"


def frames_of(audio: np.ndarray, frame_samples: int) -> Iterator[np.ndarray]:
    """Split audio into frames; the last one is zero-padded to full length."""
    for start in range(0, len(audio), frame_samples):
        frame = audio[start : start + frame_samples]
        if len(frame) < frame_samples:
            frame = np.concatenate([frame, np.zeros(frame_samples - len(frame), dtype=np.int16)])
        yield frame.astype(np.int16, copy=False)


class WavFileSource:
    """A WAV file of any format, converted once on open; ends at end of file."""

    def __init__(self, path: str | Path, frame_samples: int) -> None:
        self.path = Path(path)
        self.frame_samples = frame_samples
        self.audio = read_wav(self.path)

    def frames(self) -> Iterator[np.ndarray]:
        yield from frames_of(self.audio, self.frame_samples)

    def close(self) -> None:
        pass


class StdinSource:
    """Raw s16le 16 kHz mono PCM from a binary stream (stdin by default) until it closes."""

    def __init__(self, frame_samples: int, stream: BinaryIO | None = None) -> None:
        self.frame_samples = frame_samples
        self.stream = stream if stream is not None else sys.stdin.buffer
        self._closed = False

    def frames(self) -> Iterator[np.ndarray]:
        need = self.frame_samples * SAMPLE_WIDTH
        pending = b""
        while not self._closed:
            block = self.stream.read(need - len(pending))
            if not block:
                break
            pending += block
            if len(pending) == need:
                yield np.frombuffer(pending, dtype="<i2").astype(np.int16)
                pending = b""
        if pending:
            usable = pending[: len(pending) - len(pending) % SAMPLE_WIDTH]
            tail = np.frombuffer(usable, dtype="<i2").astype(np.int16)
            yield np.concatenate([tail, np.zeros(self.frame_samples - len(tail), dtype=np.int16)])

    def close(self) -> None:
        self._closed = True


def _sounddevice(fix: str = _NO_MIC_FIX) -> Any:
    try:
        import sounddevice as sd
    except OSError as e:  # PortAudio library missing
        raise AudioError(f"no audio system: {e} (install libportaudio2); or {fix}") from e
    return sd


def _device(value: str) -> int | str | None:
    if not value:
        return None
    return int(value) if value.isdigit() else value


class MicSource:
    """The microphone through sounddevice; its callback hands frames to a queue read by ``frames``."""

    live = True
    """Frames arrive in real time, so what it records while Hearth speaks is Hearth's own voice."""

    def __init__(self, frame_samples: int, device: str = "") -> None:
        self.frame_samples = frame_samples
        sd = _sounddevice()
        try:
            sd.query_devices(_device(device), kind="input")
        except (ValueError, sd.PortAudioError) as e:
            what = f"input device {device!r}" if device else "input device"
            raise AudioError(f"no {what} found ({e}); {_NO_MIC_FIX}") from e
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=200)
        self._stop = threading.Event()
        try:
            self._stream = sd.InputStream(
                samplerate=SAMPLE_RATE, channels=1, dtype="int16", blocksize=frame_samples,
                device=_device(device), callback=self._callback,
            )
            self._stream.start()
        except sd.PortAudioError as e:
            raise AudioError(f"cannot open the microphone ({e}); {_NO_MIC_FIX}") from e

    def _callback(self, indata: np.ndarray, n: int, _time: Any, status: Any) -> None:
        if status:
            log.debug("mic status: %s", status)
        try:
            self._queue.put_nowait(indata[:, 0].copy())
        except queue.Full:
            log.warning("mic frames dropped: the consumer is too slow")

    STALL_S = 5.0
    """No frame for this long means the device is gone (unplugged, sound server restarted)."""

    def frames(self) -> Iterator[np.ndarray]:
        waited_s = 0.0
        while not self._stop.is_set():
            try:
                frame = self._queue.get(timeout=0.5)
            except queue.Empty:
                waited_s += 0.5
                if waited_s >= self.STALL_S and not self._stop.is_set():
                    raise AudioError(f"no audio from the microphone for {waited_s:.0f} s") from None
                continue
            waited_s = 0.0
            if frame is None:
                break
            yield frame

    def close(self) -> None:
        if self._stop.is_set():
            return  # closed already (the stream loop and the shutdown both close it)
        self._stop.set()
        try:
            self._stream.stop()
            self._stream.close()
        finally:
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)


class IdleSource:
    """No local microphone (``--input none``): yields nothing until closed; satellites bring the audio."""

    live = True

    def __init__(self, frame_samples: int) -> None:
        self.frame_samples = frame_samples
        self._closed = threading.Event()

    def frames(self) -> Iterator[np.ndarray]:
        while not self._closed.wait(0.5):
            pass
        yield from ()

    def close(self) -> None:
        self._closed.set()


def open_source(spec: str, frame_samples: int, device: str = "") -> AudioSource:
    """``mic`` → MicSource, ``-`` → StdinSource, ``none`` → IdleSource, anything else → WavFileSource."""
    if spec == "mic":
        return MicSource(frame_samples, device)
    if spec == "-":
        return StdinSource(frame_samples)
    if spec == "none":
        return IdleSource(frame_samples)
    return WavFileSource(spec, frame_samples)

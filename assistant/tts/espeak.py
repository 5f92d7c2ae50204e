"""espeak-ng through its command line: the robotic but dependable floor, any of its languages."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator

import numpy as np

from assistant.audio.wav import resample
from assistant.errors import TtsError
from assistant.tts.sentences import split_sentences

log = logging.getLogger(__name__)

ESPEAK_RATE = 22_050
"""Hertz of espeak-ng's output."""
VOICES = {"en": "en-us", "zh": "cmn-latn-pinyin"}
"""espeak-ng 1.51's ``cmn`` voice reads the tone digits of its own Hanzi→pinyin step in English
("da three kai one"), so Chinese goes in as pinyin (from pypinyin) to ``cmn-latn-pinyin``."""


def to_pinyin(text: str) -> str:
    """Hanzi (numbers read out first) → space-separated tone-numbered pinyin; punctuation kept."""
    from pypinyin import Style, lazy_pinyin

    from assistant.tts.zh_text import normalize

    return " ".join(lazy_pinyin(normalize(text), style=Style.TONE3, neutral_tone_with_five=True))


def espeak_wav(text: str, voice: str, words_per_minute: int = 160) -> np.ndarray:
    """Mono int16 at ``ESPEAK_RATE``; TtsError when espeak-ng is missing or fails."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise TtsError("espeak-ng is not installed (Debian: apt-get install espeak-ng, or make setup)")
    try:
        proc = subprocess.run(
            [exe, "-v", voice, "-s", str(words_per_minute), "--stdout", text],
            capture_output=True, timeout=60, check=True,
        )
    except subprocess.CalledProcessError as e:
        raise TtsError(f"espeak-ng -v {voice} failed: {e.stderr.decode(errors='replace')}") from e
    except subprocess.TimeoutExpired as e:
        raise TtsError("espeak-ng took over 60 s") from e
    return _stream_wav(proc.stdout)


def _stream_wav(data: bytes) -> np.ndarray:
    """espeak-ng streams a WAV whose header claims 2 GB of data; read its samples directly."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise TtsError("espeak-ng produced no WAV output")
    rate = int.from_bytes(data[24:28], "little")
    audio = np.frombuffer(data[44 : 44 + (len(data) - 44) // 2 * 2], dtype="<i2").astype(np.int16)
    return resample(audio, rate, ESPEAK_RATE)


class EspeakSynthesizer:
    """espeak-ng voice per language (Mandarin through pinyin); one chunk per sentence."""

    sample_rate = ESPEAK_RATE

    def __init__(self, length_scale: float = 1.0) -> None:
        self.words_per_minute = max(80, min(450, round(160 / length_scale)))

    def synthesize(self, text: str, language: str = "zh") -> Iterator[np.ndarray]:
        voice = VOICES.get(language, language)
        for sentence in split_sentences(text):
            spoken = to_pinyin(sentence) if language == "zh" else sentence
            yield espeak_wav(spoken, voice, self.words_per_minute)

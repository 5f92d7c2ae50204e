"""``hearth bench``'s cut-off measurement: spoken commands with pauses inside them (0.2-0.6 s,
English and Mandarin) streamed through the real pipeline in real time; a command whose end is
declared before its last words were spoken was cut off.

The commands are made of phrase pieces, each synthesised on its own and trimmed of the voice's
own leading and trailing silence, so the pause between pieces is exactly the one chosen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.sinks import NullSink
from assistant.audio.wav import resample
from assistant.events import EventBus, SpeechEnded, Transcribed, WakeDetected
from assistant.pipeline import Pipeline

log = logging.getLogger(__name__)

PAUSES_S = (0.2, 0.3, 0.4, 0.5, 0.6)
"""Pauses put between the pieces of a command, taken in turn."""

PAUSED_COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("en", ("Turn on the", "kitchen light.")),
    ("en", ("Set the bedroom light to", "forty percent.")),
    ("en", ("Turn off the", "hallway light.")),
    ("en", ("Switch off the lights in the", "bedroom.")),
    ("en", ("What's the temperature in the", "living room?")),
    ("en", ("Close the", "garage door.")),
    ("en", ("Turn on the kitchen light and", "the hallway light.")),
    ("en", ("Could you", "turn on the desk lamp?")),
    ("en", ("Set a timer for", "five minutes.")),
    ("en", ("Turn the", "bedroom light", "off.")),
    ("zh", ("把客厅的", "灯打开")),
    ("zh", ("打开", "厨房的灯")),
    ("zh", ("帮我把卧室的灯", "关掉")),
    ("zh", ("把卧室的灯调到", "百分之五十")),
    ("zh", ("打开厨房的灯和", "客厅的灯")),
    ("zh", ("请", "关掉走廊的灯")),
)
QUICK = (PAUSED_COMMANDS[0], PAUSED_COMMANDS[9], PAUSED_COMMANDS[10])

Speak = Callable[[str, str], np.ndarray]
"""(text, language) → 16 kHz int16 speech."""


@dataclass(frozen=True, slots=True)
class PausedClip:
    language: str
    pieces: tuple[str, ...]
    pauses_s: tuple[float, ...]
    voice: str
    audio: np.ndarray
    last_piece_start_s: float
    """Where the last piece begins in the clip, seconds: an end declared before it is a cut-off."""


def trim_silence(audio: np.ndarray, level: int = 300, keep_s: float = 0.02) -> np.ndarray:
    """The speech of a synthesised piece without the silence a voice puts around it."""
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) > level)
    if not len(loud):
        return audio
    keep = int(keep_s * SAMPLE_RATE)
    return audio[max(0, loud[0] - keep): loud[-1] + keep]


def make_clip(speak: Speak, language: str, pieces: tuple[str, ...], pauses_s: tuple[float, ...],
              voice: str, rng: np.random.Generator, wake: np.ndarray) -> PausedClip:
    """Low noise, the wake word, 0.3 s, the pieces joined by ``pauses_s``, 1.5 s of silence."""
    def quiet(seconds: float) -> np.ndarray:
        return rng.normal(0, 20, int(seconds * SAMPLE_RATE)).astype(np.int16)

    parts = [quiet(1.5), wake, quiet(0.3)]
    last_start = 0
    for i, piece in enumerate(pieces):
        if i:
            parts.append(quiet(pauses_s[i - 1]))
        last_start = sum(len(p) for p in parts)
        parts.append(trim_silence(speak(piece, language)))
    parts.append(quiet(1.5))
    return PausedClip(language, pieces, pauses_s, voice, np.concatenate(parts), last_start / SAMPLE_RATE)


def clips(voices: dict[str, Speak], commands: tuple[tuple[str, tuple[str, ...]], ...],
          rng: np.random.Generator) -> Iterator[PausedClip]:
    """Every command in every voice that speaks its language, the pauses taken in turn; the wake
    word always in Hearth's own voice (what is measured here is the end of the command)."""
    wake = voices["hearth"]("Hey Jarvis.", "en")
    k = 0
    for voice, speak in voices.items():
        for language, pieces in commands:
            if voice.endswith(")") and f"({language})" not in voice:
                continue  # a voice for one language only
            pauses = tuple(PAUSES_S[(k + i) % len(PAUSES_S)] for i in range(len(pieces) - 1))
            k += 1
            yield make_clip(speak, language, pieces, pauses, voice, rng, wake)


def run_clip(engines: Any, cfg: Any, clip: PausedClip, source: Callable[[np.ndarray, int], Any]) -> dict[str, Any]:
    """One paced run: whether the wake word was heard, where the end was declared, what was heard."""
    bus = EventBus()
    got: dict[str, Any] = {}
    bus.subscribe(lambda ev: got.setdefault("wake", ev), WakeDetected)
    bus.subscribe(lambda ev: got.setdefault("end", ev), SpeechEnded)
    bus.subscribe(lambda ev: got.setdefault("stt", ev), Transcribed)
    engines.wake.reset()
    p = Pipeline(cfg.replace("general", language=clip.language), wake=engines.wake, vad=engines.vad,
                 stt=engines.stt, brain=engines.brain, tts=engines.tts, sink=NullSink(), bus=bus)
    p.run(source(clip.audio, p.frame_samples))
    end: SpeechEnded | None = got.get("end")
    woke = "wake" in got and end is not None
    cut = bool(woke and end is not None and end.t_s < clip.last_piece_start_s)
    return {
        "said": " | ".join(clip.pieces), "language": clip.language, "voice": clip.voice,
        "pauses_s": list(clip.pauses_s), "woke": woke, "cut": cut,
        "heard": got["stt"].text if "stt" in got else "",
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    heard = [r for r in rows if r["woke"]]
    cut = [r for r in heard if r["cut"]]
    return {
        "cutoff_rate": len(cut) / len(heard) if heard else float("nan"),
        "cutoffs": {"n": len(heard), "cut": len(cut), "wake_missed": len(rows) - len(heard), "runs": rows},
    }


def hearth_voices(tts: Any) -> dict[str, Speak]:
    """Hearth's own voices (Piper, the Mandarin voice), and espeak-ng for English when installed."""
    def with_tts(text: str, language: str) -> np.ndarray:
        return np.concatenate([resample(c, tts.sample_rate) for c in tts.synthesize(text, language)])

    voices: dict[str, Speak] = {"hearth": with_tts}
    try:
        from assistant.tts.espeak import EspeakSynthesizer

        espeak = EspeakSynthesizer()
        list(espeak.synthesize("test", "en"))

        def with_espeak(text: str, language: str) -> np.ndarray:
            return np.concatenate([resample(c, espeak.sample_rate) for c in espeak.synthesize(text, language)])

        voices["espeak (en)"] = with_espeak
    except Exception as e:  # espeak-ng missing: Hearth's voices alone
        log.warning("espeak-ng is unavailable (%s); the cut-off set uses Hearth's voices only", e)
    return voices

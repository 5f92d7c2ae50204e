"""Wake-word recall on voices Hearth was not tuned to, and false accepts on other sound.

Recall clips are "hey jarvis" followed by a command, in one breath or after a pause, in every
synthesizer voice of ``assistant.voices``; the false-accept material is talk without the wake
phrase in those voices, music-like tones and TV-like chatter (several voices over noise), all
generated from seeds and cached as one 16 kHz file under the data dir. Each clip is scored once,
frame by frame, so any threshold and trigger level can then be judged from the same scores.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant import voices
from assistant.audio import SAMPLE_RATE
from assistant.audio.wav import read_wav, write_wav
from assistant.wake import verify
from assistant.wake.openwakeword import FRAME_SAMPLES, OpenWakeWordDetector

log = logging.getLogger(__name__)

WAKE_TEXTS = ("hey jarvis", "hey, jarvis", "hey jarvis!")
COMMANDS = ("turn off the kitchen light", "what time is it", "set the bedroom light to forty percent",
            "is the garage door open", "close the living room blinds")
GAPS_S = (0.0, 0.2, 0.7)
_WORD_TEXT = """
the a of and to in is you that it he was for on are as with his they I at be this have from or one
had by word but not what all were we when your can said there use an each which she do how their if
will up other about out many then them these so some her would make like him into time has look two
more write go see number no way could people my than first water been call who oil its now find long
down day did get come made may part kitchen light door window garden service harvest jar heavy jazz
travel hey there hello weather news tonight report market city council game score team player season
dinner recipe chicken oven minutes cup sugar flour children school teacher music radio station
traffic highway morning evening charges chart carve jarring hair vest garage travis harvey jasmine
marvel purpose service nervous address
"""
_WORDS = tuple(_WORD_TEXT.split())


@dataclass(frozen=True, slots=True)
class Trace:
    """Per-frame scores of one clip for one word."""

    name: str
    voice: str
    scores: np.ndarray


def trigger_frames(scores: np.ndarray, threshold: float, trigger_level: int,
                   refractory_frames: int = 25) -> list[int]:
    """Frames at which a word triggers on ``scores`` under this policy (as OpenWakeWordDetector does)."""
    found: list[int] = []
    run, last = 0, -(10**9)
    for i, s in enumerate(scores):
        run = run + 1 if s >= threshold else 0
        if run >= trigger_level and i - last >= refractory_frames:
            found.append(i)
            run, last = 0, i
    return found


def detections(scores: np.ndarray, threshold: float, trigger_level: int, refractory_frames: int = 25) -> int:
    """How many times a word triggers on ``scores`` under this policy."""
    return len(trigger_frames(scores, threshold, trigger_level, refractory_frames))


def score_clip(detector: OpenWakeWordDetector, audio: np.ndarray, word: str) -> np.ndarray:
    """Per-80 ms-frame score of ``word`` over ``audio``, from a reset model."""
    detector.reset()
    n = len(audio) // FRAME_SAMPLES
    out = np.zeros(n, dtype=np.float32)
    for i in range(n):
        detector.process(audio[i * FRAME_SAMPLES:(i + 1) * FRAME_SAMPLES])
        out[i] = detector.scores.get(word, 0.0)
    return out


def recall_clips(voice_names: Sequence[str]) -> Iterator[tuple[str, str, np.ndarray]]:
    """(name, voice, audio): the wake phrase and a command, joined by each gap, in each voice."""
    rng = np.random.default_rng(7)
    for voice in voice_names:
        for k, command in enumerate(COMMANDS):
            wake = voices.synthesize(WAKE_TEXTS[k % len(WAKE_TEXTS)], voice)
            cmd = voices.synthesize(command, voice)
            for gap in GAPS_S:
                lead = (rng.standard_normal(SAMPLE_RATE) * 30).astype(np.int16)
                audio = np.concatenate([lead, wake, np.zeros(round(gap * SAMPLE_RATE), np.int16), cmd,
                                        np.zeros(SAMPLE_RATE // 2, np.int16)])
                yield f"{voice}|{command}|{gap}", voice, audio


def _talk(rng: random.Random, voice_names: Sequence[str], seconds: float) -> np.ndarray:
    parts, total = [], 0
    while total < seconds * SAMPLE_RATE:
        text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 16)))
        audio = voices.synthesize(text, rng.choice(voice_names))
        parts += [audio, np.zeros(rng.randint(800, 12000), np.int16)]
        total += len(audio) + len(parts[-1])
    return np.concatenate(parts)[: round(seconds * SAMPLE_RATE)]


def _music(rng: random.Random, seconds: float) -> np.ndarray:
    """Chords of harmonic tones changing on a beat, with a noise-burst drum: music-like, no words."""
    n = round(seconds * SAMPLE_RATE)
    out = np.zeros(n, dtype=np.float64)
    beat = round(SAMPLE_RATE * 60 / rng.randint(70, 150))
    t = np.arange(beat) / SAMPLE_RATE
    env = np.exp(-t * rng.uniform(1.5, 6.0))
    nrng = np.random.default_rng(rng.randint(0, 2**31))
    for start in range(0, n, beat):
        seg = np.zeros(beat)
        root = 110 * 2 ** (rng.randint(0, 24) / 12)
        for interval in (0, rng.choice((3, 4)), 7):
            f = root * 2 ** (interval / 12)
            for h in range(1, 5):
                seg += np.sin(2 * np.pi * f * h * t + rng.random() * 6.28) / h
        seg *= env
        if rng.random() < 0.5:
            seg[: beat // 8] += nrng.standard_normal(beat // 8) * np.exp(-np.arange(beat // 8) / 200) * 2
        end = min(n, start + beat)
        out[start:end] += seg[: end - start]
    out /= np.max(np.abs(out)) or 1.0
    return (out * 12000).astype(np.int16)


def _chatter(rng: random.Random, voice_names: Sequence[str], seconds: float) -> np.ndarray:
    """Two or three talkers at once over hiss and a room echo, as from a television."""
    n = round(seconds * SAMPLE_RATE)
    mix = np.zeros(n, dtype=np.float64)
    for _ in range(rng.randint(2, 3)):
        mix += _talk(rng, voice_names, seconds).astype(np.float64) * rng.uniform(0.3, 1.0)
    d = rng.randint(800, 2400)
    mix[d:] += 0.35 * mix[:-d]
    mix += np.random.default_rng(rng.randint(0, 2**31)).standard_normal(n) * 300
    mix *= 14000 / (np.max(np.abs(mix)) or 1.0)
    return mix.astype(np.int16)


BLOCK_S = 60.0
"""The false-accept material comes in blocks of this many seconds, of the kinds in ``MATERIAL`` in turn."""
MATERIAL = ("talk", "music", "talk", "chatter")


def material_at(t_s: float) -> str:
    """Which kind of false-accept material plays at ``t_s`` seconds."""
    return MATERIAL[int(t_s // BLOCK_S) % len(MATERIAL)]


def negative_audio(voice_names: Sequence[str], hours: float, cache_dir: Path | None = None,
                   seed: int = 11) -> np.ndarray:
    """``hours`` of talk (half), music (a quarter) and chatter (a quarter) without the wake phrase,
    generated from ``seed``; read from ``cache_dir`` when made before."""
    digest = hashlib.sha256("|".join(voice_names).encode()).hexdigest()[:10]
    key = f"wake-negatives-{seed}-{hours:g}h-{digest}.wav"
    path = cache_dir / key if cache_dir else None
    if path is not None and path.exists():
        return read_wav(path)
    rng = random.Random(seed)
    pieces = []
    blocks = max(1, round(hours * 3600 / BLOCK_S))
    for i in range(blocks):
        kind = MATERIAL[i % len(MATERIAL)]
        if kind == "talk":
            pieces.append(_talk(rng, voice_names, BLOCK_S))
        elif kind == "music":
            pieces.append(_music(rng, BLOCK_S))
        else:
            pieces.append(_chatter(rng, voice_names, BLOCK_S))
    audio = np.concatenate(pieces)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(path, audio, SAMPLE_RATE)
    return audio


@dataclass(frozen=True, slots=True)
class Policy:
    threshold: float
    trigger_level: int


def judge(positives: Sequence[Trace], negatives: np.ndarray, negative_hours: float,
          policies: Sequence[Policy]) -> list[dict[str, object]]:
    """Recall per voice and false accepts per hour for each policy."""
    out: list[dict[str, object]] = []
    by_voice: dict[str, list[Trace]] = {}
    for t in positives:
        by_voice.setdefault(t.voice, []).append(t)
    for p in policies:
        per_voice = {v: sum(detections(t.scores, p.threshold, p.trigger_level) > 0 for t in ts) / len(ts)
                     for v, ts in by_voice.items()}
        hits = sum(detections(t.scores, p.threshold, p.trigger_level) > 0 for t in positives)
        fa_frames = trigger_frames(negatives, p.threshold, p.trigger_level)
        fa = len(fa_frames)
        out.append({"threshold": p.threshold, "trigger_level": p.trigger_level,
                    "recall": round(hits / max(1, len(positives)), 3), "recall_per_voice": per_voice,
                    "false_accepts": fa, "false_accepts_per_hour": round(fa / negative_hours, 2),
                    "false_accepts_at_s": [round((i + 1) * FRAME_SAMPLES / SAMPLE_RATE, 2) for i in fa_frames],
                    "false_accepts_what": [_false_accept(negatives, i) for i in fa_frames]})
    return out


def _false_accept(scores: np.ndarray, i: int) -> dict[str, object]:
    t_s = (i + 1) * FRAME_SAMPLES / SAMPLE_RATE
    return {"at_s": round(t_s, 2), "material": material_at(t_s),
            "scores": [round(float(x), 2) for x in scores[max(0, i - 2): i + 4]]}


Check = Callable[[np.ndarray, str], tuple[bool, float]]


def verified_triggers(scores: np.ndarray, audio: np.ndarray, word: str, check: Check, *,
                      candidate_threshold: float, delay_frames: int,
                      refractory_frames: int = 25) -> list[dict[str, object]]:
    """Each candidate as ``VerifiedWake`` decides it on ``audio`` (whose per-frame ``scores`` were
    taken before): the frame decided at, the model's score, the phrase log-probability, accepted or
    not and the check's time."""
    out: list[dict[str, object]] = []
    keep = verify.LOOKBACK_FRAMES * FRAME_SAMPLES
    for i in trigger_frames(scores, candidate_threshold, 1, refractory_frames):
        j = i + delay_frames
        end = (j + 1) * FRAME_SAMPLES
        if end > len(audio):
            continue  # the stream ended before the check
        t0 = time.perf_counter()
        ok, lp = check(audio[max(0, end - keep):end], word)
        out.append({"frame": j, "candidate_frame": i, "score": round(float(scores[i]), 3),
                    "logprob": round(lp, 2), "accepted": ok, "ms": (time.perf_counter() - t0) * 1000})
    return out

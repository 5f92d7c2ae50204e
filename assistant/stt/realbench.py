"""Word error rate of Hearth's speech-to-text on real human recordings, against plain faster-whisper
with its defaults, measured in the same run (``hearth bench --stt``).

Synthetic speech flatters a recogniser tuned on it, so this uses recordings of people that Debian
ships with their transcripts: pocketsphinx's test data (a LibriVox reading, spoken card names,
"go forward ten meters") and alsa-utils' channel announcements ("Front Left"...).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.wav import read_wav
from assistant.config import SttConfig
from assistant.errors import SttError

log = logging.getLogger(__name__)

POCKETSPHINX = Path("/usr/share/pocketsphinx/test/data")
ALSA_SOUNDS = Path("/usr/share/sounds/alsa")
PACKAGES = "pocketsphinx-testdata alsa-utils"


@dataclass(frozen=True, slots=True)
class Recording:
    name: str
    audio: np.ndarray
    """16 kHz mono int16."""
    reference: str


def _transcription_file(path: Path) -> dict[str, str]:
    """Sphinx ``<s> words </s> (id)`` lines → {id: words}."""
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"\s*(?:<s>)?(.*?)(?:</s>)?\s*\(([^)\s]+)[^)]*\)\s*$", line)
        if m:
            out[m.group(2)] = m.group(1).strip()
    return out


def recordings(pocketsphinx: Path = POCKETSPHINX, alsa: Path = ALSA_SOUNDS) -> list[Recording]:
    """Every real recording with a transcript found on this machine; SttError when there are none."""
    found: list[Recording] = []
    for folder, listing in (("librivox", "transcription"), ("cards", "cards.transcription")):
        path = pocketsphinx / folder / listing
        if path.exists():
            for rid, text in sorted(_transcription_file(path).items()):
                wav = path.parent / f"{rid}.wav"
                if wav.exists():
                    found.append(Recording(f"{folder}/{rid}", read_wav(wav), text))
    raw = pocketsphinx / "goforward.raw"
    if raw.exists():
        found.append(Recording("goforward", np.frombuffer(raw.read_bytes(), "<i2").astype(np.int16),
                               "go forward ten meters"))
    for wav in sorted(alsa.glob("*_*.wav")):
        found.append(Recording(f"alsa/{wav.stem}", read_wav(wav), wav.stem.replace("_", " ")))
    if not found:
        raise SttError(f"no real recordings found (Debian: apt-get install {PACKAGES})")
    return found


_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SPELLING = {"mr": "mister", "mrs": "missus", "dr": "doctor", "meters": "meters", "metres": "meters"}


def _number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + _number_words(rest))
    return " ".join(_ONES[int(d)] for d in str(n))


def normalize(text: str) -> list[str]:
    """Lower case words without punctuation; digits spelled out; a few abbreviations expanded."""
    text = text.replace("%", " percent ")
    text = re.sub(r"\d+", lambda m: " " + _number_words(int(m.group())) + " ", text.casefold())
    words = re.findall(r"[a-z']+", text.replace("-", " "))
    return [_SPELLING.get(w, w) for w in (w.strip("'") for w in words) if w]


def word_errors(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Substitutions + deletions + insertions (Levenshtein over words)."""
    prev = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        cur = [i] + [0] * len(hypothesis)
        for j, h in enumerate(hypothesis, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


@dataclass
class Score:
    """One way of transcribing, over every recording."""

    errors: int = 0
    words: int = 0
    seconds: list[float] | None = None

    @property
    def wer(self) -> float:
        return self.errors / self.words if self.words else float("nan")

    def as_dict(self) -> dict[str, Any]:
        secs = sorted(self.seconds or [])
        return {"wer": round(self.wer, 4), "errors": self.errors, "words": self.words,
                "p50_s": round(secs[len(secs) // 2], 3) if secs else None,
                "total_s": round(sum(secs), 2)}


def score(transcribe: Callable[[np.ndarray], str], recs: Sequence[Recording],
          runs: int = 1) -> tuple[Score, dict[str, str]]:
    """Run ``transcribe`` on every recording (``runs`` times, the fastest time counts)."""
    s = Score(seconds=[])
    texts: dict[str, str] = {}
    for rec in recs:
        best = float("inf")
        for _ in range(runs):
            t0 = time.perf_counter()
            text = transcribe(rec.audio)
            best = min(best, time.perf_counter() - t0)
        ref = normalize(rec.reference)
        s.errors += word_errors(ref, normalize(text))
        s.words += len(ref)
        assert s.seconds is not None
        s.seconds.append(best)
        texts[rec.name] = text
    return s, texts


def plain(model_dir: str, cfg: SttConfig) -> Callable[[np.ndarray], str]:
    """faster-whisper as a library user calls it: ``WhisperModel.transcribe`` with its defaults."""
    from faster_whisper import WhisperModel

    model = WhisperModel(model_dir, device="cpu", compute_type=cfg.compute_type, cpu_threads=cfg.threads)

    def run(audio: np.ndarray) -> str:
        segments, _ = model.transcribe(audio.astype(np.float32) / 32768.0, language="en")
        return " ".join(s.text.strip() for s in segments).strip()

    return run


def measure(cfg: SttConfig, vocabulary: Sequence[str] = (), runs: int = 1) -> dict[str, Any]:
    """Hearth's transcriber (as configured, with the home's names as in the pipeline) against the
    plain library on the same model, in the same run."""
    from assistant.stt.whisper import WhisperTranscriber

    recs = recordings()
    hearth = WhisperTranscriber(cfg, language="en", vocabulary=lambda: list(vocabulary))
    hearth.warm("en")
    model_dir = str(hearth.model_dir("en"))
    baseline = plain(model_dir, cfg)
    baseline(np.zeros(SAMPLE_RATE, dtype=np.int16))
    ours, our_texts = score(lambda a: hearth.transcribe(a, "en").text, recs, runs)
    theirs, their_texts = score(baseline, recs, runs)
    return {
        "recordings": len(recs), "audio_s": round(sum(len(r.audio) for r in recs) / SAMPLE_RATE, 1),
        "hearth": ours.as_dict(), "plain": theirs.as_dict(),
        "differences": {r.name: {"reference": r.reference, "hearth": our_texts[r.name], "plain": their_texts[r.name]}
                        for r in recs if normalize(our_texts[r.name]) != normalize(their_texts[r.name])},
    }

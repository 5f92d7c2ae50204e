"""Whisper on a window fitted to the command instead of its fixed 30 s.

Whisper's encoder always sees 30 s of log-mel frames, padded with silence. A spoken command lasts
1-5 s, so most of that work (0.5 s for tiny.en, 0.9 s for base on two cores) encodes silence.
CTranslate2 accepts a shorter input, which cuts the encoder's cost roughly with the square of the
length. Too short a window makes Whisper loop ("turn off the light. turn off the light. ..."), so
the window keeps generous room after the speech, the decode is capped by the audio's length, and a
looping or capped result is thrown away so the caller decodes again on the full window.
"""

from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FULL_FRAMES = 3000
"""Whisper's own window: 30 s of 10 ms log-mel frames."""
MIN_WINDOW_FRAMES = 1500
"""The shortest window (15 s). On 382 synthetic commands, 10 s windows cost ~1 point of word error
rate against the full window and 7 s ones looped; 15 s matched the full window's accuracy."""
PAD_FRAMES = 600
"""Silence after the last audio frame, so the decoder sees the speech end well inside the window."""
MAX_FITTED_FRAMES = 2000
"""Longer audio goes through Whisper's full window (and its own 30 s seeking)."""
STEP_FRAMES = 100
"""Window lengths are whole seconds: a handful of encoder shapes instead of one per command, so an
always-on process reuses its buffers rather than growing with every new length."""
TOKENS_PER_S = 12.0
"""Upper bound of real speech in Whisper tokens per second of audio (Mandarin is the densest)."""
TOKENS_SLACK = 10
RETRY_BEAM = 5
"""A greedy decode Whisper doubts is decoded again with this beam, on the same encoder output."""
DOUBT_LOGPROB = -0.3
"""Greedy results below this average log-probability are decoded again with ``RETRY_BEAM``. On real
recordings (``hearth bench --stt``) greedy alone lost to faster-whisper's default beam of 5 (WER
0.071 vs 0.054) while a beam of 5 on the fitted window beat it (0.036); every greedy error there
scored below -0.33, and a confident greedy result is what the beam finds anyway."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """One decoded window, with the scores the caller's doubt rules read."""

    text: str
    language: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float


def window_frames(frames: int) -> int:
    """Encoder length for ``frames`` of audio; ``FULL_FRAMES`` means: use Whisper's own window."""
    if frames > MAX_FITTED_FRAMES:
        return FULL_FRAMES
    fitted = max(MIN_WINDOW_FRAMES, frames + PAD_FRAMES)
    return min(FULL_FRAMES, -(-fitted // STEP_FRAMES) * STEP_FRAMES)


def encode(model: Any, features: np.ndarray, width: int) -> Any:
    """Whisper's encoder output for log-mel ``features`` in a window of ``width`` frames (silence
    after them; frames past the window are left out)."""
    padded = np.zeros((features.shape[0], width), dtype=np.float32)
    frames = min(features.shape[-1], width)
    padded[:, :frames] = features[:, :frames]
    return model.encode(padded)


def loops(text: str) -> bool:
    """True when the text repeats itself back to back, Whisper's failure on a short window."""
    s = re.sub(r"[\W_]+", "", text.casefold())[:400]
    for size in range(3, len(s) // 2 + 1):
        for i in range(0, len(s) - 2 * size + 1):
            if s[i:i + size] == s[i + size:i + 2 * size] and _long_enough(s[i:i + size]):
                return True
    return False


def _long_enough(unit: str) -> bool:
    """A repeated unit worth distrusting: 3+ CJK characters or 8+ letters ("very very" is speech)."""
    cjk = sum(1 for c in unit if ord(c) >= 0x2E80)
    return cjk >= 3 or len(unit) >= 8


def decode(model: Any, audio: np.ndarray, language: str, *, beam_size: int,
           prompts: dict[str, str] | None = None, supported: tuple[str, ...] = ("en", "zh"),
           prefix: str = "") -> Decoded | None:
    """Transcribe float32 ``audio`` on a fitted window; None when the caller must use the full one.

    ``language`` "auto" picks the likeliest of ``supported`` from the same encoder output;
    ``prompts`` maps a language to its initial prompt; ``prefix``: words known to open the audio
    (the wake phrase), forced as the transcript's start."""
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    features = model.feature_extractor(audio)
    window = window_frames(features.shape[-1])
    if window >= FULL_FRAMES:
        return None
    encoded = encode(model, features, window)
    if language == "auto":
        probs = model.model.detect_language(encoded)[0]
        scores = {token[2:-2]: p for token, p in probs if token[2:-2] in supported}
        language = max(scores, key=lambda c: scores[c]) if scores else supported[0]
    initial_prompt = (prompts or {}).get(language)
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                          language=language)
    previous = tokenizer.encode(" " + initial_prompt.strip()) if initial_prompt else []
    prompt_no_prefix = model.get_prompt(tokenizer, previous, without_timestamps=True)
    prompt = model.get_prompt(tokenizer, previous, without_timestamps=True, prefix=prefix or None)
    budget = int(TOKENS_PER_S * len(audio) / 16000) + TOKENS_SLACK + len(prompt) - len(prompt_no_prefix)
    def generate(beam: int) -> Any:
        return model.model.generate(
            encoded, [prompt], beam_size=beam, max_length=len(prompt) + budget,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        )[0]

    result = generate(beam_size)
    if beam_size == 1 and _avg_logprob(result) < DOUBT_LOGPROB:
        result = generate(RETRY_BEAM)
    tokens = result.sequences_ids[0]
    text = tokenizer.decode(tokens).strip()
    if len(tokens) >= budget or loops(text):
        log.debug("fitted window (%d frames) looped (%d characters); using the full window", window, len(text))
        return None
    raw = text.encode("utf-8")
    return Decoded(
        text=text,
        language=language,
        avg_logprob=_avg_logprob(result),
        no_speech_prob=result.no_speech_prob,
        compression_ratio=len(raw) / len(zlib.compress(raw)) if raw else 0.0,
    )


def _avg_logprob(result: Any) -> float:
    """Whisper's average log-probability per token (CTranslate2 scores the end token too)."""
    n = len(result.sequences_ids[0])
    return float(result.scores[0]) * n / (n + 1)

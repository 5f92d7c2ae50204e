"""How likely Whisper finds it that a short clip opens with given words: a second opinion on a wake word.

openWakeWord scores sounds, so words that share the wake phrase's sounds ("jar music", "jarring")
can score as high as the phrase itself. Whisper, forced to read the phrase at the start of the clip,
gives each of its tokens a probability; their mean log-probability is high when the phrase is
there, even where Whisper's free transcript spells the name wrongly ("Hey, geographers").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

def phrase_logprob(model: Any, audio: np.ndarray, phrases: Sequence[str]) -> float:
    """Best mean token log-probability, over ``phrases``, that float32 16 kHz ``audio`` opens with
    that phrase (``model``: a faster-whisper ``WhisperModel``)."""
    from faster_whisper.tokenizer import Tokenizer

    from assistant.stt import window

    features = model.feature_extractor(audio)
    frames = min(features.shape[-1], window.MIN_WINDOW_FRAMES)  # a clip of a few seconds fits
    encoded = window.encode(model, features, window.MIN_WINDOW_FRAMES)
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
    start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    texts = [tokenizer.encode(" " + p.strip()) for p in phrases if p.strip()]
    if not texts:
        return float("-inf")
    best = float("-inf")
    for text in texts:  # one at a time: the batch is the one encoded clip
        r = model.model.align(encoded, start, [text], frames)[0]
        probs = np.asarray(r.text_token_probs, dtype=np.float64)
        if probs.size:
            best = max(best, float(np.mean(np.log(probs + 1e-12))))
    return best

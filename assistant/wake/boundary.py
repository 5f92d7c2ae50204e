"""Where the wake phrase lies in the audio, and taking it out of the transcript.

The wake model fires during or just after the phrase, and a person often goes on with the command
in the same breath, so no fixed cut after the detection separates the two. Hearth instead keeps
the whole phrase: the voice-activity model finds where the speech containing the wake phrase began
(the last pause before it), Whisper transcribes phrase and command together (it hears the command's
first word whole, in context), and the wake phrase is then removed from the words.
"""

from __future__ import annotations

import difflib
import re

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.vad.base import SpeechDetector

LOOKBACK_S = 2.5
"""Audio kept before a detection: the longest wake phrase plus the model's delay in firing."""
CHUNK = 512
"""Voice-activity step, samples (32 ms)."""
PAUSE_S = 0.3
"""Non-speech at least this long before the wake phrase separates it from earlier talk."""
PHRASE_MIN_S = 0.35
"""The wake phrase's speech ends no later than this before the detection... at the latest; the
search for its start begins here so a command already under way is not taken for the phrase."""
SPEECH_PROB = 0.5
MARGIN_S = 0.1
"""Audio kept before the detected onset (the first consonant's attack is quiet)."""
MATCH_RATIO = 0.72
"""Letter similarity from which a transcript's words are taken for the wake phrase."""
LATER_MATCH_RATIO = 0.85
"""The same after other words, where only the whole phrase counts ("turn on Jarvis's lamp" is no wake)."""
MAX_LEADING_WORDS = 6
"""The wake phrase is looked for among this many first words (earlier talk may precede it)."""


def speech_probs(vad: SpeechDetector, audio: np.ndarray) -> np.ndarray:
    """Per-32 ms speech probability of ``audio``, from a fresh detector state (the detector is left
    reset). Works with any SpeechDetector, streaming ones included."""
    vad.reset()
    n = len(audio) // CHUNK
    probs = np.array([vad.speech_prob(audio[i * CHUNK:(i + 1) * CHUNK]) for i in range(n)], dtype=np.float32)
    vad.reset()
    return probs


def phrase_start(probs: np.ndarray, total_s: float) -> float:
    """Seconds into the looked-back audio (``total_s`` long, ending at the detection) where the
    speech holding the wake phrase began: the end of the latest pause of ``PAUSE_S`` before it,
    else the start of the audio."""
    chunk_s = CHUNK / SAMPLE_RATE
    speech = probs >= SPEECH_PROB
    i = min(len(speech), int((total_s - PHRASE_MIN_S) / chunk_s)) - 1
    while i >= 0 and not speech[i]:  # silence after the phrase (the model fired late): skip it
        i -= 1
    if i < 0:
        return 0.0
    need = max(1, round(PAUSE_S / chunk_s))
    quiet = 0
    while i >= 0:
        if speech[i]:
            quiet = 0
        else:
            quiet += 1
            if quiet >= need:
                return max(0.0, (i + quiet) * chunk_s - MARGIN_S)
        i -= 1
    return 0.0


def locate(vad: SpeechDetector, lookback: np.ndarray) -> int:
    """Sample index in ``lookback`` (audio ending at the detection) where the wake phrase began."""
    probs = speech_probs(vad, lookback)
    start_s = phrase_start(probs, len(lookback) / SAMPLE_RATE)
    return max(0, min(len(lookback), round(start_s * SAMPLE_RATE)))


def _letters(s: str) -> str:
    return re.sub(r"[^a-z]", "", s.casefold())


def wake_tokens(word: str) -> list[str]:
    """Spoken words of a wake-word model name: ``hey_jarvis_v0.1`` → ["hey", "jarvis"]."""
    stem = word.rsplit("/", 1)[-1].split(".")[0]
    return [t for t in re.split(r"[_\s-]+", stem) if t and not re.fullmatch(r"v\d+", t)]


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def spoken(word: str) -> str:
    """The wake phrase as Whisper should write it: ``hey_jarvis`` → "Hey Jarvis,"."""
    return " ".join(t.capitalize() for t in wake_tokens(word)) + ","


_WORD = re.compile(r"[\w']+")


def strip_phrase(text: str, tokens: list[str]) -> str | None:
    """``text`` without its leading wake phrase (and anything said before it), or None when no
    leading words sound enough like the phrase. Whisper spells an unfamiliar name freely ("Hey
    Jervis", "A Jarvis", "Jarvis"), so words are compared by their letters."""
    if not tokens:
        return None
    whole = _letters("".join(tokens))
    tails = {t for t in (_letters("".join(tokens[i:])) for i in range(len(tokens))) if len(t) >= 4}
    words = list(_WORD.finditer(text))
    best: tuple[float, int] | None = None
    for first in range(min(MAX_LEADING_WORDS, len(words))):
        # Only the first words may be a clipped phrase ("Jarvis, ..."); later, earlier talk stands
        # before it and the whole phrase must be there ("turn on Jarvis's lamp" keeps its name).
        targets, need = (tails | {whole}, MATCH_RATIO) if first == 0 else ({whole}, LATER_MATCH_RATIO)
        for last in range(first, min(first + len(tokens), len(words))):
            said = _letters("".join(m.group() for m in words[first:last + 1]))
            score = max(_similar(said, t) for t in targets) if said else 0.0
            if score >= need and (best is None or score > best[0] + 1e-9):
                best = (score, last)
        if best is not None and best[0] >= 0.999:
            break
    if best is None:
        return None
    rest = text[words[best[1]].end():]
    return re.sub(r"^[\W_]+", "", rest).strip()

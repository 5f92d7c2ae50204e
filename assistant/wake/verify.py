"""A second look at each wake-word candidate, so a low trigger threshold wakes more without false accepts.

openWakeWord alone cannot tell "hey jarvis" from talk that shares its sounds ("jar music is
service", "jarring") — those score 0.9 and more, as high as the phrase — while some voices say
the phrase and score only 0.2-0.5. So the model only nominates candidates (a low threshold, one
frame); a candidate wakes Hearth when Whisper, forced to read the wake phrase at the start of the
speech that holds it, finds the phrase likely enough. Whisper runs only on candidates (a few per
hour of talk), so listening costs what it did.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.config import WakeConfig
from assistant.vad.base import SpeechDetector
from assistant.wake import boundary
from assistant.wake.base import Detection, WakeDetector, restart_detector

log = logging.getLogger(__name__)

LOOKBACK_FRAMES = round(boundary.LOOKBACK_S * SAMPLE_RATE / 1280)
"""80 ms frames kept for the check: the longest wake phrase plus the model's delay in firing."""
PhraseScorer = Callable[[np.ndarray, Sequence[str]], float]
"""(16 kHz int16 audio, phrases) → mean token log-probability that the audio opens with one of them."""


def phrases(word: str) -> list[str]:
    """What the speech may open with: the whole phrase, or its last words when the first was cut off
    by the search for the phrase's start (a pause after "hey,")."""
    tokens = [t.capitalize() for t in boundary.wake_tokens(word)]
    return [" ".join(tokens[i:]) for i in range(len(tokens))]


def candidate_config(cfg: WakeConfig) -> WakeConfig:
    """The model's own policy when candidates are verified: one frame at ``candidate_threshold``."""
    return replace(cfg, threshold=cfg.candidate_threshold, trigger_level=1)


class PhraseCheck:
    """The verifier's decision on an audio window ending after the candidate."""

    def __init__(self, scorer: PhraseScorer, vad: SpeechDetector, min_logprob: float) -> None:
        self.scorer = scorer
        self.vad = vad
        self.min_logprob = min_logprob

    def logprob(self, lookback: np.ndarray, word: str) -> float:
        """How likely the speech holding the candidate opens with ``word``'s phrase."""
        speech = lookback[boundary.locate(self.vad, lookback):]
        if len(speech) < 1600:
            return float("-inf")
        return self.scorer(speech, phrases(word))

    def __call__(self, lookback: np.ndarray, word: str) -> tuple[bool, float]:
        lp = self.logprob(lookback, word)
        return lp >= self.min_logprob, lp


class VerifiedWake:
    """Implements WakeDetector: ``inner`` nominates, ``check`` decides ``delay_frames`` frames later
    (the phrase's last sound is then in the window). ``last_verify_ms``: the check's time, for
    measuring what the second look adds to the wake decision."""

    def __init__(self, inner: WakeDetector, check: Callable[[np.ndarray, str], tuple[bool, float]], *,
                 delay_frames: int = 2, frame_samples: int = 1280, candidate_threshold: float = 0.2,
                 confident_threshold: float = 0.5) -> None:
        self.inner = inner
        self.candidate_threshold = candidate_threshold
        self.confident_threshold = confident_threshold
        self._spent: dict[str, float] = {}
        """Per word, the score of the candidate already checked in the current rise of the score:
        a rise is checked once below ``confident_threshold`` and once at or above it, so a candidate
        taken too early in the phrase (or one on other talk right before it) never costs the phrase."""
        self.check = check
        self.words = inner.words
        self.delay_frames = delay_frames
        self._recent: deque[np.ndarray] = deque(maxlen=round(LOOKBACK_FRAMES * 1280 / frame_samples))
        self._pending: tuple[list[Detection], int] | None = None
        self.last_verify_ms = 0.0
        self.rejected = 0

    @property
    def scores(self) -> dict[str, float]:
        return getattr(self.inner, "scores", {})

    def process(self, frame: np.ndarray) -> list[Detection]:
        self._recent.append(np.asarray(frame))
        found = [d for d in self.inner.process(frame) if self._fresh(d)]
        scores = self.scores
        for word in list(self._spent):
            if scores.get(word, 0.0) < self.candidate_threshold:
                self._spent.pop(word)  # the rise is over: the next one is a new candidate
        if found and self._pending is None:
            for d in found:
                self._spent[d.word] = d.score
            self._pending = (found, 0)
        elif self._pending is not None:
            self._pending = (self._pending[0], self._pending[1] + 1)
        if self._pending is None or self._pending[1] < self.delay_frames:
            return []
        candidates, _ = self._pending
        self._pending = None
        best = max(candidates, key=lambda d: d.score)
        t0 = time.perf_counter()
        ok, lp = self.check(np.concatenate(list(self._recent)), best.word)
        self.last_verify_ms = (time.perf_counter() - t0) * 1000
        if not ok:
            self.rejected += 1
            rearm = getattr(self.inner, "rearm", None)
            if rearm is not None:
                rearm()  # the phrase may still come within the model's refractory time
            log.info("wake word %s candidate (score %.2f) rejected: phrase log-probability %.2f",
                     best.word, best.score, lp)
            return []
        log.debug("wake word %s verified (score %.2f, phrase log-probability %.2f, %.0f ms)",
                  best.word, best.score, lp, self.last_verify_ms)
        score = max(best.score, float(self.scores.get(best.word, 0.0)))
        return [Detection(best.word, score, getattr(self.inner, "t_s", best.t_s))]

    def _fresh(self, d: Detection) -> bool:
        """Not yet checked in this rise of the score (or now confident where the check was not)."""
        spent = self._spent.get(d.word)
        return spent is None or (spent < self.confident_threshold <= d.score)

    def reset(self) -> None:
        self.inner.reset()
        self._forget()

    def restart(self) -> None:
        restart_detector(self.inner)
        self._forget()

    def _forget(self) -> None:
        self._recent.clear()
        self._pending = None
        self._spent.clear()


def model_config(cfg: WakeConfig) -> WakeConfig:
    """The wake model's own policy: candidates when they are verified, else the configured one."""
    return candidate_config(cfg) if cfg.verify else cfg


def wrap(cfg: WakeConfig, model: WakeDetector, scorer: PhraseScorer | None,
         vad: SpeechDetector | None) -> WakeDetector:
    """``model`` (built with ``model_config(cfg)``) with its candidates verified when ``cfg.verify``
    and a scorer and a voice-activity detector are at hand; else ``model`` itself."""
    if not cfg.verify or scorer is None or vad is None:
        return model
    check = PhraseCheck(scorer, vad, cfg.verify_min_logprob)
    return VerifiedWake(model, check, delay_frames=cfg.verify_delay_frames,
                        candidate_threshold=cfg.candidate_threshold, confident_threshold=cfg.threshold)


def factory(cfg: WakeConfig, scorer: PhraseScorer | None,
            make_vad: Callable[[], SpeechDetector] | None) -> Callable[[], WakeDetector]:
    """Builds one stream's wake detector the way ``hearth run`` listens: openWakeWord nominates,
    ``scorer`` (the shared Whisper) confirms, with the stream's own voice-activity detector."""
    def make() -> WakeDetector:
        from assistant.wake.openwakeword import OpenWakeWordDetector

        model = OpenWakeWordDetector(model_config(cfg))
        return wrap(cfg, model, scorer, make_vad() if make_vad is not None and cfg.verify else None)

    return make

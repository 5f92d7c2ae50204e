"""Speech-to-text with faster-whisper: tiny.en for English, multilingual base for Chinese and auto.

Silence and noise must never become text: a Silero speech gate runs before Whisper, and
segments Whisper itself doubts (high no-speech probability, very low log-probability,
repetitive output) are dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant import modelstore
from assistant.audio import SAMPLE_RATE
from assistant.config import SttConfig
from assistant.errors import ModelError, SttError
from assistant.home.words import is_chinese
from assistant.stt import window
from assistant.stt.base import Transcript
from assistant.vad.silero import SileroVad

log = logging.getLogger(__name__)

MIN_SPEECH_S = 0.15
"""Less Silero-detected speech than this (in 32 ms chunks) means the audio holds no speech."""
GATE_THRESHOLD = 0.5
"""Silero probability at which a chunk counts as speech for the gate."""
NO_SPEECH_PROB = 0.6
"""A segment whose no-speech probability exceeds this ..."""
DOUBTFUL_LOGPROB = -1.0
"""... while its average log-probability is below this is dropped (Whisper's own rule)."""
MIN_LOGPROB = -1.6
"""A segment below this average log-probability is dropped whatever its no-speech probability."""
MAX_COMPRESSION = 2.4
"""A segment more repetitive than this gzip ratio is a decoding loop, dropped."""
SUPPORTED = ("en", "zh")
MAX_VOCABULARY_CHARS = 400
"""The home's names beyond this are left out of the prompt (Whisper keeps at most 223 prompt tokens)."""
SECOND_OPINION_LOGPROB = -0.1
"""An English command the templates do not understand is decoded again by Whisper base only below
this average log-probability: a confident tiny.en transcript is left to the LLM as it is. Chosen on
the tuning voices of ``assistant.stt.voicebench`` (the highest value that lost nothing there)."""


class WhisperTranscriber:
    """Implements Transcriber. Models load lazily per language and stay loaded; calls are serialized."""

    accepts_prefix = True
    accepts_check = True
    """``transcribe`` takes ``accept``: the caller's judgement of a transcript (see there)."""

    def __init__(self, cfg: SttConfig, language: str = "en", vad: SileroVad | None = None,
                 vocabulary: Callable[[], Sequence[str]] | None = None) -> None:
        """``vocabulary``: the home's area and device names, read at each call (the home can change)."""
        if language not in (*SUPPORTED, "auto"):
            raise SttError(f"unsupported language {language!r}; use en, zh or auto")
        self.cfg = cfg
        self.language = language
        self.vocabulary = vocabulary
        self._vad = vad
        self._models: dict[Path, Any] = {}
        self._dirs: dict[str, Path] = {}
        self._lock = threading.Lock()

    @property
    def second_opinion(self) -> bool:
        """Whisper base re-decodes English commands tiny.en got wrong (bundled models only)."""
        return self.cfg.second_opinion and not self.cfg.model

    def model_dir(self, language: str) -> Path:
        """The configured model directory, else bundled tiny.en (en) or base (zh, auto)."""
        if self.cfg.model:
            path = modelstore.user_path(self.cfg.model, "[stt] model")
            if not (path / "model.bin").exists():
                raise ModelError(f"[stt] model: {path} is not a CTranslate2 Whisper model "
                                 "directory (no model.bin in it)")
            return path
        model_id = "whisper-tiny-en" if language == "en" else "whisper-base"
        return modelstore.path(model_id).parent

    def _model(self, language: str) -> Any:
        path = self._dirs.get(language)
        if path is None:  # resolved once: the model store reads its manifest on every look-up (~8 ms)
            path = self._dirs[language] = self.model_dir(language)
        model = self._models.get(path)
        if model is None:
            from faster_whisper import WhisperModel

            t0 = time.perf_counter()
            try:
                model = WhisperModel(str(path), device="cpu", compute_type=self.cfg.compute_type,
                                     cpu_threads=self.cfg.threads)
            except (RuntimeError, ValueError, OSError) as e:
                raise ModelError(f"cannot load the Whisper model {path}: {e}") from e
            log.info("loaded Whisper %s in %.2f s", path, time.perf_counter() - t0)
            self._models[path] = model
        if language != "en" and not model.model.is_multilingual:
            raise SttError(f"the Whisper model {path} is English-only; for {language!r} set "
                           "[stt] model to a multilingual model (or leave it empty)")
        return model

    @property
    def vad(self) -> SileroVad:
        if self._vad is None:
            self._vad = SileroVad()
        return self._vad

    def has_speech(self, audio: np.ndarray) -> bool:
        probs = self.vad.probs(audio)
        return float((probs >= GATE_THRESHOLD).sum()) * 512 / SAMPLE_RATE >= MIN_SPEECH_S

    def phrase_logprob(self, audio: np.ndarray, phrases: Sequence[str]) -> float:
        """Mean token log-probability that 16 kHz int16 ``audio`` opens with the likeliest of
        ``phrases`` (see :mod:`assistant.stt.forced`); the wake-word verifier's second opinion."""
        from assistant.stt import forced

        lang = "en" if self.language in ("en", "auto") else self.language
        clip = np.asarray(audio).astype(np.float32) / 32768.0
        with self._lock:
            return forced.phrase_logprob(self._model(lang), clip, phrases)

    def warm(self, language: str | None = None) -> None:
        """Load the model and run one tiny decode, so the first real command is not slow."""
        lang = language or self.language
        rng = np.random.default_rng(0)
        clip = (rng.standard_normal(SAMPLE_RATE // 2) * 0.001).astype(np.float32)
        with self._lock:
            model = self._model(lang)
            segments, _ = model.transcribe(clip, **self._options("en" if lang == "en" else "zh"))
            list(segments)
            if lang == "en" and self.second_opinion:  # loaded now, not on the first misheard command
                window.decode(self._model("zh"), clip, "en", beam_size=window.RETRY_BEAM)
        self.vad.probs(np.zeros(2048, dtype=np.int16))

    def _options(self, language: str | None) -> dict[str, Any]:
        opts: dict[str, Any] = {
            "language": language, "beam_size": self.cfg.beam_size, "without_timestamps": True,
            "condition_on_previous_text": False, "vad_filter": False,
            "no_speech_threshold": NO_SPEECH_PROB, "log_prob_threshold": DOUBTFUL_LOGPROB,
            "compression_ratio_threshold": MAX_COMPRESSION,
            "temperature": 0.0,  # no sampling fallback: bounded latency; doubtful output is dropped
        }
        prompt = self._prompt(language)
        if prompt:
            opts["initial_prompt"] = prompt
        return opts

    def _prompt(self, language: str | None) -> str:
        """Whisper's initial prompt: for Chinese the script hint, then the home's names in the spoken
        language, which Whisper then spells as the home does ("卧室" rather than "我是")."""
        zh = language == "zh"
        prompt = self.cfg.initial_prompt_zh if zh else ""
        if self.cfg.home_words and self.vocabulary is not None:
            # Lower case: capitalised names make Whisper capitalise them mid-sentence as well.
            names = list(dict.fromkeys(n if zh else n.lower() for n in self.vocabulary() if is_chinese(n) == zh))
            listed = ("、" if zh else ", ").join(names)[:MAX_VOCABULARY_CHARS]
            if listed:
                prompt += f"{listed}。" if zh else f"Home: {listed}."
        return prompt

    def _pick_language(self, model: Any, audio: np.ndarray) -> str:
        """Auto mode: Whisper's language probabilities, restricted to the languages Hearth speaks."""
        _, _, probs = model.detect_language(audio)
        scores = {code: p for code, p in probs if code in SUPPORTED}
        return max(scores, key=lambda c: scores[c]) if scores else "en"

    def transcribe(self, audio: np.ndarray, language: str | None = None, prefix: str = "",
                   accept: Callable[[str], bool] | None = None) -> Transcript:
        """16 kHz mono int16 → text ("" when there is no speech). ``language``: en, zh, auto.
        ``prefix``: words the audio is known to begin with (the wake phrase); Whisper is made to
        read them there, so it aligns the rest as the command (the text starts with them).
        ``accept``: whether a transcript is understood without the LLM; an English one that is not
        (and that tiny.en doubts) is decoded again by Whisper base, whose text wins if accepted."""
        lang = language or self.language
        if lang not in (*SUPPORTED, "auto"):
            raise SttError(f"unsupported language {lang!r}; use en, zh or auto")
        audio = np.asarray(audio)
        if audio.ndim != 1:
            raise SttError(f"expected mono audio (1-D samples), got shape {audio.shape}")
        audio_s = len(audio) / SAMPLE_RATE
        t0 = time.perf_counter()
        if len(audio) < 512 or not self.has_speech(audio):
            return Transcript("", "en" if lang == "auto" else lang, audio_s,
                              time.perf_counter() - t0)
        clip = audio.astype(np.float32) / 32768.0
        with self._lock:
            model = self._model(lang)
            fitted = self._fitted(model, clip, lang, prefix)
            if fitted is not None and accept is not None and lang == "en" and self.second_opinion:
                fitted = self._second_opinion(fitted, clip, prefix, accept)
            if fitted is not None:
                lang, kept = fitted.language, [fitted] if self._keep(fitted) else []
            else:
                if lang == "auto":
                    lang = self._pick_language(model, clip)
                segments, _info = model.transcribe(clip, **self._options(lang), prefix=prefix or None)
                kept = [s for s in segments if self._keep(s)]
        text = ("" if lang == "zh" else " ").join(s.text.strip() for s in kept).strip()
        prompt = self._options(lang).get("initial_prompt")
        if prompt and prompt in text:  # unclear audio can make Whisper echo its prompt
            text = text.replace(prompt, "").strip()
        return Transcript(text, lang, audio_s, time.perf_counter() - t0)

    def _fitted(self, model: Any, clip: np.ndarray, lang: str, prefix: str = "") -> window.Decoded | None:
        """A command decoded on a window fitted to its length; None: use Whisper's full window."""
        if not self.cfg.fit_window:
            return None
        prompts = {lang: self._prompt(lang) for lang in SUPPORTED}
        return window.decode(model, clip, lang, beam_size=self.cfg.beam_size, prompts=prompts,
                             supported=SUPPORTED, prefix=prefix)

    def _second_opinion(self, first: window.Decoded, clip: np.ndarray, prefix: str,
                        accept: Callable[[str], bool]) -> window.Decoded:
        """Whisper base (forced English, beam of 5) on a command tiny.en misheard: unusual voices
        mangle device words in tiny.en ("lock the Mac door") that base gets right; the templates
        decide which transcript is a command, so a doubtful base result never replaces tiny's."""
        if first.avg_logprob >= SECOND_OPINION_LOGPROB or not first.text or accept(first.text):
            return first
        t0 = time.perf_counter()
        second = window.decode(self._model("zh"), clip, "en", beam_size=window.RETRY_BEAM,
                               prompts={"en": self._prompt("en")}, prefix=prefix)
        took = time.perf_counter() - t0
        if second is None or not self._keep(second) or not accept(second.text):
            log.debug("base did not help (%.2f s): %r", took, second.text if second else None)
            return first
        log.info("Whisper base heard %r where tiny.en heard %r (%.2f s)", second.text, first.text, took)
        return second

    @staticmethod
    def _keep(segment: Any) -> bool:
        if segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < DOUBTFUL_LOGPROB:
            return False
        if segment.avg_logprob < MIN_LOGPROB or segment.compression_ratio > MAX_COMPRESSION:
            log.debug("dropped doubtful segment %r (logprob %.2f, compression %.2f)",
                      segment.text, segment.avg_logprob, segment.compression_ratio)
            return False
        return True

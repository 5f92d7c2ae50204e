"""Wake-word detection with openWakeWord 0.6 (ONNX), several words at once, reproducible scores."""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict, deque
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from assistant import lean, modelstore
from assistant.audio import SAMPLE_RATE
from assistant.config import WakeConfig
from assistant.errors import ModelError, WakeError
from assistant.wake.base import Detection
from assistant.wake.idle import IdleGate

log = logging.getLogger(__name__)

FRAME_SAMPLES = 1280
"""80 ms at 16 kHz: openWakeWord's step."""
BUNDLED = ("hey_jarvis", "alexa", "hey_mycroft", "hey_rhasspy")
SEED_S = 4.0
"""Seconds of seeded noise openWakeWord's feature buffer starts from (it uses unseeded noise)."""


def word_model_path(word: str) -> tuple[str, Path]:
    """(word name, .onnx path) for a bundled word or a path to a custom model."""
    if word in BUNDLED:
        return word, modelstore.path(f"wake-{word}")
    if word.endswith(".onnx") or "/" in word:
        path = modelstore.user_path(word, f"[wake] words: {word!r}")
        if path.suffix != ".onnx":
            raise WakeError(f"[wake] words: {path} is not an .onnx model (tflite is not supported)")
        return re.sub(r"_v\d+(\.\d+)*$", "", path.stem), path
    raise WakeError(f"[wake] words: unknown wake word {word!r}; bundled: {', '.join(BUNDLED)}, "
                    "or give the path of a custom openWakeWord .onnx model")


class RawAudio:
    """openWakeWord's raw-audio history (10 s) as an int16 array. openWakeWord keeps it in a deque
    of Python ints and copies all 160 000 of them into a list on every 80 ms frame to read the last
    0.11 s, which costs as much CPU as its embedding model; the melspectrogram sees the same samples."""

    def __init__(self, maxlen: int) -> None:
        self.maxlen = maxlen
        self._data = np.zeros(2 * maxlen, dtype=np.int16)
        self._n = 0

    def __len__(self) -> int:
        return min(self._n, self.maxlen)

    def clear(self) -> None:
        self._n = 0

    def extend(self, samples: Any) -> None:
        x = np.asarray(samples).astype(np.int16, copy=False)[-self.maxlen:]
        if self._n + len(x) > len(self._data):  # full: keep the newest history at the front
            keep = min(self._n, self.maxlen - len(x))
            self._data[:keep] = self._data[self._n - keep:self._n]
            self._n = keep
        self._data[self._n:self._n + len(x)] = x
        self._n += len(x)

    def tail(self, n: int) -> np.ndarray:
        """The newest ``n`` samples (all of them when fewer are held)."""
        return self._data[self._n - min(n, len(self)):self._n]


def _use_array_buffer(pre: Any) -> None:
    """Swap ``RawAudio`` into openWakeWord's ``AudioFeatures`` (same melspectrogram input, int16)."""
    raw = RawAudio(pre.raw_data_buffer.maxlen or 10 * SAMPLE_RATE)
    pre.raw_data_buffer = raw

    def buffer_raw_data(x: Any) -> None:
        raw.extend(x)

    def streaming_melspectrogram(n_samples: int) -> None:
        if len(raw) < 400:
            raise ValueError("The number of input frames must be at least 400 samples @ 16khz (25 ms)!")
        mel = pre._get_melspectrogram(raw.tail(n_samples + 160 * 3))
        pre.melspectrogram_buffer = np.vstack((pre.melspectrogram_buffer, mel))
        if pre.melspectrogram_buffer.shape[0] > pre.melspectrogram_max_len:
            pre.melspectrogram_buffer = pre.melspectrogram_buffer[-pre.melspectrogram_max_len:, :]

    pre._buffer_raw_data = buffer_raw_data
    pre._streaming_melspectrogram = streaming_melspectrogram


def _frame_sized_sessions(pre: Any, melspec: Path, embedding: Path) -> None:
    """Fresh feature sessions that only ever see one frame. The ones openWakeWord built ran 4 s of
    noise in one batch (its seed features, and ours), and their memory arenas keep that batch's
    ~60 MB for good; an arena sized for one frame keeps each frame as cheap as it was (without an
    arena a frame costs more CPU)."""
    import onnxruntime

    opts = lean.session_options(arena=True)
    cpu = ["CPUExecutionProvider"]
    pre.melspec_model = onnxruntime.InferenceSession(str(melspec), sess_options=opts, providers=cpu)
    pre.embedding_model = onnxruntime.InferenceSession(str(embedding), sess_options=opts, providers=cpu)


class OpenWakeWordDetector:
    """Implements WakeDetector. Feed 80 ms frames in stream order; ``t_s`` counts fed audio.

    A word triggers after ``trigger_level`` consecutive frames at or above ``threshold`` and is
    then ignored for ``refractory_s``. Frames captured while Hearth itself plays are not
    scored (``process(frame, muted=True)`` or ``suppress(until_t_s)``); the model state is
    reset when listening resumes so Hearth's own voice never carries over into a detection.
    With ``sleep_in_silence`` the model sleeps through frames at the room's noise floor
    (:mod:`assistant.wake.idle`); their scores read 0.
    """

    def __init__(self, cfg: WakeConfig, seed: int = 0) -> None:
        from openwakeword.model import Model

        if not cfg.words:
            raise WakeError("[wake] words is empty; name at least one wake word")
        self.cfg = cfg
        self.seed = seed
        pairs = [word_model_path(w) for w in cfg.words]
        self.words: tuple[str, ...] = tuple(w for w, _ in pairs)
        melspec = (modelstore.user_path(cfg.melspec_model, "[wake] melspec_model")
                   if cfg.melspec_model else modelstore.path("oww-melspectrogram"))
        embedding = (modelstore.user_path(cfg.embedding_model, "[wake] embedding_model")
                     if cfg.embedding_model else modelstore.path("oww-embedding"))
        t0 = time.perf_counter()
        try:
            self._model: Any = Model(
                wakeword_models=[str(p) for _, p in pairs], inference_framework="onnx",
                melspec_model_path=str(melspec), embedding_model_path=str(embedding),
            )
        except Exception as e:  # onnxruntime raises its own exception types
            raise ModelError(f"cannot load wake-word models {[str(p) for _, p in pairs]}: {e}") from e
        self._key_to_word = {p.stem: w for w, p in pairs}
        log.info("wake words %s loaded in %.2f s", self.words, time.perf_counter() - t0)
        self.t_s = 0.0
        self.scores: dict[str, float] = {}
        """The latest frame's score per word."""
        self._run: dict[str, int] = {}
        self._last: dict[str, float] = {}
        self._suppress_until = -1.0
        self._dirty = False
        self._gate = IdleGate(FRAME_SAMPLES / SAMPLE_RATE) if cfg.sleep_in_silence else None
        rng = np.random.default_rng(seed)
        noise = rng.integers(-1000, 1000, int(SEED_S * SAMPLE_RATE)).astype(np.int16)
        # A copy: ONNX Runtime's output array would keep the session's whole memory arena alive.
        self._seed_features = np.array(self._model.preprocessor._get_embeddings(noise))
        _frame_sized_sessions(self._model.preprocessor, melspec, embedding)
        _use_array_buffer(self._model.preprocessor)
        self._reset_model()

    def _reset_model(self) -> None:
        # openwakeword 0.6.0's Model.reset() recomputes its noise embeddings (~0.1 s, unseeded);
        # this does the same resets with the features computed once from seeded noise.
        model = self._model
        model.prediction_buffer = defaultdict(partial(deque, maxlen=30))
        pre = model.preprocessor
        pre.raw_data_buffer.clear()
        pre.melspectrogram_buffer = np.ones((76, 32))
        pre.accumulated_samples = 0
        pre.raw_data_remainder = np.empty(0)
        pre.feature_buffer = self._seed_features.copy()
        self._run = dict.fromkeys(self.words, 0)
        self.scores = dict.fromkeys(self.words, 0.0)
        self._dirty = False
        if self._gate is not None:
            self._gate.reset()

    def reset(self) -> None:
        """Forget buffered audio, scores and refractory timers; the stream clock keeps running."""
        self._reset_model()
        self._last.clear()

    def rearm(self) -> None:
        """Forget the refractory timers only: the last detection was not the phrase (a verifier said
        so), and the phrase itself may follow within the refractory time."""
        self._last.clear()

    def restart(self) -> None:
        """Start a new stream: ``reset`` plus the clock back to 0 and no suppression."""
        self.reset()
        self.t_s = 0.0
        self._suppress_until = -1.0
        if self._gate is not None:
            self._gate.restart()

    def suppress(self, until_t_s: float) -> None:
        """Ignore frames ending at or before ``until_t_s`` (stream seconds), e.g. Hearth's reply."""
        self._suppress_until = max(self._suppress_until, until_t_s)

    def process(self, frame: np.ndarray, *, muted: bool = False) -> list[Detection]:
        """Score one frame; ``muted``: Hearth is playing, so the frame is skipped."""
        frame = np.asarray(frame)
        if frame.dtype != np.int16 or frame.ndim != 1:
            raise WakeError(f"wake frames must be 1-D int16 at 16 kHz, got {frame.dtype} {frame.shape}")
        self.t_s += len(frame) / SAMPLE_RATE
        if muted or self.t_s <= self._suppress_until:
            self._dirty = True
            return []
        if self._dirty:
            self._reset_model()
        if self._gate is not None:
            missed = self._gate.admit(frame)
            if missed is None:
                self._run = dict.fromkeys(self.words, 0)
                self.scores = dict.fromkeys(self.words, 0.0)
                return []
            for old in missed:  # catch up on what it slept through; silent frames hold no wake word
                self._model.predict(old)
        scores = self._model.predict(frame)
        found: list[Detection] = []
        for key, score in scores.items():
            word = self._key_to_word.get(key, key)
            score = float(score)
            self.scores[word] = score
            if score < self.cfg.threshold:
                self._run[word] = 0
                continue
            self._run[word] = self._run.get(word, 0) + 1
            if self._run[word] < self.cfg.trigger_level:
                continue
            last = self._last.get(word)
            if last is not None and self.t_s - last < self.cfg.refractory_s:
                continue
            self._last[word] = self.t_s
            self._run[word] = 0
            found.append(Detection(word, score, round(self.t_s, 3)))
            log.debug("wake word %s at %.2f s (score %.3f)", word, self.t_s, score)
        return found

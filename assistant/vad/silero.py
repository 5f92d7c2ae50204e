"""Silero VAD v6 (the copy bundled with faster-whisper) run directly with onnxruntime, streaming."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from assistant import modelstore
from assistant.errors import ModelError

log = logging.getLogger(__name__)

CHUNK = 512
"""Samples per model step at 16 kHz (32 ms)."""
CONTEXT = 64
"""Samples of the previous chunk the model sees in front of each chunk."""


class SileroVad:
    """Speech probability per frame. Keeps the LSTM state and the 64-sample context across calls,
    and carries a remainder, so frames of any length (e.g. 1280 samples) can be fed.

    ``probs`` and ``speech_ratio`` leave that stream state alone, so one instance serves both the
    pipeline (streaming) and the speech-to-text gate (whole clips, from another thread)."""

    def __init__(self, model_path: str | Path | None = None, threads: int = 1) -> None:
        import onnxruntime

        from assistant import lean

        path = Path(model_path) if model_path else modelstore.path("silero-vad")
        opts = lean.session_options(threads)
        opts.log_severity_level = 4
        try:
            self._session = onnxruntime.InferenceSession(
                str(path), providers=["CPUExecutionProvider"], sess_options=opts
            )
        except Exception as e:  # onnxruntime raises its own exception types
            raise ModelError(f"cannot load the Silero VAD model {path}: {e}") from e
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._rest = np.zeros(0, dtype=np.float32)
        self.last_prob = 0.0

    def _step(self, chunk: np.ndarray) -> float:
        x = np.concatenate([self._context, chunk])[None, :]
        out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = chunk[-CONTEXT:]
        return float(np.asarray(out).reshape(-1)[0])

    def speech_prob(self, frame: np.ndarray) -> float:
        """Highest probability over the whole 512-sample chunks completed by this frame."""
        audio = np.concatenate([self._rest, np.asarray(frame, dtype=np.float32) / 32768.0])
        n = len(audio) // CHUNK
        self._rest = audio[n * CHUNK :]
        probs = [self._step(audio[i * CHUNK : (i + 1) * CHUNK]) for i in range(n)]
        if probs:
            self.last_prob = max(probs)
        return self.last_prob

    def probs(self, audio: np.ndarray) -> np.ndarray:
        """Per-chunk probabilities of a whole clip, from a fresh state; leaves the stream state alone."""
        x = np.asarray(audio, dtype=np.float32) / 32768.0
        n = len(x) // CHUNK
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        chunks = x[: n * CHUNK].reshape(n, CHUNK)
        context = np.concatenate([np.zeros((1, CONTEXT), np.float32), chunks[:-1, -CONTEXT:]])
        h = np.zeros((1, 1, 128), dtype=np.float32)
        c = np.zeros((1, 1, 128), dtype=np.float32)
        out, _, _ = self._session.run(
            None, {"input": np.concatenate([context, chunks], axis=1), "h": h, "c": c}
        )
        return np.asarray(out, dtype=np.float32).reshape(-1)

    def speech_ratio(self, audio: np.ndarray, threshold: float = 0.5) -> float:
        """Fraction of 32 ms chunks whose speech probability reaches ``threshold``."""
        p = self.probs(audio)
        return float((p >= threshold).mean()) if len(p) else 0.0

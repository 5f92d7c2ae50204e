"""Pre-roll: a ring buffer of the most recent frames, so a command's first syllable survives the wake word."""

from __future__ import annotations

from collections import deque

import numpy as np

from assistant.audio import SAMPLE_RATE


class PreRoll:
    """Keeps the last ``seconds`` of frames (whole frames; at least one)."""

    def __init__(self, seconds: float, frame_samples: int, sample_rate: int = SAMPLE_RATE) -> None:
        if frame_samples <= 0:
            raise ValueError("frame_samples must be positive")
        self.frame_samples = frame_samples
        self.sample_rate = sample_rate
        self.max_frames = max(1, round(seconds * sample_rate / frame_samples))
        self._frames: deque[np.ndarray] = deque(maxlen=self.max_frames)

    def push(self, frame: np.ndarray) -> None:
        self._frames.append(frame)

    def audio(self) -> np.ndarray:
        """The buffered frames joined, oldest first."""
        if not self._frames:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(list(self._frames)).astype(np.int16, copy=False)

    @property
    def seconds(self) -> float:
        return sum(len(f) for f in self._frames) / self.sample_rate

    def clear(self) -> None:
        self._frames.clear()

    def __len__(self) -> int:
        return len(self._frames)

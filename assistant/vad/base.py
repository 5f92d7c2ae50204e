"""The voice-activity stage's seam."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class SpeechDetector(Protocol):
    def speech_prob(self, frame: np.ndarray) -> float:
        """Probability (0-1) that a 16 kHz int16 frame (a multiple of 512 samples) holds speech."""
        ...

    def reset(self) -> None: ...

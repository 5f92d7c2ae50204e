"""The speech-to-text stage's seam."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    """Empty when the audio held no speech."""
    language: str
    audio_s: float
    """Length of the audio, seconds."""
    seconds: float
    """Compute time, seconds."""


class Transcriber(Protocol):
    def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        """``audio``: 16 kHz mono int16. ``language``: "en", "zh", or None for the configured one."""
        ...

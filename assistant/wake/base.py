"""The wake-word stage's seam."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class Detection:
    word: str
    score: float
    """Model score, 0-1."""
    t_s: float
    """End of the frame that triggered, seconds from the start of the stream."""


class WakeDetector(Protocol):
    words: tuple[str, ...]

    def process(self, frame: np.ndarray) -> list[Detection]:
        """Feed one 80 ms frame (1280 int16 samples at 16 kHz); returns detections it triggered."""
        ...

    def reset(self) -> None:
        """Forget buffered audio and scores (after a run, or after Hearth's own playback)."""
        ...


def restart_detector(detector: WakeDetector) -> None:
    """Start ``detector`` on a new stream: its own ``restart`` (clock back to 0) where it has one,
    else ``reset``; for wrappers that pass a new stream on to the detector inside them."""
    own = getattr(detector, "restart", None)
    if own is not None:
        own()
    else:
        detector.reset()

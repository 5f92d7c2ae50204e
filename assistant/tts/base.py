"""The text-to-speech stage's seam."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np


class Synthesizer(Protocol):
    sample_rate: int
    """Hertz of the chunks ``synthesize`` yields."""

    def synthesize(self, text: str, language: str = "en") -> Iterator[np.ndarray]:
        """Yield mono int16 audio one sentence at a time, so playback starts after the first."""
        ...

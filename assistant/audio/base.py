"""Typed seams for audio sources and sinks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np


class AudioSource(Protocol):
    """Yields 16 kHz mono int16 frames of ``frame_samples`` samples until the input ends."""

    frame_samples: int

    def frames(self) -> Iterator[np.ndarray]: ...

    def close(self) -> None: ...


class AudioSink(Protocol):
    """Plays or stores reply audio. ``write`` may block while playing (real time)."""

    def write(self, chunk: np.ndarray, sample_rate: int) -> None:
        """``chunk``: mono int16 samples at ``sample_rate`` Hertz."""
        ...

    def cancel(self) -> None:
        """Stop playing what was written (barge-in, "stop")."""
        ...

    @property
    def playing(self) -> bool:
        """True while audio is being played (wake detection ignores its own playback)."""
        ...

    def close(self) -> None: ...

"""Is someone talking near the microphone right now? A level above the room's noise floor.

Hearth holds an announcement back while it hears a voice: starting to speak in the middle of a wake
phrase would drown it (a live microphone hears Hearth, not the household, while it speaks) and
nobody likes being talked over. A level meter costs microseconds per frame, where running the VAD
on every idle frame would cost a steady share of a core.
"""

from __future__ import annotations

import math

import numpy as np

ABOVE_FLOOR_DB = 12.0
"""A frame this much louder than the noise floor counts as a voice."""
FLOOR_RISE_DB_PER_S = 3.0
"""The floor follows a louder room slowly (a fan switched on), a quieter one at once."""
HANGOVER_S = 0.4
"""Gaps between words shorter than this do not end the activity."""
SILENT_DBFS = -90.0
"""Quieter frames count as this loud: digital silence must not drag the floor far below any real room."""


def level_db(audio: np.ndarray) -> float:
    """RMS level of int16 audio, dBFS (-120 for silence)."""
    if audio.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(audio.astype(np.float64)))))
    return 20 * math.log10(rms / 32768.0) if rms > 0 else -120.0


class VoiceActivity:
    """Tracks the noise floor over frames; :attr:`active` while a voice was heard within the hangover."""

    def __init__(self, frame_s: float, above_floor_db: float = ABOVE_FLOOR_DB) -> None:
        self.frame_s = frame_s
        self.above_floor_db = above_floor_db
        self.floor_db: float | None = None
        self.db = SILENT_DBFS
        """The latest frame's level, dBFS."""
        self._since_voice_s = math.inf

    def update(self, frame: np.ndarray) -> bool:
        db = self.db = max(level_db(frame), SILENT_DBFS)
        if self.floor_db is None or db < self.floor_db:
            self.floor_db = db
        else:
            self.floor_db = min(db, self.floor_db + FLOOR_RISE_DB_PER_S * self.frame_s)
        voiced = db > max(self.floor_db, SILENT_DBFS + 20) + self.above_floor_db
        self._since_voice_s = 0.0 if voiced else self._since_voice_s + self.frame_s
        return voiced

    @property
    def active(self) -> bool:
        return self._since_voice_s < HANGOVER_S

    def reset(self) -> None:
        self._since_voice_s = math.inf

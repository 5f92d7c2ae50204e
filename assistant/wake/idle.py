"""Let openWakeWord sleep while the room is silent, and wake it with the audio it missed.

Its embedding model is most of Hearth's idle CPU (3.3 ms of every 80 ms frame). A frame no louder
than the room's noise floor holds no wake word, so the model sleeps through such frames; the next
louder frame is preceded by the frames it slept through (up to the model's whole reach), so that
frame's score, and every one after it, is the score the model gives when it never sleeps.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from assistant.audio.activity import VoiceActivity

REACH_FRAMES = 27
"""80 ms frames behind a frame that its score depends on: 16 embeddings (1.28 s), each of 76 mel
frames (0.76 s), and the melspectrogram's 30 ms lead, rounded up."""
HOLD_FRAMES = 15
"""Frames the model stays awake after the last louder one (a pause inside "hey … jarvis")."""
ABOVE_FLOOR_DB = 10.0
"""A frame this much above the noise floor wakes the model (a room's own noise swings by 3-7 dB
between frames; the loudest frame of a phrase wakes the model for the whole phrase)."""
ALWAYS_DBFS = -40.0
"""A frame at least this loud wakes the model whatever the floor (a stream that opens mid-speech
sets its floor at the speech's level)."""


class IdleGate:
    """Decides per frame whether the wake model runs, and keeps the frames it slept through."""

    def __init__(self, frame_s: float) -> None:
        self.frame_s = frame_s
        self._level = VoiceActivity(frame_s, above_floor_db=ABOVE_FLOOR_DB)
        self._missed: deque[np.ndarray] = deque(maxlen=REACH_FRAMES)
        self._since_loud = HOLD_FRAMES
        self.slept = 0
        """Frames the model slept through since the stream started."""

    def admit(self, frame: np.ndarray) -> list[np.ndarray] | None:
        """None when the model may sleep through ``frame``; else the frames it missed, oldest first,
        to feed it before ``frame``."""
        loud = self._level.update(frame) or self._level.db > ALWAYS_DBFS
        self._since_loud = 0 if loud else self._since_loud + 1
        if self._since_loud >= HOLD_FRAMES:
            self._missed.append(frame)
            self.slept += 1
            return None
        missed = list(self._missed)
        self._missed.clear()
        return missed

    def reset(self) -> None:
        """Forget missed frames (the model's state was reset): asleep until something is heard."""
        self._missed.clear()
        self._since_loud = HOLD_FRAMES

    def restart(self) -> None:
        """A new stream: ``reset`` and a new noise floor."""
        self.reset()
        self._level = VoiceActivity(self.frame_s, above_floor_db=ABOVE_FLOOR_DB)
        self.slept = 0

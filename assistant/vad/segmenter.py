"""End-of-speech segmentation as pure timing logic over (time, is_speech) frames; no model inside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assistant.config import VadConfig

EndReason = Literal["silence", "max_length", "timeout", "end_of_input"]

BURST_GAP_S = 0.15
"""Non-speech shorter than this inside a not-yet-confirmed burst does not restart it, seconds."""


@dataclass(frozen=True, slots=True)
class SpeechStart:
    t_s: float
    """Stream time where speech began (start of its first frame), seconds."""


@dataclass(frozen=True, slots=True)
class SpeechEnd:
    reason: EndReason
    t_s: float
    """Stream time at which the segment was closed, seconds."""
    speech_start_s: float | None
    """Where speech began; None when nobody spoke (reason ``timeout``)."""
    speech_end_s: float | None
    """Where speech actually stopped (before the trailing silence); None when nobody spoke."""

    @property
    def has_speech(self) -> bool:
        return self.speech_start_s is not None


class Segmenter:
    """Feed ``update(t_s, is_speech)`` once per frame, ``t_s`` being the end of the frame.

    Speech counts as started once a burst lasts ``min_speech_s``; the command ends after
    ``trailing_silence_s`` of silence (see :meth:`require_silence`), after ``max_command_s`` of
    speech, or with ``timeout`` when nobody speaks for ``no_speech_timeout_s``. ``silence_s`` lets a caller start work
    early (speculative transcription) before the end is declared.
    """

    def __init__(self, cfg: VadConfig, start_t_s: float = 0.0, frame_s: float = 0.08) -> None:
        self.cfg = cfg
        self.start_t_s = start_t_s
        self.frame_s = frame_s
        self.speech_start_s: float | None = None
        self.speech_end_s: float | None = None
        """End of the latest speech frame, seconds."""
        self.t_s = start_t_s
        self.result: SpeechEnd | None = None
        self._burst_start: float | None = None
        self._burst_last: float | None = None
        self.dropped_until_s: float | None = None
        """End of the latest burst too short to be speech (the wake word's tail, a click), seconds."""
        self.trailing_silence_s = cfg.trailing_silence_s
        """Silence that ends the command now; the caller may change it as the words become known."""

    @property
    def started(self) -> bool:
        return self.speech_start_s is not None

    @property
    def done(self) -> bool:
        return self.result is not None

    @property
    def silence_s(self) -> float:
        """Seconds since speech last stopped; 0 while speaking or before speech started."""
        if self.speech_end_s is None or not self.started:
            return 0.0
        return max(0.0, self.t_s - self.speech_end_s)

    def _end(self, reason: EndReason) -> SpeechEnd:
        self.result = SpeechEnd(reason, self.t_s, self.speech_start_s,
                                self.speech_end_s if self.started else None)
        return self.result

    def update(self, t_s: float, is_speech: bool) -> SpeechStart | SpeechEnd | None:
        """Advance to ``t_s``; returns a SpeechStart or SpeechEnd when one happens, else None."""
        if self.result is not None:
            return None
        self.t_s = t_s
        cfg = self.cfg
        if not self.started:
            if is_speech:
                if self._burst_start is None or (
                    self._burst_last is not None and t_s - self.frame_s - self._burst_last >= BURST_GAP_S
                ):
                    self._burst_start = t_s - self.frame_s
                self._burst_last = t_s
                if t_s - self._burst_start >= cfg.min_speech_s - 1e-9:
                    self.speech_start_s = self._burst_start
                    self.speech_end_s = t_s
                    return SpeechStart(self._burst_start)
            elif self._burst_last is not None and t_s - self._burst_last >= BURST_GAP_S:
                self.dropped_until_s = self._burst_last
                self._burst_start = self._burst_last = None
            if t_s - self.start_t_s >= cfg.no_speech_timeout_s and self._burst_start is None:
                return self._end("timeout")
            return None
        assert self.speech_start_s is not None
        if is_speech:
            self.speech_end_s = t_s
        if t_s - self.speech_start_s >= cfg.max_command_s:
            return self._end("max_length")
        if not is_speech and self.silence_s >= self.trailing_silence_s - 1e-9:
            return self._end("silence")
        return None

    def require_silence(self, seconds: float) -> SpeechEnd | None:
        """Change the silence that ends the command; ends it at once (``silence``) when the current
        pause already lasts that long."""
        self.trailing_silence_s = seconds
        if self.result is None and self.started and self.silence_s > 0 and self.silence_s >= seconds - 1e-9:
            return self._end("silence")
        return None

    def finish(self, t_s: float | None = None) -> SpeechEnd:
        """The input ended: close the segment (``end_of_input``, or ``timeout`` if nobody spoke)."""
        if self.result is not None:
            return self.result
        if t_s is not None:
            self.t_s = t_s
        return self._end("end_of_input" if self.started else "timeout")

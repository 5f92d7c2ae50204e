"""Silero VAD on real speech, silence and noise; the segmenter's timing logic on synthetic sequences."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import VadConfig
from assistant.vad.segmenter import Segmenter, SpeechEnd, SpeechStart
from assistant.vad.silero import SileroVad
from tests.audiogen import concat, noise, silence, speak

FRAME_S = 0.08
CFG = VadConfig(trailing_silence_s=0.4, max_command_s=5.0, no_speech_timeout_s=2.0, min_speech_s=0.2)


def _feed(seg: Segmenter, pattern: list[tuple[float, bool]]) -> list[SpeechStart | SpeechEnd]:
    """pattern: (duration_s, is_speech) runs, fed as 80 ms frames starting at seg.start_t_s."""
    events = []
    t = seg.start_t_s
    for duration, speech in pattern:
        for _ in range(round(duration / FRAME_S)):
            t = round(t + FRAME_S, 6)
            ev = seg.update(t, speech)
            if ev is not None:
                events.append(ev)
    return events


def test_speech_then_silence_ends_with_the_real_speech_end() -> None:
    seg = Segmenter(CFG, start_t_s=10.0, frame_s=FRAME_S)
    events = _feed(seg, [(0.48, False), (1.6, True), (1.0, False)])
    start, end = events
    assert isinstance(start, SpeechStart) and start.t_s == pytest.approx(10.48)
    assert isinstance(end, SpeechEnd) and end.reason == "silence"
    assert end.speech_start_s == pytest.approx(10.48)
    assert end.speech_end_s == pytest.approx(12.08)
    assert end.t_s == pytest.approx(12.08 + 0.4)
    assert seg.done and end.has_speech


def test_silence_s_grows_while_the_speaker_pauses() -> None:
    seg = Segmenter(CFG, frame_s=FRAME_S)
    _feed(seg, [(0.8, True)])
    assert seg.silence_s == 0.0 and seg.started
    t = seg.t_s
    for _ in range(2):
        t += FRAME_S
        seg.update(t, False)
    assert seg.silence_s == pytest.approx(0.16)
    assert not seg.done
    seg.update(t + FRAME_S, True)  # speech again: the pause was within the command
    assert seg.silence_s == 0.0


def test_nobody_speaks_times_out() -> None:
    seg = Segmenter(CFG, frame_s=FRAME_S)
    (end,) = _feed(seg, [(3.0, False)])
    assert isinstance(end, SpeechEnd) and end.reason == "timeout"
    assert end.t_s == pytest.approx(2.0) and not end.has_speech and end.speech_end_s is None


def test_short_bursts_are_noise_not_speech() -> None:
    seg = Segmenter(CFG, frame_s=FRAME_S)
    events = _feed(seg, [(0.08, True), (0.4, False), (0.08, True), (2.0, False)])
    assert len(events) == 1 and isinstance(events[0], SpeechEnd) and events[0].reason == "timeout"


def test_long_speech_is_cut_at_max_length() -> None:
    seg = Segmenter(CFG, frame_s=FRAME_S)
    events = _feed(seg, [(0.4, False), (8.0, True)])
    assert isinstance(events[-1], SpeechEnd) and events[-1].reason == "max_length"
    assert events[-1].t_s - events[0].t_s == pytest.approx(5.0, abs=FRAME_S)


def test_end_of_input_closes_the_segment() -> None:
    seg = Segmenter(CFG, frame_s=FRAME_S)
    _feed(seg, [(0.8, True)])
    end = seg.finish()
    assert end.reason == "end_of_input" and end.has_speech
    assert seg.update(5.0, True) is None  # done: further frames change nothing
    assert Segmenter(CFG).finish(0.5).reason == "timeout"


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return SileroVad()


def _stream(vad: SileroVad, audio: np.ndarray, frame: int = 1280) -> list[float]:
    vad.reset()
    return [vad.speech_prob(audio[i : i + frame]) for i in range(0, len(audio) - frame + 1, frame)]


def test_silero_tells_speech_from_silence_and_noise(vad: SileroVad) -> None:
    speech = speak("Please turn off the lights in the living room.")
    other = speak("What is the weather like tomorrow?", voice="espeak")
    assert vad.speech_ratio(speech) > 0.5 and vad.speech_ratio(other) > 0.5
    assert vad.speech_ratio(silence(2.0)) == 0.0
    assert vad.speech_ratio(noise(2.0, "white", 0.1)) < 0.05
    assert vad.speech_ratio(noise(2.0, "pink", 0.1)) < 0.05


def test_silero_streams_80ms_frames_with_state(vad: SileroVad) -> None:
    audio = concat(silence(1.0), speak("Turn on the kitchen light."), silence(1.0))
    probs = _stream(vad, audio)
    n_lead = round(1.0 / FRAME_S)
    assert max(probs[: n_lead - 1]) < 0.2
    assert max(probs[n_lead:-n_lead]) > 0.8
    assert probs[-1] < 0.3
    again = _stream(vad, audio)
    assert np.allclose(probs, again)  # reset restores the initial state

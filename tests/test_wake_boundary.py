"""From wake word to command: the wake phrase found in the audio, read with the command, and
stripped from the words; the same recording always gives the same result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant import app
from assistant.audio.sinks import NullSink
from assistant.audio.sources import WavFileSource
from assistant.config import Config
from assistant.events import Event, EventBus, Transcribed, Understood, WakeDetected
from assistant.pipeline import Pipeline
from assistant.stt.realbench import normalize
from assistant.wake import boundary
from tests import audiogen

CHUNK_S = boundary.CHUNK / 16000


def probs(*parts: tuple[float, float]) -> np.ndarray:
    """(probability, seconds) pieces as per-chunk probabilities."""
    return np.concatenate([np.full(round(s / CHUNK_S), p, dtype=np.float32) for p, s in parts])


def test_phrase_start_is_the_end_of_the_last_pause_before_the_phrase() -> None:
    # earlier talk, a pause, the phrase running on into the command up to the detection
    p = probs((0.9, 0.6), (0.1, 0.5), (0.9, 1.4))
    assert abs(boundary.phrase_start(p, len(p) * CHUNK_S) - (1.1 - boundary.MARGIN_S)) < 2 * CHUNK_S
    # the model fired after the phrase, in the pause before the command
    p = probs((0.1, 1.0), (0.9, 0.8), (0.1, 0.3))
    assert abs(boundary.phrase_start(p, len(p) * CHUNK_S) - (1.0 - boundary.MARGIN_S)) < 2 * CHUNK_S
    # a short break inside the phrase ("hey, jarvis") does not split it
    p = probs((0.1, 0.8), (0.9, 0.3), (0.1, 0.15), (0.9, 0.8))
    assert abs(boundary.phrase_start(p, len(p) * CHUNK_S) - (0.8 - boundary.MARGIN_S)) < 2 * CHUNK_S
    # speech throughout the look-back: keep all of it
    p = probs((0.9, 2.5))
    assert boundary.phrase_start(p, 2.5) == 0.0


def test_wake_phrase_spelled_for_whisper() -> None:
    assert boundary.wake_tokens("/m/hey_jarvis_v0.1.onnx") == ["hey", "jarvis"]
    assert boundary.spoken("hey_jarvis") == "Hey Jarvis,"
    twice = "Hey Jarvis, hey Jarvis, lock the door"
    assert boundary.strip_phrase(twice, ["hey", "jarvis"]) == "hey Jarvis, lock the door"
    assert boundary.strip_phrase("The jar is full", ["hey", "jarvis"]) is None


@pytest.fixture(scope="module")
def engines() -> Iterator[app.Engines]:
    yield app.build_engines(Config())


def run(engines: app.Engines, audio: np.ndarray, tmp_path: Path) -> list[Event]:
    wav = audiogen.write(tmp_path / "in.wav", audio)
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    engines.wake.reset()
    p = Pipeline(Config(), wake=engines.wake, vad=engines.vad, stt=engines.stt, brain=engines.brain,
                 tts=engines.tts, sink=NullSink(), bus=bus)
    p.run(WavFileSource(wav, p.frame_samples))
    return events


@pytest.mark.slow
@pytest.mark.parametrize("voice", ["flite:slt:1.0", "espeak:en-us+f3:150"])
def test_one_breath_command_is_transcribed_whole_and_the_same_every_time(
        engines: app.Engines, tmp_path: Path, voice: str) -> None:
    """These two voices turned "hey jarvis, turn off the kitchen light" into "They are the stern off
    the kitchen light" and "Hey Jeremy, turn off my kitchen light" when the phrase was cut by timing."""
    said = audiogen.concat(audiogen.speak("hey jarvis", voice), audiogen.speak("turn off the kitchen light", voice))
    results = []
    for lead_s in (1.0, 1.0, 1.37):  # twice the same, then shifted against the 80 ms frames
        events = run(engines, audiogen.concat(audiogen.noise(lead_s, "pink", 0.003, seed=1), said,
                                              audiogen.silence(1.5)), tmp_path)
        texts = [e.text for e in events if isinstance(e, Transcribed)]
        wakes = [round(e.t_s - lead_s, 2) for e in events if isinstance(e, WakeDetected)]
        intents = [[i.intent for i in e.understanding.intents] for e in events if isinstance(e, Understood)]
        assert len(texts) == 1 and normalize(texts[0]) == ["turn", "off", "the", "kitchen", "light"], texts
        assert intents == [["HassTurnOff"]]
        results.append((texts, wakes))
    assert results[0] == results[1]  # the same recording, the same result

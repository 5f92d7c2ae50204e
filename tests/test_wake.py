"""openWakeWord on real speech: detected on "Hey Jarvis", silent on other speech, refractory, muting."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.sources import frames_of
from assistant.config import WakeConfig
from assistant.errors import WakeError
from assistant.wake.base import Detection
from assistant.wake.openwakeword import FRAME_SAMPLES, OpenWakeWordDetector
from tests.audiogen import concat, noise, silence, speak, wake_command, write


@pytest.fixture(scope="module")
def detector() -> OpenWakeWordDetector:
    return OpenWakeWordDetector(WakeConfig(words=("hey_jarvis", "alexa")))


def _run(det: OpenWakeWordDetector, audio: np.ndarray, muted_until_s: float = -1.0) -> list[Detection]:
    det.restart()
    found: list[Detection] = []
    for frame in frames_of(audio, FRAME_SAMPLES):
        found += det.process(frame, muted=det.t_s + 0.08 <= muted_until_s)
    return found


@pytest.mark.parametrize("voice", ["piper", "espeak"])
def test_hey_jarvis_is_detected_within_the_phrase(detector: OpenWakeWordDetector, voice: str) -> None:
    phrase = speak("Hey Jarvis.", voice)
    audio = concat(silence(1.5), phrase, silence(1.0))
    found = _run(detector, audio)
    assert [d.word for d in found] == ["hey_jarvis"]
    assert found[0].score >= 0.5
    assert 1.5 < found[0].t_s <= 1.5 + len(phrase) / 16000 + 0.4


def test_whole_wake_command_detects_once(detector: OpenWakeWordDetector) -> None:
    found = _run(detector, wake_command("Turn on the kitchen light."))
    assert len(found) == 1 and found[0].word == "hey_jarvis"


@pytest.mark.parametrize(
    ("text", "voice"),
    [("Please turn on the kitchen light and close the blinds.", "piper"),
     ("What time is it in London right now?", "espeak"),
     ("Hello there, can you hear me? The garden is lovely today.", "piper")],
)
def test_other_speech_and_noise_do_not_trigger(detector: OpenWakeWordDetector, text: str, voice: str) -> None:
    assert _run(detector, concat(silence(1.5), speak(text, voice), silence(1.0))) == []
    assert max(detector.scores.values()) < 0.5


def test_noise_does_not_trigger(detector: OpenWakeWordDetector) -> None:
    assert _run(detector, concat(noise(4.0, "white", 0.1), noise(4.0, "pink", 0.1))) == []


def test_refractory_period_blocks_a_quick_repeat() -> None:
    phrase = speak("Hey Jarvis.")
    quick = concat(silence(1.5), phrase, silence(0.3), phrase, silence(1.0))
    slow = concat(silence(1.5), phrase, silence(3.0), phrase, silence(1.0))
    det = OpenWakeWordDetector(WakeConfig(refractory_s=3.0))
    assert len(_run(det, quick)) == 1
    found = _run(det, slow)
    assert len(found) == 2 and found[1].t_s - found[0].t_s > 3.0


def test_scores_are_reproducible(detector: OpenWakeWordDetector) -> None:
    audio = concat(silence(1.0), speak("Hey Jarvis."), silence(0.5))
    first = _run(detector, audio)
    second = _run(detector, audio)
    assert first == second


def test_own_playback_is_ignored_and_state_reset(detector: OpenWakeWordDetector) -> None:
    phrase = speak("Hey Jarvis.")
    audio = concat(silence(1.5), phrase, silence(1.0))
    end_of_phrase = 1.5 + len(phrase) / 16000
    assert _run(detector, audio, muted_until_s=end_of_phrase) == []
    detector.restart()
    detector.suppress(end_of_phrase)
    found = [d for f in frames_of(concat(audio, silence(1.5), phrase, silence(1.0)), FRAME_SAMPLES)
             for d in detector.process(f)]
    assert len(found) == 1 and found[0].t_s > end_of_phrase + 1.5  # only the phrase after playback


def test_unknown_word_and_bad_frames_are_clear_errors(detector: OpenWakeWordDetector) -> None:
    with pytest.raises(WakeError, match="bundled"):
        OpenWakeWordDetector(WakeConfig(words=("hey_computer",)))
    with pytest.raises(WakeError, match="int16"):
        detector.process(np.zeros(1280, dtype=np.float32))


def test_custom_model_path_is_accepted() -> None:
    from assistant import modelstore

    path = str(modelstore.path("wake-hey_jarvis"))
    det = OpenWakeWordDetector(WakeConfig(words=(path,)))
    assert det.words == ("hey_jarvis",)
    assert len(_run(det, concat(silence(1.5), speak("Hey Jarvis."), silence(1.0)))) == 1


def test_wake_command_prints_json(tmp_path: Path) -> None:
    good = write(tmp_path / "jarvis.wav", wake_command("What time is it?"))
    other = write(tmp_path / "other.wav", speak("Good morning, how are you?"))
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    proc = subprocess.run([sys.executable, "-m", "assistant.cli", "wake", str(good), str(other), str(bad)],
                          capture_output=True, text=True, timeout=120)
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert proc.returncode == 1
    assert lines[0]["file"] == str(good) and [d["word"] for d in lines[0]["detections"]] == ["hey_jarvis"]
    assert 1.5 < lines[0]["detections"][0]["t_s"] < 3.0
    assert lines[1]["detections"] == []
    assert "error" in lines[2] and str(bad) in lines[2]["error"]


def test_raw_audio_keeps_the_newest_samples() -> None:
    """The array that replaces openWakeWord's deque reads back what a deque of ``maxlen`` would."""
    from collections import deque

    from assistant.wake.openwakeword import RawAudio

    raw, ref = RawAudio(5000), deque(maxlen=5000)
    rng = np.random.default_rng(0)
    for n in (1280, 1280, 3000, 7000, 1, 1280, 4999, 1280):
        x = rng.integers(-3000, 3000, n).astype(np.int16)
        raw.extend(x)
        ref.extend(x.tolist())
        assert len(raw) == len(ref)
        for k in (1, 1760, 5000, 9000):
            assert raw.tail(k).tolist() == list(ref)[-k:]
    raw.clear()
    assert len(raw) == 0


def test_sleeping_through_silence_changes_no_score_it_computes() -> None:
    """The model sleeps through silent frames and catches up when sound returns: every frame it
    scores gets the score of a model that never sleeps, and it still wakes on the phrase."""
    phrase = speak("Hey Jarvis.")
    talk = concat(silence(3.0), phrase, silence(0.5), speak("Turn on the light.", "espeak"),
                  silence(5.5), phrase, silence(1.0))
    room = noise(len(talk) / 16000, "pink", 0.002, seed=5)  # a quiet room under everything
    audio = np.clip(talk.astype(np.int32) + room[:len(talk)], -32768, 32767).astype(np.int16)
    awake = OpenWakeWordDetector(WakeConfig(sleep_in_silence=False))
    gated = OpenWakeWordDetector(WakeConfig(sleep_in_silence=True))
    found: dict[str, list[Detection]] = {"awake": [], "gated": []}
    pairs: list[tuple[float, float]] = []
    for frame in frames_of(audio, FRAME_SAMPLES):
        found["awake"] += awake.process(frame)
        found["gated"] += gated.process(frame)
        pairs.append((awake.scores["hey_jarvis"], gated.scores["hey_jarvis"]))
    assert gated._gate is not None and gated._gate.slept > len(pairs) // 3
    scored = [(a, g) for a, g in pairs if g != 0.0]
    assert len(scored) >= 20
    assert max(abs(a - g) for a, g in scored) < 1e-4
    assert found["gated"] == found["awake"] and len(found["gated"]) == 2

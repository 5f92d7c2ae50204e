"""The second look at wake candidates: only a confirmed candidate wakes, after the configured delay."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import WakeConfig
from assistant.wake import verify
from assistant.wake.base import Detection

FRAME = 1280


class Nominator:
    """Nominates a candidate on every frame marked 1."""

    words = ("hey_jarvis",)

    def __init__(self) -> None:
        self.t_s = 0.0
        self.resets = 0

    def process(self, frame: np.ndarray) -> list[Detection]:
        self.t_s += len(frame) / 16000
        return [Detection("hey_jarvis", 0.3, self.t_s)] if frame[0] == 1 else []

    def reset(self) -> None:
        self.resets += 1


def feed(wake: verify.VerifiedWake, marks: list[int]) -> list[tuple[int, Detection]]:
    out = []
    for i, m in enumerate(marks):
        out += [(i, d) for d in wake.process(np.full(FRAME, m, dtype=np.int16))]
    return out


def test_a_candidate_wakes_only_when_confirmed_and_after_the_delay() -> None:
    seen: list[int] = []

    def check(audio: np.ndarray, word: str) -> tuple[bool, float]:
        seen.append(len(audio) // FRAME)
        return bool(audio[-FRAME * 3] == 1), -3.0  # the frame that nominated is three back

    wake = verify.VerifiedWake(Nominator(), check, delay_frames=2)
    found = feed(wake, [0, 0, 1, 0, 0, 0, 0])
    assert [(i, d.word) for i, d in found] == [(4, "hey_jarvis")]  # nominated at 2, decided at 4
    assert seen == [5] and wake.rejected == 0 and wake.last_verify_ms >= 0.0


def test_a_rejected_candidate_is_counted_and_reset_forgets_a_pending_one() -> None:
    wake = verify.VerifiedWake(Nominator(), lambda audio, word: (False, -11.0), delay_frames=1)
    assert feed(wake, [1, 0, 0]) == [] and wake.rejected == 1
    wake.process(np.full(FRAME, 1, dtype=np.int16))
    wake.reset()
    assert feed(wake, [0, 0]) == [] and wake.rejected == 1  # the pending candidate was dropped


def test_phrases_and_candidate_policy() -> None:
    assert verify.phrases("hey_jarvis") == ["Hey Jarvis", "Jarvis"]
    assert verify.phrases("/models/ok_nabu_v0.1.onnx") == ["Ok Nabu", "Nabu"]
    cfg = WakeConfig(threshold=0.5, trigger_level=2, candidate_threshold=0.2)
    assert verify.model_config(cfg) == WakeConfig(threshold=0.2, trigger_level=1, candidate_threshold=0.2)
    off = WakeConfig(verify=False)
    assert verify.model_config(off) is off
    model = Nominator()
    assert verify.wrap(off, model, lambda a, p: 0.0, object()) is model  # type: ignore[arg-type]
    assert verify.wrap(cfg, model, None, object()) is model  # type: ignore[arg-type]
    assert isinstance(verify.wrap(cfg, model, lambda a, p: 0.0, object()), verify.VerifiedWake)  # type: ignore[arg-type]


class AllSpeech:
    def speech_prob(self, chunk: np.ndarray) -> float:
        return 0.9

    def reset(self) -> None:
        pass


def test_phrase_check_scores_the_speech_holding_the_candidate() -> None:
    asked: list[tuple[int, list[str]]] = []

    def scorer(audio: np.ndarray, phrases: list[str]) -> float:
        asked.append((len(audio), list(phrases)))
        return -7.5

    check = verify.PhraseCheck(scorer, AllSpeech(), min_logprob=-8.0)  # type: ignore[arg-type]
    ok, lp = check(np.ones(32000, dtype=np.int16), "hey_jarvis")
    assert ok and lp == -7.5 and asked == [(32000, ["Hey Jarvis", "Jarvis"])]
    assert verify.PhraseCheck(scorer, AllSpeech(), min_logprob=-7.0)(np.ones(32000, dtype=np.int16),  # type: ignore[arg-type]
                                                                      "hey_jarvis")[0] is False


@pytest.mark.slow
def test_whisper_reads_the_wake_phrase_and_not_talk_that_sounds_like_it() -> None:
    from assistant import voices
    from assistant.config import SttConfig
    from assistant.stt.whisper import WhisperTranscriber

    stt = WhisperTranscriber(SttConfig(), "en")
    silence = np.zeros(8000, dtype=np.int16)
    wake = np.concatenate([silence, voices.synthesize("hey jarvis", "flite:slt:1.0")])
    talk = np.concatenate([silence, voices.synthesize("the jar music is a service", "flite:slt:1.0")])
    phrases = verify.phrases("hey_jarvis")
    assert stt.phrase_logprob(wake, phrases) >= WakeConfig().verify_min_logprob > stt.phrase_logprob(talk, phrases)


class Model:
    """Scores each frame as its value / 100; fires at 0.2 or more, then not for 10 frames unless rearmed."""

    words = ("hey_jarvis",)

    def __init__(self) -> None:
        self.scores = {"hey_jarvis": 0.0}
        self.quiet = 0

    def process(self, frame: np.ndarray) -> list[Detection]:
        self.scores["hey_jarvis"] = score = int(frame[0]) / 100
        self.quiet -= 1
        if score < 0.2 or self.quiet > 0:
            return []
        self.quiet = 10
        return [Detection("hey_jarvis", score, 0.0)]

    def rearm(self) -> None:
        self.quiet = 0

    def reset(self) -> None:
        self.quiet = 0


def test_a_rejected_candidate_never_costs_the_phrase_right_after_it() -> None:
    checked: list[int] = []

    def check(audio: np.ndarray, word: str) -> tuple[bool, float]:
        checked.append(int(audio[-FRAME * 3]))
        return bool(audio[-FRAME * 3] >= 50), -5.0  # the phrase scores high, the talk before it low

    wake = verify.VerifiedWake(Model(), check, delay_frames=2)
    # Talk that stirs the model (0.2-0.28), a dip, then the phrase within the model's refractory time.
    found = feed(wake, [0, 20, 28, 25, 5, 0, 30, 97, 99, 99, 99, 40, 0])
    assert checked == [20, 30, 99]  # one check per rise, and one more once the rise is confident
    assert [i for i, _ in found] == [11]  # nominated at 9, right after the rejection at 8
    assert wake.rejected == 2


def test_every_stream_builds_the_verified_detector_from_one_factory() -> None:
    """The Wyoming service and ``hearth wake`` listen as ``hearth run`` does: the real model
    nominates at the candidate policy, and the scorer alone decides whether a candidate wakes."""
    from assistant.audio.sources import frames_of
    from assistant.vad.silero import SileroVad
    from tests.audiogen import concat, silence, speak

    audio = concat(silence(1.0), speak("Hey Jarvis.", "espeak"), silence(1.0))
    asked: list[list[str]] = []

    def run(logprob: float) -> int:
        def scorer(clip: np.ndarray, phrases: list[str]) -> float:
            asked.append(list(phrases))
            return logprob

        wake = verify.factory(WakeConfig(), scorer, SileroVad)()
        return sum(len(wake.process(f)) for f in frames_of(audio, FRAME))

    assert run(0.0) == 1 and asked and asked[0][0] == "Hey Jarvis"
    assert run(-20.0) == 0
    model_only = verify.factory(WakeConfig(verify=False), None, None)()
    assert not isinstance(model_only, verify.VerifiedWake)

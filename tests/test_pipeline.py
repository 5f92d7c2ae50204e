"""The run state machine with scripted engines: order of events, follow-ups, failures, announcements."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from prometheus_client import generate_latest

from assistant.config import Config
from assistant.errors import BrainError
from assistant.events import (
    Announcement,
    Event,
    EventBus,
    RunFailed,
    SpeakingStarted,
    SpeechEnded,
    StateChanged,
    Transcribed,
    Understood,
    WakeDetected,
    WakeSuppressed,
)
from assistant.intents import Understanding
from assistant.metrics import Metrics
from assistant.pipeline import HOLD_ANNOUNCEMENT_MAX_S, Pipeline, strip_wake_words
from assistant.stt.base import Transcript
from assistant.wake.base import Detection

FRAME = 1280
WAKE, SPEECH, QUIET = 3000, 2000, 0


def frames(*parts: tuple[int, float]) -> list[np.ndarray]:
    """(amplitude marker, seconds) pieces as 80 ms frames; the marker tells the fakes what the frame is."""
    out = []
    for marker, seconds in parts:
        out += [np.full(FRAME, marker, dtype=np.int16) for _ in range(round(seconds / 0.08))]
    return out


class ListSource:
    frame_samples = FRAME

    def __init__(self, fr: list[np.ndarray]) -> None:
        self.fr = fr

    def frames(self) -> Iterator[np.ndarray]:
        yield from self.fr

    def close(self) -> None:
        pass


class FakeWake:
    words = ("hey_jarvis",)

    def __init__(self) -> None:
        self.run = 0
        self.resets = 0

    def process(self, frame: np.ndarray) -> list[Detection]:
        if frame[0] == WAKE:
            self.run += 1
            if self.run == 5:  # the end of the phrase
                return [Detection("hey_jarvis", 0.99, 0.0)]
        else:
            self.run = 0
        return []

    def reset(self) -> None:
        self.resets += 1
        self.run = 0


class FakeVad:
    def speech_prob(self, frame: np.ndarray) -> float:
        return 0.9 if frame[-1] in (SPEECH, WAKE) else 0.05

    def reset(self) -> None:
        pass


class FakeStt:
    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.calls = 0
        self.audios: list[np.ndarray] = []

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        self.calls += 1
        self.audios.append(audio)
        speech_s = float(np.sum(audio == SPEECH)) / 16000
        text = self.texts.pop(0) if self.texts and speech_s > 0 else ""
        return Transcript(text, language or "en", len(audio) / 16000, 0.01)


class FakeBrain:
    def __init__(self, replies: list[Understanding | Exception]) -> None:
        self.replies = replies
        self.heard: list[str] = []
        self.prefetched: list[tuple[str, Callable[[], bool] | None]] = []

    def understand(self, text: str, **kw: object) -> Understanding:
        self.heard.append(text)
        r = self.replies.pop(0)
        if isinstance(r, Exception):
            raise r
        return r

    def prefetch(self, text: str, *, stop: Callable[[], bool] | None = None, **kw: object) -> None:
        self.prefetched.append((text, stop))


class FakeTts:
    sample_rate = 16000

    def synthesize(self, text: str, language: str = "en") -> Iterator[np.ndarray]:
        for _sentence in text.split("."):
            if _sentence.strip():
                yield np.full(800, 100, dtype=np.int16)


class ListSink:
    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.cancelled = 0

    def write(self, chunk: np.ndarray, sample_rate: int) -> None:
        self.chunks.append(chunk)

    def cancel(self) -> None:
        self.cancelled += 1

    @property
    def playing(self) -> bool:
        return False

    def close(self) -> None:
        pass


def make(
    stt_texts: list[str], replies: list[Understanding | Exception]
) -> tuple[Pipeline, list[Event], ListSink, FakeBrain]:
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    sink = ListSink()
    brain = FakeBrain(replies)
    cfg = Config().replace("vad", trailing_silence_s=0.4, min_speech_s=0.16, no_speech_timeout_s=1.0)
    p = Pipeline(cfg, wake=FakeWake(), vad=FakeVad(), stt=FakeStt(stt_texts), brain=brain, tts=FakeTts(),
                 sink=sink, bus=bus)
    return p, events, sink, brain


def types(events: list[Event]) -> list[str]:
    return [e.type for e in events if not isinstance(e, StateChanged)]


def test_wake_listen_transcribe_think_speak_in_order() -> None:
    p, events, sink, brain = make(["Turn on the light."], [Understanding("x", "Done. The light is on.", path="fast")])
    p.run(ListSource(frames((QUIET, 1), (WAKE, 0.4), (QUIET, 0.2), (SPEECH, 1.2), (QUIET, 1.0))))
    t = types(events)
    order = ["WakeDetected", "SpeechStarted", "SpeechEnded", "Transcribed", "Understood", "SpeakingStarted",
             "SpeakingFinished", "RunFinished"]
    assert [x for x in t if x in order] == order
    assert brain.heard == ["Turn on the light."]
    assert len(sink.chunks) == 2  # one chunk per sentence
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    assert ended.reason == "silence"
    states = [e.state for e in events if isinstance(e, StateChanged)]
    assert states[:4] == ["idle", "listening", "thinking", "speaking"] and states[-1] == "idle"


def test_brain_starts_on_the_guess_and_a_guess_overtaken_by_speech_is_stopped() -> None:
    p, events, sink, brain = make(["Turn on", "Turn on the light."], [Understanding("x", "Done.", path="llm")])
    p.run(ListSource(frames((WAKE, 0.4), (QUIET, 0.2), (SPEECH, 0.8), (QUIET, 0.16), (SPEECH, 0.8),
                            (QUIET, 1.0))))
    assert brain.heard == ["Turn on the light."]
    final = [stop for text, stop in brain.prefetched if text == "Turn on the light."]
    assert len(final) == 1 and final[0] is not None and not final[0]()
    assert all(stop is not None and stop() for text, stop in brain.prefetched if text != "Turn on the light.")


def test_transcribed_audio_starts_at_the_wake_phrase_found_by_vad() -> None:
    for gap_s in (0.0, 0.24, 0.72):  # one breath, a short and a long pause
        p, events, sink, brain = make(["Hey Jarvis, turn on the light."], [Understanding("x", "Done.", path="fast")])
        parts = [(SPEECH, 0.8), (QUIET, 0.8), (WAKE, 0.4)] + ([(QUIET, gap_s)] if gap_s else [])
        p.run(ListSource(frames(*parts, (SPEECH, 1.0), (QUIET, 1.0))))
        audio = p.stt.audios[-1]  # type: ignore[attr-defined]
        # the whole phrase and the whole command, not the talk before the pause
        assert (audio == WAKE).sum() == 5 * FRAME and (audio == SPEECH).sum() == 12 * FRAME
        lead = np.flatnonzero(audio == WAKE)[0] / 16000
        assert 0.0 < lead <= 0.2
        assert brain.heard == ["turn on the light."]


def test_no_wake_word_means_nothing_happens() -> None:
    p, events, sink, brain = make(["hello"], [])
    p.run(ListSource(frames((QUIET, 0.5), (SPEECH, 2), (QUIET, 1))))
    assert not [e for e in events if isinstance(e, WakeDetected | Transcribed | Understood)]
    assert not sink.chunks and not brain.heard


def test_nobody_speaks_after_wake_times_out() -> None:
    p, events, sink, brain = make([], [])
    p.run(ListSource(frames((WAKE, 0.4), (QUIET, 2.0))))
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ended) == 1 and ended[0].reason == "timeout"
    assert not brain.heard and not sink.chunks


def test_failed_run_is_reported_spoken_and_loop_goes_on() -> None:
    p, events, sink, brain = make(
        ["first", "second"], [BrainError("model exploded"), Understanding("second", "OK.", path="fast")]
    )
    cmd = [(WAKE, 0.4), (QUIET, 0.2), (SPEECH, 0.8), (QUIET, 1.0)]
    p.run(ListSource(frames(*cmd, *cmd)))
    failed = [e for e in events if isinstance(e, RunFailed)]
    assert len(failed) == 1 and failed[0].code == "brain_error" and "exploded" in failed[0].message
    spoken = [e.text for e in events if isinstance(e, SpeakingStarted)]
    assert spoken[0].startswith("Sorry") and spoken[1] == "OK."
    assert brain.heard == ["first", "second"]


def test_question_opens_follow_up_without_wake_word() -> None:
    p, events, sink, brain = make(
        ["unlock the front door", "yes"],
        [Understanding("u", "Are you sure?", expects_reply=True), Understanding("yes", "Unlocked.")],
    )
    p.run(ListSource(frames((WAKE, 0.4), (QUIET, 0.2), (SPEECH, 0.8), (QUIET, 0.8), (SPEECH, 0.5), (QUIET, 1.0))))
    assert brain.heard == ["unlock the front door", "yes"]
    assert len([e for e in events if isinstance(e, WakeDetected)]) == 1


def test_announcement_is_spoken_while_idle_and_cancel_stops_it() -> None:
    p, events, sink, brain = make([], [])
    p.bus.publish(Announcement(text="The pasta timer is done.", source="timer"))
    p.run(ListSource(frames((QUIET, 0.3))))
    assert [e.text for e in events if isinstance(e, SpeakingStarted)] == ["The pasta timer is done."]
    p.bus.publish(Announcement(text="Another one."))
    p.cancel()
    assert sink.cancelled == 1


def test_muted_pipeline_ignores_wake_word() -> None:
    p, events, sink, brain = make(["x"], [Understanding("x", "y")])
    p.set_muted(True)
    p.run(ListSource(frames((WAKE, 0.4), (QUIET, 0.2), (SPEECH, 0.8), (QUIET, 1.0))))
    assert not [e for e in events if isinstance(e, WakeDetected)]


class LiveSource(ListSource):
    live = True


class LongTts(FakeTts):
    def synthesize(self, text: str, language: str = "en") -> Iterator[np.ndarray]:
        yield np.full(16000, 100, dtype=np.int16)  # one second of Hearth's voice


def test_wake_word_in_our_own_ring_is_suppressed_published_and_counted() -> None:
    p, events, sink, brain = make([], [])
    p.tts = LongTts()
    metrics = Metrics(p.bus)
    p.bus.publish(Announcement(text="The pasta timer is done.", source="timer"))
    # The ring plays for 1 s; the microphone hears the wake word in it, then a real one after it.
    p.run(LiveSource(frames((QUIET, 0.08), (WAKE, 0.8), (QUIET, 0.4), (WAKE, 0.4), (QUIET, 1.5))))
    suppressed = [e for e in events if isinstance(e, WakeSuppressed)]
    assert [(e.word, e.reason) for e in suppressed] == [("hey_jarvis", "ring")]
    assert len([e for e in events if isinstance(e, WakeDetected)]) == 1  # only the real one
    text = generate_latest(metrics.registry).decode()
    assert 'hearth_self_wakes_suppressed_total{reason="ring"} 1.0' in text


def test_strip_wake_words() -> None:
    words = ("hey_jarvis", "/models/ok_nabu_v0.1.onnx")
    assert strip_wake_words("Hey Jarvis, turn on the light.", words) == "turn on the light."
    assert strip_wake_words("Jarvis turn on the light", words) == "turn on the light"
    assert strip_wake_words("nabu, what time is it?", words) == "what time is it?"
    assert strip_wake_words("Turn on Jarvis's lamp", words) == "Turn on Jarvis's lamp"
    assert strip_wake_words("Hey Jervis. Turn off the kitchen light.", words) == "Turn off the kitchen light."
    assert strip_wake_words("A Jarvis, what time is it?", words) == "what time is it?"
    assert strip_wake_words("Okay so, hey Jarvis, lock the door", words) == "lock the door"
    assert strip_wake_words("Harvest the garden", words) == "Harvest the garden"
    assert strip_wake_words("Hey, turn on the light", words) == "Hey, turn on the light"
    assert strip_wake_words("", words) == ""


class AnnouncingSource(ListSource):
    """Frames, with an announcement published on the bus as frame ``at`` is read."""

    def __init__(self, fr: list[np.ndarray], bus: EventBus, at: int, text: str) -> None:
        super().__init__(fr)
        self.bus, self.at, self.text = bus, at, text

    def frames(self) -> Iterator[np.ndarray]:
        for i, f in enumerate(self.fr):
            if i == self.at:
                self.bus.publish(Announcement(text=self.text, source="homeassistant"))
            yield f


def test_announcement_arriving_during_the_wake_phrase_waits_and_the_wake_is_kept() -> None:
    p, events, sink, brain = make(["Turn on the light."], [Understanding("x", "Done.", path="fast")])
    fr = frames((QUIET, 0.8), (WAKE, 0.4), (QUIET, 0.2), (SPEECH, 0.8), (QUIET, 2.0))
    p.run(AnnouncingSource(fr, p.bus, at=12, text="The washing machine has finished."))  # mid-phrase
    assert [e for e in events if isinstance(e, WakeDetected)]
    assert brain.heard == ["Turn on the light."]
    spoken = [e.text for e in events if isinstance(e, SpeakingStarted)]
    assert spoken == ["Done.", "The washing machine has finished."]  # after the command, not inside it


def test_a_voice_that_never_pauses_holds_an_announcement_back_only_a_few_seconds() -> None:
    p, events, sink, brain = make([], [])
    at_s: list[float] = []
    p.bus.subscribe(lambda e: at_s.append(p._t_s), SpeakingStarted)
    fr = frames((QUIET, 0.8), (SPEECH, 8.0))
    p.run(AnnouncingSource(fr, p.bus, at=12, text="Your timer is done."))  # 0.96 s: the voice is on
    assert [e.text for e in events if isinstance(e, SpeakingStarted)] == ["Your timer is done."]
    assert 0.96 + HOLD_ANNOUNCEMENT_MAX_S - 0.2 <= at_s[0] <= 0.96 + HOLD_ANNOUNCEMENT_MAX_S + 0.2

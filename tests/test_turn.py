"""The end-of-turn policy: which words can end a command, how long a pause must last after each,
and the pipeline ending a turn early after a whole command and late after an unfinished one."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from assistant.config import Config, VadConfig
from assistant.events import SpeechEnded
from assistant.intents import Understanding
from assistant.turn import TurnGuess, TurnPolicy, Verdict, open_ended, silence_needed_s
from tests.test_pipeline import QUIET, SPEECH, WAKE, FakeBrain, ListSource, frames, make


@pytest.mark.parametrize("text", [
    "turn on the", "Turn on the...", "set the bedroom to", "Set the bedroom light to",
    "turn on the kitchen light and", "Switch off the lights in the", "What's the temperature in the",
    "Set a timer for", "turn the kitchen light", "Could you", "turn off the hallway light, and",
    "um", "Turn on the kitchen light,",
])
def test_english_words_that_cannot_end_a_command(text: str) -> None:
    assert open_ended(text)


@pytest.mark.parametrize("text", [
    "Turn on the kitchen light.", "turn the kitchen light off", "Is the garage door open?",
    "What time is it?", "Set the bedroom light to forty percent.", "Thank you.",
    "Turn off the lights in the bedroom please", "It's way too dark in the office.", "Tell me what time it is",
])
def test_english_words_that_can_end_a_command(text: str) -> None:
    assert not open_ended(text)


@pytest.mark.parametrize("text", [
    "把客厅的", "打开厨房的灯和", "把卧室的灯", "打开", "请帮我打开", "把空调", "把卧室的灯调到", "打开厨房的灯，",
    "然后", "把客厅的灯调成",
])
def test_chinese_words_that_cannot_end_a_command(text: str) -> None:
    assert open_ended(text)


@pytest.mark.parametrize("text", [
    "把客厅的灯打开", "打开厨房的灯", "把空调打开。", "现在几点了", "卧室有点暗，帮我开一下灯", "关掉客厅的灯",
    "把卧室的灯调到百分之五十",
])
def test_chinese_words_that_can_end_a_command(text: str) -> None:
    assert not open_ended(text)


def test_policy_waits_short_after_a_whole_command_and_long_after_an_unfinished_one() -> None:
    p = TurnPolicy.from_config(VadConfig(trailing_silence_s=0.45, complete_silence_s=0.15,
                                         incomplete_silence_s=1.0))
    assert p.silence_needed_s(Verdict.COMPLETE) == 0.15
    assert p.silence_needed_s(Verdict.UNSURE) == 0.45
    assert p.silence_needed_s(Verdict.INCOMPLETE) == 1.0
    assert p.silence_needed_s(Verdict.PENDING) == 1.0  # unknown words never end the turn early
    fixed = TurnPolicy.from_config(VadConfig(trailing_silence_s=0.45, semantic_end=False))
    assert {fixed.silence_needed_s(v) for v in Verdict} == {0.45}


def test_a_pending_verdict_is_awaited_only_once_the_pause_is_long_enough() -> None:
    p = TurnPolicy(0.15, 0.45, 1.0)
    guess = TurnGuess()
    threading.Timer(0.05, guess.decide, args=(Verdict.COMPLETE, "turn on the light")).start()
    assert silence_needed_s(p, guess, 0.08, live=False, frame_s=0.08) == 1.0  # too early to wait
    assert silence_needed_s(p, guess, 0.16, live=False, frame_s=0.08) == 0.15  # from a file: waits
    slow = TurnGuess()
    t0 = time.monotonic()
    assert silence_needed_s(p, slow, 0.16, live=True, frame_s=0.08) == 1.0  # live: less than a frame
    assert time.monotonic() - t0 < 0.2
    slow.decide(Verdict.INCOMPLETE)
    slow.decide(Verdict.COMPLETE)  # the first verdict stands
    assert slow.verdict is Verdict.INCOMPLETE


class JudgingBrain(FakeBrain):
    """Says whether the guessed words make a whole command, as the real brain's prefetch does."""

    def __init__(self, replies: list[Understanding | Exception], whole: Callable[[str], bool | None]) -> None:
        super().__init__(replies)
        self.whole = whole

    def prefetch(self, text: str, *, stop: Callable[[], bool] | None = None, **kw: object) -> bool | None:
        super().prefetch(text, stop=stop, **kw)
        return self.whole(text)


def _run(texts: list[str], pattern: list[tuple[int, float]], whole: Callable[[str], bool | None],
         **vad: object) -> tuple[list[SpeechEnded], list[str]]:
    p, events, _sink, _brain = make(texts, [Understanding("x", "Done.", path="fast")] * 3)
    brain = JudgingBrain(_brain.replies, whole)
    p.brain = brain
    if vad:
        p.cfg = p.cfg.replace("vad", **vad)
        p.turn_policy = TurnPolicy.from_config(p.cfg.vad)
    p.run(ListSource(frames(*pattern)))
    return [e for e in events if isinstance(e, SpeechEnded)], brain.heard


def test_a_whole_command_ends_after_a_short_pause() -> None:
    pattern = [(WAKE, 0.4), (QUIET, 0.24), (SPEECH, 1.2), (QUIET, 1.2)]
    speech_end_s = 0.4 + 0.24 + 1.2
    (ended,), heard = _run(["Turn on the light."], pattern, lambda t: True)
    assert heard == ["Turn on the light."]
    assert ended.t_s - speech_end_s == pytest.approx(0.16)
    (ended,), _ = _run(["Turn on the light."], pattern, lambda t: None)  # unsure: the usual wait
    assert ended.t_s - speech_end_s == pytest.approx(0.4)
    (ended,), _ = _run(["Turn on the light."], pattern, lambda t: True, semantic_end=False)
    assert ended.t_s - speech_end_s == pytest.approx(0.4)


@pytest.mark.parametrize("first,final", [("Turn on the", "Turn on the kitchen light."),
                                         ("把客厅的", "把客厅的灯打开"),
                                         ("Turn on the kitchen light and", "Turn on the kitchen light and the fan.")])
def test_a_pause_inside_an_unfinished_command_does_not_end_it(first: str, final: str) -> None:
    pattern = [(WAKE, 0.4), (QUIET, 0.24), (SPEECH, 0.8), (QUIET, 0.64), (SPEECH, 0.8), (QUIET, 1.6)]
    # The brain would take either reading as a whole command: only the words' open end holds the turn.
    ends, heard = _run([first, final], pattern, lambda t: True)
    assert heard == [final] and len(ends) == 1
    assert ends[0].t_s == pytest.approx(0.4 + 0.24 + 0.8 + 0.64 + 0.8 + 0.16)


def test_unfinished_words_end_the_turn_after_the_long_wait() -> None:
    pattern = [(WAKE, 0.4), (QUIET, 0.24), (SPEECH, 0.8), (QUIET, 2.0)]
    (ended,), heard = _run(["Turn on the"], pattern, lambda t: True)
    assert heard == ["Turn on the"]
    waited = ended.t_s - (0.4 + 0.24 + 0.8)
    assert Config().vad.incomplete_silence_s <= waited < Config().vad.incomplete_silence_s + 0.08  # 80 ms frames

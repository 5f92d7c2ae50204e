"""The confirmation gate: whole-utterance yes, undo and follow-ups gated, rooms and nodes, spoken PIN."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from assistant.brain import gate
from assistant.brain.fastpath import FastPath
from assistant.brain.gate import Gate, is_yes, load_pin, spoken_digits
from assistant.brain.service import HearthBrain
from assistant.config import SecurityConfig
from assistant.errors import ConfigError
from assistant.events import EventBus, Understood
from assistant.home import inventory
from assistant.home.inventory import Inventory
from assistant.skillkit.registry import SkillRegistry

REG = SkillRegistry.discover()
DEMO = inventory.load(inventory.bundled_path())
FAST = FastPath(DEMO)


class Clock:
    t = 0.0

    def __call__(self) -> float:
        return self.t


def home(tmp_path: Path, **states: str) -> Inventory:
    """The demo home with some entities in another state."""
    data = json.loads(inventory.bundled_path().read_text(encoding="utf-8"))
    for e in data["entities"]:
        if e["entity_id"] in states:
            e["state"] = states[e["entity_id"]]
    p = tmp_path / "home.json"
    p.write_text(json.dumps(data), encoding="utf-8")
    return inventory.load(p)


def make(inv: Inventory = DEMO, g: Gate | None = None, bus: EventBus | None = None) -> HearthBrain:
    if g is None:
        g = Gate((s for k in REG for s in k.sensitive), (s for k in REG for s in k.services))
    return HearthBrain(inv, REG, fast_path=FAST, bus=bus, gate=g, clock=Clock(), followup_window_s=8.0)


def acts(u) -> list[tuple[str, str | None]]:
    return [(a.service, a.entity_id) for i in u.intents for a in i.actions]


@pytest.mark.parametrize("text", [
    "yes", "Yes.", "yeah", "yes please", "Yes, do it.", "okay go ahead", "sure", "yep", "I'm sure",
    "that's right", "absolutely", "是", "是的", "好的", "好", "确定", "可以", "嗯", "对的",
    "好的，确定。", "确认", "行",
])
def test_a_whole_utterance_yes(text: str) -> None:
    assert is_yes(text)


@pytest.mark.parametrize("text", [
    "yeah no", "okay don't", "no", "yes but not the front door", "sure, in a minute", "ok wait",
    "please", "yes no", "not yet", "okay, cancel", "ok stop", "I don't know", "yes turn off the light",
    "好的不要", "不", "不要", "不确定", "好的，等一下", "可以吗", "是不是", "不行", "算了", "", "   ",
])
def test_not_a_yes(text: str) -> None:
    assert not is_yes(text)


def test_a_no_keeps_the_lock_locked_and_a_yes_is_needed_for_each_request() -> None:
    b = make()
    assert "Are you sure" in b.understand("unlock the front door", conversation_id="c").reply
    no = b.understand("yeah no", conversation_id="c")
    assert not no.intents and no.reply == "Okay, I won't."
    b.understand("unlock the front door", conversation_id="c")
    assert acts(b.understand("yes", conversation_id="c")) == [("lock.unlock", "lock.front_door")]
    again = b.understand("yes", conversation_id="c")  # a second yes confirms nothing
    assert not again.intents


def test_undo_that_would_unlock_asks_first(tmp_path: Path) -> None:
    b = make(home(tmp_path, **{"lock.front_door": "unlocked"}))
    b.understand("lock the front door", conversation_id="u")
    locked = b.understand("yes", conversation_id="u")
    assert acts(locked) == [("lock.lock", "lock.front_door")]
    ask = b.understand("undo", conversation_id="u")
    assert not ask.intents and ask.expects_reply and "unlock the Front Door" in ask.reply
    assert not b.understand("okay don't", conversation_id="u").intents
    assert not b.understand("undo", conversation_id="u").intents  # the undo was used up, nothing replays


def test_undo_runs_once_confirmed(tmp_path: Path) -> None:
    b = make(home(tmp_path, **{"lock.front_door": "unlocked"}))
    b.understand("lock the front door", conversation_id="u")
    b.understand("yes", conversation_id="u")
    b.understand("撤销", conversation_id="u")
    assert acts(b.understand("好的", conversation_id="u")) == [("lock.unlock", "lock.front_door")]


def test_undo_of_a_light_needs_no_confirmation() -> None:
    b = make()
    b.understand("turn on the kitchen light", conversation_id="l")
    assert acts(b.understand("undo", conversation_id="l"))


def test_a_confirmed_call_runs_on_the_home_as_it_is_at_the_yes(tmp_path: Path) -> None:
    b = make()
    b.understand("unlock the front door", conversation_id="s")
    data = json.loads(inventory.bundled_path().read_text(encoding="utf-8"))
    data["entities"] = [e for e in data["entities"] if e["entity_id"] != "lock.front_door"]
    p = tmp_path / "gone.json"
    p.write_text(json.dumps(data), encoding="utf-8")
    b.set_inventory(inventory.load(p))  # the household hid the lock meanwhile
    assert not b.understand("yes", conversation_id="s").intents


def test_sensitive_actions_only_from_chosen_rooms() -> None:
    g = Gate(areas=["Hallway"])
    b = make(g=g)
    refused = b.understand("unlock the front door", area="kitchen", conversation_id="r")
    assert not refused.intents and not refused.expects_reply and "this room" in refused.reply
    assert b.understand("unlock the front door", area="hallway", conversation_id="r").expects_reply
    assert acts(b.understand("yes", area="hallway", conversation_id="r")) == [("lock.unlock", "lock.front_door")]
    assert not make(g=g).understand("unlock the front door", conversation_id="x").expects_reply  # no room known
    assert acts(b.understand("turn on the kitchen light", area="kitchen"))  # the rest is not limited


def test_sensitive_actions_only_from_chosen_nodes() -> None:
    b = make(g=Gate(nodes=["hall"], node_id="kitchen"))
    assert "this room" in b.understand("open the garage door", conversation_id="n").reply
    b2 = make(g=Gate(nodes=["hall"], node_id="hall"))
    assert b2.understand("open the garage door", conversation_id="n").expects_reply


def test_pin_is_asked_after_yes_and_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bus = EventBus()
    seen: list[Understood] = []
    bus.subscribe(seen.append, Understood)
    b = make(g=Gate(pin="4711"), bus=bus)
    b.understand("unlock the front door", conversation_id="p")
    assert b.understand("yes", conversation_id="p").reply == "Please say your PIN."
    assert b.expects_secret("p")
    wrong = b.understand("4 7 1 2", conversation_id="p")
    assert not wrong.intents and "PIN" in wrong.reply and wrong.text == gate.PIN_MASK
    b.understand("unlock the front door", conversation_id="p")
    b.understand("yes", conversation_id="p")
    ok = b.understand("four seven one one", conversation_id="p")
    assert acts(ok) == [("lock.unlock", "lock.front_door")] and ok.text == gate.PIN_MASK
    b.understand("解锁前门", conversation_id="p")
    b.understand("是的", conversation_id="p")
    assert acts(b.understand("四七幺幺", conversation_id="p"))
    assert all("4711" not in spoken_digits(x.text) for c in b.memory._convs.values() for x in c.history)
    texts = [e.understanding.text for e in seen]
    assert gate.PIN_MASK in texts and not any("4711" in spoken_digits(t) or "471" in t for t in texts)
    assert "4711" not in caplog.text and "4 7 1" not in caplog.text and "seven one" not in caplog.text


def test_a_no_instead_of_yes_never_asks_for_the_pin() -> None:
    b = make(g=Gate(pin="4711"))
    b.understand("unlock the front door", conversation_id="q")
    assert b.understand("okay don't", conversation_id="q").reply == "Okay, I won't."
    assert not b.expects_secret("q")


def test_wrong_pins_lock_sensitive_actions_for_a_while() -> None:
    clock = Clock()
    b = make(g=Gate(pin="4711", clock=clock))
    for _ in range(gate.MAX_PIN_FAILURES):
        b.understand("unlock the front door", conversation_id="w")
        b.understand("yes", conversation_id="w")
        b.understand("1234", conversation_id="w")
    b.understand("unlock the front door", conversation_id="w")
    locked = b.understand("yes", conversation_id="w")
    assert not locked.intents and "Too many" in locked.reply
    clock.t += gate.LOCKOUT_S + 1
    b.understand("unlock the front door", conversation_id="w")
    b.understand("yes", conversation_id="w")
    assert acts(b.understand("4711", conversation_id="w"))


def test_pin_from_env_or_file_and_bad_pins_are_config_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_pin(SecurityConfig()) is None
    monkeypatch.setenv("TEST_HEARTH_PIN", "902113")
    assert load_pin(SecurityConfig(pin_env="TEST_HEARTH_PIN")) == "902113"
    f = tmp_path / "pin"
    f.write_text("5550\n")
    assert load_pin(SecurityConfig(pin_env="UNSET_HEARTH_PIN", pin_file=str(f))) == "5550"
    f.write_text("12ab\n")
    with pytest.raises(ConfigError) as e:
        load_pin(SecurityConfig(pin_file=str(f)))
    assert "12ab" not in e.value.message
    with pytest.raises(ConfigError):
        load_pin(SecurityConfig(pin_env="UNSET_HEARTH_PIN"))


def test_a_spoken_pin_never_reaches_the_events_of_a_run() -> None:
    """Through the real pipeline: the PIN turn's transcript is masked before it is published."""
    import numpy as np

    from assistant.config import Config
    from assistant.events import Event, Transcribed
    from assistant.pipeline import Pipeline
    from assistant.stt.base import Transcript
    from tests.test_pipeline import WAKE, FakeTts, FakeWake, ListSink, ListSource, frames

    said = {2001: "unlock the front door", 2002: "yes", 2003: "4 7 1 1"}

    class Vad:
        def speech_prob(self, frame: np.ndarray) -> float:
            return 0.9 if frame[-1] == WAKE or frame[-1] in said else 0.05

        def reset(self) -> None:
            pass

    class Stt:
        def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
            marks = [m for m in said if np.any(audio == m)]
            return Transcript(said[marks[-1]] if marks else "", "en", len(audio) / 16000, 0.01)

    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    brain = make(g=Gate(pin="4711"), bus=bus)
    brain.publish = False  # the pipeline publishes Understood with its run id
    cfg = Config().replace("vad", trailing_silence_s=0.4, min_speech_s=0.16, no_speech_timeout_s=2.0)
    p = Pipeline(cfg, wake=FakeWake(), vad=Vad(), stt=Stt(), brain=brain, tts=FakeTts(), sink=ListSink(), bus=bus)
    p.run(ListSource(frames((0, 1), (WAKE, 0.4), (0, 0.2), (2001, 1.2), (0, 1.0), (2002, 0.8), (0, 1.0),
                            (2003, 1.2), (0, 1.5))))
    texts = [e.text for e in events if isinstance(e, Transcribed)]
    assert texts == ["unlock the front door", "yes", gate.PIN_MASK]
    done = [e.understanding for e in events if isinstance(e, Understood)]
    assert [(a.service, a.entity_id) for a in done[-1].intents[0].actions] == [("lock.unlock", "lock.front_door")]
    assert all("4 7 1 1" not in repr(e) for e in events)

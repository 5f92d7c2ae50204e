"""A call that goes against the one way the words say is turned into its twin (no model needed)."""

from __future__ import annotations

from assistant.brain.llm_base import LlmResult
from assistant.brain.polarity import align, said
from assistant.brain.service import HearthBrain
from assistant.home import inventory
from assistant.home.inventory import Inventory
from assistant.skillkit.registry import SkillRegistry
from assistant.skillkit.spec import ToolCall


def test_the_words_say_one_way_or_none() -> None:
    assert said("kill the fan for me") == "off"
    assert said("could you get the Patio Speaker going") == "on"
    assert said("turn the fan on") == "on" and said("switch the bedroom light off please") == "off"
    assert said("unmute the tv") == "on" and said("取消静音") == "on"  # their "mute" is no off-word
    assert said("把声音关掉") == "off" and said("freeze the tea timer") == "off"
    assert said("turn the fan on and the light off") is None  # both ways
    assert said("turn off the light on the porch") == "off"  # "on" here is no on-word
    assert said("don't turn off the hall light") is None  # negated
    assert said("is the kitchen light on") is None and said("set the bedroom to 40 percent") is None


def test_a_call_against_the_words_becomes_its_twin() -> None:
    assert align(ToolCall("HassMediaPlayerUnmute", {}), "把声音关掉") == ToolCall("HassMediaPlayerMute", {})
    timer = {"name": "tea"}
    assert align(ToolCall("HassUnpauseTimer", timer), "freeze the tea timer") == ToolCall("HassPauseTimer", timer)
    fan = {"name": "Study Fan"}
    assert align(ToolCall("HassTurnOn", fan), "kill the study fan", {"fan"}) == ToolCall("HassTurnOff", fan)
    assert align(ToolCall("HassTurnOff", fan), "kill the study fan", {"fan"}) == ToolCall("HassTurnOff", fan)
    start = ToolCall("HassStartTimer", {"minutes": 5})
    assert align(start, "stop, no, start a five minute timer") == start  # no twin


def test_a_lock_is_never_turned_around() -> None:
    """For a lock "on" is locked; "打开前门锁" unlocks (off) though 打开 reads as on."""
    unlock = ToolCall("HassTurnOff", {"name": "Front Door"})
    assert align(unlock, "打开前门锁", {"lock"}) == unlock
    assert align(unlock, "打开前门锁") == unlock  # targets unknown, the words speak of a lock


class Backwards:
    """An LLM stand-in that always answers the twin of what was asked."""

    def warm(self, tools: object, inventory: Inventory) -> None:
        return None

    def call(self, text: str, **_: object) -> LlmResult:
        wrong = ToolCall("HassTurnOn", {"name": "Desk Lamp"}) if "off" in text else ToolCall(
            "HassTurnOff", {"name": "Desk Lamp"})
        return LlmResult(call=wrong, ask=None, raw="", ms=0.0)


def test_the_brain_acts_the_way_the_words_say() -> None:
    home = inventory.load(inventory.bundled_path())
    brain = HearthBrain(home, SkillRegistry.discover(), tool_caller=Backwards())  # type: ignore[arg-type]
    u = brain.understand("would you kindly power the desk lamp off", execute=False)
    assert u.path == "llm" and [a.service for i in u.intents for a in i.actions] == ["light.turn_off"]
    u = brain.understand("get the desk lamp going again", execute=False)
    assert u.path == "llm" and [a.service for i in u.intents for a in i.actions] == ["light.turn_on"]

"""The brain with a scripted tool caller: paths, off-topic, errors, follow-ups, confirmation, events."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import pytest

from assistant.brain.fastpath import FastPath
from assistant.brain.llm_base import LlmResult, Turn
from assistant.brain.service import HearthBrain
from assistant.events import Announcement, EventBus, Understood
from assistant.home import inventory
from assistant.home.inventory import Inventory
from assistant.skillkit.registry import SkillRegistry
from assistant.skillkit.spec import ToolCall, ToolSpec
from assistant.skillkit.timers import TimerManager

INV = inventory.load(inventory.bundled_path())
REG = SkillRegistry.discover()
FAST = FastPath(INV)


class ScriptedCaller:
    """Answers with queued results, recording what it was asked."""

    def __init__(self) -> None:
        self.queue: list[LlmResult | Exception] = []
        self.asked: list[tuple[str, str | None, str, list[Turn], int]] = []

    def enqueue(self, call: ToolCall | None = None, ask: str | None = None) -> None:
        self.queue.append(LlmResult(call=call, ask=ask))

    def call(self, text: str, *, tools: Sequence[ToolSpec], inventory: Inventory, area: str | None = None,
             language: str = "en", history: Sequence[Turn] = (),
             stop: Callable[[], bool] | None = None) -> LlmResult:
        self.asked.append((text, area, language, list(history), len(tools)))
        out = self.queue.pop(0)
        if isinstance(out, Exception):
            raise out
        return out

    def warm(self, tools: Sequence[ToolSpec], inventory: Inventory) -> None:
        pass


class Clock:
    t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def llm() -> ScriptedCaller:
    return ScriptedCaller()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def brain(llm: ScriptedCaller, clock: Clock, bus: EventBus) -> HearthBrain:
    return HearthBrain(INV, REG, fast_path=FAST, tool_caller=llm, bus=bus, clock=clock,
                       timers=TimerManager(clock=clock), followup_window_s=8.0)


def acts(u) -> list[tuple[str, str]]:
    return [(a.service, a.entity_id) for i in u.intents for a in i.actions]


def test_fast_path_first_and_the_llm_is_not_asked(brain: HearthBrain, llm: ScriptedCaller) -> None:
    u = brain.understand("turn on the kitchen light")
    assert u.path == "fast" and acts(u) == [("light.turn_on", "light.kitchen")] and u.ms > 0
    assert llm.asked == []


def test_understands_without_the_llm(brain: HearthBrain, llm: ScriptedCaller) -> None:
    assert brain.understands("turn on the kitchen light")
    assert brain.understands("turn on the kitchen light and close the garage door")
    assert not brain.understands("lock the mac door")
    assert not brain.understands("get the coffee going") and llm.asked == []
    assert not brain.understands("  ")


def test_llm_path_runs_the_chosen_skill(brain: HearthBrain, llm: ScriptedCaller) -> None:
    llm.enqueue(ToolCall("HassTurnOn", {"name": "coffee maker"}))
    u = brain.understand("get the coffee going", area="kitchen")
    assert u.path == "llm" and acts(u) == [("switch.turn_on", "switch.coffee_maker")]
    text, area, lang, history, n_tools = llm.asked[0]
    assert (text, area, lang) == ("get the coffee going", "kitchen", "en") and n_tools == len([s for s in REG if s.llm])


def test_off_topic_never_acts(brain: HearthBrain, llm: ScriptedCaller) -> None:
    llm.enqueue(None)
    u = brain.understand("tell me a joke")
    assert u.path == "none" and not u.intents and u.reply == "Sorry, I can only help with the home."
    llm.enqueue(None)
    zh = brain.understand("给我讲个笑话")
    assert zh.language == "zh" and not zh.intents and zh.reply == "抱歉，我只能帮您处理家里的事情。"


def test_skill_errors_become_apologies(brain: HearthBrain, llm: ScriptedCaller) -> None:
    llm.enqueue(ToolCall("HassTurnOn", {"name": "kitchen light", "colour": "red"}))
    u = brain.understand("paint the kitchen light red please")
    assert not u.intents and u.reply.startswith("Sorry")
    llm.enqueue(ToolCall("HassLaunchRocket", {}))
    assert brain.understand("launch the rocket now").reply.startswith("Sorry")
    llm.queue.append(RuntimeError("model crashed"))
    u = brain.understand("do the thing with the stuff")
    assert not u.intents and u.reply == "Sorry, I didn't understand that."
    # ...and the next request is served normally.
    assert acts(brain.understand("turn off the desk lamp")) == [("light.turn_off", "light.desk_lamp")]


def test_llm_may_ask_back(brain: HearthBrain, llm: ScriptedCaller) -> None:
    llm.enqueue(None, ask="Which room?")
    u = brain.understand("make it cosy")
    assert u.reply == "Which room?" and u.expects_reply and not u.intents


def test_follow_ups_within_the_window(brain: HearthBrain, clock: Clock) -> None:
    brain.understand("turn on the kitchen light", conversation_id="c")
    u = brain.understand("and the bedroom too", conversation_id="c")
    assert set(acts(u)) == {("light.turn_on", "light.bedroom"), ("light.turn_on", "light.bedside_lamp")}
    clock.t += 2
    u = brain.understand("a bit brighter", conversation_id="c")
    changes = {(a.service, a.entity_id, a.data["brightness_step_pct"]) for i in u.intents for a in i.actions}
    assert changes == {("light.turn_on", "light.bedroom", 20), ("light.turn_on", "light.bedside_lamp", 20)}
    clock.t += 2
    u = brain.understand("turn them off", conversation_id="c")
    assert {a[0] for a in acts(u)} == {"light.turn_off"}
    clock.t += 2
    u = brain.understand("undo", conversation_id="c")
    assert u.reply == "Okay, I've put it back." and u.intents[0].slots == {"undo": True}
    clock.t += 20
    u = brain.understand("and the bedroom too", conversation_id="c")
    assert not u.intents  # too late: not a follow-up any more


def test_follow_ups_in_chinese(brain: HearthBrain) -> None:
    brain.understand("打开厨房灯", conversation_id="z")
    u = brain.understand("卧室也是", conversation_id="z")
    assert ("light.turn_on", "light.bedroom") in acts(u)
    assert acts(brain.understand("把它关掉", conversation_id="z"))[0][0] == "light.turn_off"


def test_confirmation_yes_executes_anything_else_cancels(brain: HearthBrain) -> None:
    ask = brain.understand("unlock the front door", conversation_id="d")
    assert ask.expects_reply and not ask.intents and "Are you sure" in ask.reply
    yes = brain.understand("yes", conversation_id="d")
    assert acts(yes) == [("lock.unlock", "lock.front_door")]
    brain.understand("unlock the front door", conversation_id="d")
    no = brain.understand("turn on the kitchen light", conversation_id="d")
    assert no.reply == "Okay, I won't." and not no.intents
    brain.understand("解锁前门", conversation_id="d")
    assert acts(brain.understand("是的", conversation_id="d")) == [("lock.unlock", "lock.front_door")]


def test_ambiguity_answer_picks_the_device(brain: HearthBrain, llm: ScriptedCaller) -> None:
    ask = brain.understand("turn on the lamp", conversation_id="e")
    assert ask.expects_reply and ask.reply.startswith("Which lamp")
    u = brain.understand("the desk lamp", conversation_id="e")
    assert acts(u) == [("light.turn_on", "light.desk_lamp")]


def test_events_published_only_when_executing(brain: HearthBrain, bus: EventBus) -> None:
    seen: list[Understood] = []
    bus.subscribe(seen.append, Understood)
    brain.understand("turn on the kitchen light", area="kitchen")
    assert len(seen) == 1 and seen[0].area == "kitchen" and seen[0].understanding.intents
    brain.understand("turn on the kitchen light", execute=False)
    assert len(seen) == 1


def test_dry_run_changes_nothing(brain: HearthBrain) -> None:
    brain.understand("set a timer for 5 minutes", execute=False, conversation_id="f")
    assert brain.timers.all() == []
    brain.understand("turn on the kitchen light", execute=False, conversation_id="f")
    assert not brain.understand("and the bedroom too", conversation_id="f").intents


def test_timer_rings_through_the_bus(brain: HearthBrain, bus: EventBus, clock: Clock) -> None:
    said: list[Announcement] = []
    bus.subscribe(said.append, Announcement)
    brain.understand("set a timer for 2 minutes")
    clock.t += 120
    brain.timers.tick()
    assert [a.text for a in said] == ["Your timer is done."] and said[0].source == "timer"


def test_inventory_swaps_live(brain: HearthBrain, llm: ScriptedCaller) -> None:
    from assistant.home.inventory import Entity

    lamp = Entity("light.reading_lamp", "Reading Lamp", (), "office", "off", {})
    brain.set_inventory(dataclasses.replace(INV, entities=(*INV.entities, lamp)))
    assert acts(brain.understand("turn on the reading lamp")) == [("light.turn_on", "light.reading_lamp")]
    assert llm.asked == []


def test_unknown_device_is_said_not_guessed(brain: HearthBrain, llm: ScriptedCaller) -> None:
    llm.enqueue(None)
    u = brain.understand("turn on the toaster")
    assert not u.intents and u.reply == "I don't know a device called toaster."


def test_prefetched_llm_answer_is_used_once_for_the_same_words(brain: HearthBrain, llm: ScriptedCaller,
                                                                bus: EventBus) -> None:
    seen: list[Understood] = []
    bus.subscribe(seen.append, Understood)
    llm.enqueue(ToolCall("HassTurnOn", {"name": "coffee maker"}))
    brain.prefetch("get the coffee going", area="kitchen")
    assert len(llm.asked) == 1 and not seen  # decided, but nothing acted on or announced yet
    u = brain.understand("get the coffee going", area="kitchen")
    assert u.path == "llm" and acts(u) == [("switch.turn_on", "switch.coffee_maker")]
    assert len(llm.asked) == 1 and len(seen) == 1
    llm.enqueue(ToolCall("HassTurnOn", {"name": "coffee maker"}))  # the answer was used up: asked again
    assert acts(brain.understand("get the coffee going", area="kitchen")) == [("switch.turn_on",
                                                                            "switch.coffee_maker")]
    assert len(llm.asked) == 2


def test_prefetch_never_serves_other_words_rooms_or_a_stopped_decode(brain: HearthBrain,
                                                                      llm: ScriptedCaller) -> None:
    llm.enqueue(ToolCall("HassTurnOn", {"name": "coffee maker"}))
    brain.prefetch("get the coffee", area="kitchen")
    llm.enqueue(None)
    assert not brain.understand("get the coffee going, no wait", area="kitchen").intents
    llm.enqueue(ToolCall("HassTurnOn", {"name": "coffee maker"}))
    brain.prefetch("get the coffee going", area="kitchen")
    llm.enqueue(None)
    assert not brain.understand("get the coffee going", area="office").intents
    llm.enqueue(ToolCall("HassTurnOn", {"name": "coffee maker"}))
    brain.prefetch("start the coffee", area="kitchen", stop=lambda: True)
    llm.enqueue(None)
    assert not brain.understand("start the coffee", area="kitchen").intents
    assert len(llm.asked) == 6 and not llm.queue


def test_prefetch_skips_what_templates_and_follow_ups_answer(brain: HearthBrain, llm: ScriptedCaller) -> None:
    brain.prefetch("turn on the kitchen light")
    brain.understand("turn on the kitchen light")
    brain.prefetch("and the bedroom")
    assert llm.asked == []


def test_a_loose_template_match_the_home_cannot_resolve_starts_the_llm_early(brain: HearthBrain,
                                                                             llm: ScriptedCaller) -> None:
    llm.enqueue(None)
    assert brain.prefetch("turn on the toaster") is False  # the templates guessed a name this home lacks
    assert len(llm.asked) == 1
    u = brain.understand("turn on the toaster")
    assert len(llm.asked) == 1 and u.reply == "I don't know a device called toaster."


def test_a_percentage_the_llm_miscopied_is_taken_from_the_words(brain: HearthBrain, llm: ScriptedCaller) -> None:
    llm.enqueue(ToolCall("HassSetPosition", {"name": "百叶窗", "position": 5}))
    u = brain.understand("把百叶窗打开到百分之五十")
    assert [a.data for i in u.intents for a in i.actions] == [{"position": 50}]

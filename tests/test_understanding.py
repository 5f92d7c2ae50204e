"""Understanding beyond one plain command: several at once, new intents, sensors, timers by duration
or room, fractional durations, mixed Chinese-English, named lists, area slots (templates, no LLM)."""

from __future__ import annotations

import pytest

from assistant.brain import compound, mixed, numbers
from assistant.brain.fastpath import FastPath
from assistant.brain.service import HearthBrain
from assistant.events import Broadcast, EventBus
from assistant.home import inventory
from assistant.intents import Understanding
from assistant.skillkit.registry import SkillRegistry
from assistant.skillkit.timers import TimerManager

INV = inventory.load(inventory.bundled_path())
REG = SkillRegistry.discover()
FAST = FastPath(INV)


class Clock:
    t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def brain() -> HearthBrain:
    return HearthBrain(INV, REG, fast_path=FAST, timers=TimerManager(clock=Clock()), bus=EventBus())


def acts(u: Understanding) -> list[tuple[str, str | None]]:
    return [(a.service, a.entity_id) for i in u.intents for a in i.actions]


def test_sentences_split_only_at_conjunctions_between_commands() -> None:
    assert compound.split("turn off the hall light and then close the blinds") == [
        "turn off the hall light", "close the blinds"]
    assert compound.split("关灯然后拉上窗帘") == ["关灯", "拉上窗帘"]
    assert compound.split("打开台灯再关掉吊扇") == ["打开台灯", "关掉吊扇"]
    assert compound.split("turn on the kitchen light") == ["turn on the kitchen light"]


@pytest.mark.parametrize(("text", "area", "expected"), [
    ("switch off the hallway light and then close the bedroom curtains", None,
     [("light.turn_off", "light.hallway"), ("cover.close_cover", "cover.bedroom_curtains")]),
    ("turn on the floor lamp, then turn off the ceiling fan", None,
     [("light.turn_on", "light.floor_lamp"), ("fan.turn_off", "fan.living_room")]),
    ("turn off the desk lamp and the space heater", None,
     [("light.turn_off", "light.desk_lamp"), ("switch.turn_off", "switch.office_heater")]),
    ("关掉走廊灯然后打开咖啡机", None,
     [("light.turn_off", "light.hallway"), ("switch.turn_on", "switch.coffee_maker")]),
    ("打开厨房灯和橱柜灯", None, [("light.turn_on", "light.kitchen"), ("light.turn_on", "light.kitchen_counter")]),
    ("打开落地灯再关上百叶窗", None, [("light.turn_on", "light.floor_lamp"),
                              ("cover.close_cover", "cover.living_room_blinds")]),
])
def test_several_commands_in_one_sentence_each_run(brain: HearthBrain, text: str, area: str | None,
                                                   expected: list[tuple[str, str]]) -> None:
    u = brain.understand(text, area=area, execute=False)
    assert acts(u) == expected and u.path == "fast"
    assert u.reply.count(".") == 2 or u.reply.count("。") == 2


def test_one_command_with_and_in_it_stays_one(brain: HearthBrain) -> None:
    u = brain.understand("add salt and pepper to the shopping list", execute=False)
    assert [a.data["item"] for i in u.intents for a in i.actions] == ["salt and pepper"]


def test_a_sensitive_part_still_asks_and_the_answer_is_heard(brain: HearthBrain) -> None:
    u = brain.understand("turn off the floor lamp and unlock the front door", conversation_id="c")
    assert acts(u) == [("light.turn_off", "light.floor_lamp")] and u.expects_reply
    yes = brain.understand("yes", conversation_id="c")
    assert acts(yes) == [("lock.unlock", "lock.front_door")]


def test_media_search_mute_vacuum_stop(brain: HearthBrain) -> None:
    u = brain.understand("play Finding Nemo on the TV", execute=False)
    a = u.intents[0].actions[0]
    assert u.intents[0].intent == "HassMediaSearchAndPlay" and a.entity_id == "media_player.living_room_tv"
    assert a.service == "media_player.play_media" and a.data["media_content_id"] == "Finding Nemo"
    u = brain.understand("在电视上播放西游记", execute=False)
    assert u.intents[0].actions[0].data["media_content_id"] == "西游记" and "西游记" in u.reply
    muted = brain.understand("mute the kitchen speaker", execute=False).intents[0].actions[0]
    assert (muted.service, muted.entity_id, muted.data) == (
        "media_player.volume_mute", "media_player.kitchen_speaker", {"is_volume_muted": True})
    un = brain.understand("电视取消静音", execute=False).intents[0].actions[0]
    assert un.data == {"is_volume_muted": False} and un.entity_id == "media_player.living_room_tv"
    assert acts(brain.understand("stop the vacuum", execute=False)) == [("vacuum.stop", "vacuum.robot")]
    assert acts(brain.understand("让扫地机器人停下来", execute=False)) == [("vacuum.stop", "vacuum.robot")]


def test_broadcast_is_published_for_every_room(brain: HearthBrain) -> None:
    heard: list[Broadcast] = []
    assert brain.bus is not None
    brain.bus.subscribe(heard.append, Broadcast)
    u = brain.understand("tell everyone dinner is ready", area="kitchen", conversation_id="kitchen-satellite")
    assert u.intents[0].intent == "HassBroadcast" and u.intents[0].slots == {"message": "dinner is ready"}
    # The stream it was said on (its conversation) is the one that does not hear it.
    assert [(b.text, b.area, b.language, b.origin) for b in heard] == [
        ("dinner is ready", "kitchen", "en", "kitchen-satellite")]
    brain.understand("告诉大家饭做好了", execute=False)
    assert len(heard) == 1  # a dry run announces nothing


@pytest.mark.parametrize(("text", "topic", "must"), [
    ("are you always listening", "listening", "wake word"),
    ("who made you", "creator", "Hearth"),
    ("what can you do", "commands", "timers"),
    ("where does my data go", "data", "offline"),
    ("你会一直在听吗", "listening", "唤醒词"),
    ("谁开发了你", "creator", "Hearth"),
])
def test_questions_about_hearth_are_answered_truthfully(brain: HearthBrain, text: str, topic: str,
                                                         must: str) -> None:
    u = brain.understand(text, execute=False)
    assert u.intents[0].intent == "HassRespond" and u.intents[0].slots == {"response": topic}
    assert must in u.reply and not acts(u)


def test_valves_close_at_once_and_open_only_after_a_yes(brain: HearthBrain) -> None:
    assert acts(brain.understand("close the water main", execute=False)) == [("valve.close_valve", "valve.water_main")]
    ask = brain.understand("turn on the irrigation", conversation_id="v")
    assert ask.expects_reply and not acts(ask) and "Garden Irrigation" in ask.reply
    assert acts(brain.understand("yes", conversation_id="v")) == [("valve.open_valve", "valve.garden_irrigation")]
    ask = brain.understand("打开总水阀", conversation_id="w")
    assert ask.expects_reply and ask.reply.startswith("确定要打开总水阀")
    assert brain.understand("把花园喷灌调到百分之四十", execute=False).expects_reply


@pytest.mark.parametrize(("text", "reply"), [
    ("is the kitchen window open", "Yes, the Kitchen Window is open."),
    ("is the bedroom window open", "No, the Bedroom Window is closed."),
    ("is there motion in the living room", "The Living Room Motion is detecting motion."),
    ("is there motion in the hallway", "None are detecting motion."),
    ("which batteries are low", "The Front Door Lock Battery is 12 %."),
    ("is the robot vacuum charging", "Yes, the Robot Vacuum is docked."),
    ("厨房窗户开着吗", "是的，厨房窗户开着。"),
    ("客厅有人吗", "客厅人体传感器检测到有人活动。"),
    ("哪些设备电量低", "门锁电池12%。"),
    ("后门锁了吗", "不是，后门没锁。"),
])
def test_sensor_battery_and_charging_questions(brain: HearthBrain, text: str, reply: str) -> None:
    u = brain.understand(text, execute=False)
    assert u.intents[0].intent == "HassGetState" and u.reply == reply


def test_timers_by_duration_and_room(brain: HearthBrain) -> None:
    brain.understand("set a timer for 10 minutes", area="kitchen")
    brain.understand("set a timer for 5 minutes", area="bedroom")
    status = brain.understand("how much time is left on the ten minute timer")
    assert "10 minutes left on the 10 minute timer" in status.reply and "5 minutes" not in status.reply
    u = brain.understand("cancel the bedroom timer")
    assert u.reply == "Cancelled the 5 minute timer." and u.intents[0].slots["area_id"] == "bedroom"
    assert [t.set_s for t in brain.timers.all()] == [600]
    assert brain.understand("取消十分钟的计时器").reply == "已取消10分钟的计时器。"
    assert brain.understand("cancel the kitchen timer").reply == "There's no Kitchen timer."


@pytest.mark.parametrize(("text", "heard"), [
    ("set a timer for a quarter of an hour", "set a timer for 15 minutes"),
    ("timer for half an hour", "timer for 30 minutes"),
    ("start a timer for an hour and a half", "start a timer for 1 hour and 30 minutes"),
    ("set a timer for two and a half hours", "set a timer for 2 hours and 30 minutes"),
    ("a minute and a half timer", "1 minute and 30 seconds timer"),
    ("设置一个一个半小时的计时器", "设置一个1小时30分钟的计时器"),
    ("定一个一刻钟的计时器", "定一个15分钟的计时器"),
    ("两个半小时以后提醒我", "2小时30分钟以后提醒我"),
    ("半小时", "30分钟"),
    ("三刻钟", "45分钟"),
    ("turn on the kitchen light", "turn on the kitchen light"),
    ("十分钟", "十分钟"),
])
def test_fractional_durations_become_plain_ones(text: str, heard: str) -> None:
    assert numbers.durations(text) == heard


@pytest.mark.parametrize(("text", "slots"), [
    ("set a timer for a quarter of an hour", {"minutes": 15}),
    ("set a timer for an hour and a half", {"hours": 1, "minutes": 30}),
    ("定一个一刻钟的计时器", {"minutes": 15}),
    ("设置一个两个半小时的计时器", {"hours": 2, "minutes": 30}),
    ("创建半个小时的计时器", {"minutes": 30}),
    ("创建一个半小时的计时器", {"hours": 1, "minutes": 30}),  # 一个半小时 is an hour and a half
])
def test_timers_from_fractions(brain: HearthBrain, text: str, slots: dict[str, int]) -> None:
    u = brain.understand(text, execute=False)
    assert u.intents[0].intent == "HassStartTimer" and u.intents[0].slots == slots


def test_mixed_chinese_english_is_understood(brain: HearthBrain) -> None:
    assert mixed.to_chinese("把客厅的light关掉") == "把客厅的灯关掉"
    u = brain.understand("把客厅的light关掉", execute=False)
    assert acts(u) == [("light.turn_off", "light.living_room_ceiling"), ("light.turn_off", "light.floor_lamp")]
    assert acts(brain.understand("打开TV", execute=False)) == [("media_player.turn_on", "media_player.living_room_tv")]
    u = brain.understand("把卧室的fan打开", execute=False)
    assert not acts(u) and u.reply == "卧室没有风扇。"


@pytest.mark.parametrize(("text", "entity"), [
    ("add nails to the hardware store list", "todo.hardware_store"),
    ("add milk to the shopping list", "todo.shopping_list"),
    ("put eggs on my shopping list", "todo.shopping_list"),
    ("把螺丝刀加到五金店清单", "todo.hardware_store"),
    ("把牛奶加到购物清单", "todo.shopping_list"),
])
def test_the_named_list_is_the_one_used(brain: HearthBrain, text: str, entity: str) -> None:
    assert [e for _, e in acts(brain.understand(text, execute=False))] == [entity]


def test_area_slot_carries_the_name_and_the_speakers_room(brain: HearthBrain) -> None:
    said = brain.understand("turn on the lights in the lounge", execute=False).intents[0].slots
    assert said["area"] == "Living Room" and said["area_id"] == "living_room"
    here = brain.understand("turn off the light", area="office", execute=False).intents[0].slots
    assert here == {"name": "light", "area": "Office", "area_id": "office"}
    named = brain.understand("turn on the kitchen light", execute=False).intents[0].slots
    assert named == {"name": "Kitchen Light"}  # a name said in full: no room decided anything


def test_hearth_sentences_extend_home_assistants_without_changing_them() -> None:
    from home_assistant_intents import get_intents

    from assistant.brain import sentences

    for lang in ("en", "zh-CN"):
        data = get_intents(lang)
        assert data is not None
        before = len(data["intents"]["HassTurnOn"]["data"])
        merged = sentences.merged(data, lang)
        assert len(merged["intents"]["HassTurnOn"]["data"]) > before == len(data["intents"]["HassTurnOn"]["data"])
        assert "HassVacuumStop" in merged["intents"] and "HassVacuumStop" not in data["intents"]


def test_words_answering_a_question_are_not_split(brain: HearthBrain) -> None:
    assert brain.understand("unlock the front door", conversation_id="q").expects_reply
    u = brain.understand("no, turn on the kitchen light and the floor lamp", conversation_id="q")
    assert not acts(u) and u.reply == "Okay, I won't."

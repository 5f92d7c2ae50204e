"""Question skills answered from the inventory, clock, weather, lists and never mind."""

from __future__ import annotations

import datetime as dt

from assistant.home import inventory
from assistant.home.resolve import Resolver
from assistant.skillkit.context import SkillContext
from assistant.skillkit.registry import SkillRegistry
from assistant.skillkit.skill import SkillResult
from assistant.skillkit.spec import ToolCall
from assistant.skillkit.timers import TimerManager

INV = inventory.load(inventory.bundled_path())
REG = SkillRegistry.discover()
NOON = dt.datetime(2026, 3, 14, 15, 7, tzinfo=dt.UTC)


def run(skill: str, /, *, lang: str = "en", here: str | None = None, **args) -> SkillResult:
    ctx = SkillContext(inventory=INV, resolver=Resolver(INV), timers=TimerManager(), language=lang,
                       area=here, clock=lambda: NOON)
    return REG.invoke(ToolCall(skill, args), ctx)


def test_state_questions() -> None:
    res = run("HassGetState", name="garage door", state="open")
    assert res.reply == "No, the Garage Door is closed." and not res.intents[0].actions
    assert run("HassGetState", name="front door", state="locked").reply.startswith("Yes")
    lights = run("HassGetState", domain="light", state="on", here="kitchen")
    assert lights.reply == "Living Room Ceiling and Desk Lamp are on."
    assert run("HassGetState", domain="light", state="on", area="kitchen").reply == "None are on."
    assert "卧室温度" in run("HassGetState", lang="zh", name="卧室温度").reply
    assert "19.0" in run("HassGetState", name="bedroom temperature").reply


def test_clock_and_weather() -> None:
    assert run("HassGetCurrentTime").reply == "It's 3:07 PM."
    assert run("HassGetCurrentTime", lang="zh").reply == "现在是15点07分。"
    assert run("HassGetCurrentDate").reply == "Today is Saturday, March 14, 2026."
    assert run("HassGetCurrentDate", lang="zh").reply == "今天是2026年3月14日，星期六。"
    assert run("HassGetWeather").reply == "It's cloudy and 8 °C."
    assert run("HassGetWeather", lang="zh").reply == "现在多云，8°C。"


def test_lists() -> None:
    res = run("HassShoppingListAddItem", item="oat milk")
    assert [(a.service, a.entity_id, a.data) for a in res.intents[0].actions] == [
        ("todo.add_item", "todo.shopping_list", {"item": "oat milk"})]
    chores = run("HassListAddItem", item="fix the gate", name="to do list")
    assert chores.intents[0].actions[0].entity_id == "todo.chores"
    done = run("HassListCompleteItem", item="eggs", name="shopping list")
    assert done.intents[0].actions[0].data == {"item": "eggs", "status": "completed"}
    assert run("HassListAddItem", item="x", name="garden list").reply == "I don't have a list called garden list."
    zh = run("HassShoppingListAddItem", lang="zh", item="鸡蛋")
    assert zh.reply == "已把鸡蛋加到购物清单。"


def test_nevermind_does_nothing() -> None:
    res = run("HassNevermind")
    assert [i.intent for i in res.intents] == ["HassNevermind"] and not res.intents[0].actions

"""The template fast path on Home Assistant's real en and zh-CN sentence templates."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.brain.fastpath import FastPath, load_intents
from assistant.home import inventory
from assistant.home.inventory import Entity
from assistant.skillkit.registry import SkillRegistry

INV = inventory.load(inventory.bundled_path())
SKILLS = {s.name: tuple(p.name for p in s.params) for s in SkillRegistry.discover()}


@pytest.fixture(scope="module")
def fp() -> FastPath:
    return FastPath(INV)


def call(fp: FastPath, text: str, **kw):
    m = fp.match(text, skills=SKILLS, **kw)
    return None if m is None else (m.call.name, m.call.args)


@pytest.mark.parametrize(
    ("text", "lang", "area", "expected"),
    [
        ("turn on the kitchen light", "en", None, ("HassTurnOn", {"name": "Kitchen Light"})),
        ("Turn off the lights in the kitchen.", "en", None, ("HassTurnOff", {"area": "kitchen", "domain": "light"})),
        ("turn off the lights", "en", "bedroom", ("HassTurnOff", {"domain": "light"})),
        ("turn off the light", "en", "bedroom", ("HassTurnOff", {"name": "light"})),
        ("set the bedroom light to 30%", "en", None, ("HassLightSet", {"name": "Bedroom Light", "brightness": 30})),
        ("is the garage door open", "en", None, ("HassGetState", {"name": "Garage Door", "state": "open"})),
        ("set a timer for 10 minutes", "en", None, ("HassStartTimer", {"minutes": 10})),
        ("what time is it", "en", None, ("HassGetCurrentTime", {})),
        ("打开客厅灯", "zh", None, ("HassTurnOn", {"name": "客厅灯"})),
        ("打开厨房的灯", "zh", None, ("HassTurnOn", {"area": "kitchen", "domain": "light"})),
        ("设置一个十分钟的计时器", "zh", None, ("HassStartTimer", {"minutes": 10})),
        ("现在几点", "zh", None, ("HassGetCurrentTime", {})),
    ],
)
def test_templates_give_skill_calls(fp: FastPath, text: str, lang: str, area: str | None, expected) -> None:
    assert call(fp, text, language=lang, area=area) == expected


def test_chatter_does_not_match(fp: FastPath) -> None:
    for text, lang in [("tell me a joke", "en"), ("what's the meaning of life", "en"), ("讲个笑话", "zh"),
                       ("good morning", "en"), ("谢谢你", "zh")]:
        m = fp.match(text, language=lang, skills=SKILLS, accept=lambda c: None)
        assert m is None or not m.resolved, m


def test_slips_come_back_loose_and_are_ranked_by_resolution(fp: FastPath) -> None:
    known = {"kitchen lite": {"light"}}
    m = fp.match("turn on the kitchen lite", skills=SKILLS, accept=lambda c: known.get(c.args["name"]))
    assert m is not None and m.loose and m.resolved and m.call.args["name"] == "kitchen lite"
    m = fp.match("turn off the toaster", skills=SKILLS, accept=lambda c: None)
    assert m is not None and m.loose and not m.resolved and m.call.args["name"] == "toaster"


def test_slot_lists_follow_the_inventory() -> None:
    fp = FastPath(INV)
    assert fp.match("turn on the aquarium", skills=SKILLS, accept=lambda c: None).resolved is False
    tank = Entity("switch.fish_tank", "Aquarium", ("鱼缸",), "living_room", "off", {})
    fp.set_inventory(dataclasses.replace(INV, entities=(*INV.entities, tank)))
    assert call(fp, "turn on the aquarium") == ("HassTurnOn", {"name": "Aquarium"})
    assert call(fp, "打开鱼缸", language="zh") == ("HassTurnOn", {"name": "鱼缸"})


def test_templates_load_once_per_process() -> None:
    intents, _ = load_intents("en")
    again, took = load_intents("en")
    assert again is intents and took == 0.0


def test_skills_not_enabled_are_not_matched(fp: FastPath) -> None:
    without = {k: v for k, v in SKILLS.items() if k != "HassGetCurrentTime"}
    assert fp.match("what time is it", skills=without) is None

"""Numbers the user said, and percentages the LLM copied wrongly."""

from __future__ import annotations

import pytest

from assistant.brain import numbers
from assistant.skillkit.registry import SkillRegistry
from assistant.skillkit.spec import ToolCall

REG = SkillRegistry.discover()


@pytest.mark.parametrize(("text", "expected"), [
    ("把百叶窗打开到百分之五十", [50]),
    ("调到二十五度", [25]),
    ("音量调到一百", [100]),
    ("set it to forty five percent", [45]),
    ("twenty-two degrees", [22]),
    ("dim the kitchen light to 30%", [30]),
    ("a hundred percent", [100]),
    ("帮我开一下灯", []),  # 一下 is "a bit"
    ("把灯调亮一点", []),
    ("十分感谢", []),  # 十分 is "very"
    ("turn the one by the door on", []),
    ("halfway please", []),
])
def test_numbers_said(text: str, expected: list[float]) -> None:
    assert numbers.said(text) == [float(x) for x in expected]


def test_chinese_numerals() -> None:
    assert [numbers.chinese_number(s) for s in ("五", "十", "十五", "五十", "二十五", "一百", "一百零五")] == [
        5, 10, 15, 50, 25, 100, 105]
    assert numbers.chinese_number("三五") is None and numbers.chinese_number("十百") is None


def _spec(name: str):  # type: ignore[no-untyped-def]
    skill = REG.get(name)
    assert skill is not None
    return skill.spec


def test_a_percentage_the_user_never_said_is_replaced_by_the_one_they_did() -> None:
    spec = _spec("HassSetPosition")
    wrong = ToolCall("HassSetPosition", {"name": "百叶窗", "position": 5})
    fixed = numbers.reconcile(wrong, "把百叶窗打开到百分之五十", spec)
    assert fixed.args == {"name": "百叶窗", "position": 50}
    kept = ToolCall("HassSetPosition", {"name": "blinds", "position": 50})
    assert numbers.reconcile(kept, "open the blinds halfway", spec) == kept
    odd = ToolCall("HassSetPosition", {"name": "blinds", "position": 3})
    assert numbers.reconcile(odd, "I'd like the blinds halfway, please", spec).args["position"] == 50
    assert numbers.reconcile(odd, "blinds three quarters open", spec).args["position"] == 75
    assert numbers.reconcile(odd, "把窗帘打开一半", spec).args["position"] == 50
    assert numbers.reconcile(odd, "open the blinds for half an hour", spec) == odd  # a time, not a share
    assert numbers.reconcile(odd, "open the blinds", spec) == odd  # nothing said: trust the model
    both = ToolCall("HassLightSet", {"name": "lamp", "brightness": 7})
    assert numbers.reconcile(both, "at 7 set the lamp to 30 percent", _spec("HassLightSet")) == both
    two = ToolCall("HassLightSet", {"name": "lamp", "brightness": 45})
    assert numbers.reconcile(two, "set the lamp to 40 or 50", _spec("HassLightSet")) == two  # which one? leave it
    timer = ToolCall("HassStartTimer", {"minutes": 90})
    assert numbers.reconcile(timer, "a timer for an hour and a half, 1 of them", _spec("HassStartTimer")) == timer


def test_a_complaint_about_the_light_turns_a_call_that_would_make_it_worse() -> None:
    from assistant.brain.complaints import direct

    off = ToolCall("HassTurnOff", {"area": "Office", "domain": "light"})
    assert direct(off, "it's way too dark in the office") == ToolCall("HassTurnOn", off.args)
    assert direct(off, "卧室太暗了") == ToolCall("HassTurnOn", off.args)
    on = ToolCall("HassTurnOn", {"name": "Desk Lamp"})
    assert direct(on, "it's too dark in here") == on  # already the right way
    assert direct(on, "way too bright in here") == ToolCall("HassTurnOff", on.args)
    assert direct(off, "turn off the office lights") == off  # no complaint: the words decide

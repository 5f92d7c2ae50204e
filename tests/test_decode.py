"""What the decoder drafts ahead, and when a line can only end (no model needed)."""

from __future__ import annotations

from assistant.brain.decode import NameDrafter, finished
from assistant.brain.grammar import Vocabulary
from assistant.home import inventory

HOME = inventory.parse({
    "areas": [{"id": "kitchen", "name": "East Kitchen", "floor": "First Floor"}, {"id": "den", "name": "Den"}],
    "entities": [
        {"entity_id": "fan.a", "name": "East Kitchen Ceiling Fan", "area": "kitchen"},
        {"entity_id": "light.a", "name": "East Kitchen Ceiling Light", "area": "kitchen"},
        {"entity_id": "fan.b", "name": "Fan", "area": "den"},
        {"entity_id": "fan.c", "name": "Fan 2", "area": "den"},
    ],
})
DRAFT = NameDrafter(Vocabulary(HOME), ["HassTurnOn", "HassTurnOff", "HassLightSet"])


def test_a_name_is_drafted_as_far_as_the_home_tells_it_apart() -> None:
    assert DRAFT(' HassTurnOn {"name":"East') == " Kitchen Ceiling "
    assert DRAFT(' HassTurnOn {"name":"East Kitchen Ceiling F') == 'an"'
    assert DRAFT(' HassTurnOn {"name":"Fan') == ""  # "Fan" or "Fan 2": the model decides
    assert DRAFT(' HassTurnOn {"name":"Jacuzzi') == ""
    assert DRAFT(' HassTurnOn {"area":"D') == 'en"'
    assert DRAFT(' HassTurnOn {"floor":"') == 'First Floor"'


def test_keys_and_tool_names_draft_what_follows_them() -> None:
    assert DRAFT(' HassTurnOn {"name') == '":"'  # names differ from their first letter
    assert DRAFT(' HassTurnOn {"floor') == '":"First Floor"'
    assert DRAFT(' HassLightSet {"brightness') == ""  # not a name: a number follows
    assert DRAFT(" HassTurnOff") == ' {"'
    assert DRAFT(" HassTurn") == ""


def test_a_line_ends_after_none_or_a_closed_call() -> None:
    assert finished(" none")
    assert finished(' HassTurnOn {"name":"Fan"}')
    assert not finished(' HassTurnOn {"name":"Fan')
    assert not finished(' HassTurnOn {"name":"a}')  # a brace inside an open string
    assert not finished(" ask which fan")
    assert not finished(" HassTurnOn")

"""The output grammar: built from the tools' schemas and the home; checked with llama.cpp's own parser."""

from __future__ import annotations

import pytest

from assistant.brain import grammar
from assistant.home import inventory
from assistant.skillkit.spec import ToolCall
from assistant.train.tools import training_tools
from tests.llama_support import accepts, parses

HOME = inventory.parse({
    "areas": [{"id": "kitchen", "name": "Kitchen", "aliases": ["cookhouse"], "floor": "Ground floor"},
              {"id": "den", "name": "Den"}, {"id": "keting", "name": "客厅"}],
    "entities": [
        {"entity_id": "light.kitchen", "name": "Kitchen Light", "aliases": ["big light"], "area": "kitchen"},
        {"entity_id": "switch.kettle", "name": "Kettle", "area": "kitchen"},
        {"entity_id": "light.keting", "name": "客厅灯", "area": "keting"},
        {"entity_id": "media_player.den_tv", "name": "Den TV", "area": "den"},
        {"entity_id": "todo.chores", "name": "Chores", "area": None},
    ],
})


@pytest.fixture(scope="module")
def gbnf() -> str:
    return grammar.build(training_tools(), HOME)


def test_grammar_parses_in_llama_cpp(gbnf: str) -> None:
    assert parses(gbnf)
    assert not parses(gbnf.replace("root ::=", "root :="))


@pytest.mark.parametrize("line", [
    ' HassTurnOn {"name":"Kitchen Light"}\n',
    ' HassTurnOff {"area":"Kitchen","domain":"light"}\n',
    ' HassTurnOn {"name":"big light","area":"cookhouse"}\n',
    ' HassTurnOff {"floor":"Ground floor","domain":"light"}\n',
    ' HassLightSet {"name":"客厅灯","brightness":40}\n',
    ' HassStartTimer {"minutes":10,"name":"pasta"}\n',
    ' HassListAddItem {"item":"paint the fence","name":"Chores"}\n',
    ' HassSetVolume {"volume_level":100,"name":"Den TV"}\n',
    ' HassGetCurrentTime {}\n',
    " none\n",
    " ask Which light: Kitchen Light or 客厅灯?\n",
])
def test_grammar_accepts_valid_lines(gbnf: str, line: str) -> None:
    assert accepts(gbnf, line)


@pytest.mark.parametrize("line", [
    ' HassTurnOn {"name":"Jacuzzi"}\n',           # invented device
    ' HassTurnOn {"area":"Attic"}\n',             # invented area
    ' HassLightSet {"name":"Kettle","brightness":50}\n',  # not a light
    ' HassSetVolume {"name":"Den TV"}\n',         # required volume_level missing
    ' HassSetVolume {"volume_level":150}\n',      # percent out of range
    ' HassFly {}\n',                              # no such tool
    ' HassTurnOn {"domain":"light","name":"Kitchen Light"}\n',  # arguments out of schema order
    " maybe\n",
])
def test_grammar_rejects_invalid_lines(gbnf: str, line: str) -> None:
    assert not accepts(gbnf, line)


def test_grammar_follows_the_inventory() -> None:
    other = inventory.parse({"entities": [{"entity_id": "fan.loft", "name": "Loft Fan"}]})
    g = grammar.build(training_tools(), other)
    assert accepts(g, ' HassTurnOn {"name":"Loft Fan"}\n')
    assert not accepts(g, ' HassTurnOn {"name":"Kitchen Light"}\n')
    assert accepts(g, " none\n") and accepts(g, " ask Which one?\n")


def test_validate_applies_the_same_rules() -> None:
    tools = training_tools()
    assert grammar.validate(ToolCall("HassTurnOn", {"name": "Kitchen Light"}), tools, HOME) is None
    assert grammar.validate(ToolCall("HassStartTimer", {"minutes": 5}), tools, HOME) is None
    assert "not in this home" in str(grammar.validate(ToolCall("HassTurnOn", {"name": "Sauna"}), tools, HOME))
    assert "needs volume_level" in str(grammar.validate(ToolCall("HassSetVolume", {}), tools, HOME))
    assert "unknown tool" in str(grammar.validate(ToolCall("HassFly", {}), tools, HOME))
    assert "no argument" in str(grammar.validate(ToolCall("HassTurnOn", {"colour": "red"}), tools, HOME))

"""LLM targets must be grounded in what was said, or in the room the speaker is in."""

from __future__ import annotations

from assistant.brain.grounding import grounded
from assistant.home import inventory
from assistant.skillkit.spec import ToolCall

HOME = inventory.load(inventory.bundled_path())


def test_said_targets_are_grounded() -> None:
    assert grounded(ToolCall("HassTurnOn", {"area": "Office", "domain": "light"}),
                    "it's way too dark in the office", HOME, None)
    assert grounded(ToolCall("HassTurnOn", {"name": "Coffee Maker"}), "get the coffee machine going", HOME, None)
    assert grounded(ToolCall("HassTurnOn", {"name": "Kitchen Light"}), "turn on the kitchen lite", HOME, None)
    assert grounded(ToolCall("HassTurnOn", {"area": "Bedroom"}), "卧室有点暗，帮我开一下灯", HOME, None)


def test_a_name_of_one_short_word_is_grounded_when_said_exactly() -> None:
    """"TV" has no word of three letters: it counts as said when "tv" is, and only then."""
    call = ToolCall("HassSetVolume", {"name": "TV", "volume_level": 20})
    assert grounded(call, "the tv is too loud, set it to 20 percent", HOME, None)
    assert not grounded(call, "it is too loud in here, set it to 20 percent", HOME, None)
    assert not grounded(call, "the tub is too loud", HOME, None)  # no slips for two letters


def test_the_speakers_room_counts_as_said() -> None:
    call = ToolCall("HassTurnOn", {"name": "Kitchen Light"})
    assert grounded(call, "it's dark, switch it on", HOME, "kitchen")
    assert not grounded(call, "it's dark, switch it on", HOME, "bedroom")


def test_invented_or_substituted_targets_are_not() -> None:
    assert not grounded(ToolCall("HassTurnOn", {"area": "Living Room", "domain": "light"}),
                        "turn on the lights in the attic", HOME, None)
    assert not grounded(ToolCall("HassLightSet", {"area": "Living Room", "brightness": 1}),
                        "the sun is nice today", HOME, None)


def test_calls_without_targets_pass() -> None:
    assert grounded(ToolCall("HassGetCurrentTime", {}), "what time is it", HOME, None)
    assert grounded(ToolCall("HassTurnOn", {"domain": "light"}), "it's dark in here", HOME, "office")


def test_a_garbled_kind_or_qualifier_is_not_guessed() -> None:
    """Misheard words where the kind or the device's own word belongs never become a device."""
    assert not grounded(ToolCall("HassTurnOn", {"area": "Living Room", "domain": "light"}),
                        "open the living room lines.", HOME, None)
    assert grounded(ToolCall("HassTurnOn", {"area": "Living Room", "domain": "light"}),
                    "turn on the living room lights", HOME, None)
    assert not grounded(ToolCall("HassTurnOff", {"name": "Floor Lamp"}), "turn off the mid-side lamp.", HOME, None)
    assert grounded(ToolCall("HassTurnOff", {"name": "Floor Lamp"}), "turn off the floor lamp", HOME, None)


def test_a_whole_home_kind_needs_the_kind_said() -> None:
    """Without a room, a call for every device of a kind acts only when the words named that kind."""
    assert not grounded(ToolCall("HassTurnOff", {"domain": "light"}), "turn off the dishwasher", HOME, None)
    assert grounded(ToolCall("HassTurnOff", {"domain": "light"}), "turn off all the lights", HOME, None)
    assert grounded(ToolCall("HassTurnOff", {"domain": "cover"}), "把窗帘都拉上", HOME, None)
    assert not grounded(ToolCall("HassTurnOn", {"domain": "fan"}), "把灯都打开", HOME, None)

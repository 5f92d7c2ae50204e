"""The prompt format shared by run time and training."""

from __future__ import annotations

import os

from assistant.brain import prompt
from assistant.brain.llm_base import Turn
from assistant.home import inventory
from assistant.skillkit.spec import ToolCall
from assistant.train.tools import CATALOGUE

HOME = inventory.load(inventory.bundled_path())


def test_prefix_is_stable_across_utterances_areas_and_history() -> None:
    pre = prompt.prefix(CATALOGUE, HOME)
    texts = [
        prompt.render("turn on the kitchen light", tools=CATALOGUE, inventory=HOME),
        prompt.render("把灯关掉", tools=CATALOGUE, inventory=HOME, area="bedroom"),
        prompt.render("and the office too", tools=CATALOGUE, inventory=HOME, area="office",
                      history=[Turn("turn off the bedroom lights", ToolCall("HassTurnOff", {"area": "Bedroom"}))]),
    ]
    for t in texts:
        assert t.startswith(pre)
        assert t.endswith("\n" + prompt.OUT_MARK)


def test_prefix_ignores_states_and_tool_order_but_not_names() -> None:
    doc = HOME.to_dict()
    for e in doc["entities"]:
        e["state"] = "unavailable"
    changed_states = inventory.parse(doc)
    assert prompt.prefix(CATALOGUE, changed_states) == prompt.prefix(CATALOGUE, HOME)
    assert prompt.prefix(tuple(reversed(CATALOGUE)), HOME) == prompt.prefix(CATALOGUE, HOME)
    doc["entities"][0]["name"] = "Pantry Lamp"
    assert prompt.prefix(CATALOGUE, inventory.parse(doc)) != prompt.prefix(CATALOGUE, HOME)


def test_home_summary_lists_names_aliases_areas_and_floors() -> None:
    pre = prompt.prefix(CATALOGUE, HOME)
    for a in HOME.areas:
        assert a.name in pre
        for alias in a.aliases:
            assert alias in pre
    for e in HOME.entities:
        assert e.name in pre and f"({e.domain})" in pre
    assert "HassTurnOn(name,area,floor,domain,device_class)" in pre


def test_request_names_the_room_and_previous_turn() -> None:
    req = prompt.request("and the office too", inventory=HOME, area="bedroom",
                         history=[Turn("turn off the bedroom lights", ToolCall("HassTurnOff", {"area": "Bedroom"}))])
    bedroom = HOME.area("bedroom")
    assert bedroom is not None
    assert f"room: {bedroom.name}" in req
    assert 'before: turn off the bedroom lights => HassTurnOff {"area":"Bedroom"}' in req
    assert "user: and the office too" in req


def test_completion_round_trips_through_the_parser() -> None:
    call = ToolCall("HassLightSet", {"name": "客厅灯", "brightness": 40})
    for c, ask in ((call, None), (None, None), (None, "Which lamp: desk or floor?")):
        text = prompt.completion(c, ask)
        assert text.startswith(" ") and text.endswith("\n")
        parsed = prompt.parse_output(text)
        assert parsed.call == c and parsed.ask == ask


def test_garbage_output_parses_as_no_call() -> None:
    for raw in ("", " HassTurnOn {not json", " {}", " 12 + 4", " HassTurnOn [1,2]"):
        parsed = prompt.parse_output(raw)
        assert parsed.call is None and parsed.ask is None


def test_home_wide_things_come_first_so_candidate_prompts_share_them() -> None:
    """Weather and lists are shown with every candidate set; listed before the rooms, they stay in
    the evaluated prefix from one command to the next instead of following the rooms that change."""
    from assistant.brain import candidates
    from assistant.home.index import NameIndex

    index = NameIndex(HOME)
    assert len(HOME.entities) > candidates.MAX_ENTITIES  # the demo home is shown as candidates
    shown = candidates.select(index, "get the coffee machine going")
    a = prompt.render("get the coffee machine going", tools=CATALOGUE, inventory=shown)
    b = prompt.render("open the living room blinds", tools=CATALOGUE,
                      inventory=candidates.select(index, "open the living room blinds"))
    home_wide = next(line for line in prompt.render_home(shown) if line.startswith("-: "))
    shared = os.path.commonprefix([a, b])
    assert home_wide in a and home_wide in b
    assert home_wide in shared

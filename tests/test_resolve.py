"""Spoken names, areas, floors and domain words → entities, on the bundled demo home."""

from __future__ import annotations

import pytest

from assistant.home import inventory
from assistant.home.resolve import Resolver


@pytest.fixture(scope="module")
def r() -> Resolver:
    return Resolver(inventory.load(inventory.bundled_path()))


def ids(res) -> set[str]:
    return {e.entity_id for e in res.entities}


@pytest.mark.parametrize(
    ("spoken", "expected"),
    [
        ("kitchen light", {"light.kitchen"}),
        ("The Kitchen Light", {"light.kitchen"}),
        ("big light", {"light.living_room_ceiling"}),            # alias
        ("under-cabinet lights", {"light.kitchen_counter"}),     # alias with punctuation
        ("the television", {"media_player.living_room_tv"}),
        ("floor lamp's", {"light.floor_lamp"}),                   # possessive
        ("the kitchen lite", {"light.kitchen"}),                  # transcription slip
        ("bed room light", {"light.bedroom"}),                    # split word
        ("livingroom ceiling", {"light.living_room_ceiling"}),
        ("客厅灯", {"light.living_room_ceiling"}),
        ("床头灯", {"light.bedside_lamp"}),
    ],
)
def test_names_and_aliases(r: Resolver, spoken: str, expected: set[str]) -> None:
    res = r.resolve(spoken)
    assert res.status == "ok", res.message()
    assert ids(res) == expected


def test_plural_in_area_means_every_light_there(r: Resolver) -> None:
    assert ids(r.resolve("the lights in the kitchen")) == {"light.kitchen", "light.kitchen_counter"}
    assert ids(r.resolve("kitchen lights")) == {"light.kitchen", "light.kitchen_counter"}
    assert ids(r.resolve("living room lights")) == {"light.living_room_ceiling", "light.floor_lamp"}
    assert ids(r.resolve(None, domain="lights", area="kitchen")) == {"light.kitchen", "light.kitchen_counter"}
    assert ids(r.resolve(None, domain="灯", area="厨房")) == {"light.kitchen", "light.kitchen_counter"}


def test_speaker_room_decides_unnamed_targets(r: Resolver) -> None:
    assert ids(r.resolve("light", speaker_area="bedroom")) == {"light.bedroom"}
    assert ids(r.resolve("lamp", speaker_area="office")) == {"light.desk_lamp"}
    assert ids(r.resolve(None, domain="light", speaker_area="bedroom")) == {"light.bedroom", "light.bedside_lamp"}
    # A room without such a device does not hide the rest of the home.
    assert ids(r.resolve(None, domain="vacuum", speaker_area="bedroom")) == {"vacuum.robot"}
    # A named device outside the speaker's room is still found.
    assert ids(r.resolve("garage door", speaker_area="bedroom")) == {"cover.garage_door"}


def test_ambiguity_asks_back_with_the_choices(r: Resolver) -> None:
    res = r.resolve("lamp")
    assert res.status == "ambiguous"
    assert ids(res) == {"light.floor_lamp", "light.bedside_lamp", "light.desk_lamp"}
    msg = res.message("en")
    assert msg.startswith("Which lamp:") and "Desk Lamp" in msg and msg.endswith("?")
    assert "还是" in res.message("zh")


def test_unknown_is_said_plainly_never_guessed(r: Resolver) -> None:
    res = r.resolve("toaster")
    assert res.status == "none" and not res.entities
    assert res.message() == "I don't know a device called toaster."
    assert r.resolve("kitchen banana").status == "none"
    area = r.resolve(None, domain="light", area="attic")
    assert area.status == "no_area" and "attic" in area.message()
    assert r.resolve(None, domain="light", area="garage").status == "none"


def test_domain_words_and_device_classes(r: Resolver) -> None:
    assert ids(r.resolve(None, device_class="blinds", area="living room")) == {"cover.living_room_blinds"}
    assert ids(r.resolve("curtains")) == {"cover.bedroom_curtains"}
    assert ids(r.resolve("空调", speaker_area="卧室")) == {"climate.bedroom_ac"}
    assert ids(r.resolve(None, domain="light", floor="First floor")) == {
        "light.bedroom", "light.bedside_lamp", "light.desk_lamp"}


def test_skill_domains_filter_targets(r: Resolver) -> None:
    res = r.resolve("front door", domains=["light"])
    assert res.status == "unsupported" and "can't" in res.message()
    assert ids(r.resolve("kitchen", domains=["light"])) == {"light.kitchen", "light.kitchen_counter"}


def test_areas_by_name_alias_and_slip(r: Resolver) -> None:
    assert r.area("lounge").id == "living_room"
    assert r.area("客厅").id == "living_room"
    assert r.area("living_room").id == "living_room"
    assert r.area("the bedrom").id == "bedroom"
    assert r.area("cellar") is None


def test_a_floors_devices_come_in_the_homes_order(r: Resolver) -> None:
    """A floor's rooms are a set; its devices (and the reply naming them) keep the home's order."""
    res = r.resolve(floor="Ground floor", domain="light")
    assert len({e.area for e in res.entities}) > 1
    order = [e.entity_id for e in r.inventory.entities]
    assert [e.entity_id for e in res.entities] == sorted((e.entity_id for e in res.entities), key=order.index)

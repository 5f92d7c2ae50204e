"""Which streams play an announcement: the box's own speaker and the room satellites, one set of rules."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from assistant.config import from_dict
from assistant.events import Announcement, Broadcast, EventBus, TimerAcknowledged
from assistant.home import inventory
from assistant.hub import Hub
from assistant.routing import AnnouncementRouter, Place, area_key, floor_rooms, targets
from assistant.runtime import Runtime
from assistant.skillkit.timers import TimerManager

# The box's own microphone and speaker stand in the living room; two satellites in other rooms.
HOME = [Place("hearth", "living_room"), Place("kitchen", "kitchen"), Place("bedroom", "bedroom")]


def to(a: Announcement, places: list[Place] = HOME) -> list[str]:
    return targets(a, places)


def test_a_rooms_announcement_plays_only_in_that_room() -> None:
    assert to(Announcement(text="Your timer is done.", area="kitchen", source="timer")) == ["kitchen"]
    assert to(Announcement(text="The laundry is done.", area="bedroom")) == ["bedroom"]
    assert to(Announcement(text="Your timer is done.", area="living_room", source="timer")) == ["hearth"]


def test_the_boxs_own_speaker_never_plays_another_served_rooms_announcement() -> None:
    for room in ("kitchen", "Kitchen", "bedroom"):
        assert "hearth" not in to(Announcement(text="ring", area=room, key="timer-1"))


def test_a_whole_home_announcement_plays_everywhere() -> None:
    assert to(Announcement(text="Dinner is ready.")) == ["hearth", "kitchen", "bedroom"]


def test_a_room_no_stream_serves_plays_everywhere_rather_than_nowhere() -> None:
    assert to(Announcement(text="The garage door is open.", area="garage")) == ["hearth", "kitchen", "bedroom"]


def test_a_room_whose_streams_are_away_is_heard_elsewhere_now_and_there_on_return() -> None:
    away = [Place("hearth", "living_room"), Place("kitchen", "kitchen", online=False), Place("bedroom", "bedroom")]
    assert to(Announcement(text="Your timer is done.", area="kitchen"), away) == ["hearth", "kitchen", "bedroom"]
    two = [*away, Place("kitchen 2", "kitchen")]  # one of the room's streams is connected: that one alone
    assert to(Announcement(text="Your timer is done.", area="kitchen"), two) == ["kitchen 2"]
    assert to(Announcement(text="The laundry is done.", area="bedroom"), away) == ["bedroom"]


def test_a_stream_back_within_a_minute_plays_what_it_missed_and_drops_older_news() -> None:
    from assistant.announce import STALE_AFTER_S, AnnouncementQueue

    q = AnnouncementQueue()
    now = time.time()
    q.put(Announcement(text="old news", ts=now - STALE_AFTER_S - 5))
    q.put(Announcement(text="Your timer is done.", ts=now - 20))
    assert q.drop_older(now - STALE_AFTER_S) == 1
    assert [a.text for a in iter(q.take, None)] == ["Your timer is done."]


@pytest.mark.parametrize(("origin", "heard"), [
    ("kitchen", ["hearth", "bedroom"]),
    ("hearth", ["kitchen", "bedroom"]),
])
def test_a_broadcast_plays_everywhere_but_on_the_stream_that_spoke(origin: str, heard: list[str]) -> None:
    area = {p.name: p.area for p in HOME}[origin]
    assert to(Broadcast(text="dinner is ready", area=area, origin=origin)) == heard


def test_a_broadcast_skips_only_its_own_stream_when_two_share_a_room() -> None:
    places = [Place("hearth", "kitchen"), Place("kitchen", "kitchen"), Place("bedroom", "bedroom")]
    assert to(Broadcast(text="dinner is ready", area="kitchen", origin="kitchen"), places) == ["hearth", "bedroom"]


def test_a_broadcast_from_an_unknown_stream_skips_the_room_it_was_said_in() -> None:
    assert to(Broadcast(text="dinner is ready", area="kitchen", origin="ha-conversation")) == ["hearth", "bedroom"]
    assert to(Broadcast(text="dinner is ready")) == ["hearth", "kitchen", "bedroom"]


def test_a_satellites_own_device_announces_on_that_satellite_only() -> None:
    assert to(Announcement(text="hello", stream="bedroom", area="kitchen")) == ["bedroom"]
    assert to(Announcement(text="hello", stream="attic")) == []


def test_a_floors_announcement_plays_in_the_rooms_on_that_floor() -> None:
    home = inventory.load(inventory.bundled_path())  # kitchen, living room: ground floor; bedroom: first
    on_floor = floor_rooms(lambda: home)
    assert set(on_floor("first")) == {"bedroom", "Bedroom", "office", "Office"}
    assert targets(Announcement(text="Lights out.", floor="First floor"), HOME, on_floor) == ["bedroom"]
    assert targets(Announcement(text="Dinner.", floor="ground"), HOME, on_floor) == ["hearth", "kitchen"]
    # A floor nobody knows, or one no stream serves: everywhere rather than nowhere.
    assert targets(Announcement(text="x", floor="attic"), HOME, on_floor) == ["hearth", "kitchen", "bedroom"]
    assert targets(Announcement(text="x", floor="first"), HOME) == ["hearth", "kitchen", "bedroom"]
    # A room is more precise than a floor.
    assert targets(Announcement(text="x", area="kitchen", floor="first"), HOME, on_floor) == ["kitchen"]


def test_room_names_compare_loosely() -> None:
    assert area_key(" Living Room ") == area_key("living_room") == area_key("living-room") == "living_room"
    assert to(Announcement(text="x", area="Living Room")) == ["hearth"]
    assert area_key(None) == area_key("") == ""


def test_the_router_queues_by_the_rules_and_withdraws_an_acknowledged_ring() -> None:
    bus = EventBus()
    router = AnnouncementRouter(bus)
    box, kitchen = router.add_stream("hearth", "Living Room"), router.add_stream("kitchen", "kitchen")
    bus.publish(Announcement(text="ring", area="kitchen", key="timer-7"))
    assert len(box) == 0 and len(kitchen) == 1
    bus.publish(TimerAcknowledged(timer_id=7, name="", how="spoken", rings=1))
    assert len(kitchen) == 0
    router.remove_stream("kitchen")
    bus.publish(Announcement(text="ring", area="kitchen", key="timer-8"))  # no kitchen now: everywhere
    assert [a.text for a in iter(box.take, None)] == ["ring"]
    router.close()
    bus.publish(Announcement(text="after close"))
    assert len(box) == 0


def test_the_hub_and_the_boxs_own_stream_share_the_runtimes_router() -> None:
    """As ``hearth run`` wires them: a kitchen ring reaches the kitchen satellite's queue and not
    the box's speaker in the living room; the satellite's own device announces on it alone."""
    cfg = from_dict({"general": {"area": "living room"},
                     "satellites": [{"uri": "tcp://127.0.0.1:10701", "area": "kitchen"},
                                    {"uri": "tcp://127.0.0.1:10702", "area": "bedroom"}]})
    bus = EventBus()
    runtime = Runtime(cfg, bus, TimerManager(), persist_timers=False)
    box = runtime.announcements_for(cfg.general.node_id, cfg.general.area)
    hub = Hub(cfg, SimpleNamespace(stt=None, tts=SimpleNamespace(sample_rate=22050), brain=None), bus,
              make_wake=lambda: SimpleNamespace(words=("hey_jarvis",)), make_vad=lambda: None,
              router=runtime.router, intercept=runtime.ringer.consume)
    try:
        queues = {s.name: s.announcements for s in hub.streams}
        assert [p.name for p in runtime.router.places] == [cfg.general.node_id, "kitchen", "bedroom"]
        assert [p.online for p in runtime.router.places] == [True, False, False]  # not connected yet
        bus.publish(Announcement(text="while away", source="timer", area="kitchen", key="timer-9"))
        assert [a.text for a in iter(box.take, None)] == ["while away"]  # heard in the living room now
        assert [a.text for a in iter(queues["kitchen"].take, None)] == ["while away"]  # and kept for the kitchen
        for name in queues:
            runtime.router.set_online(name, True)  # both satellites connected
        bus.publish(Announcement(text="Your timer is done.", source="timer", area="kitchen", key="timer-1"))
        bus.publish(Broadcast(text="dinner is ready", area="bedroom", origin="bedroom"))
        hub.streams[1].bus.publish(Announcement(text="from Home Assistant", source="homeassistant"))
        # Through the bedroom satellite's device, but naming a room: that room's streams.
        hub.streams[1].bus.publish(Announcement(text="for the kitchen", source="homeassistant", area="kitchen"))
        heard = {name: [a.text for a in iter(q.take, None)] for name, q in {"box": box, **queues}.items()}
        assert heard == {"box": ["dinner is ready"],
                         "kitchen": ["Your timer is done.", "dinner is ready", "for the kitchen"],
                         "bedroom": ["from Home Assistant"]}
    finally:
        hub.close()
        runtime.stop()

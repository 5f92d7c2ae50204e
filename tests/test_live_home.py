"""Names and states travel separately, over a real mosquitto: names rebuild the home, states change it in place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.brain.service import HearthBrain
from assistant.home import synthetic
from assistant.mqtt import inventory_cache
from assistant.mqtt.live_home import LiveHome
from assistant.skillkit.registry import SkillRegistry
from tests.mqtt_support import Broker, Recorder
from tests.test_mqtt_bridge import Calls, make_cfg, start_bridge

pytestmark = pytest.mark.slow


def state(value: str, changed: str, **attrs: object) -> str:
    return json.dumps({"state": value, "attributes": attrs, "changed": changed})


def test_a_state_is_applied_in_place_and_a_names_document_only_when_names_change(
    broker: Broker, tmp_path: Path
) -> None:
    home = synthetic.make_home(300)
    doc = home.to_dict()
    calls = Calls()
    cfg = make_cfg(broker, tmp_path, node="split")
    saved: list[int] = []
    brain = HearthBrain(home, SkillRegistry.discover())

    def on_inventory(inv: object) -> None:
        brain.set_inventory(inv)  # type: ignore[arg-type]
        saved.append(int(inventory_cache.save(cfg, inv)))  # type: ignore[arg-type]
        calls.inventories.append(inv)  # type: ignore[arg-type]

    rec = Recorder(broker.port, [])
    bridge = start_bridge(cfg, None, on_inventory=on_inventory)
    target = home.entities[7].entity_id
    try:
        assert bridge.ready.wait(5)
        rec.publish("hearth/inventory", json.dumps(doc), retain=True)
        calls.wait(lambda: len(calls.inventories) == 1)
        live = bridge.inventory
        assert live is not None and brain.inventory is live and saved == [1]
        cache_mtime = inventory_cache.path(cfg).stat().st_mtime_ns
        resolver = brain._home.resolver

        rec.publish(f"hearth/state/{target}", state("on", "2030-01-01T00:00:01+00:00", brightness=128), retain=True)
        calls.wait(lambda: live.entity(target).state == "on")
        assert live.entity(target).attributes["brightness"] == 128
        # Older news never wins; garbage changes nothing and the bridge keeps serving.
        rec.publish(f"hearth/state/{target}", state("off", "2030-01-01T00:00:00+00:00"))
        rec.publish(f"hearth/state/{target}", b"{not json")
        rec.publish(f"hearth/state/{target}", b"[1, 2]")
        # The same names with other states: states refreshed in place, nothing rebuilt or rewritten.
        doc["entities"][3]["state"] = "on"
        doc["entities"][3]["changed"] = "2030-01-01T00:00:05+00:00"
        rec.publish("hearth/inventory", json.dumps(doc), retain=True)
        calls.wait(lambda: live.entity(doc["entities"][3]["entity_id"]).state == "on")
        assert live.entity(target).state == "on"
        assert len(calls.inventories) == 1 and brain._home.resolver is resolver and bridge.live.rebuilds == 1
        assert inventory_cache.path(cfg).stat().st_mtime_ns == cache_mtime

        # A rename is a new home: index rebuilt, cache rewritten, states carried by the document.
        doc["entities"][7]["name"] = "Renamed Thing"
        rec.publish("hearth/inventory", json.dumps(doc), retain=True)
        calls.wait(lambda: len(calls.inventories) == 2)
        assert brain._home.resolver is not resolver and saved == [1, 1]
        assert brain._home.resolver.resolve("renamed thing").entities[0].entity_id == target
    finally:
        rec.publish("hearth/inventory", b"", retain=True)
        rec.publish(f"hearth/state/{target}", b"", retain=True)
        bridge.stop()
        rec.close()


def test_retained_states_that_come_before_the_names_are_kept() -> None:
    live = LiveHome()
    home = synthetic.make_home(20)
    eid = home.entities[0].entity_id
    assert not live.state(eid, state("on", "2030-01-01T00:00:01+00:00").encode())
    inv = live.document(json.dumps(home.to_dict()))
    assert inv is not None and inv.entity(eid).state == "on"
    assert live.document(json.dumps(home.to_dict())) is None  # same names: no new home
    assert live.state(eid, state("off", "2030-01-01T00:00:02+00:00").encode())
    assert inv.entity(eid).state == "off"

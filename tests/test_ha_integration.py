"""Hearth with a real Home Assistant 2024.3.3 and a real mosquitto: discovery, the hearth.yaml
package (inventory out, actions in, duplicates dropped), announcements, a broker outage.

One HA instance for the module. HA is installed into .venv-ha on first use; a failed install is a
failure, never a skip (CI runs these).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Config
from assistant.events import EventBus, Understood
from assistant.home.inventory import Inventory
from assistant.intents import Action, Intent, Understanding
from assistant.mqtt.bridge import MqttBridge
from tests.ha_support import HaStack, HomeAssistant
from tests.mqtt_support import Broker, Recorder

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
NODE = "kitchen"
INTENTS = ("HassTurnOn", "HassTurnOff", "HassNevermind")
TIMINGS: dict[str, float] = {}


class Env:
    def __init__(self, broker: Broker, ha: HomeAssistant, bridge: MqttBridge, bus: EventBus) -> None:
        self.broker, self.ha, self.bridge, self.bus = broker, ha, bridge, bus
        self.announced: list[str] = []
        self.mutes: list[bool] = []
        self.inventories: list[Inventory] = []


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, ha_stack: HaStack) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("ha")
    broker, ha = ha_stack.broker, ha_stack.ha
    TIMINGS["ha_install_and_start_s"] = ha_stack.start_s
    TIMINGS["ha_listening_s"] = ha_stack.wait_listening()
    cfg = Config().replace("general", node_id=NODE, area="kitchen", data_dir=str(root / "data"))
    cfg = cfg.replace("mqtt", enabled=True, port=broker.port)
    bus = EventBus()
    holder: dict[str, Env] = {}
    bridge = MqttBridge(
        cfg, bus, intent_types=INTENTS, reconnect_max_s=2,
        on_announce=lambda t: holder["env"].announced.append(t),
        on_mute=lambda m: holder["env"].mutes.append(m),
        on_inventory=lambda inv: holder["env"].inventories.append(inv),
    )
    e = holder["env"] = Env(broker, ha, bridge, bus)
    bridge.start()
    try:
        yield e
    finally:
        bridge.stop()
        print("\nHA timings (s):", {k: round(v, 2) for k, v in TIMINGS.items()})


def understood(text: str, intent: str, *actions: Action) -> Understood:
    return Understood(understanding=Understanding(text=text, reply="OK", intents=(Intent(intent, {}, actions),)),
                      area="kitchen")


def test_discovery_creates_the_device_and_its_entities(env: Env) -> None:
    t0 = time.monotonic()
    ids = {
        "event.hearth_kitchen_intent", "sensor.hearth_kitchen_state", "sensor.hearth_kitchen_transcript",
        "sensor.hearth_kitchen_last_intent", "sensor.hearth_kitchen_latency", "switch.hearth_kitchen_mute",
        "text.hearth_kitchen_announce", "button.hearth_kitchen_cancel",
    }
    def ready() -> dict[str, Any] | None:
        s = {x["entity_id"]: x for x in env.ha.states()}
        ok = ids <= set(s) and all(s[i]["state"] != "unavailable" for i in ids)
        return s if ok else None

    states = env.ha.wait_for(ready, 30, "Hearth's entities, available")
    TIMINGS["discovery_s"] = time.monotonic() - t0
    assert sorted(states["event.hearth_kitchen_intent"]["attributes"]["event_types"]) == sorted(INTENTS)
    assert states["sensor.hearth_kitchen_state"]["state"] == "idle"
    template = (
        "{{ device_attr('event.hearth_kitchen_intent', 'name') }}|"
        "{{ device_entities(device_id('event.hearth_kitchen_intent')) | length }}"
    )
    device = env.ha.session.post(f"{env.ha.url}/api/template", json={"template": template}, timeout=10).text
    assert device == f"Hearth {NODE}|{len(ids)}"  # one device holding every entity


def test_inventory_from_the_package_parses(env: Env) -> None:
    t0 = time.monotonic()
    inv = env.ha.wait_for(lambda: env.bridge.inventory, 20, "inventory on hearth/inventory")
    TIMINGS["inventory_s"] = time.monotonic() - t0
    light = inv.entity("light.kitchen")
    assert light is not None and light.name == "Kitchen Light" and light.aliases == ("cooking light",)
    assert inv.entity("input_boolean.porch_light") is not None
    assert not any(e.entity_id.startswith(("sensor.hearth_", "switch.hearth_")) for e in inv.entities)
    assert env.inventories and env.inventories[-1].entity("light.kitchen") is not None


def test_an_intent_changes_a_real_entity_and_the_inventory_follows(env: Env) -> None:
    t0 = time.monotonic()
    env.bus.publish(understood("turn on the kitchen light", "HassTurnOn", Action("light.turn_on", "light.kitchen")))
    env.ha.wait_for(lambda: env.ha.state("light.kitchen")["state"] == "on", 15, "light.kitchen on")
    TIMINGS["intent_to_state_s"] = time.monotonic() - t0
    ev = env.ha.state("event.hearth_kitchen_intent")
    assert ev["attributes"]["event_type"] == "HassTurnOn"
    env.ha.wait_for(
        lambda: (i := env.bridge.inventory) and i.entity("light.kitchen").state == "on", 15,
        "inventory showing the light on",
    )
    TIMINGS["state_to_inventory_s"] = time.monotonic() - t0
    # A domain outside the allow-list is refused; an intent re-sent with the same id runs once.
    env.bus.publish(understood("unlock", "HassTurnOff", Action("homeassistant.turn_off", "light.kitchen")))
    time.sleep(2)
    assert env.ha.state("light.kitchen")["state"] == "on"
    assert "refused homeassistant.turn_off" in env.ha.log_text()


def test_names_and_states_travel_separately(env: Env) -> None:
    """A new or renamed entity sends the names document; a state change only its own state,
    which Hearth applies in place without rebuilding the home."""
    env.ha.wait_for(lambda: env.bridge.inventory, 20, "inventory on hearth/inventory")
    sensor = "sensor.porch_temperature"

    def put(state: str, name: str) -> None:
        env.ha.api("POST", f"states/{sensor}", json={"state": state, "attributes": {"friendly_name": name}})

    put("20.0", "Porch Temperature")
    env.ha.wait_for(lambda: (i := env.bridge.inventory) and i.entity(sensor), 20, "the new sensor in the inventory")
    rebuilds, docs = env.bridge.live.rebuilds, len(env.inventories)
    home = env.bridge.inventory
    put("21.5", "Porch Temperature")
    env.ha.wait_for(lambda: env.bridge.inventory.entity(sensor).state == "21.5", 15, "the new state in place")
    time.sleep(3.5)  # longer than the names automation's delay: a names document would be here by now
    assert env.bridge.live.rebuilds == rebuilds and len(env.inventories) == docs
    assert env.bridge.inventory is home
    put("21.5", "Patio Temperature")
    env.ha.wait_for(lambda: env.bridge.inventory.entity(sensor).name == "Patio Temperature", 20, "the rename")
    assert env.bridge.live.rebuilds == rebuilds + 1 and len(env.inventories) == docs + 1
    assert env.inventories[-1].entity(sensor).state == "21.5"


def test_duplicate_ids_are_dropped_by_the_package(env: Env) -> None:
    rec = Recorder(env.broker.port, [f"hearth/{NODE}/intent"])
    try:
        before = float(env.ha.state("counter.hearth_test")["state"])
        count = Intent("HassTurnOn", {}, (Action("counter.increment", "counter.hearth_test"),))
        ids = env.bridge.publish_intents(Understanding(text="count", reply="", intents=(count,)))
        original = rec.wait(f"hearth/{NODE}/intent")[0].payload
        for _ in range(3):
            rec.publish(f"hearth/{NODE}/intent", original)  # the same id again, as after a lost PUBACK
        env.ha.wait_for(lambda: ids[0] in env.ha.state("input_text.hearth_recent_ids")["state"], 10, "id seen")
        time.sleep(2)
        assert float(env.ha.state("counter.hearth_test")["state"]) == before + 1
    finally:
        rec.close()


def test_announce_and_mute_from_home_assistant(env: Env) -> None:
    t0 = time.monotonic()
    env.ha.call("text.set_value", entity_id="text.hearth_kitchen_announce", value="The laundry is done")
    env.ha.wait_for(lambda: "The laundry is done" in env.announced, 10, "announcement")
    TIMINGS["announce_s"] = time.monotonic() - t0
    env.ha.call("switch.turn_on", entity_id="switch.hearth_kitchen_mute")
    env.ha.wait_for(lambda: env.mutes == [True], 10, "mute")
    env.ha.wait_for(lambda: env.ha.state("switch.hearth_kitchen_mute")["state"] == "on", 10, "mute state")


def test_broker_outage_during_a_burst_every_intent_reaches_ha_once_in_order(env: Env) -> None:
    start = float(env.ha.state("counter.hearth_test")["state"])
    n = 12

    def intent(i: int) -> Understood:
        return Understood(understanding=Understanding(text=f"count {i}", reply="", intents=(Intent(
            "HassTurnOn", {}, (Action("counter.increment", "counter.hearth_test"),
                               Action("input_number.set_value", "input_number.hearth_test_last", {"value": i}))),)))

    t0 = time.monotonic()
    for i in range(1, n + 1):
        env.bus.publish(intent(i))
        if i == 4:
            env.broker.stop()
    time.sleep(1)
    env.broker.start()
    def done() -> Any:
        return float(env.ha.state("counter.hearth_test")["state"]) >= start + n
    env.ha.wait_for(done, 90, "every intent after the outage")
    TIMINGS["outage_recovery_s"] = time.monotonic() - t0
    time.sleep(2)
    assert float(env.ha.state("counter.hearth_test")["state"]) == start + n  # exactly once
    assert float(env.ha.state("input_number.hearth_test_last")["state"]) == n  # the last one ran last
    assert env.bridge.flush(5)

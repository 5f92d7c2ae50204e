"""Hearth with a real Home Assistant 2024.3.3 and a real mosquitto: discovery, the hearth.yaml
package (inventory out), the hearth integration (signed actions in, duplicates dropped, outcomes
back), announcements, a broker outage.

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
from assistant.events import EventBus, ServiceStatus, TimerFinished, Understood
from assistant.home.inventory import Inventory
from assistant.intents import Action, Intent, Understanding
from assistant.metrics import Metrics
from assistant.mqtt.bridge import MqttBridge
from assistant.mqtt.health import HealthPublisher
from assistant.skillkit.timers import TimerManager
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
    cfg = cfg.replace("mqtt", enabled=True, port=broker.port, secret_file=str(ha.secret_file))
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
        "text.hearth_kitchen_announce", "button.hearth_kitchen_cancel", "event.hearth_kitchen_timer",
        "sensor.hearth_kitchen_timers", "sensor.hearth_kitchen_health", "sensor.hearth_kitchen_memory",
        "sensor.hearth_kitchen_cpu", "sensor.hearth_kitchen_commands", "sensor.hearth_kitchen_outbox",
        "sensor.hearth_kitchen_restarts",
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


def test_timers_and_health_reach_home_assistant(env: Env) -> None:
    timers = TimerManager()
    health = HealthPublisher(env.bridge, env.bus, Metrics(env.bus), timers, interval_s=60)
    try:
        timers.start(600, "bread")
        health.publish_timers()
        health.publish_health()
        env.bus.publish(TimerFinished(timer_id=7, name="pasta", duration_s=300.0, area="kitchen"))

        def settled() -> dict[str, Any] | None:
            s = {x["entity_id"]: x for x in env.ha.states()}
            timer = s.get("event.hearth_kitchen_timer", {}).get("attributes", {})
            ok = (timer.get("event_type") == "finished" and s["sensor.hearth_kitchen_timers"]["state"] == "1"
                  and s["sensor.hearth_kitchen_health"]["state"] == "ok")
            return s if ok else None

        states = env.ha.wait_for(settled, 20, "timer event, timers and health sensors")
        assert states["event.hearth_kitchen_timer"]["attributes"]["name"] == "pasta"
        assert states["sensor.hearth_kitchen_timers"]["attributes"]["timers"][0]["name"] == "bread"
        assert float(states["sensor.hearth_kitchen_memory"]["state"]) > 10
        env.bus.publish(ServiceStatus(worker="stream-local", status="restarting", message="microphone lost"))
        env.ha.wait_for(lambda: {x["entity_id"]: x for x in env.ha.states()}["sensor.hearth_kitchen_health"]
                        ["state"] == "degraded" or None, 20, "health degraded after a lost microphone")
    finally:
        health.close()


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
    env.ha.call("light.turn_off", entity_id="light.kitchen")  # other modules share this HA
    env.ha.wait_for(lambda: env.ha.state("light.kitchen")["state"] == "off", 15, "light.kitchen off")
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
    # A service outside the allow-list is refused, logged and reported back to Hearth.
    env.bus.publish(understood("unlock", "HassTurnOff", Action("homeassistant.turn_off", "light.kitchen")))
    assert env.bridge.flush(15)
    assert env.ha.state("light.kitchen")["state"] == "on"
    assert "refused: service_not_allowed [homeassistant.turn_off on light.kitchen]" in env.ha.log_text()
    assert env.bridge.outcomes["refused"] == 1


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


def test_duplicate_ids_are_dropped_by_the_integration(env: Env) -> None:
    rec = Recorder(env.broker.port, [f"hearth/{NODE}/intent", f"hearth/{NODE}/result"])
    try:
        before = float(env.ha.state("counter.hearth_executed")["state"])
        flip = env.ha.state("input_boolean.flip")["state"]
        toggle = Intent("HassToggle", {}, (Action("input_boolean.toggle", "input_boolean.flip"),))
        ids = env.bridge.publish_intents(Understanding(text="flip", reply="", intents=(toggle,)))
        original = rec.wait(f"hearth/{NODE}/intent")[0].payload
        for _ in range(3):
            rec.publish(f"hearth/{NODE}/intent", original)  # the same id again, as after a lost result
        results = rec.wait(f"hearth/{NODE}/result", 4, pred=lambda m: m.json()["id"] == ids[0])
        assert [m.json()["duplicate"] for m in results] == [False, True, True, True]
        assert {m.json()["status"] for m in results} == {"executed"}
        time.sleep(1)
        assert float(env.ha.state("counter.hearth_executed")["state"]) == before + 1
        assert env.ha.state("input_boolean.flip")["state"] == {"on": "off", "off": "on"}[flip]  # toggled once
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
    start = float(env.ha.state("counter.hearth_executed")["state"])
    flip = env.ha.state("input_boolean.flip")["state"]
    n = 12
    ids: list[str] = []

    def intent(i: int) -> Understanding:
        return Understanding(text=f"flip {i}", reply="", intents=(Intent(
            "HassToggle", {"n": i}, (Action("input_boolean.toggle", "input_boolean.flip"),)),))

    t0 = time.monotonic()
    for i in range(1, n + 1):
        ids += env.bridge.publish_intents(intent(i))
        if i == 4:
            env.broker.stop()
    time.sleep(1)
    env.broker.start()
    t1 = time.monotonic()
    rec = Recorder(env.broker.port, [f"hearth/{NODE}/result"])
    try:
        assert env.bridge.flush(150), f"{env.bridge.outbox.count()} intents never confirmed"
        TIMINGS["outage_recovery_s"] = time.monotonic() - t0
        TIMINGS["broker_back_to_all_executed_s"] = time.monotonic() - t1
        env.ha.wait_for(lambda: float(env.ha.state("counter.hearth_executed")["state"]) >= start + n, 10, "count")
        time.sleep(1)
        assert float(env.ha.state("counter.hearth_executed")["state"]) == start + n  # exactly once
        assert env.ha.state("input_boolean.flip")["state"] == flip  # an even number of toggles
        seen = [m.json() for m in rec.on(f"hearth/{NODE}/result") if m.json()["id"] in ids]
        order = [d["id"] for d in seen if not d["duplicate"]]
        assert order == [i for i in ids if i in order]  # what ran after the outage ran in order
    finally:
        rec.close()

"""The MQTT bridge against a real mosquitto on 127.0.0.1 (started here on a free port)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Config
from assistant.events import EventBus, RunFinished, StateChanged, Transcribed, Understood
from assistant.home.inventory import Inventory
from assistant.intents import Action, Intent, Understanding
from assistant.mqtt import discovery, probe
from assistant.mqtt.bridge import MqttBridge
from assistant.mqtt.remove import remove_node
from tests.mqtt_support import Broker, Confirmer, Recorder

pytestmark = pytest.mark.slow
INTENTS = ("HassTurnOn", "HassTurnOff", "HassStartTimer")
GOOD_INVENTORY = json.dumps({
    "areas": [{"id": "kitchen", "name": "Kitchen"}],
    "entities": [{"entity_id": "light.kitchen", "name": "Kitchen Light", "area": "kitchen", "state": "off"}],
})


@pytest.fixture(autouse=True)
def confirmer(broker: Broker) -> Iterator[Confirmer]:
    """Home Assistant's part: a result for every intent (no secret configured in these tests)."""
    c = Confirmer(broker.port)
    yield c
    c.close()


def make_cfg(broker: Broker, tmp_path: Path, node: str = "kitchen", **mqtt: Any) -> Config:
    cfg = Config().replace("general", node_id=node, area="kitchen", data_dir=str(tmp_path))
    return cfg.replace("mqtt", enabled=True, port=broker.port, **mqtt)


class Calls:
    """Records what the bridge hands to the rest of Hearth."""

    def __init__(self) -> None:
        self.inventories: list[Inventory] = []
        self.announced: list[str] = []
        self.cancels = 0
        self.mutes: list[bool] = []
        self.event = threading.Event()

    def kwargs(self) -> dict[str, Any]:
        return {
            "on_inventory": lambda inv: (self.inventories.append(inv), self.event.set()),
            "on_announce": lambda text: (self.announced.append(text), self.event.set()),
            "on_cancel": lambda: (setattr(self, "cancels", self.cancels + 1), self.event.set()),
            "on_mute": lambda m: (self.mutes.append(m), self.event.set()),
        }

    def wait(self, cond: Any, timeout_s: float = 5.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not cond():
            assert time.monotonic() < deadline, "callback not called"
            time.sleep(0.02)


def turn_on(n: int = 0) -> Understanding:
    return Understanding(
        text=f"turn on the kitchen light {n}",
        reply="Turned on.",
        intents=(Intent("HassTurnOn", {"name": "kitchen light", "n": n}, (Action("light.turn_on", "light.kitchen"),)),),
    )


def start_bridge(cfg: Config, calls: Calls | None = None, bus: EventBus | None = None, **kw: Any) -> MqttBridge:
    bridge = MqttBridge(cfg, bus or EventBus(), intent_types=INTENTS, retry_s=0.5,
                        reconnect_max_s=1, **(calls.kwargs() if calls else {}), **kw)
    bridge.start()
    return bridge


def test_intents_published_with_schema_qos1_not_retained(broker: Broker, tmp_path: Path) -> None:
    rec = Recorder(broker.port, ["hearth/kitchen/#"])
    bus = EventBus()
    bridge = start_bridge(make_cfg(broker, tmp_path), bus=bus)
    try:
        assert bridge.ready.wait(5)
        u = Understanding(
            text="turn on the light and set a timer", reply="OK", language="en",
            intents=(turn_on().intents[0], Intent("HassStartTimer", {"minutes": 3})),
        )
        bus.publish(StateChanged(state="thinking"))
        bus.publish(Transcribed(text=u.text, language="en", audio_s=1.0, seconds=0.2))
        bus.publish(Understood(understanding=u, area="kitchen", run_id="run-1"))
        bus.publish(RunFinished(timings_ms={"stt": 200.0, "total": 812.5}))
        msgs = rec.wait("hearth/kitchen/intent", 2)
        assert bridge.flush(5) and bridge.outbox.count() == 0
        docs = [m.json() for m in msgs]
        assert all(m.qos == 1 and not m.retain for m in msgs)
        assert [d["intent"] for d in docs] == ["HassTurnOn", "HassStartTimer"]
        assert len({d["id"] for d in docs}) == 2
        for d in docs:
            assert d["node"] == "kitchen" and d["area"] == "kitchen" and d["text"] == u.text
            assert d["language"] == "en" and d["reply"] == "OK" and d["run_id"] == "run-1"
            assert isinstance(d["ts"], float) and abs(d["ts"] - time.time()) < 60
        assert docs[0]["actions"] == [{"service": "light.turn_on", "entity_id": "light.kitchen", "data": {}}]
        state = rec.wait("hearth/kitchen/state", pred=lambda m: m.json()["latency_ms"] == 812.5)[-1].json()
        assert state == {"state": "thinking", "transcript": u.text, "intent": "HassTurnOn,HassStartTimer",
                         "latency_ms": 812.5}
    finally:
        bridge.stop()
        rec.close()


def test_availability_online_and_last_will(broker: Broker, tmp_path: Path) -> None:
    rec = Recorder(broker.port, ["hearth/lwt/status"])
    bridge = start_bridge(make_cfg(broker, tmp_path, node="lwt"))
    try:
        rec.wait("hearth/lwt/status", pred=lambda m: m.payload == b"online")
        sock = bridge._client.socket()
        bridge._client.loop_stop()  # the process "dies": no DISCONNECT, the broker sends the will
        sock.close()
        rec.wait("hearth/lwt/status", pred=lambda m: m.payload == b"offline")
    finally:
        bridge._started = False
        bridge.outbox.close()
        rec.close()
    late = Recorder(broker.port, ["hearth/lwt/status"])  # retained: a late subscriber sees offline
    try:
        assert late.wait("hearth/lwt/status")[-1].payload == b"offline"
    finally:
        late.close()


def test_discovery_and_birth_message_resend(broker: Broker, tmp_path: Path) -> None:
    rec = Recorder(broker.port, ["homeassistant/+/disco/+/config"])
    bridge = start_bridge(make_cfg(broker, tmp_path, node="disco"))
    try:
        first = rec.wait("homeassistant/+/disco/+/config", len(discovery.messages(bridge.topics, INTENTS)))
        topics = {m.topic for m in first}
        late = Recorder(broker.port, ["homeassistant/+/disco/+/config"])  # retained: replayed to it
        try:
            replayed = late.wait("homeassistant/+/disco/+/config", len(topics))
            assert all(m.retain for m in replayed) and {m.topic for m in replayed} == topics
        finally:
            late.close()
        assert "homeassistant/event/disco/intent/config" in topics
        event = next(m.json() for m in first if m.topic == "homeassistant/event/disco/intent/config")
        assert event["event_types"] == sorted(INTENTS)
        rec.clear()
        rec.publish("homeassistant/status", "online")  # Home Assistant restarted
        again = rec.wait("homeassistant/+/disco/+/config", len(topics), timeout_s=8)
        assert {m.topic for m in again} == topics
    finally:
        bridge.stop()
        rec.close()
    cleared = remove_node(make_cfg(broker, tmp_path).mqtt, "disco")
    assert topics <= set(cleared)
    after = Recorder(broker.port, ["homeassistant/+/disco/+/config", "hearth/disco/#"])
    try:
        time.sleep(0.5)
        assert after.messages == []  # nothing retained is left of the node
    finally:
        after.close()


def test_commands_reach_hearth(broker: Broker, tmp_path: Path) -> None:
    calls = Calls()
    rec = Recorder(broker.port, ["hearth/cmd/mute"])
    bridge = start_bridge(make_cfg(broker, tmp_path, node="cmd"), calls)
    try:
        assert bridge.ready.wait(5)
        rec.publish("hearth/cmd/announce", "Dinner is ready")
        rec.publish("hearth/cmd/command", json.dumps({"command": "announce", "text": "晚饭好了"}))
        calls.wait(lambda: len(calls.announced) == 2)
        assert calls.announced == ["Dinner is ready", "晚饭好了"]
        rec.publish("hearth/cmd/mute/set", "ON")
        calls.wait(lambda: calls.mutes == [True])
        rec.wait("hearth/cmd/mute", pred=lambda m: m.payload == b"ON")
        rec.publish("hearth/cmd/cancel", "PRESS")
        calls.wait(lambda: calls.cancels == 1)
    finally:
        bridge.stop()
        rec.close()


def test_garbage_on_every_subscribed_topic_changes_nothing(broker: Broker, tmp_path: Path) -> None:
    calls = Calls()
    rec = Recorder(broker.port, ["hearth/junk/intent", "hearth/junk/mute"])
    cfg = make_cfg(broker, tmp_path, node="junk", max_payload_bytes=10_000)
    bridge = start_bridge(cfg, calls)
    try:
        assert bridge.ready.wait(5)
        rec.publish("hearth/inventory", GOOD_INVENTORY, retain=True)
        calls.wait(lambda: len(calls.inventories) == 1)
        good = bridge.inventory
        garbage = [b"", b"{", b"\xff\xfe\xfd", b"null", b"[]", b'{"entities": 5}', b'{"command": "rm -rf"}',
                   b"x" * 20_000, json.dumps({"entities": [{"entity_id": "nodot"}]}).encode()]
        for topic in bridge.topics.subscriptions():
            for payload in garbage:
                if topic == "homeassistant/status" and payload == b"":
                    continue
                rec.publish(topic, payload)
        rec.publish("hearth/junk/announce", "still here")  # a marker after all the garbage
        calls.wait(lambda: calls.announced == ["still here"])
        assert bridge.inventory is good and len(calls.inventories) == 1
        assert calls.mutes == [] and calls.cancels == 0
        assert bridge._client.is_connected() and bridge._dispatcher and bridge._dispatcher.is_alive()
        bridge.publish_intents(turn_on())
        assert rec.wait("hearth/junk/intent")[0].json()["intent"] == "HassTurnOn"
    finally:
        rec.publish("hearth/inventory", b"", retain=True)
        bridge.stop()
        rec.close()


def test_broker_outage_during_a_burst_loses_nothing(broker: Broker, tmp_path: Path) -> None:
    # A persistent session: the broker keeps the subscriber's messages across its own restart.
    rec = Recorder(broker.port, ["hearth/burst/intent"], client_id="burst-recorder", clean=False)
    bridge = start_bridge(make_cfg(broker, tmp_path, node="burst"))
    sent: list[str] = []
    try:
        assert bridge.ready.wait(5)
        for i in range(30):
            sent += bridge.publish_intents(turn_on(i))
            if i == 10:
                broker.stop()  # mid-burst, some intents still unacknowledged
        assert bridge.outbox.count() > 0  # they wait on disk
        time.sleep(1.0)
        broker.start()
        assert bridge.flush(30), f"{bridge.outbox.count()} intents never acknowledged"
        try:
            got = rec.wait("hearth/burst/intent", len(sent), timeout_s=20)
        except AssertionError:
            ids = [m.json()["id"] for m in rec.on("hearth/burst/intent")]
            raise AssertionError(f"missing {[i for i, x in enumerate(sent) if x not in ids]}") from None
        ids = [m.json()["id"] for m in got]
        first_seen = list(dict.fromkeys(ids))  # consumers drop a repeated id
        assert first_seen == sent, [sent.index(i) if i in sent else i for i in ids]  # all, in order
        assert [m.json()["slots"]["n"] for m in got if m.json()["id"] in first_seen][:1] == [0]
    finally:
        bridge.stop()
        rec.close()


def test_restart_replays_the_outbox(broker: Broker, tmp_path: Path) -> None:
    down = make_cfg(broker, tmp_path, node="replay").replace("mqtt", port=1)  # nothing listens there
    first = start_bridge(down)
    ids = [first.publish_intents(turn_on(i))[0] for i in range(3)]  # broker unreachable: voice goes on
    first.stop()
    assert first.outbox.path.exists()
    rec = Recorder(broker.port, ["hearth/replay/intent"])
    second = start_bridge(make_cfg(broker, tmp_path, node="replay"))  # same data dir = same outbox
    try:
        got = rec.wait("hearth/replay/intent", 3, timeout_s=10)
        assert [m.json()["id"] for m in got] == ids
        assert second.flush(5)
    finally:
        second.stop()
        rec.close()


def test_probe(broker: Broker, tmp_path: Path) -> None:
    ok, message = probe(make_cfg(broker, tmp_path).mqtt)
    assert ok and str(broker.port) in message
    ok, message = probe(make_cfg(broker, tmp_path).replace("mqtt", port=1).mqtt)
    assert not ok and "host/port" in message

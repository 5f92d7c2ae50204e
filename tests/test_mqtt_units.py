"""Pure logic of the MQTT side: the outbox, payload validation, discovery payloads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.config import MqttConfig
from assistant.errors import ConfigError, MqttError
from assistant.intents import Action, Intent, Understanding
from assistant.mqtt import discovery, payloads
from assistant.mqtt.outbox import Outbox
from assistant.mqtt.topics import Topics


def test_outbox_keeps_order_removes_on_ack_and_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    box = Outbox(path)
    seqs = [box.add(f"id{i}", "t", f"p{i}".encode()) for i in range(5)]
    assert seqs == sorted(seqs)
    box.remove(seqs[1])
    assert [p.msg_id for p in box.pending()] == ["id0", "id2", "id3", "id4"]
    assert [p.msg_id for p in box.pending(after_seq=seqs[2])] == ["id3", "id4"]
    box.close()
    reopened = Outbox(path)  # a restart: nothing acknowledged is lost, order is kept
    assert [(p.msg_id, p.payload) for p in reopened.pending()] == [
        ("id0", b"p0"), ("id2", b"p2"), ("id3", b"p3"), ("id4", b"p4"),
    ]
    assert not reopened.wait_empty(0.05)
    for p in reopened.pending():
        reopened.remove(p.seq)
    assert reopened.wait_empty(0.05) and reopened.count() == 0


def test_outbox_rejects_an_unwritable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(MqttError, match="outbox"):
        Outbox(blocker / "sub" / "outbox.sqlite")


def test_intent_documents_follow_the_schema() -> None:
    u = Understanding(
        text="turn on the kitchen light and start a timer",
        reply="Done.",
        intents=(
            Intent("HassTurnOn", {"name": "kitchen light"}, (Action("light.turn_on", "light.kitchen"),)),
            Intent("HassStartTimer", {"minutes": 5}),
        ),
        language="en",
    )
    docs = payloads.intent_documents(u, node="kitchen", area="kitchen", run_id="r1")
    assert len(docs) == 2
    keys = {"v", "id", "ts", "ttl", "node", "area", "text", "language", "intent", "slots", "actions", "reply",
            "run_id"}
    assert all(set(d) == keys for d in docs)
    assert docs[0]["id"] != docs[1]["id"] and all(len(d["id"]) == 16 for d in docs)
    assert docs[0]["actions"] == [{"service": "light.turn_on", "entity_id": "light.kitchen", "data": {}}]
    assert docs[1]["actions"] == [] and docs[1]["slots"] == {"minutes": 5}
    assert json.loads(payloads.encode(docs[0]))["text"] == u.text
    assert payloads.intent_documents(Understanding(text="hi", reply="hello"), node="n", area="") == []


@pytest.mark.parametrize(
    ("parse", "payload", "expected"),
    [
        (payloads.parse_announce, b"Dinner is ready", payloads.Command("announce", text="Dinner is ready")),
        (payloads.parse_announce, '{"text": "饭好了"}'.encode(), payloads.Command("announce", text="饭好了")),
        (payloads.parse_mute, b"ON", payloads.Command("mute", muted=True)),
        (payloads.parse_mute, b"off", payloads.Command("mute", muted=False)),
        (payloads.parse_cancel, b"PRESS", payloads.Command("cancel")),
        (payloads.parse_command, b'{"command": "mute", "muted": true}', payloads.Command("mute", muted=True)),
        (payloads.parse_command, b'{"command": "discovery"}', payloads.Command("discovery")),
        (payloads.parse_announce, b'{"text": "Dinner", "area": "kitchen"}',
         payloads.Command("announce", text="Dinner", area="kitchen")),
        (payloads.parse_command, b'{"command": "announce", "text": "Bedtime", "floor": "First floor"}',
         payloads.Command("announce", text="Bedtime", floor="First floor")),
    ],
)
def test_valid_commands_parse(parse, payload: bytes, expected: payloads.Command) -> None:  # type: ignore[no-untyped-def]
    assert parse(payload) == expected


@pytest.mark.parametrize(
    ("parse", "payload"),
    [
        (payloads.parse_announce, b""),
        (payloads.parse_announce, b"\xff\xfe\x00"),
        (payloads.parse_announce, b'{"text": 3}'),
        (payloads.parse_announce, b"{not json"),
        (payloads.parse_announce, b"[1]"),
        (payloads.parse_cancel, b""),
        (payloads.parse_announce, b"x" * 2000),
        (payloads.parse_announce, b'{"text": "hi", "area": 3}'),
        (payloads.parse_announce, b'{"text": "hi", "area": "kitchen", "floor": "ground"}'),
        (payloads.parse_announce, ('{"text": "hi", "floor": "%s"}' % ("x" * 200)).encode()),
        (payloads.parse_mute, b"maybe"),
        (payloads.parse_cancel, b"reboot now"),
        (payloads.parse_command, b'{"command": "self_destruct"}'),
        (payloads.parse_command, b"[1, 2]"),
        (payloads.parse_command, b"garbage"),
    ],
)
def test_bad_commands_are_refused_with_a_reason(parse, payload: bytes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MqttError) as e:
        parse(payload)
    assert e.value.message


def test_topics_refuse_unsafe_node_ids() -> None:
    with pytest.raises(ConfigError, match="node_id"):
        Topics.for_node(MqttConfig(), "living room/+")
    with pytest.raises(ConfigError, match="base_topic"):
        Topics.for_node(MqttConfig(base_topic="a/#"), "kitchen")


def test_discovery_describes_one_device_with_every_entity_and_trigger() -> None:
    topics = Topics.for_node(MqttConfig(base_topic="hearth"), "kitchen")
    intents = ["HassTurnOn", "HassTurnOff", "HassStartTimer", "HassTurnOn"]
    msgs = discovery.messages(topics, intents, area="kitchen", version="0.1.0")
    by_topic = dict(msgs)
    assert len(by_topic) == len(msgs)  # no topic twice
    event = by_topic["homeassistant/event/kitchen/intent/config"]
    assert event["event_types"] == ["HassStartTimer", "HassTurnOff", "HassTurnOn"]
    assert event["state_topic"] == "hearth/kitchen/intent"
    components = {t.split("/")[1] for t in by_topic}
    assert components == {"event", "sensor", "switch", "text", "button", "device_automation"}
    triggers = [c for t, c in msgs if "/device_automation/" in t]
    assert sorted(c["subtype"] for c in triggers) == sorted(set(intents))
    assert all(c["topic"] == topics.intent and c["payload"] == c["subtype"] for c in triggers)
    entities = [c for t, c in msgs if "/device_automation/" not in t]
    assert len({c["unique_id"] for c in entities}) == len(entities)
    assert all(c["availability_topic"] == "hearth/kitchen/status" for c in entities)
    assert {json.dumps(c["device"], sort_keys=True) for _, c in msgs} == {
        json.dumps(discovery.device(topics, "kitchen", "0.1.0"), sort_keys=True)
    }
    state = by_topic["homeassistant/sensor/kitchen/state/config"]
    assert state["options"] == list(discovery.PIPELINE_STATES)
    assert by_topic["homeassistant/switch/kitchen/mute/config"]["command_topic"] == "hearth/kitchen/mute/set"
    assert by_topic["homeassistant/text/kitchen/announce/config"]["command_topic"] == "hearth/kitchen/announce"
    assert by_topic["homeassistant/button/kitchen/cancel/config"]["command_topic"] == "hearth/kitchen/cancel"
    stale = "homeassistant/device_automation/kitchen/intent_HassOldIntent/config"
    assert discovery.trigger_topic_is_stale(topics, stale, intents)
    assert not discovery.trigger_topic_is_stale(topics, triggers and msgs[-1][0], intents)

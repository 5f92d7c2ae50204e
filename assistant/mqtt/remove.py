"""Clearing a removed node: its retained discovery configs and state, so HA forgets the device."""

from __future__ import annotations

import logging
import os
import threading
import time

import paho.mqtt.client as mqtt

from assistant.config import MqttConfig
from assistant.errors import MqttError
from assistant.mqtt.client import make_client
from assistant.mqtt.topics import Topics

log = logging.getLogger(__name__)


def remove_node(cfg: MqttConfig, node_id: str, collect_s: float = 1.5) -> list[str]:
    """Publish empty retained messages on every retained topic of ``node_id``; returns them.

    The configs are found by subscribing to the node's discovery wildcard (the broker replays
    retained messages), so triggers of intents no longer known are cleared too.
    """
    topics = Topics.for_node(cfg, node_id)
    found: set[str] = set(topics.retained_state_topics())
    connected = threading.Event()
    client = make_client(cfg, f"hearth-remove-{os.getpid()}")

    def on_connect(c: mqtt.Client, u: object, f: object, rc: mqtt.ReasonCode, p: object) -> None:
        if not rc.is_failure:
            c.subscribe(topics.discovery_wildcard, qos=1)
            connected.set()

    def on_message(c: mqtt.Client, u: object, msg: mqtt.MQTTMessage) -> None:
        if msg.retain and msg.payload:
            found.add(msg.topic)

    client.on_connect = on_connect
    client.on_message = on_message
    try:
        client.connect(cfg.host, cfg.port, keepalive=10)
    except OSError as e:
        raise MqttError(f"cannot reach the MQTT broker at {cfg.host}:{cfg.port}: {e}") from e
    client.loop_start()
    try:
        if not connected.wait(10):
            raise MqttError(f"the broker at {cfg.host}:{cfg.port} refused or did not answer")
        time.sleep(collect_s)
        cleared = sorted(found)
        infos = [client.publish(t, b"", qos=1, retain=True) for t in cleared]
        for info in infos:
            info.wait_for_publish(10)
        log.info("cleared %d retained topics of node %s", len(cleared), node_id)
        return cleared
    finally:
        client.disconnect()
        client.loop_stop()

"""Home Assistant MQTT discovery payloads for one node, as pure functions (per-component topics,
which HA understands from 2024.3 to today)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from assistant.mqtt.topics import Topics

PIPELINE_STATES = ("idle", "listening", "thinking", "speaking")
MAX_STATE_CHARS = 255
"""HA refuses sensor states longer than this."""


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "intent"


def device(topics: Topics, area: str = "", version: str = "") -> dict[str, Any]:
    """One HA device per Hearth node."""
    dev: dict[str, Any] = {
        "identifiers": [f"hearth_{topics.node}"],
        "name": f"Hearth {topics.node}",
        "manufacturer": "Hearth",
        "model": "Offline voice assistant",
    }
    if version:
        dev["sw_version"] = version
    if area:
        dev["suggested_area"] = area.replace("_", " ").title()
    return dev


def _entity(topics: Topics, key: str, name: str, dev: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "unique_id": f"hearth_{topics.node}_{key}",
        "object_id": f"hearth_{topics.node}_{key}",
        "device": dev,
        "availability_topic": topics.availability,
        "payload_available": "online",
        "payload_not_available": "offline",
        "origin": {"name": "Hearth"},
        **extra,
    }


def _event_template() -> str:
    keys = ("id", "text", "area", "language", "slots", "reply", "node")
    fields = ", ".join(f"'{k}': value_json.{k}" for k in keys)
    return "{{ {'event_type': value_json.intent, " + fields + "} | to_json }}"


def messages(
    topics: Topics,
    intent_types: Iterable[str],
    *,
    area: str = "",
    version: str = "",
) -> list[tuple[str, dict[str, Any]]]:
    """Every retained discovery config of the node: ``(topic, payload)`` in publish order."""
    dev = device(topics, area, version)
    types = sorted({t for t in intent_types if t})
    out: list[tuple[str, dict[str, Any]]] = [
        (
            topics.discovery("event", "intent"),
            _entity(
                topics, "intent", "Intent", dev,
                state_topic=topics.intent,
                event_types=types,
                value_template=_event_template(),
                icon="mdi:account-voice",
            ),
        ),
        (
            topics.discovery("sensor", "state"),
            _entity(
                topics, "state", "State", dev,
                state_topic=topics.state,
                value_template="{{ value_json.state }}",
                device_class="enum",
                options=list(PIPELINE_STATES),
                icon="mdi:state-machine",
            ),
        ),
        (
            topics.discovery("sensor", "transcript"),
            _entity(
                topics, "transcript", "Last transcript", dev,
                state_topic=topics.state,
                value_template="{{ (value_json.transcript or '')[:" + str(MAX_STATE_CHARS) + "] }}",
                icon="mdi:text-to-speech",
            ),
        ),
        (
            topics.discovery("sensor", "last_intent"),
            _entity(
                topics, "last_intent", "Last intent", dev,
                state_topic=topics.state,
                value_template="{{ value_json.intent }}",
                icon="mdi:lightbulb-question",
            ),
        ),
        (
            topics.discovery("sensor", "latency"),
            _entity(
                topics, "latency", "Last latency", dev,
                state_topic=topics.state,
                value_template="{{ value_json.latency_ms }}",
                unit_of_measurement="ms",
                device_class="duration",
                state_class="measurement",
                icon="mdi:timer-outline",
            ),
        ),
        (
            topics.discovery("switch", "mute"),
            _entity(
                topics, "mute", "Mute microphone", dev,
                command_topic=topics.mute_set,
                state_topic=topics.mute_state,
                payload_on="ON",
                payload_off="OFF",
                icon="mdi:microphone-off",
            ),
        ),
        (
            topics.discovery("text", "announce"),
            _entity(
                topics, "announce", "Announce", dev,
                command_topic=topics.announce,
                mode="text",
                min=0,
                max=MAX_STATE_CHARS,
                icon="mdi:bullhorn",
            ),
        ),
        (
            topics.discovery("button", "cancel"),
            _entity(
                topics, "cancel", "Cancel", dev,
                command_topic=topics.cancel,
                payload_press="PRESS",
                icon="mdi:stop-circle-outline",
            ),
        ),
    ]
    out.extend(health_entities(topics, dev))
    for intent in types:
        out.append(
            (
                topics.discovery("device_automation", f"intent_{_slug(intent)}"),
                {
                    "automation_type": "trigger",
                    "type": "intent",
                    "subtype": intent,
                    "topic": topics.intent,
                    "value_template": "{{ value_json.intent }}",
                    "payload": intent,
                    "device": dev,
                    "origin": {"name": "Hearth"},
                },
            )
        )
    return out


TIMER_EVENTS = ("finished", "acknowledged")
HEALTH_STATES = ("ok", "degraded")


def health_entities(topics: Topics, dev: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Timers (an event per ring, a sensor of active timers) and the node's key figures."""

    def figure(key: str, name: str, field: str, **extra: Any) -> tuple[str, dict[str, Any]]:
        return (topics.discovery("sensor", key), _entity(
            topics, key, name, dev, state_topic=topics.health, value_template="{{ value_json." + field + " }}",
            entity_category="diagnostic", **extra,
        ))

    return [
        (topics.discovery("event", "timer"), _entity(
            topics, "timer", "Timer", dev, state_topic=topics.timer, event_types=list(TIMER_EVENTS),
            value_template="{{ {'event_type': value_json.event, 'name': value_json.name, 'area': value_json.area,"
                           " 'duration_s': value_json.duration_s} | to_json }}",
            icon="mdi:timer-alert-outline",
        )),
        (topics.discovery("sensor", "timers"), _entity(
            topics, "timers", "Active timers", dev, state_topic=topics.timers,
            value_template="{{ value_json.active }}", json_attributes_topic=topics.timers,
            state_class="measurement", icon="mdi:timer-sand",
        )),
        figure("health", "Health", "status", device_class="enum", options=list(HEALTH_STATES),
               json_attributes_topic=topics.health, icon="mdi:heart-pulse"),
        figure("memory", "Memory", "rss_mb", unit_of_measurement="MB", state_class="measurement",
               icon="mdi:memory"),
        figure("cpu", "CPU", "cpu_pct", unit_of_measurement="%", state_class="measurement", icon="mdi:cpu-64-bit"),
        figure("commands", "Commands", "commands", state_class="total_increasing", icon="mdi:counter"),
        figure("outbox", "Outbox", "outbox", state_class="measurement", icon="mdi:tray-full"),
        figure("restarts", "Restarts", "restarts", state_class="total_increasing", icon="mdi:restart-alert"),
    ]


def trigger_topic_is_stale(topics: Topics, topic: str, intent_types: Iterable[str]) -> bool:
    """True for a retained device-trigger config of this node whose intent no skill emits any more."""
    prefix = f"{topics.discovery_prefix}/device_automation/{topics.node}/intent_"
    if not topic.startswith(prefix) or not topic.endswith("/config"):
        return False
    current = {f"intent_{_slug(t)}" for t in intent_types}
    return topic.split("/")[-2] not in current

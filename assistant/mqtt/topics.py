"""Every MQTT topic Hearth uses, in one place (documented in homeassistant/README.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.config import MqttConfig
from assistant.errors import ConfigError

_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
ONLINE = "online"
OFFLINE = "offline"


def check_node_id(node_id: str) -> str:
    """Node ids appear in topics and HA unique ids, so only letters, digits, ``_`` and ``-``."""
    if not _SAFE.match(node_id or ""):
        raise ConfigError(
            f"[general] node_id = {node_id!r} cannot be used in MQTT topics; "
            "use letters, digits, '_' or '-' (e.g. \"kitchen\")"
        )
    return node_id


def _check_base(name: str, value: str) -> str:
    if not value or any(c in value for c in "+#") or value.startswith("/") or value.endswith("/"):
        raise ConfigError(f"[mqtt] {name} = {value!r} must be a topic prefix like \"hearth\" (no +, #, or edge /)")
    return value


@dataclass(frozen=True, slots=True)
class Topics:
    """The topic layout of one node; build it with :meth:`for_node`."""

    base: str
    """Base topic shared by all nodes (``[mqtt] base_topic``)."""
    node: str
    discovery_prefix: str

    @classmethod
    def for_node(cls, cfg: MqttConfig, node_id: str) -> Topics:
        return cls(
            base=_check_base("base_topic", cfg.base_topic),
            node=check_node_id(node_id),
            discovery_prefix=_check_base("discovery_prefix", cfg.discovery_prefix),
        )

    @property
    def root(self) -> str:
        return f"{self.base}/{self.node}"

    # -- published by Hearth ---------------------------------------------------
    @property
    def availability(self) -> str:
        """``online``/``offline``, retained; ``offline`` is also the last will."""
        return f"{self.root}/status"

    @property
    def intent(self) -> str:
        """One JSON document per intent, QoS 1, not retained (from the outbox)."""
        return f"{self.root}/intent"

    @property
    def notice(self) -> str:
        """Signed JSON ``{"id", "status": "expired", "reason", "intent", "text", "ts"}``: an intent
        Hearth dropped because it outlived its time to live."""
        return f"{self.root}/notice"

    @property
    def result(self) -> str:
        """Signed JSON from Home Assistant's ``hearth`` integration: the outcome of one intent
        (``{"id", "status": "executed"|"refused"|"failed", "reason", "detail", "intent_sig"}``)."""
        return f"{self.root}/result"

    @property
    def state(self) -> str:
        """Retained JSON: pipeline state, last transcript, last intent, last latency."""
        return f"{self.root}/state"

    @property
    def mute_state(self) -> str:
        """Retained ``ON``/``OFF``: whether the microphone is muted."""
        return f"{self.root}/mute"

    @property
    def health(self) -> str:
        """Retained JSON: audio and loop health, memory, CPU, commands, outbox (the key figures)."""
        return f"{self.root}/health"

    @property
    def timer(self) -> str:
        """One JSON document per timer event (``finished``, ``acknowledged``), QoS 1, not retained."""
        return f"{self.root}/timer"

    @property
    def timers(self) -> str:
        """Retained JSON: timers running or paused, and when the next one rings."""
        return f"{self.root}/timers"

    # -- commands to Hearth ------------------------------------------------------
    @property
    def mute_set(self) -> str:
        return f"{self.root}/mute/set"

    @property
    def announce(self) -> str:
        """Plain text to speak (or JSON ``{"text": ...}``)."""
        return f"{self.root}/announce"

    @property
    def cancel(self) -> str:
        """Any payload (HA's button sends ``PRESS``): stop speaking / listening now."""
        return f"{self.root}/cancel"

    @property
    def command(self) -> str:
        """JSON ``{"command": "announce"|"cancel"|"mute"|"discovery", ...}`` for scripts."""
        return f"{self.root}/command"

    # -- shared ------------------------------------------------------------------
    @property
    def inventory(self) -> str:
        """Retained inventory document published by the Home Assistant package."""
        return f"{self.base}/inventory"

    @property
    def state_prefix(self) -> str:
        """``<base>/state/<entity_id>``: one entity's state, retained, published when it changes."""
        return f"{self.base}/state/"

    @property
    def states(self) -> str:
        return f"{self.state_prefix}+"

    @property
    def ha_status(self) -> str:
        """HA's birth/will topic; ``online`` means HA (re)started and wants discovery again."""
        return f"{self.discovery_prefix}/status"

    def discovery(self, component: str, object_id: str) -> str:
        return f"{self.discovery_prefix}/{component}/{self.node}/{object_id}/config"

    @property
    def discovery_wildcard(self) -> str:
        """Every discovery config of this node (for clearing a removed node)."""
        return f"{self.discovery_prefix}/+/{self.node}/+/config"

    @property
    def trigger_wildcard(self) -> str:
        """This node's device-trigger configs (stale ones are cleared)."""
        return f"{self.discovery_prefix}/device_automation/{self.node}/+/config"

    def subscriptions(self) -> tuple[str, ...]:
        """Every topic the bridge listens on."""
        return (
            self.mute_set, self.announce, self.cancel, self.command, self.inventory, self.ha_status,
            self.result,
        )

    def retained_state_topics(self) -> tuple[str, ...]:
        """Retained topics of this node, cleared when the node is removed."""
        return (self.availability, self.state, self.mute_state, self.health, self.timers)

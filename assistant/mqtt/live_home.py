"""The live home from Home Assistant: names rebuild the home, states change it in place.

Home Assistant's package publishes the names document (areas, names, aliases, floors; states as
a snapshot) when names change, and each entity's state on ``<base>/state/<entity_id>`` when it
changes. A document whose names equal the current ones only refreshes states, so the name index,
the templates' lists, the LLM's prompt and the cache file stay as they are; a state message costs
a dictionary probe. Each state carries HA's ``changed`` time, so an older report (a retained
message from before the snapshot) never overwrites a newer state.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from assistant.errors import MqttError
from assistant.home import inventory as inventory_mod
from assistant.home.inventory import Inventory

log = logging.getLogger(__name__)

MAX_PENDING = 20_000
"""States kept for entities not (yet) in the names document (retained ones may come first)."""


def parse_state(payload: bytes) -> tuple[str | None, dict[str, Any] | None, str]:
    """``{"state": "on", "attributes": {...}, "changed": "<iso time>"}`` → its three parts."""
    try:
        doc = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MqttError(f"state is not a JSON object: {e}") from e
    if not isinstance(doc, dict):
        raise MqttError("state must be a JSON object with 'state'")
    state = doc.get("state")
    attrs = doc.get("attributes")
    changed = doc.get("changed")
    if attrs is not None and not isinstance(attrs, dict):
        raise MqttError("state 'attributes' must be an object")
    return (None if state is None else str(state)), attrs, changed if isinstance(changed, str) else ""


class LiveHome:
    """Names and states as they arrive; thread-safe (paho's thread writes, the brain reads)."""

    def __init__(self) -> None:
        self.inventory: Inventory | None = None
        self._names: tuple[Any, ...] | None = None
        self._pending: dict[str, tuple[str | None, dict[str, Any] | None, str]] = {}
        self._lock = threading.Lock()
        self.rebuilds = 0
        """How many documents changed the names (the rest only refreshed states)."""

    def document(self, text: str) -> Inventory | None:
        """Apply a names document: the new inventory when its names changed, else None (states
        were refreshed in place). Raises InventoryError for a bad one, which changes nothing."""
        inv = inventory_mod.loads(text)
        names = inv.names_key()
        with self._lock:
            current = self.inventory
            if current is not None and names == self._names:
                for e in inv.entities:
                    current.set_state(e.entity_id, e.state, e.attributes, e.changed)
                return None
            for eid, (state, attrs, changed) in self._pending.items():
                inv.set_state(eid, state, attrs, changed)
            self._pending.clear()
            self.inventory, self._names = inv, names
            self.rebuilds += 1
            return inv

    def state(self, entity_id: str, payload: bytes) -> bool:
        """Apply one entity's state; True when it changed a known entity."""
        if not payload:
            return False  # a cleared retained state (entity removed): the names document says so
        state, attrs, changed = parse_state(payload)
        with self._lock:
            if self.inventory is not None and self.inventory.entity(entity_id) is not None:
                return self.inventory.set_state(entity_id, state, attrs, changed)
            if len(self._pending) < MAX_PENDING or entity_id in self._pending:
                old = self._pending.get(entity_id)
                if old is None or not (changed and old[2] and changed < old[2]):
                    self._pending[entity_id] = (state, attrs, changed)
            return False

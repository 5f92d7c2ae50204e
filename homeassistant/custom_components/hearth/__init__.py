"""Hearth for Home Assistant: runs only Hearth's own, fresh, allow-listed intents and says what it did.

Configured from YAML::

    hearth:
      secret: !secret hearth_secret
      allowed_scripts: [script.goodnight]

Every intent on ``<base>/<node>/intent`` is checked (shape, HMAC signature, seen id, age, each
action against ``allowlist.json`` and the entities Hearth may see), executed or refused, and the
outcome is reported on ``<base>/<node>/result`` (signed), logged when refused, and fired as the
``hearth_result`` event (``hearth_intent`` as well when executed). See README.md beside the package.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

import voluptuous as vol
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType

from . import policy

DOMAIN = "hearth"
_LOGGER = logging.getLogger(__name__)
ALLOWLIST = Path(__file__).with_name("allowlist.json")
MAX_PAYLOAD = 65536
SERVICE_TIMEOUT_S = 30.0
EVENT_RESULT = "hearth_result"
EVENT_INTENT = "hearth_intent"
INVENTORY_DOMAINS = frozenset({
    "light", "switch", "fan", "cover", "climate", "media_player", "lock", "vacuum", "todo",
    "input_boolean", "input_number", "input_select", "input_button", "counter", "scene", "script",
    "humidifier", "valve", "water_heater", "button", "sensor", "binary_sensor", "weather",
    "alarm_control_panel", "timer",
})
"""The domains the package publishes to Hearth; an entity outside them is not in Hearth's home."""

CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.Schema({
            vol.Required("secret"): vol.All(cv.string, vol.Length(min=policy.MIN_SECRET_CHARS)),
            vol.Optional("allowed_scripts", default=[]): vol.All(cv.ensure_list, [cv.entity_domain("script")]),
            vol.Optional("base_topic", default="hearth"): cv.string,
            vol.Optional("clock_skew_s", default=10.0): vol.All(vol.Coerce(float), vol.Range(min=0, max=300)),
            vol.Optional("max_ttl_s", default=600.0): vol.All(vol.Coerce(float), vol.Range(min=1, max=86400)),
        })
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    conf = config[DOMAIN]
    allow = await hass.async_add_executor_job(_read_allowlist)
    if not await mqtt.async_wait_for_mqtt_client(hass):
        _LOGGER.error("Hearth needs the MQTT integration set up; intents are not executed")
        return False
    runner = IntentRunner(hass, conf, allow)
    await runner.async_start()
    hass.data[DOMAIN] = runner
    return True


def _read_allowlist() -> dict[str, Any]:
    doc = json.loads(ALLOWLIST.read_text(encoding="utf-8"))
    return {"services": frozenset(doc["services"]), "sensitive": frozenset(doc.get("sensitive", ()))}


class IntentRunner:
    """One queue, one worker: intents run one after another in the order the broker delivered them."""

    def __init__(self, hass: HomeAssistant, conf: dict[str, Any], allow: dict[str, Any]) -> None:
        self.hass = hass
        self.secret: str = conf["secret"]
        self.scripts = frozenset(conf["allowed_scripts"])
        self.base: str = conf["base_topic"]
        self.skew_s: float = conf["clock_skew_s"]
        self.max_ttl_s: float = conf["max_ttl_s"]
        self.allowed: frozenset[str] = allow["services"]
        self.queue: asyncio.Queue[mqtt.ReceiveMessage] = asyncio.Queue()
        self.store: Store[dict[str, Any]] = Store(hass, 1, f"{DOMAIN}.intents")
        self.seen: dict[str, dict[str, Any]] = {}
        """Outcomes of authentic intents by id: a re-sent one is not run again, its outcome is re-sent."""

    async def async_start(self) -> None:
        self.seen = dict((await self.store.async_load() or {}).get("seen", {}))
        self.hass.async_create_background_task(self._worker(), "hearth intents")
        await mqtt.async_subscribe(self.hass, f"{self.base}/+/intent", self._received, qos=1)
        await mqtt.async_subscribe(self.hass, f"{self.base}/+/notice", self._received, qos=1)
        _LOGGER.info("Hearth: listening on %s/+/intent; %d services allowed", self.base, len(self.allowed))

    @callback
    def _received(self, msg: mqtt.ReceiveMessage) -> None:
        self.queue.put_nowait(msg)

    async def _worker(self) -> None:
        while True:
            msg = await self.queue.get()
            try:
                if msg.topic.endswith("/notice"):
                    self._notice(msg)
                else:
                    await self._intent(msg)
            except Exception:  # one bad message must not stop the queue
                _LOGGER.exception("Hearth: message on %s could not be handled", msg.topic)

    def _parse(self, msg: mqtt.ReceiveMessage) -> tuple[str, Any]:
        node = msg.topic[len(self.base) + 1:].split("/", 1)[0]
        payload = msg.payload
        if len(payload) > MAX_PAYLOAD:
            return node, None
        try:
            return node, json.loads(payload)
        except (ValueError, TypeError):
            return node, None

    async def _intent(self, msg: mqtt.ReceiveMessage) -> None:
        node, doc = self._parse(msg)
        reason = policy.check_intent(doc)
        msg_id = doc.get("id") if isinstance(doc, dict) and isinstance(doc.get("id"), str) else None
        if reason is None:
            reason = policy.check_signature(doc, self.secret)
        if reason is not None:  # not known to come from Hearth: never remembered, never run
            await self._report(node, doc, msg_id, "refused", reason, "", remember=False)
            return
        if msg_id in self.seen:
            prev = self.seen[msg_id]
            _LOGGER.info("Hearth: intent %s was already handled (%s); not run again", msg_id, prev["status"])
            await self._report(node, doc, msg_id, prev["status"], prev["reason"], prev.get("detail", ""),
                               remember=False, duplicate=True)
            return
        reason = policy.check_fresh(doc, time.time(), self.skew_s, self.max_ttl_s)
        detail = ""
        if reason is None:
            for action in doc["actions"]:
                reason = policy.check_action(action, allowed=self.allowed, allowed_scripts=self.scripts,
                                             entity_ok=self._entity_ok)
                if reason is not None:
                    detail = _describe(action)
                    break
        if reason is not None:
            await self._report(node, doc, msg_id, "refused", reason, detail)
            return
        self.seen[msg_id] = {"status": "failed", "reason": "interrupted", "t": time.time()}
        await self.store.async_save({"seen": self.seen})  # a restart mid-way never runs it twice
        status, reason, detail = await self._execute(doc["actions"])
        await self._report(node, doc, msg_id, status, reason, detail)
        if status == "executed":
            self.hass.bus.async_fire(EVENT_INTENT, {
                k: doc.get(k, "") for k in ("id", "node", "area", "intent", "slots", "text", "language", "reply")
            })

    def _entity_ok(self, entity_id: str) -> str | None:
        """In the home the package publishes to Hearth: known, of a published domain, not hidden,
        not ``hearth_exclude``."""
        state = self.hass.states.get(entity_id)
        if state is None:
            return "unknown_entity"
        if state.domain not in INVENTORY_DOMAINS:
            return "not_in_inventory"
        if state.attributes.get("hearth_exclude"):
            return "excluded"
        entry = er.async_get(self.hass).async_get(entity_id)
        if entry is not None and entry.hidden_by is not None:
            return "excluded"
        return None

    async def _execute(self, actions: list[dict[str, Any]]) -> tuple[str, str, str]:
        for action in actions:
            domain, service = action["service"].split(".", 1)
            ent = action.get("entity_id")
            try:
                await asyncio.wait_for(self.hass.services.async_call(
                    domain, service, dict(action.get("data") or {}), blocking=True,
                    target={"entity_id": ent} if ent else None,
                ), SERVICE_TIMEOUT_S)
            except (HomeAssistantError, vol.Invalid, ValueError, TimeoutError) as e:
                return "failed", "service_failed", f"{_describe(action)}: {e}"
        return "executed", "", ""

    async def _report(
        self, node: str, doc: Any, msg_id: str | None, status: str, reason: str, detail: str, *,
        remember: bool = True, duplicate: bool = False,
    ) -> None:
        now = time.time()
        if remember and msg_id is not None:
            self.seen[msg_id] = {"status": status, "reason": reason, "detail": detail, "t": now}
            self._prune(now)
            self.store.async_delay_save(lambda: {"seen": self.seen}, 1.0)
        d = doc if isinstance(doc, dict) else {}
        if status != "executed":
            _LOGGER.warning("Hearth intent %s from %s %s: %s%s (%s)", msg_id, node, status, reason,
                            f" [{detail}]" if detail else "", str(d.get("text", ""))[:80])
        result = {"id": msg_id, "status": status, "reason": reason, "detail": detail,
                  "intent_sig": str(d.get(policy.SIG, ""))[:128], "duplicate": duplicate, "ts": round(now, 3)}
        result[policy.SIG] = policy.signature(result, self.secret)
        self.hass.bus.async_fire(EVENT_RESULT, {
            **{k: v for k, v in result.items() if k not in (policy.SIG, "intent_sig")},
            "node": node, "intent": str(d.get("intent", "")), "text": str(d.get("text", ""))[:200],
        })
        try:
            await mqtt.async_publish(self.hass, f"{self.base}/{node}/result", json.dumps(result), qos=1)
        except HomeAssistantError as e:
            _LOGGER.warning("Hearth: result of %s not published (%s); Hearth will ask again", msg_id, e)

    def _prune(self, now: float) -> None:
        """Ids older than any intent could still be accepted are dropped (they are refused as expired)."""
        horizon = now - (self.max_ttl_s + 2 * self.skew_s + 60)
        for key in [k for k, v in self.seen.items() if v.get("t", 0) < horizon]:
            del self.seen[key]

    def _notice(self, msg: mqtt.ReceiveMessage) -> None:
        """Hearth dropped an intent it could not deliver in time: log it and tell automations."""
        node, doc = self._parse(msg)
        if not isinstance(doc, dict) or policy.check_signature(doc, self.secret) is not None:
            _LOGGER.warning("Hearth: ignored an unsigned or forged notice on %s", msg.topic)
            return
        _LOGGER.warning("Hearth node %s did not deliver intent %s in time (%s): %s", node, doc.get("id"),
                        doc.get("reason", ""), str(doc.get("text", ""))[:80])
        self.hass.bus.async_fire(EVENT_RESULT, {
            "id": doc.get("id"), "status": str(doc.get("status", "expired")), "reason": str(doc.get("reason", "")),
            "detail": "", "duplicate": False, "ts": doc.get("ts"), "node": node,
            "intent": str(doc.get("intent", "")), "text": str(doc.get("text", ""))[:200],
        })


def _describe(action: Any) -> str:
    if not isinstance(action, dict):
        return repr(action)[:80]
    return f"{action.get('service')} on {action.get('entity_id')}"[:160]

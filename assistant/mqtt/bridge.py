"""The MQTT bridge: Hearth's events out to Home Assistant, HA's commands and inventory in.

Threads: paho's network thread runs the MQTT callbacks and never calls Hearth code; inbound
commands are handed to one dispatcher thread, so a slow ``on_announce`` cannot stall keepalives.
Intents are signed, stored in the SQLite outbox and delivered by :mod:`assistant.mqtt.delivery`,
which deletes each one only when Home Assistant reported its outcome.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from assistant.config import Config
from assistant.errors import HearthError, InventoryError, MqttError
from assistant.events import (
    Announcement,
    Event,
    EventBus,
    IntentOutcome,
    RunFinished,
    StateChanged,
    Transcribed,
    Understood,
)
from assistant.home.inventory import Inventory
from assistant.intents import Understanding
from assistant.mqtt import discovery, outcomes, payloads, signing
from assistant.mqtt.client import make_client
from assistant.mqtt.delivery import RETRY_S, Delivery, Outcome
from assistant.mqtt.jobs import JobQueue
from assistant.mqtt.live_home import LiveHome
from assistant.mqtt.outbox import Outbox
from assistant.mqtt.topics import OFFLINE, ONLINE, Topics

log = logging.getLogger(__name__)

_DISCOVERY_RESEND_DELAY_S = 1.0
"""HA drops messages that arrive right after its birth message; wait this long before re-sending."""


def _first_party_sensitive() -> frozenset[str]:
    """The sensitive services of the installed skills, for a bridge not told them."""
    from assistant.skillkit.registry import SkillRegistry

    return SkillRegistry.discover().sensitive()


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("hearth")
    except Exception:
        return ""


class MqttBridge:
    """Connects one Hearth node to Home Assistant; see homeassistant/README.md for the topics.

    Callbacks run on the bridge's dispatcher thread. Without ``on_announce`` an announcement is
    published on the bus as an :class:`Announcement` event instead.

    ``presence=False`` is for short-lived commands (``hearth ask``, ``hearth mqtt --flush``) that
    share a node with a running ``hearth run``: they deliver intents and read the inventory only,
    under their own client id, and never touch the node's availability, discovery or state.
    """

    def __init__(
        self,
        cfg: Config,
        bus: EventBus | None = None,
        *,
        intent_types: Iterable[str] = (),
        on_inventory: Callable[[Inventory], None] | None = None,
        on_announce: Callable[[str], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
        on_mute: Callable[[bool], None] | None = None,
        outbox_path: str | Path | None = None,
        reconnect_max_s: float = 30.0,
        retry_s: float = RETRY_S,
        sensitive: Iterable[str] | None = None,
        presence: bool = True,
    ) -> None:
        self._cfg = cfg.mqtt
        self._secret = signing.load_secret(cfg.mqtt)
        if self._secret is None:
            log.warning("no secret shared with Home Assistant ($%s or [mqtt] secret_file): Home Assistant "
                        "will refuse every intent; see homeassistant/README.md", cfg.mqtt.secret_env)
        self._sensitive = frozenset(_first_party_sensitive() if sensitive is None else sensitive)
        self._bus = bus
        self.area = cfg.general.area
        self.topics = Topics.for_node(cfg.mqtt, cfg.general.node_id)
        self.intent_types: tuple[str, ...] = tuple(sorted(set(intent_types)))
        self._on_inventory = on_inventory
        self._on_announce = on_announce
        self._on_cancel = on_cancel
        self._on_mute = on_mute
        path = outbox_path or cfg.mqtt.outbox or (cfg.data_dir / "outbox.sqlite")
        self.outbox = Outbox(path)
        self.inventory: Inventory | None = None
        """The last inventory that parsed; a bad one never replaces it."""
        self.live = LiveHome()
        self.connected = threading.Event()
        self.ready = threading.Event()
        """Connected and the broker acknowledged every subscription: commands will arrive."""
        self._sub_mid = -1
        self.muted = False
        self._status: dict[str, Any] = {
            "state": "idle", "transcript": "", "intent": "none", "latency_ms": None,
        }
        self._jobs = JobQueue()
        self._dispatcher: threading.Thread | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._started = False
        self._version = _version()
        self.presence = presence
        self.outcomes: Counter[str] = Counter()
        """Outcomes of the intents this bridge saw through: executed, refused, failed, expired."""
        self.inventory_received = threading.Event()
        """Set once an inventory that parses has arrived."""
        client_id = cfg.mqtt.client_id or f"hearth-{self.topics.node}"
        if not presence:  # the same id would make the broker drop the node's own connection
            client_id = f"{client_id}-{os.getpid()}"
        self._client = make_client(cfg.mqtt, client_id)
        if presence:
            self._client.will_set(self.topics.availability, OFFLINE, qos=1, retain=True)
        self._client.reconnect_delay_set(min_delay=1, max_delay=max(1, int(reconnect_max_s)))
        self._client.max_inflight_messages_set(20)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self.delivery = Delivery(self.outbox, self._publish_intent, secret=self._secret,
                                 on_outcome=self._on_outcome, retry_s=retry_s)

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        """Replay the outbox, then connect in the background; returns at once, even with the
        broker down (intents wait in the outbox, paho retries with backoff)."""
        if self._started:
            return
        self._started = True
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="mqtt-dispatch", daemon=True)
        self._dispatcher.start()
        if self._bus is not None:
            self._unsubscribe = [
                self._bus.subscribe(self._on_event, Event),
            ]
        self.delivery.start()
        self._client.connect_async(self._cfg.host, self._cfg.port, keepalive=self._cfg.keepalive_s)
        self._client.loop_start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Say ``offline``, disconnect and close; unacknowledged intents stay in the outbox."""
        if not self._started:
            return
        self._started = False
        for unsub in self._unsubscribe:
            unsub()
        if self.connected.is_set() and self.presence:
            info = self._client.publish(self.topics.availability, OFFLINE, qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout_s)
        self.delivery.stop(timeout_s)
        connected = self.connected.is_set()
        self._client.disconnect()
        if connected:
            self._client.loop_stop()
        else:  # paho may sit in its reconnect delay for a second: let it end on its own
            threading.Thread(target=self._client.loop_stop, name="mqtt-stop", daemon=True).start()
        self._jobs.close()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout_s)
        self.outbox.close()

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until Home Assistant reported on (or Hearth dropped) every stored intent; False on timeout."""
        return self.outbox.wait_empty(timeout_s)

    def wait_inventory(self, timeout_s: float) -> Inventory | None:
        """The retained inventory, once it arrived; None if none came within ``timeout_s``."""
        self.inventory_received.wait(timeout_s)
        return self.inventory

    # -- publishing ----------------------------------------------------------------
    def publish_intents(
        self,
        understanding: Understanding,
        *,
        area: str | None = None,
        language: str | None = None,
        run_id: str = "",
    ) -> list[str]:
        """Store and publish one document per intent; returns their ids. Never blocks on the
        network: with the broker down the intents wait in the outbox."""
        docs = payloads.intent_documents(
            understanding,
            node=self.topics.node,
            area=area if area is not None else self.area,
            language=language or understanding.language,
            run_id=run_id,
            ttl_s=self._cfg.intent_ttl_s,
            sensitive_ttl_s=self._cfg.sensitive_ttl_s,
            sensitive=self._sensitive,
        )
        for doc in docs:
            signed = signing.sign(doc, self._secret)
            self.outbox.add(doc["id"], self.topics.intent, payloads.encode(signed))
        if docs:
            self.delivery.kick()
        return [d["id"] for d in docs]

    def set_muted(self, muted: bool) -> None:
        """Report a mute change made on the device itself."""
        self.muted = muted
        self._publish(self.topics.mute_state, "ON" if muted else "OFF", retain=True)

    def set_intent_types(self, intent_types: Iterable[str]) -> None:
        """The enabled skills changed: update the event entity and device triggers."""
        self.intent_types = tuple(sorted(set(intent_types)))
        if self.connected.is_set() and self.presence:
            self.publish_discovery()

    def publish_json(self, topic: str, doc: Any, *, retain: bool = False) -> None:
        """Publish a JSON document (QoS 1; paho queues it while offline). For node topics other
        modules own (health, timers)."""
        self._publish(topic, json.dumps(doc, ensure_ascii=False), retain=retain)

    def publish_discovery(self) -> None:
        for topic, config in discovery.messages(
            self.topics, self.intent_types, area=self.area, version=self._version
        ):
            self._publish(topic, json.dumps(config), retain=True)

    def _publish_status(self) -> None:
        if not self.presence:
            return
        self._publish(self.topics.state, json.dumps(self._status, ensure_ascii=False), retain=True)

    def _publish(self, topic: str, payload: bytes | str, *, retain: bool = False) -> None:
        """Every publish is QoS 1: paho queues it while offline."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            log.error("paho's queue refused a message for %s", topic)

    def _publish_intent(self, topic: str, payload: bytes) -> None:
        if self.connected.is_set():
            self._publish(topic, payload)

    # -- outcomes ----------------------------------------------------------------------
    def _on_outcome(self, outcome: Outcome) -> None:
        """Tell the household what did not happen: spoken, and (for a dropped intent) published
        as a signed notice so Home Assistant can show it."""
        self.outcomes[outcome.status] += 1
        if self._bus is not None:  # the audit log and metrics subscribe
            self._bus.publish(IntentOutcome(run_id=str(outcome.doc.get("run_id", "")), intent_id=outcome.id,
                                            status=outcome.status, reason=outcome.reason))
        text = outcome.doc.get("text", "")
        if outcome.status == "executed":
            log.info("Home Assistant executed intent %s", outcome.id)
        elif outcome.status == "expired":
            log.warning("intent %s (%r) dropped after its time to live: %s", outcome.id, text, outcome.reason)
            notice = outcomes.notice(outcome)
            self._publish(self.topics.notice, payloads.encode(signing.sign(notice, self._secret)))
        else:
            log.warning("Home Assistant %s intent %s (%r): %s %s", outcome.status, outcome.id, text,
                        outcome.reason, outcome.detail)
        say = outcomes.spoken(outcome)
        if say:
            self._announce(say, source="hearth")

    def _announce(self, text: str, source: str) -> None:
        if self._bus is not None:
            self._bus.publish(Announcement(text=text, source=source))
        elif self._on_announce is not None:
            self._on_announce(text)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        if rc.is_failure:
            log.error(
                "MQTT broker %s:%s refused the connection: %s; check [mqtt] username and the password",
                self._cfg.host, self._cfg.port, rc,
            )
            return
        log.info("connected to MQTT broker %s:%s", self._cfg.host, self._cfg.port)
        if self.presence:
            subs = [*self.topics.subscriptions(), self.topics.states, self.topics.trigger_wildcard]
            self._sub_mid = client.subscribe([(t, 1) for t in subs])[1]
            self._publish(self.topics.availability, ONLINE, retain=True)
            self.publish_discovery()
            self._publish_status()
            self._publish(self.topics.mute_state, "ON" if self.muted else "OFF", retain=True)
        else:
            subs = [self.topics.inventory, self.topics.states, self.topics.ha_status, self.topics.result]
            self._sub_mid = client.subscribe([(t, 1) for t in subs])[1]
        self.connected.set()
        self.delivery.set_connected(True)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, rcs: Any, props: Any) -> None:
        if mid == self._sub_mid:
            self.ready.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self.connected.clear()
        self.ready.clear()
        self.delivery.set_connected(False)
        if self._started:
            log.warning("MQTT connection lost (%s); reconnecting, intents wait in the outbox", rc)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self._handle(msg.topic, bytes(msg.payload), bool(msg.retain))
        except (MqttError, InventoryError) as e:
            log.warning("ignored message on %s: %s", msg.topic, e.message)
        except Exception:  # an uncaught error would kill paho's network thread
            log.exception("ignored message on %s: unexpected error", msg.topic)

    def _handle(self, topic: str, payload: bytes, retained: bool) -> None:
        t = self.topics
        if len(payload) > self._cfg.max_payload_bytes:
            raise MqttError(
                f"{len(payload)} bytes is more than [mqtt] max_payload_bytes = {self._cfg.max_payload_bytes}"
            )
        if topic == t.ha_status:
            if payload.strip() == b"online":
                self.delivery.kick(resend=True)  # HA (re)subscribed: the waiting intent again, now
                if self.presence:
                    log.info("Home Assistant came online; re-sending discovery")
                    self._later(_DISCOVERY_RESEND_DELAY_S, self._resend_all, key="resend")
        elif topic == t.inventory:
            if not payload:
                return
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError as e:
                raise MqttError("inventory is not UTF-8 text") from e
            inv = self.live.document(text)  # None: same names, states refreshed in place
            self.inventory = self.live.inventory
            self.inventory_received.set()
            if inv is None:
                return
            log.info("inventory from Home Assistant: %d entities", len(inv.entities))
            if self._on_inventory is not None:
                cb = self._on_inventory
                self._jobs.put(lambda: cb(inv))
        elif topic == t.result:
            self._jobs.put(lambda: self.delivery.on_result(payload))
        elif topic.startswith(t.state_prefix):
            self.live.state(topic[len(t.state_prefix):], payload)
        elif topic == t.announce:
            self._run(payloads.parse_announce(payload))
        elif topic == t.cancel:
            self._run(payloads.parse_cancel(payload))
        elif topic == t.mute_set:
            self._run(payloads.parse_mute(payload))
        elif topic == t.command:
            self._run(payloads.parse_command(payload))
        elif discovery.trigger_topic_is_stale(t, topic, self.intent_types):
            if payload:
                log.info("clearing stale device trigger %s", topic)
                self._publish(topic, b"", retain=True)
        elif topic.startswith(f"{t.discovery_prefix}/device_automation/"):
            return
        else:
            raise MqttError("no handler for this topic")

    def _resend_all(self) -> None:
        if self.connected.is_set():
            self._publish(self.topics.availability, ONLINE, retain=True)
            self.publish_discovery()
            self._publish_status()
            self._publish(self.topics.mute_state, "ON" if self.muted else "OFF", retain=True)

    def _run(self, cmd: payloads.Command) -> None:
        """Hand a validated command to the dispatcher thread."""
        if cmd.kind == "announce":
            text = cmd.text
            if self._on_announce is not None and not (cmd.area or cmd.floor):
                announce = self._on_announce
                self._jobs.put(lambda: announce(text))
            elif self._bus is not None:  # a room or floor named: the router finds its streams
                bus, a = self._bus, Announcement(text=text, source="homeassistant", area=cmd.area, floor=cmd.floor)
                self._jobs.put(lambda: bus.publish(a))
        elif cmd.kind == "cancel":
            if self._on_cancel is not None:
                self._jobs.put(self._on_cancel)
        elif cmd.kind == "mute":
            self._jobs.put(lambda: self._apply_mute(cmd.muted))
        elif cmd.kind == "discovery":
            self._jobs.put(self._resend_all)

    def _apply_mute(self, muted: bool) -> None:
        if self._on_mute is not None:
            self._on_mute(muted)
        self.set_muted(muted)

    def _later(self, delay_s: float, job: Callable[[], None], key: str | None = None) -> None:
        """Run ``job`` on the dispatcher after ``delay_s`` (one thread for all delays, never a timer each)."""
        self._jobs.later(delay_s, job, key)

    def _dispatch_loop(self) -> None:
        self._jobs.run(self._job_failed)

    @staticmethod
    def _job_failed(e: Exception) -> None:
        if isinstance(e, HearthError):
            log.warning("MQTT command failed: %s", e.message)
        else:
            log.error("MQTT command handler failed", exc_info=e)

    # -- events from the pipeline ------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, Understood):
            u = event.understanding
            self.publish_intents(u, area=event.area or self.area, run_id=event.run_id)
            self._status["intent"] = ",".join(i.intent for i in u.intents) or "none"
        elif isinstance(event, StateChanged):
            self._status["state"] = event.state
        elif isinstance(event, Transcribed):
            self._status["transcript"] = event.text[: discovery.MAX_STATE_CHARS]
        elif isinstance(event, RunFinished):
            t = event.timings_ms
            total = t.get("total", sum(t.values()) if t else None)
            self._status["latency_ms"] = None if total is None else round(float(total), 1)
        else:
            return
        self._publish_status()

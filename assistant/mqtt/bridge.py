"""The MQTT bridge: Hearth's events out to Home Assistant, HA's commands and inventory in.

Threads: paho's network thread runs the MQTT callbacks and never calls Hearth code; inbound
commands are handed to one dispatcher thread, so a slow ``on_announce`` cannot stall keepalives.
Intents go through the SQLite outbox: stored, then published with QoS 1, removed on PUBACK.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import threading
import time
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
    RunFinished,
    StateChanged,
    Transcribed,
    Understood,
)
from assistant.home.inventory import Inventory
from assistant.intents import Understanding
from assistant.mqtt import discovery, payloads
from assistant.mqtt.client import make_client
from assistant.mqtt.live_home import LiveHome
from assistant.mqtt.outbox import Outbox
from assistant.mqtt.topics import OFFLINE, ONLINE, Topics

log = logging.getLogger(__name__)

_DISCOVERY_RESEND_DELAY_S = 1.0
"""HA drops messages that arrive right after its birth message; wait this long before re-sending."""
HA_GRACE_S = 12.0
"""After a reconnect with intents waiting, hold them at least this long unless Home Assistant shows
it is back first: HA subscribes with a clean session, so an intent sent before it has subscribed
again would never reach it."""
HA_MAX_HOLD_S = 125.0
"""HA 2024.3's MQTT client (paho 1.6) retries with a doubling delay of up to 120 s, so after a long
outage HA may come back up to two minutes after the broker: the hold never lasts longer than this."""
_HA_SETTLE_S = 3.0
"""After a sign of HA (its birth message, a live inventory) the time it may still need to have
subscribed again: at its reconnect HA's client first flushes what it queued while offline, then
subscribes (1 s debounce), then sends its birth."""


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
        ha_grace_s: float = HA_GRACE_S,
        presence: bool = True,
    ) -> None:
        self._cfg = cfg.mqtt
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
        self._send_lock = threading.Lock()  # keeps outbox order == publish order
        self._holding = True  # intents stay in the outbox only (not connected, or in the grace)
        self._handed_upto = 0  # last outbox seq handed to paho
        self._ha_grace_s = ha_grace_s
        self._hold_gen = 0  # the hold now waiting for a sign of HA; 0 = none
        self._holds = 0  # holds so far: a timer of an earlier hold never matches a later one
        self._down_since: float | None = None  # wall clock of the first disconnect not yet recovered
        self._release_when_drained = False
        self._ack_lock = threading.Lock()
        self._inflight: dict[int, int | None] = {}  # paho mid -> outbox seq (None: not an intent)
        self._early_acks: set[int] = set()
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._dispatcher: threading.Thread | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._started = False
        self._version = _version()
        self.presence = presence
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
        self._client.on_publish = self._on_publish

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
        self._client.disconnect()
        self._client.loop_stop()
        self._jobs.put(None)
        if self._dispatcher is not None:
            self._dispatcher.join(timeout_s)
        self.outbox.close()

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until the broker acknowledged every stored intent; False on timeout."""
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
        )
        with self._send_lock:
            for doc in docs:
                payload = payloads.encode(doc)
                seq = self.outbox.add(doc["id"], self.topics.intent, payload)
                if not self._holding:
                    self._publish(self.topics.intent, payload, seq=seq)
                    self._handed_upto = seq
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

    def publish_discovery(self) -> None:
        for topic, config in discovery.messages(
            self.topics, self.intent_types, area=self.area, version=self._version
        ):
            self._publish(topic, json.dumps(config), retain=True)

    def _publish_status(self) -> None:
        if not self.presence:
            return
        self._publish(self.topics.state, json.dumps(self._status, ensure_ascii=False), retain=True)

    def _publish(self, topic: str, payload: bytes | str, *, seq: int | None = None, retain: bool = False) -> None:
        """Every publish is QoS 1 so paho queues it while offline and every mid gets a PUBACK."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            log.error("paho's queue refused a message for %s; it stays in the outbox", topic)
            return
        with self._ack_lock:
            if info.mid in self._early_acks:  # PUBACK beat us here
                self._early_acks.discard(info.mid)
                if seq is not None:
                    self.outbox.remove(seq)
            else:
                self._inflight[info.mid] = seq

    # -- paho callbacks (network thread) ---------------------------------------------
    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        with self._ack_lock:
            if mid not in self._inflight:
                self._early_acks.add(mid)
                return
            seq = self._inflight.pop(mid)
            release = self._release_when_drained and not any(
                s is not None for s in self._inflight.values()
            )
        if seq is not None:
            self.outbox.remove(seq)
        if release:
            self._release_when_drained = False
            self._jobs.put(self._release)

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
            subs = [self.topics.inventory, self.topics.states, self.topics.ha_status]
            self._sub_mid = client.subscribe([(t, 1) for t in subs])[1]
        self.connected.set()
        waiting = self.outbox.count()
        if waiting and self._ha_grace_s > 0:
            limit_s = self._hold_limit_s()
            with self._ack_lock:
                paho_holds = any(seq is not None for seq in self._inflight.values())
            if paho_holds:
                # Blocks paho's thread on purpose (bounded well below the keepalive): paho re-sends
                # unacknowledged intents right after this returns, and HA should be back by then.
                time.sleep(min(self._ha_grace_s, limit_s))
            log.info("%d intents wait for Home Assistant to be back (at most %.0f s)", waiting, limit_s)
            self._hold_for_ha(limit_s)
            return
        self._down_since = None
        self._end_hold_now()

    def _hold_limit_s(self) -> float:
        """How long HA may still need: about as long as the outage lasted (its retry delay
        doubles), at least ``ha_grace_s``, at most :data:`HA_MAX_HOLD_S`."""
        oldest = self.outbox.pending(limit=1)
        starts = [t for t in (self._down_since, oldest[0].created if oldest else None) if t is not None]
        outage_s = time.time() - min(starts) if starts else 0.0
        return max(self._ha_grace_s, min(outage_s + 5.0, HA_MAX_HOLD_S))

    def _hold_for_ha(self, limit_s: float) -> None:
        """Keep the outbox until HA's birth message or a live inventory shows it listens, or
        ``limit_s`` passes. Without presence, a transient ``online`` from ``<node>-<pid>`` asks
        the package for a live inventory (HA's entities never see that pseudo node)."""
        self._holds += 1
        gen = self._hold_gen = self._holds
        self._later(limit_s, lambda: self._end_hold(gen))
        if not self.presence:
            self._publish(f"{self.topics.root}-{os.getpid()}/status", ONLINE)

    def _end_hold(self, gen: int) -> None:
        if gen != self._hold_gen or gen == 0:
            return  # already released, or a hold from an earlier connection
        self._hold_gen = 0
        self._down_since = None
        self._end_hold_now()

    def _end_hold_now(self) -> None:
        # paho re-sends the intents it still holds; the rest of the outbox follows only after
        # those are acknowledged, so the order is kept.
        with self._ack_lock:
            self._release_when_drained = True
            drained = not any(seq is not None for seq in self._inflight.values())
        if drained:
            self._jobs.put(self._release)

    def _release(self) -> None:
        """Hand every stored intent not yet with paho to it, in order, and stop holding."""
        with self._ack_lock:
            self._release_when_drained = False
        if not self.connected.is_set():
            return
        with self._send_lock:
            after = self._handed_upto
            while batch := self.outbox.pending(after_seq=after):
                for p in batch:
                    self._publish(p.topic, p.payload, seq=p.seq)
                after = self._handed_upto = batch[-1].seq
            self._holding = False

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, rcs: Any, props: Any) -> None:
        if mid == self._sub_mid:
            self.ready.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self.connected.clear()
        self.ready.clear()
        self._holding = True
        self._hold_gen = 0
        if self._down_since is None:
            self._down_since = time.time()
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
                if self._hold_gen:
                    gen = self._hold_gen
                    self._later(_HA_SETTLE_S, lambda: self._end_hold(gen))
                if self.presence:
                    log.info("Home Assistant came online; re-sending discovery")
                    self._later(_DISCOVERY_RESEND_DELAY_S, self._resend_all)
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
            if self._hold_gen and not retained:  # HA is connected (maybe only just)
                gen = self._hold_gen
                self._later(_HA_SETTLE_S, lambda: self._end_hold(gen))
            if inv is None:
                return
            log.info("inventory from Home Assistant: %d entities", len(inv.entities))
            if self._on_inventory is not None:
                cb = self._on_inventory
                self._jobs.put(lambda: cb(inv))
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
            if self._on_announce is not None:
                announce = self._on_announce
                self._jobs.put(lambda: announce(text))
            elif self._bus is not None:
                bus = self._bus
                self._jobs.put(lambda: bus.publish(Announcement(text=text, source="homeassistant")))
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

    def _later(self, delay_s: float, job: Callable[[], None]) -> None:
        timer = threading.Timer(delay_s, lambda: self._jobs.put(job))
        timer.daemon = True
        timer.start()

    def _dispatch_loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except HearthError as e:
                log.warning("MQTT command failed: %s", e.message)
            except Exception:
                log.exception("MQTT command handler failed")

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

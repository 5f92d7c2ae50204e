"""Delivery of the outbox to Home Assistant: "done" is Home Assistant's signed result, not a PUBACK.

Stop and wait: the oldest stored intent is published, and re-published every ``retry_s`` (and at
once when the broker or Home Assistant comes back) until Home Assistant's result for its id
arrives; only then is it deleted and the next one sent. Home Assistant runs an id at most once
and re-reports the outcome of one it has seen, so re-sending is safe, and one intent at a time
keeps the order across broker, Home Assistant and Hearth restarts. An intent whose time to live
(``ts + ttl``) passes first is dropped and reported instead: it never runs late.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.mqtt import signing
from assistant.mqtt.outbox import Outbox, Pending

log = logging.getLogger(__name__)

RETRY_S = 3.0
"""Re-publish an unconfirmed intent this often: after a broker or HA restart HA needs a few
seconds to subscribe again, and a copy it never saw is simply sent again."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one intent: ``executed``, ``refused``/``failed`` (by HA, with its reason)
    or ``expired`` (dropped by Hearth; ``sent`` says whether HA may have seen it)."""

    id: str
    status: str
    reason: str
    doc: dict[str, Any]
    detail: str = ""
    sent: bool = False


class Delivery:
    """Runs the stop-and-wait loop on its own thread; the bridge feeds it connection changes and
    results, and gets every outcome through ``on_outcome`` (on this thread)."""

    def __init__(
        self,
        outbox: Outbox,
        publish: Callable[[str, bytes], None],
        *,
        secret: str | None,
        on_outcome: Callable[[Outcome], None],
        retry_s: float = RETRY_S,
    ) -> None:
        self.outbox = outbox
        self._publish = publish
        self._secret = secret
        self._on_outcome = on_outcome
        self.retry_s = retry_s
        self._wake = threading.Event()
        self._connected = False
        self._resend_now = False
        self._last_id = ""
        self._last_sent = 0.0
        self._sent: set[str] = set()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="mqtt-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def set_connected(self, connected: bool) -> None:
        self._connected = connected
        self.kick(resend=connected)

    def kick(self, resend: bool = False) -> None:
        """Something changed (a new intent, a result, HA back): look at the outbox now;
        ``resend`` sends the waiting intent again at once."""
        if resend:
            self._resend_now = True
        self._wake.set()

    # -- results from Home Assistant --------------------------------------------------
    def on_result(self, payload: bytes) -> None:
        """A result from HA: verified, matched to the stored intent by id and by the intent's own
        signature (so a refusal of a forged copy never cancels the real one), then applied."""
        try:
            doc = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("ignored a result that is not JSON")
            return
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            return  # a refusal of something without an id: not ours
        if self._secret and not signing.verify(doc, self._secret):
            log.warning("ignored a result for %s without Home Assistant's signature", doc["id"])
            return
        pending = self.outbox.find(doc["id"])
        if pending is None:
            return  # already handled (a re-reported result), or another node's process
        intent = _doc(pending)
        if str(doc.get("intent_sig", "")) != str(intent.get(signing.SIG, "")):
            log.info("result for %s is about another copy of it (%s); still waiting", doc["id"], doc.get("reason"))
            return
        self._report(Outcome(doc["id"], str(doc.get("status", "")), str(doc.get("reason", "")), intent,
                             str(doc.get("detail", "")), sent=True))
        self.outbox.remove(pending.seq)  # after the report: whoever waits for an empty outbox has heard it
        self._sent.discard(doc["id"])
        self._wake.set()

    def _report(self, outcome: Outcome) -> None:
        try:
            self._on_outcome(outcome)
        except Exception:
            log.exception("reporting the outcome of intent %s failed", outcome.id)

    # -- the loop ---------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                wait_s = self._step()
            except sqlite3.ProgrammingError:  # the outbox was closed under us: nothing left to deliver
                return
            except Exception:  # the loop must survive anything one message does
                log.exception("outbox delivery failed; retrying")
                wait_s = self.retry_s
            self._wake.wait(wait_s)
            self._wake.clear()

    def _step(self) -> float:
        """Handle the head of the outbox; returns how long to wait before looking again."""
        heads = self.outbox.pending(limit=1)
        if not heads:
            return 1.0  # another process may add to the same outbox
        head = heads[0]
        doc = _doc(head)
        now = time.time()
        deadline = _deadline(doc, head)
        if now >= deadline:
            sent = head.msg_id in self._sent
            self._report(Outcome(head.msg_id, "expired", "not_confirmed" if sent else "not_delivered", doc, sent=sent))
            self.outbox.remove(head.seq)
            self._sent.discard(head.msg_id)
            return 0.0
        if not self._connected:
            return min(1.0, deadline - now)
        if self._resend_now or head.msg_id != self._last_id or now - self._last_sent >= self.retry_s:
            self._resend_now = False
            self._publish(head.topic, head.payload)
            self._last_id, self._last_sent = head.msg_id, now
            self._sent.add(head.msg_id)
        return max(0.01, min(self.retry_s - (now - self._last_sent), deadline - now))


def _doc(p: Pending) -> dict[str, Any]:
    try:
        doc = json.loads(p.payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _deadline(doc: dict[str, Any], p: Pending) -> float:
    """When the intent stops being worth doing: ``ts + ttl`` (an old outbox row without a ttl
    gets the default 120 s from when it was stored)."""
    ts, ttl = doc.get("ts"), doc.get("ttl")
    if isinstance(ts, int | float) and isinstance(ttl, int | float):
        return float(ts) + float(ttl)
    return p.created + 120.0

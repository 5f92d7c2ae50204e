"""The durable intent outbox: an intent is on disk before it is published, gone only once Home
Assistant reported its outcome (or it expired)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import MqttError

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created REAL NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class Pending:
    """One stored message; ``seq`` orders delivery."""

    seq: int
    msg_id: str
    topic: str
    payload: bytes
    created: float
    """Seconds since the epoch when it was stored."""


class Outbox:
    """A SQLite FIFO shared by the publishing thread and paho's network thread (one lock).

    ``synchronous=FULL`` with WAL: an added message survives a crash or power cut.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise MqttError(
                f"cannot open the MQTT outbox {self.path}: {e}; set [mqtt] outbox to a writable file"
            ) from e
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def add(self, msg_id: str, topic: str, payload: bytes) -> int:
        """Store a message; returns its sequence number."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO outbox (msg_id, topic, payload, created) VALUES (?, ?, ?, ?)",
                (msg_id, topic, payload, time.time()),
            )
            self._changed.notify_all()
            return int(cur.lastrowid or 0)

    def remove(self, seq: int) -> None:
        """Forget a message: Home Assistant reported on it, or it expired."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            self._changed.notify_all()

    def pending(self, after_seq: int = 0, limit: int = 1000) -> list[Pending]:
        """Stored messages in delivery order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, msg_id, topic, payload, created FROM outbox WHERE seq > ? "
                "ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [Pending(r[0], r[1], r[2], bytes(r[3]), r[4]) for r in rows]

    def find(self, msg_id: str) -> Pending | None:
        """The stored message with this id, if it is still waiting."""
        with self._lock:
            r = self._db.execute(
                "SELECT seq, msg_id, topic, payload, created FROM outbox WHERE msg_id = ?", (msg_id,)
            ).fetchone()
        return None if r is None else Pending(r[0], r[1], r[2], bytes(r[3]), r[4])

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def wait_empty(self, timeout_s: float) -> bool:
        """Block until every message is handled (True) or the timeout passes (False); rows
        removed by another process on the same file count too."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                if self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.5))

    def close(self) -> None:
        with self._lock:
            self._db.close()

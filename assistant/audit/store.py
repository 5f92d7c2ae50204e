"""The audit log on disk: one SQLite file, readable by its owner only, with retention.

Every method opens its own short connection, so the recorder (bus threads) and the CLI can use
the same file at once; SQLite's locking keeps them apart.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.config import Config
from assistant.errors import HearthError

log = logging.getLogger(__name__)

DAY_S = 86400.0
_COLUMNS = ("id", "ts", "run_id", "node", "room", "language", "transcript", "path", "intents", "actions",
            "reply", "outcome", "latency_ms", "understand_ms", "llm_raw", "audio")
_JSON = {"intents", "actions", "outcome"}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    run_id TEXT NOT NULL DEFAULT '',
    node TEXT NOT NULL DEFAULT '',
    room TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    transcript TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL DEFAULT '',
    intents TEXT NOT NULL DEFAULT '[]',
    actions TEXT NOT NULL DEFAULT '[]',
    reply TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '[]',
    latency_ms REAL,
    understand_ms REAL,
    llm_raw TEXT,
    audio TEXT
);
CREATE INDEX IF NOT EXISTS turns_ts ON turns (ts);
CREATE INDEX IF NOT EXISTS turns_run ON turns (run_id);
"""


def default_path(cfg: Config) -> Path:
    return Path(cfg.audit.path).expanduser() if cfg.audit.path else cfg.data_dir / "audit.sqlite"


def _private(path: Path) -> None:
    """Create ``path`` (and its folder) for its owner only, before SQLite writes anything in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class AuditStore:
    """Turns as rows; ``record`` inserts, ``add_outcome``/``set_latency`` complete a row later."""

    def __init__(self, path: str | Path, *, retention_days: float = 30.0) -> None:
        self.path = Path(path)
        self.retention_s = retention_days * DAY_S
        self._lock = threading.Lock()
        try:
            _private(self.path)
            with self._db() as db:
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise HearthError(f"cannot open the audit log {self.path}: {e}") from e
        self.audio_dir = self.path.parent / (self.path.stem + "-audio")

    @classmethod
    def from_config(cls, cfg: Config) -> AuditStore:
        return cls(default_path(cfg), retention_days=cfg.audit.retention_days)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite3.connect(self.path, timeout=10.0)
            try:
                db.execute("PRAGMA secure_delete = ON")  # deleted words do not linger in free pages
                with db:
                    yield db
            finally:
                db.close()

    # -- writing ------------------------------------------------------------------------------
    def record(self, row: dict[str, Any]) -> int:
        """Insert one turn (already masked) and return its id."""
        cols = [c for c in _COLUMNS if c != "id" and c in row]
        vals = [json.dumps(row[c], ensure_ascii=False) if c in _JSON else row[c] for c in cols]
        with self._db() as db:
            cur = db.execute(
                f"INSERT INTO turns ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", vals
            )
            return int(cur.lastrowid or 0)

    def add_outcome(self, run_id: str, outcome: dict[str, Any]) -> int:
        """Append Home Assistant's outcome to the turns of ``run_id``; how many rows it reached."""
        if not run_id:
            return 0
        with self._db() as db:
            rows = db.execute("SELECT id, outcome FROM turns WHERE run_id = ?", (run_id,)).fetchall()
            for rid, old in rows:
                merged = [*json.loads(old or "[]"), outcome]
                db.execute("UPDATE turns SET outcome = ? WHERE id = ?", (json.dumps(merged, ensure_ascii=False), rid))
            return len(rows)

    def set_latency(self, run_id: str, latency_ms: float) -> None:
        if run_id:
            with self._db() as db:
                db.execute("UPDATE turns SET latency_ms = ? WHERE run_id = ?", (latency_ms, run_id))

    def set_audio(self, run_id: str, path: str) -> None:
        if run_id:
            with self._db() as db:
                db.execute("UPDATE turns SET audio = ? WHERE run_id = ?", (path, run_id))

    # -- reading ------------------------------------------------------------------------------
    def rows(self, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
        """Turns in time order, as dicts (``time`` added in local ISO form)."""
        where, args = _range(since, until)
        with self._db() as db:
            cur = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM turns{where} ORDER BY ts, id", args)
            out = []
            for values in cur.fetchall():
                d = dict(zip(_COLUMNS, values, strict=True))
                for c in _JSON:
                    d[c] = json.loads(d[c] or "[]")
                d["time"] = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(d["ts"]))
                out.append(d)
            return out

    def count(self) -> int:
        with self._db() as db:
            return int(db.execute("SELECT COUNT(*) FROM turns").fetchone()[0])

    def export(self, path: str | Path, since: float | None = None) -> int:
        """Write every turn as one JSON line (owner-only file); returns the count."""
        rows = self.rows(since)
        out = Path(path)
        fd = os.open(out, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        return len(rows)

    # -- deleting -----------------------------------------------------------------------------
    def purge(self, *, before: float | None = None, since: float | None = None) -> int:
        """Delete turns older than ``before`` and/or from ``since`` on (neither: all); their audio too."""
        where, args = _range(since, None)
        if before is not None:
            where = (where + " AND" if where else " WHERE") + " ts < ?"
            args.append(before)
        with self._db() as db:
            audio = [r[0] for r in db.execute(f"SELECT audio FROM turns{where}", args) if r[0]]
            n = db.execute(f"DELETE FROM turns{where}", args).rowcount
        for a in audio:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(a)
        return int(n)

    def enforce_retention(self, now: float | None = None) -> int:
        """Delete what is older than ``[audit] retention_days``."""
        n = self.purge(before=(now if now is not None else time.time()) - self.retention_s)
        if n:
            log.info("audit log: %d records past retention deleted", n)
        return n


def _range(since: float | None, until: float | None) -> tuple[str, list[Any]]:
    conds, args = [], []
    if since is not None:
        conds.append("ts >= ?")
        args.append(since)
    if until is not None:
        conds.append("ts < ?")
        args.append(until)
    return (" WHERE " + " AND ".join(conds) if conds else ""), args

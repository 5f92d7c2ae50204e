"""``hearth audit``: list, export or purge the household's record of every turn."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import time
from typing import Any

from assistant.audit.store import AuditStore
from assistant.config import Config
from assistant.errors import HearthError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_time(text: str, now: float | None = None) -> float:
    """Epoch seconds from ``2026-05-01``, ``2026-05-01T08:00[:00][+02:00]``, ``today``,
    ``yesterday``, ``90m``/``2h``/``7d`` ago, or epoch seconds; local time when no zone is given."""
    t = text.strip().lower()
    now = time.time() if now is None else now
    if t in ("today", "yesterday"):
        day = dt.datetime.fromtimestamp(now).astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
        return (day - dt.timedelta(days=1 if t == "yesterday" else 0)).timestamp()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhdw])", t)
    if m:
        return now - float(m.group(1)) * _UNITS[m.group(2)]
    if re.fullmatch(r"\d{9,}(?:\.\d+)?", t):
        return float(t)
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise HearthError(
            f"cannot read the time {text!r}; use 2026-05-01, 2026-05-01T08:00, today, yesterday, 2h or 7d"
        ) from None
    return (when if when.tzinfo else when.astimezone()).timestamp()


def run(args: argparse.Namespace, cfg: Config) -> int:
    store = AuditStore.from_config(cfg)
    store.enforce_retention()
    since = parse_time(args.since) if getattr(args, "since", None) else None
    action = getattr(args, "audit_command", None)
    if action == "export":
        n = store.export(args.file, since)
        print(f"{n} records written to {args.file}")
        return 0
    if action == "purge":
        before = None if args.all else parse_time(args.before)
        n = store.purge(before=before)
        print(f"{n} records deleted from {store.path}")
        return 0
    rows = store.rows(since)
    for r in rows:
        print(json.dumps(r, ensure_ascii=False) if args.json else _line(r))
    if not args.json and not rows:
        print(f"no records in {store.path}" + (" since then" if since else ""))
    return 0


def _line(r: dict[str, Any]) -> str:
    where = "/".join(x for x in (r["node"], r["room"]) if x)
    acts = ", ".join(f"{a['service']} {a.get('entity_id') or ''}".strip() for a in r["actions"]) or "-"
    done = ", ".join(o.get("status", "") + (f" ({o['reason']})" if o.get("reason") else "") for o in r["outcome"])
    ms = f"{r['latency_ms']:.0f} ms" if r.get("latency_ms") is not None else ""
    return (f"{r['time']} {where} [{r['path']}] \"{r['transcript']}\" -> {acts}"
            + (f" -> {done}" if done else "") + (f" ({ms})" if ms else "") + f" | {r['reply']}")

"""Timers survive a restart: kept as JSON with their wall-clock end in ``<data_dir>/timers.json``."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from assistant.skillkit.timers import Timer, TimerManager

log = logging.getLogger(__name__)

FILE_NAME = "timers.json"


class TimerStore:
    """Writes the timers after every change (atomically: a crash never leaves half a file)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def load(self) -> list[dict[str, Any]]:
        """The saved timers; a missing file is none, an unreadable one is set aside and reported."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            items = data["timers"]
            if not isinstance(items, list) or not all(
                isinstance(d, dict) and (d.get("ends_wall") is not None or d.get("paused_left_s") is not None)
                for d in items
            ):
                raise ValueError("'timers' must be a list of timers")
            return items
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as e:
            bad = self.path.with_suffix(".bad.json")
            log.error("cannot read saved timers %s (%s); moved aside to %s", self.path, e, bad)
            with contextlib.suppress(OSError):
                os.replace(self.path, bad)
            return []

    def save(self, items: list[dict[str, Any]]) -> None:
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps({"version": 1, "timers": items}, ensure_ascii=False), encoding="utf-8")
                os.replace(tmp, self.path)
            except OSError as e:
                log.error("cannot save timers to %s: %s (they run, but would not survive a restart)", self.path, e)


def persist(timers: TimerManager, store: TimerStore) -> list[Timer]:
    """Restore the saved timers into ``timers`` and save every later change; returns the restored ones
    (any whose end passed while Hearth was off rings at the next tick)."""
    restored = timers.restore(store.load())
    previous = timers.on_change

    def on_change() -> None:
        store.save(timers.snapshot())
        if previous is not None:
            previous()

    timers.on_change = on_change
    if restored:
        log.info("restored %d timer(s) from %s", len(restored), store.path)
    return restored

"""The last good live inventory on disk, so a restart while the broker is down still knows the home."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from assistant.config import Config
from assistant.errors import InventoryError
from assistant.home import inventory as inventory_mod
from assistant.home.inventory import Inventory

log = logging.getLogger(__name__)

FILE_NAME = "inventory.json"


def path(cfg: Config) -> Path:
    """``<data_dir>/inventory.json``."""
    return cfg.data_dir / FILE_NAME


def load(cfg: Config) -> Inventory | None:
    """The cached inventory, or None when there is none yet or it does not parse (logged)."""
    p = path(cfg)
    if not p.exists():
        return None
    try:
        inv = inventory_mod.load(p)
    except InventoryError as e:
        log.warning("ignoring the cached live inventory: %s; it is replaced by the next one from "
                    "Home Assistant", e.message)
        return None
    log.info("home from the cached live inventory %s: %d entities", p, len(inv.entities))
    return inv


def save(cfg: Config, inventory: Inventory) -> bool:
    """Write ``inventory`` atomically (temp file, fsync, rename); False if unchanged or not writable.

    A reader (another Hearth process, a crash mid-write) sees the old file or the new one, never half.
    """
    p = path(cfg)
    text = json.dumps({**inventory.to_dict(), "source": "homeassistant"}, ensure_ascii=False, indent=1)
    try:
        if p.exists() and p.read_text(encoding="utf-8") == text:
            return False
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".inventory-", suffix=".tmp", dir=p.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        log.warning("cannot cache the live inventory in %s: %s; set [general] data_dir to a writable "
                    "folder", p, e)
        return False
    return True

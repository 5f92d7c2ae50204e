"""``hearth mqtt``: check the broker, deliver the outbox (``--flush``), or clear a removed node's
retained discovery (``--remove``)."""

from __future__ import annotations

import argparse
import time

from assistant.config import Config
from assistant.errors import ConfigError
from assistant.mqtt.client import probe
from assistant.mqtt.remove import remove_node


def run(args: argparse.Namespace, cfg: Config) -> int:
    if args.remove is not None:
        node = args.remove or cfg.general.node_id
        cleared = remove_node(cfg.mqtt, node)
        for topic in cleared:
            print(f"cleared {topic}")
        print(f"node {node!r}: {len(cleared)} retained topics cleared; Home Assistant removes its device")
        return 0
    if getattr(args, "allowlist", None) is not None:
        from assistant.mqtt import allowlist

        path = allowlist.PATH if args.allowlist == "-" else args.allowlist
        print(f"{path}: {'written' if allowlist.write(path) else 'unchanged'}")
        return 0
    if args.flush is not None:
        return _flush(cfg, args.flush)
    ok, message = probe(cfg.mqtt)
    print(message)
    return 0 if ok else 1


def _flush(cfg: Config, timeout_s: float) -> int:
    """Connect like ``hearth ask`` does (never touching the node's presence) and wait until Home
    Assistant reported on every stored intent (or it expired): after an outage no ``hearth run``
    is needed for that."""
    from assistant.mqtt.bridge import MqttBridge

    if timeout_s <= 0:
        raise ConfigError(f"--flush {timeout_s:g}: give a positive number of seconds")
    t0 = time.monotonic()
    bridge = MqttBridge(cfg, presence=False)
    waiting = bridge.outbox.count()
    try:
        bridge.start()
        ok = bridge.flush(timeout_s)
        left = bridge.outbox.count()
        connected = bridge.connected.is_set()
    finally:
        bridge.stop()
    where = f"{cfg.mqtt.host}:{cfg.mqtt.port}"
    done = ", ".join(f"{n} {status}" for status, n in sorted(bridge.outcomes.items())) or "none"
    if ok:
        print(f"{waiting} intents handled through {where} in {time.monotonic() - t0:.1f} s ({done}); "
              "the outbox is empty")
        return 0
    state = "connected" if connected else "could not connect"
    print(f"{state} to {where}: {waiting - left} of {waiting} intents handled in {timeout_s:g} s ({done}); "
          f"{left} still wait in {bridge.outbox.path} (start the broker, then run hearth mqtt --flush again)")
    return 1

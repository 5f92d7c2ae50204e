"""``hearth mqtt``: check the broker, or clear a removed node's retained discovery (``--remove``)."""

from __future__ import annotations

import argparse

from assistant.config import Config
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
    ok, message = probe(cfg.mqtt)
    print(message)
    return 0 if ok else 1

"""``hearth models``: list each default model with its status; ``--prepare`` assembles split ones."""

from __future__ import annotations

import argparse
import sys

from assistant import modelstore
from assistant.config import Config
from assistant.errors import ModelError


def run(args: argparse.Namespace, cfg: Config) -> int:
    if args.prepare:
        failed = False
        for entry in modelstore.entries().values():
            try:
                if entry.source in ("split", "assemble"):
                    modelstore.prepare(entry)
            except ModelError as e:
                print(f"hearth: {e.message}", file=sys.stderr)
                failed = True
        text, ok = modelstore.report(args.json)
        print(text)
        return 1 if failed or not ok else 0
    text, ok = modelstore.report(args.json)
    print(text)
    return 0 if ok else 1

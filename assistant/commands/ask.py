"""``hearth ask``: understand typed text as if it were spoken; one line, or a JSONL batch."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from assistant import app
from assistant.audit.recorder import attach_audit
from assistant.brain.scoring import Scoreboard
from assistant.config import Config
from assistant.errors import HearthError
from assistant.events import Announcement, EventBus


def run(args: argparse.Namespace, cfg: Config) -> int:
    if args.jsonl:
        if args.text:
            raise HearthError("give either TEXT or --jsonl FILE, not both")
        return _batch(args, cfg)
    if not args.text or not args.text.strip():
        raise HearthError("nothing to understand: give TEXT (hearth ask \"turn on the kitchen light\") or --jsonl FILE")
    inventory = app.load_inventory(cfg, args.inventory)
    act = not args.dry_run  # a dry run never connects: it uses the cached home, publishes nothing
    bus = EventBus()
    later: list[str] = []  # said after the reply, e.g. Home Assistant refusing what was asked
    bus.subscribe(lambda e: later.append(e.text), Announcement)
    brain = app.build_brain(cfg, inventory=inventory, bus=bus, publish=act)
    detach_audit = attach_audit(cfg, bus) if act else (lambda: None)
    close = (
        app.attach_intent_publisher(
            cfg, bus, intent_types=brain.registry.names(),
            on_inventory=app.live_inventory_handler(cfg, brain)
            if app.uses_live_inventory(cfg, args.inventory) else None,
        )
        if act else (lambda: None)
    )
    try:
        u = brain.understand(
            args.text, area=args.area or cfg.general.area or None,
            language=args.language or cfg.general.language, execute=act,
        )
    finally:
        close()
        detach_audit()
    if args.json:
        print(json.dumps(u.as_dict(), ensure_ascii=False))
    else:
        print(u.reply)
    for text in later:
        print(text, file=sys.stderr if args.json else sys.stdout)
    return 0


def _lines(path: str) -> Iterator[tuple[int, str]]:
    stream: TextIO
    if path == "-":
        stream = sys.stdin
    else:
        try:
            stream = Path(path).open(encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as e:
            raise HearthError(f"cannot read --jsonl file {path}: {e}") from e
    try:
        for n, line in enumerate(stream, 1):
            if line.strip():
                yield n, line
    finally:
        if stream is not sys.stdin:
            stream.close()


def _batch(args: argparse.Namespace, cfg: Config) -> int:
    """Each line alone: no conversation carried over, nothing executed or published (no broker)."""
    inventory = app.load_inventory(cfg, args.inventory)
    brain = app.build_brain(cfg, inventory=inventory, bus=None, publish=False)
    board = Scoreboard()
    scored = False
    for n, line in _lines(args.jsonl):
        out: dict[str, Any]
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('each line must be an object with a "text" string')
        except ValueError as e:
            print(json.dumps({"id": None, "line": n, "error": f"line {n}: {e}"}, ensure_ascii=False), flush=True)
            continue
        line_id = item.get("id", n)
        try:
            u = brain.understand(
                item["text"], area=item.get("area") or args.area or cfg.general.area or None,
                language=item.get("language") or args.language or cfg.general.language,
                conversation_id=f"batch-{n}", execute=False,
            )
        except HearthError as e:
            print(json.dumps({"id": line_id, "error": e.message}, ensure_ascii=False), flush=True)
            continue
        out = {"id": line_id, **u.as_dict()}
        if isinstance(item.get("expect"), dict):
            scored = True
            out["correct"] = board.add(str(line_id), u, item["expect"])
        print(json.dumps(out, ensure_ascii=False), flush=True)
    if scored:
        print(board.report(), file=sys.stderr)
    return 0

"""``hearth run``: the assistant, from a microphone, a WAV file or stdin, until the input ends or Ctrl-C."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from assistant import app
from assistant.config import Config
from assistant.console import EventPrinter

log = logging.getLogger(__name__)


def run(args: argparse.Namespace, cfg: Config) -> int:
    assistant = app.build_assistant(cfg, input_spec=args.input, output_spec=args.output, area=args.area)
    assistant.bus.subscribe(EventPrinter(sys.stderr))
    if args.json:
        assistant.bus.subscribe(lambda e: print(json.dumps(e.as_dict(), ensure_ascii=False), flush=True))
    try:
        assistant.run()
    except KeyboardInterrupt:
        pass
    finally:
        assistant.close()
    return 0

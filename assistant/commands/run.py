"""``hearth run``: the assistant, from a microphone, a WAV file or stdin, until the input ends or Ctrl-C."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import NoReturn, TextIO

from assistant import app
from assistant.config import Config
from assistant.console import EventPrinter
from assistant.events import Event

log = logging.getLogger(__name__)


def run(args: argparse.Namespace, cfg: Config) -> int:
    if cfg.satellites or cfg.wyoming.serve or args.input == "none":
        from assistant.hubrun import run_hub

        return run_hub(args, cfg)
    assistant = app.build_assistant(cfg, input_spec=args.input, output_spec=args.output, area=args.area)
    assistant.bus.subscribe(EventPrinter(sys.stderr))
    if args.json:
        assistant.bus.subscribe(_json_lines(sys.stdout))
    # SIGTERM (systemd stop) ends the run like Ctrl-C: audio closed, reply cut, outbox kept.
    previous = signal.signal(signal.SIGTERM, lambda _sig, _frame: assistant.request_stop())
    try:
        assistant.run()
    except KeyboardInterrupt:
        pass
    finally:
        t0 = time.monotonic()
        assistant.close()
        signal.signal(signal.SIGTERM, previous)
        log.info("stopped in %.2f s", time.monotonic() - t0)
    if assistant.runtime is not None and assistant.runtime.supervisor.stopping.is_set():
        exit_now()
    return 0


def exit_now() -> NoReturn:
    """After a stop by signal, with everything closed (audio, outbox, broker): skip the seconds the
    interpreter would spend freeing models and waiting for a worker still inside a model call."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(0)


def _json_lines(out: TextIO) -> Callable[[Event], None]:
    """One JSON line per event; events come from several threads (MQTT, timers), so one writer at a time."""
    lock = threading.Lock()

    def write(e: Event) -> None:
        line = json.dumps(e.as_dict(), ensure_ascii=False) + "\n"
        with lock:
            out.write(line)
            out.flush()

    return write

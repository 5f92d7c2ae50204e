"""``hearth serve --wyoming tcp://HOST:PORT``: Hearth's STT, TTS, wake words and understanding as a
Wyoming service (Home Assistant's ``wyoming`` integration connects to it), until Ctrl-C."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading

from assistant import app
from assistant.config import Config
from assistant.errors import ConfigError
from assistant.events import EventBus
from assistant.hub import Hub
from assistant.hubrun import start_server


def run(args: argparse.Namespace, cfg: Config) -> int:
    uri = args.wyoming or cfg.wyoming.serve
    if not uri:
        raise ConfigError("hearth serve needs --wyoming tcp://HOST:PORT (or [wyoming] serve in the config)")
    from assistant.wyoming.protocol import parse_uri

    try:
        parse_uri(uri)
    except ValueError as e:
        raise ConfigError(f"--wyoming: {e}") from e
    bus = EventBus()
    engines = app.build_engines(cfg, bus=bus)
    close_publisher = app.attach_intent_publisher(cfg, bus, intent_types=engines.brain.registry.names())
    hub = Hub(dataclasses.replace(cfg, satellites=()), engines, bus)  # the event loop and shared models only
    hub.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        server = start_server(cfg, hub, engines, bus, uri)
        host = uri.rsplit(":", 1)[0]
        print(f"Wyoming service on {host}:{server.port}", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        hub.close()
        close_publisher()
    return 0

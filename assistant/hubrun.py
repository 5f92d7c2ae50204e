"""``hearth run`` with satellites or a Wyoming service: the local pipeline (if any) plus the hub."""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from assistant import app
from assistant.arbitration import ArbitratedWake
from assistant.config import Config
from assistant.console import EventPrinter
from assistant.errors import ConfigError
from assistant.events import Announcement, Event, EventBus
from assistant.hub import Hub

log = logging.getLogger(__name__)


def run_hub(args: argparse.Namespace, cfg: Config) -> int:
    output = "none" if args.input == "none" and args.output == "speaker" else args.output
    assistant = app.build_assistant(cfg, input_spec=args.input, output_spec=output, area=args.area)
    runtime = assistant.runtime
    assert runtime is not None  # build_assistant always supervises its stream
    if args.input == "none":  # no speaker of its own: announcements are for the satellites only
        runtime.router.remove_stream(cfg.general.node_id)
    hub = Hub(cfg, assistant.engines, assistant.bus, router=runtime.router, intercept=runtime.ringer.consume)
    pipeline = assistant.pipeline
    pipeline.stt, pipeline.tts, pipeline.brain = hub.stt, hub.tts, hub.brain  # type: ignore[assignment]
    if args.input != "none" and hub.streams:
        pipeline.wake = ArbitratedWake(pipeline.wake, hub.arbiter, cfg.general.node_id)
    printer = EventPrinter(sys.stderr)
    assistant.bus.subscribe(printer)
    hub.observers.append(lambda name, e: _print_prefixed(printer, name, e))
    if args.json:
        write = _json_writer()
        assistant.bus.subscribe(lambda e: write(e, None))
        hub.observers.append(lambda name, e: write(e, name))
    # SIGTERM (systemd stop) ends the hub like Ctrl-C: satellites let go, the outbox kept.
    previous = signal.signal(signal.SIGTERM, lambda _sig, _frame: assistant.request_stop())
    try:
        if cfg.mqtt.enabled:
            satellite_bridges(cfg, hub)
        hub.start()
        if cfg.wyoming.serve:
            start_server(cfg, hub, assistant.engines, assistant.bus)
        print(f"hub: serving {len(hub.streams)} satellite(s)"
              f"{'; Wyoming service on ' + cfg.wyoming.serve if cfg.wyoming.serve else ''}",
              file=sys.stderr, flush=True)
        assistant.run()
    except KeyboardInterrupt:
        pass
    finally:
        hub.close()
        assistant.close()
        signal.signal(signal.SIGTERM, previous)
    if runtime.supervisor.stopping.is_set():
        from assistant.commands.run import exit_now

        exit_now()
    return 0


def start_server(cfg: Config, hub: Hub, engines: Any, bus: EventBus, uri: str | None = None) -> Any:
    """The Wyoming service on the hub's event loop; returns it once it listens."""
    from assistant.wyoming.protocol import parse_uri
    from assistant.wyoming.server import WyomingServer

    try:
        host, port = parse_uri(uri or cfg.wyoming.serve)
    except ValueError as e:
        raise ConfigError(f"[wyoming] serve: {e}") from e
    server = WyomingServer(cfg, stt=hub.stt, tts=hub.tts, brain=hub.brain, wake_words=engines.wake.words,
                           make_wake=_wake_factory(cfg, hub), bus=bus)
    hub.call_in_loop(server.start(host, port)).result(10)  # type: ignore[attr-defined]
    hub.add_closer(lambda: hub.call_in_loop(server.stop()).result(5))  # type: ignore[attr-defined]
    return server


def _wake_factory(cfg: Config, hub: Hub) -> Callable[[], Any]:
    """Wyoming ``detect`` requests listen with ``hearth run``'s policy: candidates checked by the shared Whisper."""
    from assistant.vad.silero import SileroVad
    from assistant.wake import verify

    return verify.factory(cfg.wake, getattr(hub.stt, "phrase_logprob", None), SileroVad)


def node_id_for(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", name.lower()).strip("_") or "satellite"


def satellite_bridges(cfg: Config, hub: Hub) -> None:
    """One Home Assistant device per satellite, like a Hearth node: state, transcript, intents,
    announce (on that satellite), cancel and mute."""
    from assistant.mqtt.bridge import MqttBridge

    for stream in hub.streams:
        node = node_id_for(stream.name)
        scfg = cfg.replace("general", node_id=node, area=stream.area)

        def announce(text: str, s: Any = stream) -> None:
            s.bus.publish(Announcement(text=text, source="homeassistant", stream=s.name))

        def cancel(s: Any = stream) -> None:
            if s.pipeline is not None:
                s.pipeline.cancel()

        bridge = MqttBridge(scfg, stream.bus, intent_types=hub.brain.registry.names(), on_announce=announce,
                            on_cancel=cancel, on_mute=stream.link.set_muted,
                            outbox_path=cfg.data_dir / f"outbox-{node}.sqlite")
        bridge.start()
        hub.add_closer(lambda b=bridge: (b.flush(5.0), b.stop()))


def _print_prefixed(printer: EventPrinter, name: str, e: Event) -> None:
    line = printer.format(e)
    if line:
        printer.out.write(f"[{name}] {line}\n")
        printer.out.flush()


def _json_writer() -> Callable[[Event, str | None], None]:
    lock = threading.Lock()

    def write(e: Event, satellite: str | None) -> None:
        d = e.as_dict()
        if satellite is not None:
            d["satellite"] = satellite
        line = json.dumps(d, ensure_ascii=False, default=str) + "\n"
        with lock:
            sys.stdout.write(line)
            sys.stdout.flush()

    return write

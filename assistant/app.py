"""Composition root: the one place that picks concrete engines from the config."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from assistant.audio import SAMPLE_RATE
from assistant.audio.base import AudioSink, AudioSource
from assistant.brain.service import HearthBrain
from assistant.config import Config
from assistant.errors import HearthError
from assistant.events import EventBus
from assistant.home import inventory as inventory_mod
from assistant.home.inventory import Inventory
from assistant.pipeline import Pipeline
from assistant.routing import floor_rooms
from assistant.runtime import Runtime
from assistant.skillkit.spec import ToolSpec
from assistant.stt.base import Transcriber
from assistant.tts.base import Synthesizer
from assistant.vad.base import SpeechDetector
from assistant.wake.base import WakeDetector

log = logging.getLogger(__name__)
T = TypeVar("T")


def uses_live_inventory(cfg: Config, path: str | Path | None = None) -> bool:
    """With ``[mqtt] enabled`` and no inventory file, the home is the one Home Assistant publishes."""
    return cfg.mqtt.enabled and not (path or cfg.brain.inventory)


def load_inventory(cfg: Config, path: str | Path | None = None) -> Inventory:
    """The home: ``path``, else ``[brain] inventory``; else, with ``[mqtt] enabled``, the last live
    inventory cached in ``<data_dir>/inventory.json`` (an empty home until Home Assistant sends one:
    acting on devices the home does not have would be worse than saying so); else the demo home."""
    if uses_live_inventory(cfg, path):
        from assistant.mqtt import inventory_cache

        cached = inventory_cache.load(cfg)
        if cached is not None:
            return cached
        log.warning("no inventory from Home Assistant yet: no devices are known until it arrives")
        return Inventory()
    chosen = path or cfg.brain.inventory or inventory_mod.bundled_path()
    return inventory_mod.load(Path(chosen).expanduser())


def live_inventory_handler(cfg: Config, brain: HearthBrain) -> Callable[[Inventory], None]:
    """Swap a new live inventory into ``brain`` and cache it on disk for the next start."""
    from assistant.mqtt import inventory_cache

    def on_inventory(inventory: Inventory) -> None:
        brain.set_inventory(inventory)
        if inventory_cache.save(cfg, inventory):
            log.info("live inventory cached: %d entities", len(inventory.entities))

    return on_inventory


def build_brain(
    cfg: Config,
    *,
    inventory: Inventory | None = None,
    bus: EventBus | None = None,
    tool_caller: object | None = None,
    publish: bool = True,
) -> HearthBrain:
    """The brain as configured: skills from entry points, templates, and the LLM when enabled.

    ``tool_caller`` overrides the configured LLM (tests pass a scripted one); the real one is
    imported only when needed, so template-only use never loads llama.cpp.
    """
    from assistant.brain.fastpath import FastPath
    from assistant.skillkit.registry import SkillRegistry

    inv = inventory if inventory is not None else load_inventory(cfg)
    registry = SkillRegistry.discover(cfg.brain.skills, cfg.brain.disabled_skills)
    fast = FastPath(inv) if cfg.brain.fast_path else None
    caller = tool_caller if tool_caller is not None else _llm(cfg) if cfg.brain.llm else None
    from assistant.brain.gate import Gate, load_pin

    gate = Gate(
        (svc for sk in registry for svc in sk.sensitive), (svc for sk in registry for svc in sk.services),
        areas=cfg.security.sensitive_areas, nodes=cfg.security.sensitive_nodes, node_id=cfg.general.node_id,
        pin=load_pin(cfg.security),
    )
    return HearthBrain(
        inv,
        registry,
        fast_path=fast,
        tool_caller=caller,  # type: ignore[arg-type]
        bus=bus,
        followup_window_s=cfg.brain.followup_window_s,
        default_language=cfg.general.language,
        publish=publish,
        gate=gate,
    )


def _llm(cfg: Config) -> object | None:
    """The configured LLM tool caller; without one the brain still serves the template path."""
    try:
        from assistant.brain.llm import LlamaToolCaller

        return LlamaToolCaller.from_config(cfg)
    except ImportError as e:
        log.warning("the LLM path is unavailable (%s); only sentence templates will be understood", e)
    except HearthError as e:
        log.warning("the LLM path is unavailable: %s; only sentence templates will be understood", e.message)
    return None


def attach_intent_publisher(
    cfg: Config,
    bus: EventBus,
    *,
    intent_types: Iterable[str] = (),
    on_inventory: Callable[[Inventory], None] | None = None,
    wait_s: float = 2.0,
) -> Callable[[], None]:
    """Hook for publishing understood intents: with ``[mqtt] enabled`` the MQTT bridge listens
    on ``bus`` for ``Understood`` events. Returns a function that flushes and detaches it.

    For one-shot commands: the bridge stays out of the node's presence (a running ``hearth run``
    owns it). It waits up to ``wait_s`` for the broker, and with ``on_inventory`` for Home
    Assistant's retained inventory, handed over before this returns; with the broker down it goes
    on with what it has and the intents wait in the outbox for the next Hearth process.
    """
    if not cfg.mqtt.enabled:
        return lambda: None
    from assistant.mqtt.bridge import MqttBridge

    bridge = MqttBridge(cfg, bus, intent_types=intent_types, presence=False)
    bridge.start()
    if on_inventory is not None:
        inventory = bridge.wait_inventory(wait_s)
        if inventory is not None:
            on_inventory(inventory)
        else:
            log.warning("no inventory from Home Assistant within %.1f s; using the last known home", wait_s)
    else:
        bridge.ready.wait(wait_s)

    def close() -> None:
        # Connected: wait for Home Assistant's results. Not connected: the outbox keeps the intents
        # (until their time to live) for the next Hearth process.
        timeout_s = 5.0 if bridge.connected.is_set() else 0.5
        if not bridge.flush(timeout_s):
            log.warning("Home Assistant has not reported on every intent yet; %d wait in the outbox %s",
                        bridge.outbox.count(), bridge.outbox.path)
        bridge.stop()

    return close


@dataclass
class Engines:
    """Every loaded stage, with how long each took to load (seconds)."""

    wake: WakeDetector
    vad: SpeechDetector
    stt: Transcriber
    tts: Synthesizer
    brain: HearthBrain
    load_s: dict[str, float] = field(default_factory=dict)

    @property
    def tool_specs(self) -> list[ToolSpec]:
        return self.brain.registry.specs()

    @property
    def inventory(self) -> Inventory:
        return self.brain.inventory


def build_engines(cfg: Config, *, bus: EventBus | None = None, inventory: Inventory | None = None) -> Engines:
    """Load and warm every stage once at start, so the first command is as fast as the rest."""
    from assistant import lean
    from assistant.stt.whisper import WhisperTranscriber
    from assistant.tts.router import build_synthesizer
    from assistant.vad.silero import SileroVad
    from assistant.wake import verify
    from assistant.wake.openwakeword import OpenWakeWordDetector

    load_s: dict[str, float] = {}
    lean.limit_malloc_arenas()
    lean.hand_back_large_buffers()
    lean.defer_openwakeword_training()

    def timed(name: str, make: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        obj = make()
        lean.trim()  # loaders free large temporary buffers: hand them back before the next one
        load_s[name] = time.perf_counter() - t0
        return obj

    model = timed("wake", lambda: OpenWakeWordDetector(verify.model_config(cfg.wake)))
    vad = timed("vad", SileroVad)
    language = cfg.general.language

    def make_stt() -> WhisperTranscriber:
        # One Silero model serves the pipeline and the transcriber's speech gate. A language's
        # model loads when that language is first heard (Chinese: the first Chinese command).
        stt = WhisperTranscriber(cfg.stt, language=language, vad=vad)
        stt.warm(None if language == "auto" else language)
        return stt

    stt = timed("stt", make_stt)
    wake = verify.wrap(cfg.wake, model, stt.phrase_logprob, vad)  # Whisper confirms each candidate

    def make_tts() -> Synthesizer:
        tts = build_synthesizer(cfg.tts)
        for _ in tts.synthesize("OK.", "en"):
            pass
        if language in ("zh", "auto"):
            for _ in tts.synthesize("好的。", "zh"):
                pass
        return tts

    tts = timed("tts", make_tts)

    def make_brain() -> HearthBrain:
        # The pipeline publishes Understood (with its run id); the brain keeps the bus for announcements.
        brain = build_brain(cfg, inventory=inventory, bus=bus, publish=False)
        brain.warm()
        return brain

    brain = timed("brain", make_brain)
    stt.vocabulary = lambda: brain.inventory.spoken_names()  # follows live inventory updates
    return Engines(wake, vad, stt, tts, brain, load_s)


class Assistant:
    """One running Hearth node: engines, audio in and out, the pipeline, and the MQTT bridge;
    ``runtime`` supervises the stream and owns timers, announcements and metrics."""

    def __init__(self, cfg: Config, engines: Engines, source: AudioSource, sink: AudioSink, bus: EventBus,
                 pipeline: Pipeline, closers: list[Callable[[], None]], runtime: Runtime | None = None) -> None:
        self.cfg, self.engines, self.source, self.sink, self.bus = cfg, engines, source, sink, bus
        self.pipeline = pipeline
        self._closers = closers
        self.runtime = runtime

    @property
    def load_s(self) -> dict[str, float]:
        return self.engines.load_s

    def run(self) -> None:
        if self.runtime is None:
            self.pipeline.run(self.source)
        else:
            self.runtime.run()

    def request_stop(self) -> None:
        """From a signal handler: ``run`` returns promptly, then ``close`` shuts down."""
        if self.runtime is not None:
            self.runtime.request_stop()

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()
        for close in reversed(self._closers):
            try:
                close()
            except Exception:
                log.exception("error while shutting down")


def build_assistant(cfg: Config, *, input_spec: str = "mic", output_spec: str = "speaker",
                    area: str | None = None) -> Assistant:
    """Wire a whole node. Audio devices are opened first, so a missing microphone fails before model loads."""
    from assistant.audio.sinks import open_sink
    from assistant.audio.sources import open_source

    frame_samples = SAMPLE_RATE * cfg.audio.frame_ms // 1000
    source = open_source(input_spec, frame_samples, cfg.audio.input_device)
    closers: list[Callable[[], None]] = [source.close]
    try:
        bus = EventBus()
        sink = open_sink(output_spec, cfg.audio.output_device)
        if output_spec == "speaker":  # a lost speaker is reopened at the next reply
            from assistant.audio.reopen import ReopeningSink

            sink = ReopeningSink(lambda: open_sink(output_spec, cfg.audio.output_device), bus=bus, first=sink)
        closers.append(sink.close)
        from assistant.audit.recorder import attach_audit

        closers.append(attach_audit(cfg, bus))
        engines = build_engines(cfg, bus=bus)
        runtime = Runtime(cfg, bus, engines.brain.timers, load_s=engines.load_s)
        runtime.router.on_floor = floor_rooms(lambda: engines.brain.inventory)
        stream_area = area if area is not None else cfg.general.area
        pipeline = Pipeline(cfg, wake=engines.wake, vad=engines.vad, stt=engines.stt, brain=engines.brain,
                            tts=engines.tts, sink=sink, bus=bus, area=area,
                            announcements=runtime.announcements_for(cfg.general.node_id, stream_area),
                            intercept=runtime.ringer.consume)
        runtime.add_stream("local", pipeline, lambda: open_source(input_spec, frame_samples, cfg.audio.input_device),
                           first=source, live=bool(getattr(source, "live", False)))
        if cfg.mqtt.enabled:
            from assistant.mqtt import inventory_cache
            from assistant.mqtt.bridge import MqttBridge

            brain = engines.brain
            live = uses_live_inventory(cfg)
            if not live:
                log.info("[brain] inventory is set: the live inventory from Home Assistant is not used")
            on_inventory = live_inventory_handler(cfg, brain) if live else None
            bridge = MqttBridge(
                cfg, bus, intent_types=brain.registry.names(), on_inventory=on_inventory,
                on_cancel=lambda: (runtime.acknowledge(), pipeline.cancel()), on_mute=pipeline.set_muted,
                sensitive=brain.registry.sensitive(),
            )
            runtime.attach_bridge(bridge)
            bridge.start()  # never blocks on the broker: intents wait in the outbox
            if on_inventory is not None and not inventory_cache.path(cfg).exists():
                # Never had the live home: a short wait beats answering from the demo home.
                inventory = bridge.wait_inventory(2.0)
                if inventory is not None:
                    on_inventory(inventory)
            # Stopped by a signal: a short flush (the outbox keeps the rest); at the end of input: wait.
            closers.append(lambda: (bridge.flush(0.3 if runtime.supervisor.stopping.is_set() else 5.0),
                                    bridge.stop(1.0)))
    except BaseException:
        for close in reversed(closers):
            close()
        raise
    return Assistant(cfg, engines, source, sink, bus, pipeline, closers, runtime)

"""One box, many rooms: a Pipeline per satellite stream, on engines loaded once and shared.

Each satellite gets its own wake-word detector and VAD (both keep per-stream state), wrapped for
wake arbitration; STT, TTS and the brain are shared behind FIFO locks. The Wyoming links run on one
event loop thread; each stream's pipeline runs in its own thread, one Pipeline per connection.
Events of a stream go to its own bus (its Home Assistant device, its satellite); announcements are
routed by area: ``area`` set → that room, unset → every room (``broadcast``: every room but
``area``, the one it was said in).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wyoming.asr import Transcript as WyTranscript
from wyoming.error import Error as WyError
from wyoming.tts import Synthesize
from wyoming.vad import VoiceStarted, VoiceStopped
from wyoming.wake import Detection as WyDetection

from assistant.arbitration import Arbiter, ArbitratedWake
from assistant.audio import SAMPLE_RATE
from assistant.config import Config, SatelliteConfig
from assistant.events import (
    Announcement,
    Event,
    EventBus,
    RunFailed,
    SpeakingStarted,
    SpeechEnded,
    SpeechStarted,
    Transcribed,
    WakeDetected,
)
from assistant.pipeline import Pipeline
from assistant.sharing import SharedBrain, SharedSynthesizer, SharedTranscriber
from assistant.wake import verify
from assistant.wyoming.satellite import SatelliteLink, Session
from assistant.wyoming.streams import PeerGone

log = logging.getLogger(__name__)


@dataclass
class Stream:
    """One satellite: its link, its per-stream detectors, its bus and the pipeline of its connection."""

    cfg: SatelliteConfig
    link: SatelliteLink
    wake: ArbitratedWake
    vad: object
    bus: EventBus = field(default_factory=EventBus)
    pipeline: Pipeline | None = None
    sessions: list[Session] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)
    thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self.link.name

    @property
    def area(self) -> str:
        return self.cfg.area


class Hub:
    """Serves every configured satellite with shared engines; ``start`` returns at once."""

    def __init__(self, cfg: Config, engines: object, bus: EventBus, *,
                 make_wake: Callable[[], object] | None = None,
                 make_vad: Callable[[], object] | None = None) -> None:
        self.cfg = cfg
        self.bus = bus
        self.arbiter = Arbiter(cfg.wyoming.arbitration_window_s)
        self.stt = SharedTranscriber(engines.stt)  # type: ignore[attr-defined]
        self.tts = SharedSynthesizer(engines.tts)  # type: ignore[attr-defined]
        self.brain = SharedBrain(engines.brain)  # type: ignore[attr-defined]
        self._make_wake = make_wake or _default_wake(cfg)
        self._make_vad = make_vad or _default_vad
        self.frame_samples = SAMPLE_RATE * cfg.audio.frame_ms // 1000
        self.streams: list[Stream] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._closers: list[Callable[[], None]] = []
        self._tasks: list[Any] = []
        self.discovered: dict[str, tuple[str, int]] = {}
        """Wyoming services zeroconf found, by name (served only when configured)."""
        self.observers: list[Callable[[str, Event], None]] = []
        """Called with (satellite name, event) for every event of every satellite stream."""
        for sat in cfg.satellites:
            link = SatelliteLink(sat, cfg.wyoming, self.frame_samples)
            vad = self._make_vad()
            # Each stream's candidates are confirmed by the shared Whisper, with the stream's own VAD.
            model = verify.wrap(cfg.wake, self._make_wake(), getattr(self.stt, "phrase_logprob", None),  # type: ignore[arg-type]
                                vad)  # type: ignore[arg-type]
            wake = ArbitratedWake(model, self.arbiter, link.name, frame_s=self.frame_samples / SAMPLE_RATE)
            self.streams.append(Stream(sat, link, wake, vad))
        bus.subscribe(self._route_announcement, Announcement)

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def loop_main() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.call_soon(ready.set)
            self._loop.run_forever()

        self._loop_thread = threading.Thread(target=loop_main, name="hearth-wyoming", daemon=True)
        self._loop_thread.start()
        ready.wait()
        for stream in self.streams:
            self._wire(stream)
            stream.thread = threading.Thread(target=self._stream_main, args=(stream,),
                                             name=f"hearth-{stream.name}", daemon=True)
            stream.thread.start()
            self._tasks.append(asyncio.run_coroutine_threadsafe(stream.link.run(), self._loop))
        if self.cfg.wyoming.discover:
            from assistant.wyoming.discovery import Discovery

            discovery = Discovery(self._found)
            discovery.start()
            self._closers.append(discovery.close)

    def _found(self, name: str, host: str, port: int) -> None:
        """A Wyoming service on the network: connect it if a ``[[satellites]]`` entry names it."""
        first = name not in self.discovered
        self.discovered[name] = (host, port)
        for stream in self.streams:
            if not stream.cfg.uri and stream.cfg.name == name:
                stream.link.set_address(host, port)
                return
        if first and not any(s.link.host == host and s.link.port == port for s in self.streams):
            log.info("found Wyoming service %r at tcp://%s:%d; not served: add [[satellites]] name = %r "
                     "area = \"...\" to serve it", name, host, port, name)

    def call_in_loop(self, coro: object) -> object:
        """Run a coroutine on the hub's event loop (the Wyoming server lives there too)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]

    def add_closer(self, close: Callable[[], None]) -> None:
        self._closers.append(close)

    def close(self) -> None:
        self._stopping.set()
        for close in reversed(self._closers):
            try:
                close()
            except Exception:
                log.exception("error while shutting down")
        for stream in self.streams:
            stream.link.stop()
            with stream.cond:
                stream.cond.notify_all()
            if stream.pipeline is not None:
                stream.pipeline.cancel()
        for task in self._tasks:
            task.cancel()  # each link's connection closes and ends its session's audio
        for stream in self.streams:
            if stream.thread is not None:
                stream.thread.join(10.0)  # a run in progress finishes its model call first
            if stream.thread is not None and stream.thread.is_alive():
                log.warning("satellite %s: its pipeline did not stop within 10 s", stream.name)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._loop_thread is not None:
            self._loop_thread.join(2.0)

    def set_muted(self, muted: bool) -> None:
        """Mute every satellite (``pause-satellite``) or let them stream again (``run-satellite``)."""
        for stream in self.streams:
            stream.link.set_muted(muted)

    # ---- wiring ------------------------------------------------------------------------------
    def _wire(self, stream: Stream) -> None:
        link = stream.link

        def on_session(session: Session) -> None:
            with stream.cond:
                stream.sessions.append(session)
                stream.cond.notify_all()

        def on_listen(continuous: bool) -> None:
            stream.wake.listening = continuous

        link.on_session = on_session
        link.on_listen = on_listen
        link.on_wake = lambda name: stream.wake.trigger(name)
        stream.bus.subscribe(lambda e: self._to_satellite(stream, e))
        stream.bus.subscribe(lambda e: [obs(stream.name, e) for obs in list(self.observers)])

    def _to_satellite(self, stream: Stream, e: Event) -> None:
        """What Home Assistant would tell the satellite at each step of its run."""
        send = stream.link.send
        if isinstance(e, WakeDetected):
            send(WyDetection(name=e.word, timestamp=int(e.t_s * 1000)).event())
        elif isinstance(e, SpeechStarted):
            send(VoiceStarted(timestamp=int(e.t_s * 1000)).event())
        elif isinstance(e, SpeechEnded):
            send(VoiceStopped(timestamp=int(e.t_s * 1000)).event())
        elif isinstance(e, Transcribed):
            send(WyTranscript(text=e.text).event())
        elif isinstance(e, SpeakingStarted):
            send(Synthesize(text=e.text).event())
        elif isinstance(e, RunFailed):
            send(WyError(text=e.message, code=e.code).event())

    def _route_announcement(self, a: Announcement) -> None:
        """``area`` set: that room only; unset: every room. With ``broadcast`` (HassBroadcast), ``area``
        is the room it was said in: every other room hears it."""
        area = getattr(a, "area", None)
        broadcast = bool(getattr(a, "broadcast", False))
        for stream in self.streams:
            here = bool(area) and _same_area(stream.area, area)
            if (broadcast and here) or (not broadcast and area and not here):
                continue
            stream.bus.publish(a)

    # ---- one thread per stream ---------------------------------------------------------------
    def _stream_main(self, stream: Stream) -> None:
        cfg = self.cfg.replace("general", node_id=stream.name, area=stream.area)
        while not self._stopping.is_set():
            with stream.cond:
                while not stream.sessions and not self._stopping.is_set():
                    stream.cond.wait(1.0)
                if self._stopping.is_set():
                    return
                session = stream.sessions.pop(0)
            session_bus = EventBus()
            # The pipeline subscribes to its bus for announcements: a bus per connection, so a
            # finished connection's pipeline is never fed again.
            session_bus.subscribe(lambda e: None if isinstance(e, Announcement) else stream.bus.publish(e))
            unsub = stream.bus.subscribe(
                lambda e, b=session_bus: b.publish(e) if isinstance(e, Announcement) else None)
            stream.wake.restart()
            stream.wake.frame_clock = lambda src=session.source: src.frame_arrival
            stream.vad.reset()  # type: ignore[attr-defined]
            pipeline = Pipeline(cfg, wake=stream.wake, vad=stream.vad, stt=self.stt,  # type: ignore[arg-type]
                                brain=self.brain, tts=self.tts, sink=session.sink,
                                bus=session_bus, area=stream.area or None)
            stream.pipeline = pipeline
            try:
                pipeline.run(session.source)
            except PeerGone as e:
                log.warning("%s; its run in progress is dropped", e)
            except Exception:
                log.exception("satellite %s: the pipeline failed; waiting for the next connection", stream.name)
            finally:
                unsub()
                stream.pipeline = None


def _same_area(a: str, b: str) -> bool:
    norm = lambda s: s.strip().lower().replace(" ", "_")  # noqa: E731
    return norm(a) == norm(b)


def _default_wake(cfg: Config) -> Callable[[], object]:
    def make() -> object:
        from assistant.wake.openwakeword import OpenWakeWordDetector

        return OpenWakeWordDetector(verify.model_config(cfg.wake))

    return make


def _default_vad() -> object:
    from assistant.vad.silero import SileroVad

    return SileroVad()

"""One box, many rooms: a Pipeline per satellite stream, on engines loaded once and shared.

Each satellite gets its own wake-word detector and VAD (both keep per-stream state), wrapped for
wake arbitration; STT, TTS and the brain are shared behind FIFO locks. The Wyoming links run on one
event loop thread; each stream's pipeline runs in its own thread, one Pipeline per connection.
Events of a stream go to its own bus (its Home Assistant device, its satellite). Announcements reach
a stream through its queue in the :class:`~assistant.routing.AnnouncementRouter`, the same router
that serves the box's own speaker when ``hearth run`` has one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wyoming.asr import Transcript as WyTranscript
from wyoming.error import Error as WyError
from wyoming.tts import Synthesize
from wyoming.vad import VoiceStarted, VoiceStopped
from wyoming.wake import Detection as WyDetection

from assistant.announce import STALE_AFTER_S, AnnouncementQueue
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
from assistant.routing import AnnouncementRouter, floor_rooms
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
    announcements: AnnouncementQueue = field(default_factory=AnnouncementQueue)
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
    """Serves every configured satellite with shared engines; ``start`` returns at once.

    ``router``: the runtime's, so the box's own speaker and the satellites share one set of rules
    (without one the hub routes its bus's announcements itself); ``intercept``: the pipelines'
    transcript hook (the ringer's, so "ok" stops a timer ringing on a satellite).
    """

    def __init__(self, cfg: Config, engines: object, bus: EventBus, *,
                 make_wake: Callable[[], object] | None = None,
                 make_vad: Callable[[], object] | None = None,
                 router: AnnouncementRouter | None = None,
                 intercept: Callable[[str, str | None], bool] | None = None) -> None:
        self.cfg = cfg
        self.bus = bus
        self.router = router if router is not None else AnnouncementRouter(bus)
        self._own_router = router is None
        if self._own_router:
            self.router.on_floor = floor_rooms(lambda: self.brain.inventory)
        self.intercept = intercept
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
        self._tasks: list[asyncio.Task[None]] = []
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
            # Registered under its name, which is also its pipeline's conversation id (see _stream_main).
            if any(p.name == link.name for p in self.router.places):
                log.warning("satellite %r has the name of another stream; give it its own name", link.name)
            queue = self.router.add_stream(link.name, sat.area, online=False)
            stream = Stream(sat, link, wake, vad, announcements=queue)
            # What the satellite's own Home Assistant device announces plays on that satellite,
            # unless it names a room or a floor.
            stream.bus.subscribe(lambda a, name=link.name: self.router.deliver(
                a if a.stream or a.area or a.floor else dataclasses.replace(a, stream=name)), Announcement)
            self.streams.append(stream)

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
            self._tasks.append(self.call_in_loop(_spawn(stream.link.run())).result(5))  # type: ignore[attr-defined]
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
        self._stop_links()  # each link's connection closes and ends its session's audio
        for stream in self.streams:
            if stream.thread is not None:
                stream.thread.join(10.0)  # a run in progress finishes its model call first
            if stream.thread is not None and stream.thread.is_alive():
                log.warning("satellite %s: its pipeline did not stop within 10 s", stream.name)
        if self._own_router:
            self.router.close()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._loop_thread is not None:
            self._loop_thread.join(2.0)
            if not self._loop_thread.is_alive() and self._loop is not None:
                self._loop.close()

    def _stop_links(self) -> None:
        """Cancel the links and wait until they have ended on the loop: a coroutine left suspended
        when the loop stops would be finalised later, outside any loop."""
        if self._loop is None or not self._tasks:
            return

        async def cancel_all() -> None:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:  # what the links left behind (their writers)
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        try:
            self.call_in_loop(cancel_all()).result(5.0)  # type: ignore[attr-defined]
        except Exception as e:  # a link stuck past the timeout: shutdown goes on
            log.warning("satellite links did not stop within 5 s: %s", e or type(e).__name__)

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
            stale = stream.announcements.drop_older(time.time() - STALE_AFTER_S)
            if stale:
                log.info("satellite %s: %d announcement(s) made over %.0f s ago, while it was away, dropped",
                         stream.name, stale, STALE_AFTER_S)
            stream.wake.restart()
            stream.wake.frame_clock = lambda src=session.source: src.frame_arrival
            stream.vad.reset()  # type: ignore[attr-defined]
            pipeline = Pipeline(cfg, wake=stream.wake, vad=stream.vad, stt=self.stt,  # type: ignore[arg-type]
                                brain=self.brain, tts=self.tts, sink=session.sink, bus=stream.bus,
                                area=stream.area or None, announcements=stream.announcements,
                                intercept=self.intercept)
            stream.pipeline = pipeline
            self.router.set_online(stream.name, True)
            try:
                pipeline.run(session.source)
            except PeerGone as e:
                log.warning("%s; its run in progress is dropped", e)
            except Exception:
                log.exception("satellite %s: the pipeline failed; waiting for the next connection", stream.name)
            finally:
                self.router.set_online(stream.name, False)
                stream.pipeline = None


async def _spawn(coro: Any) -> asyncio.Task[None]:
    """A task on the running loop, so the hub can cancel it and await its end there."""
    return asyncio.get_running_loop().create_task(coro)


def _default_wake(cfg: Config) -> Callable[[], object]:
    def make() -> object:
        from assistant.wake.openwakeword import OpenWakeWordDetector

        return OpenWakeWordDetector(verify.model_config(cfg.wake))

    return make


def _default_vad() -> object:
    from assistant.vad.silero import SileroVad

    return SileroVad()

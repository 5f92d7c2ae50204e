"""Hearth's side of one room satellite: connect as Home Assistant does, keep the link alive, route events.

The link runs on the hub's event loop. Per connection it hands the hub a ``Session`` (an audio source
and sink for one Pipeline); a connection that fails ends the session with ``PeerGone`` and is retried
with exponential backoff, without holding up any other satellite.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.satellite import PauseSatellite, RunSatellite

from assistant.config import SatelliteConfig, WyomingConfig
from assistant.wyoming.protocol import (
    ProtocolError,
    check_audio_format,
    open_limits,
    parse_uri,
    read_event,
    write_event,
)
from assistant.wyoming.streams import PeerGone, QueueSource, SatelliteSink

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
INFO_TIMEOUT_S = 5.0
FLOOD_SLACK_S = 5.0
"""A satellite may send this many seconds more audio than wall-clock time has passed (bursts after a stall)."""
STABLE_S = 30.0
"""A connection that lasted this long resets the backoff."""


@dataclass
class Session:
    """One connection's audio: the pipeline reads ``source`` and writes ``sink``."""

    source: QueueSource
    sink: SatelliteSink
    info: Info | None


def _in_running_loop() -> bool:
    """False when a link's coroutine is closed by the garbage collector after its loop has gone."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def satellite_name(cfg: SatelliteConfig) -> str:
    if cfg.name:
        return cfg.name
    if cfg.area:
        return cfg.area
    host, port = parse_uri(cfg.uri)
    return f"{host}:{port}"


class SatelliteLink:
    """Client of one satellite's Wyoming server. Callbacks run on the event loop thread."""

    def __init__(self, cfg: SatelliteConfig, wcfg: WyomingConfig, frame_samples: int) -> None:
        self.cfg = cfg
        self.wcfg = wcfg
        self.name = satellite_name(cfg)
        self.host, self.port = parse_uri(cfg.uri) if cfg.uri else ("", 0)
        self._address_known: asyncio.Event | None = None
        self.frame_samples = frame_samples
        self.on_session: Callable[[Session], None] = lambda s: None
        self.on_wake: Callable[[str | None], None] = lambda name: None
        """The satellite detected its own wake word (``detection``, or ``run-pipeline`` from ``asr``)."""
        self.on_listen: Callable[[bool], None] = lambda continuous: None
        """``run-pipeline`` from ``wake``: True, the hub runs the wake word on its stream."""
        self.connected = False
        self.muted = False
        self.sessions = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._out: asyncio.Queue[Event] | None = None
        self._stop = asyncio.Event()
        self._sink: SatelliteSink | None = None
        self._last_pong: float | None = None
        self._dead = ""

    # ---- from any thread ---------------------------------------------------------------------
    def send(self, event: Event) -> None:
        """Queue ``event`` for the satellite; dropped when it is not connected."""
        loop, out = self._loop, self._out
        if loop is None or out is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # loop closing
            loop.call_soon_threadsafe(out.put_nowait, event)

    def set_address(self, host: str, port: int) -> None:
        """Where zeroconf found the satellite (any thread); a changed address is used at the next connect."""
        if (host, port) == (self.host, self.port):
            return
        self.host, self.port = host, port
        log.info("satellite %s found at tcp://%s:%d", self.name, host, port)
        loop, known = self._loop, self._address_known
        if loop is not None and known is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(known.set)

    @property
    def uri(self) -> str:
        return f"tcp://{self.host}:{self.port}" if self.host else "(not found yet)"

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        self.send(PauseSatellite().event() if muted else RunSatellite().event())

    # ---- event loop --------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect, serve, reconnect with backoff, until ``stop``."""
        self._loop = asyncio.get_running_loop()
        self._address_known = asyncio.Event()
        if self.host:
            self._address_known.set()
        else:
            log.info("satellite %s: waiting for zeroconf to find it", self.name)
        backoff = 1.0
        while not self._stop.is_set():
            await self._address_known.wait()
            t0 = time.monotonic()
            try:
                await self._connect_once()
            except (OSError, TimeoutError) as e:
                log.warning("satellite %s (%s): cannot connect: %s; retrying in %.0f s",
                            self.name, self.uri, e or type(e).__name__, backoff)
            except ProtocolError as e:
                log.warning("satellite %s (%s): %s; dropped, reconnecting in %.0f s",
                            self.name, self.uri, e, backoff)
            except asyncio.CancelledError:
                raise
            except Exception:
                if not _in_running_loop():
                    return  # finalised after its loop closed: the cleanup failed, there is nothing to retry
                log.exception("satellite %s: unexpected error; reconnecting in %.0f s", self.name, backoff)
            if self._stop.is_set():
                return
            if time.monotonic() - t0 > STABLE_S:
                backoff = 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), backoff)
            backoff = min(backoff * 2, self.wcfg.reconnect_max_s)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    async def _connect_once(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, **open_limits()), CONNECT_TIMEOUT_S
        )
        self._out = asyncio.Queue()
        writer_task = asyncio.create_task(self._write_loop(writer))
        session: Session | None = None
        try:
            await write_event(writer, Describe().event())
            info = await asyncio.wait_for(self._read_info(reader), INFO_TIMEOUT_S)
            sat = info.satellite
            log.info("satellite %s connected (%s%s)", self.name, self.uri,
                     f", calls itself {sat.name!r}" if sat is not None else "")
            self.connected = True
            self.sessions += 1
            session = Session(QueueSource(self.frame_samples, self.name), SatelliteSink(self.send), info)
            self._sink = session.sink
            self.on_session(session)
            self.send(PauseSatellite().event() if self.muted else RunSatellite().event())
            await self._serve(reader, writer, session)
        finally:
            self.connected = False
            self._sink = None
            if session is not None:
                session.sink.cancel()
                session.source.end(PeerGone(f"satellite {self.name} disconnected"))
            writer_task.cancel()
            self._out = None
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_info(self, reader: asyncio.StreamReader) -> Info:
        while True:
            event = await read_event(reader)
            if event is None:
                raise ProtocolError("closed the connection before sending its info")
            if Info.is_type(event.type):
                try:
                    return Info.from_event(event)
                except Exception as e:
                    raise ProtocolError(f"malformed info event: {e}") from e

    async def _write_loop(self, writer: asyncio.StreamWriter) -> None:
        out = self._out
        assert out is not None
        while True:
            event = await out.get()
            try:
                await write_event(writer, event)
            except (ConnectionError, OSError):
                return

    async def _pinger(self, writer: asyncio.StreamWriter) -> None:
        """Ping every ``ping_s``; a satellite that has answered a ping and then stops is closed."""
        while True:
            await asyncio.sleep(self.wcfg.ping_s)
            self.send(Ping().event())
            if self._last_pong is not None and time.monotonic() - self._last_pong > 3 * self.wcfg.ping_s:
                self._dead = f"stopped answering pings for {time.monotonic() - self._last_pong:.0f} s"
                writer.close()
                return

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, session: Session) -> None:
        self._last_pong, self._dead = None, ""
        pinger = asyncio.create_task(self._pinger(writer))
        try:
            await self._read_loop(reader, session)
        except (ConnectionError, OSError) as e:
            raise ProtocolError(self._dead or f"connection lost: {e}") from e
        finally:
            pinger.cancel()

    async def _read_loop(self, reader: asyncio.StreamReader, session: Session) -> None:
        streaming_since: float | None = None
        streamed_s = 0.0
        while not self._stop.is_set():
            event = await read_event(reader)
            if event is None:
                raise ProtocolError(self._dead or "disconnected")
            kind = event.type
            if kind == "audio-chunk":
                if streaming_since is None or self.muted:
                    continue  # audio before run-pipeline, or while muted, is not listened to
                check_audio_format(event.data, event.payload)
                pcm = event.payload or b""
                streamed_s += len(pcm) / 32000
                if streamed_s > time.monotonic() - streaming_since + FLOOD_SLACK_S:
                    raise ProtocolError(f"floods audio: {streamed_s:.1f} s of audio in "
                                        f"{time.monotonic() - streaming_since:.1f} s")
                session.source.push(pcm)
            elif kind == "run-pipeline":
                stage = str(event.data.get("start_stage", ""))
                if stage not in ("wake", "asr"):
                    log.warning("satellite %s: run-pipeline from %r is not supported (wake or asr); ignored",
                                self.name, stage)
                    continue
                if streaming_since is None:
                    streaming_since, streamed_s = time.monotonic(), 0.0
                if stage == "wake":
                    self.on_listen(True)
                else:
                    self.on_listen(False)
                    self.on_wake(None)
            elif kind == "detection":
                name = event.data.get("name")
                self.on_wake(name if isinstance(name, str) else None)
            elif kind == "played":
                session.sink.played()
            elif Pong.is_type(kind):
                self._last_pong = time.monotonic()
            elif Ping.is_type(kind):
                self.send(Pong(text=event.data.get("text")).event())
            elif kind in ("audio-start", "audio-stop", "streaming-started", "streaming-stopped", "info"):
                pass
            else:
                log.debug("satellite %s: ignoring %s", self.name, kind)

"""Bad Wyoming peers are named in the log and dropped; the link reconnects; arbitration rules; config.

Scripted peers stand in for broken satellites and clients (no models are loaded here).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np
import pytest
from wyoming.audio import AudioChunk
from wyoming.client import AsyncTcpClient
from wyoming.event import Event, async_write_event
from wyoming.info import Attribution, Describe, Info, Satellite
from wyoming.pipeline import PipelineStage, RunPipeline

from assistant.arbitration import Arbiter, ArbitratedWake, Claim, pick
from assistant.config import WyomingConfig, from_dict
from assistant.errors import ConfigError
from assistant.wake.base import Detection
from assistant.wyoming.protocol import ProtocolError, read_event
from assistant.wyoming.satellite import SatelliteLink, Session
from assistant.wyoming.server import WyomingServer, allowed
from assistant.wyoming.streams import PeerGone

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer describe like a satellite, then start a pipeline from the wake stage."""
    event = await read_event(reader)
    assert event is not None and Describe.is_type(event.type)
    info = Info(satellite=Satellite(name="scripted", attribution=Attribution("t", ""), installed=True,
                                    description=None, version=None))
    await async_write_event(info.event(), writer)
    await async_write_event(RunPipeline(PipelineStage.WAKE, PipelineStage.TTS).event(), writer)


def chunk(rate: int = 16000, samples: int = 1024) -> Event:
    return AudioChunk(rate=rate, width=2, channels=1, audio=bytes(2 * samples)).event()


async def run_link(script: Script, connections: int = 2, timeout_s: float = 10.0) -> list[Session]:
    """Serve ``script`` to a SatelliteLink until it has connected ``connections`` times."""
    seen = asyncio.Event()
    count = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        count += 1
        if count >= connections:
            seen.set()
        try:
            await script(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cfg = from_dict({"satellites": [{"uri": f"tcp://127.0.0.1:{port}", "area": "kitchen"}]})
    link = SatelliteLink(cfg.satellites[0], WyomingConfig(reconnect_max_s=1.0), 1280)
    sessions: list[Session] = []
    link.on_session = sessions.append
    task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(seen.wait(), timeout_s)
    finally:
        link.stop()
        task.cancel()
        server.close()
    return sessions


def frames_until_end(session: Session) -> BaseException | None:
    """Drain the session's audio in a thread, as the pipeline does; returns what ended it."""
    result: list[BaseException | None] = [None]

    def drain() -> None:
        try:
            for _ in session.source.frames():
                pass
        except BaseException as e:
            result[0] = e

    t = threading.Thread(target=drain)
    t.start()
    t.join(5)
    return result[0]


async def malformed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await handshake(reader, writer)
    writer.write(b'{"type": "audio-chunk", "data": {"rate": 16000\n')
    await writer.drain()
    await asyncio.sleep(1)


async def wrong_format(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await handshake(reader, writer)
    await async_write_event(chunk(rate=48000), writer)
    await asyncio.sleep(1)


async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await handshake(reader, writer)
    for _ in range(200):  # 12.8 s of audio at once
        await async_write_event(chunk(), writer)
    await asyncio.sleep(1)


async def cut_mid_event(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await handshake(reader, writer)
    writer.write(json.dumps({"type": "audio-chunk", "data": {"rate": 16000, "width": 2, "channels": 1},
                             "payload_length": 2048}).encode() + b"\n" + bytes(100))
    await writer.drain()


async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await handshake(reader, writer)
    writer.write(json.dumps({"type": "audio-chunk", "payload_length": 50_000_000}).encode() + b"\n")
    await writer.drain()
    await asyncio.sleep(1)


@pytest.mark.parametrize(("script", "message"), [
    (malformed, "malformed event header"),
    (wrong_format, "audio format {'rate': 48000, 'width': 2, 'channels': 1} is not supported"),
    (flood, "floods audio"),
    (cut_mid_event, "connection closed in the middle of a audio-chunk event"),
    (huge, "payload_length 50000000 exceeds the limit"),
])
def test_a_bad_satellite_is_named_dropped_and_reconnected(
        script: Script, message: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="assistant.wyoming.satellite")
    sessions = asyncio.run(run_link(script))
    assert len(sessions) >= 1
    assert any(message in r.getMessage() and "dropped, reconnecting" in r.getMessage() for r in caplog.records), \
        [r.getMessage() for r in caplog.records]
    # The pipeline reading that connection's audio is told the peer is gone: no half command is acted on.
    assert isinstance(frames_until_end(sessions[0]), PeerGone)


def test_good_audio_reaches_the_pipeline_in_whole_frames() -> None:
    async def good(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await handshake(reader, writer)
        for _ in range(5):
            await async_write_event(chunk(), writer)  # 5 × 1024 samples = 4 frames of 1280
        await asyncio.sleep(0.3)

    sessions = asyncio.run(run_link(good))
    frames: list[np.ndarray] = []
    try:
        for f in sessions[0].source.frames():
            frames.append(f)
    except PeerGone:
        pass
    assert [len(f) for f in frames] == [1280] * 4


def test_a_satellite_with_its_own_wake_word_starts_a_run_without_hub_wake_detection() -> None:
    class Never:
        words = ("hey_jarvis",)

        def process(self, frame: np.ndarray) -> list[Detection]:
            return []

        def reset(self) -> None:
            pass

    wake = ArbitratedWake(Never(), Arbiter(), "kitchen")
    frame = np.zeros(1280, dtype=np.int16)
    assert wake.process(frame) == []
    wake.trigger(None)  # run-pipeline from the asr stage
    wake.trigger("hey_jarvis")  # and its detection event: the same wake
    assert [d.word for d in wake.process(frame)] == ["hey_jarvis"]
    assert wake.process(frame) == []


# ---- arbitration ------------------------------------------------------------------------------

def test_pick_prefers_the_surer_score_then_the_louder_room() -> None:
    assert pick([Claim("a", 0.95, -30.0, 0.0), Claim("b", 0.99, -20.0, 0.1)]).stream == "b"
    assert pick([Claim("a", 0.99, -30.0, 0.0), Claim("b", 0.93, -20.0, 0.1)]).stream == "b"  # tie: louder wins
    assert pick([Claim("a", 0.99, -30.0, 0.0), Claim("b", 0.60, -10.0, 0.1)]).stream == "a"  # far surer wins


def test_arbiter_gives_one_answer_per_window() -> None:
    arbiter = Arbiter(window_s=1.0)
    for s in ("kitchen", "bedroom", "office"):
        arbiter.register(s)
        arbiter.progress(s, time.monotonic() - 0.1)  # all three stream
    arbiter.unregister("office")
    results: dict[str, bool] = {}

    def claim(stream: str, score: float, level: float) -> None:
        results[stream] = arbiter.claim(stream, score, level)

    threads = [threading.Thread(target=claim, args=a) for a in
               (("kitchen", 0.97, -25.0), ("bedroom", 0.98, -18.0))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"kitchen": False, "bedroom": True}
    t0 = time.monotonic()
    assert arbiter.claim("kitchen", 0.99, -10.0) is False  # the same wake, reported again within the window
    assert time.monotonic() - t0 < 0.5  # both rooms had spoken up: decided without waiting out the window
    time.sleep(1.1)
    assert arbiter.claim("kitchen", 0.99, -10.0) is True  # a new wake word, alone in its window


def test_a_room_whose_processing_lags_is_grouped_by_when_its_audio_arrived() -> None:
    arbiter = Arbiter(window_s=0.5)
    for s in ("kitchen", "bedroom"):
        arbiter.register(s)
    t = time.monotonic()
    arbiter.progress("kitchen", t)
    arbiter.progress("bedroom", t - 1.0)  # bedroom's detector is a second behind
    results: dict[str, bool] = {}
    kitchen = threading.Thread(target=lambda: results.setdefault("kitchen", arbiter.claim("kitchen", 0.95, -30.0, t)))
    kitchen.start()
    time.sleep(0.8)  # longer than the window, in wall-clock time
    results["bedroom"] = arbiter.claim("bedroom", 0.96, -15.0, t + 0.1)  # same wake, heard louder
    kitchen.join()
    assert results == {"kitchen": False, "bedroom": True}


def test_a_room_that_stopped_streaming_is_not_waited_for() -> None:
    arbiter = Arbiter(window_s=0.5)
    for s in ("kitchen", "bedroom"):
        arbiter.register(s)
    arbiter.progress("bedroom", time.monotonic() - 5.0)
    time.sleep(1.1)
    t0 = time.monotonic()
    assert arbiter.claim("kitchen", 0.9, -30.0) is True
    assert time.monotonic() - t0 < 0.2


def test_a_single_room_answers_without_waiting() -> None:
    arbiter = Arbiter(window_s=5.0)
    arbiter.register("kitchen")
    assert arbiter.claim("kitchen", 0.6, -40.0) is True


# ---- the Wyoming server's door ----------------------------------------------------------------

def test_server_allow_list() -> None:
    assert allowed("127.0.0.1", ("127.0.0.1", "::1"))
    assert not allowed("192.168.1.20", ("127.0.0.1", "::1"))
    assert allowed("192.168.1.20", ("192.168.1.0/24",))
    assert allowed("10.1.2.3", ("*",))


def test_server_drops_a_malformed_client_and_keeps_serving(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="assistant.wyoming.server")
    cfg = from_dict({})
    server = WyomingServer(cfg, stt=None, tts=None, brain=None, wake_words=("hey_jarvis",), make_wake=lambda: None)

    async def main() -> tuple[bytes, str]:
        await server.start("127.0.0.1", 0)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"not json at all\n")
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 5)  # an error event, then the connection closes
        client = AsyncTcpClient("127.0.0.1", server.port)
        await client.connect()
        await client.write_event(Describe().event())
        info = await asyncio.wait_for(client.read_event(), 5)
        await client.disconnect()
        await server.stop()
        assert info is not None
        return reply, info.type

    reply, info_type = asyncio.run(main())
    assert b'"type": "error"' in reply
    assert info_type == "info"
    assert any("malformed event header" in r.getMessage() and "dropped" in r.getMessage() for r in caplog.records)


def test_protocol_error_names_a_header_without_type() -> None:
    async def main() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(b'{"data": {}}\n')
        reader.feed_eof()
        await read_event(reader)

    with pytest.raises(ProtocolError, match="without a type"):
        asyncio.run(main())


# ---- configuration ----------------------------------------------------------------------------

def test_satellites_config() -> None:
    cfg = from_dict({"satellites": [{"uri": "tcp://192.168.1.31:10700", "area": "kitchen"},
                                    {"uri": "tcp://192.168.1.32:10700", "area": "bedroom", "name": "bed"}],
                     "wyoming": {"serve": "tcp://0.0.0.0:10700"}})
    assert [s.area for s in cfg.satellites] == ["kitchen", "bedroom"]
    assert cfg.wyoming.serve == "tcp://0.0.0.0:10700"
    with pytest.raises(ConfigError, match=r"unknown key \[satellites\[0\]\] url \(did you mean 'uri'\?\)"):
        from_dict({"satellites": [{"url": "tcp://h:1"}]})
    with pytest.raises(ConfigError, match=r"\[satellites\[0\]\] uri = 'h:1' must be tcp://HOST:PORT"):
        from_dict({"satellites": [{"uri": "h:1"}]})
    with pytest.raises(ConfigError, match="uri must be unique"):
        from_dict({"satellites": [{"uri": "tcp://h:1"}, {"uri": "tcp://h:1"}]})
    with pytest.raises(ConfigError, match="array of tables"):
        from_dict({"satellites": {"uri": "tcp://h:1"}})
    with pytest.raises(ConfigError, match=r"\[\[satellites\]\] den: no uri; give one, or set \[wyoming\] discover"):
        from_dict({"satellites": [{"name": "den", "area": "den"}]})
    with pytest.raises(ConfigError, match=r"\[satellites\[0\]\] needs uri"):
        from_dict({"satellites": [{"area": "den"}], "wyoming": {"discover": True}})
    assert from_dict({"satellites": [{"name": "den"}], "wyoming": {"discover": True}}).satellites[0].uri == ""
    with pytest.raises(ConfigError, match=r"\[wyoming\] arbitration_window_s = 0.0 must be greater than 0"):
        from_dict({"wyoming": {"arbitration_window_s": 0}})


# ---- announcements by room --------------------------------------------------------------------

def test_announcements_are_routed_by_area_and_a_broadcast_skips_its_own_room() -> None:
    from types import SimpleNamespace

    from assistant.events import Announcement, Broadcast, EventBus
    from assistant.hub import Hub

    class Wake:
        words = ("hey_jarvis",)

        def process(self, frame: np.ndarray) -> list[Detection]:
            return []

        def reset(self) -> None:
            pass

    rooms = ["kitchen", "bedroom", "living room"]
    cfg = from_dict({"satellites": [{"uri": f"tcp://127.0.0.1:{10700 + i}", "area": r} for i, r in enumerate(rooms)]})
    bus = EventBus()
    hub = Hub(cfg, SimpleNamespace(stt=None, tts=SimpleNamespace(sample_rate=22050), brain=None), bus,
              make_wake=Wake, make_vad=lambda: None)
    for stream in hub.streams:
        hub.router.set_online(stream.name, True)  # as when each satellite is connected
    bus.publish(Announcement(text="one", area="Living Room"))
    bus.publish(Announcement(text="all"))
    bus.publish(Broadcast(text="others", area="kitchen"))
    heard = {s.area: [a.text for a in iter(s.announcements.take, None)] for s in hub.streams}
    assert heard == {"kitchen": ["all"], "bedroom": ["all", "others"], "living room": ["one", "all", "others"]}


def test_each_satellite_is_a_home_assistant_device_over_mqtt(tmp_path: Path) -> None:
    """Availability, discovery, announce to that room, and mute → pause-satellite, per satellite."""
    from types import SimpleNamespace

    from assistant.events import EventBus
    from assistant.hub import Hub
    from assistant.hubrun import satellite_bridges
    from tests.mqtt_support import Broker
    from tests.mqtt_support import Recorder as MqttRecorder

    broker = Broker(tmp_path / "mqtt")
    broker.start()
    try:
        cfg = from_dict({"general": {"data_dir": str(tmp_path / "data")},
                         "mqtt": {"enabled": True, "port": broker.port},
                         "satellites": [{"uri": "tcp://127.0.0.1:10799", "area": "kitchen"}]})
        from assistant.home import inventory

        brain = SimpleNamespace(registry=SimpleNamespace(names=lambda: ["HassTurnOn"]),
                                inventory=inventory.load(inventory.bundled_path()))  # kitchen: ground floor
        hub = Hub(cfg, SimpleNamespace(stt=None, tts=SimpleNamespace(sample_rate=22050), brain=brain), EventBus(),
                  make_wake=lambda: SimpleNamespace(words=("hey_jarvis",)), make_vad=lambda: None)
        rec = MqttRecorder(broker.port, ["hearth/kitchen/#", "homeassistant/+/kitchen/+/config"])
        satellite_bridges(cfg, hub)
        try:
            rec.wait("hearth/kitchen/status", pred=lambda m: m.payload == b"online")
            assert rec.wait("homeassistant/+/kitchen/+/config")
            rec.publish("hearth/kitchen/announce", "Dinner is ready.")
            queue = hub.streams[0].announcements
            deadline = time.monotonic() + 10
            while not len(queue) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert [(a.text, a.stream) for a in iter(queue.take, None)] == [("Dinner is ready.", "kitchen")]
            rec.publish("hearth/kitchen/announce", '{"text": "Lights out.", "floor": "Ground floor"}')
            deadline = time.monotonic() + 10
            while not len(queue) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert [(a.text, a.floor, a.stream) for a in iter(queue.take, None)] == [("Lights out.", "Ground floor",
                                                                                      "")]
            rec.publish("hearth/kitchen/mute/set", "ON")
            deadline = time.monotonic() + 10
            while not hub.streams[0].link.muted and time.monotonic() < deadline:
                time.sleep(0.05)
            assert hub.streams[0].link.muted
        finally:
            rec.close()
            hub.close()
    finally:
        broker.stop()


def test_a_timer_rings_in_the_room_it_was_set_in() -> None:
    """The timer set through the kitchen satellite announces to the kitchen only (the brain's own
    timers; ticking them is the running assistant's job)."""
    from types import SimpleNamespace

    from assistant import app
    from assistant.events import EventBus
    from assistant.hub import Hub

    cfg = from_dict({"brain": {"llm": False},
                     "satellites": [{"uri": "tcp://127.0.0.1:10701", "area": "kitchen"},
                                    {"uri": "tcp://127.0.0.1:10702", "area": "bedroom"}]})
    bus = EventBus()
    brain = app.build_brain(cfg, bus=bus)
    hub = Hub(cfg, SimpleNamespace(stt=None, tts=SimpleNamespace(sample_rate=22050), brain=brain), bus,
              make_wake=lambda: SimpleNamespace(words=("hey_jarvis",)), make_vad=lambda: None)
    for stream in hub.streams:
        hub.router.set_online(stream.name, True)  # as when each satellite is connected
    u = hub.brain.understand("set a timer for 1 second", area="kitchen", conversation_id="kitchen")
    assert [i.intent for i in u.intents] == ["HassStartTimer"], u
    time.sleep(1.1)
    assert brain.timers.tick()
    heard = {s.area: [a.text for a in iter(s.announcements.take, None)] for s in hub.streams}
    assert heard == {"kitchen": ["Your timer is done."], "bedroom": []}

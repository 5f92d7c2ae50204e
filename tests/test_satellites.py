"""Room satellites end to end: real ``wyoming-satellite`` processes, real models, real speech.

Each satellite's microphone plays a recording in real time; what it plays back is written to a file.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant import app
from assistant.config import Config, from_dict
from assistant.events import (
    Announcement,
    Event,
    EventBus,
    SpeakingFinished,
    SpeakingStarted,
    TimerFinished,
    Understood,
    WakeDetected,
)
from assistant.hub import Hub
from assistant.runtime import Runtime
from assistant.skillkit.timers import Timer
from tests import audiogen
from tests.mqtt_support import free_port
from tests.wyoming_support import Satellite, satellites

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engines() -> Iterator[app.Engines]:
    """Loaded once: every hub in this module shares them, as every room of one box does."""
    yield app.build_engines(from_dict({"brain": {"llm": False}}), bus=EventBus())


class Recorder:
    """Every event of every satellite stream, thread-safe, with waiting."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Event]] = []
        self._cond = threading.Condition()

    def __call__(self, name: str, e: Event) -> None:
        with self._cond:
            self.events.append((name, e))
            self._cond.notify_all()

    def of(self, kind: type, name: str | None = None) -> list[Event]:
        with self._cond:
            return [e for n, e in self.events if isinstance(e, kind) and (name is None or n == name)]

    def wait(self, pred: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True


def start_hub(engines: app.Engines, sats: dict[str, Satellite], extra: list[dict] | None = None,
              **wyoming: object) -> tuple[Hub, Recorder]:
    """The hub as ``hearth run --input none`` wires it: the runtime ticks the timers, rings them and
    routes every announcement; its stop is one of the hub's closers."""
    entries = [{"uri": s.uri, "area": name, "name": name} for name, s in sats.items()] + (extra or [])
    cfg: Config = from_dict({"brain": {"llm": False}, "satellites": entries, "wyoming": dict(wyoming)})
    bus = EventBus()
    runtime = Runtime(cfg, bus, engines.brain.timers, persist_timers=False)
    hub = Hub(cfg, engines, bus, router=runtime.router, intercept=runtime.ringer.consume)
    rec = Recorder()
    hub.observers.append(rec)
    runtime.start()
    hub.add_closer(runtime.stop)
    hub.start()
    deadline = time.monotonic() + 20
    while not all(s.link.connected for s in hub.streams if s.name in sats) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(s.link.connected for s in hub.streams if s.name in sats), "satellites did not connect"
    while not all(p.online for p in hub.router.places if p.name in sats) and time.monotonic() < deadline:
        time.sleep(0.1)  # each satellite's pipeline runs (announcements for its room play there, not elsewhere)
    time.sleep(1.0)  # run-satellite → run-pipeline → audio flowing
    return hub, rec


def audible(audio: np.ndarray) -> float:
    """Seconds of the satellite's output louder than -40 dBFS (22,050 Hz)."""
    if audio.size == 0:
        return 0.0
    frames = audio[: len(audio) // 1024 * 1024].reshape(-1, 1024).astype(np.float64)
    rms = np.sqrt((frames**2).mean(axis=1))
    return float((rms > 32768 * 0.01).sum() * 1024 / 22050)


def silent_server() -> tuple[socket.socket, str]:
    """A peer that accepts connections and never says anything."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s, f"tcp://127.0.0.1:{s.getsockname()[1]}"


def test_command_to_the_kitchen_satellite_acts_in_the_kitchen_and_is_answered_there(
        engines: app.Engines, tmp_path: Path) -> None:
    silent, silent_uri = silent_server()
    recordings = {"kitchen": audiogen.wake_command("Turn off the lights."),
                  "bedroom": audiogen.noise(3.0, "pink", 0.003, seed=2)}
    broken = [{"uri": silent_uri, "area": "office", "name": "mute-peer"},
              {"uri": f"tcp://127.0.0.1:{free_port()}", "area": "hallway", "name": "gone-peer"}]
    with satellites(tmp_path, recordings) as sats:
        hub, rec = start_hub(engines, sats, broken)
        try:
            sats["kitchen"].play()
            assert rec.wait(lambda: rec.of(Understood), 60), "the kitchen command was not understood"
            u = rec.of(Understood)[0]
            assert isinstance(u, Understood)
            assert u.area == "kitchen"
            acted = {a.entity_id for i in u.understanding.intents for a in i.actions}
            assert acted == {"light.kitchen", "light.kitchen_counter"}, u.understanding
            assert all(a.service == "light.turn_off" for i in u.understanding.intents for a in i.actions)
            # The reply is played on the kitchen satellite, and nowhere else.
            deadline = time.monotonic() + 30
            while audible(sats["kitchen"].played()) < 1.0 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert audible(sats["kitchen"].played()) >= 1.0, sats["kitchen"].log()[-2000:]
            assert audible(sats["bedroom"].played()) == 0.0
            assert not rec.of(WakeDetected, "bedroom")
            # The satellite was told about the run as Home Assistant would tell it.
            assert "Wake word detected" in sats["kitchen"].log()
        finally:
            hub.close()
            silent.close()


@pytest.mark.parametrize("near", ["kitchen", "bedroom"])
def test_the_same_wake_heard_by_two_satellites_is_answered_once_by_the_nearer(
        engines: app.Engines, tmp_path: Path, near: str) -> None:
    command = audiogen.wake_command("What time is it?")
    far = (command.astype(np.float32) * 0.25).astype(np.int16)  # 12 dB quieter: the other room
    recordings = {name: command if name == near else far for name in ("kitchen", "bedroom")}
    with satellites(tmp_path, recordings) as sats:
        hub, rec = start_hub(engines, sats)
        try:
            for s in sats.values():
                s.play()
            assert rec.wait(lambda: rec.of(SpeakingStarted), 60), "nobody answered"
            time.sleep(3.0)  # a second answer, if there were one, would have started by now
            wakes = [(n, e) for n, e in rec.events if isinstance(e, WakeDetected)]
            assert [n for n, _ in wakes] == [near]
            assert [n for n, e in rec.events if isinstance(e, SpeakingStarted)] == [near]
            winner, claims = hub.arbiter.decisions[-1]
            assert winner == near
            assert {c.stream for c in claims} == {"kitchen", "bedroom"}, "both rooms heard the wake word"
        finally:
            hub.close()


def test_announcements_and_a_timer_ring_play_in_their_room(engines: app.Engines, tmp_path: Path) -> None:
    """Home Assistant's announcements to a room or the whole home, then a timer set by voice on the
    kitchen satellite: it rings on the kitchen's speaker and nowhere else."""
    quiet = audiogen.noise(2.0, "pink", 0.003, seed=4)
    timer_s = 5
    command = audiogen.wake_command(f"Set a timer for {timer_s} seconds.")
    with satellites(tmp_path, {"kitchen": command, "bedroom": quiet}) as sats:
        hub, rec = start_hub(engines, sats)
        try:
            hub.bus.publish(Announcement(text="The laundry is done.", source="test", area="bedroom"))
            assert rec.wait(lambda: len(rec.of(SpeakingStarted)) >= 1, 30)
            time.sleep(4.0)
            assert [n for n, e in rec.events if isinstance(e, SpeakingStarted)] == ["bedroom"]
            assert audible(sats["bedroom"].played()) >= 0.5 and audible(sats["kitchen"].played()) == 0.0
            hub.bus.publish(Announcement(text="Dinner is ready.", source="test"))
            assert rec.wait(lambda: len(rec.of(SpeakingStarted)) >= 3, 30)
            deadline = time.monotonic() + 20
            while audible(sats["kitchen"].played()) < 0.5 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert audible(sats["kitchen"].played()) >= 0.5
            assert sorted(n for n, e in rec.events if isinstance(e, SpeakingStarted)) == ["bedroom", "bedroom",
                                                                                         "kitchen"]
            assert rec.wait(lambda: len(rec.of(SpeakingFinished)) >= 3, 20)

            # A timer set by voice in the kitchen rings on the kitchen's speaker only.
            main: list[Event] = []
            hub.bus.subscribe(main.append)
            at_ring: dict[str, int] = {}  # bytes each speaker had received when the ring started

            def mark(name: str, e: Event) -> None:
                rings = {a.text for a in main if isinstance(a, Announcement) and a.source == "timer"}
                if isinstance(e, SpeakingStarted) and e.text in rings and not at_ring:
                    at_ring.update({n: len(s.played()) for n, s in sats.items()})

            hub.observers.insert(0, mark)  # before the first chunk of the ring is sent
            sats["kitchen"].play()
            assert rec.wait(lambda: rec.of(Understood, "kitchen"), 60), "the timer command was not understood"
            u = rec.of(Understood, "kitchen")[0]
            assert isinstance(u, Understood) and u.area == "kitchen"
            assert [i.intent for i in u.understanding.intents] == ["HassStartTimer"], u.understanding
            t_set = time.monotonic()
            assert rec.wait(lambda: bool(at_ring), timer_s + 30), f"the timer never rang in the kitchen: {main}"
            assert time.monotonic() - t_set >= timer_s - 1.0, "it rang before its time"
            finished = [e for e in main if isinstance(e, TimerFinished)]
            assert [(e.duration_s, e.area) for e in finished] == [(timer_s, "kitchen")]
            ring = next(a for a in main if isinstance(a, Announcement) and a.source == "timer")
            assert ring.text == Timer(id=0, name="", duration_s=timer_s, ends_at=0.0).announcement()
            deadline = time.monotonic() + 20
            while audible(sats["kitchen"].played()[at_ring["kitchen"]:]) < 0.5 and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(2.0)  # a ring on the wrong speaker, if there were one, has arrived by now
            assert audible(sats["kitchen"].played()[at_ring["kitchen"]:]) >= 0.5, sats["kitchen"].log()[-2000:]
            assert audible(sats["bedroom"].played()[at_ring["bedroom"]:]) == 0.0
            assert [n for n, e in rec.events if isinstance(e, SpeakingStarted) and e.text == ring.text] == ["kitchen"]
        finally:
            hub.close()


def test_a_satellite_that_drops_mid_command_is_not_acted_on_and_is_reconnected(
        engines: app.Engines, tmp_path: Path) -> None:
    from tests.wyoming_support import start_satellite

    command = audiogen.wake_command("Turn off the lights.")
    with satellites(tmp_path / "first", {"kitchen": command}) as sats:
        hub, rec = start_hub(engines, sats)
        try:
            link = hub.streams[0].link
            sats["kitchen"].play()
            assert rec.wait(lambda: rec.of(WakeDetected), 60)
            sats["kitchen"].stop()  # gone while the command is being spoken
            deadline = time.monotonic() + 10
            while link.connected and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not link.connected
            time.sleep(3.0)
            assert not rec.of(Understood), "half a command was acted on"
            again = start_satellite("kitchen", tmp_path / "second", command, port=sats["kitchen"].port)
            try:
                deadline = time.monotonic() + 40
                while not (link.connected and link.sessions == 2) and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert link.connected and link.sessions == 2
                time.sleep(1.5)
                again.play()
                assert rec.wait(lambda: rec.of(Understood), 60), "no answer after reconnecting"
                assert rec.of(Understood)[0].area == "kitchen"  # type: ignore[attr-defined]
            finally:
                again.stop()
        finally:
            hub.close()


def test_an_announcement_for_a_room_whose_satellite_is_away_plays_elsewhere_and_there_on_its_return(
        engines: app.Engines, tmp_path: Path) -> None:
    """The kitchen satellite drops (Wi-Fi, a restart): the kitchen's announcement is heard in the
    bedroom now and on the kitchen's speaker once it is back within the minute; nothing is lost."""
    from tests.wyoming_support import start_satellite

    quiet = audiogen.noise(2.0, "pink", 0.003, seed=5)
    with satellites(tmp_path / "first", {"kitchen": quiet, "bedroom": quiet}) as sats:
        hub, rec = start_hub(engines, sats)
        try:
            sats["kitchen"].stop()
            deadline = time.monotonic() + 15
            while any(p.online for p in hub.router.places if p.name == "kitchen") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not any(p.online for p in hub.router.places if p.name == "kitchen")
            hub.bus.publish(Announcement(text="The oven is hot.", source="test", area="kitchen"))
            assert rec.wait(lambda: any(n == "bedroom" for n, e in rec.events if isinstance(e, SpeakingStarted)), 30)
            deadline = time.monotonic() + 20
            while audible(sats["bedroom"].played()) < 0.5 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert audible(sats["bedroom"].played()) >= 0.5, "not heard anywhere while the kitchen was away"
            again = start_satellite("kitchen", tmp_path / "second", quiet, port=sats["kitchen"].port)
            try:
                assert rec.wait(lambda: any(n == "kitchen" for n, e in rec.events
                                            if isinstance(e, SpeakingStarted)), 60), "lost for the kitchen"
                deadline = time.monotonic() + 20
                while audible(again.played()) < 0.5 and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert audible(again.played()) >= 0.5
                said = [e.text for n, e in rec.events if isinstance(e, SpeakingStarted)]
                assert said == ["The oven is hot.", "The oven is hot."]  # once in each room
            finally:
                again.stop()
        finally:
            hub.close()


def test_a_named_satellite_is_found_through_zeroconf_and_others_are_only_logged(
        engines: app.Engines, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import os

    from tests.wyoming_support import start_satellite

    caplog.set_level(logging.INFO, logger="assistant.hub")
    tag = f"hearth-test-{os.getpid()}"
    kitchen = start_satellite("kitchen", tmp_path / "kitchen", audiogen.wake_command("Turn off the lights."),
                              zeroconf_name=f"{tag}-kitchen")
    stranger = start_satellite("stranger", tmp_path / "stranger", audiogen.silence(1.0),
                               zeroconf_name=f"{tag}-stranger")
    cfg = from_dict({"brain": {"llm": False}, "wyoming": {"discover": True},
                     "satellites": [{"name": f"{tag}-kitchen", "area": "kitchen"}]})
    hub = Hub(cfg, engines, EventBus())
    rec = Recorder()
    hub.observers.append(rec)
    try:
        hub.start()
        link = hub.streams[0].link
        deadline = time.monotonic() + 30
        while not link.connected and time.monotonic() < deadline:
            time.sleep(0.2)
        assert link.connected and link.port == kitchen.port
        time.sleep(1.5)
        kitchen.play()
        assert rec.wait(lambda: rec.of(Understood), 60)
        assert rec.of(Understood)[0].area == "kitchen"  # type: ignore[attr-defined]
        deadline = time.monotonic() + 10
        while f"{tag}-stranger" not in hub.discovered and time.monotonic() < deadline:
            time.sleep(0.2)
        assert any(f"'{tag}-stranger'" in r.getMessage() and "not served" in r.getMessage() for r in caplog.records)
        assert len(hub.streams) == 1
    finally:
        hub.close()
        kitchen.stop()
        stranger.stop()

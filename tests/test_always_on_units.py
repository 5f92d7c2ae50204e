"""Always-on logic with fakes: announcement queues and routing, ringing timers, persisted timers,
supervision with backoff, a speaker that comes back, the cancel race, metrics, the bridge's job queue."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import generate_latest

from assistant import cli
from assistant.announce import AnnouncementQueue, Ringer, is_acknowledgement
from assistant.audio.reopen import ReopeningSink
from assistant.config import Config
from assistant.errors import AudioError
from assistant.events import (
    Announcement,
    Event,
    EventBus,
    RunFailed,
    RunFinished,
    ServiceStatus,
    SpeakingStarted,
    TimerAcknowledged,
    TimerFinished,
    Understood,
    WakeDetected,
)
from assistant.intents import Intent, Understanding
from assistant.metrics import Metrics
from assistant.mqtt.bridge import MqttBridge
from assistant.mqtt.jobs import JobQueue
from assistant.routing import AnnouncementRouter
from assistant.skillkit.timers import TimerManager
from assistant.skillkit.timerstore import TimerStore, persist
from assistant.supervisor import StreamLoop, Supervisor
from tests.mqtt_support import Broker, Recorder
from tests.test_pipeline import QUIET, SPEECH, WAKE, ListSink, ListSource, frames, make


class Clock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def collect(bus: EventBus) -> list[Event]:
    out: list[Event] = []
    bus.subscribe(out.append)
    return out


# -- announcements -----------------------------------------------------------------------------
def test_queue_is_bounded_drops_oldest_and_replaces_a_waiting_repeat() -> None:
    q = AnnouncementQueue(maxsize=3)
    for i in range(5):
        q.put(Announcement(text=f"a{i}"))
    assert len(q) == 3 and q.dropped == 2
    assert [q.take().text for _ in range(3)] == ["a2", "a3", "a4"]  # type: ignore[union-attr]
    assert q.take() is None  # empty: None, never queue.Empty
    q.put(Announcement(text="ring 1", key="timer-1"))
    q.put(Announcement(text="other"))
    q.put(Announcement(text="ring 2", key="timer-1"))
    assert [q.take().text for _ in range(2)] == ["other", "ring 2"]  # type: ignore[union-attr]


def test_router_rings_in_the_timers_room_and_everywhere_when_unknown() -> None:
    bus = EventBus()
    router = AnnouncementRouter(bus)
    kitchen, bedroom = router.add_stream("k", "kitchen"), router.add_stream("b", "bedroom")
    bus.publish(Announcement(text="pasta", area="kitchen"))
    bus.publish(Announcement(text="from HA"))
    bus.publish(Announcement(text="garage", area="garage"))
    assert [a.text for a in iter(kitchen.take, None)] == ["pasta", "from HA", "garage"]
    assert [a.text for a in iter(bedroom.take, None)] == ["from HA", "garage"]
    bus.publish(Announcement(text="pasta again", area="kitchen", key="timer-3"))
    bus.publish(TimerAcknowledged(timer_id=3, name="pasta", how="spoken", rings=2))
    assert kitchen.take() is None  # acknowledged while waiting: never spoken


@pytest.mark.parametrize("text", ["OK.", "okay", "Stop!", "stop the timer", "好的。", "Thanks.", "Hey Jarvis, stop.",
                                  "Be Jarvis. Stop."])
def test_acknowledgements(text: str) -> None:
    assert is_acknowledgement(text)


@pytest.mark.parametrize("text", ["stop the music in the kitchen", "turn on the light", "ok google play jazz", "",
                                  "turn off the kitchen light stop"])
def test_not_acknowledgements(text: str) -> None:
    assert not is_acknowledgement(text)


def test_ringer_repeats_until_acknowledged_or_a_minute_passed() -> None:
    bus, clock = EventBus(), Clock()
    events = collect(bus)
    timers = TimerManager(clock=clock)
    ringer = Ringer(bus, repeat_s=10, max_s=60, clock=clock)
    timers.on_finish = ringer.ring
    pasta = timers.start(5, "pasta", area="kitchen")
    timers.start(7)
    clock.t += 5
    timers.tick()
    assert [a.text for a in events if isinstance(a, Announcement)] == ["Your pasta timer is done."]
    assert [e.name for e in events if isinstance(e, TimerFinished)] == ["pasta"]
    clock.t += 2
    timers.tick()
    clock.t += 9
    ringer.tick()  # pasta: 11 s after its first ring
    rings = [a for a in events if isinstance(a, Announcement)]
    assert [a.key for a in rings] == [f"timer-{pasta.id}", "timer-2", f"timer-{pasta.id}"] and rings[0].listen
    assert not ringer.consume("turn on the light", "kitchen")
    assert ringer.consume("OK.", "kitchen")  # stops the kitchen's timer only
    assert [t.name for t in ringer.ringing] == [""]
    for _ in range(6):
        clock.t += 10
        ringer.tick()
    acks = [(e.name, e.how) for e in events if isinstance(e, TimerAcknowledged)]
    assert acks == [("pasta", "spoken"), ("", "expired")]
    n = len([a for a in events if isinstance(a, Announcement)])
    clock.t += 30
    ringer.tick()
    assert len([a for a in events if isinstance(a, Announcement)]) == n  # silent once stopped


# -- persistence --------------------------------------------------------------------------------
def test_timers_survive_a_restart_with_their_wall_clock_end(tmp_path: Path) -> None:
    store = TimerStore(tmp_path / "timers.json")
    first = TimerManager(clock=Clock(500.0))
    persist(first, store)
    first.start(600, "bread", area="kitchen")
    paused = first.start(300, "tea")
    first.pause(paused)
    first.start(10, "eggs")
    assert len(json.loads(store.path.read_text())["timers"]) == 3
    # A new process: another monotonic clock; 60 s passed on the wall clock.
    saved = store.load()
    for d in saved:
        if d["ends_wall"] is not None:
            d["ends_wall"] -= 60
    store.save(saved)
    clock = Clock(9.0)
    second = TimerManager(clock=clock)
    rang: list[str] = []
    second.on_finish = lambda t: rang.append(t.name)
    restored = persist(second, store)
    left = {t.name: round(second.left_s(t)) for t in restored}
    assert left == {"bread": 540, "tea": 300, "eggs": 0}
    assert second.find("tea")[0].paused and second.find("bread")[0].area == "kitchen"
    second.tick()
    assert rang == ["eggs"]  # ended while Hearth was off: rings at once
    assert {d["name"] for d in json.loads(store.path.read_text())["timers"]} == {"bread", "tea"}


def test_unreadable_timer_file_is_set_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "timers.json"
    path.write_text("{not json")
    assert TimerStore(path).load() == []
    assert not path.exists() and (tmp_path / "timers.bad.json").exists()
    assert "cannot read saved timers" in caplog.text


# -- supervision --------------------------------------------------------------------------------
def test_failing_worker_is_restarted_with_growing_backoff_and_stops_promptly() -> None:
    bus = EventBus()
    events = collect(bus)
    sup = Supervisor(bus, backoff_min_s=0.01, backoff_max_s=0.04)
    runs: list[float] = []

    def flaky(stop: threading.Event) -> None:
        runs.append(time.monotonic())
        if len(runs) <= 4:
            raise AudioError("device unplugged")
        stop.wait()

    sup.add("mic", flaky)
    sup.start()
    deadline = time.monotonic() + 5
    while len(runs) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(runs) == 5
    status = [(e.status, e.retry_s) for e in events if isinstance(e, ServiceStatus)]
    assert status == [("restarting", 0.01), ("restarting", 0.02), ("restarting", 0.04), ("restarting", 0.04)]
    assert sup.workers["mic"].restarts == 4
    t0 = time.monotonic()
    assert sup.stop(1.0) and time.monotonic() - t0 < 0.5
    assert sup.wait(0.1)


def test_finite_stream_ends_the_wait_and_is_never_rerun() -> None:
    sup = Supervisor()
    done: list[int] = []
    sup.add("file", lambda stop: done.append(1), restart=False, forever=False)
    sup.add("ticker", lambda stop: stop.wait())
    sup.start()
    assert sup.wait(5) and done == [1]
    sup.stop(1.0)


class FlakySource:
    """A live source that fails mid-stream on its first opening."""

    live = True
    frame_samples = 1280

    def __init__(self, fr: list[np.ndarray], fail: bool) -> None:
        self.fr, self.fail, self.closed = fr, fail, False

    def frames(self) -> Iterator[np.ndarray]:
        for i, f in enumerate(self.fr):
            if self.closed:
                return
            if self.fail and i == len(self.fr) // 2:
                raise AudioError("input overflow: device lost")
            yield f
        while not self.closed:  # a live source never ends by itself
            time.sleep(0.01)

    def close(self) -> None:
        self.closed = True


def test_lost_microphone_is_reopened_and_the_next_command_runs() -> None:
    p, events, sink, brain = make(["turn on the light"], [Understanding("x", "Done.", path="fast")])
    opened: list[FlakySource] = []
    cmd = frames((WAKE, 0.4), (QUIET, 0.2), (SPEECH, 0.8), (QUIET, 1.0))

    def open_source() -> FlakySource:
        opened.append(FlakySource(cmd, fail=not opened))
        return opened[-1]

    sup = Supervisor(p.bus, backoff_min_s=0.01)
    loop = StreamLoop("local", p, open_source, supervisor=sup)
    sup.add("stream-local", loop, on_stop=loop.interrupt)
    sup.start()
    deadline = time.monotonic() + 10
    while not brain.heard and time.monotonic() < deadline:
        time.sleep(0.02)
    sup.stop(1.0)
    assert len(opened) == 2 and all(s.closed for s in opened)
    assert brain.heard == ["turn on the light"]
    statuses = [e.status for e in events if isinstance(e, ServiceStatus)]
    assert statuses[:3] == ["ok", "restarting", "ok"]


class BrokenSpeaker(ListSink):
    def __init__(self, fail: bool) -> None:
        super().__init__()
        self.fail = fail

    def write(self, chunk: np.ndarray, sample_rate: int) -> None:
        if self.fail:
            raise OSError("PortAudio: device unavailable")
        super().write(chunk, sample_rate)


def test_lost_speaker_is_reopened_after_backoff() -> None:
    clock, bus = Clock(), EventBus()
    events = collect(bus)
    made: list[BrokenSpeaker] = []

    def open_sink() -> BrokenSpeaker:
        made.append(BrokenSpeaker(fail=len(made) == 0))
        return made[-1]

    sink = ReopeningSink(open_sink, bus=bus, backoff_min_s=1.0, clock=clock)
    chunk = np.ones(100, dtype=np.int16)
    with pytest.raises(AudioError, match="failed"):
        sink.write(chunk, 16000)
    with pytest.raises(AudioError, match="retrying"):
        sink.write(chunk, 16000)  # within the backoff: no reopen attempt
    clock.t += 1.0
    sink.write(chunk, 16000)
    assert len(made) == 2 and len(made[1].chunks) == 1
    assert [e.status for e in events if isinstance(e, ServiceStatus)] == ["restarting", "ok"]


# -- the pipeline ---------------------------------------------------------------------------------
def test_cancel_from_another_thread_never_kills_the_pipeline() -> None:
    p, events, sink, brain = make([], [])
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            p.bus.publish(Announcement(text="Dinner is ready."))
            p.cancel()

    t = threading.Thread(target=hammer)
    t.start()
    try:
        p.run(ListSource(frames((QUIET, 40.0))))  # 500 frames, each checking the queue
    finally:
        stop.set()
        t.join()
    assert not [e for e in events if isinstance(e, RunFailed)]


def test_timer_ring_is_acknowledged_without_the_wake_word_and_never_reaches_the_brain() -> None:
    p, events, sink, brain = make(["OK."], [])
    ringer = Ringer(p.bus)
    p.intercept = ringer.consume
    ringer.ring(TimerManager().start(1, "pasta"))
    p.run(ListSource(frames((QUIET, 0.3), (SPEECH, 0.6), (QUIET, 1.0))))  # "ok", no wake word
    assert [e.text for e in events if isinstance(e, SpeakingStarted)] == ["Your pasta timer is done."]
    assert [(e.name, e.how) for e in events if isinstance(e, TimerAcknowledged)] == [("pasta", "spoken")]
    assert brain.heard == [] and not ringer.ringing


def test_announcement_waits_for_the_reply_to_finish() -> None:
    p, events, sink, brain = make(["what time is it"], [Understanding("x", "It is noon. Have a nice day.")])
    src = frames((WAKE, 0.4), (QUIET, 0.2), (SPEECH, 0.8), (QUIET, 1.0))

    def frames_with_announcement() -> Iterator[np.ndarray]:
        for i, f in enumerate(src):
            if i == 12:  # while listening to the command
                p.bus.publish(Announcement(text="Your timer is done."))
            yield f

    source = ListSource([])
    source.frames = frames_with_announcement  # type: ignore[method-assign]
    p.run(source)
    spoken = [e.text for e in events if isinstance(e, SpeakingStarted)]
    assert spoken == ["It is noon. Have a nice day.", "Your timer is done."]


# -- metrics --------------------------------------------------------------------------------------
def test_metrics_count_events_in_their_own_registry() -> None:
    bus = EventBus()
    m = Metrics(bus, outbox=lambda: (3, 42.0), timers_active=lambda: 2)
    other = Metrics(EventBus())  # a second node in the same process: separate figures
    m.set_load_times({"stt": 2.5})
    u = Understanding("x", "Done.", intents=(Intent("HassTurnOn"),), path="fast")
    bus.publish(Understood(understanding=u))
    bus.publish(Understood(understanding=Understanding("?", "Sorry.", path="none")))
    bus.publish(WakeDetected(word="hey_jarvis", score=0.9, t_s=1.0, detect_ms=3.0))
    bus.publish(RunFinished(timings_ms={"stt": 300.0, "understand": 40.0}))
    bus.publish(RunFailed(stage="run", code="brain_error", message="x"))
    bus.publish(ServiceStatus(worker="stream-local", status="restarting", message="lost"))
    text = generate_latest(m.registry).decode()
    assert 'hearth_commands_total{outcome="understood",path="fast"} 1.0' in text
    assert 'hearth_commands_total{outcome="not_understood",path="none"} 1.0' in text
    assert 'hearth_commands_total{outcome="failed",path="none"} 1.0' in text
    assert 'hearth_wake_detections_total{word="hey_jarvis"} 1.0' in text
    assert 'hearth_stage_seconds_count{stage="stt"} 1.0' in text
    assert 'hearth_worker_restarts_total{worker="stream-local"} 1.0' in text
    assert 'hearth_worker_up{worker="stream-local"} 0.0' in text
    assert "hearth_outbox_depth 3.0" in text and "hearth_outbox_oldest_age_seconds 42.0" in text
    assert "hearth_timers_active 2.0" in text and 'hearth_model_load_seconds{model="stt"} 2.5' in text
    assert "process_resident_memory_bytes" in text
    snap = m.snapshot()
    assert snap["commands"] == 3 and snap["outbox"] == 3 and snap["restarts"] == 1 and snap["rss_mb"] > 10
    assert "hearth_commands_total{" not in generate_latest(other.registry).decode()


def test_metrics_endpoint_listens_on_loopback() -> None:
    import urllib.request

    m = Metrics(EventBus())
    port = m.serve(0)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            assert b"hearth_threads" in r.read()
        assert m._server.server_address[0] == "127.0.0.1"
    finally:
        m.close()


# -- the bridge's job queue and the config ----------------------------------------------------------
def test_delayed_jobs_share_one_thread_and_a_key_runs_once() -> None:
    q = JobQueue(maxsize=4)
    ran: list[str] = []
    before = threading.active_count()
    for _ in range(50):  # a burst of Home Assistant birth messages
        q.later(0.05, lambda: ran.append("resend"), key="resend")
    q.later(0.01, lambda: ran.append("other"))
    assert threading.active_count() == before  # no timer thread per job
    t = threading.Thread(target=q.run, args=(lambda e: None,))
    t.start()
    time.sleep(0.3)
    q.close()
    t.join(2)
    assert ran == ["other", "resend"]


def test_full_job_queue_drops_the_new_job() -> None:
    q = JobQueue(maxsize=2)
    assert q.put(lambda: None) and q.put(lambda: None)
    assert not q.put(lambda: None) and q.dropped == 1


def test_log_level_info_in_the_config_is_honoured(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[general]\nlog_level = "INFO"\n')
    root = logging.getLogger()
    old = root.level
    try:
        assert cli.main(["--config", str(cfg), "config", "--check"]) == 0
        assert root.level == logging.INFO
    finally:
        root.setLevel(old)


def test_a_burst_of_ha_birth_messages_starts_no_thread_and_resends_discovery_once(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker")
    broker.start()
    cfg = Config().replace("general", node_id="birth", data_dir=str(tmp_path / "data"))
    bridge = MqttBridge(cfg.replace("mqtt", enabled=True, port=broker.port), EventBus())
    bridge.start()
    rec = None
    try:
        assert bridge.ready.wait(10)
        rec = Recorder(broker.port, ["homeassistant/sensor/birth/state/config"])
        first = len(rec.wait("homeassistant/sensor/birth/state/config"))  # the retained one
        threads = threading.active_count()
        for _ in range(30):
            rec.publish("homeassistant/status", b"online")
        assert threading.active_count() == threads  # no timer thread per birth message
        rec.wait("homeassistant/sensor/birth/state/config", first + 1)
        time.sleep(1.5)  # a second re-send would be here by now
        assert len(rec.on("homeassistant/sensor/birth/state/config")) == first + 1
    finally:
        if rec is not None:
            rec.close()
        bridge.stop()
        broker.stop()


def test_a_finite_input_that_breaks_off_is_an_error(tmp_path: Path) -> None:
    from assistant.runtime import Runtime

    p, events, sink, brain = make([], [])

    class Broken(ListSource):
        def frames(self) -> Iterator[np.ndarray]:
            yield from self.fr
            raise OSError("read error on stdin")

    cfg = Config().replace("general", data_dir=str(tmp_path))
    rt = Runtime(cfg, p.bus, TimerManager())
    rt.add_stream("local", p, lambda: Broken(frames((QUIET, 0.4))), live=False)
    with pytest.raises(AudioError, match="read error on stdin"):
        rt.run()
    rt.stop()
    assert [w.status for w in rt.supervisor.workers.values()] == ["stopped", "stopped", "failed"]


def test_wake_word_said_while_listening_after_a_ring_starts_a_new_listen() -> None:
    p, events, sink, brain = make(["Hey Jarvis.", "turn on the light"], [Understanding("x", "Done.", path="fast")])
    p.bus.publish(Announcement(text="Your timer is done.", source="timer", listen=True))
    # The ring opens a listen; "hey jarvis", a pause that ends that utterance, then the command.
    p.run(ListSource(frames((QUIET, 0.3), (SPEECH, 0.6), (QUIET, 0.8), (SPEECH, 0.8), (QUIET, 1.2))))
    assert brain.heard == ["turn on the light"]

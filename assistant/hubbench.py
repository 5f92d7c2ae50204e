"""``hearth bench --satellites``: what serving rooms costs. CPU per continuously streaming idle
satellite (1, 2, 4 streams), first-audio latency through a satellite against a local microphone,
and two rooms speaking at once on the shared models.

Satellites are scripted peers in their own processes (:mod:`assistant.wyoming.peer`), so the CPU
measured is Hearth's alone; latency is timed on the peer, from the end of speech as it was sent to
the first reply audio it received, so it includes the network path and the protocol.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing as mp
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from assistant import app
from assistant.audio import SAMPLE_RATE
from assistant.audio.wav import read_wav, resample
from assistant.config import Config, SatelliteConfig
from assistant.events import EventBus
from assistant.hub import Hub
from assistant.pipeline import Pipeline
from assistant.wyoming.peer import start_peer
from assistant.wyoming.streams import QueueSource

IDLE_S = 10.0
DEMO = Path(__file__).parent / "data" / "demo_hey_jarvis_kitchen_light.wav"


def main(cfg: Config, as_json: bool = False, idle_s: float = IDLE_S) -> int:
    """Runs in the ``hearth`` process: the scripted satellites are spawned processes."""
    cfg = dataclasses.replace(cfg, satellites=())
    engines = app.build_engines(cfg, bus=EventBus())
    lead = _noise(1.0)
    rec_a = np.concatenate([lead, read_wav(DEMO), _noise(3.0)])
    spoken = np.concatenate(list(engines.tts.synthesize("Hey Jarvis. What time is it?", "en")))
    # The second room's wake word comes about 1.5 s later (two wakes, not one heard twice: wakes within
    # the arbitration window count as one); the two commands overlap.
    rec_b = np.concatenate([_noise(4.0), resample(spoken, engines.tts.sample_rate, SAMPLE_RATE), _noise(3.0)])
    out: dict[str, Any] = {"cpu_count": psutil.cpu_count()}
    proc = psutil.Process()
    base = _cpu(proc, idle_s)
    out["idle_process_cpu_pct"] = round(base, 1)
    out["cpu_pct_per_idle_stream"] = {}
    for n in (1, 2, 4):
        with _Rooms(cfg, engines, [(f"room{i}", rec_a) for i in range(n)]):
            total = _cpu(proc, idle_s)
        out["cpu_pct_per_idle_stream"][str(n)] = round((total - base) / n, 1)
        _say(as_json, f"{n} idle stream(s): {total - base:.1f} % CPU in all, {(total - base) / n:.1f} % each")
    out["local_first_audio_ms"] = round(_local_latency(cfg, engines, rec_a, _eos(engines, rec_a)) * 1000)
    _say(as_json, f"first audio after end of speech, local microphone: {out['local_first_audio_ms']} ms")
    with _Rooms(cfg, engines, [("kitchen", rec_a)], _eos_map(engines, {"kitchen": rec_a})) as rooms:
        lat = rooms.play()
    out["satellite_first_audio_ms"] = round(lat["kitchen"] * 1000)
    _say(as_json, f"first audio after end of speech, through a satellite: {out['satellite_first_audio_ms']} ms")
    recs = {"kitchen": rec_a, "office": rec_b}
    with _Rooms(cfg, engines, list(recs.items()), _eos_map(engines, recs)) as rooms:
        lat = rooms.play()
    out["two_rooms_first_audio_ms"] = {k: round(v * 1000) for k, v in sorted(lat.items(), key=lambda kv: kv[1])}
    _say(as_json, f"two rooms at once, first audio: {out['two_rooms_first_audio_ms']} ms")
    if as_json:
        print(json.dumps(out))
    return 0


def _say(as_json: bool, line: str) -> None:
    print(line, file=sys.stderr if as_json else sys.stdout, flush=True)


def _noise(seconds: float) -> np.ndarray:
    return np.random.default_rng(1).normal(0, 30, round(seconds * SAMPLE_RATE)).astype(np.int16)


def _cpu(proc: psutil.Process, seconds: float) -> float:
    """This process's CPU over ``seconds``, percent of one core."""
    t0, c0 = time.monotonic(), proc.cpu_times()
    time.sleep(seconds)
    c1 = proc.cpu_times()
    return (c1.user + c1.system - c0.user - c0.system) / (time.monotonic() - t0) * 100


def _eos(engines: app.Engines, audio: np.ndarray) -> float:
    """End of the last speech in ``audio``, seconds (Silero, as the pipeline would find it)."""
    from assistant.vad.silero import SileroVad

    probs = SileroVad().probs(audio)
    speech = np.flatnonzero(probs >= 0.5)
    return float((speech[-1] + 1) * 512 / SAMPLE_RATE) if speech.size else len(audio) / SAMPLE_RATE


def _eos_map(engines: app.Engines, recs: dict[str, np.ndarray]) -> dict[str, float]:
    return {k: _eos(engines, v) for k, v in recs.items()}


class _Rooms:
    """Scripted satellites plus a hub serving them."""

    def __init__(self, cfg: Config, engines: app.Engines, rooms: list[tuple[str, np.ndarray]],
                 eos: dict[str, float] | None = None) -> None:
        self.cfg, self.engines, self.rooms = cfg, engines, rooms
        self.eos = eos or {}
        ctx = mp.get_context("spawn")
        self.play_event, self.results = ctx.Event(), ctx.Queue()
        self.peers: list[Any] = []
        self.hub: Hub | None = None

    def __enter__(self) -> _Rooms:
        self._start()
        return self

    def play(self, timeout_s: float = 90.0) -> dict[str, float]:
        """Start every recording at once; seconds from each room's end of speech to its first reply audio."""
        self.play_event.set()
        got: dict[str, float] = {}
        deadline = time.monotonic() + timeout_s
        while len(got) < len(self.rooms) and time.monotonic() < deadline:
            try:
                _, name, seconds = self.results.get(timeout=1.0)
                got[name] = seconds
            except Exception:
                continue
        return got

    def _start(self) -> None:
        eos = self.eos
        self.peers = [start_peer(n, rec, eos.get(n, len(rec) / SAMPLE_RATE), self.play_event, self.results)
                      for n, rec in self.rooms]
        sats = tuple(SatelliteConfig(uri=p.uri, area=p.name, name=p.name) for p in self.peers)
        self.hub = Hub(dataclasses.replace(self.cfg, satellites=sats), self.engines, EventBus())
        self.hub.start()
        deadline = time.monotonic() + 30
        while not all(s.link.connected for s in self.hub.streams) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2.0)

    def __exit__(self, *exc: object) -> None:
        if self.hub is not None:
            self.hub.close()
        for p in self.peers:
            p.stop()


def _local_latency(cfg: Config, engines: app.Engines, audio: np.ndarray, eos_s: float) -> float:
    """The same recording through a Pipeline fed in real time, as from a local microphone."""
    from assistant.vad.silero import SileroVad
    from assistant.wake.openwakeword import OpenWakeWordDetector

    first: list[float] = []

    class Sink:
        playing = False

        def write(self, chunk: np.ndarray, rate: int) -> None:
            if not first:
                first.append(time.monotonic())

        def cancel(self) -> None:
            pass

        def close(self) -> None:
            pass

    frame = SAMPLE_RATE * cfg.audio.frame_ms // 1000
    src = QueueSource(frame, "local")
    pipeline = Pipeline(cfg, wake=OpenWakeWordDetector(cfg.wake), vad=SileroVad(), stt=engines.stt,
                        brain=engines.brain, tts=engines.tts, sink=Sink(), bus=EventBus())
    runner = threading.Thread(target=pipeline.run, args=(src,), daemon=True)
    runner.start()
    t0, eos_at = time.monotonic(), None
    for i in range(0, len(audio), 1024):
        src.push(audio[i:i + 1024].tobytes())
        if eos_at is None and (i + 1024) / SAMPLE_RATE >= eos_s:
            eos_at = time.monotonic()
        time.sleep(max(0.0, t0 + (i + 1024) / SAMPLE_RATE - time.monotonic()))
    src.end()
    runner.join(30)
    return first[0] - eos_at if first and eos_at is not None else float("nan")

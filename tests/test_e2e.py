"""The whole pipeline on real models and real generated speech, through ``hearth run --input``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant import app
from assistant.audio.sinks import WavSink
from assistant.audio.sources import WavFileSource
from assistant.audio.wav import read_wav
from assistant.config import Config
from assistant.events import Event, EventBus, RunFailed, Transcribed, Understood, WakeDetected
from assistant.pipeline import Pipeline
from tests import audiogen

pytestmark = pytest.mark.slow


def hearth(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], input=stdin, capture_output=True,
                          timeout=300)


def events_of(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.startswith("{")]


def test_hearth_run_on_a_wav_acts_and_replies(tmp_path: Path) -> None:
    wav = audiogen.write(tmp_path / "cmd.wav", audiogen.wake_command("Turn on the kitchen light."))
    reply = tmp_path / "reply.wav"
    r = hearth("run", "--input", str(wav), "--output", str(reply), "--json")
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    events = events_of(r.stdout)
    understood = [e for e in events if e["type"] == "Understood"]
    assert len(understood) == 1, [e["type"] for e in events]
    intents = understood[0]["understanding"]["intents"]
    assert [i["intent"] for i in intents] == ["HassTurnOn"]
    assert {(a["service"], a["entity_id"]) for a in intents[0]["actions"]} == {("light.turn_on", "light.kitchen")}
    audio = read_wav(reply)
    assert len(audio) / 16000 > 0.5
    assert np.sqrt(np.mean(audio.astype(np.float64) ** 2)) > 300  # clearly not silence


def test_hearth_run_reads_raw_pcm_from_stdin(tmp_path: Path) -> None:
    pcm = audiogen.wake_command("What time is it?").astype("<i2").tobytes()
    r = hearth("run", "--input", "-", "--output", "none", "--json", stdin=pcm)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    understood = [e for e in events_of(r.stdout) if e["type"] == "Understood"]
    assert [i["intent"] for i in understood[0]["understanding"]["intents"]] == ["HassGetCurrentTime"]


def test_corrupt_wav_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage")
    r = hearth("run", "--input", str(bad), "--output", "none")
    assert r.returncode == 2
    assert "bad.wav" in r.stderr.decode()


@pytest.fixture(scope="module")
def engines() -> Iterator[app.Engines]:
    yield app.build_engines(Config())


def run_pipeline(engines: app.Engines, audio: np.ndarray, tmp_path: Path) -> tuple[list[Event], np.ndarray]:
    wav = audiogen.write(tmp_path / "in.wav", audio)
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    sink = WavSink(tmp_path / "out.wav")
    engines.wake.reset()
    p = Pipeline(Config(), wake=engines.wake, vad=engines.vad, stt=engines.stt, brain=engines.brain,
                 tts=engines.tts, sink=sink, bus=bus)
    p.run(WavFileSource(wav, p.frame_samples))
    return events, sink.audio


def test_no_wake_word_yields_nothing(engines: app.Engines, tmp_path: Path) -> None:
    audio = audiogen.concat(audiogen.silence(1.5), audiogen.speak("Turn on the kitchen light."), audiogen.silence(1))
    events, out = run_pipeline(engines, audio, tmp_path)
    assert not [e for e in events if isinstance(e, WakeDetected | Transcribed | Understood)]
    assert len(out) == 0


def test_silence_and_noise_never_become_text(engines: app.Engines, tmp_path: Path) -> None:
    for audio in (
        audiogen.concat(audiogen.silence(3), audiogen.noise(3, "white", 0.05), audiogen.noise(3, "pink", 0.1)),
        # Woken, then only noise: the run ends without a transcript or an action.
        audiogen.concat(audiogen.noise(1.5, "pink", 0.003, seed=1), audiogen.speak("Hey Jarvis."),
                        audiogen.noise(5, "white", 0.02, seed=2)),
    ):
        events, out = run_pipeline(engines, audio, tmp_path)
        texts = [e.text for e in events if isinstance(e, Transcribed) and e.text]
        assert texts == []
        assert not [e for e in events if isinstance(e, Understood | RunFailed)]


def test_two_commands_in_one_stream_both_run(engines: app.Engines, tmp_path: Path) -> None:
    audio = audiogen.concat(audiogen.wake_command("Turn off the bedroom light."),
                            audiogen.wake_command("Is the garage door open?", lead_s=0.5))
    events, out = run_pipeline(engines, audio, tmp_path)
    names = [i.intent for e in events if isinstance(e, Understood) for i in e.understanding.intents]
    assert names == ["HassTurnOff", "HassGetState"]
    assert len(out) / 16000 > 1.0

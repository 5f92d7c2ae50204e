"""``hearth serve``: Hearth's STT, TTS, wake words and understanding over Wyoming, tested with the
``wyoming`` client library (as Home Assistant's integration uses it) on real models and real speech."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.intent import Recognize
from wyoming.tts import Synthesize, SynthesizeVoice
from wyoming.wake import Detect

from assistant import app
from assistant.config import from_dict
from assistant.events import EventBus, Understood
from assistant.hub import Hub
from assistant.hubrun import start_server
from tests import audiogen
from tests.mqtt_support import free_port
from tests.wyoming_support import satellites, wait_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[int, list[Understood]]]:
    cfg = from_dict({"brain": {"llm": False}})
    bus = EventBus()
    understood: list[Understood] = []
    bus.subscribe(understood.append, Understood)
    engines = app.build_engines(cfg, bus=bus)
    hub = Hub(cfg, engines, bus)
    hub.start()
    server = start_server(cfg, hub, engines, bus, "tcp://127.0.0.1:0")
    yield server.port, understood
    hub.close()


def ask(port: int, *events: Event, until: tuple[str, ...]) -> list[Event]:
    """Send ``events``; collect replies until one of type ``until``."""
    async def main() -> list[Event]:
        client = AsyncTcpClient("127.0.0.1", port)
        await client.connect()
        for e in events:
            await client.write_event(e)
        got: list[Event] = []
        while True:
            e = await asyncio.wait_for(client.read_event(), 60)
            assert e is not None, f"connection closed after {[g.type for g in got]}"
            got.append(e)
            if e.type in until:
                break
        await client.disconnect()
        return got

    return asyncio.run(main())


def audio_events(audio: np.ndarray) -> list[Event]:
    pcm = np.asarray(audio, dtype=np.int16).tobytes()
    chunks = [AudioChunk(rate=16000, width=2, channels=1, audio=pcm[i:i + 2048]).event()
              for i in range(0, len(pcm), 2048)]
    return [AudioStart(rate=16000, width=2, channels=1).event(), *chunks, AudioStop().event()]


def test_info_lists_stt_tts_wake_intent_and_handle(service: tuple[int, list[Understood]]) -> None:
    port, _ = service
    info = Info.from_event(ask(port, Describe().event(), until=("info",))[-1])
    assert "en" in info.asr[0].models[0].languages
    assert {v.name for v in info.tts[0].voices} == {"hearth-en", "hearth-zh"}
    assert [m.name for m in info.wake[0].models] == ["hey_jarvis"]
    assert info.intent[0].models[0].installed and info.handle[0].models[0].installed


def test_transcribe_speech_with_the_homes_words(service: tuple[int, list[Understood]]) -> None:
    port, _ = service
    speech = audiogen.concat(audiogen.silence(0.3), audiogen.speak("Turn on the counter lights.", "espeak"),
                             audiogen.silence(0.5))
    out = ask(port, Transcribe(language="en").event(), *audio_events(speech), until=("transcript",))
    text = Transcript.from_event(out[-1]).text.lower()
    assert "counter light" in text


def test_synthesize_returns_speech(service: tuple[int, list[Understood]]) -> None:
    port, _ = service
    out = ask(port, Synthesize(text="The kitchen light is on.", voice=SynthesizeVoice(name="hearth-en")).event(),
              until=("audio-stop",))
    assert out[0].type == "audio-start"
    start = AudioStart.from_event(out[0])
    audio = np.frombuffer(b"".join(AudioChunk.from_event(e).audio for e in out[1:-1]), dtype=np.int16)
    assert start.rate > 8000 and start.width == 2
    assert len(audio) / start.rate > 0.8 and np.abs(audio).max() > 3000


def test_detect_finds_the_wake_word_and_not_in_noise(service: tuple[int, list[Understood]]) -> None:
    port, _ = service
    wake = audiogen.concat(audiogen.noise(1.5, "pink", 0.003, seed=1), audiogen.speak("Hey Jarvis."),
                           audiogen.silence(1.0))
    out = ask(port, Detect(names=["hey_jarvis"]).event(), *audio_events(wake), until=("detection", "not-detected"))
    assert out[-1].type == "detection" and out[-1].data["name"] == "hey_jarvis"
    out = ask(port, Detect(names=["hey_jarvis"]).event(), *audio_events(audiogen.noise(2.0, "pink", 0.01, seed=3)),
              until=("detection", "not-detected"))
    assert out[-1].type == "not-detected"


def test_recognize_understands_without_acting_and_handle_acts(service: tuple[int, list[Understood]]) -> None:
    port, understood = service
    before = len(understood)
    out = ask(port, Recognize(text="turn off the lights", context={"area": "bedroom"}).event(),
              until=("intent", "not-recognized"))
    assert out[-1].type == "intent" and out[-1].data["name"] == "HassTurnOff"
    acted = {a["entity_id"] for i in out[-1].data["context"]["intents"] for a in i["actions"]}
    assert acted == {"light.bedroom", "light.bedside_lamp"}
    assert len(understood) == before  # recognising publishes nothing
    out = ask(port, Transcript(text="turn on the kitchen light").event(), until=("handled", "not-handled"))
    assert out[-1].type == "handled" and "kitchen" in out[-1].data["text"].lower()
    assert [i.intent for i in understood[-1].understanding.intents] == ["HassTurnOn"]
    out = ask(port, Recognize(text="make me a sandwich please").event(), until=("intent", "not-recognized"))
    assert out[-1].type == "not-recognized"


def test_hearth_run_serves_satellites_only_and_the_wyoming_service(tmp_path: Path) -> None:
    """``hearth run --input none`` with a ``[[satellites]]`` entry and ``[wyoming] serve``."""
    port = free_port()
    with satellites(tmp_path, {"kitchen": audiogen.wake_command("Turn on the kitchen light.")}) as sats:
        conf = tmp_path / "hearth.toml"
        conf.write_text(f'[brain]\nllm = false\n[wyoming]\nserve = "tcp://127.0.0.1:{port}"\n'
                        f'[[satellites]]\nuri = "{sats["kitchen"].uri}"\narea = "kitchen"\n')
        proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "--config", str(conf), "run", "--input",
                                 "none", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "PYTHONPATH": str(Path.cwd())})
        try:
            wait_port(port, 120)
            info = Info.from_event(ask(port, Describe().event(), until=("info",))[-1])
            assert info.asr and info.tts
            time.sleep(3)  # the satellite connects and streams
            sats["kitchen"].play()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(sats["kitchen"].played()) < 22050:
                time.sleep(0.5)
        finally:
            proc.send_signal(signal.SIGTERM)  # a service stop: the hub ends as on Ctrl-C, exit code 0
            out, err = proc.communicate(timeout=30)
        events = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
        understood = [e for e in events if e["type"] == "Understood"]
        assert understood, err.decode()[-3000:]
        assert understood[0]["satellite"] == "kitchen" and understood[0]["area"] == "kitchen"
        assert understood[0]["understanding"]["intents"][0]["actions"][0]["entity_id"] == "light.kitchen"
        assert len(sats["kitchen"].played()) >= 22050
        assert proc.returncode == 0


def test_hearth_serve_answers_until_terminated(tmp_path: Path) -> None:
    port = free_port()
    conf = tmp_path / "hearth.toml"
    conf.write_text("[brain]\nllm = false\n")
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "--config", str(conf), "serve", "--wyoming",
                             f"tcp://127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    try:
        wait_port(port, 120)
        out = ask(port, Transcript(text="turn on the kitchen light").event(), until=("handled", "not-handled"))
        assert out[-1].type == "handled"
        assert out[-1].data["context"]["intents"][0]["actions"][0]["entity_id"] == "light.kitchen"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert f"Wyoming service on tcp://127.0.0.1:{port}" in err.decode()


def test_hearth_serve_names_a_bad_uri() -> None:
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "serve", "--wyoming", "http://x"],
                       capture_output=True, timeout=60, env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    assert r.returncode == 2
    assert b"--wyoming: 'http://x' is not tcp://HOST:PORT" in r.stderr

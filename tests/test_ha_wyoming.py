"""A real Home Assistant 2024.3.3 with its ``wyoming`` integration pointed at Hearth's Wyoming service:
HA lists Hearth's STT and TTS, and an Assist pipeline run with audio input (websocket
``assist_pipeline/run``) is transcribed by Hearth and its reply synthesised by Hearth.

The websocket client runs in HA's own virtual environment (it has aiohttp; Hearth's has no websocket
client)."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant import app
from assistant.config import from_dict
from assistant.events import EventBus
from assistant.hub import Hub
from assistant.hubrun import start_server
from tests import audiogen
from tests.ha_support import HA_VENV, HaStack

pytestmark = pytest.mark.slow

WS_CLIENT = r'''
import asyncio, json, sys
import aiohttp

async def main(url, token, stt, tts, pcm_path):
    pcm = open(pcm_path, "rb").read()
    out = {}
    async with aiohttp.ClientSession() as http, http.ws_connect(url + "/api/websocket") as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json({"id": 1, "type": "assist_pipeline/pipeline/create", "name": "Hearth",
                            "language": "en", "conversation_engine": "homeassistant",
                            "conversation_language": "en", "stt_engine": stt, "stt_language": "en",
                            "tts_engine": tts, "tts_language": "en", "tts_voice": "hearth-en",
                            "wake_word_entity": None, "wake_word_id": None})
        created = await ws.receive_json()
        assert created.get("success"), created
        await ws.send_json({"id": 2, "type": "assist_pipeline/run", "start_stage": "stt", "end_stage": "tts",
                            "pipeline": created["result"]["id"],
                            "input": {"sample_rate": 16000, "no_vad": True}})
        events = []
        while True:
            msg = await asyncio.wait_for(ws.receive_json(), 120)
            if msg.get("type") == "result":
                assert msg.get("success"), msg
                continue
            ev = msg["event"]
            events.append(ev)
            if ev["type"] == "run-start":
                hid = bytes([ev["data"]["runner_data"]["stt_binary_handler_id"]])
                for i in range(0, len(pcm), 2048):
                    await ws.send_bytes(hid + pcm[i:i + 2048])
                await ws.send_bytes(hid)
            if ev["type"] in ("run-end", "error"):
                break
        out["events"] = events
        end = [e for e in events if e["type"] == "tts-end"]
        if end:
            async with http.get(url + end[0]["data"]["tts_output"]["url"]) as r:
                out["tts_status"] = r.status
                out["tts_bytes"] = len(await r.read())
    print(json.dumps(out))

asyncio.run(main(*sys.argv[1:]))
'''


@pytest.fixture(scope="module")
def hearth_service() -> Iterator[tuple[int, list[str]]]:
    """Hearth's Wyoming service; returns its port and the texts it was asked to synthesise."""
    cfg = from_dict({"brain": {"llm": False}})
    bus = EventBus()
    engines = app.build_engines(cfg, bus=bus)
    hub = Hub(cfg, engines, bus)
    spoken: list[str] = []
    inner = hub.tts.synthesize
    lock = threading.Lock()

    def synthesize(text: str, language: str = "en") -> Iterator[np.ndarray]:
        with lock:
            spoken.append(text)
        return inner(text, language)

    hub.tts.synthesize = synthesize  # type: ignore[method-assign]
    hub.start()
    server = start_server(cfg, hub, engines, bus, "tcp://127.0.0.1:0")
    yield server.port, spoken
    hub.close()


def test_home_assistant_uses_hearth_for_stt_and_tts(ha_stack: HaStack, hearth_service: tuple[int, list[str]],
                                                   tmp_path: Path) -> None:
    port, spoken = hearth_service
    ha = ha_stack.ha
    flow = ha.api("POST", "config/config_entries/flow", json={"handler": "wyoming"})
    result = ha.api("POST", f"config/config_entries/flow/{flow['flow_id']}", json={"host": "127.0.0.1", "port": port})
    assert result["type"] == "create_entry", result

    def engines() -> tuple[str, str] | None:
        ids = [s["entity_id"] for s in ha.states()]
        stt = [i for i in ids if i.startswith("stt.")]
        tts = [i for i in ids if i.startswith("tts.")]
        return (stt[0], tts[0]) if stt and tts else None

    stt_id, tts_id = ha.wait_for(engines, 60, "Hearth's STT and TTS entities")
    assert "hearth" in stt_id and "hearth" in tts_id

    speech = audiogen.concat(audiogen.silence(0.3), audiogen.speak("Turn on the kitchen light.", "espeak"),
                             audiogen.silence(0.5))
    pcm = tmp_path / "speech.raw"
    pcm.write_bytes(speech.astype(np.int16).tobytes())
    script = tmp_path / "ws_client.py"
    script.write_text(WS_CLIENT)
    r = subprocess.run([str(HA_VENV / "bin" / "python"), str(script), ha.url, ha.token, stt_id, tts_id, str(pcm)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:] + ha.log_tail()
    out = json.loads(r.stdout.strip().splitlines()[-1])
    by_type = {e["type"]: e["data"] for e in out["events"]}
    assert "error" not in by_type, (by_type.get("error"), ha.log_tail(60))
    assert "kitchen light" in by_type["stt-end"]["stt_output"]["text"].lower()  # Hearth's transcript
    reply = by_type["intent-end"]["intent_output"]["response"]["speech"]["plain"]["speech"]
    assert reply
    assert by_type["tts-start"]["tts_input"] == reply
    assert reply in spoken, (reply, spoken)  # synthesised by Hearth
    assert "tts-end" in by_type
    # Serving that audio from HA's URL (out["tts_status"]) needs ffmpeg there (HA converts to MP3);
    # it is not part of what Hearth does.

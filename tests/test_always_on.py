"""``hearth run`` left on: a spoken timer rings by itself, metrics are served, SIGTERM stops it cleanly.

Real models, real generated speech fed in real time through ``--input -``; no ``tick()`` anywhere.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.home import inventory
from tests.mqtt_support import free_port
from tests.paced import PacedHearth

pytestmark = pytest.mark.slow


def write_config(tmp_path: Path, metrics_port: int) -> Path:
    cfg = tmp_path / "hearth.toml"
    cfg.write_text(
        f'[general]\ndata_dir = "{tmp_path / "data"}"\nlog_level = "INFO"\n\n'
        f'[brain]\ninventory = "{inventory.bundled_path()}"\n\n'
        # A broker that is down: the intent must wait in the outbox, and survive the stop.
        f'[mqtt]\nenabled = true\nport = {free_port()}\n\n'
        f'[metrics]\nport = {metrics_port}\n'
    )
    return cfg


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def test_spoken_timer_rings_by_itself_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    h = PacedHearth(write_config(tmp_path, port))
    try:
        h.wait_ready()
        h.command("Set a timer for three seconds.")
        set_at = h.wait_for(lambda e: e["type"] == "Understood", 60)
        assert [i["intent"] for i in set_at["understanding"]["intents"]] == ["HassStartTimer"]
        t_set = time.monotonic()
        saved = json.loads((tmp_path / "data" / "timers.json").read_text())["timers"]
        assert len(saved) == 1 and saved[0]["duration_s"] == 3  # persisted with its wall-clock end
        ring = h.wait_for(lambda e: e["type"] == "Announcement" and e["source"] == "timer", 30)
        waited_s = time.monotonic() - t_set
        assert 1.0 < waited_s < 20, waited_s  # it rang after the timer ran, not at once
        assert ring["text"] == "Your timer is done." and ring["listen"]
        spoken = h.wait_for(lambda e: e["type"] == "SpeakingStarted" and e["text"] == ring["text"], 10)
        assert spoken["run_id"] == ""  # an announcement, not a reply
        h.wait_for(lambda e: e["type"] == "TimerFinished", 5)
        assert json.loads((tmp_path / "data" / "timers.json").read_text())["timers"] == []

        text = scrape(port)
        assert "hearth_timers_finished_total 1.0" in text
        assert 'hearth_commands_total{outcome="understood",path=' in text
        assert 'hearth_announcements_total{source="timer"}' in text
        assert "process_resident_memory_bytes" in text and 'hearth_model_load_seconds{model="stt"}' in text
        assert "hearth_outbox_depth 1.0" in text  # the broker is down

        t0 = time.monotonic()
        h.proc.send_signal(signal.SIGTERM)
        rc = h.proc.wait(30)
        stop_s = time.monotonic() - t0
        assert rc == 0, h.tail()
        assert stop_s < 2.0, f"SIGTERM took {stop_s:.2f} s; {h.tail()}"
        assert "Traceback" not in h.tail(20000)
        db = sqlite3.connect(str(tmp_path / "data" / "outbox.sqlite"))
        payloads = [json.loads(p) for (p,) in db.execute("SELECT payload FROM outbox")]
        assert [p["intent"] for p in payloads] == ["HassStartTimer"]  # kept for the next start
    finally:
        h.close()

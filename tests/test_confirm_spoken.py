"""Spoken, end to end on the real models: "unlock the front door" → "yes" → the PIN, through
`hearth run --input`. The unlock happens only after both, and the PIN is nowhere: not in the
events, not in the audit log."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.home import inventory
from tests import audiogen

pytestmark = pytest.mark.slow


def hearth_run(tmp_path: Path, audio_parts: list, pin: str) -> tuple[list[dict], Path]:
    wav = audiogen.write(tmp_path / "in.wav", audiogen.concat(*audio_parts))
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[general]\ndata_dir = "{tmp_path / "data"}"\n'
                   f'[brain]\ninventory = "{inventory.bundled_path()}"\n'
                   "followup_window_s = 120.0\n"  # a loaded machine may take long to answer; audio time is short

                   '[security]\npin_env = "TEST_SPOKEN_PIN"\n', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "--config", str(cfg), "run", "--input", str(wav),
                        "--output", "none", "--json"], capture_output=True, timeout=600,
                       env={**os.environ, "TEST_SPOKEN_PIN": pin})
    assert r.returncode == 0, r.stderr.decode()[-3000:]
    events = [json.loads(x) for x in r.stdout.decode().splitlines() if x.startswith("{")]
    return events, tmp_path / "data" / "audit.sqlite"


def test_unlock_needs_yes_and_the_spoken_pin_which_is_never_shown(tmp_path: Path) -> None:
    parts = [audiogen.wake_command("Unlock the front door."), audiogen.silence(1.2), audiogen.speak("Yes."),
             audiogen.silence(1.2), audiogen.speak("Four, seven, one, one."), audiogen.silence(2.0)]
    events, db = hearth_run(tmp_path, parts, "4711")
    heard = [e["text"] for e in events if e["type"] == "Transcribed"]
    replies = [e["understanding"]["reply"] for e in events if e["type"] == "Understood"]
    assert len(heard) == 3 and heard[2] == "[PIN]", (heard, replies)
    assert "Are you sure" in replies[0] and "PIN" in replies[1], replies
    acted = [(n, a["service"]) for n, e in enumerate(x for x in events if x["type"] == "Understood")
             for i in e["understanding"]["intents"] for a in i["actions"]]
    assert acted == [(2, "lock.unlock")], (heard, replies)  # only after the yes and the PIN
    everything = json.dumps(events).lower()
    # As a number of its own: a timestamp's digits ("…3.1844711") are no PIN.
    assert not re.search(r"(?<![\d.])4711(?!\d)", everything) and "seven" not in everything
    rows = [t for (t,) in sqlite3.connect(db).execute("SELECT transcript FROM turns ORDER BY id")]
    assert rows[2] == "[PIN]"
    raw = db.read_bytes().lower()
    assert not re.search(rb"(?<![\d.])4711(?!\d)", raw) and b"seven" not in raw

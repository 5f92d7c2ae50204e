"""Nothing leaves the box: `hearth ask` and `hearth run --input` work in a network namespace with
only loopback, and no Python process of theirs even tries another address (see tests/offline.py;
`hearth bench --quick` runs the same way in tests/test_bench.py)."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from tests import audiogen
from tests.offline import Offline

pytestmark = pytest.mark.slow


def test_the_namespace_has_no_way_out_and_the_guard_catches_an_attempt(tmp_path: Path) -> None:
    off = Offline(tmp_path / "guard")
    r = off.run(["sh", "-c", "ip -o link; echo ---; ip -4 route; ip -6 route"], timeout=30)
    assert r.returncode == 0, r.stderr.decode()
    links, routes = r.stdout.decode().split("---")
    assert [ln.split(":")[1].strip() for ln in links.strip().splitlines()] == ["lo"]
    assert "default" not in routes and all("dev lo" in ln for ln in routes.strip().splitlines())
    probe = ("import socket\n"
             "try:\n    socket.socket().connect(('192.0.2.1', 80))\n"
             "except PermissionError:\n    print('refused connect')\n"
             "try:\n    socket.create_connection(('10.1.2.3', 1883), 1)\n"
             "except PermissionError:\n    print('refused 10.1.2.3')\n"
             "try:\n    socket.getaddrinfo('example.org', 443)\n"
             "except PermissionError:\n    print('refused name')\n"
             "s = socket.socket()\n"
             "s.bind(('127.0.0.1', 0))\n"
             "s.listen()\n"
             "socket.create_connection(s.getsockname(), 1).close()\n"
             "print('loopback ok')\n")
    r = off.run([sys.executable, "-c", probe], timeout=30)
    assert r.stdout.decode().split() == ["refused", "connect", "refused", "10.1.2.3", "refused", "name",
                                         "loopback", "ok"], r.stderr
    assert [(a["event"], a["target"]) for a in off.attempts()] == [
        ("socket.connect", "('192.0.2.1', 80)"), ("socket.getaddrinfo", "'10.1.2.3'"),
        ("socket.getaddrinfo", "'example.org'")]


def test_ask_and_run_work_with_nothing_but_loopback(tmp_path: Path) -> None:
    wav = audiogen.write(tmp_path / "cmd.wav", audiogen.wake_command("Turn on the kitchen light."))
    off = Offline(tmp_path / "guard")
    work = tmp_path / "work"
    work.mkdir()
    commands = [
        ["--config", "{config}", "ask", "--json", "turn off the bedroom light"],
        ["--config", "{config}", "run", "--input", str(wav), "--output", str(tmp_path / "reply.wav"), "--json"],
    ]
    r = off.run([sys.executable, "-m", "tests.offline_driver", str(work), json.dumps(commands)], timeout=1200)
    assert r.returncode == 0, r.stderr.decode()[-3000:]
    report = json.loads(r.stdout.decode().strip().splitlines()[-1])
    ask, run = report["results"]
    assert ask["rc"] == 0, ask["stderr"]
    assert json.loads(ask["stdout"])["intents"][0]["actions"][0]["entity_id"] == "light.bedroom"
    assert run["rc"] == 0, run["stderr"]
    heard = [json.loads(x) for x in run["stdout"].splitlines() if x.startswith("{")]
    said = [e["text"] for e in heard if e["type"] == "Transcribed"]
    assert said and "kitchen light" in said[0].lower()
    assert (tmp_path / "reply.wav").stat().st_size > 1000
    # Both reached the broker on loopback: Home Assistant would have acted.
    acted = [a["entity_id"] for i in report["intents"] for a in i["actions"]]
    assert "light.bedroom" in acted and "light.kitchen" in acted
    # Both turns are on the household's record, on this box.
    db = sqlite3.connect(work / "data" / "audit.sqlite")
    assert db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 2
    db.close()
    ran = [" ".join(p["argv"]) for p in off.guarded()]
    assert sum("assistant.cli" in a or "assistant/cli" in a for a in ran) >= 2, ran  # both ran guarded
    assert off.attempts() == [], off.attempts()


def test_guarded_run_of_a_command_that_would_phone_home_fails(tmp_path: Path) -> None:
    """The check itself can fail: a process that reaches out is caught even when it swallows the error."""
    off = Offline(tmp_path / "guard")
    code = ("import urllib.request\n"
            "try:\n    urllib.request.urlopen('http://203.0.113.7/telemetry', timeout=2)\n"
            "except Exception:\n    pass\n")
    r = off.run([sys.executable, "-c", code], timeout=60)
    assert r.returncode == 0
    assert off.attempts(), "an attempt to reach 203.0.113.7 went unnoticed"

"""Hearth's own commands against a real Home Assistant 2024.3.3 and a real mosquitto: ``hearth ask``
and ``hearth run`` change real HA entities through homeassistant/packages/hearth.yaml, HA's
announcement is spoken, and intents from processes that ran while the broker was down reach HA
exactly once, in order, through a later process. Plus the live inventory cache (fast unit tests).

Every command is a subprocess with a config file whose ``[mqtt]`` points at the test broker and no
inventory file, so the home is the one HA publishes. ``[brain] llm = false``: these sentences are
template-path sentences, and loading the LLM in every subprocess would only add wall time.
"""

from __future__ import annotations

import contextlib
import json
import queue
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant import app
from assistant.audio.wav import read_wav
from assistant.config import Config
from assistant.home import inventory as inventory_mod
from assistant.home.inventory import Entity, Inventory
from assistant.mqtt import inventory_cache
from tests import audiogen
from tests.ha_support import HaStack, HomeAssistant
from tests.mqtt_support import Recorder

NODE = "hall"
TIMINGS: dict[str, float] = {}


def write_config(root: Path, stack: HaStack, *, node: str = NODE, mqtt: str = "") -> Path:
    """A config whose [mqtt] points at the test broker, with the secret shared with HA's integration."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "config.toml"
    path.write_text(
        f'[general]\nnode_id = "{node}"\ndata_dir = "{root / "data"}"\n\n'
        "[brain]\nllm = false\n\n"
        f'[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {stack.broker.port}\n'
        f'secret_file = "{stack.ha.secret_file}"\n{mqtt}',
        encoding="utf-8",
    )
    return path


def hearth(config: Path, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.cli", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=timeout_s)


def state(ha: HomeAssistant, entity_id: str) -> str:
    s = ha.state(entity_id)
    assert s is not None, f"{entity_id} does not exist in Home Assistant"
    return str(s["state"])


def set_state(ha: HomeAssistant, entity_id: str, on: bool) -> None:
    """Put an entity in a known state through HA itself, so a later change is the command's doing."""
    domain = entity_id.split(".", 1)[0]
    ha.call(f"{domain}.turn_{'on' if on else 'off'}", entity_id=entity_id)
    want = "on" if on else "off"
    ha.wait_for(lambda: state(ha, entity_id) == want, 15, f"{entity_id} {want}")


def outbox_ids(data_dir: Path) -> list[str]:
    db = sqlite3.connect(str(data_dir / "outbox.sqlite"))
    try:
        return [r[0] for r in db.execute("SELECT msg_id FROM outbox ORDER BY seq")]
    finally:
        db.close()


@pytest.fixture(scope="module")
def stack(ha_stack: HaStack) -> Iterator[HaStack]:
    TIMINGS["ha_install_and_start_s"] = ha_stack.start_s
    TIMINGS["ha_listening_s"] = ha_stack.wait_listening()
    # The package publishes the inventory 2 s after HA starts; the commands rely on it being retained.
    rec = Recorder(ha_stack.broker.port, ["hearth/inventory"])
    try:
        rec.wait("hearth/inventory", timeout_s=30)
    finally:
        rec.close()
    yield ha_stack
    print("\nhearth commands with Home Assistant, timings (s):", {k: round(v, 2) for k, v in TIMINGS.items()})


# -- the live inventory, without a broker ----------------------------------------------------------

def _cfg(tmp_path: Path, **mqtt: Any) -> Config:
    return Config().replace("general", data_dir=str(tmp_path / "data")).replace("mqtt", **mqtt)


def test_the_home_comes_from_the_file_the_cache_or_home_assistant(tmp_path: Path) -> None:
    live = _cfg(tmp_path, enabled=True)
    assert app.uses_live_inventory(live) and not app.uses_live_inventory(live, "home.json")
    demo = inventory_mod.load(inventory_mod.bundled_path())
    assert app.load_inventory(live) == Inventory()  # nothing from HA yet: no devices, never the demo's
    inv = Inventory(entities=(Entity("light.den", "Den lamp", ("reading light",), None, "off"),))
    assert inventory_cache.save(live, inv)
    assert not inventory_cache.save(live, inv)  # unchanged: not rewritten
    assert app.load_inventory(live) == inv
    assert [p.name for p in inventory_cache.path(live).parent.iterdir()] == ["inventory.json"]  # no temp left
    # A configured file wins over the live home; without MQTT the demo home is used.
    own = tmp_path / "home.json"
    own.write_text(json.dumps({"entities": [{"entity_id": "fan.attic", "name": "Attic fan"}]}))
    assert [e.entity_id for e in app.load_inventory(live, own).entities] == ["fan.attic"]
    assert app.load_inventory(_cfg(tmp_path, enabled=False)) == demo != inv


def test_a_damaged_cache_is_ignored_and_replaced(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, enabled=True)
    p = inventory_cache.path(cfg)
    p.parent.mkdir(parents=True)
    p.write_text('{"entities": [{"entity_id": ')
    assert app.load_inventory(cfg) == Inventory()  # a damaged cache is no home
    brain = app.build_brain(cfg.replace("brain", llm=False))
    inv = Inventory(entities=(Entity("switch.kettle", "Kettle"),))
    app.live_inventory_handler(cfg, brain)(inv)
    assert brain.inventory == inv
    assert inventory_mod.load(p) == inv
    u = brain.understand("turn on the kettle", execute=False)
    assert [(a.service, a.entity_id) for i in u.intents for a in i.actions] == [("switch.turn_on", "switch.kettle")]


# -- through the real commands, with Home Assistant ----------------------------------------------

@pytest.mark.slow
def test_hearth_ask_turns_on_a_real_light_with_the_live_inventory(stack: HaStack, tmp_path: Path) -> None:
    ha = stack.ha
    config = write_config(tmp_path, stack)
    set_state(ha, "light.kitchen", on=False)
    t0 = time.monotonic()
    r = hearth(config, "ask", "--json", "turn on the kitchen light")
    TIMINGS["ask_process_s"] = time.monotonic() - t0
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    actions = [(a["service"], a["entity_id"]) for i in out["intents"] for a in i["actions"]]
    assert actions == [("light.turn_on", "light.kitchen")]
    ha.wait_for(lambda: state(ha, "light.kitchen") == "on", 15, "light.kitchen on")
    TIMINGS["ask_to_ha_state_s"] = time.monotonic() - t0
    assert outbox_ids(tmp_path / "data") == []  # acknowledged before the process exited
    cached = inventory_mod.load(tmp_path / "data" / "inventory.json")
    assert cached.entity("light.kitchen") is not None and cached.entity("input_boolean.porch_light") is not None


@pytest.mark.slow
def test_dry_run_and_jsonl_never_publish(stack: HaStack, tmp_path: Path) -> None:
    ha = stack.ha
    config = write_config(tmp_path, stack)
    # A real ask first, with nothing cached: only HA's live inventory knows the porch light. It also
    # caches the live home, and proves the recorder sees what is published.
    set_state(ha, "input_boolean.porch_light", on=False)
    rec = Recorder(stack.broker.port, ["hearth/+/intent"])
    try:
        assert hearth(config, "ask", "turn on the porch light").returncode == 0
        got = rec.wait("hearth/+/intent", 1, 10)
        assert got[0].json()["text"] == "turn on the porch light"
        ha.wait_for(lambda: state(ha, "input_boolean.porch_light") == "on", 15, "porch light on")
        rec.clear()
        r = hearth(config, "ask", "--dry-run", "--json", "turn off the porch light")
        assert r.returncode == 0, r.stderr[-2000:]
        assert [i["intent"] for i in json.loads(r.stdout)["intents"]] == ["HassTurnOff"]  # understood
        batch = tmp_path / "in.jsonl"
        batch.write_text('{"text": "turn off the porch light"}\n{"text": "turn off the kitchen light"}\n')
        r = hearth(config, "ask", "--jsonl", str(batch))
        assert r.returncode == 0, r.stderr[-2000:]
        lines = [json.loads(x) for x in r.stdout.splitlines()]
        assert [i["intent"] for x in lines for i in x["intents"]] == ["HassTurnOff", "HassTurnOff"]
        time.sleep(2)
        assert rec.on("hearth/+/intent") == []
        assert state(ha, "input_boolean.porch_light") == "on"
        assert outbox_ids(tmp_path / "data") == []
    finally:
        rec.close()


@pytest.mark.slow
def test_hearth_run_on_a_wav_turns_off_a_real_light(stack: HaStack, tmp_path: Path) -> None:
    ha = stack.ha
    config = write_config(tmp_path, stack)  # fresh data dir: the run waits for HA's home
    set_state(ha, "light.kitchen", on=True)
    wav = audiogen.write(tmp_path / "cmd.wav", audiogen.wake_command("Turn off the kitchen light."))
    t0 = time.monotonic()
    r = hearth(config, "run", "--input", str(wav), "--output", "none", "--json")
    TIMINGS["run_wav_process_s"] = time.monotonic() - t0
    assert r.returncode == 0, r.stderr[-2000:]
    events = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    understood = [e for e in events if e["type"] == "Understood"]
    assert len(understood) == 1, [e["type"] for e in events]
    actions = [(a["service"], a["entity_id"]) for i in understood[0]["understanding"]["intents"]
               for a in i["actions"]]
    assert actions == [("light.turn_off", "light.kitchen")]
    ha.wait_for(lambda: state(ha, "light.kitchen") == "off", 15, "light.kitchen off")
    TIMINGS["run_wav_to_ha_state_s"] = time.monotonic() - t0
    assert outbox_ids(tmp_path / "data") == []
    assert inventory_mod.load(tmp_path / "data" / "inventory.json").entity("light.kitchen") is not None


class _Feeder(threading.Thread):
    """Writes silence as raw s16le 16 kHz PCM to a process's stdin at real-time pace."""

    def __init__(self, proc: subprocess.Popen[bytes], frame_s: float = 0.08) -> None:
        super().__init__(daemon=True)
        self.proc, self.frame_s = proc, frame_s
        self.stop = threading.Event()

    def run(self) -> None:
        assert self.proc.stdin is not None
        frame = audiogen.silence(self.frame_s).astype("<i2").tobytes()
        try:
            while not self.stop.is_set():
                self.proc.stdin.write(frame)
                self.proc.stdin.flush()
                time.sleep(self.frame_s)
        except (BrokenPipeError, ValueError):
            pass
        finally:
            with contextlib.suppress(BrokenPipeError, ValueError):
                self.proc.stdin.close()


def _lines(proc: subprocess.Popen[bytes]) -> queue.Queue[str | None]:
    out: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.put(line.decode("utf-8", "replace"))
        out.put(None)

    threading.Thread(target=read, daemon=True).start()
    return out


@pytest.mark.slow
def test_an_announcement_from_home_assistant_is_spoken_by_hearth_run(stack: HaStack, tmp_path: Path) -> None:
    ha = stack.ha
    config = write_config(tmp_path, stack)
    reply = tmp_path / "out.wav"
    err = open(tmp_path / "stderr.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "--config", str(config), "run", "--input", "-",
         "--output", str(reply), "--json"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
    )
    feeder = _Feeder(proc)
    feeder.start()
    lines = _lines(proc)
    try:
        entity = f"text.{'hearth_' + NODE}_announce"
        t0 = time.monotonic()
        ha.wait_for(lambda: (s := ha.state(entity)) is not None and s["state"] != "unavailable", 120,
                    f"{entity} available (hearth run started)")
        TIMINGS["run_start_to_announce_entity_s"] = time.monotonic() - t0
        text = f"The laundry is done, load {int(time.time()) % 1000}."
        t1 = time.monotonic()
        ha.call("text.set_value", entity_id=entity, value=text)
        spoken = None
        deadline = time.monotonic() + 30
        while spoken is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if line.startswith("{"):
                event = json.loads(line)
                if event["type"] == "SpeakingStarted" and event["text"] == text:
                    spoken = event
        assert spoken is not None, (tmp_path / "stderr.log").read_text()[-3000:]
        TIMINGS["announce_to_speaking_s"] = time.monotonic() - t1
    finally:
        feeder.stop.set()
        feeder.join(5)
        try:
            rc = proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
            err.close()
    assert rc == 0, (tmp_path / "stderr.log").read_text()[-3000:]
    audio = read_wav(reply)
    assert len(audio) / 16000 > 1.0
    assert np.sqrt(np.mean(audio.astype(np.float64) ** 2)) > 300  # speech, not silence


@pytest.mark.slow
def test_intents_from_asks_during_an_outage_reach_ha_once_in_order_via_a_later_process(
    stack: HaStack, tmp_path: Path
) -> None:
    ha, broker = stack.ha, stack.broker
    # Long enough for four processes, a broker restart and HA's reconnect: nothing may expire here.
    config = write_config(tmp_path, stack, mqtt="intent_ttl_s = 600\n")
    data = tmp_path / "data"
    # With the broker up: the live home gets cached and the porch light is off.
    set_state(ha, "input_boolean.porch_light", on=True)
    assert hearth(config, "ask", "turn off the porch light").returncode == 0
    ha.wait_for(lambda: state(ha, "input_boolean.porch_light") == "off", 15, "porch light off")
    commands = ["turn on the porch light", "turn off the porch light", "turn on the porch light",
                "turn on the kitchen light"]
    set_state(ha, "light.kitchen", on=False)
    broker.stop()
    try:
        t0 = time.monotonic()
        for text in commands:  # each process knows the home from the cache, then exits
            r = hearth(config, "ask", "--json", text, timeout_s=60)
            assert r.returncode == 0, r.stderr[-2000:]
            assert json.loads(r.stdout)["intents"], f"{text!r} was not understood from the cached home"
        TIMINGS["ask_broker_down_each_s"] = (time.monotonic() - t0) / len(commands)
        ids = outbox_ids(data)
        assert len(ids) == len(commands) == len(set(ids))
        time.sleep(0.5)
        assert state(ha, "light.kitchen") == "off"
    finally:
        broker.start()
    rec = Recorder(broker.port, ["hearth/+/intent", "hearth/+/result"])
    try:
        t1 = time.monotonic()
        r = hearth(config, "mqtt", "--flush", "130", timeout_s=200)
        TIMINGS["flush_process_s"] = time.monotonic() - t1
        assert r.returncode == 0, r.stdout + r.stderr[-2000:]
        assert outbox_ids(data) == []
        TIMINGS["restart_to_all_executed_s"] = time.monotonic() - t1
        got = rec.on("hearth/+/intent")
        assert list(dict.fromkeys(m.json()["id"] for m in got)) == ids  # sent in order
        assert [m.json()["text"] for m in got if m.json()["id"] in ids][:1] == commands[:1]
        results = [m.json() for m in rec.on("hearth/+/result") if m.json()["id"] in ids]
        assert [r["id"] for r in results if not r["duplicate"]] == ids  # executed once each, in order
        assert {r["status"] for r in results} == {"executed"}
        time.sleep(1)
        assert state(ha, "input_boolean.porch_light") == "on"  # on, off, on: the last ran last
        assert state(ha, "light.kitchen") == "on"
    finally:
        rec.close()
        set_state(ha, "light.kitchen", on=False)


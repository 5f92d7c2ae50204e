"""Only Hearth's own, fresh, allow-listed intents act in a real Home Assistant 2024.3.3.

Another client on the broker tries what an attacker would (a target smuggled into ``data``,
``scene.apply``, a script Hearth never calls, an excluded entity, an old intent re-sent under a
new id), unsigned and, to prove each rule on its own, also signed with the real secret: the
``hearth`` integration refuses every one, logs the reason, reports it on the result topic and
fires ``hearth_result``, while a real ``hearth ask`` still switches a light. Intents that outlive
their time to live are dropped by Hearth and reported, and an HA restart loses and repeats nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Config
from assistant.events import Announcement, EventBus
from assistant.intents import Action, Intent, Understanding
from assistant.mqtt import payloads, signing
from assistant.mqtt.bridge import MqttBridge
from tests.ha_support import SECRET, HaStack, HomeAssistant
from tests.mqtt_support import Recorder

pytestmark = pytest.mark.slow
NODE = "trust"
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def stack(ha_stack: HaStack) -> Iterator[HaStack]:
    ha_stack.wait_listening()
    yield ha_stack
    print("\nHA trust timings (s):", {k: round(v, 2) for k, v in TIMINGS.items()})


@pytest.fixture
def results(stack: HaStack) -> Iterator[Recorder]:
    rec = Recorder(stack.broker.port, [f"hearth/{NODE}/result", f"hearth/{NODE}/notice"])
    yield rec
    rec.close()


def state(ha: HomeAssistant, entity_id: str) -> str:
    s = ha.state(entity_id)
    assert s is not None, f"{entity_id} does not exist in Home Assistant"
    return str(s["state"])


def doc(*actions: dict[str, Any], ts: float | None = None, ttl: float = 120.0, text: str = "test") -> dict[str, Any]:
    return {"v": 1, "id": payloads.new_id(), "ts": round(time.time() if ts is None else ts, 3), "ttl": ttl,
            "node": NODE, "area": "hall", "text": text, "language": "en", "intent": "HassTurnOn",
            "slots": {}, "actions": list(actions), "reply": "Done.", "run_id": ""}


def act(service: str, entity_id: str | None, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"service": service, "entity_id": entity_id, "data": data or {}}


def send(rec: Recorder, d: dict[str, Any]) -> dict[str, Any]:
    """Publish like a client on the broker would, and return HA's (signed) result for that id."""
    def mine(m: Any) -> bool:
        return bool(m.json()["id"] == d["id"])

    seen = len([m for m in rec.on(f"hearth/{NODE}/result") if mine(m)])
    rec.publish(f"hearth/{NODE}/intent", json.dumps(d))
    got = rec.wait(f"hearth/{NODE}/result", seen + 1, pred=mine, timeout_s=15)
    result = got[-1].json()
    assert signing.verify(result, SECRET), result  # HA's results carry its signature too
    return result


def assert_refused(stack: HaStack, rec: Recorder, d: dict[str, Any], reason: str) -> None:
    result = send(rec, d)
    assert (result["status"], result["reason"]) == ("refused", reason), result
    ha = stack.ha
    ha.wait_for(lambda: state(ha, "input_text.hearth_last_result") == f"{d['id']} refused {reason}", 10,
                f"hearth_result event for {d['id']}")
    assert f"Hearth intent {d['id']} from {NODE} refused: {reason}" in ha.log_text()


def test_forgeries_are_refused_logged_and_reported(stack: HaStack, results: Recorder) -> None:
    ha = stack.ha
    ha.call("input_boolean.turn_on", entity_id="input_boolean.front_door_locked")
    ha.call("input_boolean.turn_off", entity_id="input_boolean.safe_power")
    ha.call("input_boolean.turn_off", entity_id="input_boolean.flip")
    ha.wait_for(lambda: state(ha, "lock.front_door") == "locked", 10, "front door locked")
    # scene.apply and the script exist and work when HA itself calls them: a refusal below is the rule's doing.
    ha.call("scene.apply", entities={"input_boolean.flip": "on"})
    ha.wait_for(lambda: state(ha, "input_boolean.flip") == "on", 10, "scene.apply works")
    ha.call("input_boolean.turn_off", entity_id="input_boolean.flip")
    ha.wait_for(lambda: state(ha, "input_boolean.flip") == "off", 10, "flip off")
    assert ha.state("script.hearth_never") is not None
    runs = float(state(ha, "counter.hearth_script_runs"))
    real = signing.sign(doc(act("input_boolean.turn_on", "input_boolean.flip")), SECRET)
    forgeries = {
        "target in data": doc(act("lock.unlock", "", {"entity_id": "all"})),
        "scene.apply": doc(act("scene.apply", None, {"entities": {"lock.front_door": "unlocked"}})),
        "script": doc(act("script.turn_on", "script.hearth_never")),
        "excluded": doc(act("input_boolean.turn_on", "input_boolean.safe_power")),
        "old copy": {**real, "id": payloads.new_id(), "ts": round(time.time() - 3600, 3)},
    }
    for name, d in forgeries.items():  # without the secret: never even looked at
        unsigned = {k: v for k, v in d.items() if k != "sig"}
        assert_refused(stack, results, unsigned, "unsigned")
        if name == "old copy":
            assert_refused(stack, results, d, "bad_signature")  # the real signature, altered id and ts
    # Signed with the real secret, each rule still holds on its own.
    signed = {
        "bad_target": doc(act("lock.unlock", "", {"entity_id": "all"})),
        "target_in_data": doc(act("lock.unlock", "lock.front_door", {"entity_id": "all"})),
        "service_never_allowed": doc(act("scene.apply", None, {"entities": {"lock.front_door": "unlocked"}})),
        "script_not_allowed": doc(act("script.turn_on", "script.hearth_never")),
        "excluded": doc(act("input_boolean.turn_on", "input_boolean.safe_power")),
        "expired": doc(act("input_boolean.turn_on", "input_boolean.flip"), ts=time.time() - 3600),
        "service_not_allowed": doc(act("homeassistant.turn_on", "input_boolean.flip")),
    }
    for reason, d in signed.items():
        assert_refused(stack, results, signing.sign(d, SECRET), reason)
    script_as_service = signing.sign(doc(act("script.hearth_never", None)), SECRET)
    assert_refused(stack, results, script_as_service, "script_not_allowed")
    time.sleep(1)
    assert state(ha, "lock.front_door") == "locked"
    assert state(ha, "input_boolean.safe_power") == "off"
    assert state(ha, "input_boolean.flip") == "off"
    assert float(state(ha, "counter.hearth_script_runs")) == runs
    # What Hearth may do still works: an allowed script, and the real intent once, re-sent or not.
    allowed = signing.sign(doc(act("script.turn_on", "script.hearth_allowed")), SECRET)
    assert send(results, allowed)["status"] == "executed"
    ha.wait_for(lambda: float(state(ha, "counter.hearth_script_runs")) == runs + 1, 10, "allowed script ran")
    assert send(results, real)["status"] == "executed"
    ha.wait_for(lambda: state(ha, "input_boolean.flip") == "on", 10, "flip on")
    ha.call("input_boolean.turn_off", entity_id="input_boolean.flip")
    ha.wait_for(lambda: state(ha, "input_boolean.flip") == "off", 10, "flip off")
    again = send(results, real)
    assert (again["status"], again["duplicate"]) == ("executed", True)
    time.sleep(1)
    assert state(ha, "input_boolean.flip") == "off"  # the copy was reported, not run again


def test_a_real_hearth_ask_still_switches_a_light(stack: HaStack, tmp_path: Path, results: Recorder) -> None:
    ha = stack.ha
    ha.call("light.turn_off", entity_id="light.kitchen")
    ha.wait_for(lambda: state(ha, "light.kitchen") == "off", 10, "light off")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[general]\nnode_id = "{NODE}"\ndata_dir = "{tmp_path / "data"}"\n\n[brain]\nllm = false\n\n'
        f'[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {stack.broker.port}\n'
        f'secret_file = "{ha.secret_file}"\n', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "--config", str(cfg), "ask", "--json",
                        "turn on the kitchen light"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    ha.wait_for(lambda: state(ha, "light.kitchen") == "on", 15, "light.kitchen on")
    got = results.wait(f"hearth/{NODE}/result", pred=lambda m: m.json()["status"] == "executed")
    assert signing.verify(got[-1].json(), SECRET)


def test_hearth_ask_says_when_home_assistant_refuses(stack: HaStack, tmp_path: Path) -> None:
    """A home file that lists an entity the household excluded in HA: Hearth acts, HA refuses."""
    ha = stack.ha
    home = tmp_path / "home.json"
    home.write_text(json.dumps({"entities": [
        {"entity_id": "input_boolean.safe_power", "name": "Safe power", "state": "off"}]}))
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[general]\nnode_id = "{NODE}"\ndata_dir = "{tmp_path / "data"}"\n\n[brain]\nllm = false\n'
        f'inventory = "{home}"\n\n[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {stack.broker.port}\n'
        f'secret_file = "{ha.secret_file}"\n', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "--config", str(cfg), "ask",
                        "turn on the safe power"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines()[-1] == 'Home Assistant didn\'t allow "turn on the safe power".', r.stdout
    assert state(ha, "input_boolean.safe_power") == "off"
    assert "refused: excluded [input_boolean.turn_on on input_boolean.safe_power]" in ha.log_text()


def bridge_for(stack: HaStack, tmp_path: Path, bus: EventBus, port: int | None = None, **mqtt: Any) -> MqttBridge:
    cfg = Config().replace("general", node_id=NODE, area="hall", data_dir=str(tmp_path / "data"))
    cfg = cfg.replace("mqtt", enabled=True, port=port or stack.broker.port,
                      secret_file=str(stack.ha.secret_file), **mqtt)
    bridge = MqttBridge(cfg, bus, intent_types=("HassTurnOn",), reconnect_max_s=1, presence=False)
    bridge.start()
    return bridge


def flips(n: int) -> list[Understanding]:
    return [Understanding(text=f"flip {i}", reply="", language="en", intents=(
        Intent("HassToggle", {"n": i}, (Action("input_boolean.toggle", "input_boolean.flip"),)),)) for i in range(n)]


def test_an_intent_that_outlives_its_limit_is_dropped_and_reported_never_run(
    stack: HaStack, tmp_path: Path, results: Recorder
) -> None:
    ha = stack.ha
    ha.call("input_boolean.turn_on", entity_id="input_boolean.front_door_locked")
    ha.wait_for(lambda: state(ha, "lock.front_door") == "locked", 10, "front door locked")
    flip = state(ha, "input_boolean.flip")
    expired = float(state(ha, "counter.hearth_expired"))
    bus = EventBus()
    heard: list[str] = []
    bus.subscribe(lambda e: heard.append(e.text), Announcement)
    limits = {"sensitive_ttl_s": 1.0, "intent_ttl_s": 120.0}
    down = bridge_for(stack, tmp_path, bus, port=1, **limits)  # nothing listens on port 1
    unlock = Understanding(text="unlock the front door", reply="Unlocked.", language="en", intents=(
        Intent("HassTurnOff", {}, (Action("lock.unlock", "lock.front_door"),)),))
    [stale] = down.publish_intents(unlock)  # confirmed, then stuck: the broker is unreachable
    [later] = down.publish_intents(flips(1)[0])
    assert [json.loads(p.payload)["ttl"] for p in down.outbox.pending()] == [1.0, 120.0]
    down.stop()
    time.sleep(1.5)  # Hearth is not running while the unlock's short time runs out
    bridge = bridge_for(stack, tmp_path, bus, **limits)  # a restart, the broker is there
    try:
        assert bridge.flush(15)
        assert (bridge.outcomes["expired"], bridge.outcomes["executed"]) == (1, 1)
        assert heard == ['I did not do "unlock the front door": Home Assistant did not confirm it in time.']
        notice = results.wait(f"hearth/{NODE}/notice", pred=lambda m: m.json()["id"] == stale)[-1].json()
        assert signing.verify(notice, SECRET) and notice["status"] == "expired"
        ha.wait_for(lambda: float(state(ha, "counter.hearth_expired")) == expired + 1, 10,
                    "the hearth_result event of the dropped intent")
        assert f"did not deliver intent {stale} in time (not_delivered)" in ha.log_text()
        ha.wait_for(lambda: state(ha, "input_boolean.flip") != flip, 10, "the intent after it ran")
        assert state(ha, "lock.front_door") == "locked"  # the stale unlock never ran
        assert not [m for m in results.on(f"hearth/{NODE}/result") if m.json()["id"] == stale]
    finally:
        bridge.stop()


def test_a_refusal_is_spoken(stack: HaStack, tmp_path: Path) -> None:
    bus = EventBus()
    heard: list[str] = []
    bus.subscribe(lambda e: heard.append(e.text), Announcement)
    bridge = bridge_for(stack, tmp_path, bus)
    try:
        u = Understanding(text="turn on the safe", reply="Turned on the safe.", language="en", intents=(
            Intent("HassTurnOn", {}, (Action("input_boolean.turn_on", "input_boolean.safe_power"),)),))
        bridge.publish_intents(u)
        assert bridge.flush(15) and bridge.outcomes["refused"] == 1
        assert heard == ['Home Assistant didn\'t allow "turn on the safe".']
        assert state(stack.ha, "input_boolean.safe_power") == "off"
    finally:
        bridge.stop()


def test_a_home_assistant_restart_loses_and_repeats_nothing(
    stack: HaStack, tmp_path: Path, results: Recorder
) -> None:
    ha = stack.ha
    start_flip = state(ha, "input_boolean.flip")
    executed = float(state(ha, "counter.hearth_executed"))
    bridge = bridge_for(stack, tmp_path, EventBus())
    n = 5
    try:
        t0 = time.monotonic()
        ha.stop()
        ids = [i for u in flips(n) for i in bridge.publish_intents(u)]
        time.sleep(3)  # Hearth keeps sending the first one; nobody is listening
        t1 = time.monotonic()
        ha.restart()
        TIMINGS["ha_restart_s"] = time.monotonic() - t1
        assert bridge.flush(120), f"{bridge.outbox.count()} intents left"
        TIMINGS["ha_down_to_all_executed_s"] = time.monotonic() - t0
        TIMINGS["ha_up_to_all_executed_s"] = time.monotonic() - t1 - TIMINGS["ha_restart_s"]
        done = [m.json() for m in results.on(f"hearth/{NODE}/result") if m.json()["id"] in ids]
        first = [d["id"] for d in done if not d["duplicate"]]
        assert first == ids and all(d["status"] == "executed" for d in done)  # each once, in order
        ha.wait_for(lambda: float(state(ha, "counter.hearth_executed")) == executed + n, 10, "count")
        time.sleep(1)
        assert float(state(ha, "counter.hearth_executed")) == executed + n
        flipped = {"on": "off", "off": "on"}[start_flip]
        assert state(ha, "input_boolean.flip") == (flipped if n % 2 else start_flip)
    finally:
        bridge.stop()

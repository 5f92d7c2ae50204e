"""TLS and passwords for real: mosquitto with a TLS-only listener (a CA and server certificate made
here), a password file and exactly the ACL homeassistant/README.md recommends. Hearth connects,
receives the inventory and commands, publishes intents, and the broker denies nothing it sends."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import Config
from assistant.events import Announcement, EventBus
from assistant.home import inventory
from assistant.mqtt.bridge import MqttBridge
from assistant.mqtt.client import probe
from tests.mqtt_support import Broker, Recorder, Tls

README = Path(__file__).resolve().parent.parent / "homeassistant" / "README.md"
PASSWORDS = {"kitchen": "kitchen-pw-7Qx", "homeassistant": "ha-pw-3Lm", "intruder": "intruder-pw"}


def readme_acl() -> str:
    """The ACL block of the README's "Broker ACLs" section, verbatim."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Broker ACLs"):]
    m = re.search(r"```\n(.*?)```", section, re.S)
    assert m, "homeassistant/README.md lost its ACL example"
    return m.group(1)


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    root = tmp_path_factory.mktemp("tls")
    b = Broker(root / "broker", tls=Tls.make(root / "pki"), users=PASSWORDS, acl=readme_acl())
    b.start()
    yield b
    b.stop()


def hearth_cfg(b: Broker, tmp: Path, **mqtt: object) -> Config:
    assert b.tls is not None
    opts = {"enabled": True, "port": b.port, "tls": True, "ca_file": str(b.tls.ca), "username": "kitchen",
            "password_env": "TEST_HEARTH_MQTT_PW", **mqtt}
    return (Config().replace("general", node_id="kitchen", area="kitchen", data_dir=str(tmp / "data"))
            .replace("mqtt", **opts).replace("brain", llm=False))


def toml(cfg: Config, path: Path) -> Path:
    m = cfg.mqtt
    path.write_text(
        f'[general]\nnode_id = "kitchen"\ndata_dir = "{cfg.general.data_dir}"\n[brain]\nllm = false\n'
        f'[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {m.port}\ntls = {str(m.tls).lower()}\n'
        f'ca_file = "{m.ca_file}"\nusername = "{m.username}"\npassword_env = "{m.password_env}"\n',
        encoding="utf-8")
    return path


def ha(b: Broker, topics: list[str]) -> Recorder:
    return Recorder(b.port, topics, username="homeassistant", password=PASSWORDS["homeassistant"], tls=b.tls)


def hearth_denied(b: Broker) -> list[str]:
    return [ln for ln in b.denied() if "hearth-kitchen" in ln]


def test_no_tls_no_ca_or_a_wrong_password_is_refused(secure: Broker, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_HEARTH_MQTT_PW", PASSWORDS["kitchen"])
    assert probe(hearth_cfg(secure, tmp_path).mqtt)[0]
    assert not probe(hearth_cfg(secure, tmp_path, tls=False).mqtt, timeout_s=3)[0]
    assert not probe(hearth_cfg(secure, tmp_path, ca_file="").mqtt, timeout_s=3)[0]  # not signed by a system CA
    monkeypatch.setenv("TEST_HEARTH_MQTT_PW", "wrong")
    ok, why = probe(hearth_cfg(secure, tmp_path).mqtt, timeout_s=3)
    assert not ok and "refused" in why


def test_hearth_over_tls_with_password_and_the_recommended_acl(secure: Broker, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_HEARTH_MQTT_PW", PASSWORDS["kitchen"])
    home = inventory.bundled_path().read_text(encoding="utf-8")
    ha_side = ha(secure, ["hearth/+/intent", "hearth/+/status", "homeassistant/+/kitchen/+/config"])
    ha_side.publish("hearth/inventory", home, retain=True)
    cfg = hearth_cfg(secure, tmp_path)
    conf = toml(cfg, tmp_path / "config.toml")

    # The one-shot command: the live inventory arrives (the home is known only from it), the intent goes out.
    assert main(["--config", str(conf), "ask", "turn on the kitchen light"]) == 0
    got = ha_side.wait("hearth/kitchen/intent", 1, 15)
    assert got[0].json()["actions"][0]["entity_id"] == "light.kitchen"

    # The node itself: presence, discovery, and a command from Home Assistant reaches it.
    bus = EventBus()
    heard: list[Announcement] = []
    bus.subscribe(heard.append, Announcement)
    bridge = MqttBridge(cfg, bus, intent_types=["HassTurnOn"])
    bridge.start()
    try:
        assert bridge.ready.wait(15)
        ha_side.wait("hearth/kitchen/status", 1, 10, pred=lambda m: m.payload == b"online")
        ha_side.wait("homeassistant/+/kitchen/+/config", 1, 10)
        ha_side.publish("hearth/kitchen/announce", "dinner is ready")
        deadline = time.monotonic() + 10
        while not heard and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [a.text for a in heard] == ["dinner is ready"]
    finally:
        bridge.stop()
    ha_side.close()
    time.sleep(1.2)  # the broker's log is written as it goes; give it a moment
    assert hearth_denied(secure) == [], hearth_denied(secure)


def test_the_acl_keeps_others_from_publishing_intents(secure: Broker) -> None:
    ha_side = ha(secure, ["hearth/+/intent"])
    intruder = Recorder(secure.port, [], client_id="intruder-1", username="intruder",
                        password=PASSWORDS["intruder"], tls=secure.tls)
    forged = json.dumps({"v": 1, "id": "f00d", "actions": [{"service": "lock.unlock", "entity_id": "lock.front_door"}]})
    intruder.publish("hearth/kitchen/intent", forged)
    time.sleep(1.0)
    assert not ha_side.on("hearth/+/intent")
    time.sleep(1.2)
    assert any("intruder-1" in ln and "hearth/kitchen/intent" in ln for ln in secure.denied())
    intruder.close()
    ha_side.close()

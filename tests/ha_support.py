"""A real Home Assistant core (2024.3.3, the newest release for Python 3.11) for tests.

It is installed once into its own virtual environment (``.venv-ha``), pinned by the constraints
file inside its own wheel plus ``josepy<2``; a stamp makes later runs instant. Each test session
writes a fresh config dir (broker set through HA's config-entry storage, since HA ignores MQTT
broker YAML; the hearth integration copied into ``custom_components`` as HACS would, its secret in
``secrets.yaml`` and Hearth's copy in :attr:`HomeAssistant.secret_file`), starts HA on 127.0.0.1 on
a free port, onboards an owner user through the REST onboarding API to get an access token, and
stops it at the end.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.mqtt_support import Broker, free_port

HA_VERSION = "2024.3.3"
REPO = Path(__file__).resolve().parent.parent
HA_VENV = Path(os.environ.get("HEARTH_HA_VENV", str(REPO / ".venv-ha")))
EXTRA_PINS = ("josepy<2",)
"""Without this every HTTP request of HA 2024.3 fails with 500 (acme → josepy 2 API change)."""
INTEGRATIONS = (
    "mqtt", "template", "input_boolean", "input_text", "input_number", "counter", "automation",
    "script", "api", "http", "onboarding", "auth", "person", "text", "button", "switch", "sensor",
    "event", "light", "device_automation", "lock", "scene", "wyoming", "zeroconf", "assist_pipeline",
    "conversation", "stt", "tts",
)
"""Integrations the test config loads (HA's always-on defaults are added at install time)."""
CLIENT_ID = "http://127.0.0.1/"
SECRET = "hearth-test-secret-0123456789abcdef"
"""The secret shared by Hearth (``[mqtt] secret_file``) and the hearth integration (secrets.yaml)."""
INTEGRATION = REPO / "homeassistant" / "custom_components" / "hearth"


def _pip(python: Path, *args: str) -> None:
    cmd = [str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args]
    subprocess.run(cmd, check=True)


_REQS_SCRIPT = r"""
import json, sys
from pathlib import Path
import homeassistant, homeassistant.bootstrap as b
root = Path(homeassistant.__file__).parent / "components"
todo = set(sys.argv[1:]) | b.CORE_INTEGRATIONS | b.DEFAULT_INTEGRATIONS | {"logger", "system_log"}
seen, reqs = set(), set()
while todo:
    d = todo.pop()
    if d in seen or not (root / d / "manifest.json").exists():
        continue
    seen.add(d)
    m = json.loads((root / d / "manifest.json").read_text())
    reqs.update(m.get("requirements", []))
    todo.update(m.get("dependencies", []))
    todo.update(m.get("after_dependencies", []))  # imported at setup time by some integrations
print("\n".join(sorted(reqs)))
"""


def ensure_installed() -> Path:
    """Install HA into ``HA_VENV`` unless already done; returns its ``hass`` executable."""
    key = hashlib.sha256(repr((HA_VERSION, EXTRA_PINS, INTEGRATIONS, _REQS_SCRIPT)).encode())
    stamp = HA_VENV / f".hearth-ha-{key.hexdigest()[:12]}"
    hass = HA_VENV / "bin" / "hass"
    if stamp.exists() and hass.exists():
        return hass
    HA_VENV.parent.mkdir(parents=True, exist_ok=True)
    lock_path = HA_VENV.parent / f".{HA_VENV.name}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test process may be installing right now
        if stamp.exists() and hass.exists():
            return hass
        base = getattr(sys, "_base_executable", sys.executable)
        if not (HA_VENV / "bin" / "python").exists():
            subprocess.run([base, "-m", "venv", str(HA_VENV)], check=True)
        py = HA_VENV / "bin" / "python"
        wheels = HA_VENV / "wheelhouse"
        _pip(py, "download", "--no-deps", "-d", str(wheels), f"homeassistant=={HA_VERSION}")
        wheel = next(wheels.glob(f"homeassistant-{HA_VERSION}-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            constraints = zf.read("homeassistant/package_constraints.txt").decode()
        cfile = HA_VENV / "constraints.txt"
        cfile.write_text(constraints + "\n" + "\n".join(EXTRA_PINS) + "\n")
        _pip(py, "install", "-c", str(cfile), str(wheel), *EXTRA_PINS)
        reqs = subprocess.run(
            [str(py), "-c", _REQS_SCRIPT, *INTEGRATIONS], check=True, capture_output=True, text=True
        ).stdout.split()
        if reqs:
            _pip(py, "install", "-c", str(cfile), *reqs)
        for old in HA_VENV.glob(".hearth-ha-*"):
            old.unlink()
        stamp.touch()
    return hass


def _storage(key: str, data: dict[str, Any], minor: int = 1) -> str:
    return json.dumps({"version": 1, "minor_version": minor, "key": key, "data": data}, indent=1)


TEST_CONFIG = """
homeassistant:
  name: Hearth test home
  latitude: 52.37
  longitude: 4.89
  elevation: 0
  unit_system: metric
  time_zone: UTC
  currency: EUR
  country: NL
  packages: !include_dir_named packages
  customize:
    light.kitchen:
      hearth_aliases: ["cooking light"]
    input_boolean.safe_power:
      hearth_exclude: true
hearth:
  secret: !secret hearth_secret
  allowed_scripts: [script.hearth_allowed]
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
media_source:
onboarding:
logger:
  default: warning
  logs:
    homeassistant.components.mqtt: info
input_boolean:
  kitchen_power:
    name: Kitchen power
  porch_light:
    name: Porch light
  front_door_locked:
    name: Front door bolt
    initial: true
  safe_power:
    name: Safe power
  flip:
    name: Flip
counter:
  hearth_test:
    initial: 0
    step: 1
  hearth_executed:
    initial: 0
    step: 1
  hearth_script_runs:
    initial: 0
    step: 1
  hearth_expired:
    initial: 0
    step: 1
input_text:
  hearth_last_result:
    max: 255
script:
  hearth_allowed:
    sequence:
      - service: counter.increment
        target:
          entity_id: counter.hearth_script_runs
  hearth_never:
    sequence:
      - service: input_boolean.turn_on
        target:
          entity_id: input_boolean.safe_power
scene:
  - name: Hearth test scene
    entities:
      input_boolean.flip: "off"
automation:
  - alias: "Test: count executed Hearth intents"
    mode: queued
    trigger:
      - platform: event
        event_type: hearth_intent
    action:
      - service: counter.increment
        target:
          entity_id: counter.hearth_executed
  - alias: "Test: remember the last Hearth result"
    mode: queued
    trigger:
      - platform: event
        event_type: hearth_result
    action:
      - service: input_text.set_value
        target:
          entity_id: input_text.hearth_last_result
        data:
          value: >-
            {{{{ trigger.event.data.id }}}} {{{{ trigger.event.data.status }}}} {{{{ trigger.event.data.reason }}}}
  - alias: "Test: count intents Hearth dropped as expired"
    mode: queued
    trigger:
      - platform: event
        event_type: hearth_result
        event_data:
          status: expired
    action:
      - service: counter.increment
        target:
          entity_id: counter.hearth_expired
lock:
  - platform: template
    name: Front door
    value_template: "{{{{ is_state('input_boolean.front_door_locked', 'on') }}}}"
    lock:
      service: input_boolean.turn_on
      target:
        entity_id: input_boolean.front_door_locked
    unlock:
      service: input_boolean.turn_off
      target:
        entity_id: input_boolean.front_door_locked
input_number:
  hearth_test_last:
    min: 0
    max: 100000
    step: 1
    initial: 0
light:
  - platform: template
    lights:
      kitchen:
        friendly_name: Kitchen Light
        value_template: "{{{{ is_state('input_boolean.kitchen_power', 'on') }}}}"
        turn_on:
          service: input_boolean.turn_on
          target:
            entity_id: input_boolean.kitchen_power
        turn_off:
          service: input_boolean.turn_off
          target:
            entity_id: input_boolean.kitchen_power
"""


@dataclass
class HomeAssistant:
    """A running HA core; ``api()`` calls its REST API with the onboarding token."""

    config_dir: Path
    port: int
    mqtt_port: int
    proc: subprocess.Popen[bytes] | None = None
    token: str = ""
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str, **kw: Any) -> Any:
        r = self.session.request(method, f"{self.url}/api/{path.lstrip('/')}", timeout=30, **kw)
        r.raise_for_status()
        return r.json() if r.content else None

    def state(self, entity_id: str) -> dict[str, Any] | None:
        r = self.session.get(f"{self.url}/api/states/{entity_id}", timeout=30)
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()

    def states(self) -> list[dict[str, Any]]:
        return self.api("GET", "states")

    def call(self, service: str, **data: Any) -> Any:
        domain, name = service.split(".", 1)
        return self.api("POST", f"services/{domain}/{name}", json=data)

    def wait_for(self, predicate: Any, timeout_s: float = 20.0, what: str = "condition") -> Any:
        """Poll ``predicate()`` until it returns something truthy; fail with the log tail."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"Home Assistant: timed out waiting for {what}\n{self.log_tail()}")

    def log_tail(self, n: int = 40) -> str:
        log = self.config_dir / "home-assistant.log"
        if not log.exists():
            return "(no log)"
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:])

    def log_text(self) -> str:
        """The log of this run and of the run before a restart (HA renames it to ``.1``)."""
        logs = [self.config_dir / "home-assistant.log.1", self.config_dir / "home-assistant.log"]
        return "".join(p.read_text(errors="replace") for p in logs if p.exists())

    def write_config(self, packages: dict[str, Path]) -> None:
        cfg = self.config_dir
        (cfg / ".storage").mkdir(parents=True, exist_ok=True)
        (cfg / "packages").mkdir(exist_ok=True)
        (cfg / "configuration.yaml").write_text(TEST_CONFIG.format(port=self.port))
        for name, src in packages.items():
            shutil.copy(src, cfg / "packages" / f"{name}.yaml")
        # The hearth integration, installed the way HACS installs one; its secret in secrets.yaml.
        shutil.copytree(INTEGRATION, cfg / "custom_components" / "hearth", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        (cfg / "secrets.yaml").write_text(f"hearth_secret: {SECRET}\n")
        self.secret_file.write_text(SECRET + "\n")
        self.secret_file.chmod(0o600)
        entry = {
            "entry_id": "hearthtestmqttentry0000000000001",
            "version": 1,
            "minor_version": 1,
            "domain": "mqtt",
            "title": "127.0.0.1",
            "data": {"broker": "127.0.0.1", "port": self.mqtt_port, "discovery": True},
            "options": {},
            "pref_disable_new_entities": False,
            "pref_disable_polling": False,
            "source": "user",
            "unique_id": None,
            "disabled_by": None,
        }
        (cfg / ".storage" / "core.config_entries").write_text(
            _storage("core.config_entries", {"entries": [entry]})
        )

    @property
    def secret_file(self) -> Path:
        """Hearth's copy of the shared secret (``[mqtt] secret_file``)."""
        return self.config_dir.parent / "hearth_secret.txt"

    def restart(self, hass_exe: Path | None = None) -> None:
        """Stop and start the same HA (same config and storage, same token)."""
        self.stop()
        self.start(hass_exe or ensure_installed(), onboard=False)

    def start(self, hass_exe: Path, timeout_s: float = 120.0, *, onboard: bool = True) -> None:
        log = open(self.config_dir / "stdout.log", "ab")  # noqa: SIM115 - lives as long as HA
        self.proc = subprocess.Popen(
            [str(hass_exe), "-c", str(self.config_dir), "--skip-pip", "--log-no-color"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Home Assistant exited with {self.proc.returncode}\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                r = self.session.get(f"{self.url}/api/onboarding", timeout=2)
                if r.status_code == 200:
                    break
            time.sleep(0.3)
        else:
            raise RuntimeError(f"Home Assistant did not answer within {timeout_s}s\n{self.log_tail()}")
        if onboard:
            self._onboard()
        self.wait_for(
            lambda: self.api("GET", "config").get("state") == "RUNNING", 60, "state RUNNING"
        )

    def _onboard(self) -> None:
        """Create the owner through the onboarding API and trade its auth code for a token."""
        r = self.session.post(
            f"{self.url}/api/onboarding/users",
            json={"client_id": CLIENT_ID, "name": "Test", "username": "test", "password": "test-pass-1",
                  "language": "en"},
            timeout=30,
        )
        r.raise_for_status()
        code = r.json()["auth_code"]
        r = self.session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID},
            timeout=30,
        )
        r.raise_for_status()
        self.token = r.json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def start_home_assistant(config_dir: Path, mqtt_port: int, packages: dict[str, Path]) -> HomeAssistant:
    hass_exe = ensure_installed()
    ha = HomeAssistant(config_dir=config_dir, port=free_port(), mqtt_port=mqtt_port)
    ha.write_config(packages)
    ha.start(hass_exe)
    return ha


@dataclass
class HaStack:
    """A broker and a Home Assistant with the hearth.yaml package, shared by a test session."""

    broker: Broker
    ha: HomeAssistant
    start_s: float
    """Seconds to install (first time only) and start Home Assistant."""

    def wait_listening(self, timeout_s: float = 40.0) -> float:
        """Wait until HA is subscribed to the broker again (after a broker restart HA needs up to
        ~10 s); proven by the package answering a node's ``online`` with a fresh inventory.
        Returns the seconds waited."""
        from tests.mqtt_support import Recorder

        t0 = time.monotonic()
        rec = Recorder(self.broker.port, ["hearth/inventory"])
        try:
            while time.monotonic() - t0 < timeout_s:
                rec.publish("hearth/probe/status", "online")
                with contextlib.suppress(AssertionError):
                    rec.wait("hearth/inventory", timeout_s=4, pred=lambda m: not m.retain)
                    return time.monotonic() - t0
            raise AssertionError(f"Home Assistant did not answer on MQTT within {timeout_s}s\n{self.ha.log_tail()}")
        finally:
            rec.close()

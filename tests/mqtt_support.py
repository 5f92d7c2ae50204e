"""A real mosquitto broker for tests: own config, 127.0.0.1, a free port; can be stopped and restarted.

Debian's package may also run a system broker on 1883; tests never use it.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mosquitto_exe() -> str:
    exe = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if exe is None:
        raise RuntimeError("mosquitto is not installed: apt-get install -y mosquitto (make setup does)")
    return exe


@dataclass(frozen=True)
class Tls:
    """A CA and a server certificate for 127.0.0.1/localhost, made with openssl for one test."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def make(cls, folder: Path) -> Tls:
        if shutil.which("openssl") is None:
            raise RuntimeError("openssl is not installed: apt-get install -y openssl (make setup does)")
        folder.mkdir(parents=True, exist_ok=True)
        ca, ca_key = folder / "ca.crt", folder / "ca.key"
        cert, key, csr = folder / "server.crt", folder / "server.key", folder / "server.csr"
        ext = folder / "san.ext"
        ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")

        def ssl(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

        ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
            "-days", "2", "-subj", "/CN=Hearth test CA")
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost")
        ssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
            "-out", str(cert), "-days", "2", "-extfile", str(ext))
        return cls(ca, cert, key)


@dataclass
class Broker:
    """One mosquitto process; ``stop()``/``start()`` keep the port and the persistence file.

    With ``tls`` the listener speaks only TLS; with ``users`` (name → password, hashed by
    ``mosquitto_passwd``) anonymous clients are refused; ``acl`` is an ACL file's text. Denied
    publishes and subscriptions are logged (``denied()`` reads them)."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    tls: Tls | None = None
    users: dict[str, str] = field(default_factory=dict)
    acl: str | None = None

    @property
    def conf(self) -> Path:
        return self.workdir / "mosquitto.conf"

    @property
    def log(self) -> Path:
        return self.workdir / "mosquitto.log"

    def denied(self) -> list[str]:
        """Lines where the broker refused a publish or subscribe (ACL)."""
        if not self.log.exists():
            return []
        return [ln for ln in self.log.read_text(errors="replace").splitlines() if "Denied" in ln]

    def _security(self) -> str:
        out = ""
        if self.tls is not None:
            out += f"cafile {self.tls.ca}\ncertfile {self.tls.cert}\nkeyfile {self.tls.key}\n"
        if self.users:
            pw = self.workdir / "passwd"
            pw.write_text("")
            for name, secret in self.users.items():
                subprocess.run([shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd", "-b", str(pw),
                                name, secret], check=True, capture_output=True, timeout=30)
            out += f"password_file {pw}\nallow_anonymous false\n"
        else:
            out += "allow_anonymous true\n"
        if self.acl is not None:
            acl = self.workdir / "acl"
            acl.write_text(self.acl)
            out += f"acl_file {acl}\n"
        return out

    def write_config(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        debug = "log_type debug\n" if self.acl is not None else ""
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "user root\n"  # run as root (CI), mosquitto would switch users and lose its own files
            + self._security() + debug
            + "persistence true\n"
            f"persistence_location {self.workdir}/\n"
            "autosave_interval 1\n"
            f"log_dest file {self.workdir}/mosquitto.log\n"
            "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
        )

    def start(self, timeout_s: float = 10.0) -> None:
        if not self.conf.exists():
            self.write_config()
        self.proc = subprocess.Popen([mosquitto_exe(), "-c", str(self.conf)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode}: {err}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout_s}s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc.stderr:
            self.proc.stderr.close()


@dataclass
class Received:
    topic: str
    payload: bytes
    qos: int
    retain: bool

    def json(self) -> Any:
        return json.loads(self.payload)


class Recorder:
    """A plain paho client that records every message on some topics (a test's eyes on the broker)."""

    def __init__(self, port: int, topics: list[str], client_id: str = "", clean: bool = True, *,
                 username: str | None = None, password: str | None = None, tls: Tls | None = None) -> None:
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self._topics = topics
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.1, 1)
        if username is not None:
            self.client.username_pw_set(username, password)
        if tls is not None:
            self.client.tls_set(ca_certs=str(tls.ca))
        self._subscribed = threading.Event()
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise RuntimeError("recorder could not subscribe")

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        for t in self._topics:
            client.subscribe(t, qos=1)
        # A round trip after the subscriptions proves they are in place.
        client.publish("hearth-test/ping", b"", qos=1)
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(Received(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain)))
            self._cond.notify_all()

    def on(self, topic: str) -> list[Received]:
        with self._cond:
            return [m for m in self.messages if mqtt.topic_matches_sub(topic, m.topic)]

    def wait(self, topic: str, count: int = 1, timeout_s: float = 10.0, pred: Any = None) -> list[Received]:
        """Wait until ``count`` messages matching ``topic`` (and ``pred``) arrived; return them."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                got = [
                    m for m in self.messages
                    if mqtt.topic_matches_sub(topic, m.topic) and (pred is None or pred(m))
                ]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"got {len(got)} of {count} messages on {topic}")
                self._cond.wait(left)

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class Confirmer(Recorder):
    """Stands in for Home Assistant's ``hearth`` integration in broker-only tests: answers every
    intent with a signed ``executed`` result (the same id once), so the outbox can empty. The
    real integration is tested against a real Home Assistant in tests/test_ha_*.py."""

    def __init__(self, port: int, secret: str | None = None, base: str = "hearth") -> None:
        self.secret, self.base = secret, base
        self.executed: list[str] = []
        super().__init__(port, [f"{base}/+/intent"])

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        super()._on_message(client, userdata, msg)
        from assistant.mqtt import signing

        doc = json.loads(msg.payload)
        duplicate = doc["id"] in self.executed
        if not duplicate:
            self.executed.append(doc["id"])
        result = {"id": doc["id"], "status": "executed", "reason": "", "detail": "",
                  "intent_sig": doc.get("sig", ""), "duplicate": duplicate, "ts": time.time()}
        node = msg.topic.split("/")[-2]
        client.publish(f"{self.base}/{node}/result", json.dumps(signing.sign(result, self.secret)), qos=1)

"""Building a configured paho client (TLS, credentials) and probing the broker for ``hearth doctor``."""

from __future__ import annotations

import logging
import os
import ssl
import threading
from pathlib import Path

import paho.mqtt.client as mqtt

from assistant.config import MqttConfig, read_secret
from assistant.errors import ConfigError

log = logging.getLogger(__name__)


def password(cfg: MqttConfig) -> str | None:
    """The broker password from ``password_env``, else the first line of ``password_file``."""
    return read_secret(cfg.password_env, cfg.password_file, "[mqtt] password_file")


def make_client(cfg: MqttConfig, client_id: str) -> mqtt.Client:
    """A paho 2.x client (MQTT 3.1.1, clean session) with TLS and credentials from the config."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=True,
        protocol=mqtt.MQTTv311,
    )
    if cfg.username:
        client.username_pw_set(cfg.username, password(cfg))
    if cfg.tls:
        for key in ("ca_file", "cert_file", "key_file"):
            value = getattr(cfg, key)
            if value and not Path(value).expanduser().is_file():
                raise ConfigError(f"[mqtt] {key} = {value!r} does not exist")
        if bool(cfg.cert_file) != bool(cfg.key_file):
            raise ConfigError("[mqtt] cert_file and key_file must be given together (client certificate)")
        try:
            client.tls_set(
                ca_certs=str(Path(cfg.ca_file).expanduser()) if cfg.ca_file else None,
                certfile=str(Path(cfg.cert_file).expanduser()) if cfg.cert_file else None,
                keyfile=str(Path(cfg.key_file).expanduser()) if cfg.key_file else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        except (ssl.SSLError, OSError, ValueError) as e:
            raise ConfigError(f"[mqtt] TLS files could not be loaded: {e}") from e
    return client


def probe(cfg: MqttConfig, timeout_s: float = 5.0) -> tuple[bool, str]:
    """Connect once and report ``(ok, message)``; the message names the fix when it fails."""
    where = f"{cfg.host}:{cfg.port}"
    try:
        client = make_client(cfg, f"hearth-probe-{os.getpid()}")
    except ConfigError as e:
        return False, e.message
    result: dict[str, object] = {}
    done = threading.Event()

    def on_connect(c: mqtt.Client, u: object, flags: object, rc: mqtt.ReasonCode, p: object) -> None:
        result["rc"] = rc
        done.set()

    client.on_connect = on_connect
    try:
        client.connect(cfg.host, cfg.port, keepalive=10)
    except (OSError, ssl.SSLError) as e:
        return False, (
            f"cannot reach the MQTT broker at {where}: {e}; start the broker or fix [mqtt] host/port"
        )
    client.loop_start()
    try:
        if not done.wait(timeout_s):
            return False, f"the broker at {where} did not answer CONNECT within {timeout_s:.0f}s"
        rc = result["rc"]
        if isinstance(rc, mqtt.ReasonCode) and rc.is_failure:
            fix = (
                "check [mqtt] username and the password in $" + cfg.password_env
                if "auth" in str(rc).lower() or "password" in str(rc).lower()
                else "check the broker's log"
            )
            return False, f"the broker at {where} refused the connection: {rc}; {fix}"
        return True, f"connected to the MQTT broker at {where}" + (" (TLS)" if cfg.tls else "")
    finally:
        client.disconnect()
        client.loop_stop()

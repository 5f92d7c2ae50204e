"""A systemd unit for ``hearth run``: sandboxed, restarted on failure, network limited to loopback
and the MQTT broker. Rendering is a pure function; installing talks to ``systemctl`` when
systemd runs here, else says what to run."""

from __future__ import annotations

import getpass
import ipaddress
import logging
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Config
from assistant.errors import ConfigError

log = logging.getLogger(__name__)

UNIT_NAME = "hearth.service"
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")


def user_unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def unit_path(user: bool, unit_dir: str | Path | None = None) -> Path:
    return Path(unit_dir or (user_unit_dir() if user else SYSTEM_UNIT_DIR)) / UNIT_NAME


def hearth_command() -> list[str]:
    """How to start Hearth from this installation: the ``hearth`` script beside the interpreter."""
    script = Path(sys.executable).parent / "hearth"
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def broker_addresses(cfg: Config) -> list[str]:
    """The broker's IP addresses, resolved now (the sandbox allows addresses, not names)."""
    if not cfg.mqtt.enabled:
        return []
    host = cfg.mqtt.host
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, cfg.mqtt.port, proto=socket.IPPROTO_TCP)
    except OSError as e:
        raise ConfigError(f"[mqtt] host = {host!r} does not resolve ({e}); the service may reach only "
                          "addresses: set host to the broker's IP address") from e
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """Everything a unit depends on, resolved (so rendering is pure and testable)."""

    command: tuple[str, ...]
    config_path: str | None
    data_dir: str
    broker_ips: tuple[str, ...]
    user: bool
    run_as: str | None = None
    """System units run as this account (never root); None in user units."""


def spec_for(cfg: Config, *, user: bool, config_path: str | None) -> UnitSpec:
    run_as = None
    if not user:
        run_as = os.environ.get("SUDO_USER") or getpass.getuser()
        if run_as == "root":
            raise ConfigError("a system service would run Hearth as root; run the install with sudo from the "
                              "account Hearth should run as, or use: hearth service install --user")
    return UnitSpec(tuple(hearth_command()), str(Path(config_path).resolve()) if config_path else None,
                    str(cfg.data_dir.expanduser().resolve()), tuple(broker_addresses(cfg)), user, run_as)


def render_unit(spec: UnitSpec) -> str:
    """The unit file text."""
    args = [*spec.command, *(["--config", spec.config_path] if spec.config_path else []), "run"]
    env_file = "%h/.config/hearth/env" if spec.user else "/etc/hearth/env"
    allow = " ".join(["localhost", *spec.broker_ips])
    lines = [
        "# Written by `hearth service install`; `hearth service uninstall` removes it.",
        "[Unit]",
        "Description=Hearth offline voice assistant",
        "After=network-online.target sound.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=" + " ".join(_quote(a) for a in args),
        f"Environment=HEARTH_DATA_DIR={_quote(spec.data_dir)}",
        "Environment=PYTHONUNBUFFERED=1",
        f"EnvironmentFile=-{env_file}",
        *([f"User={spec.run_as}", "SupplementaryGroups=audio"] if spec.run_as else []),
        "Restart=on-failure",
        "RestartSec=5",
        "TimeoutStopSec=10",
        "KillSignal=SIGTERM",
        "# Sandbox: nothing to escalate, a read-only system, only the data dir writable.",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        f"ReadWritePaths={_quote(spec.data_dir)}",
        "PrivateTmp=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectControlGroups=yes",
        "RestrictSUIDSGID=yes",
        "LockPersonality=yes",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
        "# Network: loopback and the MQTT broker only; Hearth never needs the internet.",
        "IPAddressDeny=any",
        f"IPAddressAllow={allow}",
        "",
        "[Install]",
        f"WantedBy={'default.target' if spec.user else 'multi-user.target'}",
        "",
    ]
    return "\n".join(lines)


def _quote(arg: str) -> str:
    """systemd's quoting: double quotes around anything with spaces, quotes or backslashes."""
    if arg and not any(c in arg for c in ' "\\\'$%'):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$") + '"'


def systemd_running() -> bool:
    return Path("/run/systemd/system").exists() and shutil.which("systemctl") is not None


def systemctl(user: bool, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemctl", *(["--user"] if user else []), *args], capture_output=True, text=True,
                          timeout=30)


def state(user: bool, unit_dir: str | Path | None = None) -> tuple[bool, str]:
    """(installed, what systemd says: active/inactive/failed/... or why it cannot say)."""
    path = unit_path(user, unit_dir)
    if not path.exists():
        return False, "not installed"
    if not systemd_running():
        return True, f"installed at {path}; systemd is not running here"
    active = systemctl(user, "is-active", UNIT_NAME).stdout.strip() or "unknown"
    enabled = systemctl(user, "is-enabled", UNIT_NAME).stdout.strip() or "unknown"
    return True, f"installed, {active}, {enabled} ({path})"

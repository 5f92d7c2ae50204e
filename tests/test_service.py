"""``hearth service``: the generated unit passes ``systemd-analyze verify`` and is sandboxed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Config
from assistant.service import UnitSpec, broker_addresses, render_unit, spec_for

ANALYZE = "/usr/bin/systemd-analyze"


def verify(unit: Path, tmp_path: Path, user: bool) -> None:
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    r = subprocess.run([ANALYZE, *(["--user"] if user else []), "verify", str(unit)], capture_output=True,
                       text=True, timeout=60, env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "ignoring" not in out and "Unknown" not in out, out  # a misspelt key is only a warning


def directives(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


@pytest.mark.parametrize("user", [False, True])
def test_generated_unit_verifies_and_is_sandboxed(tmp_path: Path, user: bool) -> None:
    data = tmp_path / "data dir"  # a space: quoting must hold
    spec = UnitSpec(command=(sys.executable, "-m", "assistant.cli"), config_path=str(tmp_path / "hearth.toml"),
                    data_dir=str(data), broker_ips=("192.168.1.10",), user=user,
                    run_as=None if user else "nobody")
    unit = tmp_path / "hearth.service"
    unit.write_text(render_unit(spec))
    verify(unit, tmp_path, user)
    d = directives(unit.read_text())
    assert d["NoNewPrivileges"] == "yes" and d["ProtectSystem"] == "strict" and d["PrivateTmp"] == "yes"
    assert d["ReadWritePaths"] == f'"{data}"'
    assert d["IPAddressDeny"] == "any" and d["IPAddressAllow"] == "localhost 192.168.1.10"
    assert d["Restart"] == "on-failure"
    assert d["ExecStart"].endswith(f"--config {tmp_path / 'hearth.toml'} run")
    assert d["WantedBy"] == ("default.target" if user else "multi-user.target")
    assert ("User" in d) is (not user)


def test_broker_address_goes_into_the_allow_list() -> None:
    cfg = Config().replace("mqtt", enabled=True, host="10.0.0.7")
    assert broker_addresses(cfg) == ["10.0.0.7"]
    assert "127.0.0.1" in broker_addresses(cfg.replace("mqtt", host="localhost"))
    assert broker_addresses(Config()) == []  # MQTT off: loopback only
    spec = spec_for(cfg.replace("general", data_dir="/srv/hearth"), user=True, config_path=None)
    assert spec.broker_ips == ("10.0.0.7",) and spec.data_dir == "/srv/hearth"


def hearth(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True,
                          timeout=120)


def test_install_status_uninstall_cli(tmp_path: Path) -> None:
    cfg = tmp_path / "hearth.toml"
    cfg.write_text(f'[general]\ndata_dir = "{tmp_path / "data"}"\n[mqtt]\nenabled = true\nhost = "127.0.0.1"\n')
    units = tmp_path / "units"
    assert hearth("--config", str(cfg), "service", "status", "--user", "--unit-dir", str(units)).returncode == 3
    r = hearth("--config", str(cfg), "service", "install", "--user", "--unit-dir", str(units))
    assert r.returncode == 0, r.stderr
    unit = units / "hearth.service"
    d = directives(unit.read_text())
    assert d["IPAddressAllow"] == "localhost 127.0.0.1"
    assert d["ReadWritePaths"] == str(tmp_path / "data") and (tmp_path / "data").is_dir()
    verify(unit, tmp_path, user=True)
    r = hearth("--config", str(cfg), "service", "status", "--user", "--unit-dir", str(units))
    assert r.returncode == 0 and "installed" in r.stdout
    r = hearth("--config", str(cfg), "service", "uninstall", "--user", "--unit-dir", str(units))
    assert r.returncode == 0 and not unit.exists()


def test_doctor_reports_the_service(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    cfg = tmp_path / "hearth.toml"
    cfg.write_text(f'[general]\ndata_dir = "{tmp_path / "data"}"\n')
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "--config", str(cfg), "doctor"], capture_output=True,
                       text=True, timeout=300, env=env)
    line = next(x for x in r.stdout.splitlines() if "] service" in x)
    assert "not installed" in line
    subprocess.run([sys.executable, "-m", "assistant.cli", "--config", str(cfg), "service", "install", "--user",
                    "--no-start"], check=True, capture_output=True, timeout=120, env=env)
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "--config", str(cfg), "doctor"], capture_output=True,
                       text=True, timeout=300, env=env)
    line = next(x for x in r.stdout.splitlines() if "] service" in x)
    assert "user:" in line and "installed" in line

"""Real Wyoming satellites for tests: ``wyoming-satellite`` 1.0.0 from PyPI in its own virtual
environment (it pins ``wyoming==1.4.1``), a microphone that plays a recording in real time once a
trigger file appears (silence before and after), and a speaker that appends what it plays to a file."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from tests.mqtt_support import free_port

SATELLITE_PINS = ("wyoming-satellite==1.0.0", "wyoming==1.4.1")
CACHE = Path(os.environ.get("HEARTH_TEST_CACHE", str(Path.home() / ".cache" / "hearth-tests")))
SND_RATE = 22050
"""The satellite's default --snd-command-rate: what it writes to the speaker command."""

MIC_SCRIPT = r'''
import os, sys, time
pcm, trigger = open(sys.argv[1], "rb").read(), sys.argv[2]
chunk = 1024 * 2
out = sys.stdout.buffer
t0 = time.monotonic(); sent = 0; played = False; pos = 0
while True:
    if not played and pos == 0 and os.path.exists(trigger):
        played = True
    if played and pos < len(pcm):
        data = pcm[pos:pos + chunk]; pos += len(data)
        data = data + bytes(chunk - len(data))
    else:
        data = bytes(chunk)
    out.write(data); out.flush()
    sent += chunk // 2
    delay = t0 + sent / 16000 - time.monotonic()
    if delay > 0:
        time.sleep(delay)
'''


def satellite_python() -> Path:
    """The satellite venv's python, created once under the cache directory."""
    venv = CACHE / "wyoming-satellite-1.0.0"
    py = venv / "bin" / "python"
    stamp = venv / ".installed"
    if stamp.exists():
        return py
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".wyoming-satellite.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return py
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "--disable-pip-version-check", "-q", "install", *SATELLITE_PINS],
                       check=True)
        stamp.touch()
    return py


def wait_port(port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class Satellite:
    name: str
    port: int
    workdir: Path
    proc: subprocess.Popen[bytes]
    log_file: IO[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def trigger(self) -> Path:
        return self.workdir / "play"

    @property
    def played_path(self) -> Path:
        return self.workdir / "played.raw"

    def play(self) -> None:
        """Start the recording on the satellite's microphone."""
        self.trigger.touch()

    def played(self) -> np.ndarray:
        """What the satellite's speaker received so far (int16 at SND_RATE)."""
        if not self.played_path.exists():
            return np.zeros(0, dtype=np.int16)
        data = self.played_path.read_bytes()
        return np.frombuffer(data[: len(data) // 2 * 2], dtype=np.int16)

    def log(self) -> str:
        return (self.workdir / "satellite.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log_file is not None:
            self.log_file.close()


def start_satellite(name: str, workdir: Path, recording: np.ndarray, port: int | None = None,
                    zeroconf_name: str = "") -> Satellite:
    """A ``wyoming-satellite`` whose microphone plays ``recording`` (16 kHz int16) when triggered.
    With ``zeroconf_name`` it listens on every interface and announces itself through zeroconf."""
    py = satellite_python()
    workdir.mkdir(parents=True, exist_ok=True)
    mic = workdir / "mic.py"
    mic.write_text(MIC_SCRIPT)
    pcm = workdir / "recording.raw"
    pcm.write_bytes(np.asarray(recording, dtype=np.int16).tobytes())
    trigger = workdir / "play"
    port = port or free_port()
    cmd = [
        str(py), "-m", "wyoming_satellite", "--name", name,
        "--uri", f"tcp://{'0.0.0.0' if zeroconf_name else '127.0.0.1'}:{port}",
        "--mic-command", f"{sys.executable} {mic} {pcm} {trigger}",
        "--snd-command", f"sh -c 'cat >> {workdir / 'played.raw'}'",
        *(["--zeroconf-name", zeroconf_name] if zeroconf_name else ["--no-zeroconf"]), "--debug",
    ]
    log = open(workdir / "satellite.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port)
    except TimeoutError:
        proc.kill()
        proc.wait()
        log.close()
        raise RuntimeError(f"wyoming-satellite did not start:\n{(workdir / 'satellite.log').read_text()}") from None
    return Satellite(name, port, workdir, proc, log)


@contextlib.contextmanager
def satellites(tmp: Path, recordings: dict[str, np.ndarray]) -> Iterator[dict[str, Satellite]]:
    started: dict[str, Satellite] = {}
    try:
        for name, rec in recordings.items():
            started[name] = start_satellite(name, tmp / name, rec)
        yield started
    finally:
        for sat in started.values():
            sat.stop()

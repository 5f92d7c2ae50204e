"""``hearth run --input -`` fed in real time, as a microphone would: for tests that need wall-clock
behaviour (timers ringing, SIGTERM, soak). Events come back as JSON lines with arrival times."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tests import audiogen

FRAME_S = 0.08
FRAME = int(16000 * FRAME_S)


class PacedHearth:
    """One ``hearth run`` process; :meth:`say` queues audio, silence is fed in between."""

    def __init__(self, config: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "--config", str(config), "run", "--input", "-",
             "--output", "none", "--json", *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.stderr: list[str] = []
        self._pending = np.zeros(0, dtype=np.int16)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.fed_s = 0.0
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=self._feed, daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(b"{"):
                self.events.append((time.monotonic(), json.loads(line)))

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line.decode(errors="replace"))

    def _feed(self) -> None:
        """80 ms frames on an absolute schedule (no drift); silence when nothing is queued."""
        assert self.proc.stdin is not None
        t0 = time.monotonic()
        n = 0
        while not self._stop.is_set():
            with self._lock:
                frame, self._pending = self._pending[:FRAME], self._pending[FRAME:]
            if len(frame) < FRAME:
                frame = np.concatenate([frame, np.zeros(FRAME - len(frame), dtype=np.int16)])
            try:
                self.proc.stdin.write(frame.astype("<i2").tobytes())
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                return
            n += 1
            self.fed_s = n * FRAME_S
            delay = t0 + n * FRAME_S - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def say(self, audio: np.ndarray) -> float:
        """Queue ``audio``; returns the seconds until it has been fed completely."""
        with self._lock:
            self._pending = np.concatenate([self._pending, audio.astype(np.int16)])
            return len(self._pending) / 16000

    def command(self, text: str) -> float:
        return self.say(audiogen.wake_command(text, lead_s=0.5))

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for _, e in list(self.events) if e["type"] == kind]

    def wait_for(self, pred: Callable[[dict[str, Any]], bool], timeout_s: float, after: int = 0) -> dict[str, Any]:
        """The first event from index ``after`` on for which ``pred`` holds; fails after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for _, e in list(self.events)[after:]:
                if pred(e):
                    return e
            if self.proc.poll() is not None:
                raise AssertionError(f"hearth run exited with {self.proc.returncode}: {self.tail()}")
            time.sleep(0.05)
        raise AssertionError(f"no matching event within {timeout_s} s; types seen: "
                             f"{[e['type'] for _, e in self.events[after:]][-30:]}; {self.tail()}")

    def wait_ready(self, timeout_s: float = 300) -> None:
        """Models loaded and the stream running (the first ``idle``)."""
        self.wait_for(lambda e: e["type"] == "StateChanged" and e["state"] == "idle", timeout_s)

    def tail(self, n: int = 3000) -> str:
        return "".join(self.stderr)[-n:]

    def stop_feeding(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

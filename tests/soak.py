"""Soak harness: ``hearth run`` fed real speech in real time for a long while, with timers (some
acknowledged, some left to ring out), Home Assistant announcements and cancels over MQTT, and broker
restarts; RSS and threads sampled throughout, the metrics endpoint scraped at the end.

``tests/test_soak.py`` runs it for 10 minutes in CI; for hours:
``python -m tests.soak --duration-s 7200 --out /some/dir`` (figures in ``samples.jsonl`` and
``summary.json``, updated as it goes).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import statistics
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psutil

from assistant.home import inventory
from tests import audiogen
from tests.mqtt_support import Broker, free_port
from tests.paced import PacedHearth

NODE = "soak"
SLOT_S = 17.0
"""One command every this many seconds."""
CYCLE: list[tuple[str, str | None]] = [
    # (what is said, the intent expected: None = an acknowledgement of a ringing timer, "*" = any answer)
    ("Turn on the kitchen light.", "HassTurnOn"),
    ("Tell me a joke.", "*"),  # no template: the LLM answers
    ("What time is it?", "HassGetCurrentTime"),
    ("Set a timer for four seconds.", "HassStartTimer"),
    ("Stop.", None),
    ("Turn off the bedroom light.", "HassTurnOff"),
    ("Is the garage door open?", "HassGetState"),
    ("Set a timer for six seconds.", "HassStartTimer"),  # left to ring for a minute
    ("Turn off the kitchen light.", "HassTurnOff"),
    ("Turn on the bedroom light.", "HassTurnOn"),
]
ANNOUNCE_EVERY_S = 45.0
CANCEL_AT_SLOT = 6
"""Home Assistant's announce-then-cancel comes with this command of each cycle, when no timer rings
(Cancel also silences a ringing timer, which would take the spoken "stop" its job)."""
BROKER_RESTART_EVERY_S = 1800.0
WARMUP_SHARE = 0.5
"""RSS and threads are compared with their values after this share of the run: by then every kind
of command ran several times and the allocators of the models (Whisper's encoder on windows of
several lengths, Piper, llama.cpp) have reached their high-water marks, which they keep; a leak
keeps growing after it."""


@dataclass
class Figures:
    commands: int = 0
    answered: int = 0
    wrong_intent: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    """Each command with no answer, with what the pipeline did in its slot (for the log)."""
    acks_said: int = 0
    timers_finished: int = 0
    timers_acknowledged: dict[str, int] = field(default_factory=dict)
    announcements_sent: int = 0
    announcements_heard: int = 0
    cancels_sent: int = 0
    broker_restarts: int = 0
    mqtt_connects: int = 0
    worker_restarts: int = 0
    run_failed: int = 0
    samples: list[tuple[int, float, int]] = field(default_factory=list)
    """(seconds, RSS MB, OS threads) every 10 s."""
    baseline_rss_mb: float | None = None
    baseline_threads: int | None = None
    last_rss_mb: float = 0.0
    max_rss_mb: float = 0.0
    last_threads: int = 0
    max_threads: int = 0
    elapsed_s: float = 0.0
    alive: bool = True
    sigterm_exit_s: float | None = None
    exit_code: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def rss_growth_mb(self) -> float:
        """RSS trend after the warm-up: the median of the run's last quarter minus the median of the
        quarter right after the warm-up. RSS swings by tens of MB with each command's buffers (a
        reply being synthesised, a transcription under way): a leak moves the median, a swing does
        not, whereas one sample minus another measures mostly where each swing happened to be."""
        if not self.samples:
            return 0.0
        end = self.samples[-1][0]
        after = [rss for t, rss, _ in self.samples if WARMUP_SHARE * end <= t < (1 + WARMUP_SHARE) / 2 * end]
        last = [rss for t, rss, _ in self.samples if t >= (1 + WARMUP_SHARE) / 2 * end]
        if not after or not last:
            return 0.0
        return statistics.median(last) - statistics.median(after)


def scrape(port: int) -> dict[str, float]:
    """The endpoint's samples as {name{labels}: value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) ([-+0-9.eE]+|NaN)$", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def _brief(e: dict[str, Any]) -> str:
    """One event in a few words, for the log of a command that went unanswered."""
    extra = e.get("state") or e.get("text") or e.get("reason") or e.get("error") or ""
    return f"{e['type']}({extra})" if extra else e["type"]


class Soak:
    def __init__(self, workdir: Path, duration_s: float, out: Path | None = None) -> None:
        self.workdir, self.duration_s, self.out = workdir, duration_s, out
        self.broker = Broker(workdir / "broker")
        self.metrics_port = free_port()
        self.fig = Figures()
        self._stop = threading.Event()
        self.t0 = 0.0

    def config(self) -> Path:
        cfg = self.workdir / "hearth.toml"
        cfg.write_text(
            f'[general]\nnode_id = "{NODE}"\ndata_dir = "{self.workdir / "data"}"\nlog_level = "INFO"\n\n'
            f'[brain]\ninventory = "{inventory.bundled_path()}"\n\n'
            f'[mqtt]\nenabled = true\nport = {self.broker.port}\n\n'
            f'[metrics]\nport = {self.metrics_port}\nha_interval_s = 30.0\n'
        )
        return cfg

    def run(self) -> Figures:
        self.broker.start()
        h = PacedHearth(self.config())
        self.h = h
        ha = self.ha = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="soak-ha")
        ha.connect_async("127.0.0.1", self.broker.port)
        ha.loop_start()
        side = threading.Thread(target=self._home_assistant, args=(ha,), daemon=True)
        try:
            h.wait_ready()
            self.t0 = time.monotonic()
            side.start()
            sampler = threading.Thread(target=self._sample, daemon=True)
            sampler.start()
            i = 0
            while time.monotonic() - self.t0 < self.duration_s - SLOT_S:
                self._one(CYCLE[i % len(CYCLE)], i)
                i += 1
                if self.fig.baseline_rss_mb is None and time.monotonic() - self.t0 >= WARMUP_SHARE * self.duration_s:
                    self._baseline()
            time.sleep(5)  # let the last announcements and rings settle
            self._final()
        finally:
            self._stop.set()
            ha.loop_stop()
            h.close()
            self.broker.stop()
            self._write()
        return self.fig

    def _one(self, item: tuple[str, str | None], i: int) -> None:
        text, intent = item
        h, fig = self.h, self.fig
        slot_end = time.monotonic() + SLOT_S
        before = len(h.events)
        if intent is None:
            fig.acks_said += 1
        else:
            fig.commands += 1
        feed_s = h.say(audiogen.concat(audiogen.noise(0.3, "pink", 0.003, seed=i), audiogen.speak("Hey Jarvis."),
                                       audiogen.silence(0.3), audiogen.speak(text), audiogen.silence(1.0)))
        if i % len(CYCLE) == CANCEL_AT_SLOT:
            self._announce_and_cancel()
        if intent is not None:
            try:
                e = h.wait_for(lambda e: e["type"] == "Understood", feed_s + 60, after=before)
                fig.answered += 1
                got = [x["intent"] for x in e["understanding"]["intents"]]
                if intent != "*" and got != [intent]:
                    fig.wrong_intent.append(f"{text!r} -> {got} ({e['understanding']['text']!r})")
            except AssertionError:
                fig.alive = h.proc.poll() is None
                if not fig.alive:
                    raise
                fig.unanswered.append(f"{text!r} at {time.monotonic() - self.t0:.0f}s: " + "; ".join(
                    _brief(e) for _, e in list(h.events)[before:]))
        self._tally()
        time.sleep(max(0.0, slot_end - time.monotonic()))

    def _announce_and_cancel(self) -> None:
        """A long announcement cut short at once: the cancel races the pipeline taking it."""
        self.ha.publish(f"hearth/{NODE}/announce", "Someone is at the front door, please have a look.", qos=1)
        time.sleep(0.05)
        self.ha.publish(f"hearth/{NODE}/cancel", "PRESS", qos=1)
        self.fig.cancels_sent += 1

    def _home_assistant(self, ha: mqtt.Client) -> None:
        """Announcements and broker restarts, on their own clocks."""
        next_announce = ANNOUNCE_EVERY_S
        next_restart = min(BROKER_RESTART_EVERY_S, self.duration_s * 0.4)
        while not self._stop.wait(0.5):
            t = time.monotonic() - self.t0
            if t >= next_announce:
                ha.publish(f"hearth/{NODE}/announce", "The washing machine has finished.", qos=1)
                self.fig.announcements_sent += 1
                next_announce += ANNOUNCE_EVERY_S
            if t >= next_restart:
                self.broker.stop()
                time.sleep(3)
                self.broker.start()
                self.fig.broker_restarts += 1
                next_restart += BROKER_RESTART_EVERY_S

    def _sample(self) -> None:
        proc = psutil.Process(self.h.proc.pid)
        while not self._stop.wait(10):
            try:
                rss = proc.memory_info().rss / 2**20
                threads = proc.num_threads()
            except psutil.Error:
                return
            fig = self.fig
            fig.last_rss_mb, fig.last_threads = round(rss, 1), threads
            fig.max_rss_mb, fig.max_threads = max(fig.max_rss_mb, fig.last_rss_mb), max(fig.max_threads, threads)
            fig.elapsed_s = round(time.monotonic() - self.t0)
            fig.samples.append((fig.elapsed_s, fig.last_rss_mb, threads))
            self._tally()
            if self.out is not None:
                with (self.out / "samples.jsonl").open("a") as f:
                    f.write(json.dumps({"t_s": fig.elapsed_s, "rss_mb": fig.last_rss_mb, "threads": threads,
                                        "commands": fig.commands, "answered": fig.answered,
                                        "mqtt_connects": fig.mqtt_connects,
                                        "worker_restarts": fig.worker_restarts}) + "\n")
                self._write()

    def _baseline(self) -> None:
        proc = psutil.Process(self.h.proc.pid)
        self.fig.baseline_rss_mb = round(proc.memory_info().rss / 2**20, 1)
        self.fig.baseline_threads = proc.num_threads()

    def _tally(self) -> None:
        h, fig = self.h, self.fig
        fig.timers_finished = len(h.of_type("TimerFinished"))
        acks: dict[str, int] = {}
        for e in h.of_type("TimerAcknowledged"):
            acks[e["how"]] = acks.get(e["how"], 0) + 1
        fig.timers_acknowledged = acks
        fig.announcements_heard = len([e for e in h.of_type("Announcement") if e["source"] == "homeassistant"
                                       and e["text"].startswith("The washing machine")])
        fig.worker_restarts = len([e for e in h.of_type("ServiceStatus") if e["status"] == "restarting"])
        fig.run_failed = len(h.of_type("RunFailed"))
        fig.mqtt_connects = "".join(h.stderr).count("connected to MQTT broker")

    def _final(self) -> None:
        fig, h = self.fig, self.h
        proc = psutil.Process(h.proc.pid)
        fig.last_rss_mb = round(proc.memory_info().rss / 2**20, 1)
        fig.last_threads = proc.num_threads()
        fig.elapsed_s = round(time.monotonic() - self.t0)
        wanted = ("hearth_commands_total", "hearth_stage_seconds_count", "hearth_stage_seconds_sum",
                  "hearth_wake_detections_total", "hearth_timers_finished_total", "hearth_announcements_total",
                  "hearth_worker_restarts_total", "hearth_outbox_depth", "hearth_outbox_oldest_age_seconds",
                  "hearth_threads", "hearth_cpu_percent", "process_resident_memory_bytes",
                  "process_cpu_seconds_total", "hearth_model_load_seconds", "hearth_timers_active",
                  "hearth_worker_up", "hearth_run_failures_total")
        fig.metrics = {k: v for k, v in scrape(self.metrics_port).items() if k.startswith(wanted)}
        self._tally()
        fig.alive = h.proc.poll() is None
        t0 = time.monotonic()
        h.proc.send_signal(signal.SIGTERM)
        fig.exit_code = h.proc.wait(30)
        fig.sigterm_exit_s = round(time.monotonic() - t0, 2)

    def _write(self) -> None:
        if self.out is None:
            return
        doc: dict[str, Any] = {**asdict(self.fig), "rss_growth_mb": round(self.fig.rss_growth_mb, 1),
                               "duration_s": self.duration_s}
        (self.out / "summary.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--duration-s", type=float, default=600.0)
    p.add_argument("--out", type=Path, help="folder for samples.jsonl and summary.json")
    args = p.parse_args()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hearth-soak-") as d:
        fig = Soak(Path(d), args.duration_s, args.out).run()
    print(json.dumps({**asdict(fig), "rss_growth_mb": round(fig.rss_growth_mb, 1)}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()

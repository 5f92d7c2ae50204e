"""``hearth bench``: per-stage latency, real-time factors, CPU and memory of the real pipeline,
and the naive way of wiring the same libraries, measured in the same run.

Spoken commands are synthesised at start (Piper for English, the Chinese voice for Mandarin), each
preceded by "Hey Jarvis", and streamed through the real Pipeline in real time, so the trailing
silence the end-of-speech detector waits for costs real seconds, as it would at a microphone.
"""

from __future__ import annotations

import json
import logging
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.sinks import NullSink
from assistant.audio.sources import frames_of
from assistant.audio.wav import resample
from assistant.config import Config
from assistant.events import EventBus, RunFinished, SpeakingStarted, Transcribed, Understood, WakeDetected
from assistant.pipeline import Pipeline

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BenchCommand:
    text: str
    language: str


# Spoken commands: some the templates cover, some only the LLM understands.
COMMANDS = (
    BenchCommand("Turn on the kitchen light.", "en"),
    BenchCommand("Set the bedroom light to forty percent.", "en"),
    BenchCommand("What time is it?", "en"),
    BenchCommand("Is the garage door open?", "en"),
    BenchCommand("It's way too dark in the office.", "en"),
    BenchCommand("Could you get the coffee machine going?", "en"),
    BenchCommand("I'd like the living room blinds halfway, please.", "en"),
    BenchCommand("打开厨房的灯", "zh"),
    BenchCommand("现在几点了", "zh"),
    BenchCommand("卧室有点暗，帮我开一下灯", "zh"),
)
QUICK = (COMMANDS[0], COMMANDS[4], COMMANDS[7])


class PacedSource:
    """Yields frames no faster than real time, like a microphone (``live``)."""

    live = True

    def __init__(self, audio: np.ndarray, frame_samples: int) -> None:
        self.audio = audio
        self.frame_samples = frame_samples

    def frames(self) -> Iterator[np.ndarray]:
        frame_s = self.frame_samples / SAMPLE_RATE
        t0 = time.monotonic()
        for i, frame in enumerate(frames_of(self.audio, self.frame_samples)):
            delay = t0 + (i + 1) * frame_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            yield frame

    def close(self) -> None:
        pass


def percentile(values: list[float], q: float) -> float:
    """The q-quantile of ``values`` by linear interpolation; NaN when there are none."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95), "n": len(values)}


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _silence(seconds: float, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0, 20, int(seconds * SAMPLE_RATE)).astype(np.int16)


@dataclass
class _Clip:
    cmd: BenchCommand
    audio: np.ndarray
    wake_end_s: float
    """Where "Hey Jarvis" ends in the clip, seconds."""
    speech_s: float


@dataclass
class _RunResult:
    cmd: BenchCommand
    path: str
    text: str
    reply: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    wake_delay_ms: float | None = None
    stt_rtf: float | None = None


class Bench:
    def __init__(self, cfg: Config, *, quick: bool, runs: int | None) -> None:
        self.cfg = cfg.replace("mqtt", enabled=False)
        self.quick = quick
        self.runs = runs or (1 if quick else 3)
        self.commands = QUICK if quick else COMMANDS
        self.report: dict[str, Any] = {"mode": "quick" if quick else "full", "runs_per_command": self.runs}

    # ---- set-up ---------------------------------------------------------------------------------
    def load(self) -> None:
        from assistant import app

        rss0 = _peak_rss_bytes()
        self.engines = app.build_engines(self.cfg)
        self.report["load_s"] = dict(self.engines.load_s)
        if any(c.language == "zh" for c in self.commands):
            t0 = time.perf_counter()
            self.engines.stt.warm("zh")  # type: ignore[attr-defined]
            self.report["load_s"]["stt_zh"] = time.perf_counter() - t0
        self.report["rss_after_load_bytes"] = _peak_rss_bytes()
        self.report["rss_before_load_bytes"] = rss0

    def _clip(self, cmd: BenchCommand, rng: np.random.Generator) -> _Clip:
        tts = self.engines.tts
        wake = np.concatenate([resample(c, tts.sample_rate) for c in tts.synthesize("Hey Jarvis.", "en")])
        speech = np.concatenate([resample(c, tts.sample_rate) for c in tts.synthesize(cmd.text, cmd.language)])
        lead = _silence(1.5, rng)
        audio = np.concatenate([lead, wake, _silence(0.3, rng), speech, _silence(1.5, rng)])
        return _Clip(cmd, audio, (len(lead) + len(wake)) / SAMPLE_RATE, len(speech) / SAMPLE_RATE)

    # ---- the real pipeline -----------------------------------------------------------------------
    def _run_clip(self, clip: _Clip) -> _RunResult:
        e = self.engines
        bus = EventBus()
        got: dict[str, Any] = {}
        bus.subscribe(lambda ev: got.setdefault("wake", ev), WakeDetected)
        bus.subscribe(lambda ev: got.setdefault("stt", ev), Transcribed)
        bus.subscribe(lambda ev: got.setdefault("u", ev), Understood)
        bus.subscribe(lambda ev: got.setdefault("speak", ev), SpeakingStarted)
        bus.subscribe(lambda ev: got.setdefault("fin", ev), RunFinished)
        e.wake.reset()
        cfg = self.cfg.replace("general", language=clip.cmd.language)
        p = Pipeline(cfg, wake=e.wake, vad=e.vad, stt=e.stt, brain=e.brain, tts=e.tts, sink=NullSink(), bus=bus)
        p.run(PacedSource(clip.audio, p.frame_samples))
        u = got["u"].understanding if "u" in got else None
        r = _RunResult(clip.cmd, u.path if u else "none", got["stt"].text if "stt" in got else "",
                       u.reply if u else "")
        if "fin" in got:
            r.timings_ms = dict(got["fin"].timings_ms)
        if "wake" in got:
            r.wake_delay_ms = (got["wake"].t_s - clip.wake_end_s) * 1000
        if "stt" in got and got["stt"].audio_s:
            r.stt_rtf = got["stt"].seconds / got["stt"].audio_s
        return r

    def measure_pipeline(self) -> None:
        rng = np.random.default_rng(1)
        clips = [self._clip(c, rng) for c in self.commands]
        for clip in clips:  # warm-up: every code path once, not counted
            self._run_clip(clip)
        results = [self._run_clip(clip) for _ in range(self.runs) for clip in clips]
        self.results = results
        per_path: dict[str, list[float]] = {}
        per_key: dict[str, dict[str, list[float]]] = {}
        for r in results:
            first = r.timings_ms.get("eos_to_first_audio")
            if first is None:
                continue
            per_path.setdefault(r.path, []).append(first / 1000)
            if r.path in ("llm", "none"):  # "none" with an LLM on: it decoded, then nothing was done
                per_path.setdefault("llm+none", []).append(first / 1000)
            for k in ("eos_detect", "stt_wait", "stt", "understand", "tts_first"):
                if k in r.timings_ms:
                    per_key.setdefault(r.path, {}).setdefault(k, []).append(r.timings_ms[k] / 1000)
        self.report["eos_to_first_audio_s"] = {p: _stats(v) for p, v in per_path.items()}
        self.report["breakdown_s"] = {p: {k: _stats(v) for k, v in d.items()} for p, d in per_key.items()}
        self.report["commands"] = [
            {"text": r.cmd.text, "language": r.cmd.language, "heard": r.text, "path": r.path,
             "eos_to_first_audio_s": r.timings_ms.get("eos_to_first_audio", float("nan")) / 1000}
            for r in results
        ]
        delays = [r.wake_delay_ms for r in results if r.wake_delay_ms is not None]
        self.report["wake_detected"] = f"{len(delays)}/{len(results)}"
        self.report["wake_delay_ms"] = _stats(delays)
        rtfs = [r.stt_rtf for r in results if r.stt_rtf is not None]
        self.report["stt_rtf"] = _stats(rtfs)

    # ---- per-stage costs --------------------------------------------------------------------------
    def measure_stages(self) -> None:
        e = self.engines
        rng = np.random.default_rng(2)
        frames = list(frames_of(_silence(10.0 if not self.quick else 4.0, rng), 1280))
        e.wake.reset()
        t0 = time.perf_counter()
        for f in frames:
            e.wake.process(f)
        wake_ms = (time.perf_counter() - t0) * 1000 / len(frames)
        e.vad.reset()
        t0 = time.perf_counter()
        for f in frames:
            e.vad.speech_prob(f[:1024])
        vad_ms = (time.perf_counter() - t0) * 1000 / len(frames)
        self.report["wake_ms_per_frame"] = wake_ms
        self.report["wake_cpu_pct_of_core"] = 100 * wake_ms / 80
        self.report["vad_ms_per_frame"] = vad_ms
        tts_rtf: dict[str, float] = {}
        first_chunk: dict[str, float] = {}
        for lang, text in (("en", "The kitchen light is on. The living room is at twenty one degrees."),
                           ("zh", "客厅的灯已经打开了。现在温度是二十一度。")):
            t0 = time.perf_counter()
            chunks = []
            for c in e.tts.synthesize(text, lang):
                if not chunks:
                    first_chunk[lang] = time.perf_counter() - t0
                chunks.append(c)
            total = time.perf_counter() - t0
            tts_rtf[lang] = total / (sum(len(c) for c in chunks) / e.tts.sample_rate)
        self.report["tts_rtf"] = tts_rtf
        self.report["tts_first_chunk_s"] = first_chunk

    def measure_idle(self) -> None:
        """CPU of the whole pipeline while it waits for the wake word (real-time silence)."""
        e = self.engines
        seconds = 4.0 if self.quick else 10.0
        p = Pipeline(self.cfg, wake=e.wake, vad=e.vad, stt=e.stt, brain=e.brain, tts=e.tts, sink=NullSink(),
                     bus=EventBus())
        e.wake.reset()
        c0, w0 = time.process_time(), time.monotonic()
        p.run(PacedSource(_silence(seconds, np.random.default_rng(3)), p.frame_samples))
        self.report["idle_cpu_pct_of_core"] = 100 * (time.process_time() - c0) / (time.monotonic() - w0)
        self.report["peak_rss_bytes"] = _peak_rss_bytes()

    # ---- the naive way ----------------------------------------------------------------------------
    def measure_naive(self) -> None:
        from assistant.naive import NaivePipeline

        naive = NaivePipeline(self.cfg, self.engines)
        rng = np.random.default_rng(4)
        replies = {r.cmd: r.reply or "OK." for r in self.results if r.path == "llm"}
        if not replies:
            replies = {r.cmd: r.reply or "OK." for r in self.results}
        cmds = list(replies)[:1] if self.quick else list(replies)
        clips = [self._clip(c, rng) for c in cmds]
        naive.run(clips[0].audio, clips[0].cmd.language, replies[clips[0].cmd])  # warm-up
        totals: list[float] = []
        parts: dict[str, list[float]] = {}
        for _ in range(self.runs):
            for clip in clips:
                t = naive.run(clip.audio, clip.cmd.language, replies[clip.cmd])
                totals.append(t["total"])
                for k, v in t.items():
                    parts.setdefault(k, []).append(v)
        self.report["naive"] = {
            "eos_to_first_audio_s": _stats(totals),
            "breakdown_s": {k: _stats(v) for k, v in parts.items() if k != "total"},
            "how": naive.description,
        }
        for path, key in (("llm", "ratio_llm_p50"), ("llm+none", "ratio_llm_or_none_p50")):
            ours = self.report["eos_to_first_audio_s"].get(path, {}).get("p50")
            if ours:
                self.report["naive"][key] = _stats(totals)["p50"] / ours

    # ---- commands with pauses inside them ---------------------------------------------------------
    def measure_cutoffs(self) -> None:
        """Commands with internal pauses, in real time: how many were ended before their last words."""
        from assistant import bench_cutoff as bc

        rng = np.random.default_rng(5)
        voices = bc.hearth_voices(self.engines.tts)
        if self.quick:
            voices = {"hearth": voices["hearth"]}
        commands = bc.QUICK if self.quick else bc.PAUSED_COMMANDS
        rows = [bc.run_clip(self.engines, self.cfg, clip, PacedSource) for clip in bc.clips(voices, commands, rng)]
        self.report.update(bc.summary(rows))

    def run(self) -> dict[str, Any]:
        self.load()
        self.measure_stages()
        self.measure_pipeline()
        self.measure_cutoffs()
        self.measure_idle()
        self.measure_naive()
        return self.report


def format_report(r: dict[str, Any]) -> str:
    def s(x: dict[str, float]) -> str:
        return f"p50 {x['p50']:.3f} s  p95 {x['p95']:.3f} s  (n={x['n']})"

    lines = [f"hearth bench ({r['mode']} mode, {r['runs_per_command']} timed run(s) per command, warm-up excluded)"]
    lines.append("model load: " + ", ".join(f"{k} {v:.2f} s" for k, v in r["load_s"].items()))
    lines.append("end of speech → first reply audio:")
    for path, st in r["eos_to_first_audio_s"].items():
        note = "  (every command the LLM decoded, acted on or not)" if path == "llm+none" else ""
        lines.append(f"  {path:<5} {s(st)}{note}")
        for k, v in r["breakdown_s"].get(path, {}).items():
            lines.append(f"        {k:<11} {s(v)}")
    lines.append(f"wake word: detected {r['wake_detected']}, delay after phrase end {s_ms(r['wake_delay_ms'])}, "
                 f"{r['wake_ms_per_frame']:.2f} ms per 80 ms frame ({r['wake_cpu_pct_of_core']:.1f} % of one core)")
    lines.append(f"vad: {r['vad_ms_per_frame']:.2f} ms per frame")
    lines.append(f"stt RTF: p50 {r['stt_rtf']['p50']:.3f}   tts RTF: "
                 + ", ".join(f"{k} {v:.3f}" for k, v in r["tts_rtf"].items())
                 + "   tts first chunk: " + ", ".join(f"{k} {v:.3f} s" for k, v in r["tts_first_chunk_s"].items()))
    lines.append(f"idle CPU while waiting for the wake word: {r['idle_cpu_pct_of_core']:.1f} % of one core")
    if "cutoffs" in r:
        c = r["cutoffs"]
        lines.append(f"cut-off rate on commands with pauses inside ({', '.join(map(str, _pauses(c)))} s): "
                     f"{r['cutoff_rate']:.1%} ({c['cut']} of {c['n']} cut; wake word missed on {c['wake_missed']})"
                     + "".join(f"\n  cut: {x['said']!r} heard {x['heard']!r}" for x in c["runs"] if x["cut"]))
    lines.append(f"peak memory (RSS) with every model loaded: {r['peak_rss_bytes'] / 1e6:.0f} MB")
    n = r["naive"]
    lines.append(f"naive way ({n['how']}):")
    lines.append(f"  eos → first audio {s(n['eos_to_first_audio_s'])}")
    for k, v in n["breakdown_s"].items():
        lines.append(f"        {k:<11} {s(v)}")
    if "ratio_llm_p50" in n:
        lines.append(f"  Hearth's LLM path is {n['ratio_llm_p50']:.1f}x faster (p50)"
                     + (f"; {n['ratio_llm_or_none_p50']:.1f}x counting LLM answers that acted on nothing"
                        if "ratio_llm_or_none_p50" in n else ""))
    lines.append("per command (heard → path, latency): " + "; ".join(
        f"{c['heard']!r}→{c['path']} {c['eos_to_first_audio_s']:.2f}s" for c in r["commands"]
    ))
    return "\n".join(lines)


def _pauses(c: dict[str, Any]) -> list[float]:
    return sorted({p for x in c["runs"] for p in x["pauses_s"]})


def s_ms(x: dict[str, float]) -> str:
    return f"p50 {x['p50']:.0f} ms p95 {x['p95']:.0f} ms"


def main(cfg: Config, *, quick: bool, runs: int | None, as_json: bool) -> int:
    report = Bench(cfg, quick=quick, runs=runs).run()
    if as_json:
        print(json.dumps(report, ensure_ascii=False, default=float))
    else:
        print(format_report(report))
    return 0

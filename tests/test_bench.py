"""``hearth bench --quick`` runs end to end on the real models; its figures are printed, never asserted."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from assistant.bench import format_report
from tests.offline import Offline

pytestmark = pytest.mark.slow


def test_quick_bench_reports_every_figure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Run where nothing but loopback exists, with every connection attempt recorded (tests/offline.py).
    off = Offline(tmp_path / "guard")
    r = off.run([sys.executable, "-m", "assistant.cli", "bench", "--quick", "--json"], timeout=900)
    assert r.returncode == 0, r.stderr.decode()[-3000:]
    assert off.attempts() == [], off.attempts()
    report = json.loads(r.stdout.decode().strip().splitlines()[-1])
    with capsys.disabled():  # the figures belong in the CI log
        print("\n" + format_report(report))
    assert report["mode"] == "quick" and report["runs_per_command"] == 1
    assert {"wake", "vad", "stt", "tts", "brain"} <= set(report["load_s"])
    # Every command was heard, and each reached the reply through some path.
    assert all(c["heard"] for c in report["commands"]), report["commands"]
    assert report["eos_to_first_audio_s"], "no run reached the first reply audio"
    for path_stats in report["eos_to_first_audio_s"].values():
        assert path_stats["n"] >= 1 and math.isfinite(path_stats["p50"]) and path_stats["p50"] > 0
    assert report["peak_rss_bytes"] > 0 and report["idle_cpu_pct_of_core"] >= 0
    assert report["naive"]["eos_to_first_audio_s"]["n"] >= 1

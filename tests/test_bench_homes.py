"""``hearth bench --home-size`` runs end to end; its figures are printed, never asserted as timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.bench_homes import format_report

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent


def test_home_size_bench_reports_every_figure(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[brain]\nllm = false\n")  # the templates only: the LLM path has its own tests
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "--config", str(cfg), "bench",
                        "--home-size", "20", "120", "--rounds", "2", "--json"],
                       capture_output=True, text=True, cwd=REPO, env=env, timeout=900, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = json.loads(r.stdout.strip().splitlines()[-1])
    assert [x["size"] for x in rows] == [20, 120] and [x["entities"] for x in rows] == [20, 120]
    for x in rows:
        assert x["commands"] == 40 and len(x["details"]) == 40
        assert x["wrong"] == 0  # the templates never act on a wrong device
        assert 0.3 < x["right_share"] <= 1.0
        assert x["by_style"]["template"]["n"] == x["by_style"]["llm"]["n"] == 20
        assert x["latency_ms"]["fast"]["n"] > 0 and x["peak_rss_mb"] > 0
        assert x["names_update_ms"] > 0 and x["state_update_us"] > 0 and x["first_after_rename_ms"] > 0
        assert len(x["llm_p50_rounds"]) == 2  # the sizes ran alternately twice (no LLM here: no p50)
    print(format_report(rows))

"""``hearth bench --home-size N``: accuracy and speed of understanding in made-up homes of any size.

Per size (each in its own process, so peak memory is that size's own): 40 commands in a home of
N entities with confusable names (:mod:`assistant.home.synthetic`), half phrased for the
templates and half only the LLM reads; the share that acted on exactly the right devices (or,
for a near miss, on nothing; a sensitive action counts once its "are you sure?" is answered
yes), the share that acted on a wrong one, latency per path, the cost of a names update and a
state update, the first command after a rename, and peak RSS.

Latency on a small shared machine drifts by a third between identical runs; ``rounds`` runs the
sizes alternately that many times and reports each size's LLM p50 per round, their median, and
the median ratio of each size to the first (the answers are the same in every round).
"""

from __future__ import annotations

import json
import logging
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from assistant.bench import percentile
from assistant.config import Config
from assistant.home import synthetic

log = logging.getLogger(__name__)

COMMANDS = 40


def _acted(u: Any) -> set[str]:
    return {a.entity_id for i in u.intents for a in i.actions if a.entity_id}


def measure(cfg: Config, size: int, seed: int = 0) -> dict[str, Any]:
    """Every figure for one home size, in this process."""
    from assistant.app import build_brain
    from assistant.brain.candidates import select
    from assistant.home.index import NameIndex
    from assistant.home.inventory import loads

    home = synthetic.make_home(size, seed)
    t0 = time.perf_counter()
    brain = build_brain(cfg, inventory=home, publish=False)
    brain.warm()
    load_s = time.perf_counter() - t0
    cmds = synthetic.commands(home, COMMANDS, seed)
    lat: dict[str, list[float]] = {"fast": [], "llm": [], "none": []}
    right = wrong = 0
    by_style: dict[str, dict[str, int]] = {}
    shown: list[int] = []
    details: list[dict[str, Any]] = []
    for c in cmds:
        u = brain.understand(c.text, area=c.area, execute=False)
        acted = _acted(u)
        if u.expects_reply and brain.memory.get("default").confirm is not None:
            # A sensitive action (unlock, open a garage door) asks first: the household says yes.
            yes = brain.understand("yes", area=c.area, execute=False)
            acted = _acted(yes)
        ok = acted == set(c.expected)
        bad = bool(acted - set(c.expected))
        right += ok
        wrong += bad
        st = by_style.setdefault(c.style, {"n": 0, "right": 0, "wrong": 0, "llm": 0})
        st["n"] += 1
        st["right"] += ok
        st["wrong"] += bad
        st["llm"] += u.path == "llm"
        lat.setdefault(u.path, []).append(u.ms)
        if u.path == "llm":
            shown.append(len(select(brain._home.resolver.index, c.text, c.area).entities))
        details.append({"text": c.text, "area": c.area, "expected": sorted(c.expected), "acted": sorted(acted),
                        "path": u.path, "ms": round(u.ms, 1), "reply": u.reply})

    # A names update (parse + index + templates' lists) and a state update, as a live home sends them.
    doc = json.dumps(home.to_dict())
    t0 = time.perf_counter()
    inv = loads(doc)
    NameIndex(inv)
    parse_index_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    n_states = 1000
    for i in range(n_states):
        e = home.entities[i % len(home.entities)]
        home.set_state(e.entity_id, "on" if i % 2 else "off")
    state_us = (time.perf_counter() - t0) * 1e6 / n_states

    new = synthetic.renamed(home, seed)
    t0 = time.perf_counter()
    brain.set_inventory(new)
    rename_apply_ms = (time.perf_counter() - t0) * 1000
    llm_cmd = next((c for c in cmds if c.style == "llm"), cmds[0])
    u = brain.understand(llm_cmd.text, area=llm_cmd.area, execute=False)
    first_after_rename_ms = u.ms

    def stats(v: list[float]) -> dict[str, float]:
        return {"p50": round(percentile(v, 0.5), 1), "p95": round(percentile(v, 0.95), 1), "n": len(v)}

    n = len(cmds)
    return {
        "size": size, "entities": len(home.entities), "areas": len(home.areas), "commands": n,
        "right_share": round(right / n, 3), "wrong_share": round(wrong / n, 3), "wrong": wrong,
        "by_style": by_style, "latency_ms": {k: stats(v) for k, v in lat.items() if v},
        "llm_candidates_max": max(shown, default=0),
        "load_s": round(load_s, 2), "names_update_ms": round(parse_index_ms, 1),
        "rename_apply_ms": round(rename_apply_ms, 1), "state_update_us": round(state_us, 2),
        "first_after_rename_ms": round(first_after_rename_ms, 1), "first_after_rename_path": u.path,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "details": details,
    }


def run_sizes(sizes: list[int], config_path: str | None, rounds: int = 1) -> list[dict[str, Any]]:
    """Each size in a fresh process (its own peak RSS), the sizes alternated ``rounds`` times; a
    size's row is its first round's, with every round's LLM p50 added."""
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
    for _ in range(max(1, rounds)):
        for n in sizes:
            cmd = [sys.executable, "-m", "assistant.bench_homes", str(n)]
            if config_path:
                cmd.append(config_path)
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise RuntimeError(f"home size {n}: {proc.stderr.strip()[-2000:]}")
            runs[n].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    out: list[dict[str, Any]] = []
    base = [_llm_p50(r) for r in runs[sizes[0]]]
    for n in sizes:
        row = dict(runs[n][0])
        p50s = [_llm_p50(r) for r in runs[n]]
        row["llm_p50_rounds"] = p50s
        known = [(a, b) for a, b in zip(p50s, base, strict=True) if a is not None and b]
        row["llm_p50_median"] = round(statistics.median(a for a, _ in known), 1) if known else None
        row["llm_p50_ratio"] = round(statistics.median(a / b for a, b in known), 3) if known else None
        out.append(row)
    return out


def _llm_p50(row: dict[str, Any]) -> float | None:
    """A run's LLM-path p50 (None when no command took that path)."""
    llm = row["latency_ms"].get("llm")
    return float(llm["p50"]) if llm else None


def format_report(rows: list[dict[str, Any]]) -> str:
    lines = ["home size  right  wrong  fast p50/p95 ms  llm p50/p95 ms  names upd ms  state us  "
             "1st after rename ms  peak RSS MB  llm p50 median/ratio (rounds)"]
    for r in rows:
        lat = r["latency_ms"]
        f = lat.get("fast", {"p50": float("nan"), "p95": float("nan")})
        m = lat.get("llm", {"p50": float("nan"), "p95": float("nan")})
        lines.append(
            f"{r['size']:>9}  {r['right_share']:>5.0%}  {r['wrong']:>2}/{r['commands']}  "
            f"{f['p50']:>6.1f}/{f['p95']:<7.1f}  {m['p50']:>6.0f}/{m['p95']:<7.0f}  "
            f"{r['names_update_ms']:>12.1f}  {r['state_update_us']:>8.2f}  "
            f"{r['first_after_rename_ms']:>19.0f}  {r['peak_rss_mb']:>11.0f}"
            f"  {_num(r.get('llm_p50_median'), 6, 0)}/{_num(r.get('llm_p50_ratio'), 4, 2)}"
            f" ({len(r.get('llm_p50_rounds', [])) or 1})"
        )
    return "\n".join(lines)


def _num(v: float | None, width: int, digits: int) -> str:
    return f"{v:>{width}.{digits}f}" if v is not None else "-".rjust(width)


def main(cfg: Config, sizes: list[int], *, as_json: bool, config_path: str | None = None, rounds: int = 1) -> int:
    rows = run_sizes(sizes, config_path, rounds)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        print(format_report(rows))
    return 0


if __name__ == "__main__":
    from assistant.config import load

    logging.basicConfig(level=logging.WARNING)
    _cfg = load(sys.argv[2] if len(sys.argv) > 2 else None)
    print(json.dumps(measure(_cfg, int(sys.argv[1]))))
